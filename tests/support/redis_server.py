"""A redis-server of the test's own, or databases on the shared one (tests and bench)."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass

import redis


@dataclass
class RedisServer:
    """A private redis-server subprocess (``own``) or databases on the shared one."""

    port: int
    own: bool
    databases: tuple[int, int] = (0, 1)
    process: subprocess.Popen[bytes] | None = None

    def url(self, which: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{self.databases[which]}"

    def client(self, which: int = 0) -> redis.Redis:
        return redis.Redis.from_url(self.url(which), socket_connect_timeout=1)

    def start(self, timeout: float = 10.0) -> RedisServer:
        if not self.own:
            return self
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return self
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def flush(self) -> None:
        for which in (0, 1):
            self.client(which).flushdb()
