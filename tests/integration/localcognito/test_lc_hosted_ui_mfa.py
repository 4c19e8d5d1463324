"""The hosted UI's second step in each pool MFA mode, and the strict /logout mode."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from lc_helpers import CALLBACK, HostedUi, outbox, query_of

from localcognito import totp
from localcognito.seed import default_seed, with_pool_mfa, with_strict_logout, with_totp_user
from localcognito.server import LocalCognito

ALICE_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def started() -> Iterator[list[LocalCognito]]:
    """Stand-ins a test starts with a seed of its own; all stopped afterwards."""
    running: list[LocalCognito] = []
    yield running
    for cognito in running:
        cognito.stop()


def start(started: list[LocalCognito], seed=None, **options) -> LocalCognito:
    cognito = LocalCognito(seed, **options).start()
    started.append(cognito)
    return cognito


def hidden_session(page: str) -> str:
    return page.split('name="session" value="')[1].split('"')[0]


def password_step(browser: HostedUi, username: str, password: str) -> tuple[str, requests.Response]:
    response, _ = browser.authorize()
    login_path = response.headers["Location"]
    page = browser.post_form(login_path, {"username": username, "password": password})
    return urlsplit(login_path).query, page


def assert_signed_in(response: requests.Response) -> None:
    assert response.status_code == 302, response.text
    assert response.headers["Location"].startswith(CALLBACK)
    assert "code" in query_of(response.headers["Location"])


def stand_in_code(cognito: LocalCognito, secret: str) -> str:
    assert cognito.state is not None
    return totp.code_at(secret, cognito.state.totp_clock.now())


def test_off_pool_signs_in_without_a_second_step(started):
    seed = default_seed()
    seed["users"][0]["mfa_options"] = [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    cognito = start(started, with_totp_user(seed, "alice", ALICE_SECRET), pool_mfa="off")
    _, page = password_step(HostedUi(cognito), "alice", "Alice-Passw0rd!")
    assert_signed_in(page)


def test_required_pool_texts_a_verified_phone(started):
    cognito = start(started, with_pool_mfa(default_seed(), "required"))
    browser = HostedUi(cognito)
    query, page = password_step(browser, "alice", "Alice-Passw0rd!")
    assert "We texted a code to" in page.text
    code = outbox(cognito, username="alice")[-1]["code"]
    answer = browser.post_form(
        f"/mfa?{query}", {"session": hidden_session(page.text), "code": code}
    )
    assert_signed_in(answer)


def test_authenticator_step_takes_each_code_once(started):
    cognito = start(started, with_totp_user(default_seed(), "alice", ALICE_SECRET))
    browser = HostedUi(cognito)
    query, page = password_step(browser, "alice", "Alice-Passw0rd!")
    assert "authenticator app" in page.text
    code = stand_in_code(cognito, ALICE_SECRET)
    wrong = browser.post_form(
        f"/mfa?{query}", {"session": hidden_session(page.text), "code": "abcdef"}
    )
    assert wrong.status_code == 400
    assert "Invalid code" in wrong.text
    assert_signed_in(
        browser.post_form(f"/mfa?{query}", {"session": hidden_session(wrong.text), "code": code})
    )

    again = HostedUi(cognito)
    query, page = password_step(again, "alice", "Alice-Passw0rd!")
    reused = again.post_form(f"/mfa?{query}", {"session": hidden_session(page.text), "code": code})
    assert reused.status_code == 400
    assert "already used" in reused.text


def test_two_factors_without_preference_let_the_user_choose(started):
    seed = with_totp_user(default_seed(), "alice", ALICE_SECRET, preferred=False)
    seed["users"][0]["sms_mfa_enabled"] = True
    cognito = start(started, seed)
    browser = HostedUi(cognito)
    query, page = password_step(browser, "alice", "Alice-Passw0rd!")
    assert "Choose how to verify" in page.text
    assert 'value="SMS_MFA"' in page.text
    assert 'value="SOFTWARE_TOKEN_MFA"' in page.text
    chosen = browser.post_form(
        f"/mfa/select?{query}", {"session": hidden_session(page.text), "factor": "SMS_MFA"}
    )
    assert "We texted a code to" in chosen.text
    code = outbox(cognito, username="alice")[-1]["code"]
    assert_signed_in(
        browser.post_form(f"/mfa?{query}", {"session": hidden_session(chosen.text), "code": code})
    )


def test_required_pool_sets_up_an_authenticator_for_a_user_without_phone(started):
    cognito = start(started, pool_mfa="required")
    browser = HostedUi(cognito)
    query, page = password_step(browser, "bob", "Bob-Passw0rd!")
    assert "Set up an authenticator app" in page.text
    secret = page.text.split('<code id="secret">')[1].split("<")[0]
    assert f"secret={secret}" in page.text
    answer = browser.post_form(
        f"/mfa/setup?{query}",
        {"session": hidden_session(page.text), "code": stand_in_code(cognito, secret)},
    )
    assert_signed_in(answer)

    requests.post(f"{cognito.url}/_local/clock", json={"advance_seconds": 30}, timeout=5)
    _, next_time = password_step(HostedUi(cognito), "bob", "Bob-Passw0rd!")
    assert "Enter the code from your authenticator app" in next_time.text


def test_a_pool_without_authenticator_apps_cannot_set_one_up(started):
    seed = with_pool_mfa(default_seed(), "required", software_token=False)
    cognito = start(started, seed)
    _, page = password_step(HostedUi(cognito), "bob", "Bob-Passw0rd!")
    assert page.status_code == 400
    assert "Ask your administrator" in page.text


def claims_of(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def relogin_through_logout(cognito: LocalCognito) -> tuple[dict[str, str], requests.Response]:
    """Sign in, then /logout with a fresh authorize request (as the portal's re-sign-in does)."""
    browser = HostedUi(cognito)
    browser.sign_in("alice")
    params = browser.authorize_params()
    response = browser.get("/logout", **params)
    assert response.status_code == 302
    login_path = response.headers["Location"]
    page = browser.post_form(login_path, {"username": "alice", "password": "Alice-Passw0rd!"})
    assert_signed_in(page)
    code = query_of(page.headers["Location"])["code"]
    tokens = browser.token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": browser.verifier,
        }
    )
    return query_of(login_path) | {"nonce_sent": params["nonce"]}, tokens


def test_logout_carries_pkce_and_nonce_by_default(started):
    cognito = start(started)
    login_query, tokens = relogin_through_logout(cognito)
    assert login_query["code_challenge"]
    assert login_query["nonce"] == login_query["nonce_sent"]
    assert claims_of(tokens.json()["id_token"])["nonce"] == login_query["nonce_sent"]


def test_strict_logout_drops_what_cognito_does_not_document(started):
    cognito = start(started, with_strict_logout(default_seed()))
    login_query, tokens = relogin_through_logout(cognito)
    assert set(login_query) - {"nonce_sent"} == {
        "client_id",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
    }
    assert tokens.status_code == 200, tokens.text
    assert "nonce" not in claims_of(tokens.json()["id_token"])


def test_strict_logout_is_also_a_constructor_option(started):
    cognito = start(started, strict_logout_params=True)
    assert cognito.seed["user_pool"]["strict_logout_params"] is True
    required = start(started, pool_mfa="required")
    assert required.seed["user_pool"]["mfa_configuration"] == "ON"
    assert required.pool_mfa == "required"
    assert cognito.pool_mfa == "optional"
