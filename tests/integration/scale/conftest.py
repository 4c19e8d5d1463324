"""Fixtures for the scale tests: a real Redis, and portals under gunicorn that share it.

Redis: a private ``redis-server`` on a free port when one is on PATH (the outage test stops and
restarts it, so the shared server is never touched); otherwise the server on 127.0.0.1:6379 with
databases 13 and 14, flushed before and after; otherwise every test here is skipped.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator

import pytest
import redis
import requests

from tests.support.http import SharedRedisFarm
from tests.support.redis_server import RedisServer
from tests.support.servers import PortalServer, free_port

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


@pytest.fixture(scope="session")
def redis_farm(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SharedRedisFarm]:
    """One stand-in seeded for seven portal addresses; the tests start instances on them."""
    farm = SharedRedisFarm(tmp_path_factory.mktemp("scale"), redis=redis_server)
    try:
        yield farm.start(slots=7)
    finally:
        farm.stop()


@pytest.fixture(scope="session")
def pair(redis_farm: SharedRedisFarm) -> list[PortalServer]:
    """Instances A and B of one deployment, sharing Redis database 0 (2 workers each)."""
    return redis_farm.instances(2)


@pytest.fixture
def fresh_redis_farm(redis_farm: SharedRedisFarm) -> Iterator[SharedRedisFarm]:
    assert redis_farm.cognito is not None
    redis_farm.cognito.reset()
    yield redis_farm
    requests.delete(f"{redis_farm.cognito.url}/_local/faults", json={}, timeout=5)
