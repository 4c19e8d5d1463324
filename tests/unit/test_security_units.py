"""app/security.py piece by piece: the Host guard, Redis, the CSP, limits (docs/testing.md)."""

from __future__ import annotations

from typing import Any

from flask import Flask, session

from app import create_app
from app.config import load_settings
from app.security import (
    TrustedHostGuard,
    content_security_policy,
    redis_client,
    user_or_address,
)
from tests.support.unit import portal_env


def call(guard: TrustedHostGuard, **environ: str) -> tuple[str, list[tuple[str, str]], bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, headers

    body = b"".join(guard(environ, start_response))  # type: ignore[arg-type]
    return seen["status"], seen["headers"], body


def portal(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"the portal"]


def test_a_request_for_another_host_is_a_plain_400_the_portal_never_sees() -> None:
    guard = TrustedHostGuard(portal, ["portal.example"])
    status, headers, body = call(guard, HTTP_HOST="evil.example", SERVER_NAME="portal.example")
    body_text = b"Unknown host: this address doesn't serve the portal.\n"
    assert (status, body) == ("400 Bad Request", body_text)
    assert headers == [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body_text))),
        ("X-Content-Type-Options", "nosniff"),
        ("Cache-Control", "no-store"),
    ]


def test_the_portal_s_own_host_reaches_the_portal() -> None:
    guard = TrustedHostGuard(portal, ["portal.example"])
    assert call(guard, HTTP_HOST="portal.example")[2] == b"the portal"
    # No Host header (HTTP/1.0): the server's name decides.
    assert call(guard, SERVER_NAME="portal.example")[2] == b"the portal"
    assert call(guard, SERVER_NAME="evil.example")[0] == "400 Bad Request"
    assert call(guard)[0] == "400 Bad Request"


def test_without_redis_there_is_no_client(tmp_path) -> None:
    assert redis_client(load_settings(portal_env(tmp_path))) is None


def test_the_redis_client_fails_fast_in_an_outage(tmp_path) -> None:
    settings = load_settings(portal_env(tmp_path, REDIS_URL="redis://cache.internal:6380/2"))
    client = redis_client(settings)
    assert client is not None
    kwargs = client.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("cache.internal", 6380, 2)
    assert kwargs["socket_connect_timeout"] == 1.0
    assert kwargs["socket_timeout"] == 2.0
    assert kwargs["health_check_interval"] == 15
    assert kwargs["retry_on_timeout"] is False


def test_the_content_security_policy_allows_only_the_portal_and_the_hosted_ui_form(
    tmp_path,
) -> None:
    settings = load_settings(portal_env(tmp_path))
    assert content_security_policy(settings) == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "font-src 'self'; connect-src 'self'; "
        f"form-action 'self' {settings.hosted_ui_origin}; "
        "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )


def test_limits_count_per_person_when_signed_in_and_per_address_otherwise() -> None:
    app = Flask(__name__)
    app.secret_key = "test"
    with app.test_request_context(environ_base={"REMOTE_ADDR": "198.51.100.7"}):
        assert user_or_address() == "addr:198.51.100.7"
        session["user"] = {"name": "no sub"}
        assert user_or_address() == "addr:198.51.100.7"
        session["user"] = {"sub": "sub-alice"}
        assert user_or_address() == "user:sub-alice"


def test_rate_limits_use_a_moving_window_that_falls_back_to_memory(tmp_path) -> None:
    app = create_app(load_settings(portal_env(tmp_path)))
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert app.config["RATELIMIT_STORAGE_OPTIONS"] == {}
    assert app.config["RATELIMIT_KEY_PREFIX"] == "mfa-portal-limits"
    assert app.config["RATELIMIT_STRATEGY"] == "moving-window"
    assert app.config["RATELIMIT_HEADERS_ENABLED"] is True
    assert app.config["RATELIMIT_SWALLOW_ERRORS"] is True
    assert app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True


def test_rate_limits_on_redis_give_up_fast_in_an_outage(tmp_path) -> None:
    """With Redis the limits are shared by every instance, and a Redis that doesn't answer costs a
    request one second to connect or two to reply before the memory fallback takes over."""
    app = create_app(load_settings(portal_env(tmp_path, REDIS_URL="redis://cache.internal:6380/2")))
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://cache.internal:6380/2"
    assert app.config["RATELIMIT_STORAGE_OPTIONS"] == {
        "socket_connect_timeout": 1,
        "socket_timeout": 2,
    }
    assert app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
