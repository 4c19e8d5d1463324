"""One-time codes (attribute verification) and the pending challenges of a sign-in."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from moto.core.exceptions import JsonRESTError

ATTRIBUTE_CODE_VALIDITY = 24 * 3600
MAX_WRONG_ATTEMPTS = 5
LOCKOUT_SECONDS = 15 * 60
SIGN_IN_SESSION_VALIDITY = 3 * 60
"""Cognito's default authentication session: 3 minutes to answer each challenge."""


class CognitoError(JsonRESTError):
    """Any Cognito error by its code, serialised the way botocore reads it."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(code, message)
        self.code = status


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def mask_phone(phone: str) -> str:
    return "+" + "*" * max(len(phone) - 5, 0) + phone[-4:]


@dataclass
class AttributeCode:
    code: str
    created: float
    superseded: set[str] = field(default_factory=set)


@dataclass
class Attempts:
    wrong: int = 0
    last_wrong: float = 0.0


class AttributeCodes:
    """Codes for VerifyUserAttribute: a fresh code invalidates older ones; 5 wrong tries lock."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._codes: dict[tuple[str, str], AttributeCode] = {}
        self._attempts: dict[tuple[str, str], Attempts] = {}

    def issue(self, username: str, attribute: str) -> str:
        key = (username, attribute)
        older = self._codes.get(key)
        code = new_code()
        superseded = set()
        if older is not None:
            superseded = older.superseded | {older.code}
        self._codes[key] = AttributeCode(code, self.clock(), superseded - {code})
        return code

    def verify(self, username: str, attribute: str, code: str) -> None:
        key = (username, attribute)
        now = self.clock()
        attempts = self._attempts.setdefault(key, Attempts())
        if attempts.wrong >= MAX_WRONG_ATTEMPTS:
            if now - attempts.last_wrong < LOCKOUT_SECONDS:
                raise CognitoError(
                    "LimitExceededException", "Attempt limit exceeded, please try after some time."
                )
            attempts.wrong = 0
        pending = self._codes.get(key)
        if pending is None:
            raise CognitoError(
                "ExpiredCodeException", "Invalid code provided, please request a code again."
            )
        if code == pending.code:
            if now - pending.created > ATTRIBUTE_CODE_VALIDITY:
                raise CognitoError(
                    "ExpiredCodeException", "Invalid code provided, please request a code again."
                )
            del self._codes[key]
            self._attempts.pop(key, None)
            return
        if code in pending.superseded:
            raise CognitoError(
                "ExpiredCodeException", "Invalid code provided, please request a code again."
            )
        attempts.wrong += 1
        attempts.last_wrong = now
        raise CognitoError(
            "CodeMismatchException", "Invalid verification code provided, please try again."
        )

    def age(self, username: str, seconds: float) -> int:
        """Make a user's pending codes `seconds` older (to test expiry)."""
        aged = 0
        for (owner, _), pending in self._codes.items():
            if owner == username:
                pending.created -= seconds
                aged += 1
        return aged

    def clear(self) -> None:
        self._codes.clear()
        self._attempts.clear()


@dataclass
class PendingChallenge:
    """A sign-in waiting for its next answer (an MFA code, a choice, a new password)."""

    name: str
    username: str
    client_id: str
    created: float
    code: str | None = None
    destination: str | None = None
    wrong: int = 0
    token_verified: bool = False


SESSION_EXPIRED = "Invalid session for the user, session is expired."


class PendingChallenges:
    """Pending sign-in challenges by session id, for the API and the hosted UI alike."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._pending: dict[str, PendingChallenge] = {}

    def start(
        self,
        name: str,
        username: str,
        client_id: str,
        *,
        code: str | None = None,
        destination: str | None = None,
    ) -> tuple[str, PendingChallenge]:
        session = secrets.token_urlsafe(48)
        challenge = PendingChallenge(
            name, username, client_id, self.clock(), code=code, destination=destination
        )
        self._pending[session] = challenge
        return session, challenge

    def get(self, session: str) -> PendingChallenge:
        challenge = self._pending.get(session)
        if challenge is None or self.clock() - challenge.created > SIGN_IN_SESSION_VALIDITY:
            self._pending.pop(session, None)
            raise CognitoError("NotAuthorizedException", SESSION_EXPIRED)
        return challenge

    def expect(self, session: str, name: str, client_id: str) -> PendingChallenge:
        """The pending challenge, if it is ``name`` for this client; Cognito's error otherwise."""
        challenge = self.get(session)
        if challenge.client_id != client_id or challenge.name != name:
            raise CognitoError("NotAuthorizedException", "Invalid session for the user.")
        return challenge

    def renew(self, session: str) -> str:
        """Move a challenge to a new session id, as each step of MFA setup hands out one."""
        challenge = self.get(session)
        del self._pending[session]
        fresh = secrets.token_urlsafe(48)
        self._pending[fresh] = challenge
        return fresh

    def finish(self, session: str) -> None:
        self._pending.pop(session, None)

    def answer(self, session: str, code: str) -> PendingChallenge:
        """The SMS challenge, consumed, if `code` is right; CodeMismatchException otherwise."""
        challenge = self.get(session)
        if code != challenge.code:
            self.count_wrong(session, challenge)
            raise CognitoError("CodeMismatchException", "Invalid code or auth state for the user.")
        del self._pending[session]
        return challenge

    def count_wrong(self, session: str, challenge: PendingChallenge) -> None:
        challenge.wrong += 1
        if challenge.wrong >= MAX_WRONG_ATTEMPTS:
            self._pending.pop(session, None)

    def clear(self) -> None:
        self._pending.clear()
