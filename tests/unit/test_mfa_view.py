"""``/settings/mfa`` through the Flask test client, with Cognito stubbed by botocore's Stubber."""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber
from flask.testing import FlaskClient
from markupsafe import escape

from app import create_app
from app.cognito import SMS_MFA_OPTION
from app.config import load_settings
from app.errors import lookup
from app.notices import notice
from tests.support.unit import (
    ACCESS_TOKEN,
    StreamBody,
    audited,
    csrf_token,
    flashed,
    get_user_response,
    portal_env,
    sign_in,
)
from tests.unit.botocore_model import model_error_codes

ENABLE = {"AccessToken": ACCESS_TOKEN, "MFAOptions": [SMS_MFA_OPTION]}
DISABLE = {"AccessToken": ACCESS_TOKEN, "MFAOptions": []}
SET_USER_SETTINGS_ERRORS = sorted(
    {*model_error_codes()["SetUserSettings"], "TooManyRequestsException", "ThrottlingException"}
)
GET_USER_ERRORS = sorted({*model_error_codes()["GetUser"], "ThrottlingException"})


def show_page(client: FlaskClient, stubber: Stubber, **user: Any) -> Any:
    stubber.add_response("get_user", get_user_response(**user), {"AccessToken": ACCESS_TOKEN})
    return client.get("/settings/mfa")


def number_checked(stubber: Stubber, **user: Any) -> None:
    """Turning SMS MFA on reads the person's number from Cognito first (GetUser)."""
    stubber.add_response("get_user", get_user_response(**user), {"AccessToken": ACCESS_TOKEN})


def shown(message: str) -> str:
    return str(escape(message))


