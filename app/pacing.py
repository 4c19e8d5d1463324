"""Pacing of Cognito calls: one bucket per Cognito quota category, shared by every worker.

Cognito's request-rate quotas are per AWS account and Region, per *category* of operation
(``UserRead``: GetUser; ``UserUpdate``: SetUserSettings, UpdateUserAttributes, ...), and shared by
every app in that account. Above the rate Cognito answers ``TooManyRequestsException``, and
botocore's retries only add load when none is to spare. So every attempt the portal sends (the
first and each retry: the hook is botocore's ``before-send``, which runs once per attempt) first
takes a place in its category's schedule:

- a place free now: the call goes at once;
- a place free within ``COGNITO_QUOTA_WAIT_SECONDS``: the request waits for it, then goes;
- no place within that bound: the call is not sent; ``QuotaExhaustedError`` becomes the designed
  "busy" notice (``portal:busy`` in the catalog), with how long to wait.

The schedule is GCRA (the "generic cell rate algorithm", a token bucket kept as one timestamp:
the theoretical arrival time of the next call). With ``REDIS_URL`` it lives in Redis, one key per
category, updated by one Lua script using Redis's clock, so every worker and every instance
draws from the same bucket; without Redis (one worker, see ``gunicorn.conf.py``) it lives in the
process. Rates default to a safe share of the documented quotas (about half: other apps in the
account draw from the same quota).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from flask import g, has_request_context

from . import metrics
from .config import Settings

log = logging.getLogger(__name__)

#: Cognito's quota category of each operation the portal calls (Cognito's quotas page,
#: "user pools API operation categories"). An operation not listed here is not paced.
CATEGORY_OF_OPERATION = {
    "GetUser": "UserRead",
    "SetUserSettings": "UserUpdate",
    "UpdateUserAttributes": "UserUpdate",
    "VerifyUserAttribute": "UserUpdate",
    "GlobalSignOut": "UserUpdate",
    "AssociateSoftwareToken": "UserUpdate",
    "VerifySoftwareToken": "UserUpdate",
    "SetUserMFAPreference": "UserUpdate",
    "GetUserAttributeVerificationCode": "UserAccountRecovery",
}

REDIS_KEY_PREFIX = "mfa-portal-quota"

#: How long a category's log line about a dry bucket stays quiet after it is written (per process).
DRY_LOG_INTERVAL_SECONDS = 10.0

# KEYS[1]: the category's theoretical arrival time (TAT), in microseconds of Redis's clock.
# ARGV: interval (µs between calls at the rate), burst tolerance (µs), the wait bound (µs).
# Returns {wait µs, tokens the bucket held when the call came} when a place is taken, and
# {-1, µs until one is free} when none is free within the bound (nothing is taken then).
_RESERVE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local bound = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
if wait > bound then return {-1, wait} end
local level = math.floor((tolerance + interval - (tat - now)) / interval + 0.000001)
if level < 0 then level = 0 end
local new_tat = tat + interval
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1000)
return {wait, level}
"""


class QuotaExhaustedError(Exception):
    """No place in the category's schedule within the wait bound: the call was not sent."""

    def __init__(self, category: str, operation: str, retry_after: float) -> None:
        self.category = category
        self.operation = operation
        self.retry_after = retry_after
        super().__init__(f"{operation}: {category} quota busy for {retry_after:.1f} s")


@dataclass(frozen=True)
class Reservation:
    """A place taken in the schedule: wait this long, then call. ``tokens`` is the bucket's
    level when the call came (its burst when idle, 0 when the call had to queue)."""

    wait: float
    tokens: float


@dataclass(frozen=True)
class Rate:
    per_second: float
    burst: int = 1

    @property
    def interval(self) -> float:
        return 1.0 / self.per_second

    @property
    def tolerance(self) -> float:
        """How far ahead of the schedule a call may go: ``burst - 1`` intervals."""
        return (self.burst - 1) * self.interval


