"""The demo's console as the person running it reads it while someone signs in and turns SMS MFA
on: one readable line per request, the audit event on the same line, no JSON."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import mfa_badge, sign_in
from tests.support.servers import free_port

READY = "Press Ctrl-C to stop."


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``mfa-portal demo`` on free ports, its console in a file; stopped afterwards."""
    console = tmp_path / "console.txt"
    port, cognito_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if key != "LOG_FORMAT"}
    command = [sys.executable, "-m", "app.cli", "demo"]
    command += ["--port", str(port), "--cognito-port", str(cognito_port)]
    with console.open("w") as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        for _ in range(600):
            assert process.poll() is None, console.read_text()
            if READY in console.read_text():
                break
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.1)
        else:
            raise AssertionError(f"the demo never got ready: {console.read_text()}")
        yield f"http://127.0.0.1:{port}", console
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def request_lines(console: Path) -> list[str]:
    after_banner = console.read_text().split(READY, 1)[1]
    return [line for line in after_banner.splitlines() if line.strip()]


def test_the_demo_console_has_one_readable_line_per_request(
    page: Page, demo: tuple[str, Path]
) -> None:
    url, console = demo
    sign_in(page, url, "alice")
    page.get_by_role("button", name="Turn on SMS MFA").click()
    expect(mfa_badge(page)).to_have_text("SMS MFA: On")

    for _ in range(50):  # the line is written as the response leaves
        if sum("GET /settings/mfa" in line for line in request_lines(console)) >= 2:
            break
        time.sleep(0.1)
    lines = request_lines(console)
    assert not [line for line in lines if line.lstrip().startswith("{")], "no JSON in the demo"
    callbacks = [line for line in lines if "GET /auth/callback" in line]
    assert len(callbacks) == 1, lines
    assert callbacks[0].endswith("[sign_in ok]")
    assert "code=[redacted]" in callbacks[0]
    changes = [line for line in lines if "POST /settings/mfa" in line]
    assert len(changes) == 1, lines
    assert " 303 POST /settings/mfa " in changes[0]
    assert changes[0].endswith("[sms_mfa_on ok]")
    assert not [line for line in lines if "sms_mfa_on" in line and line not in changes]