def test_turn_on_through_the_portal(signed_in, stubber):
    page = show_page(signed_in, stubber)
    assert page.status_code == 200
    assert "SMS MFA: Off" in page.text
    assert "+1 ••• ••• 0100" in page.text
    assert "+12025550100" not in page.text
    number_checked(stubber)
    stubber.add_response("set_user_settings", {}, ENABLE)
    response = signed_in.post(
        "/settings/mfa", data={"csrf_token": csrf_token(page.text), "enable": "on"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/settings/mfa"
    page = show_page(signed_in, stubber, legacy_sms=True)
    assert "SMS MFA: On" in page.text
    assert "SMS MFA is now on" in page.text


@pytest.mark.parametrize(
    "user",
    [{"legacy_sms": True}, {"mfa_settings": ["SMS_MFA"], "preferred": "SMS_MFA"}],
    ids=["legacy", "current"],
)
def test_sms_mfa_turned_on_elsewhere_is_shown_as_on(signed_in, stubber, user):
    page = show_page(signed_in, stubber, **user)
    assert "SMS MFA: On" in page.text
    assert "Turn off SMS MFA" in page.text


def test_totp_is_shown_read_only(signed_in, stubber):
    page = show_page(signed_in, stubber, mfa_settings=["SOFTWARE_TOKEN_MFA"])
    assert "Authenticator app" in page.text
    assert "SMS MFA: Off" in page.text


def test_signed_in_page_is_not_cached(signed_in, stubber):
    assert show_page(signed_in, stubber).headers["Cache-Control"] == "no-store"


# --- every failure SetUserSettings can meet ------------------------------------------------


@pytest.mark.parametrize("code", SET_USER_SETTINGS_ERRORS)
def test_set_user_settings_error_shows_its_catalog_message(signed_in, stubber, code):
    entry = lookup(code, "enable_sms_mfa")
    page = show_page(signed_in, stubber)
    number_checked(stubber)
    stubber.add_client_error("set_user_settings", code, "Cognito said no", expected_params=ENABLE)
    response = signed_in.post(
        "/settings/mfa", data={"csrf_token": csrf_token(page.text), "enable": "on"}
    )
    assert response.status_code == 303
    if entry.ends_session:
        assert response.headers["Location"] == "/"
        landing = signed_in.get("/")
        assert landing.status_code == 200
        assert shown(entry.message) in landing.text
        again = signed_in.get("/settings/mfa")
        assert again.status_code == 303
        assert again.headers["Location"].startswith("/login")
    else:
        assert response.headers["Location"] == "/settings/mfa"
        page = show_page(signed_in, stubber)
        assert shown(entry.message) in page.text
        assert "SMS MFA: Off" in page.text


def test_signed_out_session_cannot_be_replayed_after_an_ending_error(app, signed_in, stubber):
    page = show_page(signed_in, stubber)
    cookie = signed_in.get_cookie("mfa_portal")
    number_checked(stubber)
    stubber.add_client_error(
        "set_user_settings", "NotAuthorizedException", "Access Token has been revoked"
    )
    signed_in.post("/settings/mfa", data={"csrf_token": csrf_token(page.text), "enable": "on"})
    replay = app.test_client()
    replay.set_cookie("mfa_portal", cookie.value)
    response = replay.get("/settings/mfa")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login")


# --- turning off -------------------------------------------------------------------------


def test_turning_off_needs_confirmation(signed_in, stubber, cognito_calls):
    page = show_page(signed_in, stubber, legacy_sms=True)
    number_checked(stubber, legacy_sms=True)  # the confirmation says what protection is lost
    first = signed_in.post(
        "/settings/mfa", data={"csrf_token": csrf_token(page.text), "enable": "off"}
    )
    assert first.status_code == 200
    assert "Yes, turn off SMS MFA" in first.text
    assert "anyone who learns your password can sign in" in first.text
    assert cognito_calls == ["GetUser", "GetUser"]

    stubber.add_response("set_user_settings", {}, DISABLE)
    second = signed_in.post(
        "/settings/mfa",
        data={"csrf_token": csrf_token(first.text), "enable": "off", "confirmed": "yes"},
    )
    assert second.status_code == 303
    assert cognito_calls == ["GetUser", "GetUser", "SetUserSettings"]
    page = show_page(signed_in, stubber)
    assert "SMS MFA is now off" in page.text
    assert "SMS MFA: Off" in page.text


def test_the_confirmation_says_an_authenticator_app_still_protects(signed_in, stubber):
    user = {"legacy_sms": True, "mfa_settings": ["SMS_MFA", "SOFTWARE_TOKEN_MFA"]}
    page = show_page(signed_in, stubber, **user)
    number_checked(stubber, **user)
    confirm = signed_in.post(
        "/settings/mfa", data={"csrf_token": csrf_token(page.text), "enable": "off"}
    )
    assert "Your authenticator app will still protect your account" in confirm.text
    assert "anyone who learns your password" not in confirm.text


def test_a_confirmed_value_other_than_yes_changes_nothing(signed_in, stubber, cognito_calls):
    page = show_page(signed_in, stubber, legacy_sms=True)
    response = signed_in.post(
        "/settings/mfa",
        data={"csrf_token": csrf_token(page.text), "enable": "off", "confirmed": "sure"},
    )
    assert response.status_code == 303
    assert cognito_calls == ["GetUser"]


def test_an_unknown_enable_value_changes_nothing(signed_in, stubber, cognito_calls):
    page = show_page(signed_in, stubber)
    response = signed_in.post(
        "/settings/mfa", data={"csrf_token": csrf_token(page.text), "enable": "maybe"}
    )
    assert response.status_code == 303
    assert response.location == "/settings/mfa"
    assert cognito_calls == ["GetUser"]
    sentence = "That request wasn't understood. Nothing was changed."
    assert flashed(signed_in) == [("warning", notice(sentence))]
    assert shown(sentence) in show_page(signed_in, stubber).text


# --- refusals before Cognito is called ---------------------------------------------------


@pytest.mark.parametrize("user", [{"verified": False}, {"phone": None}], ids=["unverified", "none"])
def test_enabling_without_a_verified_phone_is_refused(
    signed_in, stubber, cognito_calls, caplog, user
):
    page = show_page(signed_in, stubber, **user)
    assert "Turn on SMS MFA" not in page.text
    number_checked(stubber, **user)
    with caplog.at_level(logging.INFO, logger="mfa_portal.audit"):
        response = signed_in.post(
            "/settings/mfa", data={"csrf_token": csrf_token(page.text), "enable": "on"}
        )
    assert response.status_code == 303
    assert cognito_calls == ["GetUser", "GetUser"], "no SetUserSettings"
    assert audited(caplog.records) == [("sms_mfa_on", "refused", "enable_sms_mfa")]
    page = show_page(signed_in, stubber, **user)
    assert shown(lookup("InvalidParameterException", "enable_sms_mfa").message) in page.text


def test_enabling_without_having_seen_the_page_is_decided_on_cognitos_state(
    signed_in, stubber, cognito_calls
):
    not_found = signed_in.get("/no-such-page")
    assert not_found.status_code == 404
    number_checked(stubber, verified=False)
    response = signed_in.post(
        "/settings/mfa", data={"csrf_token": csrf_token(not_found.text), "enable": "on"}
    )
    assert response.status_code == 303
    assert cognito_calls == ["GetUser"], "no SetUserSettings"


def test_a_number_changed_since_the_page_was_shown_is_not_trusted(
    signed_in, stubber, cognito_calls
):
    """The page showed a verified number; another tab has since put in a new, unverified one."""
    page = show_page(signed_in, stubber)
    assert "Turn on SMS MFA" in page.text
    number_checked(stubber, phone="+12025550143", verified=False)
    response = signed_in.post(
        "/settings/mfa", data={"csrf_token": csrf_token(page.text), "enable": "on"}
    )
    assert response.status_code == 303
    assert cognito_calls == ["GetUser", "GetUser"], "no SetUserSettings"
    page = show_page(signed_in, stubber, phone="+12025550143", verified=False)
    assert shown(lookup("InvalidParameterException", "enable_sms_mfa").message) in page.text
    assert "SMS MFA: Off" in page.text


@pytest.mark.parametrize(
    "token",
    [None, "forged-token", "IjAxMjM0NTY3ODlhYmNkZWYi.ZZZZZZ.forged"],
    ids=["none", "junk", "forged"],
)
def test_post_without_a_valid_csrf_token_is_refused(signed_in, stubber, cognito_calls, token):
    show_page(signed_in, stubber)
    data = {"enable": "on"} if token is None else {"enable": "on", "csrf_token": token}
    response = signed_in.post("/settings/mfa", data=data)
    assert response.status_code == 400
    assert "This form has expired" in response.text
    assert "Nothing was changed" in response.text
    assert cognito_calls == ["GetUser"]


def test_a_stale_sign_in_says_why_before_leaving_for_the_hosted_ui(client, stubber, cognito_calls):
    sign_in(client, auth_age=600)
    page = show_page(client, stubber, legacy_sms=True)
    response = client.post(
        "/settings/mfa", data={"csrf_token": csrf_token(page.text), "enable": "off"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/sign-in-again"
    why = client.get("/sign-in-again")
    assert "For your security, sign in again to turn off SMS MFA." in why.text
    assert "Nothing has been changed yet." in why.text
    link = urlsplit(re.search(r'href="(/login\?[^"]+)"', why.text)[1].replace("&amp;", "&"))
    assert parse_qs(link.query) == {"reauth": ["1"], "next": ["/settings/mfa"]}
    assert cognito_calls == ["GetUser"]


def test_signed_out_post_is_refused(client, cognito_calls):
    response = client.post("/settings/mfa", data={"enable": "on"})
    assert response.status_code == 400
    assert cognito_calls == []


def test_changes_are_rate_limited(app, signed_in, stubber):
    page = show_page(signed_in, stubber)
    token = csrf_token(page.text)
    for _ in range(10):
        number_checked(stubber)
        stubber.add_client_error("set_user_settings", "InternalErrorException")
        assert (
            signed_in.post("/settings/mfa", data={"csrf_token": token, "enable": "on"}).status_code
            == 303
        )
    limited = signed_in.post("/settings/mfa", data={"csrf_token": token, "enable": "on"})
    assert limited.status_code == 429
    assert "Too many attempts" in limited.text
    assert (
        "You can make 10 changes in 10 minutes. Nothing was changed. "
        "Try again in about 10 minutes." in limited.text
    )
    assert int(limited.headers["Retry-After"]) > 0


# --- reading the status fails ------------------------------------------------------------


@pytest.mark.parametrize("code", GET_USER_ERRORS)
def test_get_user_error_is_a_page_never_a_500(signed_in, stubber, code):
    entry = lookup(code)
    stubber.add_client_error("get_user", code, "Cognito said no")
    response = signed_in.get("/settings/mfa")
    if entry.ends_session:
        assert response.status_code == 303
        assert response.headers["Location"] == "/"
        assert shown(entry.message) in signed_in.get("/").text
    else:
        assert response.status_code == 503
        assert shown(entry.message) in response.text
        assert "Turn on SMS MFA" not in response.text


def test_missing_scope_on_get_user_is_shown_not_signed_out(signed_in, stubber):
    stubber.add_client_error(
        "get_user", "NotAuthorizedException", "Access Token does not have required scopes"
    )
    response = signed_in.get("/settings/mfa")
    assert response.status_code == 503
    assert shown(lookup("NotAuthorizedException", "missing_scope").message) in response.text


def test_cognito_unreachable_on_get_is_a_503(app, signed_in):
    def unreachable(**_kwargs: Any) -> None:
        raise EndpointConnectionError(endpoint_url="http://cognito.test")

    app.extensions["mfa_portal.cognito"].client.meta.events.register(
        "before-send.cognito-idp.*", unreachable
    )
    response = signed_in.get("/settings/mfa")
    assert response.status_code == 503
    assert shown(lookup("transport:connection").message) in response.text


def test_a_timeout_while_changing_says_the_outcome_is_unknown(app, signed_in):
    """Through botocore's real send path: GetUser answers, SetUserSettings times out."""

    def cognito(request: Any, **_kwargs: Any) -> AWSResponse:
        if request.headers["X-Amz-Target"].endswith(b".SetUserSettings"):
            raise ReadTimeoutError(endpoint_url=request.url)
        body = json.dumps(get_user_response()).encode()
        return AWSResponse(request.url, 200, {}, StreamBody(body))

    app.extensions["mfa_portal.cognito"].client.meta.events.register(
        "before-send.cognito-idp.*", cognito
    )
    page = signed_in.get("/settings/mfa")
    response = signed_in.post(
        "/settings/mfa", data={"csrf_token": csrf_token(page.text), "enable": "on"}
    )
    assert response.status_code == 303
    page = signed_in.get("/settings/mfa")
    assert shown(lookup("transport:read_timeout", "write").message) in page.text
    assert "could not confirm whether the change was saved" in page.text
    assert "Nothing was changed" not in page.text


def test_the_next_sign_in_sentence_names_the_number_masked(signed_in, stubber):
    page = show_page(signed_in, stubber, legacy_sms=True)
    sentence = "When you sign in, we text a code to +1 ••• ••• 0100 after your password."
    assert f'data-testid="next-sign-in">{shown(sentence)}</p>' in page.text


@pytest.mark.parametrize(
    ("pool", "enable", "reason"),
    [
        ("off", "on", "pool_mfa_off"),
        ("off", "off", "pool_mfa_off"),
        ("required", "off", "disable_sms_mfa"),
    ],
)
def test_a_change_the_pool_does_not_allow_is_refused_before_cognito(
    tmp_path, caplog, pool, enable, reason
):
    """Refused in the catalog's words, audited under the change's event, with no Cognito call:
    not even the number check that turning on makes."""
    app = create_app(load_settings(portal_env(tmp_path, COGNITO_POOL_MFA=pool)))
    logging.getLogger().addHandler(caplog.handler)  # create_app set the handlers afresh
    client = app.test_client()
    sign_in(client)
    with Stubber(app.extensions["mfa_portal.cognito"].client) as stubber:
        page = show_page(client, stubber, legacy_sms=True)
        with caplog.at_level(logging.INFO, logger="mfa_portal.audit"):
            response = client.post(
                "/settings/mfa",
                data={"csrf_token": csrf_token(page.text), "enable": enable, "confirmed": "yes"},
            )
        stubber.assert_no_pending_responses()
    assert (response.status_code, response.location) == (303, "/settings/mfa")
    entry = lookup("InvalidParameterException", reason)
    assert flashed(client) == [(entry.severity.value, notice(entry))]
    assert audited(caplog.records) == [(f"sms_mfa_{enable}", "refused", reason)]


@pytest.mark.parametrize(("enable", "word"), [("on", "on"), ("off", "off")])
def test_a_change_made_is_audited_and_said(signed_in, stubber, caplog, enable, word):
    page = show_page(signed_in, stubber, legacy_sms=enable == "off")
    if enable == "on":
        number_checked(stubber)
    stubber.add_response(
        "set_user_settings",
        {"ResponseMetadata": {"RequestId": f"req-{word}"}},
        ENABLE if enable == "on" else DISABLE,
    )
    with caplog.at_level(logging.INFO, logger="mfa_portal.audit"):
        response = signed_in.post(
            "/settings/mfa",
            data={"csrf_token": csrf_token(page.text), "enable": enable, "confirmed": "yes"},
        )
    assert (response.status_code, response.location) == (303, "/settings/mfa")
    [record] = [r for r in caplog.records if getattr(r, "audit", False)]
    assert (record.event, record.outcome, record.cognito_request_id) == (
        f"sms_mfa_{word}",
        "ok",
        f"req-{word}",
    )
    sentence = f"SMS MFA is now {word}. Below is what your next sign-in will ask."
    assert flashed(signed_in) == [("success", notice(sentence))]
