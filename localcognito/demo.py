"""``mfa-portal demo``: the local stand-in and the portal under gunicorn, wired together."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from .seed import DEFAULT_SEED, with_portals
from .server import LocalCognito


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


def port_taken(host: str, port: int) -> bool:
    """True when something already listens there (the demo would otherwise report it as ours)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As a server binds: connections of a server that just stopped (TIME_WAIT) don't count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def run_demo(host: str, port: int, cognito_port: int, *, pool_mfa: str | None = None) -> int:
    for name, number in (("--port", port), ("--cognito-port", cognito_port)):
        if port_taken(host, number):
            print(
                f"mfa-portal demo: port {number} on {host} is already in use; stop what runs "
                f"there or choose another with {name}",
                file=sys.stderr,
            )
            return 2
    # SIGTERM stops everything the demo started, as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    base_url = f"http://{host}:{port}"
    work_dir = tempfile.mkdtemp(prefix="mfa-portal-demo-")
    stand_in = LocalCognito(
        with_portals(DEFAULT_SEED, base_url), host=host, port=cognito_port, pool_mfa=pool_mfa
    ).start()
    portal: subprocess.Popen[bytes] | None = None
    try:
        env = {
            **os.environ,
            **stand_in.portal_env(base_url),
            "SECRET_KEY": secrets.token_hex(32),
            # One readable line per request on the console (JSON stays the portal's default).
            "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text"),
            "SESSION_DIR": os.path.join(work_dir, "sessions"),
            "PORT": str(port),
            "HOST": host,
        }
        portal = subprocess.Popen([sys.executable, "-m", "app.cli", "serve"], cwd=work_dir, env=env)
        wait_until_healthy(base_url, portal)
        users = ", ".join(f"{u['username']} / {u['password']}" for u in DEFAULT_SEED["users"])
        print(
            f"\nThe portal is running at {base_url}/  (the local Cognito stand-in at "
            f"{stand_in.url}, user pool MFA {stand_in.pool_mfa}; codes 'texted' are at "
            f"{stand_in.url}/_local/outbox)\n"
            f"Demo users: {users}\nPress Ctrl-C to stop.\n",
            flush=True,
        )
        return portal.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if portal is not None and portal.poll() is None:
            portal.send_signal(signal.SIGTERM)
            try:
                portal.wait(timeout=35)
            except subprocess.TimeoutExpired:
                portal.kill()
                portal.wait()
        stand_in.stop()
        shutil.rmtree(work_dir, ignore_errors=True)
