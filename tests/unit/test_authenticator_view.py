"""``/settings/authenticator`` through the Flask test client, with Cognito stubbed by Stubber."""

from __future__ import annotations

import html
import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.stub import Stubber
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.authenticator_setup import PENDING_KEY, SETUP_LIFETIME_SECONDS
from app.config import load_settings
from app.errors import CATALOG, lookup
from app.observability import JsonFormatter
from tests.support.unit import ACCESS_TOKEN, csrf_token, get_user_response, portal_env, sign_in
from tests.unit.botocore_model import model_error_codes

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSW"
TOKEN_ONLY = {"AccessToken": ACCESS_TOKEN}
TOTP_ON = {"Enabled": True, "PreferredMfa": True}
BOTH_ON = {"mfa_settings": ["SMS_MFA", "SOFTWARE_TOKEN_MFA"], "legacy_sms": True}


def plain(page: str) -> str:
    return " ".join(html.unescape(page).split())


def token_from(client: FlaskClient, stubber: Stubber, **user: Any) -> str:
    stubber.add_response("get_user", get_user_response(**user), TOKEN_ONLY)
    return csrf_token(client.get("/settings/mfa").text)


def start(client: FlaskClient, stubber: Stubber, token: str, secret: str = SECRET) -> Any:
    stubber.add_response("associate_software_token", {"SecretCode": secret}, TOKEN_ONLY)
    return client.post("/settings/authenticator", data={"csrf_token": token})


def verify(client: FlaskClient, token: str, code: str = "123 456", name: str = "Work phone"):
    return client.post(
        "/settings/authenticator/verify",
        data={"csrf_token": token, "code": code, "device_name": name},
    )


def verified(stubber: Stubber, code: str = "123456", name: str = "Work phone") -> None:
    stubber.add_response(
        "verify_software_token",
        {"Status": "SUCCESS", "ResponseMetadata": {"RequestId": "req-verify"}},
        {**TOKEN_ONLY, "UserCode": code, "FriendlyDeviceName": name},
    )


def pending(client: FlaskClient) -> dict[str, Any] | None:
    with client.session_transaction() as session:
        return session.get(PENDING_KEY)


def audits(caplog: pytest.LogCaptureFixture, event: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "audit", False) and r.event == event]


