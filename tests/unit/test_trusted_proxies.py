"""Forwarded headers are trusted only when configured (TRUSTED_PROXIES)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from app import create_app
from app.config import load_settings
from tests.support.unit import portal_env
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
