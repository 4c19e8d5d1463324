"""The phone steps through the portal: each error botocore lists shows its catalog message."""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.stub import Stubber
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.config import load_settings
from app.errors import lookup
from app.notices import notice
from app.phone_numbers import PhoneNumberError, PhonePolicy, normalise
from tests.support.unit import (
    ACCESS_TOKEN,
    audited,
    csrf_token,
    flashed,
    get_user_response,
    portal_env,
    sign_in,
)
from tests.unit.botocore_model import model_error_codes

NEW_NUMBER = {
    "AccessToken": ACCESS_TOKEN,
    "UserAttributes": [{"Name": "phone_number", "Value": "+12025550143"}],
}


def _token(client: FlaskClient, stubber: Stubber) -> str:
    stubber.add_response(
        "get_user", get_user_response(verified=False), {"AccessToken": ACCESS_TOKEN}
    )
    return csrf_token(client.get("/settings/phone").text)


def test_a_typed_number_is_normalised_and_sent_to_cognito(
    signed_in: FlaskClient, stubber: Stubber
) -> None:
    token = _token(signed_in, stubber)
    stubber.add_response(
        "update_user_attributes",
        {
            "CodeDeliveryDetailsList": [
                {
                    "Destination": "+*******0143",
                    "DeliveryMedium": "SMS",
                    "AttributeName": "phone_number",
                }
            ]
        },
        NEW_NUMBER,
    )
    response = signed_in.post(
        "/settings/phone",
        data={"csrf_token": token, "country": "US", "phone_number": "(202) 555-0143"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/settings/phone/verify")
    assert flashed(signed_in) == [
        (
            "success",
            notice(
                "Your phone number is now +1 ••• ••• 0143. We texted a 6-digit code to it: "
                "enter it below to verify the number."
            ),
        )
    ]


@pytest.mark.parametrize(
    ("verified", "sentence"),
    [
        (False, "Enter the 6-digit code we texted to <strong>+1 ••• ••• 0100</strong>."),
        (True, "Your phone number <strong>+1 ••• ••• 0100</strong> is verified."),
    ],
)
def test_the_verify_page_names_the_number_masked(
    signed_in: FlaskClient, stubber: Stubber, verified: bool, sentence: str
) -> None:
    stubber.add_response(
        "get_user", get_user_response(verified=verified), {"AccessToken": ACCESS_TOKEN}
    )
    page = signed_in.get("/settings/phone/verify")
    assert page.status_code == 200
    assert sentence in page.text
    assert "+12025550100" not in page.text


def test_the_verify_page_without_a_number_leads_to_adding_one(
    signed_in: FlaskClient, stubber: Stubber
) -> None:
    stubber.add_response("get_user", get_user_response(phone=None), {"AccessToken": ACCESS_TOKEN})
    response = signed_in.get("/settings/phone/verify")
    assert (response.status_code, response.location) == (302, "/settings/phone")


def test_the_verify_page_says_when_cognito_cannot_tell_the_number(
    signed_in: FlaskClient, stubber: Stubber
) -> None:
    stubber.add_client_error("get_user", "InternalErrorException", "down")
    page = signed_in.get("/settings/phone/verify")
    assert page.status_code == 503
    assert "<title>Verify your phone number" in page.text
    assert html.escape(lookup("InternalErrorException").message, quote=False) in page.text
    assert 'href="/settings/phone/verify"' in page.text  # try again, here
    assert 'name="code"' not in page.text


def test_an_impossible_number_is_never_sent_to_cognito(
    signed_in: FlaskClient, stubber: Stubber, cognito_calls: list[str]
) -> None:
    token = _token(signed_in, stubber)
    stubber.add_response(  # the page is shown again, with the person's current number
        "get_user", get_user_response(verified=False), {"AccessToken": ACCESS_TOKEN}
    )
    response = signed_in.post(
        "/settings/phone", data={"csrf_token": token, "country": "US", "phone_number": "12"}
    )
    assert response.status_code == 400
    assert "too short" in response.text
    assert 'aria-invalid="true"' in response.text
    assert "UpdateUserAttributes" not in cognito_calls


def test_a_refused_number_keeps_the_change_page_and_its_warning(
    signed_in: FlaskClient, stubber: Stubber
) -> None:
    """With SMS MFA on, a typo must not turn "Change your phone number" into "Add a phone
    number": the current number and the lockout warning matter most then."""
    on = get_user_response(legacy_sms=True)
    stubber.add_response("get_user", on, {"AccessToken": ACCESS_TOKEN})
    page = signed_in.get("/settings/phone").text
    stubber.add_response("get_user", on, {"AccessToken": ACCESS_TOKEN})
    response = signed_in.post(
        "/settings/phone",
        data={"csrf_token": csrf_token(page), "country": "US", "phone_number": "(202) 555-01"},
    )
    assert response.status_code == 400
    for context in ("Change your phone number", "+1 ••• ••• 0100", "you could be locked out"):
        assert context in response.text
        assert context in page
    assert "Add a phone number" not in response.text


@pytest.mark.parametrize("code", model_error_codes()["UpdateUserAttributes"])
def test_update_errors_show_their_catalog_message(
    signed_in: FlaskClient, stubber: Stubber, code: str
) -> None:
    token = _token(signed_in, stubber)
    stubber.add_client_error("update_user_attributes", code, "refused", expected_params=NEW_NUMBER)
    response = signed_in.post(
        "/settings/phone",
        data={"csrf_token": token, "country": "US", "phone_number": "202 555 0143"},
    )
    assert response.status_code == 303
    entry = lookup(code, "update_phone")
    if entry.ends_session:
        assert response.headers["Location"] == "/"
        assert entry.message in html.unescape(signed_in.get("/").text)
        return
    stubber.add_response(
        "get_user", get_user_response(verified=False), {"AccessToken": ACCESS_TOKEN}
    )
    assert entry.message in html.unescape(signed_in.get(response.headers["Location"]).text)


@pytest.mark.parametrize("code", model_error_codes()["VerifyUserAttribute"])
def test_verify_errors_show_their_catalog_message(
    signed_in: FlaskClient, stubber: Stubber, code: str
) -> None:
    stubber.add_response(
        "get_user", get_user_response(verified=False), {"AccessToken": ACCESS_TOKEN}
    )
    token = csrf_token(signed_in.get("/settings/phone/verify").text)
    stubber.add_client_error(
        "verify_user_attribute",
        code,
        "refused",
        expected_params={
            "AccessToken": ACCESS_TOKEN,
            "AttributeName": "phone_number",
            "Code": "123456",
        },
    )
    response = signed_in.post(
        "/settings/phone/verify", data={"csrf_token": token, "code": "123456"}
    )
    assert response.status_code == 303
    entry = lookup(code)
    if entry.ends_session:
        assert entry.message in html.unescape(signed_in.get("/").text)
        return
    stubber.add_response(
        "get_user", get_user_response(verified=False), {"AccessToken": ACCESS_TOKEN}
    )
    page = signed_in.get("/settings/phone/verify").text
    assert entry.message in html.unescape(page)


@pytest.mark.parametrize("code", model_error_codes()["GetUserAttributeVerificationCode"])
def test_resend_errors_show_their_catalog_message(
    signed_in: FlaskClient, stubber: Stubber, code: str
) -> None:
    stubber.add_response(
        "get_user", get_user_response(verified=False), {"AccessToken": ACCESS_TOKEN}
    )
    token = csrf_token(signed_in.get("/settings/phone/verify").text)
    stubber.add_response(
        "get_user", get_user_response(verified=False), {"AccessToken": ACCESS_TOKEN}
    )
    stubber.add_client_error("get_user_attribute_verification_code", code, "refused")
    response = signed_in.post("/settings/phone/resend", data={"csrf_token": token})
    assert response.status_code == 303
    entry = lookup(code)
    target = "/" if entry.ends_session else "/settings/phone/verify"
    assert response.headers["Location"] == target
    if not entry.ends_session:
        stubber.add_response(
            "get_user", get_user_response(verified=False), {"AccessToken": ACCESS_TOKEN}
        )
    page = signed_in.get(target).text
    assert entry.message in html.unescape(page)


def test_a_malformed_code_is_refused_without_calling_cognito(
    signed_in: FlaskClient, stubber: Stubber
) -> None:
    stubber.add_response(
        "get_user", get_user_response(verified=False), {"AccessToken": ACCESS_TOKEN}
    )
    token = csrf_token(signed_in.get("/settings/phone/verify").text)
    response = signed_in.post("/settings/phone/verify", data={"csrf_token": token, "code": "12ab"})
    assert (response.status_code, response.location) == (303, "/settings/phone/verify")
    sentence = "The code is the 6 digits in the text message. Nothing was changed."
    assert flashed(signed_in) == [("warning", notice(sentence))]
    stubber.add_response(
        "get_user", get_user_response(verified=False), {"AccessToken": ACCESS_TOKEN}
    )
    assert "6 digits" in signed_in.get("/settings/phone/verify").text


@pytest.mark.parametrize(
    ("path", "back_to"),
    [
        ("/settings/phone", "/settings/phone"),
        ("/settings/phone/verify", "/settings/phone/verify"),
        ("/settings/phone/resend", "/settings/mfa"),
    ],
)
def test_a_stale_sign_in_comes_back_to_a_page_that_exists(
    client: FlaskClient, cognito_calls: list[str], path: str, back_to: str
) -> None:
    sign_in(client, auth_age=3600)
    page_with_a_token = client.get("/no-such-page").text
    response = client.post(
        path, data={"csrf_token": csrf_token(page_with_a_token), "code": "123456"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/sign-in-again"
    sign_in_link = re.search(r'href="(/login\?[^"]+)"', client.get("/sign-in-again").text)
    assert sign_in_link is not None
    query = parse_qs(urlsplit(sign_in_link[1].replace("&amp;", "&")).query)
    assert query["reauth"] == ["1"]
    assert query["next"] == [back_to]
    assert cognito_calls == []


def test_changing_the_number_with_sms_mfa_on_says_where_codes_will_go(
    signed_in: FlaskClient, stubber: Stubber
) -> None:
    stubber.add_response(
        "get_user", get_user_response(legacy_sms=True), {"AccessToken": ACCESS_TOKEN}
    )
    page = " ".join(html.unescape(signed_in.get("/settings/phone").text).split())
    assert "SMS MFA is on." in page
    assert "your sign-in codes go to it, even before it is verified" in page


def test_sms_mfa_on_with_an_unverified_number_is_never_shown_as_simply_protected(
    signed_in: FlaskClient, stubber: Stubber
) -> None:
    stubber.add_response(
        "get_user",
        get_user_response(legacy_sms=True, verified=False),
        {"AccessToken": ACCESS_TOKEN},
    )
    page = html.unescape(signed_in.get("/settings/mfa").text)
    assert "SMS MFA: On" in page
    assert 'data-testid="unverified-warning"' in page
    assert "Your phone number isn't verified." in page
    assert "Verify this number" in page


def test_texts_sent_share_one_budget_across_new_numbers_and_new_codes(tmp_path: Path) -> None:
    """Each text costs money: a new number and "send a new code" draw on the same limit."""
    app = create_app(load_settings(portal_env(tmp_path, RATE_LIMIT_CODES="2 per 10 minutes")))
    client = app.test_client()
    sign_in(client)
    with Stubber(app.extensions["mfa_portal.cognito"].client) as stubber:
        stubber.add_response("get_user", get_user_response(verified=False))
        token = csrf_token(client.get("/settings/phone").text)
        stubber.add_response("update_user_attributes", {})
        number = {"csrf_token": token, "country": "US", "phone_number": "2025550143"}
        assert client.post("/settings/phone", data=number).status_code == 303
        stubber.add_response("get_user", get_user_response(verified=False))
        stubber.add_response("get_user_attribute_verification_code", {})
        assert client.post("/settings/phone/resend", data={"csrf_token": token}).status_code == 303
        assert client.post("/settings/phone/resend", data={"csrf_token": token}).status_code == 429
        refused = client.post("/settings/phone", data=number)
        stubber.assert_no_pending_responses()
    assert refused.status_code == 429
    assert (
        "You can ask for 2 codes in 10 minutes. No code was sent. Try again in about 10 minutes."
        in html.unescape(refused.text)
    )


def test_a_form_refused_before_any_text_spends_nothing(tmp_path: Path) -> None:
    """Bob's typos (empty, letters, too short, premium rate, another country) were each counted
    as a text, and his one valid number then got a 429."""
    env = portal_env(tmp_path, RATE_LIMIT_CODES="1 per 10 minutes", PHONE_ALLOWED_REGIONS="US")
    app = create_app(load_settings(env))
    client = app.test_client()
    sign_in(client)
    with Stubber(app.extensions["mfa_portal.cognito"].client) as stubber:
        stubber.add_response("get_user", get_user_response(verified=False))
        token = csrf_token(client.get("/settings/phone").text)
        for typed in ("", "call me maybe", "(202) 555-01", "+1 900 555 0143", "+44 7400 123456"):
            stubber.add_response("get_user", get_user_response(verified=False))  # shown again
            form = {"csrf_token": token, "country": "US", "phone_number": typed}
            assert client.post("/settings/phone", data=form).status_code == 400, typed
        stubber.add_response("update_user_attributes", {})
        number = {"csrf_token": token, "country": "US", "phone_number": "2025550143"}
        assert client.post("/settings/phone", data=number).status_code == 303
        assert client.post("/settings/phone", data=number).status_code == 429
        stubber.assert_no_pending_responses()


def test_a_new_code_is_not_texted_to_a_number_that_cannot_receive_one(
    signed_in: FlaskClient, stubber: Stubber, cognito_calls: list[str]
) -> None:
    """A premium-rate number saved before the rules (or another way) gets no text."""
    premium = get_user_response(phone="+19005550143", verified=False)
    stubber.add_response("get_user", premium, {"AccessToken": ACCESS_TOKEN})
    token = csrf_token(signed_in.get("/settings/phone/verify").text)
    stubber.add_response("get_user", premium, {"AccessToken": ACCESS_TOKEN})
    response = signed_in.post("/settings/phone/resend", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/settings/phone"
    assert "GetUserAttributeVerificationCode" not in cognito_calls
    stubber.add_response("get_user", premium, {"AccessToken": ACCESS_TOKEN})
    page = html.unescape(signed_in.get("/settings/phone").text)
    assert "That's a premium-rate number: we can only text mobile numbers." in page
    assert "No code was sent: change the number first." in page


def test_the_country_selector_lists_only_the_allowed_countries(tmp_path: Path) -> None:
    env = portal_env(tmp_path, PHONE_ALLOWED_REGIONS="US,CA")
    app = create_app(load_settings(env))
    client = app.test_client()
    sign_in(client)
    with Stubber(app.extensions["mfa_portal.cognito"].client) as stubber:
        stubber.add_response("get_user", get_user_response(verified=False))
        page = client.get("/settings/phone").text
    assert page.count("<option") == 2
    assert '<option selected value="US">United States (+1)</option>' in page
    assert '<option value="CA">Canada (+1)</option>' in page


def _portal(tmp_path: Path, **settings: str) -> tuple[Flask, FlaskClient]:
    app = create_app(load_settings(portal_env(tmp_path, **settings)))
    client = app.test_client()
    sign_in(client)
    return app, client


def test_the_change_page_starts_at_the_default_country(tmp_path: Path) -> None:
    app, client = _portal(tmp_path, PHONE_DEFAULT_REGION="GB")
    with Stubber(app.extensions["mfa_portal.cognito"].client) as stubber:
        stubber.add_response("get_user", get_user_response(phone=None))
        page = client.get("/settings/phone")
    assert page.status_code == 200
    assert '<option selected value="GB">' in page.text


def test_a_voip_number_is_saved_where_the_setting_allows_it(tmp_path: Path) -> None:
    app, client = _portal(tmp_path, PHONE_ALLOW_VOIP="true")
    with Stubber(app.extensions["mfa_portal.cognito"].client) as stubber:
        stubber.add_response("get_user", get_user_response(phone=None))
        token = csrf_token(client.get("/settings/phone").text)
        stubber.add_response(
            "update_user_attributes",
            {"CodeDeliveryDetailsList": []},
            {
                "AccessToken": ACCESS_TOKEN,
                "UserAttributes": [{"Name": "phone_number", "Value": "+445612345678"}],
            },
        )
        response = client.post(
            "/settings/phone",
            data={"csrf_token": token, "country": "GB", "phone_number": "+44 56 1234 5678"},
        )
        stubber.assert_no_pending_responses()
    assert (response.status_code, response.location) == (303, "/settings/phone/verify")


def test_no_new_code_goes_to_a_country_no_longer_allowed(tmp_path: Path) -> None:
    """A number saved before PHONE_ALLOWED_REGIONS was narrowed gets no text, and says why."""
    app, client = _portal(tmp_path, PHONE_ALLOWED_REGIONS="US")
    british = get_user_response(phone="+447400123456", verified=False)
    with Stubber(app.extensions["mfa_portal.cognito"].client) as stubber:
        stubber.add_response("get_user", british)
        token = csrf_token(client.get("/settings/phone/verify").text)
        stubber.add_response("get_user", british)
        response = client.post("/settings/phone/resend", data={"csrf_token": token})
        stubber.assert_no_pending_responses()
    assert (response.status_code, response.location) == (303, "/settings/phone")
    with pytest.raises(PhoneNumberError) as refusal:
        normalise("+447400123456", "US", PhonePolicy(frozenset({"US"})))
    sentence = f"{refusal.value} No code was sent: change the number first."
    assert flashed(client) == [("warning", notice(sentence))]


def test_a_new_code_is_announced_in_the_portals_own_mask(
    signed_in: FlaskClient, stubber: Stubber, caplog: pytest.LogCaptureFixture
) -> None:
    """Carol's verify page once said "+*******0123" beside "+1 ••• ••• 0123", and that earlier
    codes no longer work when none had been sent."""
    carol = get_user_response(phone="+12025550123", verified=False)
    stubber.add_response("get_user", carol, {"AccessToken": ACCESS_TOKEN})
    token = csrf_token(signed_in.get("/settings/phone/verify").text)
    stubber.add_response("get_user", carol, {"AccessToken": ACCESS_TOKEN})
    stubber.add_response(
        "get_user_attribute_verification_code",
        {"CodeDeliveryDetails": {"Destination": "+*******0123", "DeliveryMedium": "SMS"}},
    )
    with caplog.at_level(logging.INFO, logger="mfa_portal.audit"):
        response = signed_in.post("/settings/phone/resend", data={"csrf_token": token})
    assert (response.status_code, response.location) == (303, "/settings/phone/verify")
    assert audited(caplog.records) == [("phone_code_send", "ok", None)]
    assert flashed(signed_in) == [("success", notice("We texted a code to +1 ••• ••• 0123."))]
    stubber.add_response("get_user", carol, {"AccessToken": ACCESS_TOKEN})
    page = html.unescape(signed_in.get("/settings/phone/verify").text)
    assert "We texted a code to +1 ••• ••• 0123." in page
    assert "+*******0123" not in page
    assert "earlier" not in page


def test_a_verified_number_leads_back_to_sms_mfa(signed_in: FlaskClient, stubber: Stubber) -> None:
    stubber.add_response(
        "get_user", get_user_response(verified=False), {"AccessToken": ACCESS_TOKEN}
    )
    token = csrf_token(signed_in.get("/settings/phone/verify").text)
    stubber.add_response(
        "verify_user_attribute",
        {},
        {"AccessToken": ACCESS_TOKEN, "AttributeName": "phone_number", "Code": "123456"},
    )
    response = signed_in.post(
        "/settings/phone/verify", data={"csrf_token": token, "code": " 123456 "}
    )
    assert (response.status_code, response.location) == (303, "/settings/mfa")
    sentence = "Your phone number is verified. You can now turn on SMS MFA."
    assert flashed(signed_in) == [("success", notice(sentence))]


def test_a_new_code_for_no_number_known_names_none(
    signed_in: FlaskClient, stubber: Stubber
) -> None:
    """The number was removed in another tab: whatever Cognito does, the notice names no
    number it can't vouch for."""
    stubber.add_response(
        "get_user", get_user_response(verified=False), {"AccessToken": ACCESS_TOKEN}
    )
    token = csrf_token(signed_in.get("/settings/phone/verify").text)
    stubber.add_response("get_user", get_user_response(phone=None), {"AccessToken": ACCESS_TOKEN})
    stubber.add_response("get_user_attribute_verification_code", {})
    signed_in.post("/settings/phone/resend", data={"csrf_token": token})
    assert flashed(signed_in) == [("success", notice("We texted a code."))]
