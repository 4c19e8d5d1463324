"""``mfa-portal demo``: the local stand-in and the portal under gunicorn, wired together."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from .seed import DEFAULT_SEED, with_portals
from .server import LocalCognito

ROOT = Path(__file__).resolve().parent.parent


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the portal exited during start-up (code {process.returncode})")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the portal did not answer at {url} within {timeout:.0f}s")


def run_demo(host: str, port: int, cognito_port: int) -> int:
    base_url = f"http://{host}:{port}"
    stand_in = LocalCognito(
        with_portals(DEFAULT_SEED, base_url), host=host, port=cognito_port
    ).start()
    env = {
        **os.environ,
        **stand_in.portal_env(base_url),
        "SECRET_KEY": secrets.token_hex(32),
        "SESSION_DIR": tempfile.mkdtemp(prefix="mfa-portal-demo-sessions-"),
        "PORT": str(port),
        "HOST": host,
    }
    portal = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_healthy(base_url, portal)
        users = ", ".join(f"{u['username']} / {u['password']}" for u in DEFAULT_SEED["users"])
        print(
            f"\nThe portal is running at {base_url}/  (the local Cognito stand-in at "
            f"{stand_in.url}; codes 'texted' are at {stand_in.url}/_local/outbox)\n"
            f"Demo users: {users}\nPress Ctrl-C to stop.\n",
            flush=True,
        )
        return portal.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if portal.poll() is None:
            portal.send_signal(signal.SIGTERM)
            portal.wait(timeout=35)
        stand_in.stop()
