"""WTForms classes. Flask-WTF's CSRFProtect checks every POST; each form also carries its token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf, DataRequired, Optional


class SmsMfaForm(FlaskForm):
    """Turn SMS MFA on or off. Turning it off is confirmed on a second step (``confirmed=yes``)."""

    enable = HiddenField(validators=[DataRequired(), AnyOf(["on", "off"])])
    confirmed = HiddenField(validators=[Optional(), AnyOf(["yes"])])

    @property
    def wants_on(self) -> bool:
        return self.enable.data == "on"


class SignOutForm(FlaskForm):
    """Sign out here, or everywhere: a form only so that it carries the CSRF token."""
