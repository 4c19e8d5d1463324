"""Rate limits in words, and the budgets a text draws on.

A text costs money, and SMS pumping makes the sender pay for texts to numbers whose operator
shares the fee. So each text is counted three ways, at the moment it is asked of Cognito (never
for a form refused before that):

- per person (``RATE_LIMIT_CODES``): Flask-Limiter's ``limit_texts`` checks it before the view
  runs and never deducts by itself (``deduct_when`` is false); ``spend_texts`` spends it;
- per number, across every account (``RATE_LIMIT_TEXTS_PER_NUMBER``), keyed by an HMAC of the
  number so the limiter's store never holds one;
- overall (``RATE_LIMIT_TEXTS_GLOBAL``): the ceiling, which writes one ERROR line per window
  (event ``texts_ceiling_reached``) when it trips.

Every budget is checked before any is spent, and each is spent with the limiter's atomic hit, so
concurrent requests can't overdraw one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
from dataclasses import dataclass
from enum import Enum

from flask import current_app
from flask_limiter import RequestLimit
from limits import RateLimitItem, parse

from .config import Settings
from .security import limiter

log = logging.getLogger(__name__)

KEY_PREFIX = "mfa-portal-limits"
#: The scope of the per-person texts budget (``limit_texts`` in ``security``).
PER_PERSON_SCOPE = "texts"


class Budget(Enum):
    CHANGES = "changes"
    CODES = "codes"
    SIGN_INS = "sign-ins"
    NUMBER = "number"
    CEILING = "ceiling"
    OTHER = "other"


@dataclass(frozen=True)
class Refusal:
    """A budget that is spent, with when it lets the person in again (epoch seconds)."""

    budget: Budget
    limit: RateLimitItem
    reset_at: float


class TextsBudgetError(Exception):
    """A texts budget is spent: nothing was asked of Cognito."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.budget.value)
        self.refusal = refusal


@dataclass(frozen=True)
class _Counter:
    budget: Budget
    limit: RateLimitItem
    keys: tuple[str, ...]


def spend_texts(number: str) -> None:
    """Count one text to ``number`` (E.164) in every budget, or raise ``TextsBudgetError``."""
    counters = _counters(number)
    for counter in counters:
        if not limiter.limiter.test(counter.limit, *counter.keys):
            _refuse(counter)
    for counter in counters:
        if not limiter.limiter.hit(counter.limit, *counter.keys):
            _refuse(counter)


def _counters(number: str) -> list[_Counter]:
    settings: Settings = current_app.extensions["mfa_portal.settings"]
    counters = [
        _Counter(Budget.CODES, person.limit, tuple(person.request_args))
        for person in limiter.current_limits
        if person.request_args[-1] == PER_PERSON_SCOPE
    ]
    counters.append(
        _Counter(
            Budget.NUMBER,
            parse(settings.rate_limit_texts_per_number),
            (KEY_PREFIX, "texts-to", number_key(settings.secret_key, number)),
        )
    )
    counters.append(
        _Counter(Budget.CEILING, parse(settings.rate_limit_texts_global), (KEY_PREFIX, "texts-all"))
    )
    return counters


def number_key(secret_key: str, number: str) -> str:
    """The per-number budget's key: the same for one number in every worker and instance, and
    no use to anyone who reads the limiter's store without the secret key."""
    return hmac.new(secret_key.encode(), number.encode(), hashlib.sha256).hexdigest()


def _refuse(counter: _Counter) -> None:
    reset_at = limiter.limiter.get_window_stats(counter.limit, *counter.keys).reset_time
    if counter.budget is Budget.CEILING:
        _report_ceiling(counter.limit)
    elif counter.budget is Budget.NUMBER:
        log.warning(
            "a text to one number was refused: its budget across accounts is spent",
            extra={"event": "texts_per_number_refused", "limit": str(counter.limit)},
        )
    raise TextsBudgetError(Refusal(counter.budget, counter.limit, reset_at))


def _report_ceiling(limit: RateLimitItem) -> None:
    """One ERROR line per window of the ceiling, however many workers and instances refuse."""
    once_per_window = type(limit)(1, limit.multiples)
    if limiter.limiter.hit(once_per_window, KEY_PREFIX, "texts-all-reported"):
        log.error(
            "texts ceiling reached: no text is sent to anyone until the window moves on",
            extra={"event": "texts_ceiling_reached", "limit": str(limit)},
        )


# --- in words ------------------------------------------------------------------------------


def budget_of(request_limit: RequestLimit) -> Budget:
    """Which budget a limit Flask-Limiter enforced is, from its scope."""
    scope = request_limit.request_args[-1]
    if scope == "changes":
        return Budget.CHANGES
    if scope == PER_PERSON_SCOPE:
        return Budget.CODES
    if scope.startswith("auth."):
        return Budget.SIGN_INS
    return Budget.OTHER


def limit_in_words(budget: Budget, limit: RateLimitItem) -> str:
    """``5 per 10 minutes`` for the codes budget -> "You can ask for 5 codes in 10 minutes." """
    n, period = limit.amount, period_in_words(limit)
    sentences = {
        Budget.CHANGES: f"You can make {_count(n, 'change')} in {period}.",
        Budget.CODES: f"You can ask for {_count(n, 'code')} in {period}.",
        Budget.SIGN_INS: f"You can start signing in {_count(n, 'time')} in {period}.",
        Budget.NUMBER: f"We text one phone number at most {_count(n, 'time')} in {period}, "
        "whichever account asks, and this number has reached that.",
        Budget.CEILING: f"We send at most {_count(n, 'text')} in {period} to protect the "
        "service, and that many have been sent.",
        Budget.OTHER: f"You can do this {_count(n, 'time')} in {period}.",
    }
    return sentences[budget]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


_ONE = {"second": "a second", "minute": "a minute", "hour": "an hour", "day": "a day"}


def period_in_words(limit: RateLimitItem) -> str:
    unit = limit.GRANULARITY.name
    if limit.multiples == 1:
        return _ONE.get(unit, f"a {unit}")
    return f"{limit.multiples} {unit}s"


def wait_in_words(reset_at: float, now: float | None = None) -> str:
    """How long until ``reset_at``, rounded up: "about 7 minutes", "less than a minute"."""
    seconds = reset_at - (time.time() if now is None else now)
    if seconds < 60:
        return "less than a minute"
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return "about a minute" if minutes == 1 else f"about {minutes} minutes"
    hours = math.ceil(seconds / 3600)
    if hours < 36:
        return f"about {hours} hours"
    return f"about {math.ceil(seconds / 86400)} days"
