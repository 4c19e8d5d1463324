"""Forwarded headers are trusted only when configured; idle and old sessions end on time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from botocore.stub import Stubber
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.config import load_settings
from app.sessions import SESSION_TOUCH_SECONDS
from tests.support.unit import CLIENT_ID, portal_env, sign_in
from tests.unit.oauth import use_local_metadata


def portal(tmp_path: Path, **env: str) -> Flask:
    app = create_app(load_settings(portal_env(tmp_path, RATE_LIMIT_SIGNIN="2 per minute", **env)))
    use_local_metadata(app)
    return app


def sign_in_starts(app: Flask, forwarded_for: list[str]) -> list[int]:
    client = app.test_client()
    return [
        client.get("/login", headers={"X-Forwarded-For": address}).status_code
        for address in forwarded_for
    ]


def test_without_trusted_proxies_a_forged_forwarded_for_does_not_dodge_limits(
    tmp_path: Path,
) -> None:
    app = portal(tmp_path)
    assert sign_in_starts(app, ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) == [
        302,
        302,
        429,
    ]


def test_behind_one_trusted_proxy_each_client_address_has_its_own_limit(tmp_path: Path) -> None:
    app = portal(tmp_path, TRUSTED_PROXIES="1")
    assert sign_in_starts(app, ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) == [
        302,
        302,
        302,
    ]
    assert sign_in_starts(app, ["198.51.100.1"]) == [302]
    assert sign_in_starts(app, ["198.51.100.1"]) == [429]


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
