"""One command, one run, every figure: ``uv run python -m bench.run``.

1. Starts the local Cognito stand-in, a private redis-server (if one is on PATH; else the
   portal's embedded disk store) and the portal under gunicorn; signs in ``--users`` simulated
   people through the real hosted-UI flow; loads GET /settings/mfa from a separate load-generator
   process (``bench.loadgen``, asyncio, keep-alive, one cookie per person, round robin).
2. Loads the minimal baseline (``bench.baseline_app``: the same GetUser call, a trivial page)
   under the same gunicorn settings and the same load, alternating rounds with the portal, and
   compares the CPU time the gunicorn processes (master + workers, user + system) spent per request.
3. With 50 ms of injected Cognito latency: throughput against the ideal (slots / latency), p50/p99.
4. Cognito calls per page view, sign-in and MFA change, counted at the stand-in (/_local/stats),
   on a third instance with the field's defaults (status cache and pacing on). Phases 1-3 turn
   both off (``STATUS_CACHE_SECONDS=0``, ``COGNITO_RATE_*=0``): they measure what one page with
   its GetUser costs, like for like with the baseline, which reads Cognito on every page.
5. Worker memory (RSS after warm-up) and start-up time.

Figures are ratios measured in one run, because the machine is small and shared. The results go
to stdout and, as JSON, to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import psutil
import requests

from localcognito.server import LocalCognito
from tests.support.http import csrf_token, get, post, sign_in
from tests.support.redis_server import RedisServer
from tests.support.servers import PortalServer, free_port, gunicorn_env, seed_for

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PASSWORD = "Bench-Passw0rd!"
TARGETS = {
    "cpu_ratio_max": 1.25,
    "latency_efficiency_min": 0.8,
    "p99_over_latency_max": 3.0,
}


@dataclass
class Gunicorn(PortalServer):
    """The portal or the baseline under gunicorn.conf.py, with its processes' CPU and memory."""

    name: str = "portal"
    workers_seen: set[int] = field(default_factory=set)

    def processes(self) -> list[psutil.Process]:
        assert self.process is not None
        master = psutil.Process(self.process.pid)
        return [master, *master.children(recursive=True)]

    def cpu_seconds(self) -> tuple[float, frozenset[int]]:
        total = 0.0
        pids = []
        for proc in self.processes():
            times = proc.cpu_times()
            total += times.user + times.system
            pids.append(proc.pid)
        return total, frozenset(pids)

    def memory(self) -> dict[str, Any]:
        procs = self.processes()
        workers = [p.memory_info().rss / 2**20 for p in procs[1:]]
        return {
            "master_rss_mib": round(procs[0].memory_info().rss / 2**20, 1),
            "worker_rss_mib": [round(w, 1) for w in workers],
            "worker_rss_mean_mib": round(sum(workers) / max(1, len(workers)), 1),
        }


# --- the people ------------------------------------------------------------------------


def bench_users(n: int) -> list[dict[str, Any]]:
    return [
        {
            "username": f"bench{i:03d}",
            "password": PASSWORD,
            "email": f"bench{i:03d}@example.com",
            "phone_number": f"+1202555{i:04d}",
            "phone_number_verified": True,
        }
        for i in range(n)
    ]


def portal_cookies(portal: Gunicorn, usernames: list[str]) -> list[str]:
    """Sign every person in through /login, the hosted UI's form and /auth/callback."""

    def one(username: str) -> str:
        http = requests.Session()
        landed = sign_in(http, portal.url, username, PASSWORD)
        if landed.status_code != 200 or not landed.url.endswith("/settings/mfa"):
            raise RuntimeError(f"sign-in of {username} ended on {landed.status_code} {landed.url}")
        return f"mfa_portal={http.cookies.get('mfa_portal')}"

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, usernames))


