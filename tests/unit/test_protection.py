"""The MFA page tells the truth in every pool MFA mode, with and without an authenticator app."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from app import create_app
from app.cognito import MfaStatus
from app.config import ConfigError, load_settings
from app.errors import lookup
from app.protection import PoolMfa, Stage, describe
from tests.support.unit import ACCESS_TOKEN, csrf_token, get_user_response, portal_env, sign_in

PHONE = "+1 ••• ••• 0100"


def status(
    *,
    sms: bool = False,
    totp: bool = False,
    preferred: str | None = None,
    phone: str | None = "+12025550100",
    verified: bool = True,
) -> MfaStatus:
    return MfaStatus(
        username="alice",
        email=None,
        phone_number=phone,
        phone_verified=verified,
        sms_mfa_enabled=sms,
        totp_enabled=totp,
        preferred_mfa=preferred,
    )


CASES = [
    # pool, account, stage, badge, the next sign-in (a part of the sentence)
    (PoolMfa.OFF, status(sms=True), Stage.UNAVAILABLE, "Not available", "isn't available"),
    (PoolMfa.OFF, status(), Stage.UNAVAILABLE, "Not available", "doesn't use a second step"),
    (PoolMfa.OPTIONAL, status(), Stage.OFF, "Off", "password only"),
    (PoolMfa.OPTIONAL, status(sms=True), Stage.ON, "On", f"we text a code to {PHONE}"),
    (PoolMfa.OPTIONAL, status(phone=None), Stage.NEEDS_PHONE, "Off", "password only"),
    (PoolMfa.OPTIONAL, status(verified=False), Stage.NEEDS_VERIFICATION, "Off", "password only"),
    (PoolMfa.OPTIONAL, status(totp=True), Stage.OFF, "Off", "code from your authenticator app"),
    (
        PoolMfa.OPTIONAL,
        status(sms=True, totp=True, preferred="SOFTWARE_TOKEN_MFA"),
        Stage.ON,
        "On",
        "the app is what sign-in asks for",
    ),
    (
        PoolMfa.OPTIONAL,
        status(sms=True, totp=True, preferred="SMS_MFA"),
        Stage.ON,
        "On",
        f"we text a code to {PHONE}",
    ),
    (PoolMfa.OPTIONAL, status(sms=True, totp=True), Stage.ON, "On", "you choose"),
    (PoolMfa.REQUIRED, status(sms=True), Stage.ON_REQUIRED, "On", "requires a second step"),
    # A verified number is texted in a required pool even with SMS MFA "off" (amplify-js #11258).
    (PoolMfa.REQUIRED, status(), Stage.ON_REQUIRED, "On", f"we text a code to {PHONE}"),
    (PoolMfa.REQUIRED, status(phone=None), Stage.NEEDS_PHONE, "Off", "you'll be asked to at"),
    (
        PoolMfa.REQUIRED,
        status(totp=True, phone=None),
        Stage.NEEDS_PHONE,
        "Off",
        "code from your authenticator app",
    ),
]


@pytest.mark.parametrize(("pool", "account", "stage", "badge", "sentence"), CASES)
def test_each_pool_mode_and_account(pool, account, stage, badge, sentence) -> None:
    protection = describe(account, pool, PHONE)
    assert protection.stage == stage
    assert protection.badge == f"SMS MFA: {badge}"
    assert sentence in protection.next_sign_in
    if pool == PoolMfa.REQUIRED:
        assert protection.next_sign_in.startswith("Your organisation requires a second step")
    if account.totp_enabled or pool != PoolMfa.OPTIONAL:
        assert "password only" not in protection.next_sign_in
    assert protection.can_turn_off is (stage == Stage.ON)
    assert protection.can_turn_on is (stage == Stage.OFF)


OFF_POOL = (
    "Your organisation's sign-in doesn't use a second step, so SMS MFA isn't available for this "
    "account. Your account is protected by your password."
)
REQUIRES = "Your organisation requires a second step at every sign-in. "
APP = "When you sign in, we ask for a code from your authenticator app."
APP_OVER_SMS = (
    f"{APP} SMS MFA is on too, but the app is what sign-in asks for: it's your preferred method."
)
TEXT = f"When you sign in, we text a code to {PHONE} after your password."
CHOICE = (
    f"When you sign in, you choose: a code from your authenticator app, or one we text to {PHONE}."
)
PASSWORD_ONLY = "Your account is protected by your password only."

WHOLE_SENTENCES = [
    # pool, account, texted?, asked first, the whole sentence the page shows
    (PoolMfa.OFF, status(sms=True), False, None, OFF_POOL),
    (PoolMfa.OFF, status(sms=True, totp=True), False, None, OFF_POOL),
    (PoolMfa.OPTIONAL, status(), False, None, PASSWORD_ONLY),
    (PoolMfa.OPTIONAL, status(phone=None), False, None, PASSWORD_ONLY),
    (PoolMfa.OPTIONAL, status(sms=True), True, "text message", TEXT),
    (PoolMfa.OPTIONAL, status(totp=True), False, "authenticator app", APP),
    (
        PoolMfa.OPTIONAL,
        status(sms=True, totp=True, preferred="SOFTWARE_TOKEN_MFA"),
        True,
        "authenticator app",
        APP_OVER_SMS,
    ),
    (
        PoolMfa.OPTIONAL,
        status(sms=True, totp=True, preferred="SMS_MFA"),
        True,
        "text message",
        TEXT,
    ),
    (PoolMfa.OPTIONAL, status(sms=True, totp=True), True, "your choice", CHOICE),
    (PoolMfa.REQUIRED, status(), True, "text message", REQUIRES + TEXT),
    (PoolMfa.REQUIRED, status(totp=True, phone=None), False, "authenticator app", REQUIRES + APP),
    # SMS MFA "off", but a required pool texts a verified number: the app is still what's asked.
    (
        PoolMfa.REQUIRED,
        status(totp=True, preferred="SOFTWARE_TOKEN_MFA"),
        True,
        "authenticator app",
        REQUIRES + APP_OVER_SMS,
    ),
    (
        PoolMfa.REQUIRED,
        status(phone=None),
        False,
        None,
        REQUIRES + "If you haven't set one up yet, you'll be asked to at your next sign-in.",
    ),
]


@pytest.mark.parametrize(("pool", "account", "texted", "first", "sentence"), WHOLE_SENTENCES)
def test_the_next_sign_in_is_said_in_whole(pool, account, texted, first, sentence) -> None:
    """The words a person reads about their next sign-in, to the letter: a fragment that goes
    missing or changes case is a sentence that no longer says what Cognito will do."""
    protection = describe(account, pool, PHONE)
    assert protection.next_sign_in == sentence
    assert protection.sms_on is texted
    assert protection.asks_first == first


# --- through the page --------------------------------------------------------------------


def app_for(tmp_path: Any, pool: str) -> Flask:
    return create_app(load_settings(portal_env(tmp_path, COGNITO_POOL_MFA=pool)))


def page(client: FlaskClient, stubber: Any, **user: Any) -> str:
    stubber.add_response("get_user", get_user_response(**user), {"AccessToken": ACCESS_TOKEN})
    return client.get("/settings/mfa").text


@pytest.fixture
def required(tmp_path: Any) -> Flask:
    return app_for(tmp_path, "required")


@pytest.fixture
def pool_off(tmp_path: Any) -> Flask:
    return app_for(tmp_path, "off")


def stubbed(app: Flask) -> Stubber:
    return Stubber(app.extensions["mfa_portal.cognito"].client)


def calls(app: Flask) -> list[str]:
    names: list[str] = []
    app.extensions["mfa_portal.cognito"].client.meta.events.register(
        "before-parameter-build.cognito-idp", lambda model, **_: names.append(model.name)
    )
    return names


def test_a_required_pool_never_offers_an_off_that_would_not_take_effect(required) -> None:
    client = required.test_client()
    sign_in(client)
    made = calls(required)
    with stubbed(required) as stub:
        text = page(client, stub, legacy_sms=True)
        assert "Turn off SMS MFA" not in text
        assert "requires a second step" in text
        forged = client.post(
            "/settings/mfa",
            data={"csrf_token": csrf_token(text), "enable": "off", "confirmed": "yes"},
        )
        assert forged.status_code == 303
        assert made == ["GetUser"], "Cognito was never asked to turn it off"
        text = page(client, stub, legacy_sms=True)
    assert str(escape(lookup("InvalidParameterException", "disable_sms_mfa").summary)) in text


def test_a_pool_without_mfa_offers_nothing_to_turn_on(pool_off) -> None:
    client = pool_off.test_client()
    sign_in(client)
    made = calls(pool_off)
    with stubbed(pool_off) as stub:
        text = page(client, stub)
        assert "SMS MFA: Not available" in text
        assert "Turn on SMS MFA" not in text
        forged = client.post("/settings/mfa", data={"csrf_token": csrf_token(text), "enable": "on"})
        assert forged.status_code == 303
        assert made == ["GetUser"]


def test_with_an_authenticator_app_turning_sms_off_says_the_app_still_protects(
    signed_in, stubber
) -> None:
    user = {"legacy_sms": True, "mfa_settings": ["SOFTWARE_TOKEN_MFA"]}
    text = page(signed_in, stubber, **user)
    assert "Authenticator app" in text
    stubber.add_response("get_user", get_user_response(**user), {"AccessToken": ACCESS_TOKEN})
    confirm = signed_in.post(
        "/settings/mfa", data={"csrf_token": csrf_token(text), "enable": "off"}
    )
    assert "Your authenticator app will still protect your account" in confirm.text
    assert "anyone who learns your password" not in confirm.text


@pytest.mark.parametrize("value", ["sometimes", "on", "1"])
def test_the_pool_mode_setting_is_validated(tmp_path, value: str) -> None:
    """Cognito's own word for required ("ON") is not one of ours: the error says which are."""
    with pytest.raises(ConfigError, match="COGNITO_POOL_MFA"):
        load_settings(portal_env(tmp_path, COGNITO_POOL_MFA=value))


def test_the_pool_mode_defaults_to_optional(tmp_path) -> None:
    assert load_settings(portal_env(tmp_path)).pool_mfa == "optional"
