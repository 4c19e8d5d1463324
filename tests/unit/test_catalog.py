from __future__ import annotations

import re

import pytest

from app.cognito import OPERATIONS
from app.errors import (
    CATALOG,
    CatalogEntry,
    Changed,
    NextAction,
    PortalError,
    Severity,
    lookup,
)
from tests.unit.botocore_model import model_error_codes

#: Cognito's common errors (any operation), beyond those the service model lists per operation.
COMMON_ERROR_CODES = (
    "TooManyRequestsException",
    "ThrottlingException",
    "LimitExceededException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalErrorException",
)
TRANSPORT_CODES = (
    "transport:connection",
    "transport:connect_timeout",
    "transport:read_timeout",
    "transport:dns",
    "transport:tls",
)
PORTAL_CODES = (
    "portal:session_expired",
    "portal:signin_failed",
    "portal:reauth_failed",
    "portal:unknown",
)
CAMEL_CASE = re.compile(r"\b[A-Z][a-z]+[A-Z][A-Za-z]*\b")


def test_the_model_lists_errors_for_every_operation():
    codes = model_error_codes()
    assert set(codes) == set(OPERATIONS)
    assert all(codes.values()), "an operation without modelled errors: is the model loaded?"
    assert "NotAuthorizedException" in codes["SetUserSettings"]


def test_every_modelled_error_has_an_entry():
    missing = {
        f"{operation}: {code}"
        for operation, codes in model_error_codes().items()
        for code in codes
        if code not in CATALOG
    }
    assert not missing, f"unmapped Cognito errors: {sorted(missing)}"


@pytest.mark.parametrize("code", [*COMMON_ERROR_CODES, *TRANSPORT_CODES, *PORTAL_CODES])
def test_common_transport_and_portal_codes_have_entries(code):
    assert code in CATALOG


def catalog_variants() -> list[tuple[str, str, str]]:
    """``(key, code, variant)`` for every ``Code:variant`` key (``transport:`` codes included)."""
    variants = []
    for key in CATALOG:
        if key.startswith("portal:"):
            continue
        prefix = "transport:" if key.startswith("transport:") else ""
        code, _, variant = key.removeprefix(prefix).partition(":")
        if variant:
            variants.append((key, prefix + code, variant))
    return variants


@pytest.mark.parametrize(("key", "code", "variant"), catalog_variants())
def test_every_variant_refines_a_code_with_its_own_entry(key, code, variant):
    assert code in CATALOG
    assert lookup(code, variant) is CATALOG[key]


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_message_is_written_for_people(key):
    message = CATALOG[key].message
    assert "Exception" not in message
    assert not CAMEL_CASE.search(message), CAMEL_CASE.search(message)
    assert "_" not in message
    assert message[-1] in ".!?", message
    assert message[0].isupper()
    for other_name in ("two-step", "multi-factor", "2fa"):
        assert other_name not in message.lower(), "the portal calls it SMS MFA everywhere"


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_message_says_whether_anything_changed(key):
    entry = CATALOG[key]
    message = entry.message
    if entry.changed is Changed.NO:
        assert "Nothing was changed" in message
    elif entry.changed is Changed.UNKNOWN:
        assert "could not confirm" in message
        assert "Nothing was changed" not in message
    else:
        assert "was saved" in message
        assert "Nothing was changed" not in message


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_every_entry_has_a_summary_and_advice(key):
    entry = CATALOG[key]
    assert entry.summary.strip()
    assert entry.advice.strip()
    assert isinstance(entry.next_action, NextAction)


def test_unknown_code_gets_the_generic_entry():
    entry = lookup("SomethingNewException")
    assert entry is CATALOG["portal:unknown"]
    assert "Something went wrong" in entry.message


def test_variant_refines_the_code():
    assert (
        lookup("InvalidParameterException", "enable_sms_mfa")
        is CATALOG["InvalidParameterException:enable_sms_mfa"]
    )
    assert lookup("transport:read_timeout", "write").changed is Changed.UNKNOWN
    assert lookup("transport:read_timeout").changed is Changed.NO


def test_unknown_variant_falls_back_to_the_code():
    assert lookup("NotAuthorizedException", "expired") is CATALOG["NotAuthorizedException"]
    assert lookup("InternalErrorException", "enable_sms_mfa") is CATALOG["InternalErrorException"]


ENDS_SESSION = (
    "NotAuthorizedException",
    "PasswordResetRequiredException",
    "UserNotConfirmedException",
)


@pytest.mark.parametrize("code", ENDS_SESSION)
def test_account_problems_end_the_session(code):
    assert lookup(code).ends_session


