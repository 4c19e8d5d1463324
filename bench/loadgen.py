"""The load generator: a separate process, asyncio, one keep-alive connection per slot.

``python -m bench.loadgen URL --cookies FILE --concurrency C --duration S`` prints one JSON object:
completed requests, status counts, throughput and latency percentiles. Each request carries the
next simulated person's cookie (one ``name=value`` per line of FILE), round robin.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from urllib.parse import urlsplit


class Slot:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("connection closed")
        status = int(status_line.split()[1])
        length = 0
        close = False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        if length:
            await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def run(url: str, cookies: list[str], concurrency: int, duration: float) -> dict[str, object]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path or "/"
    requests = [
        (
            f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nCookie: {cookie}\r\n"
            "User-Agent: mfa-portal-bench\r\nAccept: text/html\r\n\r\n"
        ).encode()
        for cookie in cookies
    ]
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    started = time.perf_counter()
    deadline = started + duration

    async def slot_loop(index: int) -> None:
        slot = Slot(host, port)
        n = index
        while time.perf_counter() < deadline:
            raw = requests[n % len(requests)]
            n += concurrency
            t0 = time.perf_counter()
            try:
                status = await slot.request(raw)
            except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError) as exc:
                errors[type(exc).__name__] += 1
                slot.close()
                await asyncio.sleep(0.01)
                continue
            latencies.append(time.perf_counter() - t0)
            statuses[status] += 1
        slot.close()

    await asyncio.gather(*(slot_loop(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float | None:
        if not latencies:
            return None
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2)

    return {
        "requests": len(latencies),
        "ok": statuses.get(200, 0),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": dict(errors),
        "elapsed_s": round(elapsed, 3),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else None,
        "concurrency": concurrency,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--cookies", required=True, help="file: one 'name=value' per line")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args(argv)
    with open(args.cookies, encoding="utf-8") as handle:
        cookies = [line.strip() for line in handle if line.strip()]
    result = asyncio.run(run(args.url, cookies, args.concurrency, args.duration))
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
