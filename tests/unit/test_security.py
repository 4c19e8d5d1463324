from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.config import load_settings
from app.security import DEFAULT_NEXT, safe_next
from tests.support.unit import (
    ACCESS_TOKEN,
    CLIENT_ID,
    callback,
    get_user_response,
    portal_env,
    sign_in,
)
from tests.unit.oauth import use_local_metadata

# --- safe_next ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/settings/mfa",
        "https://evil.example",
        "http://evil.example/settings/mfa",
        "/\\evil.example",
        "\\\\evil.example",
        "%2F%2Fevil.example",
        "/%2F/evil.example",
        "/%2Fevil.example",
        "/%5Cevil.example",
        "/%255Cevil.example",
        "%252F%252Fevil.example",
        "/\t/evil.example",
        "/%09/evil.example",
        "\t//evil.example",
        "/\n/evil.example",
        "/%0A/evil.example",
        "/%0d%0aSet-Cookie:x=1",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,hi",
        "settings/mfa",
        "evil.example",
        " /settings/mfa",
    ],
)
def test_safe_next_refuses_other_sites(target):
    assert safe_next(target) == DEFAULT_NEXT


@pytest.mark.parametrize(
    "target", ["/settings/mfa?x=1", "/settings/mfa", "/settings/phone", "/", "/a%20b"]
)
def test_safe_next_accepts_same_site_paths(target):
    assert safe_next(target) == target


def test_safe_next_decodes_a_target_three_times_and_no_more():
    """A backslash encoded three times is refused; one encoded four times is kept as the path it
    is: no browser or server decodes a Location more than once, so it stays on the portal."""
    assert safe_next("/%25255Cevil.example") == DEFAULT_NEXT
    assert safe_next("/%2525255Cevil.example") == "/%2525255Cevil.example"


@pytest.mark.parametrize("target", [None, ""])
def test_safe_next_without_a_target_uses_the_default(target):
    assert safe_next(target) == DEFAULT_NEXT
    assert safe_next(target, default="/") == "/"


# --- response headers --------------------------------------------------------------------

HOSTED_UI_ORIGIN = "http://cognito.test"


def csp_directives(response: Any) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {
        name: value.strip()
        for name, _, value in (part.strip().partition(" ") for part in policy.split(";"))
    }


def assert_security_headers(response: Any) -> None:
    directives = csp_directives(response)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["form-action"].split() == ["'self'", HOSTED_UI_ORIGIN]
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "geolocation=()" in response.headers["Permissions-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_headers_on_an_html_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert_security_headers(response)


def test_headers_on_a_redirect(client):
    response = client.get("/settings/mfa")
    assert response.status_code in (302, 303)
    assert_security_headers(response)


def test_headers_on_a_404_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert_security_headers(response)


def test_headers_on_a_400_page(client):
    response = client.post("/logout")
    assert response.status_code == 400
    assert "This form has expired" in response.text
    assert_security_headers(response)


def test_headers_on_a_405_page(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert_security_headers(response)


def test_headers_on_a_signed_in_page(signed_in, stubber):
    stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    response = signed_in.get("/settings/mfa")
    assert response.status_code == 200
    assert_security_headers(response)


def test_pages_carry_no_inline_script_or_style(client):
    page = client.get("/").text
    assert "<script>" not in page
    assert "style=" not in page
    assert "<style" not in page


def test_static_files_may_be_cached(client):
    response = client.get("/static/css/portal.css")
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("public")


def test_no_hsts_over_http(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


@pytest.fixture
def https_app(tmp_path: Any) -> Flask:
    return create_app(
        load_settings(
            portal_env(
                tmp_path,
                PORTAL_BASE_URL="https://account.example.com",
                COGNITO_DOMAIN="https://auth.example.com",
            )
        )
    )


def test_hsts_when_the_portal_is_served_over_https(https_app):
    response = https_app.test_client().get("/", base_url="https://account.example.com")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    form_action = csp_directives(response)["form-action"].split()
    assert form_action == ["'self'", "https://auth.example.com"]


# --- the session cookie ------------------------------------------------------------------


def session_cookie(client: FlaskClient, app: Flask, base_url: str) -> str:
    """The Set-Cookie header of a response that starts a session (GET /login)."""
    use_local_metadata(app)
    response = client.get("/login", base_url=base_url)
    assert response.status_code == 302
    [cookie] = [
        value
        for value in response.headers.getlist("Set-Cookie")
        if value.startswith(app.config["SESSION_COOKIE_NAME"] + "=")
    ]
    return cookie


def cookie_flags(cookie: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}


def test_session_cookie_over_http(app, client):
    cookie = session_cookie(client, app, "http://portal.test")
    assert cookie.startswith("mfa_portal=")
    flags = cookie_flags(cookie)
    assert "httponly" in flags
    assert "secure" not in flags
    assert "domain" not in flags
    assert re.search(r"SameSite=Lax", cookie)
    assert re.search(r"Path=/(;|$)", cookie)


def test_session_cookie_over_https_uses_the_host_prefix(https_app):
    cookie = session_cookie(https_app.test_client(), https_app, "https://account.example.com")
    assert cookie.startswith("__Host-mfa_portal=")
    flags = cookie_flags(cookie)
    assert {"httponly", "secure"} <= flags
    assert "domain" not in flags
    assert re.search(r"SameSite=Lax", cookie)
    assert re.search(r"Path=/(;|$)", cookie)


def test_session_cookie_is_opaque(app, client):
    cookie = session_cookie(client, app, "http://portal.test")
    value = cookie.split(";")[0].split("=", 1)[1]
    assert "login_next" not in value
    assert "settings" not in value
    assert "." not in value.strip('"')


def test_session_id_changes_at_sign_in(app, client, monkeypatch):
    use_local_metadata(app)
    client.get("/login")
    before = client.get_cookie("mfa_portal").value
    monkeypatch.setattr(
        app.extensions["mfa_portal.oauth"].cognito,
        "authorize_access_token",
        lambda **_kwargs: {
            "access_token": ACCESS_TOKEN,
            "refresh_token": "refresh-token",
            "expires_in": 3600,
            "userinfo": {
                "sub": "sub-alice",
                "aud": CLIENT_ID,
                "cognito:username": "alice",
                "auth_time": 1,
            },
        },
    )
    response = callback(client)
    assert response.status_code == 303
    after = client.get_cookie("mfa_portal").value
    assert after != before
    planted = app.test_client()
    planted.set_cookie("mfa_portal", before)
    assert planted.get("/settings/mfa").headers["Location"].startswith("/login")


# --- request ids -------------------------------------------------------------------------


def test_a_valid_request_id_is_echoed(client):
    response = client.get("/", headers={"X-Request-ID": "abc-123_DEF.4"})
    assert response.headers["X-Request-ID"] == "abc-123_DEF.4"


def test_a_missing_request_id_is_generated(client):
    first = client.get("/").headers["X-Request-ID"]
    second = client.get("/").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


@pytest.mark.parametrize("incoming", ["has spaces", "x" * 129, "<script>", "a;b", "é"])
def test_a_malformed_request_id_is_replaced(client, incoming):
    response = client.get("/", headers={"X-Request-ID": incoming})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_request_id_is_on_error_pages_too(client):
    response = client.get("/no-such-page", headers={"X-Request-ID": "req-404"})
    assert response.headers["X-Request-ID"] == "req-404"


def test_signed_in_redirects_are_not_cached(signed_in):
    sign_in(signed_in)
    response = signed_in.get("/")
    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "no-store"