@pytest.mark.parametrize(
    "code",
    [
        "InternalErrorException",
        "TooManyRequestsException",
        "transport:read_timeout",
        "InvalidParameterException",
        "portal:unknown",
    ],
)
def test_passing_problems_keep_the_session(code):
    assert not lookup(code).ends_session


def test_missing_scope_is_an_operator_problem_not_a_sign_out():
    entry = lookup("NotAuthorizedException", "missing_scope")
    assert not entry.ends_session
    assert entry.next_action is NextAction.CONTACT_SUPPORT
    assert "aws.cognito.signin.user.admin" in entry.operator_hint


def test_reset_password_and_confirm_account_have_their_own_actions():
    assert lookup("PasswordResetRequiredException").next_action is NextAction.RESET_PASSWORD
    assert lookup("UserNotConfirmedException").next_action is NextAction.CONFIRM_ACCOUNT


def test_portal_error_carries_the_entry():
    error = PortalError(
        "InvalidParameterException", operation="SetUserSettings", variant="enable_sms_mfa"
    )
    assert error.entry is CATALOG["InvalidParameterException:enable_sms_mfa"]
    assert error.known
    assert str(error) == "SetUserSettings: InvalidParameterException"


def test_portal_error_for_an_unknown_code_is_not_known():
    error = PortalError("BrandNewException")
    assert not error.known
    assert error.entry is CATALOG["portal:unknown"]
    assert PortalError("portal:unknown").known


# --- the four kinds of entry, whole ------------------------------------------------------


def test_a_passing_failure_asks_to_try_again_later_and_changed_nothing():
    entry = CATALOG["TooManyRequestsException"]
    assert entry == CatalogEntry(
        "The sign-in service is busy.",
        "Please try again in a few minutes.",
        NextAction.RETRY_LATER,
        Severity.WARNING,
        Changed.NO,
        ends_session=False,
        operator_hint="Cognito throttled",
    )
    assert entry.message == (
        "The sign-in service is busy. Nothing was changed. Please try again in a few minutes."
    )


def test_a_change_that_timed_out_says_it_may_have_been_saved():
    entry = CATALOG["transport:read_timeout:write"]
    assert (entry.changed, entry.next_action, entry.severity) == (
        Changed.UNKNOWN,
        NextAction.RETRY_LATER,
        Severity.WARNING,
    )
    assert entry.message == (
        "The sign-in service didn't answer in time. We could not confirm whether the change was "
        "saved: check the status below. Please try again in a few minutes."
    )


def test_a_problem_on_our_side_asks_to_contact_support():
    assert CATALOG["transport:tls"] == CatalogEntry(
        "We can't reach the sign-in service right now.",
        "This is a problem on our side; please contact support if it persists.",
        NextAction.CONTACT_SUPPORT,
        Severity.ERROR,
        Changed.NO,
        ends_session=False,
        operator_hint="TLS handshake with the Cognito endpoint failed",
    )


def test_an_account_that_is_gone_ends_the_session_and_asks_to_sign_in_again():
    entry = CATALOG["UserNotFoundException"]
    assert entry == CatalogEntry(
        "We couldn't find your account. It may have been deleted or disabled.",
        "Please sign in again.",
        NextAction.SIGN_IN_AGAIN,
        Severity.WARNING,
        Changed.NO,
        ends_session=True,
        operator_hint="the user behind the access token no longer exists",
    )
    assert entry.message == (
        "We couldn't find your account. It may have been deleted or disabled. "
        "Nothing was changed. Please sign in again."
    )


def test_a_wrong_code_says_what_to_do_and_keeps_the_session():
    assert CATALOG["CodeMismatchException"] == CatalogEntry(
        "That code isn't right.",
        "Check the code in the text message and try again.",
        NextAction.CHECK_INPUT,
        Severity.WARNING,
        Changed.NO,
        ends_session=False,
        operator_hint="",
    )


def test_a_portal_error_keeps_what_the_log_needs():
    error = PortalError(
        "CodeMismatchException",
        operation="VerifyUserAttribute",
        variant="verify_totp",
        request_id="req-1",
        detail="wrong code",
    )
    assert (error.code, error.operation, error.variant, error.request_id, error.detail) == (
        "CodeMismatchException",
        "VerifyUserAttribute",
        "verify_totp",
        "req-1",
        "wrong code",
    )
    assert error.entry is CATALOG["CodeMismatchException:verify_totp"]
    assert str(error) == "VerifyUserAttribute: CodeMismatchException"
    plain = PortalError("ExpiredCodeException")
    assert (plain.operation, plain.variant, plain.request_id, plain.detail) == ("", None, None, "")
    assert str(plain) == "ExpiredCodeException"
    assert plain.entry is CATALOG["ExpiredCodeException"]
