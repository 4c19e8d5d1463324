"""Operators see the true cause: an unreachable Cognito endpoint, an unreachable session store
and a programming error each get their own log event and page; the person never sees a trace."""

from __future__ import annotations

import logging
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest
import requests
from cachelib.file import FileSystemCache
from flask import Flask, render_template

from app import create_app
from app.config import load_settings
from tests.support.unit import portal_env, sign_in
from tests.unit.oauth import use_local_metadata


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def events(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [getattr(record, "event", "") for record in caplog.records]


@pytest.fixture
def app_with_cognito_down(tmp_path: Any) -> Flask:
    """Created before the test runs: ``create_app`` sets up logging, which pytest then captures."""
    endpoint = f"http://127.0.0.1:{closed_port()}"
    return create_app(load_settings(portal_env(tmp_path, COGNITO_ENDPOINT_URL=endpoint)))


def test_unreachable_discovery_at_sign_in_names_the_endpoint_and_host(
    app_with_cognito_down, caplog
):
    endpoint = app_with_cognito_down.extensions["mfa_portal.settings"].endpoint_url
    with caplog.at_level(logging.INFO):
        response = app_with_cognito_down.test_client().get("/login")
    assert response.status_code == 503
    assert "Sign-in is unavailable" in response.text
    assert "Traceback" not in response.text
    [record] = [r for r in caplog.records if getattr(r, "event", "") == "cognito_unreachable"]
    assert record.endpoint == "discovery"
    assert f"http://{record.host}" == endpoint
    assert "session_store_unavailable" not in events(caplog)
    assert "unexpected_error" not in events(caplog)


def test_unreachable_token_endpoint_at_the_callback_names_it(app, client, caplog, oauth_metadata):
    port = closed_port()
    oauth_metadata["token_endpoint"] = f"http://127.0.0.1:{port}/oauth2/token"
    app.extensions["mfa_portal.oauth"].cognito.server_metadata.update(oauth_metadata)
    redirect_to_hosted_ui = client.get("/login")
    state = dict(
        part.split("=", 1)
        for part in redirect_to_hosted_ui.headers["Location"].split("?")[1].split("&")
    )["state"]
    with caplog.at_level(logging.INFO):
        response = client.get(f"/auth/callback?code=made-up&state={state}")
    assert response.status_code == 302
    [record] = [r for r in caplog.records if getattr(r, "event", "") == "cognito_unreachable"]
    assert record.endpoint == "token"
    assert record.host == f"127.0.0.1:{port}"
    page = client.get(response.headers["Location"])
    assert "We can&#39;t reach the sign-in service right now." in page.text


def test_a_programming_error_is_a_500_with_the_trace_in_the_log_only(app, client, caplog):
    @app.get("/_test/broken")
    def broken() -> str:
        return render_template("no/such/template.html")

    with caplog.at_level(logging.INFO):
        response = client.get("/_test/broken")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "TemplateNotFound" not in response.text and "Traceback" not in response.text
    [record] = [r for r in caplog.records if getattr(r, "event", "") == "unexpected_error"]
    assert record.path == "/_test/broken"
    assert "TemplateNotFound" in logging.Formatter().formatException(record.exc_info)
    assert "session_store_unavailable" not in events(caplog)


def test_a_programming_error_page_shows_nothing_of_the_discarded_session(app, client):
    """The 500 page is rendered ``without_session``: a signed-in person sees no account navigation
    and no way back to the settings, while any other error page (a 404) shows them."""

    @app.get("/_test/broken")
    def broken() -> str:
        return render_template("no/such/template.html")

    sign_in(client)
    page = client.get("/_test/broken")
    assert page.status_code == 500
    assert "Signed in as" not in page.text and "Sign out" not in page.text
    assert "Go to the start page" in page.text
    not_found = client.get("/no/such/page")
    assert not_found.status_code == 404
    assert "Signed in as" in not_found.text
    assert "Back to your SMS MFA settings" in not_found.text


@pytest.fixture
def app_without_redis(tmp_path: Any) -> Flask:
    env = portal_env(tmp_path, REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0")
    return create_app(load_settings(env))


def test_an_unreachable_session_store_is_a_503_that_says_so(app_without_redis, caplog):
    client = app_without_redis.test_client()
    client.set_cookie("mfa_portal", "some-session-id")
    with caplog.at_level(logging.INFO):
        response = client.get("/settings/mfa")
    assert response.status_code == 503
    assert "Service temporarily unavailable" in response.text
    assert "Nothing was changed" in response.text
    assert "session_store_unavailable" in events(caplog)
    assert "unexpected_error" not in events(caplog)
    assert "Set-Cookie" not in response.headers


def test_a_session_store_failing_on_write_is_a_503_too(app_without_redis, caplog):
    use_local_metadata(app_without_redis)
    with caplog.at_level(logging.INFO):
        response = app_without_redis.test_client().get("/login")  # writes where to come back to
    assert response.status_code == 503
    assert "session_store_unavailable" in events(caplog)
    assert "unexpected_error" not in events(caplog)
    assert "Set-Cookie" not in response.headers


def test_probes_never_open_the_session(app_without_redis):
    client = app_without_redis.test_client()
    client.set_cookie("mfa_portal", "some-session-id")
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json == {"status": "ok"}
    assert health.headers["X-Content-Type-Options"] == "nosniff"
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["session_store"] is False
    assert app_without_redis.test_client().get("/healthz/more").status_code == 404


def test_a_disk_store_that_fails_to_open_a_session_is_a_503(app, client, monkeypatch, caplog):
    store: FileSystemCache = app.config["SESSION_CACHELIB"]

    def unreadable(key: str) -> None:
        raise PermissionError(13, "Permission denied", key)

    monkeypatch.setattr(store, "get", unreadable)
    client.set_cookie("mfa_portal", "some-session-id")
    with caplog.at_level(logging.INFO):
        response = client.get("/")
    assert response.status_code == 503
    assert "session_store_unavailable" in events(caplog)
    assert "Set-Cookie" not in response.headers


def test_a_session_folder_that_is_not_a_folder_is_a_503_and_not_ready(app, client, caplog):
    """cachelib would log a warning and treat everyone as signed out; the portal says so."""
    folder = Path(app.extensions["mfa_portal.settings"].session_dir)
    shutil.rmtree(folder)
    folder.write_text("not a folder")
    client.set_cookie("mfa_portal", "some-session-id")
    with caplog.at_level(logging.INFO):
        response = client.get("/")
    assert response.status_code == 503
    assert "session_store_unavailable" in events(caplog)
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["session_store"] is False


def test_a_session_folder_that_fails_a_write_is_a_503(app, client, monkeypatch, caplog):
    use_local_metadata(app)
    monkeypatch.setattr("cachelib.file.tempfile.mkstemp", failing_mkstemp)
    with caplog.at_level(logging.INFO):
        response = client.get("/login")  # writes the pending sign-in
    assert response.status_code == 503
    assert "session_store_unavailable" in events(caplog)


def failing_mkstemp(*_args: Any, **_kwargs: Any) -> None:
    raise OSError(30, "Read-only file system")


def test_a_made_up_host_is_refused_not_redirected_to(client) -> None:
    """Werkzeug's merge-slashes redirect would otherwise be built from the Host header."""
    response = client.get("/settings//mfa", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "evil.example" not in response.headers.get("Location", "")
    assert client.get("/", headers={"Host": "localhost:8000"}).status_code == 200


def test_probes_answer_whatever_the_host(client) -> None:
    """Load balancers probe by address: the probes don't check the Host."""
    assert client.get("/healthz", headers={"Host": "10.0.0.7:8000"}).status_code == 200


def test_a_failing_discovery_is_asked_once_per_window(app, client, monkeypatch) -> None:
    asked: list[str] = []

    def unreachable(url: str, **_kwargs: Any) -> None:
        asked.append(url)
        raise requests.ConnectionError("refused")

    monkeypatch.setattr("app.health.requests.get", unreachable)
    for _ in range(3):
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json["checks"]["cognito_discovery"] is False
    assert len(asked) == 1
