"""WTForms classes. Flask-WTF's CSRFProtect checks every POST.

Forms whose only fields are hidden (the SMS MFA toggle, sign-out, "send a new code") are written
in the templates with ``csrf_token()``: rendering them through WTForms cost about half of the MFA
page's CPU time. Their POSTs are still validated here.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp, ValidationError

from .phone_numbers import PhoneNumberError, PhonePolicy, country_choices, normalise


def csrf_field() -> Markup:
    """The hidden CSRF input of a form with no other visible field (``{{ csrf_field() }}``).

    Made once per request: a page has several such forms, and each would otherwise sign the
    token and format the markup again (about a fifth of the MFA page's CPU time)."""
    if "csrf_field" not in g:
        field = Markup('<input name="csrf_token" type="hidden" value="{}">')
        g.csrf_field = field.format(generate_csrf())
    return g.csrf_field


class SmsMfaForm(FlaskForm):
    """Turn SMS MFA on or off. Turning it off is confirmed on a second step (``confirmed=yes``)."""

    enable = HiddenField(validators=[DataRequired(), AnyOf(["on", "off"])])
    confirmed = HiddenField(validators=[Optional(), AnyOf(["yes"])])

    @property
    def wants_on(self) -> bool:
        return self.enable.data == "on"


class PhoneNumberForm(FlaskForm):
    """A number as people type it, with the country it is in; normalised to E.164 on validation."""

    country = SelectField("Country", validators=[DataRequired()])
    phone_number = StringField(
        "Mobile phone number",
        validators=[DataRequired(message="Enter a phone number."), Length(max=32)],
        render_kw={"autocomplete": "tel-national", "inputmode": "tel"},
    )

    def __init__(
        self,
        *args: Any,
        default_region: str = "US",
        policy: PhonePolicy | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.policy = policy or PhonePolicy()
        self.country.choices = country_choices(self.policy.allowed_regions)
        if not self.country.data:
            self.country.data = default_region
        self.e164 = ""

    def validate_phone_number(self, field: StringField) -> None:
        try:
            self.e164 = normalise(field.data or "", self.country.data or "", self.policy)
        except PhoneNumberError as error:
            raise ValidationError(str(error)) from None


class VerifyCodeForm(FlaskForm):
    code = StringField(
        "Verification code",
        validators=[
            DataRequired(message="Enter the code from the text message."),
            Regexp(r"^\s*[0-9]{6}\s*$", message="The code is the 6 digits in the text message."),
        ],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


DEFAULT_DEVICE_NAME = "Authenticator app"


class AuthenticatorCodeForm(FlaskForm):
    """The last step of setting up an authenticator app: a name for it and its current code."""

    device_name = StringField(
        "Name for this app",
        default=DEFAULT_DEVICE_NAME,
        validators=[
            Optional(),
            Length(max=64, message="Keep the name to 64 characters or fewer."),
            Regexp(r"^[^\x00-\x1f\x7f]*$", message="Leave out tabs and line breaks from the name."),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    code = StringField(
        "6-digit code from the app",
        validators=[
            DataRequired(message="Enter the 6-digit code your authenticator app shows."),
            Regexp(
                r"^\s*[0-9]{3}\s?[0-9]{3}\s*$",
                message="The code is the 6 digits your authenticator app shows.",
            ),
        ],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )

    @property
    def digits(self) -> str:
        return "".join((self.code.data or "").split())

    @property
    def chosen_device_name(self) -> str:
        return (self.device_name.data or "").strip() or DEFAULT_DEVICE_NAME


class PreferredFactorForm(FlaskForm):
    """Which second step Cognito asks for when both an authenticator app and SMS are on (radio
    buttons written in the template, like the other forms without a typed field)."""

    first = StringField(validators=[DataRequired(), AnyOf(["authenticator", "sms"])])
