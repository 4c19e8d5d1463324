"""Session-wide servers for integration and end-to-end tests: the stand-in and the portal."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from localcognito.server import LocalCognito
from tests.support.servers import PortalServer, free_port, gunicorn_env, seed_for


@dataclass
class Stack:
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


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stand-in and one portal under gunicorn (one worker: no Redis here), wired together."""
    tmp: Path = tmp_path_factory.mktemp("stack")
    port = free_port()
    cognito = LocalCognito(seed_for(f"http://127.0.0.1:{port}")).start()
    portal = PortalServer(gunicorn_env(cognito, port, tmp), port, tmp / "portal.log").start()
    try:
        yield Stack(cognito, portal)
    finally:
        portal.stop()
        cognito.stop()


@pytest.fixture
def fresh_stack(stack: Stack) -> Iterator[Stack]:
    stack.reset()
    yield stack
    stack.clear_faults()
