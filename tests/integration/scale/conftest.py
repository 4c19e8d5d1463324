"""Fixtures for the scale tests: a real Redis, and portals under gunicorn that share it.

Redis: a private ``redis-server`` on a free port when one is on PATH (the outage test stops and
restarts it, so the shared server is never touched); otherwise the server on 127.0.0.1:6379 with
databases 13 and 14, flushed before and after; otherwise every test here is skipped.
"""

from __future__ import annotations

import secrets
import shutil
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
import requests

from localcognito.server import LocalCognito
from tests.support.redis_server import RedisServer
from tests.support.servers import PortalServer, free_port, portal_env, seed_for

SHARED_REDIS = ("127.0.0.1", 6379)


def _shared_redis_answers() -> bool:
    try:
        with socket.create_connection(SHARED_REDIS, timeout=0.5):
            pass
        return bool(redis.Redis(*SHARED_REDIS, db=13, socket_connect_timeout=1).ping())
    except (OSError, redis.RedisError):
        return False


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    if shutil.which("redis-server"):
        server = RedisServer(free_port(), own=True).start()
    elif _shared_redis_answers():
        server = RedisServer(SHARED_REDIS[1], own=False, databases=(13, 14))
        server.flush()
    else:
        pytest.skip(
            "needs Redis: no server answers on 127.0.0.1:6379 and redis-server is not on PATH"
        )
    try:
        yield server
    finally:
        if server.own:
            server.stop()
        else:
            server.flush()


@pytest.fixture
def own_redis(redis_server: RedisServer) -> RedisServer:
    """The outage test stops Redis: only ever a private one."""
    if not redis_server.own:
        pytest.skip(
            "stopping Redis mid-test needs redis-server on PATH (the shared one is never stopped)"
        )
    return redis_server


@dataclass
class Farm:
    """One stand-in registered for every port, and the portals started against it."""

    cognito: LocalCognito
    redis: RedisServer
    tmp: Path
    ports: list[int]
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    portals: list[PortalServer] = field(default_factory=list)

    def portals_on(self, ports: list[int], db: int = 0, **env: str) -> list[PortalServer]:
        """Instances of one deployment: same SECRET_KEY, same REDIS_URL."""
        servers = [
            PortalServer(
                portal_env(
                    self.cognito,
                    port,
                    self.tmp,
                    SECRET_KEY=self.secret_key,
                    REDIS_URL=self.redis.url(db),
                    **env,
                ),
                port,
                self.tmp / f"portal-{port}.log",
            )
            for port in ports
        ]
        with ThreadPoolExecutor(len(servers)) as pool:
            list(pool.map(PortalServer.start, servers))
        self.portals += servers
        return servers

    def latency(self, operation: str, latency_ms: int, times: int | None = None) -> None:
        spec: dict[str, object] = {"operation": operation, "latency_ms": latency_ms}
        if times:
            spec["times"] = times
        requests.post(f"{self.cognito.url}/_local/faults", json=spec, timeout=5).raise_for_status()

    def faults(self) -> list[dict[str, object]]:
        return requests.get(f"{self.cognito.url}/_local/faults", timeout=5).json()

    def stop(self) -> None:
        for server in self.portals:
            server.stop()
        self.cognito.stop()


@pytest.fixture(scope="session")
def farm(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Farm]:
    ports = [free_port() for _ in range(7)]
    cognito = LocalCognito(seed_for(*(f"http://127.0.0.1:{p}" for p in ports))).start()
    farm = Farm(cognito, redis_server, tmp_path_factory.mktemp("scale"), ports)
    try:
        yield farm
    finally:
        farm.stop()


@pytest.fixture(scope="session")
def pair(farm: Farm) -> list[PortalServer]:
    """Instances A and B of one deployment, sharing Redis database 0 (2 workers each)."""
    return farm.portals_on(farm.ports[:2])


@pytest.fixture
def fresh(farm: Farm) -> Iterator[Farm]:
    farm.cognito.reset()
    yield farm
    requests.delete(f"{farm.cognito.url}/_local/faults", json={}, timeout=5)
