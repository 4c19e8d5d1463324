"""A signed-in session from start to end (``app.session_lifecycle``): idle and lifetime expiry,
the write-back of activity, and the access token's refresh."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from authlib.integrations.base_client import OAuthError
from botocore.stub import Stubber
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.cognito import SMS_MFA_OPTION
from app.config import load_settings
from app.sessions import SESSION_TOUCH_SECONDS
from tests.support.unit import (
    ACCESS_TOKEN,
    CLIENT_ID,
    csrf_token,
    get_user_response,
    portal_env,
    sign_in,
)

NEW_ACCESS_TOKEN = "header.eyJzY29wZSI6ImF3cy5jb2duaXRvLnNpZ25pbi51c2VyLmFkbWluIn0.fresh"


# --- idle and lifetime expiry --------------------------------------------------------------


class Clock:
    """The portal's and the session store's notion of now, moved by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = time.time()
        monkeypatch.setattr("app.session_lifecycle.time.time", lambda: self.now)
        monkeypatch.setattr("cachelib.file.time", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds


def idle_app(tmp_path: Path, idle: int) -> Flask:
    return create_app(load_settings(portal_env(tmp_path, SESSION_IDLE_SECONDS=str(idle))))


def is_signed_in(client: FlaskClient) -> bool:
    """The landing page sends a signed-in person on to their settings."""
    return client.get("/").status_code == 302


def revokes(app: Flask) -> Stubber:
    stub = Stubber(app.extensions["mfa_portal.cognito"].client)
    stub.add_response("revoke_token", {}, {"Token": "refresh-token", "ClientId": CLIENT_ID})
    return stub


def test_an_idle_session_ends_and_its_refresh_token_is_revoked(tmp_path, monkeypatch) -> None:
    app = idle_app(tmp_path, 600)
    clock = Clock(monkeypatch)
    client = app.test_client()
    sign_in(client)
    clock.advance(599)
    assert is_signed_in(client)
    clock.advance(601)
    with revokes(app) as stub:
        response = client.get("/settings/mfa")
        stub.assert_no_pending_responses()
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login")
    assert "Your session has ended" in client.get("/").text


#: How far the effective idle timeout may fall short of the configured one.
IDLE_SLACK_SECONDS = 5


@pytest.mark.parametrize("idle", [60, 1800])
def test_the_idle_timeout_is_the_configured_one_within_seconds(
    tmp_path, monkeypatch, idle: int
) -> None:
    """Active now and then, then once more just before the timeout: that last activity earns a
    whole timeout more (less a few seconds of slack), and not a second past it."""
    app = idle_app(tmp_path, idle)
    clock = Clock(monkeypatch)
    client = app.test_client()
    sign_in(client)
    for _ in range(6):
        clock.advance(idle / 3)
        assert is_signed_in(client)
    clock.advance(idle - 1)
    assert is_signed_in(client)
    clock.advance(idle - IDLE_SLACK_SECONDS)
    assert is_signed_in(client), "signed out before the idle timeout"
    clock.advance(idle + 1)
    with revokes(app):
        assert not is_signed_in(client), "still signed in after the idle timeout"


def test_activity_is_written_back_at_most_every_few_seconds(tmp_path, monkeypatch) -> None:
    app = idle_app(tmp_path, 600)
    clock = Clock(monkeypatch)
    client = app.test_client()
    sign_in(client)
    clock.advance(SESSION_TOUCH_SECONDS - 1)
    soon = client.get("/")
    assert "Set-Cookie" not in soon.headers, "no write-back within the touch interval"
    clock.advance(1)
    later = client.get("/")
    assert "mfa_portal=" in later.headers.get("Set-Cookie", "")
    again = client.get("/")
    assert "Set-Cookie" not in again.headers


def test_a_session_older_than_its_lifetime_ends_whatever_the_activity(
    tmp_path, monkeypatch
) -> None:
    env = portal_env(tmp_path, SESSION_IDLE_SECONDS="600", SESSION_LIFETIME_SECONDS="1200")
    app = create_app(load_settings(env))
    clock = Clock(monkeypatch)
    client = app.test_client()
    sign_in(client)
    for _ in range(3):
        clock.advance(300)
        assert is_signed_in(client)
    clock.advance(301)
    with revokes(app):
        assert not is_signed_in(client)


# --- an expired access token is refreshed once -------------------------------------------


@pytest.fixture
def refresh(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def fetch_access_token(**kwargs: Any) -> dict[str, Any]:
        calls.append(kwargs)
        return {"access_token": NEW_ACCESS_TOKEN, "expires_in": 3600, "token_type": "Bearer"}

    monkeypatch.setattr(
        app.extensions["mfa_portal.oauth"].cognito, "fetch_access_token", fetch_access_token
    )
    return calls


def test_expired_access_token_is_refreshed_and_the_call_retried(signed_in, stubber, refresh):
    stubber.add_client_error(
        "get_user",
        "NotAuthorizedException",
        "Access Token has expired",
        expected_params={"AccessToken": ACCESS_TOKEN},
    )
    stubber.add_response("get_user", get_user_response(), {"AccessToken": NEW_ACCESS_TOKEN})
    response = signed_in.get("/settings/mfa")
    assert response.status_code == 200
    assert "SMS MFA: Off" in response.text
    assert refresh == [{"grant_type": "refresh_token", "refresh_token": "refresh-token"}]
    with signed_in.session_transaction() as session:
        assert session["tokens"]["access_token"] == NEW_ACCESS_TOKEN
        assert session["tokens"]["refresh_token"] == "refresh-token"


def test_a_token_that_stays_expired_is_refreshed_only_once(signed_in, stubber, refresh):
    for _ in range(2):
        stubber.add_client_error("get_user", "NotAuthorizedException", "Access Token has expired")
    response = signed_in.get("/settings/mfa")
    assert len(refresh) == 1
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_revoked_access_token_is_not_refreshed(signed_in, stubber, refresh):
    stubber.add_client_error("get_user", "NotAuthorizedException", "Access Token has been revoked")
    response = signed_in.get("/settings/mfa")
    assert refresh == []
    assert response.headers["Location"] == "/"


def test_refused_refresh_ends_the_session(app, signed_in, stubber, monkeypatch):
    def refused(**_kwargs: Any) -> None:
        raise OAuthError(error="invalid_grant")

    monkeypatch.setattr(app.extensions["mfa_portal.oauth"].cognito, "fetch_access_token", refused)
    stubber.add_client_error("get_user", "NotAuthorizedException", "Access Token has expired")
    response = signed_in.get("/settings/mfa")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert signed_in.get("/settings/mfa").headers["Location"].startswith("/login")


def test_token_near_expiry_is_refreshed_before_the_call(client, stubber, refresh):
    sign_in(client, expires_in=30)
    stubber.add_response("get_user", get_user_response(), {"AccessToken": NEW_ACCESS_TOKEN})
    assert client.get("/settings/mfa").status_code == 200
    assert len(refresh) == 1


def test_expired_access_token_on_a_change_is_refreshed_and_retried(signed_in, stubber, refresh):
    stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    page = signed_in.get("/settings/mfa")
    # Turning SMS MFA on reads the person's number from Cognito first (GetUser).
    stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    stubber.add_client_error(
        "set_user_settings",
        "NotAuthorizedException",
        "Access Token has expired",
        expected_params={"AccessToken": ACCESS_TOKEN, "MFAOptions": [SMS_MFA_OPTION]},
    )
    stubber.add_response(
        "set_user_settings", {}, {"AccessToken": NEW_ACCESS_TOKEN, "MFAOptions": [SMS_MFA_OPTION]}
    )
    response = signed_in.post(
        "/settings/mfa", data={"csrf_token": csrf_token(page.text), "enable": "on"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/settings/mfa"
    assert len(refresh) == 1


def test_a_token_endpoint_answering_garbage_is_a_transport_error_not_a_500(
    app, client, stubber, monkeypatch
):
    def garbage(**_kwargs: Any) -> None:
        raise ValueError("Expecting value: line 1 column 1 (char 0)")

    monkeypatch.setattr(app.extensions["mfa_portal.oauth"].cognito, "fetch_access_token", garbage)
    sign_in(client, expires_in=30)
    response = client.get("/settings/mfa")
    assert response.status_code == 503
    assert "can&#39;t reach the sign-in service" in response.text
