"""The hosted UI and OAuth 2.0 endpoints, driven with plain HTTP (requests)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import requests
from joserfc import jwt
from joserfc.jwk import KeySet
from lc_helpers import CALLBACK, HostedUi, outbox, query_of

SMS = {"DeliveryMedium": "SMS", "AttributeName": "phone_number"}


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_discovery_and_jwks_match_the_tokens(cognito, browser):
    discovery = requests.get(
        f"{cognito.url}/{cognito.pool_id}/.well-known/openid-configuration", timeout=5
    ).json()
    assert discovery["issuer"] == cognito.issuer == f"{cognito.url}/{cognito.pool_id}"
    assert discovery["authorization_endpoint"] == f"{cognito.url}/oauth2/authorize"
    assert discovery["token_endpoint"] == f"{cognito.url}/oauth2/token"
    assert discovery["userinfo_endpoint"] == f"{cognito.url}/oauth2/userInfo"
    assert discovery["revocation_endpoint"] == f"{cognito.url}/oauth2/revoke"
    assert discovery["end_session_endpoint"] == f"{cognito.url}/logout"
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    assert discovery["response_types_supported"] == ["code"]
    assert discovery["subject_types_supported"] == ["public"]
    assert discovery["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(discovery["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
    }
    keys = KeySet.import_key_set(requests.get(discovery["jwks_uri"], timeout=5).json())

    tokens = browser.tokens_for("alice")
    for name in ("access_token", "id_token"):
        decoded = jwt.decode(tokens[name], keys, algorithms=["RS256"])
        assert decoded.header["kid"]
        assert decoded.claims["iss"] == cognito.issuer


def test_unknown_pool_discovery_is_404(cognito):
    response = requests.get(
        f"{cognito.url}/us-east-1_Nope/.well-known/openid-configuration", timeout=5
    )
    assert response.status_code == 404


def test_code_flow_with_pkce(cognito, browser, idp):
    authorization = browser.sign_in("alice")
    response = browser.exchange(authorization)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    id_claims = claims_of(tokens["id_token"])
    assert id_claims["aud"] == cognito.client_id
    assert id_claims["nonce"] == authorization.nonce
    assert id_claims["token_use"] == "id"
    assert id_claims["cognito:username"] == "alice"
    assert id_claims["email"] == "alice@example.com"
    assert id_claims["email_verified"] is True
    assert id_claims["phone_number"] == "+12025550100"
    assert abs(id_claims["auth_time"] - time.time()) < 60
    access_claims = claims_of(tokens["access_token"])
    assert set(access_claims["scope"].split()) == {
        "openid",
        "email",
        "phone",
        "aws.cognito.signin.user.admin",
    }
    assert idp.get_user(AccessToken=tokens["access_token"])["Username"] == "alice"


def test_form_client_secret_and_public_client(cognito):
    confidential = HostedUi(cognito)
    response = confidential.token(
        {
            "grant_type": "authorization_code",
            "code": (auth := confidential.sign_in("bob")).code,
            "redirect_uri": CALLBACK,
            "code_verifier": auth.verifier,
        },
        basic=False,
    )
    assert response.status_code == 200, response.text

    public = HostedUi(cognito, client_id="mfaportalpublicclient00001")
    response = public.exchange(public.sign_in("bob"))
    assert response.status_code == 200, response.text


def test_wrong_client_secret_is_invalid_client(browser):
    authorization = browser.sign_in("alice")
    data = {
        "grant_type": "authorization_code",
        "code": authorization.code,
        "redirect_uri": CALLBACK,
        "code_verifier": authorization.verifier,
    }
    basic = browser.token(data, secret="wrong")
    assert basic.status_code == 401
    assert basic.json()["error"] == "invalid_client"
    post = browser.token(data, basic=False, secret="wrong")
    assert post.status_code == 400
    assert post.json()["error"] == "invalid_client"
    assert browser.exchange(authorization).status_code == 200


def test_pkce_failure_is_invalid_grant(browser):
    authorization = browser.sign_in("alice")
    response = browser.exchange(authorization, code_verifier="x" * 50)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    missing = browser.exchange(authorization, code_verifier="")
    assert missing.json()["error"] == "invalid_grant"


def test_code_is_single_use_and_reuse_revokes_tokens(browser, idp):
    authorization = browser.sign_in("alice")
    first = browser.exchange(authorization)
    assert first.status_code == 200
    second = browser.exchange(authorization)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    refreshed = browser.token(
        {"grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"]}
    )
    assert refreshed.json()["error"] == "invalid_grant"


def test_expired_code_is_invalid_grant(cognito, browser):
    authorization = browser.sign_in("alice")
    cognito.state.authorization_codes[authorization.code].expires_at = time.time() - 1
    response = browser.exchange(authorization)
    assert response.json()["error"] == "invalid_grant"


def test_token_redirect_uri_must_match(browser):
    authorization = browser.sign_in("alice")
    response = browser.exchange(authorization, redirect_uri="http://localhost:8000/auth/callback")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_token_endpoint_errors(browser):
    assert browser.token({}).json()["error"] == "invalid_request"
    assert browser.token({"grant_type": "password"}).json()["error"] == "unsupported_grant_type"
    assert browser.token({"grant_type": "client_credentials"}).json()["error"] == (
        "unauthorized_client"
    )
    bogus = browser.token(
        {"grant_type": "authorization_code", "code": "nope", "redirect_uri": CALLBACK}
    )
    assert bogus.status_code == 400
    assert bogus.json()["error"] == "invalid_grant"
    assert "Traceback" not in bogus.text


def test_authorize_rejects_unregistered_redirect_uri_without_redirecting(browser):
    response, _ = browser.authorize(redirect_uri="http://evil.example/callback")
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_authorize_rejects_unknown_client(browser):
    response, _ = browser.authorize(client_id="nosuchclient")
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_authorize_errors_go_back_to_the_client(browser):
    response, params = browser.authorize(response_type="token")
    query = query_of(response.headers["Location"])
    assert query["error"] == "unsupported_response_type"
    assert query["state"] == params["state"]

    response, _ = browser.authorize(scope="openid admin:everything")
    assert query_of(response.headers["Location"])["error"] == "invalid_scope"

    response, _ = browser.authorize(code_challenge_method="plain")
    assert query_of(response.headers["Location"])["error"] == "invalid_request"


def test_authorize_redirects_to_login_with_the_request(cognito, browser):
    response, params = browser.authorize()
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/login?")
    query = query_of(location)
    assert query["client_id"] == params["client_id"]
    assert query["state"] == params["state"]


def test_login_page_markup(cognito, browser):
    response, _ = browser.authorize()
    page = browser.http.get(f"{cognito.url}{response.headers['Location']}", timeout=5)
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert '<label for="username">Username</label>' in page.text
    assert '<label for="password">Password</label>' in page.text
    assert '<input id="password" type="password" name="password"' in page.text
    assert '<button type="submit">Sign in</button>' in page.text
    assert "<script" not in page.text


def test_wrong_password_shows_message(cognito, browser):
    response, _ = browser.authorize()
    page = browser.post_form(
        response.headers["Location"], {"username": "alice", "password": "wrong"}
    )
    assert page.status_code in (200, 400)
    assert "Incorrect username or password." in page.text


def test_hosted_ui_sms_step_with_wrong_then_right_code(cognito, browser, idp, access_token):
    idp.set_user_settings(AccessToken=access_token("alice"), MFAOptions=[SMS])
    response, params = browser.authorize()
    login_path = response.headers["Location"]
    page = browser.post_form(login_path, {"username": "alice", "password": "Alice-Passw0rd!"})
    assert page.status_code == 200
    assert "We texted a code to" in page.text
    assert "0100" in page.text and "+12025550100" not in page.text
    assert '<label for="code">Code</label>' in page.text
    assert 'autocomplete="one-time-code"' in page.text
    assert '<button type="submit">Verify</button>' in page.text
    session = page.text.split('name="session" value="')[1].split('"')[0]
    code = outbox(cognito, username="alice", purpose="sms_mfa")[-1]["code"]
    mfa_path = "/mfa?" + login_path.split("?", 1)[1]

    wrong = browser.post_form(
        mfa_path, {"session": session, "code": "999999" if code != "999999" else "111111"}
    )
    assert wrong.status_code in (200, 400)
    assert "Invalid code received for user" in wrong.text

    right = browser.post_form(mfa_path, {"session": session, "code": code})
    assert right.status_code == 302
    assert query_of(right.headers["Location"])["state"] == params["state"]


def test_session_cookie_skips_password_and_prompt_login_forces_it(cognito, browser):
    first = browser.sign_in("alice")
    assert "cognito" in browser.http.cookies
    assert "session" not in browser.http.cookies
    first_tokens = browser.exchange(first).json()

    response, _ = browser.authorize()
    assert response.headers["Location"].startswith(CALLBACK)
    silent = browser._authorization(
        response.headers["Location"],
        {"state": query_of(response.headers["Location"])["state"], "nonce": ""},
    )
    silent_tokens = browser.exchange(silent).json()
    assert (
        claims_of(silent_tokens["id_token"])["auth_time"]
        == claims_of(first_tokens["id_token"])["auth_time"]
    )

    forced, _ = browser.authorize(prompt="login")
    assert forced.headers["Location"].startswith("/login?")


def test_classic_hosted_ui_ignores_prompt_login():
    from localcognito.server import LocalCognito

    with LocalCognito({"user_pool": {"classic": True}}) as classic:
        browser = HostedUi(classic)
        browser.sign_in("alice")
        response, _ = browser.authorize(prompt="login")
        assert response.headers["Location"].startswith(CALLBACK)


def test_refresh_keeps_auth_time_and_drops_nonce(browser, idp):
    tokens = browser.tokens_for("alice")
    time.sleep(1.1)
    refreshed = browser.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    assert "refresh_token" not in body
    old, new = claims_of(tokens["id_token"]), claims_of(body["id_token"])
    assert new["auth_time"] == old["auth_time"]
    assert "nonce" not in new
    assert new["iat"] > old["iat"]
    assert idp.get_user(AccessToken=body["access_token"])["Username"] == "alice"


def test_userinfo(cognito, browser):
    tokens = browser.tokens_for("alice")
    response = requests.get(
        f"{cognito.url}/oauth2/userInfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=5,
    )
    assert response.status_code == 200
    info = response.json()
    assert info["username"] == "alice"
    assert info["email"] == "alice@example.com"
    assert info["phone_number"] == "+12025550100"
    bad = requests.get(
        f"{cognito.url}/oauth2/userInfo", headers={"Authorization": "Bearer nope"}, timeout=5
    )
    assert bad.status_code == 401
    assert bad.json()["error"] == "invalid_token"


def test_forgot_password_page(cognito, browser):
    page = browser.get("/forgotPassword", client_id=cognito.client_id, redirect_uri=CALLBACK)
    assert page.status_code == 200
    assert '<label for="username">Username</label>' in page.text


def test_a_backdated_sign_in_carries_an_older_auth_time_once(cognito):
    refused = requests.post(
        f"{cognito.url}/_local/sign-ins/backdate", json={"username": "alice"}, timeout=5
    )
    assert refused.status_code == 400
    requests.post(
        f"{cognito.url}/_local/sign-ins/backdate",
        json={"username": "alice", "seconds": 3600},
        timeout=5,
    ).raise_for_status()
    browser = HostedUi(cognito)
    backdated = claims_of(browser.exchange(browser.sign_in("alice")).json()["id_token"])
    assert abs(backdated["auth_time"] - (time.time() - 3600)) < 60
    again = HostedUi(cognito)
    fresh = claims_of(again.exchange(again.sign_in("alice")).json()["id_token"])
    assert abs(fresh["auth_time"] - time.time()) < 60, "only the next sign-in"