class LocalSchedule:
    """GCRA in this process: one theoretical arrival time per category, under a lock."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, category: str, rate: Rate, bound: float) -> Reservation | float:
        """A place within ``bound`` seconds, or how long until one is free."""
        with self._lock:
            now = self._clock()
            tat = max(self._next.get(category, now), now)
            wait = max(tat - rate.tolerance - now, 0.0)
            if wait > bound:
                return wait
            self._next[category] = tat + rate.interval
            level = (rate.tolerance + rate.interval - (tat - now)) / rate.interval
            return Reservation(wait, max(math.floor(level + 1e-6), 0))


class RedisSchedule:
    """GCRA in Redis: the same schedule for every worker and instance on that Redis."""

    def __init__(self, store: redis.Redis, fallback: LocalSchedule | None = None) -> None:
        self._script = store.register_script(_RESERVE)
        self._fallback = fallback or LocalSchedule()

    def reserve(self, category: str, rate: Rate, bound: float) -> Reservation | float:
        try:
            wait_us, other = self._script(
                keys=[f"{REDIS_KEY_PREFIX}:{category}"],
                args=[
                    round(rate.interval * 1e6),
                    round(rate.tolerance * 1e6),
                    round(bound * 1e6),
                ],
            )
        except (redis.exceptions.RedisError, OSError):
            # Redis down: pace this process alone rather than not at all; the session store's
            # own check reports the outage.
            log.warning(
                "quota schedule unreachable; pacing in this process only",
                extra={"event": "quota_store_error", "category": category},
            )
            return self._fallback.reserve(category, rate, bound)
        if int(wait_us) < 0:
            return int(other) / 1e6
        return Reservation(int(wait_us) / 1e6, float(other))


class Pacer:
    """Takes a place for each Cognito attempt; installed on the boto3 client by ``install``."""

    def __init__(
        self,
        rates: dict[str, Rate],
        wait_bound: float,
        schedule: LocalSchedule | RedisSchedule,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rates = rates
        self.wait_bound = wait_bound
        self.schedule = schedule
        self._sleep = sleep
        self._dry_logged: dict[str, float] = {}

    def before_attempt(self, operation: str) -> None:
        """Wait for this attempt's place, or raise ``QuotaExhaustedError`` when none is near."""
        category = CATEGORY_OF_OPERATION.get(operation)
        rate = self.rates.get(category) if category else None
        if category is None or rate is None:
            return
        outcome = self.schedule.reserve(category, rate, self.wait_bound)
        if isinstance(outcome, Reservation):
            metrics.quota_tokens(category, outcome.tokens)
            metrics.quota_wait(category, outcome.wait)
            if has_request_context():
                g.quota_wait_seconds = g.get("quota_wait_seconds", 0.0) + outcome.wait
            if outcome.wait > 0:
                self._sleep(outcome.wait)
            return
        metrics.quota_tokens(category, 0)
        metrics.quota_exhausted(category)
        self._log_dry(category, rate)
        raise QuotaExhaustedError(category, operation, outcome)

    def _log_dry(self, category: str, rate: Rate) -> None:
        now = time.monotonic()
        if now - self._dry_logged.get(category, -math.inf) < DRY_LOG_INTERVAL_SECONDS:
            return
        self._dry_logged[category] = now
        log.warning(
            "cognito quota bucket ran dry: calls refused with the busy page",
            extra={
                "event": "quota_exhausted",
                "category": category,
                "rate_per_second": rate.per_second,
                "wait_bound_seconds": self.wait_bound,
                "operator_hint": "raise the COGNITO_RATE_* setting only if Cognito's quota for "
                "this category (Service Quotas) allows it",
            },
        )

    def install(self, client: Any) -> None:
        """Run ``before_attempt`` before every HTTP attempt of ``client``, retries included."""
        client.meta.events.register_first("before-send.cognito-idp.*", self._on_before_send)

    def _on_before_send(self, event_name: str = "", **_: Any) -> None:
        self.before_attempt(event_name.rsplit(".", 1)[-1])


def build_pacer(settings: Settings, store: redis.Redis | None) -> Pacer:
    """The pacer for the configured rates (0: that category is not paced)."""
    configured = {
        "UserRead": settings.cognito_rate_user_read,
        "UserUpdate": settings.cognito_rate_user_update,
        "UserAccountRecovery": settings.cognito_rate_account_recovery,
    }
    rates = {category: Rate(value) for category, value in configured.items() if value > 0}
    schedule: LocalSchedule | RedisSchedule = (
        RedisSchedule(store) if store is not None else LocalSchedule()
    )
    return Pacer(rates, settings.cognito_quota_wait_seconds, schedule)
