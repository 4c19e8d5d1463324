"""One-time codes: attribute verification (phone/e-mail) and the SMS MFA sign-in challenge."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from moto.core.exceptions import JsonRESTError

ATTRIBUTE_CODE_VALIDITY = 24 * 3600
MAX_WRONG_ATTEMPTS = 5
LOCKOUT_SECONDS = 15 * 60
SMS_CHALLENGE_VALIDITY = 3 * 60


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
class SmsChallenge:
    username: str
    client_id: str
    code: str
    destination: str
    created: float
    wrong: int = 0


class SmsChallenges:
    """Pending SMS_MFA challenges, by session id (API) or pending hosted-UI login."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._pending: dict[str, SmsChallenge] = {}

    def start(self, username: str, client_id: str, destination: str) -> tuple[str, SmsChallenge]:
        session = secrets.token_urlsafe(48)
        challenge = SmsChallenge(username, client_id, new_code(), destination, self.clock())
        self._pending[session] = challenge
        return session, challenge

    def get(self, session: str) -> SmsChallenge:
        challenge = self._pending.get(session)
        if challenge is None or self.clock() - challenge.created > SMS_CHALLENGE_VALIDITY:
            self._pending.pop(session, None)
            raise CognitoError(
                "NotAuthorizedException", "Invalid session for the user, session is expired."
            )
        return challenge

    def answer(self, session: str, code: str) -> SmsChallenge:
        """The challenge, consumed, if `code` is right; CodeMismatchException otherwise."""
        challenge = self.get(session)
        if code != challenge.code:
            challenge.wrong += 1
            if challenge.wrong >= MAX_WRONG_ATTEMPTS:
                del self._pending[session]
            raise CognitoError("CodeMismatchException", "Invalid code or auth state for the user.")
        del self._pending[session]
        return challenge

    def clear(self) -> None:
        self._pending.clear()
