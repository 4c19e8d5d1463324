"""The development SMS/e-mail outbox: every code the stand-in would have sent."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Message:
    to: str
    code: str
    purpose: str
    username: str
    medium: str
    text: str
    time: float


class Outbox:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[Message] = []

    def send(self, *, to: str, code: str, purpose: str, username: str, medium: str = "SMS") -> None:
        text = f"Your verification code is {code}. "
        message = Message(to, code, purpose, username, medium, text, time.time())
        with self._lock:
            self._messages.append(message)

    def messages(
        self, *, to: str | None = None, username: str | None = None, purpose: str | None = None
    ) -> list[dict[str, Any]]:
        """Matching messages, oldest first (so the newest is last)."""
        with self._lock:
            found = list(self._messages)
        return [
            asdict(m)
            for m in found
            if (to is None or m.to == to)
            and (username is None or m.username == username)
            and (purpose is None or m.purpose == purpose)
        ]

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
