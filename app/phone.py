"""``/settings/phone``: add or change the phone number, then verify it with a texted code."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response

from .auth import fresh_signin_required, login_required
from .budgets import spend_texts
from .errors import PortalError
from .extensions import service, settings
from .forms import PhoneNumberForm, VerifyCodeForm
from .mfa import status_or_error, status_unavailable
from .notices import change_failed, flash_notice
from .observability import audit
from .phone_numbers import PhoneNumberError, PhonePolicy, mask, normalise
from .security import limit_changes, limit_texts
from .session_lifecycle import call_with_token

bp = Blueprint("phone", __name__)


def phone_policy() -> PhonePolicy:
    portal = settings()
    return PhonePolicy(portal.phone_allowed_regions, portal.phone_allow_voip)


def phone_form() -> PhoneNumberForm:
    return PhoneNumberForm(default_region=settings().phone_default_region, policy=phone_policy())


@bp.get("/settings/phone")
@login_required
def edit() -> tuple[str, int] | tuple[str, int, dict[str, str]]:
    return edit_page(phone_form())


def edit_page(
    form: PhoneNumberForm, status_code: int = 200
) -> tuple[str, int] | tuple[str, int, dict[str, str]]:
    """The add/change page with the person's current number and warnings, for a new form or one
    that was refused (a typo must not turn "Change your number" into "Add a phone number")."""
    status = status_or_error()
    if isinstance(status, PortalError):
        return status_unavailable("phone/edit.html", status)
    return render_template(
        "phone/edit.html", status=status, form=form, masked_phone=mask(status.phone_number)
    ), status_code


@bp.post("/settings/phone")
@login_required
@limit_texts
@fresh_signin_required
def update() -> Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    form = phone_form()
    if not form.validate():
        # Refused before any change is asked of Cognito (no text, nothing spent): the person
        # fixes the number on the same page, with the same context.
        return edit_page(form, 400)
    spend_texts(form.e164)
    try:
        call_with_token(service().update_phone_number, form.e164)
    except PortalError as error:
        return change_failed(error, "phone_number_change", "phone.edit")
    audit("phone_number_change", "ok", phone=mask(form.e164))
    flash_notice(
        f"Your phone number is now {mask(form.e164)}. We texted a 6-digit code to it: "
        "enter it below to verify the number.",
        "success",
    )
    return redirect(url_for("phone.verify_page"), 303)


@bp.get("/settings/phone/verify")
@login_required
def verify_page() -> Response | str | tuple[str, int, dict[str, str]]:
    status = status_or_error()
    if isinstance(status, PortalError):
        return status_unavailable("phone/verify.html", status)
    if not status.phone_number:
        return redirect(url_for("phone.edit"))
    return render_template(
        "phone/verify.html",
        status=status,
        form=VerifyCodeForm(),
        masked_phone=mask(status.phone_number),
    )


@bp.post("/settings/phone/verify")
@login_required
@limit_changes
@fresh_signin_required
def verify() -> Response:
    form = VerifyCodeForm()
    if not form.validate():
        message = form.code.errors[0] if form.code.errors else "Enter the code again."
        flash_notice(f"{message} Nothing was changed.", "warning")
        return redirect(url_for("phone.verify_page"), 303)
    try:
        request_id = call_with_token(service().verify_phone, (form.code.data or "").strip())
    except PortalError as error:
        return change_failed(error, "phone_number_verify", "phone.verify_page")
    audit("phone_number_verify", "ok", cognito_request_id=request_id)
    flash_notice("Your phone number is verified. You can now turn on SMS MFA.", "success")
    return redirect(url_for("mfa.settings_page"), 303)


@bp.post("/settings/phone/resend")
@login_required
@limit_texts
@fresh_signin_required
def resend() -> Response:
    try:
        # The number the code goes to, for its budget and today's rules on what may be texted.
        number = call_with_token(service().get_mfa_status).phone_number
        if number:
            if refused := _untextable(number):
                return refused
            spend_texts(number)
        call_with_token(service().send_phone_code)
    except PortalError as error:
        return change_failed(error, "phone_code_send", "phone.verify_page")
    audit("phone_code_send", "ok")
    # Said in the portal's own mask (Cognito's destination is masked another way), and no word
    # of earlier codes: there may have been none.
    where = f" to {mask(number)}" if number else ""
    flash_notice(f"We texted a code{where}.", "success")
    return redirect(url_for("phone.verify_page"), 303)


def _untextable(number: str) -> Response | None:
    """A number saved before today's rules (or a narrower PHONE_ALLOWED_REGIONS) gets no text."""
    try:
        normalise(number, settings().phone_default_region, phone_policy())
    except PhoneNumberError as error:
        flash_notice(f"{error} No code was sent: change the number first.", "warning")
        return redirect(url_for("phone.edit"), 303)
    return None
