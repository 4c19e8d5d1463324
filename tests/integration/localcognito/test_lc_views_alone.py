"""Hosted-UI views tested alone: one module's blueprint on a bare Flask app, driven by Flask's
test client, with the state set up directly (no server, no socket, no other endpoint)."""

from __future__ import annotations

import time

import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient

from localcognito.extensions import init_stand_in
from localcognito.hosted_ui import openid, token_endpoint
from localcognito.hosted_ui.authorize_request import AuthRequest
from localcognito.hosted_ui.sessions import AuthorizationCode
from localcognito.seed import normalize_seed
from localcognito.state import StandIn

URL = "http://127.0.0.1:9"
CALLBACK = "http://127.0.0.1:8000/auth/callback"


@pytest.fixture
def state() -> StandIn:
    return StandIn(normalize_seed(None), URL)


def client_for(blueprint: Blueprint, state: StandIn) -> FlaskClient:
    """An app serving only ``blueprint``'s views, over ``state``."""
    app = Flask(__name__)
    init_stand_in(app, state)
    app.register_blueprint(blueprint)
    return app.test_client()


def test_the_discovery_document_names_this_pool_and_its_endpoints(state: StandIn):
    client = client_for(openid.bp, state)
    response = client.get(f"/{state.pool_id}/.well-known/openid-configuration")
    assert response.status_code == 200
    document = response.get_json()
    assert document["issuer"] == f"{URL}/{state.pool_id}"
    assert document["token_endpoint"] == f"{URL}/oauth2/token"
    assert document["jwks_uri"] == f"{URL}/{state.pool_id}/.well-known/jwks.json"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert state.stats.snapshot()["http"] == {"discovery": 1}


def test_the_discovery_document_of_another_pool_is_not_found(state: StandIn):
    response = client_for(openid.bp, state).get("/eu-west-1_other/.well-known/openid-configuration")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({}, 400, "invalid_client"),
        ({"client_id": "no-such-client"}, 400, "invalid_client"),
        (
            {"client_id": "mfaportallocalclient000001", "client_secret": "wrong"},
            400,
            "invalid_client",
        ),
        ({"client_id": "mfaportalpublicclient00001"}, 400, "invalid_request"),
        (
            {"client_id": "mfaportalpublicclient00001", "grant_type": "client_credentials"},
            400,
            "unauthorized_client",
        ),
        (
            {"client_id": "mfaportalpublicclient00001", "grant_type": "password"},
            400,
            "unsupported_grant_type",
        ),
        (
            {"client_id": "mfaportalpublicclient00001", "grant_type": "authorization_code"},
            400,
            "invalid_request",
        ),
        (
            {
                "client_id": "mfaportalpublicclient00001",
                "grant_type": "authorization_code",
                "code": "made-up",
            },
            400,
            "invalid_grant",
        ),
    ],
)
def test_the_token_endpoint_refuses(state: StandIn, form: dict[str, str], status: int, error: str):
    response = client_for(token_endpoint.bp, state).post("/oauth2/token", data=form)
    assert response.status_code == status
    assert response.get_json()["error"] == error
    assert response.headers["Cache-Control"] == "no-store"


def test_a_wrong_secret_in_basic_auth_is_a_401_with_a_challenge(state: StandIn):
    response = client_for(token_endpoint.bp, state).post(
        "/oauth2/token",
        data={"grant_type": "authorization_code", "code": "x"},
        auth=("mfaportallocalclient000001", "wrong"),
    )
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"] == 'Basic realm="cognito"'


def test_an_authorization_code_is_exchanged_once(state: StandIn):
    """A code put straight into the state: its first exchange gives tokens, its second none."""
    client_id = "mfaportalpublicclient00001"
    request = AuthRequest(client_id, CALLBACK, ["openid", "email"])
    state.authorization_codes["the-code"] = AuthorizationCode(
        request, "alice", int(time.time()), time.time() + 60
    )
    form = {
        "client_id": client_id,
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": CALLBACK,
    }
    client = client_for(token_endpoint.bp, state)
    first = client.post("/oauth2/token", data=form)
    assert first.status_code == 200
    assert {"access_token", "id_token", "refresh_token"} <= set(first.get_json())
    second = client.post("/oauth2/token", data=form)
    assert second.status_code == 400
    assert second.get_json()["error_description"] == (
        "The authorization code has already been used."
    )
    assert state.stats.snapshot()["http"] == {"token": 2}
