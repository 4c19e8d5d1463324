"""Bad ID tokens are refused by Authlib's real verification (signature via JWKS, ``iss``, ``aud``,
``exp``, ``nonce``): a clear message, nobody signed in, an operator log line, never a 500."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import RSAKey

from app.errors import lookup
from app.notices import notice
from tests.support.unit import ACCESS_TOKEN, CLIENT_ID, flashed, sign_in

SIGNING_KEY = RSAKey.generate_key(2048, parameters={"kid": "pool-key"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "pool-key"})


@pytest.fixture
def token_endpoint(app: Flask, oauth_metadata: dict[str, Any], monkeypatch) -> dict[str, Any]:
    """The pool's JWKS holds SIGNING_KEY; the token endpoint answers with ``answer['id_token']``
    and keeps what each token request carried in ``answer['asked']``."""
    client = app.extensions["mfa_portal.oauth"].cognito
    client.server_metadata["jwks"] = {"keys": [SIGNING_KEY.as_dict(private=False)]}
    answer: dict[str, Any] = {"asked": []}

    def fetch_access_token(**kwargs: Any) -> dict[str, Any]:
        answer["asked"].append(kwargs)
        return {
            "access_token": ACCESS_TOKEN,
            "refresh_token": "refresh-token",
            "id_token": answer["id_token"],
            "token_type": "Bearer",
            "expires_in": 3600,
        }

    monkeypatch.setattr(client, "fetch_access_token", fetch_access_token)
    return answer


def state_and_nonce(location: str) -> tuple[str, str]:
    """The state and nonce of a sign-in the portal sends to the hosted UI."""
    query = parse_qs(urlsplit(location).query)
    return query["state"][0], query["nonce"][0]


def start_sign_in(client: FlaskClient, url: str = "/login") -> tuple[str, str]:
    """GET /login: the state in the redirect, and the nonce the portal keeps for it."""
    return state_and_nonce(client.get(url).headers["Location"])


def id_token(app: Flask, expected_nonce: str, *, key: RSAKey = SIGNING_KEY, **changes: Any) -> str:
    settings = app.extensions["mfa_portal.settings"]
    now = int(time.time())
    claims = {
        "sub": "sub-alice",
        "cognito:username": "alice",
        "iss": settings.issuer,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 3600,
        "auth_time": now,
        "nonce": expected_nonce,
        "token_use": "id",
    }
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode({"alg": "RS256", "kid": "pool-key"}, claims, key)


def test_a_well_formed_id_token_signs_in(app, client, token_endpoint) -> None:
    state, nonce = start_sign_in(client)
    token_endpoint["id_token"] = id_token(app, nonce)
    response = client.get(f"/auth/callback?code=c&state={state}")
    assert response.status_code == 303
    with client.session_transaction() as session:
        assert session["user"]["sub"] == "sub-alice"


FORGED = {
    "signed with another key": ({"key": OTHER_KEY}, "bad_signature", ""),
    "another issuer": (
        {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Evil"},
        "invalid_claim",
        "Invalid claim: 'iss'",
    ),
    "no issuer": ({"iss": None}, "missing_claim", "Missing claim: 'iss'"),
    "no audience": ({"aud": None}, "missing_claim", "Missing claim: 'aud'"),
    "another audience": (
        {"aud": "someoneelsesclient00000001"},
        "invalid_claim",
        "Invalid claim: 'aud'",
    ),
    # Authlib alone would let this one through: it checks ``aud`` only when told to.
    "another audience, the portal as its authorized party": (
        {"aud": "someoneelsesclient00000001", "azp": CLIENT_ID},
        "invalid_claim",
        "Invalid claim: 'aud'",
    ),
    # Authlib accepts a list that holds the client besides others; OIDC says refuse it.
    "another audience besides the portal's": (
        {"aud": [CLIENT_ID, "someoneelsesclient00000001"], "azp": CLIENT_ID},
        "invalid_claim",
        "Invalid claim: 'aud'",
    ),
    # Claims Authlib lets through or trips over (a 500 before): refused like any other.
    "auth_time infinite": (
        {"auth_time": float("inf")},
        "invalid_claim",
        "Invalid claim: 'auth_time'",
    ),
    "auth_time not a number": (
        {"auth_time": float("nan")},
        "invalid_claim",
        "Invalid claim: 'auth_time'",
    ),
    "at_hash not a string": (
        {"at_hash": {"a": 1}},
        "decode_error",
        "malformed ID token (TypeError)",
    ),
    "expired": (
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
        "expired_token",
        "The token is expired",
    ),
    "another nonce": ({"nonce": "not-the-nonce"}, "invalid_claim", "Invalid claim: 'nonce'"),
    "no nonce": ({"nonce": None}, "missing_claim", "Missing claim: 'nonce'"),
}


def refusals(records: list[logging.LogRecord]) -> list[tuple[Any, ...]]:
    """The portal's lines about the sign-in: level, message, outcome, error and reason."""
    return [
        (r.levelname, r.getMessage(), r.outcome, r.error, r.reason)
        for r in records
        if r.name == "app.auth" and r.event == "sign_in"
    ]


