"""A change the person asked for while their sign-in was too old, carried across the re-sign-in.

A sensitive change needs a recent sign-in. When the sign-in is older, the portal remembers what
was asked (the view and the form it posted, in the server-side session, never in the browser),
says why it must sign the person in again, and, once they are back, shows the same change on the
page they return to as one confirmation with one button that POSTs it. Nothing changes on a GET,
and a change is never dropped without a word.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from flask import session

#: How long an asked-for change waits for its confirmation (the re-sign-in included).
PENDING_CHANGE_SECONDS = 15 * 60
SESSION_KEY = "pending_change"


@dataclass(frozen=True)
class ChangeWording:
    """What a change is called: on the page before the hosted UI, and on its confirmation."""

    purpose: str  # completes "sign in again to ..."
    question: str  # the confirmation's heading
    explanation: str
    button: str
    danger: bool = False


def wording_for(endpoint: str, form: dict[str, str]) -> ChangeWording | None:
    """The wording for a change the portal knows how to carry, or None."""
    if endpoint == "mfa.change" and form.get("enable") == "on":
        return ChangeWording(
            "turn on SMS MFA",
            "Turn on SMS MFA?",
            "From your next sign-in, we'll text a code to your phone after your password.",
            "Turn on SMS MFA",
        )
    if endpoint == "mfa.change" and form.get("enable") == "off":
        return ChangeWording(
            "turn off SMS MFA",
            "Turn off SMS MFA?",
            "We will no longer text you a code when you sign in: anyone who learns your "
            "password could sign in to your account.",
            "Yes, turn off SMS MFA",
            danger=True,
        )
    if endpoint == "phone.update":
        return ChangeWording(
            "change your phone number",
            "Save your new phone number?",
            f"We'll save {form.get('phone_number', '').strip() or 'the number you entered'} "
            "and text a 6-digit code to it.",
            "Save and text me a code",
        )
    if endpoint == "phone.verify":
        return ChangeWording(
            "verify your phone number",
            "Verify your phone number?",
            "We'll check the code you entered.",
            "Verify number",
        )
    if endpoint == "phone.resend":
        return ChangeWording(
            "have a code texted to you",
            "Text you a code?",
            "We'll text a 6-digit code to your phone number.",
            "Text me a code",
        )
    if endpoint == "auth.logout_everywhere":
        return ChangeWording(
            "sign out of all devices",
            "Sign out of all devices?",
            "You'll be signed out here and everywhere else you're signed in, including other "
            "browsers and phones. Each of them will need your password again.",
            "Sign out of all devices",
            danger=True,
        )
    return None


@dataclass(frozen=True)
class PendingChange:
    endpoint: str
    form: dict[str, str]
    return_to: str
    sub: str
    asked_at: int

    @property
    def wording(self) -> ChangeWording:
        wording = wording_for(self.endpoint, self.form)
        assert wording is not None  # only changes with a wording are remembered
        return wording

    def fields_to_post(self) -> dict[str, str]:
        """The form as it was asked for, now confirmed."""
        return {**self.form, "confirmed": "yes"}


def remember(endpoint: str, form: dict[str, str], return_to: str, sub: str) -> PendingChange:
    """Keep the asked-for change (without its CSRF token) until it is confirmed or cancelled."""
    fields = {name: value for name, value in form.items() if name != "csrf_token"}
    change = PendingChange(endpoint, fields, return_to, sub, int(time.time()))
    session[SESSION_KEY] = vars(change)
    return change


def pending(sub: str | None) -> PendingChange | None:
    """The change this person asked for and has not confirmed yet, unless it has waited too long
    or belongs to someone else."""
    stored: Any = session.get(SESSION_KEY)
    if not isinstance(stored, dict) or sub is None:
        return None
    try:
        change = PendingChange(**stored)
    except TypeError:
        return None
    if change.sub != sub or time.time() - change.asked_at > PENDING_CHANGE_SECONDS:
        return None
    if wording_for(change.endpoint, change.form) is None:
        return None
    return change


def forget() -> None:
    session.pop(SESSION_KEY, None)


def carried_across_sign_in() -> dict[str, Any]:
    """What a new sign-in keeps of the old session: the change, if any (checked against the new
    sign-in's person when it is shown)."""
    stored = session.get(SESSION_KEY)
    return {SESSION_KEY: stored} if stored else {}
