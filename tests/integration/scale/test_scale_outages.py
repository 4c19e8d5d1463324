"""Outages and shutdown: Redis going away and coming back, SIGTERM during a slow request."""

from __future__ import annotations

import signal
import threading
import time

import pytest
import requests

from tests.support.http import SharedRedisFarm, get, inject_latency, pending_faults, sign_in
from tests.support.redis_server import RedisServer
from tests.support.servers import PortalServer

pytestmark = pytest.mark.redis


def test_redis_outage_gives_friendly_503_then_service_resumes(
    fresh_redis_farm: SharedRedisFarm, pair: list[PortalServer], own_redis: RedisServer
) -> None:
    a, b = pair
    http = requests.Session()
    sign_in(http, a.url, "alice")
    assert requests.get(f"{a.url}/readyz", timeout=10).status_code == 200

    own_redis.stop()
    try:
        for portal in (a, b):
            page = http.get(f"{portal.url}/settings/mfa", allow_redirects=False, timeout=10)
            assert page.status_code == 503
            assert page.headers["Content-Type"].startswith("text/html")
            assert "Service temporarily unavailable" in page.text
            assert "Nothing was changed" in page.text
            assert "Traceback" not in page.text
            assert "redis" not in page.text.lower()
            assert page.headers.get("X-Request-ID")

            ready = requests.get(f"{portal.url}/readyz", timeout=10)
            assert ready.status_code == 503
            assert ready.json()["checks"]["session_store"] is False
            # Liveness never depends on Redis, not even with a session cookie.
            assert http.get(f"{portal.url}/healthz", timeout=10).status_code == 200
    finally:
        own_redis.start()

    # No restart of the portal: each instance reconnects by itself.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if all(requests.get(f"{p.url}/readyz", timeout=10).status_code == 200 for p in pair):
            break
        time.sleep(0.2)
    else:
        pytest.fail("/readyz did not recover after Redis came back")
    # The sessions were in the (non-persistent) Redis that went away: sign in again, on B.
    http = requests.Session()
    landed = sign_in(http, b.url, "alice")
    assert landed.status_code == 200
    assert get(http, f"{a.url}/settings/mfa").url == f"{a.url}/settings/mfa"


def test_sigterm_lets_an_in_flight_request_finish(fresh_redis_farm: SharedRedisFarm) -> None:
    # The page view must be a Cognito call: not one answered from the sign-in's read.
    (portal,) = fresh_redis_farm.instances(1, WEB_CONCURRENCY="1", STATUS_CACHE_SECONDS="0")
    http = requests.Session()
    sign_in(http, portal.url, "alice")
    inject_latency(fresh_redis_farm.cognito, "GetUser", 1500, times=1)

    result: dict[str, requests.Response | BaseException] = {}

    def load_page() -> None:
        try:
            result["page"] = http.get(f"{portal.url}/settings/mfa", timeout=30)
        except BaseException as exc:  # reported by the assertion below
            result["page"] = exc

    loader = threading.Thread(target=load_page)
    loader.start()
    deadline = time.monotonic() + 10
    while (
        pending_faults(fresh_redis_farm.cognito) and time.monotonic() < deadline
    ):  # the slow GetUser has begun
        time.sleep(0.02)
    assert not pending_faults(fresh_redis_farm.cognito), (
        "the slow GetUser call never reached the stand-in"
    )

    assert portal.process is not None
    assert "page" not in result, "the page was answered before gunicorn was told to stop"
    portal.process.send_signal(signal.SIGTERM)
    loader.join(timeout=30)
    page = result.get("page")
    assert isinstance(page, requests.Response), page
    assert page.status_code == 200
    assert 'data-testid="mfa-status"' in page.text
    assert portal.process.wait(timeout=30) == 0


def test_probes_are_cheap_and_readiness_is_cached(
    fresh_redis_farm: SharedRedisFarm, pair: list[PortalServer]
) -> None:
    a = pair[0]
    requests.get(f"{a.url}/readyz", timeout=10)  # may fetch discovery in this worker
    before = requests.get(f"{fresh_redis_farm.cognito.url}/_local/stats", timeout=10).json()["http"]
    for _ in range(20):
        assert requests.get(f"{a.url}/healthz", timeout=10).json() == {"status": "ok"}
        ready = requests.get(f"{a.url}/readyz", timeout=10)
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"session_store": True, "cognito_discovery": True}
    after = requests.get(f"{fresh_redis_farm.cognito.url}/_local/stats", timeout=10).json()["http"]
    # At most one discovery fetch per worker (2) within the cache window, not one per probe.
    assert after.get("discovery", 0) - before.get("discovery", 0) <= 2
