"""One gunicorn worker or two: MFA-page throughput on this machine (a measurement, not a test).

``uv run python -m bench.workers [--duration 8] [--rounds 2] [--concurrency 16]``

Without ``REDIS_URL`` the portal runs one worker (gunicorn.conf.py refuses more, since the rate
limits would count per worker). This measures what that costs: GET /settings/mfa for signed-in
people, against 1 and 2 workers sharing Redis, and 1 worker on the disk store without Redis,
rounds alternating so that other load on the machine falls on each alike. Cognito (the stand-in)
answers at once, so the figures are the portal's CPU-bound ceiling; with Cognito's real latency
the threads, not the processes, carry the concurrency.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import requests

from bench.run import Gunicorn, bench_users, load, portal_cookies
from localcognito.server import LocalCognito
from tests.support.redis_server import RedisServer
from tests.support.servers import free_port, gunicorn_env, seed_for

SETUPS = {
    "1 worker, Redis": {"WEB_CONCURRENCY": "1", "redis": True},
    "2 workers, Redis": {"WEB_CONCURRENCY": "2", "redis": True},
    "1 worker, disk (no Redis)": {"WEB_CONCURRENCY": "1", "redis": False},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--latency-ms", type=int, default=50, help="Cognito latency, 2nd phase")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="mfa-portal-workers-"))
    redis_server = RedisServer(free_port(), own=True).start()
    ports = {name: free_port() for name in SETUPS}
    seed = seed_for(*(f"http://127.0.0.1:{p}" for p in ports.values()))
    seed["users"] = [*seed["users"], *bench_users(args.users)]
    cognito = LocalCognito(seed).start()
    usernames = [u["username"] for u in bench_users(args.users)]
    portals: dict[str, Gunicorn] = {}
    try:
        for name, setup in SETUPS.items():
            env = {"WEB_CONCURRENCY": str(setup["WEB_CONCURRENCY"]), "GUNICORN_THREADS": "16"}
            if setup["redis"]:
                env["REDIS_URL"] = redis_server.url()
            settings = gunicorn_env(cognito, ports[name], tmp, GUNICORN_MAX_REQUESTS="0", **env)
            portals[name] = Gunicorn(settings, ports[name], tmp / f"{ports[name]}.log").start()
            cookies = tmp / f"{ports[name]}-cookies"
            cookies.write_text("\n".join(portal_cookies(portals[name], usernames)))
        print(f"CPUs usable: {len(os.sched_getaffinity(0))}")
        print(
            f"GET /settings/mfa, {args.concurrency} keep-alive slots, {args.duration:.0f} s x "
            f"{args.rounds} rounds"
        )
        measure(portals, tmp, args, "stand-in answering at once")
        requests.post(
            f"{cognito.url}/_local/faults",
            json={"operation": "*", "latency_ms": args.latency_ms},
            timeout=10,
        ).raise_for_status()
        measure(portals, tmp, args, f"{args.latency_ms} ms Cognito latency")
        print(f"load average at the end: {os.getloadavg()}")
    finally:
        for portal in portals.values():
            portal.stop()
        cognito.stop()
        redis_server.stop()
    return 0


def measure(portals: dict[str, Gunicorn], tmp: Path, args: argparse.Namespace, phase: str) -> None:
    """Alternating rounds, so that other load on the machine falls on each setup alike."""
    throughput: dict[str, list[float]] = {name: [] for name in portals}
    cpu_ms: dict[str, list[float]] = {name: [] for name in portals}
    for _ in range(args.rounds):
        for name, portal in portals.items():
            result = load(portal, tmp / f"{portal.port}-cookies", args.concurrency, args.duration)
            throughput[name].append(result["throughput_rps"])
            cpu_ms[name].append(result["cpu_ms_per_request"])
    print(f" {phase}:")
    for name in portals:
        print(
            f"  {name:28} {statistics.median(throughput[name]):7.0f} req/s "
            f"(rounds {', '.join(f'{t:.0f}' for t in throughput[name])}), "
            f"{statistics.median(cpu_ms[name]):.2f} ms gunicorn CPU per request"
        )


if __name__ == "__main__":
    raise SystemExit(main())
