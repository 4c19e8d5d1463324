"""The surge: 5x Cognito's quota offered, two portal instances on one Redis, and what people see.

``uv run python -m bench.surge`` (about a minute). The stand-in enforces per-category quotas as
Cognito does (``TooManyRequestsException`` above the rate); two gunicorn instances of the portal
share one Redis, so their buckets are the same buckets. The load is open-loop: page views
(GET /settings/mfa, one ``UserRead`` call each when the person's status isn't cached) and changes
(POST /settings/mfa turning SMS MFA on or off, then the page it redirects to), each arriving at
``--offered`` times its category's quota, spread over both instances and many people.

It reports, per category: Cognito calls per second as the stand-in counted them (the most in any
one-second window, which must never be above the quota) and the calls it refused; and for people:
how many saw Cognito's throttling message (target: none), the share answered with the portal's
"busy" notice, and the wait for a place in the quota schedule (p50, p99), read from the portal's
request log lines (``quota_wait_ms``).

The quotas are scaled down (default ``UserRead`` 10/s, ``UserUpdate`` 4/s, against Cognito's 120
and 25) so that 5x fits on a small shared machine; the portal's rates are ``--share`` of them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import secrets
import shutil
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from markupsafe import escape

from app.errors import lookup
from bench.run import RESULTS, bench_users, machine
from localcognito.server import LocalCognito
from tests.support.http import csrf_token, sign_in
from tests.support.redis_server import RedisServer
from tests.support.servers import PortalServer, free_port, gunicorn_env, seed_for

PASSWORD = "Bench-Passw0rd!"
# As the pages say them (HTML-escaped).
BUSY = str(escape(lookup("portal:busy").summary))
THROTTLED = str(escape(lookup("TooManyRequestsException").summary))
READS = str(escape(lookup("portal:status_reads").summary))
BUSY_READ = str(escape(lookup("portal:busy", "read").summary))


@dataclass
class Outcomes:
    """What each person saw, by kind of request; latencies of those served."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    served_latency_ms: list[float] = field(default_factory=list)
    late_starts: int = 0
    others: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note_other(self, status: int, text: str) -> None:
        """What an unexpected answer said (its alert or title), to be read in the results."""
        match = re.search(r'role="(?:alert|status)"[^>]*>\s*<p>(.*?)</p>', text, re.S) or re.search(
            r"<title>(.*?)</title>", text, re.S
        )
        said = f"{status}: {match.group(1).strip() if match else text[:80]}"
        with self.lock:
            self.others[said] = self.others.get(said, 0) + 1

    def record(self, kind: str, outcome: str, latency_ms: float) -> None:
        with self.lock:
            by_kind = self.counts.setdefault(kind, {})
            by_kind[outcome] = by_kind.get(outcome, 0) + 1
            if outcome == "served":
                self.served_latency_ms.append(latency_ms)


def seen(text: str, served_marker: str) -> str:
    if THROTTLED in text:
        return "throttled"
    if served_marker in text:  # a change done, even if the page after then had to wait
        return "served"
    if BUSY in text or BUSY_READ in text or READS in text:
        return "busy"
    return "other"


@dataclass
class Person:
    name: str
    http: requests.Session
    token: str
    sms_on: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


def sign_in_everyone(portal_url: str, usernames: list[str]) -> list[Person]:
    def one(username: str) -> Person:
        http = requests.Session()
        landed = sign_in(http, portal_url, username, PASSWORD)
        if landed.status_code != 200:
            raise RuntimeError(f"sign-in of {username}: {landed.status_code} {landed.url}")
        return Person(username, http, csrf_token(landed))

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, usernames))


def page_view(person: Person, url: str, outcomes: Outcomes) -> None:
    started = time.perf_counter()
    try:
        page = person.http.get(f"{url}/settings/mfa", timeout=30)
        outcome = seen(page.text, "SMS MFA:")
        if outcome == "other":
            outcomes.note_other(page.status_code, page.text)
    except requests.RequestException:
        outcome = "failed"
    outcomes.record("page_view", outcome, (time.perf_counter() - started) * 1000)


