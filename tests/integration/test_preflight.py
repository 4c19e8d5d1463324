"""`mfa-portal check` against a real local stand-in: the right configuration passes, and each
deliberately wrong setting fails with a fix that names it.

No AWS credentials here: the DescribeUserPool / DescribeUserPoolClient checks are skipped (they
are unit-tested with botocore's Stubber).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from app.preflight import main
from localcognito.server import LocalCognito
from tests.support.preflight import AWS_CHECKS, CHECKS_WITHOUT_AWS
from tests.support.servers import ROOT, free_port, seed_for

PORTAL = (
    "http://account.example.com"  # the stand-in here is http: an https portal would fail "https"
)
SECRET_KEY = "integration-secret-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="module")
def stand_in() -> Iterator[LocalCognito]:
    with LocalCognito(seed_for(PORTAL)) as stand_in:
        yield stand_in


@pytest.fixture
def env(stand_in: LocalCognito) -> dict[str, str]:
    return stand_in.portal_env(PORTAL) | {"SECRET_KEY": SECRET_KEY}


def run(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, str]]:
    """The exit status and each check's line, by check name."""
    status = main([], env)
    lines = capsys.readouterr().out.splitlines()
    by_check = {line.split(" ", 1)[1].split(":", 1)[0]: line for line in lines}
    return status, by_check


def test_the_stand_in_configuration_passes(env, capsys):
    status, lines = run(env, capsys)
    assert status == 0, "\n".join(lines.values())
    assert list(lines) == [*CHECKS_WITHOUT_AWS, AWS_CHECKS]
    assert all(line.startswith("PASS") for line in list(lines.values())[:-1])
    assert lines[AWS_CHECKS].startswith("SKIP")
    assert env["COGNITO_CLIENT_SECRET"] not in "".join(lines.values())


def test_a_public_client_passes(env, capsys, stand_in):
    public = env | {
        "COGNITO_CLIENT_ID": stand_in.public_client_id or "",
        "COGNITO_CLIENT_SECRET": "",
    }
    status, lines = run(public, capsys)
    assert status == 0
    assert lines["client secret"] == "PASS client secret: public client (no secret)"


def test_a_wrong_pool_id_fails_discovery(env, capsys):
    status, lines = run(env | {"COGNITO_USER_POOL_ID": "us-east-1_NotThePool"}, capsys)
    assert status == 1
    assert lines["discovery"].startswith("FAIL discovery:")
    assert "fix:" in lines["discovery"] and "COGNITO_USER_POOL_ID" in lines["discovery"]
    assert lines["jwks"].startswith("SKIP")


def test_a_wrong_client_id_fails_naming_it(env, capsys):
    status, lines = run(env | {"COGNITO_CLIENT_ID": "notanappclientofthispool"}, capsys)
    assert status == 1
    assert lines["token endpoint"].startswith("PASS")
    for check in ("client secret", "callback URL"):
        assert lines[check].startswith(f"FAIL {check}:")
        assert "COGNITO_CLIENT_ID" in lines[check].split("— fix:", 1)[1]


def test_a_wrong_client_secret_fails_naming_it(env, capsys):
    status, lines = run(env | {"COGNITO_CLIENT_SECRET": "not-the-secret"}, capsys)
    assert status == 1
    assert lines["client secret"] == (
        "FAIL client secret: the token endpoint refuses the client secret (invalid_client)"
        " — fix: set COGNITO_CLIENT_SECRET to the app client's secret"
    )
    assert lines["callback URL"].startswith("PASS")
    assert "not-the-secret" not in "".join(lines.values())


def test_a_missing_secret_for_a_confidential_client_fails(env, capsys):
    status, lines = run(env | {"COGNITO_CLIENT_SECRET": ""}, capsys)
    assert status == 1
    assert lines["client secret"].startswith("FAIL client secret: the app client needs a secret")
    assert "fix: set COGNITO_CLIENT_SECRET" in lines["client secret"]


def test_an_unregistered_callback_url_fails_naming_portal_base_url(env, capsys):
    status, lines = run(env | {"PORTAL_BASE_URL": "https://unlisted.example.com"}, capsys)
    assert status == 1
    callback = lines["callback URL"]
    assert callback.startswith("FAIL callback URL:")
    assert "redirect_mismatch" in callback
    fix = callback.split("— fix:", 1)[1]
    assert "PORTAL_BASE_URL" in fix
    assert "https://unlisted.example.com/auth/callback" in fix
    assert "callback URLs" in fix
    assert lines["client secret"].startswith("PASS")


def test_an_unreachable_cognito_names_the_host(env, capsys):
    closed = f"http://127.0.0.1:{free_port()}"
    status, lines = run(env | {"COGNITO_ENDPOINT_URL": closed, "COGNITO_DOMAIN": closed}, capsys)
    assert status == 1
    host = closed.removeprefix("http://")
    assert f"FAIL discovery: {host} is unreachable" in lines["discovery"]
    assert "COGNITO_ENDPOINT_URL" in lines["discovery"]
    for check in ("token endpoint", "callback URL", "sign-out URL"):
        assert f"{host} is unreachable" in lines[check]
        assert "COGNITO_DOMAIN" in lines[check]


def test_an_unreachable_hosted_ui_names_cognito_domain(env, capsys):
    closed = f"http://127.0.0.1:{free_port()}"
    status, lines = run(env | {"COGNITO_DOMAIN": closed}, capsys)
    assert status == 1
    assert lines["discovery"].startswith("PASS")
    assert lines["sign-out URL"].startswith("FAIL sign-out URL:")
    assert "COGNITO_DOMAIN" in lines["sign-out URL"]


def test_an_invalid_environment_stops_with_exit_2(env, capsys):
    invalid = {k: v for k, v in env.items() if k != "SECRET_KEY"}
    status, lines = run(invalid, capsys)
    assert status == 2
    assert list(lines) == ["settings"]
    assert lines["settings"].startswith("FAIL settings: SECRET_KEY is not set")
    assert "fix: set SECRET_KEY" in lines["settings"]


def test_the_preflight_needs_neither_moto_nor_the_stand_in():
    code = (
        "import sys, app.preflight; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'moto', 'localcognito'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_a_wrong_secret_is_told_apart_from_a_wrong_client_id_when_the_callback_is_wrong_too(
    env, capsys
):
    """redirect_mismatch means the hosted UI found the app client: only the secret is wrong."""
    wrong = {"COGNITO_CLIENT_SECRET": "not-the-secret", "PORTAL_BASE_URL": "https://x.example"}
    status, lines = run(env | wrong, capsys)
    assert status == 1
    assert lines["client secret"].endswith(
        "fix: set COGNITO_CLIENT_SECRET to the app client's secret"
    )
    assert "PORTAL_BASE_URL" in lines["callback URL"]
