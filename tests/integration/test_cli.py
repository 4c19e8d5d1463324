"""The `mfa-portal` command as a person runs it: the demo starts, serves, and stops everything it
started on SIGTERM; a taken port is named, not mistaken for the portal; without the stand-in
installed, `demo` and `local-cognito` say in one line what to install."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from app.cli import LOCAL_EXTRA_HINT
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def mfa_portal(*args: str, **kwargs) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the cleanup stops gunicorn too
        **kwargs,
    )


def wait_for(url: str, process: subprocess.Popen[str], attempts: int = 300) -> requests.Response:
    for _ in range(attempts):
        assert process.poll() is None, process.communicate()[0]
        try:
            return requests.get(url, timeout=1)
        except requests.RequestException:
            pass
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.1)
    raise AssertionError(f"{url} never answered")


def read_until(process: subprocess.Popen[str], last_line: str, limit: int = 500) -> str:
    """The process's output up to and including the line holding ``last_line``."""
    assert process.stdout is not None
    seen: list[str] = []
    for _ in range(limit):
        line = process.stdout.readline()
        assert line, f"the process ended before printing {last_line!r}: {''.join(seen)}"
        seen.append(line)
        if last_line in line:
            return "".join(seen)
    raise AssertionError(f"{last_line!r} not among the first {limit} lines: {''.join(seen)}")


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def demo_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("mfa-portal-demo-*"))


@pytest.fixture
def stopped_afterwards() -> Iterator[list[subprocess.Popen[str]]]:
    """Every process a test starts is stopped, pass or fail."""
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_the_demo_serves_the_portal_and_stops_everything_on_sigterm(stopped_afterwards) -> None:
    port, cognito_port = free_port(), free_port()
    before = demo_dirs()
    demo = mfa_portal("demo", "--port", str(port), "--cognito-port", str(cognito_port))
    stopped_afterwards.append(demo)
    printed = read_until(demo, "Press Ctrl-C to stop.")
    assert f"The portal is running at http://127.0.0.1:{port}/" in printed
    assert "Demo users: alice / Alice-Passw0rd!" in printed
    assert wait_for(f"http://127.0.0.1:{port}/healthz", demo).status_code == 200
    # The server closes this connection first, leaving its port in TIME_WAIT after the stop.
    landing = requests.get(f"http://127.0.0.1:{port}/", headers={"Connection": "close"}, timeout=10)
    assert landing.status_code == 200
    assert "Sign in" in landing.text
    sign_in = requests.get(f"http://127.0.0.1:{port}/login", timeout=10)
    assert sign_in.url.startswith(f"http://127.0.0.1:{cognito_port}/")
    assert len(demo_dirs() - before) == 1

    demo.send_signal(signal.SIGTERM)
    output, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, output
    assert not listening(port)
    assert not listening(cognito_port)
    assert demo_dirs() - before == set(), "the demo left its session folder behind"

    again = mfa_portal("demo", "--port", str(port), "--cognito-port", str(cognito_port))
    stopped_afterwards.append(again)
    assert "Press Ctrl-C" in read_until(again, "Press Ctrl-C to stop."), "restarts at once"
    again.send_signal(signal.SIGTERM)
    assert again.wait(timeout=60) == 0


def test_the_demo_names_a_port_that_is_taken(stopped_afterwards) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        demo = mfa_portal("demo", "--port", str(port), "--cognito-port", str(free_port()))
        stopped_afterwards.append(demo)
        output, _ = demo.communicate(timeout=60)
    assert demo.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in output
    assert "--port" in output


@pytest.mark.parametrize("command", ["demo", "local-cognito"])
def test_without_the_stand_in_installed_the_command_says_what_to_install(
    command: str, stopped_afterwards
) -> None:
    """As in a production install: moto is absent, so the stand-in can't be imported."""
    hide_moto = (
        "import sys; sys.modules['moto'] = None; from app.cli import main; "
        f"raise SystemExit(main([{command!r}]))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", hide_moto],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        start_new_session=True,
    )
    stopped_afterwards.append(process)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 2
    assert output.strip() == f"mfa-portal {command}: {LOCAL_EXTRA_HINT}"
    assert "Traceback" not in output


def test_check_runs_the_preflight_against_this_environment(
    local_cognito, tmp_path: Path, stopped_afterwards
) -> None:
    from tests.support.servers import gunicorn_env

    env = gunicorn_env(local_cognito, free_port(), tmp_path)
    env["PORTAL_BASE_URL"] = "http://127.0.0.1:8000"  # a portal address the seed registers
    check = mfa_portal("check", env=env)
    stopped_afterwards.append(check)
    output, _ = check.communicate(timeout=60)
    assert check.returncode == 0, output
    lines = output.splitlines()
    assert lines[0].startswith("PASS settings:")
    assert any(line.startswith("PASS callback URL:") for line in lines)
    assert not any(line.startswith("FAIL") for line in lines)
