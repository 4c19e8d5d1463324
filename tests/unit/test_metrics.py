"""Metrics for operators: requests by route, Cognito calls by outcome, session store failures, the
quota functions, and ``/metrics`` behind its bearer token (absent without one).

In one process the default registry holds the samples, shared by every test of the run: each test
reads a sample before and after what it does."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import redis
from botocore.exceptions import ReadTimeoutError
from flask import Flask
from prometheus_client import REGISTRY

from app import create_app, metrics
from app.config import ConfigError, load_settings
from app.errors import PortalError
from app.observability import JsonFormatter, redact
from app.sessions import counted
from tests.support.unit import ACCESS_TOKEN, get_user_response, portal_env
from tests.unit.oauth import use_local_metadata

TOKEN = "metrics-token-0123456789abcdef-0123456789abcdef"
ROOT = Path(__file__).resolve().parents[2]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(f"mfa_portal_{name}", labels) or 0.0


def requests_counted(route: str, method: str = "GET", status: str = "200") -> float:
    return sample("requests_total", route=route, method=method, status=status)


def routes_counted() -> set[str]:
    return {
        s.labels["route"]
        for family in REGISTRY.collect()
        if family.name == "mfa_portal_requests"
        for s in family.samples
    }


@pytest.fixture
def app_with_token(tmp_path: Any) -> Flask:
    return create_app(load_settings(portal_env(tmp_path, METRICS_TOKEN=TOKEN)))


# --- requests ------------------------------------------------------------------------------


def test_a_request_is_counted_by_its_url_rule_method_and_status(client) -> None:
    before = requests_counted("/settings/mfa", status="303")
    timed = sample("request_duration_seconds_count", route="/settings/mfa")
    assert client.get("/settings/mfa").status_code == 303  # not signed in: to /login
    assert requests_counted("/settings/mfa", status="303") == before + 1
    assert sample("request_duration_seconds_count", route="/settings/mfa") == timed + 1


def test_an_unknown_path_is_unmatched_never_its_own_label(client) -> None:
    before = requests_counted("unmatched", status="404")
    assert client.get("/no/such/page-4711").status_code == 404
    assert requests_counted("unmatched", status="404") == before + 1
    assert not [route for route in routes_counted() if "4711" in route]


def test_a_made_up_method_is_other(client) -> None:
    before = requests_counted("unmatched", method="other", status="405")
    assert client.open("/", method="BREW").status_code == 405
    assert requests_counted("unmatched", method="other", status="405") == before + 1


def test_probes_are_counted_by_their_path(client) -> None:
    before = requests_counted("/healthz")
    assert client.get("/healthz").status_code == 200
    assert requests_counted("/healthz") == before + 1


def test_a_session_lost_on_write_is_counted_once_as_its_503(app, client, monkeypatch) -> None:
    """The save fails after the response was made: the request is its 503, not also a 302."""
    use_local_metadata(app)

    def read_only(*_args: Any, **_kwargs: Any) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr("cachelib.file.tempfile.mkstemp", read_only)
    redirected = requests_counted("/login", status="302")
    refused = requests_counted("/login", status="503")
    failures = sample("session_store_errors_total", kind="io")
    assert client.get("/login").status_code == 503
    assert requests_counted("/login", status="503") == refused + 1
    assert requests_counted("/login", status="302") == redirected
    assert sample("session_store_errors_total", kind="io") == failures + 1


# --- Cognito calls -------------------------------------------------------------------------


def test_a_cognito_call_is_counted_and_timed(signed_in, stubber) -> None:
    ok = sample("cognito_calls_total", operation="GetUser", outcome="ok")
    timed = sample("cognito_call_duration_seconds_count", operation="GetUser")
    stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    assert signed_in.get("/settings/mfa").status_code == 200
    assert sample("cognito_calls_total", operation="GetUser", outcome="ok") == ok + 1
    assert sample("cognito_call_duration_seconds_count", operation="GetUser") == timed + 1


def test_a_cognito_error_is_counted_by_its_code(app, stubber) -> None:
    throttled = sample(
        "cognito_calls_total", operation="SetUserSettings", outcome="TooManyRequestsException"
    )
    stubber.add_client_error("set_user_settings", "TooManyRequestsException", "Rate exceeded")
    with pytest.raises(PortalError):
        app.extensions["mfa_portal.cognito"].set_sms_mfa(ACCESS_TOKEN, True)
    assert (
        sample(
            "cognito_calls_total", operation="SetUserSettings", outcome="TooManyRequestsException"
        )
        == throttled + 1
    )


def test_a_code_the_catalog_does_not_know_is_other(app, stubber) -> None:
    other = sample("cognito_calls_total", operation="GetUser", outcome="other")
    stubber.add_client_error("get_user", "BrandNewException-4711", "new")
    with pytest.raises(PortalError):
        app.extensions["mfa_portal.cognito"].get_mfa_status(ACCESS_TOKEN)
    assert sample("cognito_calls_total", operation="GetUser", outcome="other") == other + 1


def test_a_transport_failure_is_counted_by_its_transport_code(app) -> None:
    service = app.extensions["mfa_portal.cognito"]

    def time_out(**_kwargs: Any) -> None:
        raise ReadTimeoutError(endpoint_url="http://cognito.test")

    service.client.meta.events.register("before-send.cognito-idp.*", time_out)
    before = sample("cognito_calls_total", operation="GetUser", outcome="transport:read_timeout")
    with pytest.raises(PortalError):
        service.get_mfa_status(ACCESS_TOKEN)
    assert (
        sample("cognito_calls_total", operation="GetUser", outcome="transport:read_timeout")
        == before + 1
    )


# --- the session store ---------------------------------------------------------------------


def test_a_session_store_failure_is_counted_by_kind(app, client, monkeypatch) -> None:
    def unreadable(key: str) -> None:
        raise PermissionError(13, "Permission denied", key)

    monkeypatch.setattr(app.config["SESSION_CACHELIB"], "get", unreadable)
    client.set_cookie("mfa_portal", "some-session-id")
    before = sample("session_store_errors_total", kind="io")
    assert client.get("/").status_code == 503
    assert sample("session_store_errors_total", kind="io") == before + 1


def test_an_unreachable_redis_is_a_connection_failure(tmp_path) -> None:
    env = portal_env(tmp_path, REDIS_URL="redis://127.0.0.1:1/0")
    client = create_app(load_settings(env)).test_client()
    client.set_cookie("mfa_portal", "some-session-id")
    before = sample("session_store_errors_total", kind="connection")
    assert client.get("/").status_code == 503
    assert sample("session_store_errors_total", kind="connection") == before + 1


def test_a_redis_timeout_is_a_timeout_not_a_connection_failure() -> None:
    before = sample("session_store_errors_total", kind="timeout")
    error = redis.exceptions.TimeoutError("Timeout reading from socket")
    assert counted(error) is error
    assert sample("session_store_errors_total", kind="timeout") == before + 1


# --- the quota buckets' functions ----------------------------------------------------------


def test_the_quota_functions_write_their_metrics() -> None:
    waits = sample("quota_wait_seconds_count", category="UnitRead")
    exhausted = sample("quota_exhausted_total", category="UnitRead")
    metrics.quota_wait("UnitRead", 0.2)
    metrics.quota_exhausted("UnitRead")
    metrics.quota_tokens("UnitRead", 7.5)
    metrics.quota_tokens("UnitRead", 3.0)
    assert sample("quota_wait_seconds_count", category="UnitRead") == waits + 1
    assert sample("quota_wait_seconds_bucket", category="UnitRead", le="0.25") >= 1
    assert sample("quota_exhausted_total", category="UnitRead") == exhausted + 1
    assert sample("quota_tokens", category="UnitRead") == 3.0


def test_a_metric_that_cannot_be_written_never_fails_the_caller(monkeypatch, caplog) -> None:
    def broken() -> None:
        raise FileNotFoundError("the metrics folder is gone")

    monkeypatch.setattr(metrics, "_instruments", broken)
    monkeypatch.setattr(metrics, "_failure_logged", False)
    with caplog.at_level(logging.ERROR):
        metrics.cognito_call("GetUser", "ok", 0.1)
        metrics.session_store_error("io")
    assert [r.event for r in caplog.records] == ["metrics_failed"]  # once per process


# --- /metrics ------------------------------------------------------------------------------


def test_without_a_token_setting_metrics_is_the_portals_404(client) -> None:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    unknown = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.content_type == unknown.content_type == "text/html; charset=utf-8"
    assert "mfa_portal" not in response.text


@pytest.mark.parametrize(
    "authorization",
    [None, f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", TOKEN, f"Basic {TOKEN}", "Bearer "],
)
def test_a_wrong_or_missing_token_is_a_401(app_with_token, authorization) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = app_with_token.test_client().get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert "mfa_portal" not in response.text


def test_the_right_token_gets_the_metrics(app_with_token) -> None:
    client = app_with_token.test_client()
    client.get("/healthz")
    response = client.get("/metrics", headers={"Authorization": f"bearer  {TOKEN} "})
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    assert response.headers["Cache-Control"] == "no-store"
    assert 'mfa_portal_requests_total{method="GET",route="/healthz",status="200"}' in response.text
    assert "# TYPE mfa_portal_cognito_call_duration_seconds histogram" in response.text


def test_openmetrics_when_the_scraper_asks_for_it(app_with_token) -> None:
    response = app_with_token.test_client().get(
        "/metrics",
        headers={"Authorization": f"Bearer {TOKEN}", "Accept": "application/openmetrics-text"},
    )
    assert response.content_type.startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")


def test_a_scrape_opens_no_session_and_is_no_portal_route(app_with_token) -> None:
    client = app_with_token.test_client()
    client.set_cookie("mfa_portal", "some-session-id")
    for _ in range(2):
        response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert "Set-Cookie" not in response.headers
    assert "/metrics" not in routes_counted()


def test_the_token_is_never_logged(app_with_token, caplog) -> None:
    """The lines as the JSON formatter writes them: the request lines, and a line that quotes
    the header (as a traceback of a header dump would)."""
    client = app_with_token.test_client()
    with caplog.at_level(logging.INFO):
        client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}-wrong"})
        logging.getLogger("unit").error("headers: {'Authorization': 'Bearer %s'}", TOKEN)
    lines = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert lines.count('"path": "/metrics"') == 2
    assert TOKEN not in lines
    assert "Bearer [redacted]" in lines


def test_redaction_hides_authorization_credentials_not_prose() -> None:
    assert redact(f"Authorization: Bearer {TOKEN}") == "Authorization: Bearer [redacted]"
    assert redact("Authorization: Basic dXNlcjpwYXNzd29yZA==") == "Authorization: Basic [redacted]"
    assert redact(f"AUTHORIZATION: BEARER {TOKEN}") == "AUTHORIZATION: BEARER [redacted]"
    assert redact("a bearer of good news") == "a bearer of good news"


# --- METRICS_TOKEN -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "says"),
    [("short-token-0123", "too short"), ("token with spaces 0123456789abcdef0123", "malformed")],
)
def test_a_weak_or_malformed_token_stops_start_up_without_echoing_it(tmp_path, value, says):
    with pytest.raises(ConfigError) as raised:
        load_settings(portal_env(tmp_path, METRICS_TOKEN=value))
    assert str(raised.value).startswith(f"METRICS_TOKEN is {says}")
    assert value not in str(raised.value)


def test_the_token_is_not_in_the_settings_repr(tmp_path) -> None:
    settings = load_settings(portal_env(tmp_path, METRICS_TOKEN=TOKEN))
    assert settings.metrics_token == TOKEN
    assert TOKEN not in repr(settings)
    assert load_settings(portal_env(tmp_path, METRICS_TOKEN="  ")).metrics_token is None


# --- multiprocess mode under gunicorn ------------------------------------------------------


def test_the_arbiter_has_not_imported_prometheus_client_when_its_folder_is_set(tmp_path) -> None:
    """prometheus_client picks its multiprocess mode when imported: ``mfa-portal serve`` and
    gunicorn.conf.py load the app package long before ``on_starting`` sets the folder."""
    script = (
        "import runpy, sys\n"
        "import app.cli, app.serving\n"
        "config = runpy.run_path('gunicorn.conf.py')\n"
        "assert 'on_starting' in config and 'child_exit' in config and 'on_exit' in config\n"
        "print('prometheus_client' in sys.modules)\n"
    )
    env = {**os.environ, **portal_env(tmp_path)}
    env.pop(metrics.MULTIPROC_ENV, None)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_without_a_folder_set_a_private_one_is_made_and_removed(monkeypatch) -> None:
    monkeypatch.setenv(metrics.MULTIPROC_ENV, "")
    folder = metrics.prepare_multiprocess_dir()
    try:
        assert folder.private
        assert os.environ[metrics.MULTIPROC_ENV] == str(folder.path)
        assert stat.S_IMODE(folder.path.stat().st_mode) == 0o700
        assert list(folder.path.iterdir()) == []
    finally:
        metrics.remove_private_dir(folder)
    assert not folder.path.exists()


def test_the_operators_folder_is_emptied_of_samples_and_kept(monkeypatch, tmp_path) -> None:
    configured = tmp_path / "metrics"
    configured.mkdir()
    stale = [configured / name for name in ("counter_123.db", "histogram_123.db")]
    stale.append(configured / "gauge_mostrecent_123.db")
    for path in stale:
        path.write_bytes(b"from an earlier run")
    (configured / "README").write_text("the operator's own file")
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(configured))
    folder = metrics.prepare_multiprocess_dir()
    assert not folder.private
    assert sorted(p.name for p in configured.iterdir()) == ["README"]
    metrics.remove_private_dir(folder)
    assert configured.exists()


def test_the_operators_folder_is_made_when_missing(monkeypatch, tmp_path) -> None:
    configured = tmp_path / "run" / "metrics"
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(configured))
    assert metrics.prepare_multiprocess_dir().path == configured
    assert configured.is_dir()


def test_a_dead_workers_live_gauges_go(monkeypatch, tmp_path) -> None:
    """gunicorn's ``child_exit``: what ``mark_process_dead`` removes (only ``live*`` gauges)."""
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(tmp_path))
    (tmp_path / "gauge_livesum_4711.db").write_bytes(b"")
    (tmp_path / "counter_4711.db").write_bytes(b"")
    metrics.worker_exited(4711)
    assert [p.name for p in tmp_path.iterdir()] == ["counter_4711.db"]


def test_an_unusable_operator_folder_stops_start_up_naming_it(tmp_path) -> None:
    """In a process of its own: loading gunicorn.conf.py patches gunicorn (the Server header)."""
    not_a_folder = tmp_path / "metrics"
    not_a_folder.write_text("a file")
    script = "import runpy\nrunpy.run_path('gunicorn.conf.py')['on_starting'](None)\n"
    env = {**os.environ, **portal_env(tmp_path), metrics.MULTIPROC_ENV: str(not_a_folder)}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"mfa-portal: PROMETHEUS_MULTIPROC_DIR='{not_a_folder}'")
