"""Forwarded headers are trusted only when configured (TRUSTED_PROXIES)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request

from app import create_app
from app.config import load_settings
from tests.support.unit import portal_env
from tests.unit.oauth import use_local_metadata


def portal(tmp_path: Path, **env: str) -> Flask:
    app = create_app(load_settings(portal_env(tmp_path, RATE_LIMIT_SIGNIN="2 per minute", **env)))
    use_local_metadata(app)
    return app


def seen_behind(app: Flask, headers: dict[str, str]) -> str:
    """The client address and URL root the portal sees for a request from 10.0.0.2 to
    127.0.0.1:8000 carrying ``headers``."""
    app.add_url_rule(
        "/_test/seen", "test_seen", lambda: f"{request.remote_addr} {request.url_root}"
    )
    response = app.test_client().get(
        "/_test/seen",
        base_url="http://127.0.0.1:8000",
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
        headers=headers,
    )
    return response.text


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


def test_behind_two_trusted_proxies_each_forwarded_header_is_read_two_hops_back(
    tmp_path: Path,
) -> None:
    """A CDN in front of a load balancer: each header has two values, the client's first. The
    address, scheme, host and port the portal sees are the CDN's view, not the balancer's."""
    app = portal(tmp_path, PORTAL_BASE_URL="https://account.example.com", TRUSTED_PROXIES="2")
    seen = seen_behind(
        app,
        {
            "X-Forwarded-For": "203.0.113.9, 10.0.0.1",
            "X-Forwarded-Proto": "https, http",
            "X-Forwarded-Host": "account.example.com, lb.internal",
            "X-Forwarded-Port": "8443, 8000",
        },
    )
    assert seen == "203.0.113.9 https://account.example.com:8443/"


def test_without_trusted_proxies_forwarded_headers_change_nothing(tmp_path: Path) -> None:
    app = portal(tmp_path, PORTAL_BASE_URL="https://account.example.com")
    seen = seen_behind(
        app,
        {
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "account.example.com",
            "X-Forwarded-Port": "8443",
        },
    )
    assert seen == "10.0.0.2 http://127.0.0.1:8000/"
