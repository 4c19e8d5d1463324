"""Every POST needs the CSRF token and a request from the portal's own origin: an origin check that
real browsers satisfy over https (Sec-Fetch-Site, Origin, or a same-origin Referer), each refusal
logged with its reason."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf

from app import create_app
from app.config import load_settings
from tests.support.unit import portal_env

PORTAL = "https://account.example.com"


def with_token_route(app: Flask) -> Flask:
    """A page that hands out the session's CSRF token, as every form of the portal does."""
    app.add_url_rule("/_test/csrf-token", "test_csrf_token", lambda: generate_csrf())
    return app


@pytest.fixture
def https_app(tmp_path: Any) -> Flask:
    env = portal_env(tmp_path, PORTAL_BASE_URL=PORTAL, COGNITO_DOMAIN="https://auth.example.com")
    return with_token_route(create_app(load_settings(env)))


@pytest.fixture
def http_app(app: Flask) -> Flask:
    return with_token_route(app)


def post_logout(client: FlaskClient, base_url: str, headers: dict[str, str], token: bool = True):
    data = {"csrf_token": client.get("/_test/csrf-token", base_url=base_url).text} if token else {}
    return client.post("/logout", data=data, headers=headers, base_url=base_url)


BROWSER_SHAPES = {
    "Sec-Fetch-Site same-origin": {"Sec-Fetch-Site": "same-origin", "Origin": PORTAL},
    "Origin only": {"Origin": PORTAL},
    "Referer only (an old browser)": {"Referer": f"{PORTAL}/settings/mfa"},
    "a typed navigation": {"Sec-Fetch-Site": "none"},
    "Origin in capitals": {"Origin": "HTTPS://Account.Example.COM"},
}


@pytest.mark.parametrize("headers", BROWSER_SHAPES.values(), ids=BROWSER_SHAPES.keys())
def test_a_post_from_the_portal_itself_works_over_https(https_app, headers):
    response = post_logout(https_app.test_client(), PORTAL, headers)
    assert response.status_code == 303


FORGED = {
    "another site": (
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        "Sec-Fetch-Site is 'cross-site'",
    ),
    "a sibling subdomain": ({"Sec-Fetch-Site": "same-site"}, "Sec-Fetch-Site is 'same-site'"),
    "Origin of another site": (
        {"Origin": "https://evil.example"},
        "Origin 'https://evil.example' is not the portal's",
    ),
    "Origin null (sandboxed frame)": ({"Origin": "null"}, "Origin 'null' is not the portal's"),
    "Origin on another port": (
        {"Origin": "https://account.example.com:8443"},
        "Origin 'https://account.example.com:8443' is not the portal's",
    ),
    "Origin over http": (
        {"Origin": "http://account.example.com"},
        "Origin 'http://account.example.com' is not the portal's",
    ),
    "Referer of another site": (
        {"Referer": "https://evil.example/settings/mfa"},
        "the Referer is another site",
    ),
    "no origin at all": ({}, "no Origin, Sec-Fetch-Site or Referer on an https request"),
    "an empty Referer": (
        {"Referer": ""},
        "no Origin, Sec-Fetch-Site or Referer on an https request",
    ),
}


@pytest.mark.parametrize(("headers", "reason"), FORGED.values(), ids=FORGED.keys())
def test_a_post_from_elsewhere_is_refused_and_the_reason_logged(https_app, headers, reason, caplog):
    """The whole reason, as the operator reads it in the log line."""
    with caplog.at_level(logging.WARNING, logger="app.pages"):
        response = post_logout(https_app.test_client(), PORTAL, headers)
    assert response.status_code == 400
    assert "This form has expired" in response.text
    [record] = [r for r in caplog.records if getattr(r, "event", None) == "csrf_refused"]
    assert record.reason == reason
    assert record.path == "/logout"


def test_behind_a_proxy_that_forwards_nothing_the_configured_origin_is_the_portal_s(https_app):
    """nginx passes to gunicorn on loopback without X-Forwarded-*, and the portal isn't told to
    trust it: the request arrives as http://127.0.0.1:8000, yet the browser's Origin is the
    configured https one, and that is the portal's own origin."""
    client = https_app.test_client()
    behind = "http://127.0.0.1:8000"
    assert post_logout(client, behind, {"Origin": PORTAL}).status_code == 303
    assert post_logout(client, behind, {"Origin": "https://evil.example"}).status_code == 400


def test_the_demo_is_its_own_origin_under_another_loopback_name(tmp_path) -> None:
    """Configured as http://127.0.0.1:8000 and opened as http://localhost:8000: the page's own
    origin (the request's) is accepted too, whatever the case of the Host header."""
    env = portal_env(tmp_path, PORTAL_BASE_URL="http://127.0.0.1:8000")
    client = with_token_route(create_app(load_settings(env))).test_client()
    origin = "http://localhost:8000"
    assert post_logout(client, origin, {"Origin": origin}).status_code == 303
    assert post_logout(client, "http://LocalHost:8000", {"Origin": origin}).status_code == 303


def test_over_https_a_same_origin_referer_alone_is_enough(https_app) -> None:
    """An old browser without Origin or Sec-Fetch-Site: the Referer's origin decides, and
    ``Referrer-Policy: same-origin`` is what keeps it on the portal's own requests."""
    client = https_app.test_client()
    assert (
        post_logout(client, PORTAL, {"Referer": f"{PORTAL}/settings/phone?x=1"}).status_code == 303
    )
    assert post_logout(client, PORTAL, {"Referer": "https://evil.example/"}).status_code == 400


def test_the_token_is_still_required_from_the_portals_own_origin(https_app, caplog):
    with caplog.at_level(logging.WARNING, logger="app.pages"):
        response = post_logout(
            https_app.test_client(), PORTAL, {"Sec-Fetch-Site": "same-origin"}, token=False
        )
    assert response.status_code == 400
    [record] = [r for r in caplog.records if getattr(r, "event", None) == "csrf_refused"]
    assert "token is missing" in record.reason


def test_over_http_a_client_without_origin_headers_only_needs_the_token(http_app):
    client = http_app.test_client()
    assert post_logout(client, "http://portal.test", {}).status_code == 303
    assert post_logout(client, "http://portal.test", {}, token=False).status_code == 400


def test_over_http_another_origin_is_refused_too(http_app):
    headers = {"Origin": "http://evil.example"}
    assert post_logout(http_app.test_client(), "http://portal.test", headers).status_code == 400


def test_a_get_is_never_checked(https_app):
    response = https_app.test_client().get(
        "/", base_url=PORTAL, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    ['{"csrf_token": "x", "enable": "on"}', '{"code": 123456}', "[1, 2]", '"x"'],
)
def test_a_json_body_is_refused_not_a_500(http_app, body: str) -> None:
    """Flask-WTF would read JSON as form data of any type; only HTML forms post here."""
    client = http_app.test_client()
    token = client.get("/_test/csrf-token").text
    response = client.post(
        "/logout", data=body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 415
    assert "Traceback" not in response.text


def test_forms_posted_as_multipart_still_work(http_app) -> None:
    client = http_app.test_client()
    token = client.get("/_test/csrf-token").text
    response = client.post(
        "/logout", data={"csrf_token": token}, content_type="multipart/form-data"
    )
    assert response.status_code == 303
