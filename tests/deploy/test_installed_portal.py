"""The installed wheel, behind nginx, seen without a browser: its commands, its assets, its
headers and the client address it logs."""

from __future__ import annotations

import http.client
import ssl
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.support.deployment import Deployment
from tests.support.install import ROOT, ProductionInstall
from tests.support.preflight import CHECKS_WITHOUT_AWS

pytestmark = pytest.mark.deploy

ASSETS = ("/static/css/portal.css", "/static/js/focus.js", "/static/favicon.svg")
#: Another loopback address: nginx sees the client there, the portal sees nginx at 127.0.0.1.
OTHER_LOOPBACK = "127.0.0.2"
SPOOFED = "203.0.113.7"


def run(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_production_install_has_no_moto_and_runs_the_packaged_portal(
    production_install: ProductionInstall, deployment: Deployment
) -> None:
    assert not production_install.can_import("moto")
    where = run(
        [str(production_install.python), "-c", "import app; print(app.resource_path('static'))"],
        deployment.env,
        deployment.workdir,
    )
    assert Path(where.stdout.strip()).is_relative_to(production_install.venv), where.stderr
    assert list(deployment.workdir.iterdir()) == [], "the portal runs from an empty directory"


@pytest.mark.parametrize("command", ["demo", "local-cognito"])
def test_development_commands_say_in_one_line_what_to_install(
    production_install: ProductionInstall, deployment: Deployment, command: str
) -> None:
    result = run(
        [str(production_install.command("mfa-portal")), command],
        deployment.env,
        deployment.workdir,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"mfa-portal {command}: ")
    assert "mfa-portal[local]" in line


def test_check_passes_against_the_stand_in_over_tls(
    production_install: ProductionInstall, deployment: Deployment
) -> None:
    result = run(
        [str(production_install.command("mfa-portal")), "check"],
        deployment.env,
        deployment.workdir,
    )
    print(result.stdout)  # shown with -rP
    assert result.returncode == 0, result.stdout + result.stderr
    passed = {line.split(":")[0].removeprefix("PASS ") for line in result.stdout.splitlines()}
    assert passed >= set(CHECKS_WITHOUT_AWS), result.stdout
    assert "FAIL" not in result.stdout
    assert "Traceback" not in result.stderr


def test_every_asset_comes_from_the_installed_package(fresh_deployment: Deployment) -> None:
    http = fresh_deployment.http()
    for path in ASSETS:
        response = http.get(f"{fresh_deployment.url}{path}", timeout=10)
        assert response.status_code == 200, path
        assert response.content == (ROOT / path.removeprefix("/")).read_bytes(), path


@pytest.mark.parametrize(
    "path", ["/", "/login", "/healthz", "/readyz", "/static/css/portal.css", "/nope"]
)
def test_https_responses_carry_hsts_and_name_no_gunicorn(
    fresh_deployment: Deployment, path: str
) -> None:
    response = fresh_deployment.http().get(
        f"{fresh_deployment.url}{path}", allow_redirects=False, timeout=10
    )
    assert response.status_code in (200, 302, 303, 404)
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    assert response.headers.get("Server") == "nginx", "nginx, without a version; never gunicorn"


def test_plain_http_is_redirected_to_https(deployment: Deployment) -> None:
    response = deployment.http().get(
        f"{deployment.plain_http_url}/settings/mfa", allow_redirects=False, timeout=10
    )
    assert response.status_code == 301
    assert response.headers["Location"] == "https://127.0.0.1/settings/mfa"


def get_from(deployment: Deployment, source: str, headers: dict[str, str]) -> int:
    """A GET through nginx from the loopback address ``source``."""
    context = ssl.create_default_context(cafile=str(deployment.certificates.ca_path))
    connection = http.client.HTTPSConnection(
        "127.0.0.1", deployment.ports.https, context=context, source_address=(source, 0), timeout=10
    )
    try:
        connection.request("GET", "/", headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def test_the_log_names_the_client_nginx_saw_not_a_spoofed_one(
    fresh_deployment: Deployment,
) -> None:
    request_id = uuid.uuid4().hex
    headers = {"X-Forwarded-For": SPOOFED, "X-Request-ID": request_id}
    assert get_from(fresh_deployment, OTHER_LOOPBACK, headers) == 200

    [line] = [r for r in fresh_deployment.request_lines() if r["request_id"] == request_id]
    assert line["client"] == OTHER_LOOPBACK
    access_log = (fresh_deployment.nginx.cwd / "access.log").read_text()
    assert f"{OTHER_LOOPBACK} - -" in access_log
