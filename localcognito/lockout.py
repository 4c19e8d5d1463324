"""Cognito's lockout after wrong MFA codes.

AWS's developer guide (Adding MFA to a user pool): "After five unsuccessful attempts to present an
MFA code, Amazon Cognito begins the exponential-timeout lockout process described at Lockout
behavior for failed sign-in attempts". That process (Authentication, "Lockout behavior for failed
sign-in attempts"): for a cumulative number of failures n, the user is locked out for 2^(n-5)
seconds, up to about 15 minutes; attempts during a lockout fail with "Password attempts
exceeded" and don't lengthen it; the count goes back to zero after a successful sign-in once the
lockout has passed, or after 15 minutes without any sign-in attempt.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .codes import CognitoError

FAILURES_BEFORE_LOCKOUT = 5
LONGEST_LOCKOUT_SECONDS = 15 * 60
QUIET_SECONDS_THAT_RESET = 15 * 60
LOCKED_OUT_MESSAGE = "Password attempts exceeded"


@dataclass
class Failures:
    count: int = 0
    last_attempt: float = 0.0
    locked_until: float = 0.0


def lockout_seconds(failures: int) -> float:
    """How long the ``failures``-th wrong code locks the user out (0 before the fifth)."""
    if failures < FAILURES_BEFORE_LOCKOUT:
        return 0.0
    return float(min(2 ** (failures - FAILURES_BEFORE_LOCKOUT), LONGEST_LOCKOUT_SECONDS))


class SignInLockout:
    """Wrong MFA codes per user, and the lockout they earn."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._failures: dict[str, Failures] = {}

    def _current(self, username: str) -> Failures | None:
        failures = self._failures.get(username)
        now = self.clock()
        if (
            failures is not None
            and now >= failures.locked_until
            and now - failures.last_attempt >= QUIET_SECONDS_THAT_RESET
        ):
            del self._failures[username]
            return None
        return failures

    def check(self, username: str) -> None:
        """Refuse any sign-in step while the user is locked out (it doesn't count)."""
        failures = self._current(username)
        if failures is not None and self.clock() < failures.locked_until:
            raise CognitoError("NotAuthorizedException", LOCKED_OUT_MESSAGE)

    def is_locked(self, username: str) -> bool:
        failures = self._current(username)
        return failures is not None and self.clock() < failures.locked_until

    def wrong_code(self, username: str) -> None:
        failures = self._current(username) or self._failures.setdefault(username, Failures())
        now = self.clock()
        failures.count += 1
        failures.last_attempt = now
        failures.locked_until = now + lockout_seconds(failures.count)

    def signed_in(self, username: str) -> None:
        """A successful sign-in (only possible once any lockout has passed) starts over."""
        self._failures.pop(username, None)

    def clear(self) -> None:
        self._failures.clear()
