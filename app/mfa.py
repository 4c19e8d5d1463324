"""``/settings/mfa``: show what protects the account and what the next sign-in will ask, and turn
SMS MFA on or off."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, get_flashed_messages, redirect, render_template, url_for
from werkzeug.wrappers import Response

from .auth import fresh_signin_required, login_required
from .cognito import MfaStatus
from .errors import Changed, PortalError, retry_after_header
from .extensions import service, settings
from .forms import SmsMfaForm
from .notices import change_failed, change_refused, flash_notice, notice
from .observability import audit
from .phone_numbers import mask
from .protection import PoolMfa, Protection, describe
from .security import limit_changes
from .session_lifecycle import call_with_token
from .status_cache import (
    forget_status,
    keep_status,
    remember_status,
    remembered_status,
    spend_status_read,
    status_generation,
)

bp = Blueprint("mfa", __name__)


def pool_mfa() -> PoolMfa:
    return PoolMfa(settings().pool_mfa)


def protection_of(status: MfaStatus) -> Protection:
    return describe(status, pool_mfa(), mask(status.phone_number))


def current_status(generation: int | None = None) -> MfaStatus:
    """Cognito's state at this moment (one GetUser), for decisions a page shown earlier can't
    make: the number may have changed since in another tab. Remembered for the pages after,
    under ``generation`` (the caller's, read before this; else read here)."""
    if generation is None:
        generation = status_generation()
    status = call_with_token(service().get_mfa_status)
    remember_status(status, generation)
    return status


def shown_status() -> MfaStatus:
    """The status to show: as read or set within ``STATUS_CACHE_SECONDS``, else read now (within
    the person's budget of reads: one person's reloads must not spend everyone's quota)."""
    remembered = remembered_status()
    if remembered is not None:
        return remembered
    wait = spend_status_read()
    if wait is not None:
        raise PortalError("portal:status_reads", retry_after=wait)
    return current_status()


def status_or_error() -> MfaStatus | PortalError:
    """The person's MFA status to show, or the failure to show in its place (unless it ends the
    session, which is raised for the app's handler)."""
    try:
        return shown_status()
    except PortalError as error:
        if error.entry.ends_session:
            raise
        return error


def status_unavailable(
    template: str, error: PortalError, **context: object
) -> tuple[str, int, dict[str, str]]:
    """``template`` with the failure in place of the status: 503, and when to try again. The
    failure is said once: not again when a change that just failed flashed the same words."""
    said = notice(error)
    flashed = [
        message.get("text")
        for _, message in get_flashed_messages(with_categories=True)
        if isinstance(message, dict)
    ]
    page = render_template(
        template,
        status=None,
        unavailable=True,
        error=None if said["text"] in flashed else said,
        **context,
    )
    return page, 503, retry_after_header(error)


@bp.get("/settings/mfa")
@login_required
def settings_page() -> str | tuple[str, int, dict[str, str]]:
    status = status_or_error()
    if isinstance(status, PortalError):
        return status_unavailable("mfa/settings.html", status)
    return render_template(
        "mfa/settings.html",
        status=status,
        protection=protection_of(status),
        masked_phone=mask(status.phone_number),
    )


def _refuse(error: PortalError, event: str) -> Response:
    return change_refused(error, event, "mfa.settings_page")


@bp.post("/settings/mfa")
@login_required
@limit_changes
@fresh_signin_required
def change() -> Response | str:
    form = SmsMfaForm()
    if not form.validate():
        flash_notice("That request wasn't understood. Nothing was changed.", "warning")
        return redirect(url_for("mfa.settings_page"), 303)
    event = "sms_mfa_on" if form.wants_on else "sms_mfa_off"
    pool = pool_mfa()
    if pool == PoolMfa.OFF:
        return _refuse(PortalError("InvalidParameterException", variant="pool_mfa_off"), event)
    if not form.wants_on and pool == PoolMfa.REQUIRED:
        # Cognito would go on asking for a second step: an "off" that doesn't take effect.
        return _refuse(PortalError("InvalidParameterException", variant="disable_sms_mfa"), event)
    try:
        generation = status_generation()
        known = current_status(generation) if form.wants_on else None
        if form.wants_on and not known.can_enable_sms_mfa:
            return _refuse(
                PortalError("InvalidParameterException", variant="enable_sms_mfa"), event
            )
        if not form.wants_on and form.confirmed.data != "yes":
            return render_template("mfa/confirm_off.html", protection=protection_of(shown_status()))
        request_id = call_with_token(service().set_sms_mfa, form.wants_on)
    except PortalError as error:
        if error.entry.changed == Changed.NO:
            keep_status()  # nothing changed: the status shown is still true, and costs no call
        else:
            forget_status()  # e.g. a change that timed out may have been made after all
        return change_failed(error, event, "mfa.settings_page")
    if known is not None:
        # The page after the redirect shows what turning on set, without reading it back. (Not
        # after turning off: SMS may stay on in Cognito's newer setting, so the page asks.)
        remember_status(replace(known, sms_mfa_enabled=True), generation)
    audit(event, "ok", cognito_request_id=request_id)
    text = "SMS MFA is now on." if form.wants_on else "SMS MFA is now off."
    flash_notice(f"{text} Below is what your next sign-in will ask.", "success")
    return redirect(url_for("mfa.settings_page"), 303)
