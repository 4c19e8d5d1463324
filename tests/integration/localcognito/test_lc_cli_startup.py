"""The `mfa-portal local-cognito` command: it starts and prints what the portal needs. (How fast it
starts is the bench's business, not a test's.)"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from app.cli import build_parser
from localcognito.seed import load_seed_file


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Started(subprocess.Popen[str]):
    printed_first: str = ""


def start_cli(*extra: str) -> tuple[Started, str]:
    """The command in a process of its own, once it answers and has printed its setup (it starts
    serving just before it prints); stopped if it never does."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = Started(
        [sys.executable, "-m", "app.cli", "local-cognito", "--port", str(port), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    for _ in range(600):
        if process.poll() is not None:
            break
        try:
            if requests.get(f"{url}/_local/health", timeout=1).status_code == 200:
                process.printed_first = read_through(process, "export COGNITO_POOL_MFA=")
                return process, url
        except requests.RequestException:
            time.sleep(0.05)
    process.kill()
    raise AssertionError(process.communicate()[0])


def read_through(process: subprocess.Popen[str], marker: str, limit: int = 200) -> str:
    """Its output up to the line holding ``marker`` (the setup's last line). What ``readline``
    buffered beyond it is request log lines, which no test reads."""
    assert process.stdout is not None
    lines = []
    for _ in range(limit):
        line = process.stdout.readline()
        lines.append(line)
        if not line or marker in line:
            break
    return "".join(lines)


def stop(process: Started) -> str:
    process.terminate()
    output, _ = process.communicate(timeout=10)
    return process.printed_first + output


def test_cli_starts_and_prints_the_setup():
    process, url = start_cli()
    output = stop(process)
    for expected in (
        "us-east-1_LocalPool",
        "mfaportallocalclient000001",
        "mfaportalpublicclient00001",
        "local-client-secret-not-for-production",
        f"{url}/us-east-1_LocalPool/.well-known/openid-configuration",
        f"{url}/_local/outbox",
        "alice",
        "Alice-Passw0rd!",
        "Bob-Passw0rd!",
        "Carol-Passw0rd!",
        f"export COGNITO_ENDPOINT_URL={url}",
        f"export COGNITO_DOMAIN={url}",
        "export COGNITO_USER_POOL_ID=us-east-1_LocalPool",
        "export PORTAL_BASE_URL=http://127.0.0.1:8000",
    ):
        assert expected in output


def test_cli_with_toml_seed(tmp_path: Path):
    seed = tmp_path / "seed.toml"
    seed.write_text(
        "[user_pool]\naccess_token_validity = 60\n\n"
        '[[users]]\nusername = "dave"\npassword = "Dave-Passw0rd!"\n'
        'phone_number = "+12025550111"\nphone_number_verified = true\n',
        encoding="utf-8",
    )
    process, url = start_cli("--seed", str(seed))
    try:
        response = requests.post(
            url,
            data=json.dumps(
                {
                    "ClientId": "mfaportalpublicclient00001",
                    "AuthFlow": "USER_PASSWORD_AUTH",
                    "AuthParameters": {"USERNAME": "dave", "PASSWORD": "Dave-Passw0rd!"},
                }
            ),
            headers={
                "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
                "Content-Type": "application/x-amz-json-1.1",
            },
            timeout=5,
        )
        assert response.status_code == 200, response.text
        assert response.json()["AuthenticationResult"]["ExpiresIn"] == 60
    finally:
        output = stop(process)
    assert "dave" in output


def test_seed_file_json(tmp_path: Path):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"user_pool": {"mfa_configuration": "on", "classic": True}}))
    seed = load_seed_file(path)
    assert seed["user_pool"]["mfa_configuration"] == "ON"
    assert seed["user_pool"]["classic"] is True
    assert [u["username"] for u in seed["users"]] == ["alice", "bob", "carol"]


def test_parser_defaults():
    args = build_parser().parse_args(["local-cognito"])
    assert (args.host, args.port, args.seed) == ("127.0.0.1", 9229, None)


def test_cli_runs_a_pool_mode_for_a_portal_of_your_choosing():
    portal = "https://127.0.0.1:8443"
    process, url = start_cli("--pool-mfa", "required", "--portal-url", portal)
    try:
        authorize = requests.get(
            f"{url}/oauth2/authorize",
            params={
                "client_id": "mfaportallocalclient000001",
                "response_type": "code",
                "redirect_uri": f"{portal}/auth/callback",
                "scope": "openid",
                "state": "s",
            },
            allow_redirects=False,
            timeout=5,
        )
        assert authorize.status_code in (200, 302), authorize.text
        assert "/error" not in authorize.headers.get("Location", "")
    finally:
        output = stop(process)
    assert "pool MFA        required" in output
    assert "export COGNITO_POOL_MFA=required" in output
    assert f"export PORTAL_BASE_URL={portal}" in output
