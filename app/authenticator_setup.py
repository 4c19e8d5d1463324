"""Setting up, preferring and removing an authenticator app: one function per change the views ask
for, each a few Cognito calls with the person's access token.

The secret of a set-up in progress lives in the server-side session only between
``AssociateSoftwareToken`` and ``VerifySoftwareToken``: it is removed when the set-up succeeds,
is cancelled, is replaced by a new one, or is left longer than ``SETUP_LIFETIME_SECONDS``, and
with the whole session at sign-out. It is never logged or sent anywhere but the setup page.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from flask import session

from .cognito import SMS_MFA, SOFTWARE_TOKEN_MFA, FactorSetting, MfaStatus
from .errors import NextAction, PortalError
from .extensions import service, settings, signed_in_user
from .protection import PoolMfa
from .session_lifecycle import call_with_token

PENDING_KEY = "authenticator_setup"
#: How long a started set-up waits for its code. It was started after a fresh sign-in, which is
#: why finishing it needs no second one: a re-sign-in would start a new session without it.
SETUP_LIFETIME_SECONDS = 600


class Factor(StrEnum):
    AUTHENTICATOR = "authenticator"
    SMS = "sms"


@dataclass(frozen=True)
class PendingSetup:
    secret: str
    account: str
    started_at: int
    verified: bool = False


@dataclass(frozen=True)
class Removal:
    """What removing the app would do, in this pool, for this account."""

    allowed: bool
    texts_instead: bool


def pending_setup() -> PendingSetup | None:
    """The set-up waiting for its code, if there is one still young enough."""
    stored = session.get(PENDING_KEY)
    if not stored:
        return None
    if time.time() - stored.get("started_at", 0) > SETUP_LIFETIME_SECONDS:
        forget_setup()
        return None
    return PendingSetup(
        stored["secret"], stored["account"], stored["started_at"], stored.get("verified", False)
    )


def forget_setup() -> None:
    session.pop(PENDING_KEY, None)


def start_setup() -> None:
    """A new secret from Cognito (replacing any set-up not finished), kept for the next step."""
    forget_setup()
    secret = call_with_token(service().associate_software_token)
    person = signed_in_user()
    session[PENDING_KEY] = {
        "secret": secret,
        "account": (person.email or person.username or "") if person else "",
        "started_at": int(time.time()),
    }


def finish_setup(code: str, device_name: str) -> str | None:
    """Verify the app's code, then turn the app on: preferred if it is the only factor, else the
    person's choice stays as it was. Returns the request id of the change.

    Once Cognito has accepted the code the secret is spent (verifying again would fail), so a
    set-up whose last step failed remembers that it was verified: trying again only turns it on.
    """
    setup = pending_setup()
    if setup is None:
        raise PortalError("portal:totp_setup_missing")
    if not setup.verified:
        _verify(code, device_name)
    status = call_with_token(service().get_mfa_status)
    only_factor = not status.sms_mfa_enabled
    request_id = call_with_token(
        lambda token: service().set_mfa_preference(
            token, totp=FactorSetting(enabled=True, preferred=only_factor)
        )
    )
    forget_setup()
    return request_id


def _verify(code: str, device_name: str) -> None:
    try:
        call_with_token(service().verify_software_token, code, device_name)
    except PortalError as error:
        if error.entry.next_action is NextAction.START_SETUP_AGAIN:
            forget_setup()  # Cognito no longer has it: the page must not offer it again
        raise
    session[PENDING_KEY] = {**session[PENDING_KEY], "verified": True}


def choose_first(factor: Factor) -> str | None:
    """Make ``factor`` the one Cognito asks for when both are on."""
    status = call_with_token(service().get_mfa_status)
    if not (status.totp_enabled and status.sms_mfa_enabled):
        raise PortalError("InvalidParameterException", variant="mfa_preference")
    preferred = FactorSetting(enabled=True, preferred=True)
    if factor is Factor.AUTHENTICATOR:
        return call_with_token(lambda token: service().set_mfa_preference(token, totp=preferred))
    return call_with_token(
        lambda token: service().set_mfa_preference(token, totp=None, sms=preferred)
    )


def removal_of(status: MfaStatus, pool: PoolMfa) -> Removal:
    """Whether removing the app takes effect, and whether texted codes take its place.

    In a required pool Cognito keeps asking for a verified app unless another factor is preferred
    (aws-sdk-js-v3 #7961), so SMS is turned on and preferred in the same call, which needs a
    verified number; without one the app is the only way in and removing it is not offered.
    """
    if pool == PoolMfa.REQUIRED:
        return Removal(allowed=status.can_enable_sms_mfa, texts_instead=status.can_enable_sms_mfa)
    return Removal(allowed=True, texts_instead=pool == PoolMfa.OPTIONAL and status.sms_mfa_enabled)


def remove_authenticator(pool: PoolMfa) -> str | None:
    """Turn the app off (and, where texts take its place, make SMS the preferred factor)."""
    status = call_with_token(service().get_mfa_status)
    removal = removal_of(status, pool)
    if not removal.allowed:
        raise PortalError("InvalidParameterException", variant="remove_only_factor")
    sms = FactorSetting(enabled=True, preferred=True) if removal.texts_instead else None
    return call_with_token(
        lambda token: service().set_mfa_preference(
            token, totp=FactorSetting(enabled=False), sms=sms
        )
    )


def preferred_factor(status: MfaStatus) -> Factor | None:
    if status.preferred_mfa == SOFTWARE_TOKEN_MFA:
        return Factor.AUTHENTICATOR
    if status.preferred_mfa == SMS_MFA:
        return Factor.SMS
    return None


def issuer() -> str:
    return settings().authenticator_issuer
