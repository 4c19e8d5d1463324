"""``/settings/mfa``: show whether SMS MFA protects the account, and turn it on or off."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from .auth import (
    call_with_token,
    change_failed,
    fresh_signin_required,
    limit_changes,
    login_required,
    notice,
    service,
    status_or_error,
)
from .cognito import MfaStatus
from .errors import PortalError
from .forms import SmsMfaForm
from .observability import audit
from .phone_numbers import mask

bp = Blueprint("mfa", __name__)


def phone_ready_now() -> bool:
    """Whether Cognito has a verified number for the person at this moment.

    Decided on Cognito's state when the change is asked for, never on what a page showed
    earlier: the number may have changed since in another tab (a typo there would lock the
    person out at their next sign-in). Costs one GetUser per "turn on".
    """
    status: MfaStatus = call_with_token(service().get_mfa_status)
    return status.can_enable_sms_mfa


@bp.get("/settings/mfa")
@login_required
def settings_page() -> str | tuple[str, int]:
    status = status_or_error()
    if isinstance(status, PortalError):
        return render_template("mfa/settings.html", status=None, error=notice(status)), 503
    return render_template(
        "mfa/settings.html", status=status, masked_phone=mask(status.phone_number)
    )


@bp.post("/settings/mfa")
@login_required
@limit_changes
@fresh_signin_required
def change() -> Response | str:
    form = SmsMfaForm()
    if not form.validate():
        flash(
            {"text": "That request wasn't understood. Nothing was changed.", "action": "none"},
            "warning",
        )
        return redirect(url_for("mfa.settings_page"), 303)
    if not form.wants_on and form.confirmed.data != "yes":
        return render_template("mfa/confirm_off.html")
    event = "sms_mfa_on" if form.wants_on else "sms_mfa_off"
    try:
        if form.wants_on and not phone_ready_now():
            audit(event, "refused", reason="phone_not_verified")
            flash(
                notice(PortalError("InvalidParameterException", variant="enable_sms_mfa")),
                "warning",
            )
            return redirect(url_for("mfa.settings_page"), 303)
        request_id = call_with_token(service().set_sms_mfa, form.wants_on)
    except PortalError as error:
        return change_failed(error, event, "mfa.settings_page")
    audit(event, "ok", cognito_request_id=request_id)
    if form.wants_on:
        text = (
            "SMS MFA is now on. From your next sign-in, we'll text you a code after your password."
        )
    else:
        text = "SMS MFA is now off. Your account is protected by your password only."
    flash({"text": text, "action": "none"}, "success")
    return redirect(url_for("mfa.settings_page"), 303)
