"""Rate limits hold as configured with several workers: they count in Redis, not per process.

Without Redis each gunicorn worker counted its own: with 2 workers, 20 of 30 change POSTs got
through a limit of 10 (gunicorn.conf.py now refuses several workers without REDIS_URL)."""

from __future__ import annotations

import time
from http.client import HTTPConnection
from urllib.parse import urlencode, urlsplit

import psutil
import pytest
import requests

from app.budgets import number_key
from tests.support.http import SharedRedisFarm, csrf_token, get, post, sign_in
from tests.support.servers import PortalServer

pytestmark = pytest.mark.redis

CHANGES_LIMIT = 10


@pytest.fixture(scope="module")
def portal(redis_farm: SharedRedisFarm) -> PortalServer:
    (server,) = redis_farm.instances(1, db=1, RATE_LIMIT_CHANGES=f"{CHANGES_LIMIT} per 10 minutes")
    assert server.env["WEB_CONCURRENCY"] == "2"
    return server


def worker_serving(server: PortalServer, client_port: int) -> int | None:
    """The pid of the gunicorn worker holding the connection from ``client_port``."""
    assert server.process is not None
    for worker in psutil.Process(server.process.pid).children():
        for connection in worker.net_connections(kind="tcp"):
            if connection.raddr and connection.raddr.port == client_port:
                return worker.pid
    return None


def connections_to_every_worker(server: PortalServer) -> dict[int, HTTPConnection]:
    """Keep-alive connections, opened until each of the workers holds at least one."""
    assert server.process is not None
    workers = {w.pid for w in psutil.Process(server.process.pid).children()}
    assert len(workers) == 2
    held: dict[int, HTTPConnection] = {}
    address = urlsplit(server.url)
    for _ in range(60):
        connection = HTTPConnection(address.hostname, address.port, timeout=10)
        connection.request("GET", "/healthz")  # served, so its worker has accepted it
        connection.getresponse().read()
        pid = worker_serving(server, connection.sock.getsockname()[1])
        if pid in workers and pid not in held:
            held[pid] = connection
        else:
            connection.close()
        if set(held) == workers:
            return held
        time.sleep(0.01)
    raise AssertionError(f"could not reach both workers: {sorted(held)} of {sorted(workers)}")


def test_the_change_limit_holds_across_two_workers(
    fresh_redis_farm: SharedRedisFarm, portal: PortalServer
) -> None:
    http = requests.Session()
    sign_in(http, portal.url, "carol")
    token = csrf_token(get(http, f"{portal.url}/settings/mfa"))
    headers = {
        "Cookie": f"mfa_portal={http.cookies['mfa_portal']}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    body = urlencode({"csrf_token": token, "enable": "on"})
    connections = connections_to_every_worker(portal)

    statuses: dict[int, list[int]] = {pid: [] for pid in connections}
    for attempt in range(3 * CHANGES_LIMIT):
        pid = list(connections)[attempt % 2]
        connections[pid].request("POST", "/settings/mfa", body=body, headers=headers)
        response = connections[pid].getresponse()
        response.read()
        statuses[pid].append(response.status)
    for connection in connections.values():
        connection.close()

    allowed = [s for served in statuses.values() for s in served if s != 429]
    assert len(allowed) == CHANGES_LIMIT, statuses
    assert all(served.count(429) > 0 for served in statuses.values()), statuses


def test_the_per_number_budget_keeps_no_phone_number_in_redis(
    fresh_redis_farm: SharedRedisFarm, portal: PortalServer
) -> None:
    http = requests.Session()
    sign_in(http, portal.url, "bob")
    token = csrf_token(get(http, f"{portal.url}/settings/phone"))
    form = {"csrf_token": token, "country": "US", "phone_number": "(202) 555-0190"}
    assert post(http, f"{portal.url}/settings/phone", data=form).status_code == 303

    keys = [
        key.decode() for key in fresh_redis_farm.redis.client(1).scan_iter("*mfa-portal-limits*")
    ]
    assert keys
    assert not [key for key in keys if "5550190" in key]
    hashed = number_key(portal.env["SECRET_KEY"], "+12025550190")
    assert [key for key in keys if hashed in key]
