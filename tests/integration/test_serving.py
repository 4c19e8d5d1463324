"""The portal as gunicorn serves it: forwarded headers believed only as configured, one redacted
request line per request, no software named in a header, settings checked before any worker."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.support.http import PortalFarm, csrf_token, sign_in
from tests.support.servers import ROOT, PortalServer, free_port, gunicorn_env

CPUS = len(os.sched_getaffinity(0))
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]


def request_lines(portal: PortalServer) -> list[dict]:
    lines = [json.loads(line) for line in portal.log_lines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "request"]


def test_a_same_host_client_cannot_claim_https(portal: PortalServer) -> None:
    """TRUSTED_PROXIES=0: X-Forwarded-Proto is nobody's word, gunicorn's included. Were it
    believed, this POST would count as https with no origin header and be refused."""
    http = requests.Session()
    page = sign_in(http, portal.url, "alice")
    response = http.post(
        f"{portal.url}/logout",
        data={"csrf_token": csrf_token(page)},
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303
    [line] = [r for r in request_lines(portal) if r["method"] == "POST"]
    assert line["client"] == "127.0.0.1"


def test_no_response_names_the_server_software(portal: PortalServer) -> None:
    for path in ("/", "/healthz", "/static/css/portal.css", "/no-such-page"):
        response = requests.get(f"{portal.url}{path}", timeout=10)
        assert "Server" not in response.headers, path


def test_one_redacted_request_line_per_request(portal: PortalServer) -> None:
    marker = "code-that-must-not-be-logged"
    response = requests.get(
        f"{portal.url}/logged-once?code={marker}&phone=%2B12025550100&step=2", timeout=10
    )
    assert response.status_code == 404
    log = "\n".join(portal.log_lines())
    assert marker not in log
    assert "2025550100" not in log
    assert "gunicorn.access" not in log
    lines = [r for r in request_lines(portal) if r["path"] == "/logged-once"]
    assert len(lines) == 1
    [line] = lines
    assert line["query"].startswith("code=[redacted]&")
    assert line["query"].endswith("&step=2")
    assert line["status"] == 404
    assert line["request_id"] == response.headers["X-Request-ID"]


def test_a_bad_setting_stops_start_up_with_one_line_naming_it(
    farm: PortalFarm, tmp_path: Path
) -> None:
    assert farm.cognito is not None
    port = free_port()
    env = gunicorn_env(farm.cognito, port, tmp_path, SESSION_IDLE_SECONDS="soon")
    server = PortalServer(env, port, tmp_path / "bad.log")
    with pytest.raises(RuntimeError, match="gunicorn exited"):
        server.start(timeout=30)
    output = server.log_path.read_text()
    assert "SESSION_IDLE_SECONDS='soon' is malformed" in output
    assert "Traceback" not in output
    assert server.process is not None and server.process.returncode != 0


def test_several_workers_without_redis_refuse_to_start_naming_redis_url(
    farm: PortalFarm, tmp_path: Path
) -> None:
    """Without Redis each worker counted its own limits: with 2 workers, 20 of 30 change POSTs
    got through a limit of 10. The portal now runs one worker there, or refuses more."""
    assert farm.cognito is not None
    port = free_port()
    env = gunicorn_env(farm.cognito, port, tmp_path, WEB_CONCURRENCY="2")
    assert "REDIS_URL" not in env
    server = PortalServer(env, port, tmp_path / "two-workers.log")
    with pytest.raises(RuntimeError, match="gunicorn exited"):
        server.start(timeout=30)
    [line] = server.log_path.read_text().splitlines()
    assert line.startswith("mfa-portal: WEB_CONCURRENCY=2 needs REDIS_URL")
    assert server.process is not None and server.process.returncode != 0


@pytest.mark.parametrize(
    ("redis_url", "workers"), [(None, "1"), ("redis://127.0.0.1:6379/13", str(max(2, CPUS)))]
)
def test_the_default_worker_count_depends_on_redis(
    farm: PortalFarm, tmp_path: Path, redis_url: str | None, workers: str
) -> None:
    assert farm.cognito is not None
    env = gunicorn_env(farm.cognito, free_port(), tmp_path)
    env.pop("WEB_CONCURRENCY")
    if redis_url:
        env["REDIS_URL"] = redis_url
    printed = subprocess.run(
        [*GUNICORN, "--print-config", "app:create_app()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert re.search(rf"^workers\s+= {workers}$", printed, re.MULTILINE), printed
