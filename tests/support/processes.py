"""A process a test starts in a process group of its own, so that stopping it stops everything
it started too (gunicorn's workers, nginx's), pass or fail."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import requests


@dataclass
class ManagedProcess:
    """``command`` run in ``cwd`` with exactly ``env``; stdout and stderr go to ``log_path``."""

    command: Sequence[str]
    cwd: Path
    env: Mapping[str, str]
    log_path: Path
    stop_signal: int = signal.SIGTERM
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return Path(self.command[0]).name

    def start(self) -> Self:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                list(self.command),
                cwd=self.cwd,
                env=dict(self.env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait_until(self, ready: Callable[[], bool], timeout: float = 30.0) -> Self:
        """Poll ``ready`` until it holds; fail with the log's tail if the process exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._fail_if_exited()
            if ready():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not become ready:\n{self.log_tail()}")

    def _fail_if_exited(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}"
            )

    def stop(self, timeout: float = 20.0) -> None:
        """The stop signal to the process, then SIGKILL to its whole group if it lingers."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        self._kill_group()
        self.process.wait()

    def _kill_group(self) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):  # the group is gone: all have exited
            os.killpg(self.process.pid, signal.SIGKILL)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_text()[-chars:]


def answers(url: str, *, verify: bool | str = True) -> Callable[[], bool]:
    """A readiness probe: ``url`` answers 200."""

    def probe() -> bool:
        try:
            return requests.get(url, timeout=1, verify=verify).status_code == 200
        except requests.RequestException:
            return False

    return probe