def change(person: Person, url: str, outcomes: Outcomes) -> None:
    if not person.lock.acquire(blocking=False):
        outcomes.record("change", "skipped_in_flight", 0.0)
        return
    started = time.perf_counter()
    try:
        data = {"csrf_token": person.token, "enable": "off" if person.sms_on else "on"}
        if person.sms_on:
            data["confirmed"] = "yes"
        answer = person.http.post(
            f"{url}/settings/mfa", data=data, allow_redirects=False, timeout=30
        )
        page = person.http.get(f"{url}/settings/mfa", timeout=30)
        done = "SMS MFA is now off." if person.sms_on else "SMS MFA is now on."
        outcome = seen(page.text, done) if answer.status_code == 303 else "other"
        if outcome == "other":
            outcomes.note_other(answer.status_code, page.text)
        if outcome == "served":
            person.sms_on = not person.sms_on
    except requests.RequestException:
        outcome = "failed"
    finally:
        person.lock.release()
    outcomes.record("change", outcome, (time.perf_counter() - started) * 1000)


def offer(
    people: list[Person],
    urls: list[str],
    rates: dict[str, float],
    duration: float,
    outcomes: Outcomes,
) -> float:
    """Open-loop arrivals for ``duration`` seconds; returns the seconds it really took."""
    arrivals: list[tuple[float, str]] = []
    for kind, rate in rates.items():
        arrivals += [(i / rate, kind) for i in range(int(rate * duration))]
    arrivals.sort()
    viewers, changers = itertools.cycle(people), itertools.cycle(reversed(people))
    instance = itertools.cycle(urls)
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=192) as pool:
        for at, kind in arrivals:
            delay = began + at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            elif delay < -0.05:
                outcomes.late_starts += 1
            if kind == "page_view":
                pool.submit(page_view, next(viewers), next(instance), outcomes)
            else:
                pool.submit(change, next(changers), next(instance), outcomes)
    return time.perf_counter() - began