def audited_sign_ins(records: list[logging.LogRecord]) -> list[tuple[Any, ...]]:
    return [
        (r.event, r.outcome, r.error, r.reauthentication, r.sub)
        for r in records
        if getattr(r, "audit", False)
    ]


@pytest.mark.parametrize(("changes", "error", "reason"), FORGED.values(), ids=FORGED.keys())
def test_a_bad_id_token_is_refused_with_a_message(
    app, client, token_endpoint, caplog, changes: dict[str, Any], error: str, reason: str
) -> None:
    state, nonce = start_sign_in(client)
    token_endpoint["id_token"] = id_token(app, nonce, **changes)
    with caplog.at_level(logging.INFO):
        response = client.get(f"/auth/callback?code=c&state={state}")
    assert (response.status_code, response.location) == (302, "/")
    assert flashed(client) == [("warning", notice(lookup("portal:signin_failed")))]
    assert client.get("/settings/mfa").headers["Location"].startswith("/login")
    assert refusals(caplog.records) == [
        ("WARNING", "ID token refused", "id_token_refused", error, reason)
    ]
    assert audited_sign_ins(caplog.records) == [
        ("sign_in", "failed", "id_token_refused", False, None)
    ]
    assert not [r for r in caplog.records if getattr(r, "event", None) == "unexpected_error"]


def stale_re_sign_in(app: Flask, client: FlaskClient, token_endpoint: dict[str, Any]) -> Any:
    """Someone signed in 10 minutes ago signs in again; the hosted UI's cookie answers with the
    old sign-in, so the portal goes through the hosted UI's /logout for a fresh one."""
    sign_in(client, auth_age=600)
    state, nonce = start_sign_in(client, "/login?reauth=1&next=/settings/mfa")
    token_endpoint["id_token"] = id_token(app, nonce, auth_time=int(time.time()) - 600)
    return client.get(f"/auth/callback?code=c&state={state}")


def test_a_re_sign_in_through_the_hosted_ui_logout_signs_in_afresh(app, client, token_endpoint):
    location = stale_re_sign_in(app, client, token_endpoint).location
    assert location.startswith("http://cognito.test/logout?")
    state, nonce = state_and_nonce(location)
    token_endpoint["id_token"] = id_token(app, nonce)
    response = client.get(f"/auth/callback?code=c2&state={state}")
    assert (response.status_code, response.location) == (303, "/settings/mfa")
    asked = token_endpoint["asked"][-1]
    assert asked == {
        "code": "c2",
        "state": state,
        "redirect_uri": "http://portal.test/auth/callback",
        "code_verifier": asked["code_verifier"],
    }
    assert flashed(client) == []
    with client.session_transaction() as session:
        assert session["auth_time"] >= time.time() - 5
        assert "reauth" not in session


def test_a_refused_id_token_during_a_re_sign_in_says_it_couldnt_confirm_it_s_you(
    app, client, token_endpoint, caplog
):
    """A Cognito that doesn't carry the nonce through its /logout: the person is told to sign in
    again, and the re-sign-in is over (no loop through the hosted UI)."""
    state, _nonce = state_and_nonce(stale_re_sign_in(app, client, token_endpoint).location)
    token_endpoint["id_token"] = id_token(app, "", nonce=None)
    with caplog.at_level(logging.INFO):
        response = client.get(f"/auth/callback?code=c2&state={state}")
    assert (response.status_code, response.location) == (302, "/")
    assert flashed(client) == [("warning", notice(lookup("portal:reauth_failed")))]
    assert refusals(caplog.records) == [
        (
            "WARNING",
            "ID token refused",
            "id_token_refused",
            "missing_claim",
            "Missing claim: 'nonce'",
        )
    ]
    assert audited_sign_ins(caplog.records) == [
        ("sign_in", "failed", "id_token_refused", True, "sub-alice")
    ]
    with client.session_transaction() as session:
        assert "reauth" not in session


def test_the_issuer_is_checked_even_if_the_discovery_document_names_none(
    app, client, token_endpoint, caplog
) -> None:
    del app.extensions["mfa_portal.oauth"].cognito.server_metadata["issuer"]
    state, nonce = start_sign_in(client)
    token_endpoint["id_token"] = id_token(app, nonce, iss="https://evil.example/")
    with caplog.at_level(logging.INFO):
        response = client.get(f"/auth/callback?code=c&state={state}")
    assert (response.status_code, response.location) == (302, "/")
    assert refusals(caplog.records) == [
        ("WARNING", "ID token refused", "id_token_refused", "invalid_claim", "Invalid claim: 'iss'")
    ]