def access_tokens(cognito: LocalCognito, usernames: list[str]) -> list[str]:
    """The baseline reads the access token from a cookie: USER_PASSWORD_AUTH for each person."""
    client = boto3.client(
        "cognito-idp",
        endpoint_url=cognito.url,
        region_name=cognito.region,
        aws_access_key_id="unused",
        aws_secret_access_key="unused",  # noqa: S106 - the stand-in ignores signatures
    )
    secret = (cognito.client_secret or "").encode()
    cookies = []
    for username in usernames:
        digest = hmac.new(secret, (username + cognito.client_id).encode(), hashlib.sha256)
        answer = client.initiate_auth(
            ClientId=cognito.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={
                "USERNAME": username,
                "PASSWORD": PASSWORD,
                "SECRET_HASH": base64.b64encode(digest.digest()).decode(),
            },
        )
        cookies.append(f"token={answer['AuthenticationResult']['AccessToken']}")
    return cookies


# --- load and measurement ----------------------------------------------------------------


def load(target: Gunicorn, cookie_file: Path, concurrency: int, duration: float) -> dict[str, Any]:
    """Run the load generator against GET /settings/mfa, measuring the target's CPU."""
    me = psutil.Process()
    cpu_before, pids_before = target.cpu_seconds()
    mine_before = sum(me.cpu_times()[:2])
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.loadgen",
            f"{target.url}/settings/mfa",
            "--cookies",
            str(cookie_file),
            "--concurrency",
            str(concurrency),
            "--duration",
            str(duration),
        ],
        cwd=ROOT,
        capture_output=True,
        check=True,
        text=True,
    )
    cpu_after, pids_after = target.cpu_seconds()
    mine_after = sum(me.cpu_times()[:2])
    result: dict[str, Any] = json.loads(output.stdout)
    n = max(1, result["requests"])
    result["cpu_s"] = round(cpu_after - cpu_before, 3)
    result["cpu_ms_per_request"] = round((cpu_after - cpu_before) * 1000 / n, 3)
    result["standin_cpu_ms_per_request"] = round((mine_after - mine_before) * 1000 / n, 3)
    result["workers_recycled"] = pids_before != pids_after
    if result["ok"] != result["requests"]:
        print(f"  ! {target.name}: non-200 answers {result['statuses']} {result['errors']}")
    return result


def stats(cognito: LocalCognito) -> dict[str, dict[str, int]]:
    return requests.get(f"{cognito.url}/_local/stats", timeout=10).json()


