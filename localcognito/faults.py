"""Fault and latency injection for the JSON API (driven through /_local/faults)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.session

# The cognito-idp service model carries no httpStatusCode for its errors; these are the
# statuses Cognito answers with. Every other error is a 400.
ERROR_STATUS = {
    "InternalErrorException": 500,
    "InternalServerException": 500,
    "ForbiddenException": 403,
    "TooManyRequestsException": 429,
    "UnauthorizedException": 401,
    "ServiceUnavailable": 503,
    "ThrottlingException": 400,
}


@cache
def known_error_codes() -> frozenset[str]:
    model = botocore.session.get_session().get_service_model("cognito-idp")
    return frozenset(shape.name for shape in model.error_shapes) | {"ServiceUnavailable"}


def status_for(error: str) -> int:
    return ERROR_STATUS.get(error, 400)


class FaultSpecError(ValueError):
    pass


@dataclass
class Fault:
    operation: str
    error: str | None
    message: str
    status: int
    latency_ms: int
    times: int | None

    def matches(self, operation: str) -> bool:
        return self.operation in ("*", operation) and (self.times is None or self.times > 0)


@dataclass(frozen=True)
class Outcome:
    latency_ms: int = 0
    error: str | None = None
    message: str = ""
    status: int = 400


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, spec: dict[str, Any]) -> Fault:
        operation = spec.get("operation")
        if not isinstance(operation, str) or not operation:
            raise FaultSpecError("operation is required (an API operation name or *)")
        error = spec.get("error")
        latency = spec.get("latency_ms", 0)
        if error is None and not latency:
            raise FaultSpecError("give an error, a latency_ms, or both")
        if error is not None and error not in known_error_codes():
            raise FaultSpecError(f"unknown Cognito error code: {error}")
        if not isinstance(latency, int) or latency < 0:
            raise FaultSpecError("latency_ms must be a non-negative integer")
        times = spec.get("times")
        if times is not None and (not isinstance(times, int) or times < 1):
            raise FaultSpecError("times must be a positive integer")
        fault = Fault(
            operation=operation,
            error=error,
            message=str(spec.get("message") or f"Injected {error}" if error else ""),
            status=int(spec.get("status") or status_for(error or "")),
            latency_ms=latency,
            times=times,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, operation: str) -> Outcome:
        """Consume the faults matching this call: total latency, and the first error, if any."""
        latency = 0
        error: Fault | None = None
        with self._lock:
            for fault in self._faults:
                if not fault.matches(operation):
                    continue
                if fault.error and error is not None:
                    continue
                latency += fault.latency_ms
                if fault.error:
                    error = fault
                if fault.times is not None:
                    fault.times -= 1
            self._faults = [f for f in self._faults if f.times is None or f.times > 0]
        if error is None:
            return Outcome(latency_ms=latency)
        return Outcome(latency, error.error, error.message, error.status)

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return [vars(f).copy() for f in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
