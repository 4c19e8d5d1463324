"""Forwarded headers are trusted only when configured, and idle sessions end."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from app.config import load_settings
from tests.support.unit import portal_env, sign_in
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


def test_an_idle_session_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(load_settings(portal_env(tmp_path, SESSION_IDLE_SECONDS="600")))
    client = app.test_client()
    sign_in(client)
    assert client.get("/").status_code == 302  # signed in: on to the settings page
    later = time.time() + 601
    monkeypatch.setattr("cachelib.file.time", lambda: later)
    response = client.get("/settings/mfa")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login")


def test_activity_slides_the_idle_timeout_at_most_once_a_minute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(load_settings(portal_env(tmp_path, SESSION_IDLE_SECONDS="600")))
    client = app.test_client()
    sign_in(client)
    first = client.get("/")
    assert "mfa_portal=" in first.headers.get("Set-Cookie", "")
    again = client.get("/")
    assert "Set-Cookie" not in again.headers, "no write-back within the minute"
    now = time.time()
    monkeypatch.setattr("app.sessions.time.time", lambda: now + 61)
    later = client.get("/")
    assert "mfa_portal=" in later.headers.get("Set-Cookie", "")