def delta(after: dict[str, dict[str, int]], before: dict[str, dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for kind in ("api", "http"):
        for name, count in after[kind].items():
            diff = count - before[kind].get(name, 0)
            if diff:
                out[f"{kind}:{name}"] = diff
    return out


def per(counts: dict[str, int], n: int) -> dict[str, float]:
    return {k: round(v / n, 2) for k, v in sorted(counts.items())}


def call_counts(
    cognito: LocalCognito, portal: Gunicorn, usernames: list[str], warm: Gunicorn
) -> dict[str, Any]:
    """Cognito calls per action, counted where Cognito would see them: sign-in on ``warm``
    (whose workers have fetched discovery and the JWKS), the rest on ``portal``."""
    sign_ins = usernames[:4]
    before = stats(cognito)
    for username in sign_ins:
        sign_in(requests.Session(), warm.url, username, PASSWORD)
    signin = delta(stats(cognito), before)
    sessions = []
    for username in sign_ins[:1]:
        http = requests.Session()
        sign_in(http, portal.url, username, PASSWORD)
        sessions.append(http)
    # What the portal itself asked for (the hosted UI pages are the person's browser).
    portal_side = {k: v for k, v in signin.items() if k.startswith("api:")} | {
        k: signin.get(k, 0) for k in ("http:token", "http:discovery", "http:jwks", "http:userinfo")
    }

    http = sessions[0]
    views = 20
    before = stats(cognito)
    for _ in range(views):  # within the window of the sign-in's own read
        page = http.get(f"{portal.url}/settings/mfa", timeout=10)
        assert page.status_code == 200, page.status_code
    page_view = delta(stats(cognito), before)
    window = int(portal.env.get("STATUS_CACHE_SECONDS") or 20)
    time.sleep(window + 0.5)
    before = stats(cognito)
    page = http.get(f"{portal.url}/settings/mfa", timeout=10)
    assert page.status_code == 200, page.status_code
    first_view = delta(stats(cognito), before)

    changes = {}
    for enable in (True, False):
        page = get(http, f"{portal.url}/settings/mfa")
        data = {"csrf_token": csrf_token(page), "enable": "on" if enable else "off"}
        if not enable:
            data["confirmed"] = "yes"
        before = stats(cognito)
        answer = post(http, f"{portal.url}/settings/mfa", data=data)
        assert answer.status_code == 303, answer.status_code
        shown = get(http, f"{portal.url}{answer.headers['Location']}")
        assert shown.status_code == 200
        changes["on" if enable else "off"] = delta(stats(cognito), before)
    return {
        "sign_in": per(portal_side, len(sign_ins)),
        "sign_in_includes": "the landing GET /settings/mfa after the callback",
        "get_settings_mfa_after_the_window": first_view,
        "get_settings_mfa_within_the_window": per(page_view, views),
        "mfa_change_on_plus_page": changes["on"],
        "mfa_change_off_plus_page": changes["off"],
    }


# --- the run ---------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the portal against a baseline.")
    parser.add_argument("--users", type=int, default=40, help="simulated people (default 40)")
    parser.add_argument("--concurrency", type=int, default=16, help="slots for the CPU phase")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per load round")
    parser.add_argument("--rounds", type=int, default=2, help="alternating portal/baseline rounds")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--latency-slots", type=int, default=8, help="slots for the latency phase")
    parser.add_argument(
        "--workers",
        default="",
        help="WEB_CONCURRENCY for both apps (default: 2 with the Redis store, 1 on disk, which "
        "is all gunicorn.conf.py allows without REDIS_URL)",
    )
    parser.add_argument("--threads", default="16", help="GUNICORN_THREADS for both apps")
    parser.add_argument("--store", choices=("auto", "redis", "disk"), default="auto")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    began = time.perf_counter()

    tmp = Path(tempfile.mkdtemp(prefix="mfa-portal-bench-"))
    store = args.store
    if store == "auto":
        store = "redis" if shutil.which("redis-server") else "disk"
    redis_server = RedisServer(free_port(), own=True).start() if store == "redis" else None
    portal_port, baseline_port, counted_port = free_port(), free_port(), free_port()
    usernames = [u["username"] for u in bench_users(args.users)]
    seed = seed_for(f"http://127.0.0.1:{portal_port}", f"http://127.0.0.1:{counted_port}")
    seed["users"] = [*seed["users"], *bench_users(args.users)]
    cognito = LocalCognito(seed).start()

    workers = args.workers or ("2" if redis_server else "1")
    common = {
        "WEB_CONCURRENCY": workers,
        "GUNICORN_THREADS": args.threads,
        "GUNICORN_MAX_REQUESTS": "1000000",  # no recycling mid-measurement
        "LOG_LEVEL": "INFO",
    }
    if redis_server:
        common["REDIS_URL"] = redis_server.url()
    like_the_baseline = {
        "STATUS_CACHE_SECONDS": "0",
        "COGNITO_RATE_USER_READ": "0",
        "COGNITO_RATE_USER_UPDATE": "0",
        "COGNITO_RATE_ACCOUNT_RECOVERY": "0",
        "RATE_LIMIT_STATUS_READS": "1000000 per minute",  # each person reloads ~20 times a second
    }
    portal_settings = gunicorn_env(cognito, portal_port, tmp, **common, **like_the_baseline)
    counted = Gunicorn(
        gunicorn_env(cognito, counted_port, tmp, **common), counted_port, tmp / "c.log"
    )
    # The baseline never reads REDIS_URL; it only lets gunicorn.conf.py start as many workers.
    baseline_settings = gunicorn_env(cognito, baseline_port, tmp, **common)
    portal = Gunicorn(portal_settings, portal_port, tmp / "p.log")
    baseline = Gunicorn(
        baseline_settings,
        baseline_port,
        tmp / "b.log",
        app="bench.baseline_app:create_app()",
        name="baseline",
    )
    results: dict[str, Any] = {
        "machine": machine(),
        "settings": vars(args) | {"store": store, "workers": workers},
    }
    results["settings"]["out"] = str(args.out)
    try:
        print(f"starting: stand-in {cognito.url}, store {store}, {args.users} people")
        portal.start()
        baseline.start()
        print(f"  start-up: portal {portal.startup_s:.2f}s, baseline {baseline.startup_s:.2f}s")

        cookie_files = {"portal": tmp / "portal-cookies", "baseline": tmp / "baseline-cookies"}
        t = time.perf_counter()
        cookie_files["portal"].write_text("\n".join(portal_cookies(portal, usernames)))
        signin_s = time.perf_counter() - t
        cookie_files["baseline"].write_text("\n".join(access_tokens(cognito, usernames)))
        print(f"  signed in {args.users} people through the hosted UI in {signin_s:.1f}s")

        targets = {"portal": portal, "baseline": baseline}
        for name, target in targets.items():  # warm-up: every worker, every code path
            load(target, cookie_files[name], args.concurrency, 3.0)
        results["memory_after_warmup"] = {n: t.memory() for n, t in targets.items()}
        results["startup_s"] = {n: round(t.startup_s, 2) for n, t in targets.items()}

        print("phase 1-2: CPU per request, portal vs baseline (alternating rounds)")
        rounds: dict[str, list[dict[str, Any]]] = {"portal": [], "baseline": []}
        for r in range(args.rounds):
            for name, target in targets.items():
                res = load(target, cookie_files[name], args.concurrency, args.duration)
                rounds[name].append(res)
                print(
                    f"  round {r + 1} {name:8} {res['throughput_rps']:7.1f} req/s "
                    f"{res['cpu_ms_per_request']:6.2f} ms CPU/req  p50 {res['p50_ms']} ms"
                )
        summary = {}
        for name, runs in rounds.items():
            requests_total = sum(x["requests"] for x in runs)
            cpu_total = sum(x["cpu_s"] for x in runs)
            summary[name] = {
                "requests": requests_total,
                "throughput_rps": round(requests_total / sum(x["elapsed_s"] for x in runs), 1),
                "cpu_ms_per_request": round(cpu_total * 1000 / max(1, requests_total), 3),
                "non_200": sum(x["requests"] - x["ok"] for x in runs),
            }
        ratio = summary["portal"]["cpu_ms_per_request"] / summary["baseline"]["cpu_ms_per_request"]
        results["cpu"] = {"rounds": rounds, "summary": summary, "ratio": round(ratio, 3)}

        print(f"phase 3: {args.latency_ms} ms injected Cognito latency, {args.latency_slots} slots")
        requests.post(
            f"{cognito.url}/_local/faults",
            json={"operation": "*", "latency_ms": args.latency_ms},
            timeout=10,
        ).raise_for_status()
        ideal = args.latency_slots / (args.latency_ms / 1000)
        latency: dict[str, Any] = {"ideal_rps": ideal}
        for name, target in targets.items():
            res = load(target, cookie_files[name], args.latency_slots, args.duration)
            res["efficiency"] = round(res["throughput_rps"] / ideal, 3)
            res["p99_over_latency"] = round((res["p99_ms"] or 0) / args.latency_ms, 2)
            latency[name] = res
            print(
                f"  {name:8} {res['throughput_rps']:7.1f} req/s of {ideal:.0f} ideal "
                f"({res['efficiency']:.2f})  p50 {res['p50_ms']} ms  p99 {res['p99_ms']} ms"
            )
        requests.delete(f"{cognito.url}/_local/faults", json={}, timeout=10).raise_for_status()
        results["latency"] = latency

        print("phase 4: Cognito calls, counted at the stand-in (field defaults)")
        counted.start()
        results["cognito_calls"] = calls = call_counts(cognito, counted, usernames, warm=portal)
        for key, value in calls.items():
            print(f"  {key}: {value}")
    finally:
        for target in (portal, baseline, counted):
            if target.process is not None:
                target.stop()
        cognito.stop()
        if redis_server:
            redis_server.stop()

    results["elapsed_s"] = round(time.perf_counter() - began, 1)
    results["verdict"] = verdict(results, args.latency_ms)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"bench-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(results, indent=2))
    print_summary(results)
    print(f"results: {path} (total {results['elapsed_s']}s)")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


def verdict(results: dict[str, Any], latency_ms: int) -> dict[str, bool]:
    calls = results["cognito_calls"]
    lat = results["latency"]["portal"]
    return {
        "cpu_ratio<=1.25": results["cpu"]["ratio"] <= TARGETS["cpu_ratio_max"],
        "latency_efficiency>=0.8": lat["efficiency"] >= TARGETS["latency_efficiency_min"],
        "p99<=3x_latency": lat["p99_over_latency"] <= TARGETS["p99_over_latency_max"],
        "page_view=1_GetUser": calls["get_settings_mfa_after_the_window"] == {"api:GetUser": 1},
        "page_view_within_window=0_calls": calls["get_settings_mfa_within_the_window"] == {},
        # Turning on reads the number first (is it verified now?); the page after is rendered
        # from what the change set: 2 calls in all. Off: the change, and the page after reads
        # what Cognito kept (SMS can stay on in its newer setting): 2 calls in all.
        "mfa_change_on_plus_page=GetUser+SetUserSettings": calls["mfa_change_on_plus_page"]
        == {"api:SetUserSettings": 1, "api:GetUser": 1},
        "mfa_change_off_plus_page=SetUserSettings+GetUser": calls["mfa_change_off_plus_page"]
        == {"api:SetUserSettings": 1, "api:GetUser": 1},
        "sign_in=1_token_0_discovery_0_jwks": calls["sign_in"].get("http:token") == 1.0
        and calls["sign_in"].get("http:discovery") == 0
        and calls["sign_in"].get("http:jwks") == 0,
    }


def print_summary(results: dict[str, Any]) -> None:
    s = results["cpu"]["summary"]
    lat = results["latency"]
    mem = results["memory_after_warmup"]
    rows = [
        ("", "portal", "baseline"),
        (
            "throughput, CPU phase (req/s)",
            s["portal"]["throughput_rps"],
            s["baseline"]["throughput_rps"],
        ),
        (
            "gunicorn CPU per request (ms)",
            s["portal"]["cpu_ms_per_request"],
            s["baseline"]["cpu_ms_per_request"],
        ),
        (
            f"throughput, +latency (ideal {lat['ideal_rps']:.0f})",
            lat["portal"]["throughput_rps"],
            lat["baseline"]["throughput_rps"],
        ),
        ("  efficiency", lat["portal"]["efficiency"], lat["baseline"]["efficiency"]),
        ("  p50 (ms)", lat["portal"]["p50_ms"], lat["baseline"]["p50_ms"]),
        ("  p99 (ms)", lat["portal"]["p99_ms"], lat["baseline"]["p99_ms"]),
        (
            "worker RSS after warm-up (MiB)",
            mem["portal"]["worker_rss_mean_mib"],
            mem["baseline"]["worker_rss_mean_mib"],
        ),
        (
            "start-up to /healthz (s)",
            results["startup_s"]["portal"],
            results["startup_s"]["baseline"],
        ),
    ]
    print()
    for label, a, b in rows:
        print(f"{label:40} {a!s:>10} {b!s:>10}")
    print(f"{'CPU per request, portal / baseline':40} {results['cpu']['ratio']:>10}")
    for name, ok in results["verdict"].items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")


if __name__ == "__main__":
    sys.exit(main())