def quota_waits(logs: list[Path]) -> list[float]:
    waits = []
    for path in logs:
        for line in path.read_text().splitlines():
            if '"event": "request"' not in line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if "quota_wait_ms" in record:
                waits.append(float(record["quota_wait_ms"]))
    return waits


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="5x Cognito's quota, two portals, one Redis.")
    parser.add_argument("--read-quota", type=int, default=10, help="stand-in UserRead/s")
    parser.add_argument("--update-quota", type=int, default=4, help="stand-in UserUpdate/s")
    parser.add_argument("--offered", type=float, default=5.0, help="load, times the quota")
    parser.add_argument("--share", type=float, default=0.8, help="portal rate / quota")
    parser.add_argument("--wait", type=float, default=2.0, help="COGNITO_QUOTA_WAIT_SECONDS")
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--people", type=int, default=120)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="mfa-portal-surge-"))
    redis_server = RedisServer(free_port(), own=True).start()
    ports = [free_port(), free_port()]
    people_seed = bench_users(args.people)
    seed = seed_for(*(f"http://127.0.0.1:{port}" for port in ports))
    seed["users"] = [*seed["users"], *people_seed]
    cognito = LocalCognito(seed).start()
    secret_key = secrets.token_hex(32)
    quotas = {"UserRead": args.read_quota, "UserUpdate": args.update_quota}
    portals = [
        PortalServer(
            gunicorn_env(
                cognito,
                port,
                tmp,
                REDIS_URL=redis_server.url(),
                SECRET_KEY=secret_key,  # two instances of one deployment
                WEB_CONCURRENCY="1",
                GUNICORN_THREADS="32",
                LOG_LEVEL="INFO",
                COGNITO_RATE_USER_READ=str(args.read_quota * args.share),
                COGNITO_RATE_USER_UPDATE=str(args.update_quota * args.share),
                COGNITO_QUOTA_WAIT_SECONDS=str(args.wait),
                # A short window, so a person's repeated views read again: the worst case.
                STATUS_CACHE_SECONDS="1",
                RATE_LIMIT_CHANGES="10000 per minute",
            ),
            port,
            tmp / f"portal-{port}.log",
        )
        for port in ports
    ]
    results: dict[str, Any] = {
        "machine": machine(),
        "settings": vars(args) | {"out": str(args.out)},
    }
    try:
        for portal in portals:
            portal.start()
        print(f"signing in {args.people} people on {portals[0].url}")
        people = sign_in_everyone(portals[0].url, [u["username"] for u in people_seed])
        time.sleep(1.5)  # let the sign-ins' cached statuses lapse
        requests.put(f"{cognito.url}/_local/quotas", json=quotas, timeout=5).raise_for_status()
        requests.delete(f"{cognito.url}/_local/quotas/stats", json={}, timeout=5).raise_for_status()
        for portal in portals:
            portal.log_path.write_text("")
        rates = {
            "page_view": args.read_quota * args.offered,
            "change": args.update_quota * args.offered,
        }
        print(f"offering {rates} per second for {args.duration:.0f} s over 2 instances")
        outcomes = Outcomes()
        took = offer(people, [p.url for p in portals], rates, args.duration, outcomes)
        stand_in = requests.get(f"{cognito.url}/_local/quotas", timeout=5).json()
        waits = quota_waits([p.log_path for p in portals])
    finally:
        for portal in portals:
            portal.stop()
        cognito.stop()
        redis_server.stop()
    results["offered_per_second"] = rates
    results["offering_took_s"] = round(took, 1)
    results["late_starts"] = outcomes.late_starts
    results["people_saw"] = outcomes.counts
    results["other_answers"] = outcomes.others
    results["stand_in"] = stand_in
    results["quota_wait_ms"] = {
        "calls": len(waits),
        "p50": percentile(waits, 0.5),
        "p99": percentile(waits, 0.99),
        "max": max(waits, default=0.0),
    }
    results["served_latency_ms"] = {
        "p50": percentile(outcomes.served_latency_ms, 0.5),
        "p99": percentile(outcomes.served_latency_ms, 0.99),
        "mean": round(statistics.fmean(outcomes.served_latency_ms or [0.0]), 1),
    }
    summarise(results, quotas)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"surge-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(results, indent=2, sort_keys=True))
    print(f"results: {path}")
    if os.environ.get("SURGE_KEEP_LOGS"):
        print(f"logs kept in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def summarise(results: dict[str, Any], quotas: dict[str, float]) -> None:
    stand_in = results["stand_in"]
    print("\nCognito (the stand-in's count):")
    for category, quota in quotas.items():
        stats = stand_in["categories"][category]
        busy_seconds = [s["accepted"] for s in stats["per_second"] if s["accepted"]]
        mean = statistics.fmean(busy_seconds[1:-1] or busy_seconds or [0])
        print(
            f"  {category:<11} quota {quota:g}/s: most in any 1 s window "
            f"{stats['max_accepted_in_any_window']}, mean {mean:.1f}/s over the surge, "
            f"refused (TooManyRequests) {stats['throttled']}"
        )
    print("People:")
    throttled = 0
    for kind, counts in results["people_saw"].items():
        total = sum(counts.values())
        busy = counts.get("busy", 0)
        throttled += counts.get("throttled", 0)
        print(f"  {kind:<10} {total:>5} offered: {counts} (busy {busy / max(total, 1):.0%})")
    wait = results["quota_wait_ms"]
    print(
        f"  wait for a place: p50 {wait['p50']} ms, p99 {wait['p99']} ms "
        f"(bound {results['settings']['wait'] * 1000:.0f} ms)"
    )
    within = all(
        stand_in["categories"][c]["max_accepted_in_any_window"] <= q for c, q in quotas.items()
    )
    print(f"verdict: quota held {within}; throttling errors seen by people: {throttled}")


if __name__ == "__main__":
    raise SystemExit(main())