@pytest.fixture
def portal_in(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> Iterator[Callable[..., tuple[FlaskClient, Stubber]]]:
    """A signed-in client of a portal with the given environment, and its stubbed Cognito."""
    stubs: list[Stubber] = []

    def make(**env: str) -> tuple[FlaskClient, Stubber]:
        app = create_app(load_settings(portal_env(tmp_path, **env)))
        logging.getLogger().addHandler(caplog.handler)  # create_app set the handlers afresh
        client = app.test_client()
        sign_in(client)
        stubs.append(Stubber(app.extensions["mfa_portal.cognito"].client).__enter__())
        return client, stubs[-1]

    yield make
    for stub in stubs:
        stub.assert_no_pending_responses()
        stub.__exit__(None, None, None)


# --- setting up --------------------------------------------------------------------------


def test_from_sms_only_to_an_app_that_leaves_the_persons_choice_alone(
    signed_in: FlaskClient, stubber: Stubber, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    token = token_from(signed_in, stubber, legacy_sms=True)
    response = start(signed_in, stubber, token)
    assert response.status_code == 303
    assert response.headers["Location"] == "/settings/authenticator"

    page = signed_in.get("/settings/authenticator")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    text = plain(page.text)
    assert "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP JBSW" in text
    assert "portal.test: alice@example.com" in text
    assert "an authenticator app set up for it before, here or when you signed in, stops" in text
    assert '<svg role="img"' in page.text
    assert "<title>QR code to add alice@example.com to your authenticator app</title>" in page.text
    assert 'value="Authenticator app"' in page.text

    verified(stubber)
    stubber.add_response("get_user", get_user_response(legacy_sms=True), TOKEN_ONLY)
    stubber.add_response(
        "set_user_mfa_preference",
        {},
        {**TOKEN_ONLY, "SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": False}},
    )
    done = verify(signed_in, csrf_token(page.text))
    assert done.status_code == 303
    assert done.headers["Location"] == "/settings/mfa"
    assert pending(signed_in) is None
    [added] = audits(caplog, "totp_added")
    assert added.outcome == "ok"

    stubber.add_response("get_user", get_user_response(**BOTH_ON), TOKEN_ONLY)
    after = plain(signed_in.get("/settings/mfa").text)
    assert "Your authenticator app is set up." in after
    assert "At sign-in you choose between its code and a texted one." in after


def test_an_app_that_is_the_only_factor_is_made_preferred(
    signed_in: FlaskClient, stubber: Stubber
) -> None:
    token = token_from(signed_in, stubber)
    start(signed_in, stubber, token)
    verified(stubber, name="Authenticator app")
    stubber.add_response("get_user", get_user_response(), TOKEN_ONLY)
    stubber.add_response(
        "set_user_mfa_preference", {}, {**TOKEN_ONLY, "SoftwareTokenMfaSettings": TOTP_ON}
    )
    assert verify(signed_in, token, code="123456", name="  ").status_code == 303


def test_the_setup_page_holds_the_strict_content_security_policy(
    signed_in: FlaskClient, stubber: Stubber
) -> None:
    start(signed_in, stubber, token_from(signed_in, stubber))
    page = signed_in.get("/settings/authenticator")
    policy = page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "style-src 'self'" in policy
    assert "img-src 'self'" in policy
    assert " style=" not in page.text
    assert "<style" not in page.text
    assert "<script>" not in page.text
    assert '<script src="/static/js/copy.js" defer></script>' in page.text


def test_a_new_setup_replaces_the_secret_and_cancelling_forgets_it(
    signed_in: FlaskClient, stubber: Stubber, cognito_calls: list[str]
) -> None:
    token = token_from(signed_in, stubber)
    start(signed_in, stubber, token)
    start(signed_in, stubber, token, secret="KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU")
    assert pending(signed_in)["secret"] == "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
    assert "KRSX G5CT" in signed_in.get("/settings/authenticator").text

    response = signed_in.post("/settings/authenticator/cancel", data={"csrf_token": token})
    assert response.headers["Location"] == "/settings/mfa"
    assert pending(signed_in) is None
    page = signed_in.get("/settings/authenticator")
    assert "Start set-up" in page.text
    assert "KRSX" not in page.text
    assert cognito_calls == ["GetUser", "AssociateSoftwareToken", "AssociateSoftwareToken"]


def test_signing_out_forgets_the_setup(signed_in: FlaskClient, stubber: Stubber) -> None:
    token = token_from(signed_in, stubber)
    start(signed_in, stubber, token)
    stubber.add_response("revoke_token", {})
    signed_in.post("/logout", data={"csrf_token": token})
    assert pending(signed_in) is None


def test_a_setup_left_too_long_is_gone(
    signed_in: FlaskClient, stubber: Stubber, cognito_calls: list[str]
) -> None:
    token = token_from(signed_in, stubber)
    start(signed_in, stubber, token)
    with signed_in.session_transaction() as session:
        stale = int(time.time()) - SETUP_LIFETIME_SECONDS - 1
        session[PENDING_KEY] = {**session[PENDING_KEY], "started_at": stale}
    response = verify(signed_in, token)
    assert response.headers["Location"] == "/settings/authenticator"
    page = plain(signed_in.get("/settings/authenticator").text)
    assert CATALOG["portal:totp_setup_missing"].message in page
    assert "Start set-up" in page
    assert "VerifySoftwareToken" not in cognito_calls


def test_a_code_without_a_setup_never_reaches_cognito(
    signed_in: FlaskClient, stubber: Stubber, cognito_calls: list[str], caplog
) -> None:
    caplog.set_level(logging.INFO)
    token = token_from(signed_in, stubber)
    response = verify(signed_in, token)
    assert response.status_code == 303
    assert cognito_calls == ["GetUser"]
    [failed] = audits(caplog, "totp_added")
    assert (failed.outcome, failed.error_code) == ("failed", "portal:totp_setup_missing")


@pytest.mark.parametrize("code", ["", "12345", "12a456", "1234567"])
def test_a_malformed_code_is_refused_without_calling_cognito(
    signed_in: FlaskClient, stubber: Stubber, cognito_calls: list[str], code: str
) -> None:
    token = token_from(signed_in, stubber)
    start(signed_in, stubber, token)
    response = verify(signed_in, token, code=code)
    assert response.headers["Location"] == "/settings/authenticator"
    page = plain(signed_in.get("/settings/authenticator").text)
    assert "Nothing was changed." in page
    assert pending(signed_in) is not None
    assert "VerifySoftwareToken" not in cognito_calls


VERIFY_ERRORS = sorted({*model_error_codes()["VerifySoftwareToken"], "ThrottlingException"})


@pytest.mark.parametrize("code", VERIFY_ERRORS)
def test_verify_errors_show_their_catalog_message(
    signed_in: FlaskClient, stubber: Stubber, code: str
) -> None:
    entry = lookup(code, "verify_totp")
    token = token_from(signed_in, stubber)
    start(signed_in, stubber, token)
    stubber.add_client_error("verify_software_token", code, "Cognito said no")
    response = verify(signed_in, token)
    assert response.status_code == 303
    if entry.ends_session:
        assert response.headers["Location"] == "/"
        assert entry.message in plain(signed_in.get("/").text)
        return
    assert response.headers["Location"] == "/settings/authenticator"
    page = plain(signed_in.get("/settings/authenticator").text)
    assert entry.message in page
    starts_again = entry is CATALOG["InvalidParameterException:verify_totp"]
    assert ("Start set-up" in page) is starts_again
    assert ("JBSW Y3DP" in page) is not starts_again


@pytest.mark.parametrize(
    ("code", "message", "key"),
    [
        ("EnableSoftwareTokenMFAException", "Code mismatch", "EnableSoftwareTokenMFAException"),
        ("CodeMismatchException", "Invalid code", "CodeMismatchException:verify_totp"),
        ("ExpiredCodeException", "Code expired", "ExpiredCodeException:verify_totp"),
        (
            "ExpiredCodeException",
            "Your software token has already been used once.",
            "ExpiredCodeException:totp_reused",
        ),
        (
            "InvalidParameterException",
            "User has not associated a software token.",
            "InvalidParameterException:verify_totp",
        ),
    ],
    ids=["wrong", "mismatch", "expired", "reused", "abandoned"],
)
def test_wrong_expired_reused_and_abandoned_codes_each_say_so(
    signed_in: FlaskClient, stubber: Stubber, code: str, message: str, key: str
) -> None:
    token = token_from(signed_in, stubber)
    start(signed_in, stubber, token)
    stubber.add_client_error("verify_software_token", code, message)
    verify(signed_in, token)
    assert CATALOG[key].message in plain(signed_in.get("/settings/authenticator").text)


@pytest.mark.parametrize("code", sorted(model_error_codes()["AssociateSoftwareToken"]))
def test_associate_errors_show_their_catalog_message(
    signed_in: FlaskClient, stubber: Stubber, code: str
) -> None:
    entry = lookup(code)
    token = token_from(signed_in, stubber)
    stubber.add_client_error("associate_software_token", code, "Cognito said no")
    response = signed_in.post("/settings/authenticator", data={"csrf_token": token})
    assert response.status_code == 303
    assert pending(signed_in) is None
    if entry.ends_session:
        assert response.headers["Location"] == "/"
        return
    assert response.headers["Location"] == "/settings/mfa"
    stubber.add_response("get_user", get_user_response(), TOKEN_ONLY)
    assert entry.message in plain(signed_in.get("/settings/mfa").text)


@pytest.mark.parametrize("code", sorted(model_error_codes()["SetUserMFAPreference"]))
def test_turning_the_verified_app_on_can_fail_with_its_catalog_message(
    signed_in: FlaskClient, stubber: Stubber, code: str
) -> None:
    entry = lookup(code, "mfa_preference")
    token = token_from(signed_in, stubber)
    start(signed_in, stubber, token)
    verified(stubber)
    stubber.add_response("get_user", get_user_response(), TOKEN_ONLY)
    stubber.add_client_error("set_user_mfa_preference", code, "Cognito said no")
    response = verify(signed_in, token)
    assert response.status_code == 303
    if not entry.ends_session:
        assert entry.message in plain(signed_in.get("/settings/authenticator").text)


def test_a_verified_app_that_failed_to_turn_on_is_only_turned_on_when_tried_again(
    signed_in: FlaskClient, stubber: Stubber, cognito_calls: list[str]
) -> None:
    token = token_from(signed_in, stubber)
    start(signed_in, stubber, token)
    verified(stubber)
    stubber.add_response("get_user", get_user_response(), TOKEN_ONLY)
    stubber.add_client_error("set_user_mfa_preference", "InternalErrorException")
    verify(signed_in, token)
    assert pending(signed_in)["verified"] is True
    del cognito_calls[:]
    stubber.add_response("get_user", get_user_response(), TOKEN_ONLY)
    stubber.add_response(
        "set_user_mfa_preference", {}, {**TOKEN_ONLY, "SoftwareTokenMfaSettings": TOTP_ON}
    )
    assert verify(signed_in, token).headers["Location"] == "/settings/mfa"
    assert cognito_calls == ["GetUser", "SetUserMFAPreference"], "the spent code is not sent again"
    assert pending(signed_in) is None


def test_the_secret_is_never_logged(
    signed_in: FlaskClient, stubber: Stubber, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = token_from(signed_in, stubber)
    start(signed_in, stubber, token)
    signed_in.get("/settings/authenticator")
    stubber.add_client_error("verify_software_token", "EnableSoftwareTokenMFAException")
    verify(signed_in, token)
    verified(stubber)
    stubber.add_response("get_user", get_user_response(), TOKEN_ONLY)
    stubber.add_response("set_user_mfa_preference", {})
    verify(signed_in, token)
    formatter = JsonFormatter()
    assert caplog.records
    for record in caplog.records:
        assert SECRET not in formatter.format(record)
        assert SECRET not in json.dumps(vars(record), default=str)


# --- choosing which one Cognito asks for -------------------------------------------------


@pytest.mark.parametrize(
    ("first", "params", "said"),
    [
        (
            "authenticator",
            {"SoftwareTokenMfaSettings": TOTP_ON},
            "sign-in now asks for a code from your authenticator app first",
        ),
        ("sms", {"SMSMfaSettings": TOTP_ON}, "sign-in now asks for a texted code first"),
    ],
)
def test_choosing_what_sign_in_asks_for_first(
    signed_in: FlaskClient, stubber: Stubber, caplog, first: str, params: dict, said: str
) -> None:
    caplog.set_level(logging.INFO)
    stubber.add_response("get_user", get_user_response(**BOTH_ON), TOKEN_ONLY)
    page = signed_in.get("/settings/mfa").text
    assert "When you sign in, ask for" in page
    stubber.add_response("get_user", get_user_response(**BOTH_ON), TOKEN_ONLY)
    stubber.add_response("set_user_mfa_preference", {}, {**TOKEN_ONLY, **params})
    response = signed_in.post(
        "/settings/authenticator/preference", data={"csrf_token": csrf_token(page), "first": first}
    )
    assert response.headers["Location"] == "/settings/mfa"
    [changed] = audits(caplog, "mfa_preference_changed")
    assert (changed.outcome, changed.preferred) == ("ok", first)
    preferred = "SOFTWARE_TOKEN_MFA" if first == "authenticator" else "SMS_MFA"
    stubber.add_response("get_user", get_user_response(**BOTH_ON, preferred=preferred), TOKEN_ONLY)
    after = signed_in.get("/settings/mfa").text
    assert said in plain(after)
    assert f'value="{first}" aria-describedby="first-hint" checked' in after


def test_the_choice_is_offered_only_when_both_are_on(
    signed_in: FlaskClient, stubber: Stubber
) -> None:
    stubber.add_response(
        "get_user", get_user_response(mfa_settings=["SOFTWARE_TOKEN_MFA"]), TOKEN_ONLY
    )
    page = signed_in.get("/settings/mfa").text
    assert "When you sign in, ask for" not in page
    assert "Remove authenticator app" in page
    stubber.add_response(
        "get_user", get_user_response(mfa_settings=["SOFTWARE_TOKEN_MFA"]), TOKEN_ONLY
    )
    signed_in.post(
        "/settings/authenticator/preference",
        data={"csrf_token": csrf_token(page), "first": "sms"},
    )
    stubber.add_response(
        "get_user", get_user_response(mfa_settings=["SOFTWARE_TOKEN_MFA"]), TOKEN_ONLY
    )
    message = lookup("InvalidParameterException", "mfa_preference").message
    assert message in plain(signed_in.get("/settings/mfa").text)


def test_a_choice_that_is_neither_is_not_sent(
    signed_in: FlaskClient, stubber: Stubber, cognito_calls: list[str]
) -> None:
    token = token_from(signed_in, stubber, **BOTH_ON)
    response = signed_in.post(
        "/settings/authenticator/preference", data={"csrf_token": token, "first": "email"}
    )
    assert response.headers["Location"] == "/settings/mfa"
    assert cognito_calls == ["GetUser"]


# --- removing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pool", "user", "says", "sms"),
    [
        ("optional", {}, "anyone who learns your password can sign in", None),
        ("optional", BOTH_ON, "we'll text a code to +1 ••• ••• 0100 after your password", TOTP_ON),
        (
            "required",
            {"mfa_settings": ["SOFTWARE_TOKEN_MFA"]},
            "Your organisation requires a second step at every sign-in, so texted codes stay on",
            TOTP_ON,
        ),
        ("off", {}, "asks only for your password, as it does now", None),
    ],
    ids=["optional-app-only", "optional-with-sms", "required-verified-phone", "off"],
)
def test_removing_says_what_is_lost_and_does_it(
    portal_in, caplog, pool: str, user: dict[str, Any], says: str, sms: dict | None
) -> None:
    caplog.set_level(logging.INFO)
    client, stubber = portal_in(COGNITO_POOL_MFA=pool)
    user = {"mfa_settings": ["SOFTWARE_TOKEN_MFA"], **user}
    stubber.add_response("get_user", get_user_response(**user), TOKEN_ONLY)
    page = client.get("/settings/authenticator/remove")
    assert page.status_code == 200
    assert says in plain(page.text)
    stubber.add_response("get_user", get_user_response(**user), TOKEN_ONLY)
    expected: dict[str, Any] = {
        **TOKEN_ONLY,
        "SoftwareTokenMfaSettings": {"Enabled": False, "PreferredMfa": False},
    }
    if sms:
        expected["SMSMfaSettings"] = sms
    stubber.add_response("set_user_mfa_preference", {}, expected)
    response = client.post(
        "/settings/authenticator/remove", data={"csrf_token": csrf_token(page.text)}
    )
    assert response.headers["Location"] == "/settings/mfa"
    [removed] = audits(caplog, "totp_removed")
    assert removed.outcome == "ok"


def test_in_a_required_pool_the_only_factor_is_not_offered_for_removal(portal_in, caplog) -> None:
    caplog.set_level(logging.INFO)
    client, stubber = portal_in(COGNITO_POOL_MFA="required")
    only_app = {"phone": None, "mfa_settings": ["SOFTWARE_TOKEN_MFA"]}
    stubber.add_response("get_user", get_user_response(**only_app), TOKEN_ONLY)
    page = client.get("/settings/authenticator/remove")
    assert "it can't be removed here" in plain(page.text)
    assert "Yes, remove the app" not in page.text
    stubber.add_response("get_user", get_user_response(**only_app), TOKEN_ONLY)
    response = client.post(
        "/settings/authenticator/remove", data={"csrf_token": csrf_token(page.text)}
    )
    assert response.headers["Location"] == "/settings/mfa"
    [refused] = audits(caplog, "totp_removed")
    assert (refused.outcome, refused.reason) == ("refused", "remove_only_factor")


def test_without_an_app_there_is_nothing_to_remove(
    signed_in: FlaskClient, stubber: Stubber
) -> None:
    stubber.add_response("get_user", get_user_response(), TOKEN_ONLY)
    response = signed_in.get("/settings/authenticator/remove")
    assert response.headers["Location"] == "/settings/mfa"


@pytest.mark.parametrize("code", sorted(model_error_codes()["SetUserMFAPreference"]))
def test_remove_errors_show_their_catalog_message(
    signed_in: FlaskClient, stubber: Stubber, code: str
) -> None:
    entry = lookup(code, "mfa_preference")
    token = token_from(signed_in, stubber)
    stubber.add_response(
        "get_user", get_user_response(mfa_settings=["SOFTWARE_TOKEN_MFA"]), TOKEN_ONLY
    )
    stubber.add_client_error("set_user_mfa_preference", code, "Cognito said no")
    response = signed_in.post("/settings/authenticator/remove", data={"csrf_token": token})
    assert response.status_code == 303
    if not entry.ends_session:
        stubber.add_response("get_user", get_user_response(), TOKEN_ONLY)
        assert entry.message in plain(signed_in.get("/settings/mfa").text)


# --- the MFA page and the guards ---------------------------------------------------------


def test_in_a_pool_without_mfa_no_app_is_offered(portal_in) -> None:
    client, stubber = portal_in(COGNITO_POOL_MFA="off")
    stubber.add_response("get_user", get_user_response(), TOKEN_ONLY)
    page = client.get("/settings/mfa")
    assert "Set up an authenticator app" not in page.text
    start_page = client.get("/settings/authenticator")
    assert "doesn't use a second step" in plain(start_page.text)
    assert "Start set-up" not in start_page.text
    refused = client.post("/settings/authenticator", data={"csrf_token": csrf_token(page.text)})
    assert refused.headers["Location"] == "/settings/mfa"


@pytest.mark.parametrize(
    ("path", "back_to"),
    [
        ("/settings/authenticator", "/settings/authenticator"),
        ("/settings/authenticator/preference", "/settings/mfa"),
        ("/settings/authenticator/remove", "/settings/authenticator/remove"),
    ],
)
def test_changes_need_a_fresh_sign_in(
    client: FlaskClient, cognito_calls: list[str], path: str, back_to: str
) -> None:
    sign_in(client, auth_age=3600)
    token = csrf_token(client.get("/no-such-page").text)
    response = client.post(path, data={"csrf_token": token, "first": "sms"})
    assert response.status_code == 303
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["reauth"] == ["1"]
    assert query["next"] == [back_to]
    assert cognito_calls == []


def test_a_setup_started_after_a_fresh_sign_in_can_be_finished_later(
    signed_in: FlaskClient, stubber: Stubber
) -> None:
    token = token_from(signed_in, stubber)
    start(signed_in, stubber, token)
    with signed_in.session_transaction() as session:
        session["auth_time"] = int(time.time()) - 3600  # the freshness window has passed
    verified(stubber)
    stubber.add_response("get_user", get_user_response(), TOKEN_ONLY)
    stubber.add_response("set_user_mfa_preference", {})
    assert verify(signed_in, token).headers["Location"] == "/settings/mfa"


@pytest.mark.parametrize(
    "path",
    [
        "/settings/authenticator",
        "/settings/authenticator/verify",
        "/settings/authenticator/cancel",
        "/settings/authenticator/preference",
        "/settings/authenticator/remove",
    ],
)
def test_every_post_needs_the_csrf_token(
    signed_in: FlaskClient, cognito_calls: list[str], path: str
) -> None:
    assert signed_in.post(path, data={"code": "123456", "first": "sms"}).status_code == 400
    assert cognito_calls == []


@pytest.mark.parametrize(
    "path",
    [
        "/settings/authenticator",
        "/settings/authenticator/remove",
    ],
)
def test_signed_out_people_are_sent_to_sign_in(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login")


def test_app_changes_share_the_change_budget_with_sms(portal_in) -> None:
    client, stubber = portal_in(RATE_LIMIT_CHANGES="2 per 10 minutes")
    token = token_from(client, stubber)
    assert start(client, stubber, token).status_code == 303
    stubber.add_response("get_user", get_user_response())
    stubber.add_response("set_user_settings", {})
    assert (
        client.post("/settings/mfa", data={"csrf_token": token, "enable": "on"}).status_code == 303
    )
    over = client.post("/settings/authenticator", data={"csrf_token": token})
    assert over.status_code == 429


def test_app_registers_the_blueprint(app: Flask) -> None:
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert "/settings/authenticator/verify" in rules


def test_a_device_name_with_a_line_break_is_refused_without_calling_cognito(
    signed_in: FlaskClient, stubber: Stubber, cognito_calls: list[str]
) -> None:
    token = token_from(signed_in, stubber)
    start(signed_in, stubber, token)
    verify(signed_in, token, name="Work\nphone")
    page = plain(signed_in.get("/settings/authenticator").text)
    assert "Leave out tabs and line breaks from the name. Nothing was changed." in page
    assert "VerifySoftwareToken" not in cognito_calls
