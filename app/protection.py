"""What protects a person's account, and what Cognito will ask at their next sign-in.

Cognito decides the second step from the pool's MFA mode (``COGNITO_POOL_MFA``: off, optional,
required), the factors the person has on (SMS, an authenticator app) and the one they prefer;
the legacy ``MFAOptions`` that ``SetUserSettings`` writes is only one input. The MFA page renders
one ``Protection``, so every sentence it shows is true for the pool it runs against:

- pool **off**: no second step is ever asked, so there is nothing to turn on;
- pool **optional**: SMS and the authenticator app are the person's choice;
- pool **required**: a second step at every sign-in whatever the person's settings; a verified
  phone number gets texted codes even with SMS MFA "off" (amplify-js #11258), and someone with
  no factor is made to set one up. Turning SMS off there would not take effect, so it isn't
  offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .cognito import MfaStatus


class PoolMfa(StrEnum):
    OFF = "off"
    OPTIONAL = "optional"
    REQUIRED = "required"


class Stage(StrEnum):
    """The one state the settings page is in; the template renders each."""

    UNAVAILABLE = "unavailable"  # the pool asks no second step
    NEEDS_PHONE = "needs_phone"
    NEEDS_VERIFICATION = "needs_verification"
    OFF = "off"  # can be turned on
    ON = "on"  # can be turned off
    ON_REQUIRED = "on_required"  # on, and the organisation requires it: not offered off


@dataclass(frozen=True)
class Protection:
    stage: Stage
    sms_on: bool
    badge: str
    next_sign_in: str
    totp_on: bool
    asks_first: str | None  # "authenticator app", "text message", "your choice" or None

    @property
    def can_turn_on(self) -> bool:
        return self.stage == Stage.OFF

    @property
    def can_turn_off(self) -> bool:
        return self.stage == Stage.ON


def describe(status: MfaStatus, pool: PoolMfa, masked_phone: str) -> Protection:
    """The page's one view of the account, for this pool's MFA mode."""
    sms_on = texts_codes(status, pool)
    first = _asks_first(status, pool)
    return Protection(
        stage=_stage(status, pool),
        sms_on=sms_on,
        badge="SMS MFA: Not available"
        if pool == PoolMfa.OFF
        else f"SMS MFA: {'On' if sms_on else 'Off'}",
        next_sign_in=_next_sign_in(status, pool, first, masked_phone),
        totp_on=status.totp_enabled,
        asks_first=first,
    )


def texts_codes(status: MfaStatus, pool: PoolMfa) -> bool:
    """Whether SMS is one of the person's second steps: turned on, or (in a pool that requires a
    second step) a verified phone number, which Cognito texts whatever the settings say."""
    if pool == PoolMfa.OFF:
        return False
    return status.sms_mfa_enabled or (pool == PoolMfa.REQUIRED and status.can_enable_sms_mfa)


def _stage(status: MfaStatus, pool: PoolMfa) -> Stage:
    if pool == PoolMfa.OFF:
        return Stage.UNAVAILABLE
    if texts_codes(status, pool):
        return Stage.ON_REQUIRED if pool == PoolMfa.REQUIRED else Stage.ON
    if not status.phone_number:
        return Stage.NEEDS_PHONE
    if not status.phone_verified:
        return Stage.NEEDS_VERIFICATION
    return Stage.OFF


def _asks_first(status: MfaStatus, pool: PoolMfa) -> str | None:
    """The second step Cognito asks for at the next sign-in, if any."""
    if pool == PoolMfa.OFF:
        return None
    sms = texts_codes(status, pool)
    totp = status.totp_enabled
    if sms and totp:
        if status.preferred_mfa == "SOFTWARE_TOKEN_MFA":
            return "authenticator app"
        if status.preferred_mfa == "SMS_MFA":
            return "text message"
        return "your choice"
    if totp:
        return "authenticator app"
    if sms:
        return "text message"
    return None


def _next_sign_in(status: MfaStatus, pool: PoolMfa, first: str | None, phone: str) -> str:
    if pool == PoolMfa.OFF:
        return (
            "Your organisation's sign-in doesn't use a second step, so SMS MFA isn't available "
            "for this account. Your account is protected by your password."
        )
    required = "Your organisation requires a second step at every sign-in. "
    prefix = required if pool == PoolMfa.REQUIRED else ""
    if first == "authenticator app":
        also = (
            " SMS MFA is on too, but the app is what sign-in asks for: it's your preferred method."
            if texts_codes(status, pool)
            else ""
        )
        return f"{prefix}When you sign in, we ask for a code from your authenticator app.{also}"
    if first == "text message":
        return f"{prefix}When you sign in, we text a code to {phone} after your password."
    if first == "your choice":
        return (
            f"{prefix}When you sign in, you choose: a code from your authenticator app, or one "
            f"we text to {phone}."
        )
    if pool == PoolMfa.REQUIRED:
        # An authenticator app set up at sign-in (MFA_SETUP) is not in GetUser's
        # UserMFASettingList (Cognito says this is expected: aws/aws-sdk #693), so this sentence
        # must be true whether or not the person already has one.
        return f"{required}If you haven't set one up yet, you'll be asked to at your next sign-in."
    return "Your account is protected by your password only."
