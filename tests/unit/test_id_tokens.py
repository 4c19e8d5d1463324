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
from markupsafe import escape

from app.errors import lookup
from tests.support.unit import ACCESS_TOKEN, CLIENT_ID

SIGNING_KEY = RSAKey.generate_key(2048, parameters={"kid": "pool-key"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "pool-key"})


@pytest.fixture
def token_endpoint(app: Flask, oauth_metadata: dict[str, Any], monkeypatch) -> dict[str, Any]:
    """The pool's JWKS holds SIGNING_KEY; the token endpoint answers with ``answer['id_token']``."""
    client = app.extensions["mfa_portal.oauth"].cognito
    client.server_metadata["jwks"] = {"keys": [SIGNING_KEY.as_dict(private=False)]}
    answer: dict[str, Any] = {}

    def fetch_access_token(**_kwargs: Any) -> dict[str, Any]:
        return {
            "access_token": ACCESS_TOKEN,
            "refresh_token": "refresh-token",
            "id_token": answer["id_token"],
            "token_type": "Bearer",
            "expires_in": 3600,
        }

    monkeypatch.setattr(client, "fetch_access_token", fetch_access_token)
    return answer


def start_sign_in(client: FlaskClient) -> tuple[str, str]:
    """GET /login: the state in the redirect, and the nonce the portal keeps for it."""
    location = client.get("/login").headers["Location"]
    query = parse_qs(urlsplit(location).query)
    return query["state"][0], query["nonce"][0]


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
    "signed with another key": {"key": OTHER_KEY},
    "another issuer": {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Evil"},
    "another audience": {"aud": "someoneelsesclient00000001"},
    "expired": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
    "another nonce": {"nonce": "not-the-nonce"},
    "no nonce": {"nonce": None},
}


@pytest.mark.parametrize("changes", FORGED.values(), ids=FORGED.keys())
def test_a_bad_id_token_is_refused_with_a_message(
    app, client, token_endpoint, caplog, changes: dict[str, Any]
) -> None:
    state, nonce = start_sign_in(client)
    token_endpoint["id_token"] = id_token(app, nonce, **changes)
    with caplog.at_level(logging.INFO):
        response = client.get(f"/auth/callback?code=c&state={state}")
    assert response.status_code in (302, 303)
    assert response.headers["Location"] == "/"
    landing = client.get("/")
    assert str(escape(lookup("portal:signin_failed").message)) in landing.text
    assert client.get("/settings/mfa").headers["Location"].startswith("/login")
    refused = [r for r in caplog.records if getattr(r, "outcome", None) == "id_token_refused"]
    assert refused, "an operator line says the ID token was refused"
    assert not [r for r in caplog.records if getattr(r, "event", None) == "unexpected_error"]
