"""Cognito's request-rate quotas: each user-pool operation's category, and a per-category limit.

Cognito groups user-pool API operations into categories, each with a requests-per-second quota per
account and Region; a call above it fails with ``TooManyRequestsException``. The stand-in enforces
none by default. Given a rate for a category, it accepts at most that many calls of the category
in any sliding one-second window and refuses the rest, and it keeps per-second statistics so a
benchmark can show the quota was never exceeded (``GET /_local/quotas``).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Response

TOKEN_ENDPOINT = "/oauth2/token"

#: Cognito's quota categories and the operations each one meters (from Cognito's quotas page,
#: the operations the portal's journeys touch). Every other operation has no quota here.
CATEGORY_OPERATIONS: dict[str, tuple[str, ...]] = {
    "UserRead": ("GetUser", "AdminGetUser"),
    "UserUpdate": (
        "SetUserSettings",
        "AdminSetUserSettings",
        "UpdateUserAttributes",
        "VerifyUserAttribute",
        "GlobalSignOut",
        "SetUserMFAPreference",
        "AssociateSoftwareToken",
        "VerifySoftwareToken",
        "ChangePassword",
        "DeleteUser",
    ),
    "UserAccountRecovery": (
        "GetUserAttributeVerificationCode",
        "ForgotPassword",
        "ConfirmForgotPassword",
        "ResendConfirmationCode",
    ),
    "UserToken": ("RevokeToken",),
    "UserAuthentication": ("InitiateAuth", "RespondToAuthChallenge", TOKEN_ENDPOINT),
}
CATEGORIES = tuple(CATEGORY_OPERATIONS)
_CATEGORY_OF = {op: category for category, ops in CATEGORY_OPERATIONS.items() for op in ops}

#: What Cognito's JSON API answers to a call above its category's quota (HTTP 400).
THROTTLED_ERROR = "TooManyRequestsException"
THROTTLED_MESSAGE = "Too many requests"
THROTTLED_STATUS = 400

WINDOW_SECONDS = 1.0
HISTORY_SECONDS = 600

Rates = dict[str, int | None]


class QuotaSpecError(ValueError):
    pass


def category_of(operation: str) -> str | None:
    """The quota category of an API operation (or of ``/oauth2/token``); None if it has none."""
    return _CATEGORY_OF.get(operation)


def validated_rates(rates: Mapping[str, Any]) -> Rates:
    """``rates`` checked: known categories, each a whole number of calls per second (0 refuses
    every call) or None (unlimited). Raises `QuotaSpecError` naming the first bad entry."""
    checked: Rates = {}
    for category, rate in rates.items():
        if category not in CATEGORY_OPERATIONS:
            raise QuotaSpecError(
                f"unknown quota category {category!r}; known: {', '.join(CATEGORIES)}"
            )
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int) or rate < 0):
            raise QuotaSpecError(
                f"{category}: a rate is a whole number of requests per second (>= 0) or null"
            )
        checked[category] = rate
    return checked


@dataclass
class CategoryMeter:
    """One category: its rate, the calls accepted in the last second, and what was counted."""

    rate: int | None = None
    recent: deque[float] = field(default_factory=deque)
    accepted: int = 0
    throttled: int = 0
    max_in_window: int = 0
    per_second: dict[int, list[int]] = field(default_factory=dict)

    def clear(self) -> None:
        self.recent.clear()
        self.accepted = self.throttled = self.max_in_window = 0
        self.per_second.clear()


class QuotaEnforcer:
    """Thread-safe per-category sliding-window limits, with statistics.

    ``clock`` (monotonic) times the windows; ``wall_clock`` (epoch seconds) labels the per-second
    history. Tests inject both."""

    def __init__(
        self,
        rates: Mapping[str, Any] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        history_seconds: int = HISTORY_SECONDS,
    ) -> None:
        self._lock = threading.Lock()
        self.clock = clock
        self.wall_clock = wall_clock
        self.history_seconds = history_seconds
        self._meters = {category: CategoryMeter() for category in CATEGORIES}
        self.set_rates(rates or {})

    def set_rates(self, rates: Mapping[str, Any]) -> Rates:
        """Change the named categories' rates (the others keep theirs); all or nothing."""
        checked = validated_rates(rates)
        with self._lock:
            for category, rate in checked.items():
                self._meters[category].rate = rate
            return self._rates()

    def replace_rates(self, rates: Mapping[str, Any]) -> Rates:
        """Set every category's rate: the named ones to theirs, the others to unlimited."""
        return self.set_rates({**dict.fromkeys(CATEGORIES), **rates})

    def rates(self) -> Rates:
        with self._lock:
            return self._rates()

    def _rates(self) -> Rates:
        return {category: meter.rate for category, meter in self._meters.items()}

    def admit_operation(self, operation: str) -> bool:
        """Whether a call of ``operation`` may go ahead now (always, for one without a quota)."""
        category = category_of(operation)
        return category is None or self.admit(category)

    def admit(self, category: str) -> bool:
        """Count one call of ``category``: True if accepted, False if it is above the quota."""
        now = self.clock()
        second = int(self.wall_clock())
        with self._lock:
            meter = self._meters[category]
            while meter.recent and meter.recent[0] <= now - WINDOW_SECONDS:
                meter.recent.popleft()
            accepted = meter.rate is None or len(meter.recent) < meter.rate
            if accepted:
                meter.recent.append(now)
                meter.accepted += 1
                meter.max_in_window = max(meter.max_in_window, len(meter.recent))
            else:
                meter.throttled += 1
            self._record(meter, second, accepted)
            return accepted

    def _record(self, meter: CategoryMeter, second: int, accepted: bool) -> None:
        if second not in meter.per_second:
            oldest = second - self.history_seconds
            for old in [s for s in meter.per_second if s <= oldest]:
                del meter.per_second[old]
            meter.per_second[second] = [0, 0]
        meter.per_second[second][0 if accepted else 1] += 1

    def clear_stats(self) -> None:
        """Forget every call counted (and so the current windows too); the rates stay."""
        with self._lock:
            for meter in self._meters.values():
                meter.clear()

    def snapshot(self) -> dict[str, Any]:
        """Rates, totals, the most calls accepted in any one-second window, and the per-second
        history (oldest first) of each category."""
        with self._lock:
            categories = {
                category: {
                    "rate": meter.rate,
                    "operations": list(CATEGORY_OPERATIONS[category]),
                    "accepted": meter.accepted,
                    "throttled": meter.throttled,
                    "max_accepted_in_any_window": meter.max_in_window,
                    "per_second": [
                        {"second": second, "accepted": counts[0], "throttled": counts[1]}
                        for second, counts in sorted(meter.per_second.items())
                    ],
                }
                for category, meter in self._meters.items()
            }
            return {
                "rates": self._rates(),
                "window_seconds": WINDOW_SECONDS,
                "history_seconds": self.history_seconds,
                "categories": categories,
            }


def refuse_token_request(quotas: QuotaEnforcer) -> Response | None:
    """None if a call of ``/oauth2/token`` may go ahead; otherwise the answer refusing it.

    Cognito does not document how its token endpoint answers a throttled call; the stand-in
    answers as an OAuth endpoint would: 429 with ``{"error": "too_many_requests"}``."""
    if quotas.admit_operation(TOKEN_ENDPOINT):
        return None
    body = {"error": "too_many_requests", "error_description": "Rate exceeded"}
    return Response(
        json.dumps(body),
        429,
        headers={"Cache-Control": "no-store"},
        content_type="application/json",
    )
