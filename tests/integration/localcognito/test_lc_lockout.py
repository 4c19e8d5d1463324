"""Wrong MFA codes lock the user out as Cognito documents (see ``localcognito.lockout``), at the
hosted UI and through the API, on a clock the test moves (no waiting)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
import requests
from lc_helpers import CALLBACK, HostedUi, outbox, secret_hash

from localcognito.lockout import (
    LOCKED_OUT_MESSAGE,
    QUIET_SECONDS_THAT_RESET,
    SignInLockout,
    lockout_seconds,
)
from localcognito.seed import default_seed
from localcognito.server import LocalCognito

SMS_ON = [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
PASSWORD = "Alice-Passw0rd!"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cognito(clock: Clock) -> Iterator[LocalCognito]:
    seed = default_seed()
    seed["users"][0]["mfa_options"] = SMS_ON
    stand_in = LocalCognito(seed).start()
    assert stand_in.state is not None
    stand_in.state.lockout.clock = clock
    yield stand_in
    stand_in.stop()


def hidden_session(page: str) -> str:
    return page.split('name="session" value="')[1].split('"')[0]


def password_step(browser: HostedUi) -> tuple[str, requests.Response]:
    response, _ = browser.authorize()
    login_path = response.headers["Location"]
    page = browser.post_form(login_path, {"username": "alice", "password": PASSWORD})
    return login_path.replace("/login?", "", 1), page


def wrong_code(cognito: LocalCognito) -> str:
    right = outbox(cognito, username="alice")[-1]["code"]
    return "000000" if right != "000000" else "111111"


def test_the_durations_are_cognitos():
    assert [lockout_seconds(n) for n in range(1, 8)] == [0, 0, 0, 0, 1, 2, 4]
    assert lockout_seconds(15) == 15 * 60, "2^10 s is capped at about 15 minutes"


def test_five_wrong_codes_lock_the_hosted_ui_sign_in_out(cognito: LocalCognito, clock: Clock):
    browser = HostedUi(cognito)
    query, page = password_step(browser)
    for attempt in range(4):
        page = browser.post_form(
            f"/mfa?{query}", {"session": hidden_session(page.text), "code": wrong_code(cognito)}
        )
        assert page.status_code == 400
        assert "Invalid code received for user" in page.text, attempt
    page = browser.post_form(
        f"/mfa?{query}", {"session": hidden_session(page.text), "code": wrong_code(cognito)}
    )
    assert page.status_code == 400
    assert LOCKED_OUT_MESSAGE in page.text
    assert 'name="password"' in page.text, "the sign-in starts over, at the password"

    _, again = password_step(browser)
    assert LOCKED_OUT_MESSAGE in again.text, "even the right password, while locked out"
    assert "We texted a code to" not in again.text

    clock.now += lockout_seconds(5)
    query, page = password_step(browser)
    assert "We texted a code to" in page.text
    page = browser.post_form(
        f"/mfa?{query}", {"session": hidden_session(page.text), "code": wrong_code(cognito)}
    )
    assert LOCKED_OUT_MESSAGE in page.text, "the sixth wrong code locks out again, for longer"
    clock.now += lockout_seconds(6) - 1
    assert LOCKED_OUT_MESSAGE in password_step(browser)[1].text
    clock.now += 1

    query, page = password_step(browser)
    right = outbox(cognito, username="alice")[-1]["code"]
    signed_in = browser.post_form(
        f"/mfa?{query}", {"session": hidden_session(page.text), "code": right}
    )
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"].startswith(CALLBACK)
    assert cognito.state is not None
    assert not cognito.state.lockout.is_locked("alice")


def test_the_api_answers_password_attempts_exceeded(cognito: LocalCognito, clock: Clock):
    idp = boto3.client("cognito-idp", endpoint_url=cognito.url, region_name=cognito.region)
    client_id = cognito.client_id
    hashed = {"SECRET_HASH": secret_hash(cognito, "alice")}

    def start() -> str:
        response = idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD, **hashed},
        )
        assert response["ChallengeName"] == "SMS_MFA"
        return response["Session"]

    def answer(session: str, code: str) -> None:
        idp.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="SMS_MFA",
            Session=session,
            ChallengeResponses={"USERNAME": "alice", "SMS_MFA_CODE": code, **hashed},
        )

    session = start()
    for _ in range(5):
        with pytest.raises(idp.exceptions.CodeMismatchException):
            answer(session, wrong_code(cognito))
    with pytest.raises(idp.exceptions.NotAuthorizedException, match=LOCKED_OUT_MESSAGE):
        start()
    clock.now += lockout_seconds(5)
    assert start()


def test_fifteen_quiet_minutes_start_the_count_over(clock: Clock):
    lockout = SignInLockout(clock)
    for _ in range(5):
        lockout.wrong_code("alice")
    assert lockout.is_locked("alice")
    clock.now += QUIET_SECONDS_THAT_RESET
    lockout.check("alice")
    lockout.wrong_code("alice")
    assert not lockout.is_locked("alice"), "one wrong code after the reset is the first again"


def test_attempts_while_locked_out_do_not_lengthen_it(clock: Clock):
    lockout = SignInLockout(clock)
    for _ in range(6):
        lockout.wrong_code("alice")
    for _ in range(3):
        with pytest.raises(Exception, match=LOCKED_OUT_MESSAGE):
            lockout.check("alice")
    clock.now += lockout_seconds(6)
    lockout.check("alice")
