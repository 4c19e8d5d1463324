"""``/settings/authenticator``: set up an authenticator app (QR code or typed secret, then its
code), choose which second step Cognito asks for when SMS is on too, and remove the app."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response

from .auth import fresh_signin_required, login_required
from .authenticator_setup import (
    Factor,
    choose_first,
    finish_setup,
    forget_setup,
    issuer,
    pending_setup,
    removal_of,
    remove_authenticator,
    start_setup,
)
from .errors import PortalError
from .forms import AuthenticatorCodeForm, PreferredFactorForm
from .mfa import pool_mfa, protection_of, status_or_error
from .notices import change_failed, change_refused, flash_notice
from .observability import audit
from .otpauth import provisioning_uri, qr_svg, secret_groups
from .phone_numbers import mask
from .protection import PoolMfa
from .security import limit_changes

bp = Blueprint("authenticator", __name__)

SETTINGS_PAGE = "mfa.settings_page"
SETUP_PAGE = "authenticator.setup_page"


def _done(text: str) -> Response:
    flash_notice(text, "success")
    return redirect(url_for(SETTINGS_PAGE), 303)


def _not_understood(back_to: str) -> Response:
    flash_notice("That request wasn't understood. Nothing was changed.", "warning")
    return redirect(url_for(back_to), 303)


@bp.get("/settings/authenticator")
@login_required
def setup_page() -> str | tuple[str, int]:
    setup = pending_setup()
    if setup is None:
        return render_template("authenticator/start.html", available=pool_mfa() != PoolMfa.OFF)
    uri = provisioning_uri(setup.secret, setup.account, issuer())
    return render_template(
        "authenticator/setup.html",
        form=AuthenticatorCodeForm(),
        qr_code=qr_svg(uri, f"QR code to add {setup.account} to your authenticator app"),
        secret_groups=secret_groups(setup.secret),
        account=setup.account,
        issuer=issuer(),
    )


@bp.post("/settings/authenticator")
@login_required
@limit_changes
@fresh_signin_required
def start() -> Response:
    if pool_mfa() == PoolMfa.OFF:
        error = PortalError("InvalidParameterException", variant="pool_mfa_off")
        return change_refused(error, "totp_added", SETTINGS_PAGE)
    try:
        start_setup()
    except PortalError as error:
        return change_failed(error, "totp_added", SETTINGS_PAGE)
    audit("totp_setup_started", "ok")
    return redirect(url_for(SETUP_PAGE), 303)


@bp.post("/settings/authenticator/verify")
@login_required
@limit_changes
def verify() -> Response:
    """No second fresh sign-in: the set-up was started after one (see ``authenticator_setup``)."""
    form = AuthenticatorCodeForm()
    if not form.validate():
        errors = [*form.code.errors, *form.device_name.errors]
        message = errors[0] if errors else "Enter the code again."
        flash_notice(f"{message} Nothing was changed.", "warning")
        return redirect(url_for(SETUP_PAGE), 303)
    try:
        request_id = finish_setup(form.digits, form.chosen_device_name)
    except PortalError as error:
        return change_failed(error, "totp_added", SETUP_PAGE)
    audit("totp_added", "ok", cognito_request_id=request_id)
    return _done(
        "Your authenticator app is set up. Below is what your next sign-in will ask; you can "
        "choose which method comes first when SMS MFA is on too."
    )


@bp.post("/settings/authenticator/cancel")
@login_required
def cancel() -> Response:
    forget_setup()
    flash_notice(
        "Set-up cancelled. Nothing was changed. If you added an entry to your "
        "authenticator app, you can delete it.",
        "info",
    )
    return redirect(url_for(SETTINGS_PAGE), 303)


@bp.post("/settings/authenticator/preference")
@login_required
@limit_changes
@fresh_signin_required
def choose() -> Response:
    form = PreferredFactorForm()
    if not form.validate():
        return _not_understood(SETTINGS_PAGE)
    factor = Factor(form.first.data)
    try:
        request_id = choose_first(factor)
    except PortalError as error:
        return change_failed(error, "mfa_preference_changed", SETTINGS_PAGE)
    audit("mfa_preference_changed", "ok", preferred=factor.value, cognito_request_id=request_id)
    first = (
        "a code from your authenticator app" if factor is Factor.AUTHENTICATOR else "a texted code"
    )
    return _done(f"Saved: sign-in now asks for {first} first.")


@bp.get("/settings/authenticator/remove")
@login_required
def confirm_remove() -> Response | str | tuple[str, int]:
    status = status_or_error()
    if isinstance(status, PortalError):
        flash_notice(status)
        return redirect(url_for(SETTINGS_PAGE), 303)
    if not status.totp_enabled:
        return redirect(url_for(SETTINGS_PAGE), 303)
    return render_template(
        "authenticator/confirm_remove.html",
        status=status,
        protection=protection_of(status),
        removal=removal_of(status, pool_mfa()),
        pool=pool_mfa().value,
        masked_phone=mask(status.phone_number),
    )


@bp.post("/settings/authenticator/remove")
@login_required
@limit_changes
@fresh_signin_required
def remove() -> Response:
    try:
        request_id = remove_authenticator(pool_mfa())
    except PortalError as error:
        if error.variant == "remove_only_factor":
            return change_refused(error, "totp_removed", SETTINGS_PAGE)
        return change_failed(error, "totp_removed", SETTINGS_PAGE)
    audit("totp_removed", "ok", cognito_request_id=request_id)
    return _done(
        "Your authenticator app is removed. Below is what your next sign-in will ask. You can "
        "delete its entry from the app."
    )
