"""``/metrics`` under ``mfa-portal serve`` with two workers: one scrape counts what both workers
served (prometheus-client's multiprocess mode), in a folder of the run's own that goes with it."""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
import requests
from prometheus_client.multiprocess import MultiProcessCollector

from tests.support.http import SharedRedisFarm
from tests.support.servers import SERVE, PortalServer, gunicorn_env

pytestmark = pytest.mark.redis

#: Rounds of concurrent requests sent until both workers have served some (each round: 16).
MAX_ROUNDS = 60


def metrics_folder(portal: PortalServer) -> tuple[Path, bool]:
    for line in portal.log_lines():
        if line.startswith("{") and (record := json.loads(line)).get("event") == "metrics_dir":
            return Path(record["path"]), record["private"]
    raise AssertionError("the arbiter logged no metrics folder")


def front_page_count_by_worker(folder: Path) -> dict[int, float]:
    """What each worker's own counter file holds for ``GET /``: read beside the portal, one file
    at a time, so the scrape's sum can be checked against it."""
    counts = {}
    for path in folder.glob("counter_*.db"):
        pid = int(path.stem.removeprefix("counter_"))
        [family] = [
            f for f in MultiProcessCollector.merge([str(path)]) if f.name == "mfa_portal_requests"
        ]
        counts[pid] = sum(
            s.value
            for s in family.samples
            if s.labels.get("route") == "/" and s.name.endswith("_total")
        )
    return counts


def scraped_front_page_count(portal: PortalServer, token: str) -> float:
    response = requests.get(
        f"{portal.url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert response.status_code == 200
    match = re.search(
        r'^mfa_portal_requests_total\{method="GET",route="/",status="200"\} (\S+)$',
        response.text,
        re.MULTILINE,
    )
    assert match, response.text[:2000]
    return float(match.group(1))


def test_one_scrape_adds_up_both_workers_in_a_private_folder(
    fresh_redis_farm: SharedRedisFarm,
) -> None:
    fresh = fresh_redis_farm
    assert fresh.cognito is not None and fresh.redis is not None
    token = secrets.token_hex(32)
    port = fresh.ports[6]
    env = gunicorn_env(
        fresh.cognito,
        port,
        fresh.tmp,
        REDIS_URL=fresh.redis.url(0),
        WEB_CONCURRENCY="2",
        METRICS_TOKEN=token,
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    portal = PortalServer(env, port, fresh.tmp / f"portal-{port}.log", command=SERVE)
    try:
        portal.start()
        folder, private = metrics_folder(portal)
        assert private
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert folder.stat().st_uid == os.getuid()

        sent = 0
        with ThreadPoolExecutor(8) as pool:
            for _ in range(MAX_ROUNDS):
                statuses = pool.map(
                    lambda _: (
                        requests.get(
                            f"{portal.url}/", headers={"Connection": "close"}, timeout=10
                        ).status_code
                    ),
                    range(16),
                )
                assert set(statuses) == {200}
                sent += 16
                by_worker = front_page_count_by_worker(folder)
                if sum(1 for count in by_worker.values() if count) == 2:
                    break
        assert portal.process is not None
        workers = {child.pid for child in psutil.Process(portal.process.pid).children()}
        assert set(by_worker) <= workers
        assert len(by_worker) == 2 and all(by_worker.values()), f"one worker only: {by_worker}"
        assert sum(by_worker.values()) == sent
        assert scraped_front_page_count(portal, token) == sent

        wrong = requests.get(
            f"{portal.url}/metrics", headers={"Authorization": "Bearer wrong"}, timeout=10
        )
        assert wrong.status_code == 401
        assert token not in "\n".join(portal.log_lines())
    finally:
        portal.stop()
    assert portal.process is not None and portal.process.returncode == 0
    assert not folder.exists(), "the run's metrics folder outlived it"
