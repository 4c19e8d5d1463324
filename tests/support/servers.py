"""The portal under gunicorn and the local Cognito stand-in, started for a test session."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import requests

from localcognito.seed import DEFAULT_SEED, with_portals
from localcognito.server import LocalCognito

ROOT = Path(__file__).resolve().parents[2]
#: ``mfa-portal serve``, as the Procfile runs it.
SERVE = [sys.executable, "-m", "app.cli", "serve"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed_for(*base_urls: str, **pool_overrides: Any) -> dict[str, Any]:
    """The default seed, with the portal(s) at ``base_urls`` registered on every app client."""
    return with_portals(DEFAULT_SEED, *base_urls, **pool_overrides)


@dataclass
class PortalServer:
    """One gunicorn instance of the portal; its JSON log goes to ``log_path``."""

    env: dict[str, str]
    port: int
    log_path: Path
    app: str = "app:create_app()"
    process: subprocess.Popen[bytes] | None = None
    startup_s: float = 0.0
    #: Instead of gunicorn with ``app``: e.g. ``mfa-portal serve`` (``SERVE``).
    command: list[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> Self:
        log = self.log_path.open("ab")
        started = time.perf_counter()
        self.process = subprocess.Popen(
            self.command or [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", self.app],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    self.startup_s = time.perf_counter() - started
                    return self
            except requests.RequestException:
                time.sleep(0.02)
        raise RuntimeError(f"gunicorn did not start: {self.log_path.read_text()[-2000:]}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40.0) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines()


def gunicorn_env(
    stand_in: LocalCognito,
    port: int,
    tmp_dir: Path,
    *,
    public_client: bool = False,
    **overrides: str,
) -> dict[str, str]:
    """The environment of a portal under gunicorn on ``port`` against ``stand_in`` (the unit
    tests' settings, with no server, are ``tests.support.unit.portal_env``)."""
    base_url = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "COGNITO_", "REDIS_", "RATE_LIMIT_"))
    }
    env.update(stand_in.portal_env(base_url))
    if public_client:
        env["COGNITO_CLIENT_ID"] = "mfaportalpublicclient00001"
        env.pop("COGNITO_CLIENT_SECRET", None)
    env.update(
        SECRET_KEY=secrets.token_hex(32),
        SESSION_DIR=str(tmp_dir / f"sessions-{port}"),
        PORT=str(port),
        HOST="127.0.0.1",
        # Several workers share their rate-limit counters only in Redis (gunicorn.conf.py
        # refuses more than one without it): two where a test gives the portal REDIS_URL.
        WEB_CONCURRENCY="2" if overrides.get("REDIS_URL") else "1",
        GUNICORN_THREADS="8",
        RATE_LIMIT_SIGNIN="1000 per minute",
        RATE_LIMIT_CHANGES="1000 per minute",
        RATE_LIMIT_CODES="1000 per minute",
        COGNITO_READ_TIMEOUT="2",
        COGNITO_CONNECT_TIMEOUT="1",
        COGNITO_MAX_ATTEMPTS="2",
        # Credentials are never needed: prove it by pointing the SDK at files that don't exist.
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_dir / "no-credentials"),
        AWS_CONFIG_FILE=str(tmp_dir / "no-config"),
    )
    env.update(overrides)
    return env


@dataclass
class Stack:
    """A stand-in and the portal wired to it (the end-to-end tests' world)."""

    cognito: LocalCognito
    portal: PortalServer

    def reset(self) -> None:
        self.cognito.reset()

    def inject(self, operation: str, error: str, message: str = "", times: int = 1) -> None:
        response = requests.post(
            f"{self.cognito.url}/_local/faults",
            json={"operation": operation, "error": error, "message": message, "times": times},
            timeout=5,
        )
        response.raise_for_status()

    def clear_faults(self) -> None:
        requests.delete(f"{self.cognito.url}/_local/faults", json={}, timeout=5).raise_for_status()


@contextmanager
def own_stack(tmp_path: Path, **env: str) -> Iterator[Stack]:
    """A stand-in of its own and one portal (one worker) with ``env``: for a test that stops
    the stand-in, or needs settings no other test shares. Both stop, pass or fail."""
    port = free_port()
    cognito = LocalCognito(seed_for(f"http://127.0.0.1:{port}")).start()
    try:
        settings = gunicorn_env(cognito, port, tmp_path, WEB_CONCURRENCY="1", **env)
        portal = PortalServer(settings, port, tmp_path / "portal.log").start()
        try:
            yield Stack(cognito, portal)
        finally:
            portal.stop()
    finally:
        cognito.stop()
