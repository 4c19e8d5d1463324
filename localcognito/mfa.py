"""The pool's MFA configuration, each user's factors, and which challenge a sign-in meets.

Cognito decides the second step of a sign-in from the pool's mode (OFF, OPTIONAL, ON), the
factors the pool allows (SMS, authenticator app), the factors the user has turned on and the
one they prefer. `next_challenge` is that decision, shared by the API and the hosted UI.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPool

from . import totp
from .codes import CognitoError

SMS_MFA = "SMS_MFA"
SOFTWARE_TOKEN_MFA = "SOFTWARE_TOKEN_MFA"
SELECT_MFA_TYPE = "SELECT_MFA_TYPE"
MFA_SETUP = "MFA_SETUP"
MFA_MODES = ("OFF", "OPTIONAL", "ON")


@dataclass(frozen=True)
class PoolMfa:
    """What ``GetUserPoolMfaConfig`` says: the mode and the factors the pool allows."""

    mode: str
    sms: bool
    software_token: bool

    @classmethod
    def of(cls, pool: CognitoIdpUserPool) -> PoolMfa:
        token = pool.token_mfa_config or {}
        return cls(pool.mfa_config, bool(pool.sms_mfa_config), bool(token.get("Enabled")))

    def factors(self) -> list[str]:
        return [
            name
            for name, on in ((SMS_MFA, self.sms), (SOFTWARE_TOKEN_MFA, self.software_token))
            if on
        ]


def check_pool_mfa_config(mode: Any, sms: bool, software_token: bool) -> None:
    """Cognito's checks of ``SetUserPoolMfaConfig``."""
    if mode not in MFA_MODES:
        raise CognitoError(
            "InvalidParameterException",
            f"1 validation error detected: Value '{mode}' at 'mfaConfiguration' failed to "
            "satisfy constraint: Member must satisfy enum value set: [OFF, ON, OPTIONAL]",
        )
    if mode != "OFF" and not (sms or software_token):
        raise CognitoError(
            "InvalidParameterException",
            "Invalid MFA configuration given, can't disable all MFAs with a required or "
            "optional configuration.",
        )


def mfa_options(user: CognitoIdpUser) -> list[dict[str, str]]:
    """What ``SetUserSettings`` stored (the legacy ``MFAOptions``)."""
    return list(getattr(user, "mfa_options", []))


def set_mfa_options(user: CognitoIdpUser, options: list[dict[str, str]]) -> None:
    user.mfa_options = options  # type: ignore[attr-defined]


def has_phone(user: CognitoIdpUser) -> bool:
    return bool(user.attribute_lookup.get("phone_number"))


def has_verified_phone(user: CognitoIdpUser) -> bool:
    return has_phone(user) and user.attribute_lookup.get("phone_number_verified") == "true"


def user_factors(pool: PoolMfa, user: CognitoIdpUser) -> list[str]:
    """The factors this user has turned on that the pool allows and that can be delivered.

    SMS counts when turned on either way: the legacy ``MFAOptions`` or ``SetUserMFAPreference``.
    In a required pool a verified authenticator app counts even when it is not turned on: that is
    how an app set up at an ``MFA_SETUP`` challenge is used from then on, while Cognito's
    ``UserMFASettingList`` stays empty (aws/aws-sdk#693, aws/aws-sdk-js-v3#7961).
    """
    factors = []
    sms_on = bool(mfa_options(user)) or user.sms_mfa_enabled
    if pool.sms and sms_on and has_phone(user):
        factors.append(SMS_MFA)
    app_on = user.software_token_mfa_enabled or pool.mode == "ON"
    if pool.software_token and app_on and user.token_verified:
        factors.append(SOFTWARE_TOKEN_MFA)
    return factors


def next_challenge(pool: PoolMfa, user: CognitoIdpUser) -> str | None:
    """The challenge after a right password, or None when the sign-in is complete."""
    if pool.mode == "OFF":
        return None
    factors = user_factors(pool, user)
    if not factors and pool.mode == "ON":
        if pool.sms and has_verified_phone(user):
            return SMS_MFA
        return MFA_SETUP
    if not factors:
        return None
    if len(factors) == 1:
        return factors[0]
    preferred = user.preferred_mfa_setting
    return preferred if preferred in factors else SELECT_MFA_TYPE


def factor_list(factors: list[str]) -> str:
    """A list of factors as Cognito puts it in ``ChallengeParameters`` (a JSON string)."""
    return json.dumps(factors, separators=(",", ":"))


@dataclass
class SoftwareToken:
    secret: str | None = None
    pending_secret: str | None = None
    used_steps: set[int] = field(default_factory=set)


def software_token(user: CognitoIdpUser) -> SoftwareToken:
    """The user's authenticator-app secret; kept on moto's user, so it is pool-scoped."""
    token = getattr(user, "software_token", None)
    if token is None:
        token = SoftwareToken()
        user.software_token = token  # type: ignore[attr-defined]
    return token


class TotpClock:
    """The clock TOTP codes are checked against.

    ``offset`` moves it forward (``/_local/clock``) so a test can get the next code without
    waiting 30 seconds.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.offset = 0.0

    def now(self) -> float:
        return self.clock() + self.offset

    def associate(self, user: CognitoIdpUser) -> str:
        secret = totp.new_secret()
        software_token(user).pending_secret = secret
        return secret

    def verify_pending(self, user: CognitoIdpUser, code: str) -> None:
        """Check a code against the secret being set up; on success it becomes the secret."""
        token = software_token(user)
        if token.pending_secret is None:
            raise CognitoError(
                "InvalidParameterException", "User has not associated a software token."
            )
        step = totp.matching_step(token.pending_secret, code, self.now())
        if step is None:
            raise CognitoError(
                "EnableSoftwareTokenMFAException",
                "Code mismatch and fail enable Software Token MFA",
            )
        token.secret, token.pending_secret = token.pending_secret, None
        token.used_steps = {step}
        user.token_verified = True

    def check_code(self, user: CognitoIdpUser, code: str) -> None:
        """A sign-in code: right for the current time, and not used before."""
        token = software_token(user)
        step = totp.matching_step(token.secret, code, self.now()) if token.secret else None
        if step is None:
            raise CognitoError("CodeMismatchException", "Invalid code received for user")
        if step in token.used_steps:
            raise CognitoError(
                "ExpiredCodeException", "Your software token has already been used once."
            )
        token.used_steps.add(step)

    def current_code(self, user: CognitoIdpUser) -> dict[str, str] | None:
        token = software_token(user)
        secret = token.secret or token.pending_secret
        if secret is None:
            return None
        return {"secret": secret, "code": totp.code_at(secret, self.now())}


def adopt_software_token(user: CognitoIdpUser, secret: str) -> None:
    """Give a user a verified, enabled authenticator app (the seed)."""
    software_token(user).secret = secret
    user.token_verified = True
    user.software_token_mfa_enabled = True
