"""The form classes on their own (CSRF off: the views' tests cover CSRF)."""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from app.forms import PhoneNumberForm, SmsMfaForm, VerifyCodeForm


@pytest.fixture
def form_context(app: Flask):
    app.config["WTF_CSRF_ENABLED"] = False
    with app.test_request_context(method="POST"):
        yield


def sms_form(**data: str) -> SmsMfaForm:
    return SmsMfaForm(formdata=MultiDict(data))


@pytest.mark.parametrize(("enable", "wants_on"), [("on", True), ("off", False)])
def test_sms_mfa_form_accepts_on_and_off(form_context, enable, wants_on):
    form = sms_form(enable=enable)
    assert form.validate()
    assert form.wants_on is wants_on


@pytest.mark.parametrize("enable", ["", "yes", "ON", "true"])
def test_sms_mfa_form_refuses_anything_else(form_context, enable):
    form = sms_form(enable=enable)
    assert not form.validate()
    assert not form.wants_on


@pytest.mark.parametrize(("confirmed", "valid"), [("", True), ("yes", True), ("no", False)])
def test_sms_mfa_form_confirmation_is_yes_or_absent(form_context, confirmed, valid):
    assert sms_form(enable="off", confirmed=confirmed).validate() is valid


def test_sms_mfa_form_carries_a_csrf_token(app):
    with app.test_request_context():
        assert 'name="csrf_token"' in str(SmsMfaForm().csrf_token)


def test_phone_number_form_normalises_to_e164(form_context):
    form = PhoneNumberForm(formdata=MultiDict({"country": "US", "phone_number": "(202) 555-0143"}))
    assert form.validate()
    assert form.e164 == "+12025550143"


def test_phone_number_form_defaults_the_country(form_context):
    assert PhoneNumberForm(formdata=MultiDict(), default_region="GB").country.data == "GB"


@pytest.mark.parametrize("typed", ["", "12", "x" * 40])
def test_phone_number_form_refuses_impossible_numbers(form_context, typed):
    form = PhoneNumberForm(formdata=MultiDict({"country": "US", "phone_number": typed}))
    assert not form.validate()
    assert form.phone_number.errors


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("123456", True),
        (" 123456 ", True),
        ("12345", False),
        ("abcdef", False),
        ("", False),
        ("١٢٣٤٥٦", False),  # Arabic-Indic digits, which a \d pattern takes
        ("１２３４５６", False),  # full-width digits
    ],
)
def test_verify_code_form(form_context, code, valid):
    assert VerifyCodeForm(formdata=MultiDict({"code": code})).validate() is valid
