"""The error catalog: every failure the portal can meet, as a person should read it.

Each entry says what happened, whether the person's settings changed and what to do next. Keys are
Cognito error codes (as botocore's service model names them), a few portal conditions, and transport
failures. ``variant`` keys (``Code:variant``) refine a code where the same code means different
things in different situations (e.g. ``InvalidParameterException`` when turning SMS MFA on for
a user without a phone number). A test reads botocore's model and fails when a code has no entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Changed(StrEnum):
    NO = "no"
    YES = "yes"
    UNKNOWN = "unknown"


class NextAction(StrEnum):
    NONE = "none"
    SIGN_IN_AGAIN = "sign_in_again"
    RESET_PASSWORD = "reset_password"
    CONFIRM_ACCOUNT = "confirm_account"
    ADD_PHONE = "add_phone"
    VERIFY_PHONE = "verify_phone"
    CHECK_INPUT = "check_input"
    REQUEST_NEW_CODE = "request_new_code"
    WAIT_FOR_NEXT_CODE = "wait_for_next_code"
    START_SETUP_AGAIN = "start_setup_again"
    RETRY_LATER = "retry_later"
    CONTACT_SUPPORT = "contact_support"


CHANGED_TEXT = {
    Changed.NO: "Nothing was changed.",
    Changed.YES: "",
    Changed.UNKNOWN: "We could not confirm whether the change was saved: check the status below.",
}


@dataclass(frozen=True)
class CatalogEntry:
    """One mapped failure. ``summary`` says what happened, ``advice`` what to do next."""

    summary: str
    advice: str
    next_action: NextAction
    severity: Severity = Severity.ERROR
    changed: Changed = Changed.NO
    ends_session: bool = False
    operator_hint: str = ""

    @property
    def message(self) -> str:
        return " ".join(
            part for part in (self.summary, CHANGED_TEXT[self.changed], self.advice) if part
        )


#: The advice of every entry the person can simply retry, and of the plain "Too many attempts" page.
TRY_LATER = "Please try again in a few minutes."


def _retry(summary: str, hint: str = "", changed: Changed = Changed.NO) -> CatalogEntry:
    return CatalogEntry(
        summary,
        TRY_LATER,
        NextAction.RETRY_LATER,
        Severity.WARNING,
        changed,
        operator_hint=hint,
    )


def _support(summary: str, hint: str) -> CatalogEntry:
    return CatalogEntry(
        summary,
        "This is a problem on our side; please contact support if it persists.",
        NextAction.CONTACT_SUPPORT,
        operator_hint=hint,
    )


def _sign_in_again(summary: str, hint: str = "") -> CatalogEntry:
    return CatalogEntry(
        summary,
        "Please sign in again.",
        NextAction.SIGN_IN_AGAIN,
        Severity.WARNING,
        ends_session=True,
        operator_hint=hint,
    )


def _bad_code(summary: str, advice: str, action: NextAction) -> CatalogEntry:
    return CatalogEntry(summary, advice, action, Severity.WARNING)


UNREACHABLE = "We can't reach the sign-in service right now."

CATALOG: dict[str, CatalogEntry] = {
    # --- the person's account or session --------------------------------------------------
    "NotAuthorizedException": _sign_in_again(
        "Your session has ended or is no longer valid.",
        "access token refused by Cognito (expired, revoked or signed out everywhere)",
    ),
    "NotAuthorizedException:missing_scope": _support(
        "Your sign-in doesn't give this portal permission to change your security settings.",
        "the access token lacks the scope aws.cognito.signin.user.admin: allow it in the app "
        "client's 'Allowed OAuth scopes' and add it to the portal's requested scopes",
    ),
    "PasswordResetRequiredException": CatalogEntry(
        "Your password must be reset before you can change your settings.",
        "Reset your password, then sign in again.",
        NextAction.RESET_PASSWORD,
        Severity.WARNING,
        ends_session=True,
    ),
    "UserNotConfirmedException": CatalogEntry(
        "Your account isn't confirmed yet.",
        "Confirm your account with the code we sent when you signed up, then sign in again.",
        NextAction.CONFIRM_ACCOUNT,
        Severity.WARNING,
        ends_session=True,
    ),
    "UserNotFoundException": _sign_in_again(
        "We couldn't find your account. It may have been deleted or disabled.",
        "the user behind the access token no longer exists",
    ),
    "ForbiddenException": _support(
        "The sign-in service refused this request for security reasons.",
        "Cognito returned ForbiddenException: check the user pool's AWS WAF web ACL rules",
    ),
    "OperationNotEnabledException": _support(
        "This change isn't available for your account.",
        "the user pool does not enable this operation (e.g. SMS MFA or the feature tier)",
    ),
    # --- the request itself ---------------------------------------------------------------
    "InvalidParameterException": CatalogEntry(
        "The sign-in service couldn't accept this change.",
        "Check the details and try again; contact support if it keeps happening.",
        NextAction.CHECK_INPUT,
        Severity.WARNING,
        operator_hint="Cognito rejected a parameter; its message is in this log line",
    ),
    "InvalidParameterException:enable_sms_mfa": CatalogEntry(
        "SMS MFA needs a phone number on your account.",
        "Add and verify a phone number, then turn SMS MFA on.",
        NextAction.ADD_PHONE,
        Severity.WARNING,
    ),
    "InvalidParameterException:disable_sms_mfa": CatalogEntry(
        "Your organisation requires a second step at every sign-in, "
        "so SMS MFA can't be turned off.",
        "Your account stays protected. Contact support if you need a different method.",
        NextAction.CONTACT_SUPPORT,
        Severity.WARNING,
    ),
    "InvalidParameterException:pool_mfa_off": CatalogEntry(
        "Your organisation's sign-in doesn't use a second step, so SMS MFA isn't available.",
        "Contact support if you think it should be.",
        NextAction.CONTACT_SUPPORT,
        Severity.WARNING,
        operator_hint="COGNITO_POOL_MFA=off: the user pool's MFA is OFF",
    ),
    "InvalidParameterException:update_phone": CatalogEntry(
        "That phone number couldn't be used.",
        "Check the number, including the country, and try again.",
        NextAction.CHECK_INPUT,
        Severity.WARNING,
    ),
    "AliasExistsException": CatalogEntry(
        "That phone number is already used by another account.",
        "Use a different number, or contact support.",
        NextAction.CHECK_INPUT,
        Severity.WARNING,
    ),
    "CodeMismatchException": _bad_code(
        "That code isn't right.",
        "Check the code in the text message and try again.",
        NextAction.CHECK_INPUT,
    ),
    "ExpiredCodeException": _bad_code(
        "That code has expired.", "Send a new code and enter it.", NextAction.REQUEST_NEW_CODE
    ),
    "LimitExceededException": _bad_code(
        "Too many attempts.", "Wait a while, then send a new code.", NextAction.RETRY_LATER
    ),
    "CodeDeliveryFailureException": CatalogEntry(
        "We couldn't send a text message to that number.",
        "Check that the number can receive texts, then send a new code.",
        NextAction.REQUEST_NEW_CODE,
        Severity.WARNING,
        operator_hint="Cognito could not deliver the SMS (check SNS spend limits and sandbox)",
    ),
    "CodeDeliveryFailureException:update_phone": CatalogEntry(
        "Your new number was saved, but we couldn't text a verification code to it.",
        "Check that the number can receive texts, then send a new code.",
        NextAction.REQUEST_NEW_CODE,
        Severity.WARNING,
        Changed.YES,
        operator_hint="Cognito could not deliver the SMS (check SNS spend limits and sandbox)",
    ),
    # --- authenticator apps (AssociateSoftwareToken, VerifySoftwareToken, SetUserMFAPreference) --
    "EnableSoftwareTokenMFAException": _bad_code(
        "That code didn't match your authenticator app.",
        "Codes change every 30 seconds: enter the code the app shows now. If it still fails, "
        "check that the phone's clock is set automatically.",
        NextAction.CHECK_INPUT,
    ),
    "CodeMismatchException:verify_totp": _bad_code(
        "That code didn't match your authenticator app.",
        "Codes change every 30 seconds: enter the code the app shows now.",
        NextAction.CHECK_INPUT,
    ),
    "ExpiredCodeException:verify_totp": _bad_code(
        "That code has expired.",
        "Wait for your authenticator app to show a new code, then enter that one.",
        NextAction.WAIT_FOR_NEXT_CODE,
    ),
    "ExpiredCodeException:totp_reused": _bad_code(
        "That code has already been used once.",
        "Each code works only once: wait for your authenticator app to show a new one.",
        NextAction.WAIT_FOR_NEXT_CODE,
    ),
    "InvalidParameterException:verify_totp": _bad_code(
        "The set-up you started isn't waiting any more.",
        "Start setting up your authenticator app again, and remove the entry you added in the "
        "app for this attempt.",
        NextAction.START_SETUP_AGAIN,
    ),
    "InvalidParameterException:mfa_preference": CatalogEntry(
        "The sign-in service couldn't change your sign-in methods.",
        "Reload this page to see what is on, then try again.",
        NextAction.CHECK_INPUT,
        Severity.WARNING,
        operator_hint="SetUserMFAPreference refused the settings; Cognito's message is logged",
    ),
    "InvalidParameterException:remove_only_factor": CatalogEntry(
        "Your organisation requires a second step at every sign-in, and your authenticator app "
        "is the only one your account has, so it can't be removed.",
        "Add and verify a phone number first; then you can remove the app.",
        NextAction.ADD_PHONE,
        Severity.WARNING,
    ),
    "SoftwareTokenMFANotFoundException": _support(
        "Authenticator apps aren't available for your account.",
        "the user pool does not allow authenticator apps: turn on software token MFA "
        "(SoftwareTokenMfaConfiguration) in the pool's MFA settings",
    ),
    "InvalidUserPoolConfigurationException": _support(
        "This portal is not set up correctly.",
        "the user pool's MFA configuration does not allow this authenticator-app operation",
    ),
    "ConcurrentModificationException": _retry(
        "Your sign-in methods were being changed somewhere else at the same moment.",
        "Cognito ConcurrentModificationException (AssociateSoftwareToken)",
    ),
    "portal:totp_setup_missing": _bad_code(
        "The set-up you started isn't waiting any more: it was finished, cancelled, left for "
        "too long or ended when you signed in again.",
        "Start setting up your authenticator app again, and remove the entry you added in the "
        "app for this attempt.",
        NextAction.START_SETUP_AGAIN,
    ),
    # --- the service or its configuration -------------------------------------------------
    "ResourceNotFoundException": _support(
        "This portal is not set up correctly.",
        "the user pool or app client was not found: check COGNITO_USER_POOL_ID, "
        "COGNITO_CLIENT_ID and COGNITO_REGION",
    ),
    "InternalErrorException": _retry(
        "The sign-in service had a problem.", "Cognito InternalErrorException"
    ),
    "TooManyRequestsException": _retry("The sign-in service is busy.", "Cognito throttled"),
    "ThrottlingException": _retry("The sign-in service is busy.", "Cognito throttled"),
    "ServiceUnavailable": _retry(UNREACHABLE, "Cognito unavailable"),
    "ServiceUnavailableException": _retry(UNREACHABLE, "Cognito unavailable"),
    "RequestTimeout": _retry(UNREACHABLE, "Cognito request timeout"),
    "RequestTimeoutException": _retry(UNREACHABLE, "Cognito request timeout"),
    "UnexpectedLambdaException": _support(
        "A check your organisation runs on account changes failed.",
        "a Cognito Lambda trigger failed unexpectedly",
    ),
    "UserLambdaValidationException": CatalogEntry(
        "Your organisation's rules didn't allow this change.",
        "Contact support if you think this is wrong.",
        NextAction.CONTACT_SUPPORT,
        Severity.WARNING,
        operator_hint="a Cognito Lambda trigger rejected the request",
    ),
    "InvalidLambdaResponseException": _support(
        "A check your organisation runs on account changes failed.",
        "a Cognito Lambda trigger returned an invalid response",
    ),
    "InvalidSmsRoleAccessPolicyException": _support(
        "We can't send text messages right now.",
        "the user pool's SMS IAM role lacks sns:Publish permission",
    ),
    "InvalidSmsRoleTrustRelationshipException": _support(
        "We can't send text messages right now.",
        "the user pool's SMS IAM role trust policy does not trust cognito-idp",
    ),
    "InvalidEmailRoleAccessPolicyException": _support(
        "We can't send messages right now.",
        "the user pool's email configuration cannot send (SES identity policy)",
    ),
    "UnauthorizedException": _support(
        "This portal is not set up correctly.",
        "RevokeToken refused the app client credentials: check COGNITO_CLIENT_SECRET",
    ),
    "UnsupportedOperationException": _support(
        "This portal is not set up correctly.",
        "token revocation is not enabled for the app client",
    ),
    "UnsupportedTokenTypeException": _support(
        "This portal is not set up correctly.",
        "RevokeToken was given a token type it does not accept",
    ),
    # --- transport ------------------------------------------------------------------------
    "transport:connection": _retry(UNREACHABLE, "cannot connect to the Cognito endpoint"),
    "transport:connect_timeout": _retry(UNREACHABLE, "connect timeout to Cognito"),
    "transport:read_timeout": _retry(UNREACHABLE, "read timeout from Cognito"),
    "transport:read_timeout:write": _retry(
        "The sign-in service didn't answer in time.",
        "read timeout from Cognito during a change",
        Changed.UNKNOWN,
    ),
    "transport:dns": _retry(UNREACHABLE, "DNS lookup of the Cognito endpoint failed"),
    "transport:tls": _support(UNREACHABLE, "TLS handshake with the Cognito endpoint failed"),
    # --- the portal's own conditions -------------------------------------------------------
    "portal:session_expired": CatalogEntry(
        "Your session has ended.",
        "Please sign in again.",
        NextAction.SIGN_IN_AGAIN,
        Severity.INFO,
        ends_session=True,
    ),
    "portal:signin_failed": CatalogEntry(
        "We couldn't sign you in.",
        "Please try signing in again.",
        NextAction.SIGN_IN_AGAIN,
        Severity.WARNING,
        operator_hint="the OAuth callback failed",
    ),
    "portal:reauth_failed": CatalogEntry(
        "We couldn't confirm that it's you.",
        "Sign out, sign in again, then make the change.",
        NextAction.SIGN_IN_AGAIN,
        Severity.WARNING,
        operator_hint="the hosted UI returned no fresh sign-in (auth_time) after re-authentication",
    ),
    "portal:busy": CatalogEntry(
        "Many people are updating their security settings right now.",
        "Please try again in a few seconds.",
        NextAction.RETRY_LATER,
        Severity.WARNING,
        operator_hint="no place in the portal's schedule of Cognito calls within "
        "COGNITO_QUOTA_WAIT_SECONDS (COGNITO_RATE_* for the category); the call was not sent",
    ),
    "portal:busy:read": CatalogEntry(
        "Many people are using this service right now, so we can't show your settings yet.",
        "Please try again in a few seconds.",
        NextAction.RETRY_LATER,
        Severity.WARNING,
        operator_hint="no place in the portal's schedule of Cognito reads (UserRead) within "
        "COGNITO_QUOTA_WAIT_SECONDS (COGNITO_RATE_USER_READ); the call was not sent",
    ),
    "portal:status_reads": CatalogEntry(
        "You've loaded your settings many times in a short while.",
        "Please wait a minute, then try again.",
        NextAction.RETRY_LATER,
        Severity.WARNING,
        operator_hint="one person's page views past RATE_LIMIT_STATUS_READS that needed a "
        "GetUser (status cache misses)",
    ),
    "portal:unknown": CatalogEntry(
        "Something went wrong on our side.",
        "Please try again; contact support if it keeps happening.",
        NextAction.RETRY_LATER,
    ),
}


def lookup(code: str, variant: str | None = None) -> CatalogEntry:
    """The entry for ``code``, refined by ``variant`` where the catalog has one; else generic."""
    if variant and f"{code}:{variant}" in CATALOG:
        return CATALOG[f"{code}:{variant}"]
    return CATALOG.get(code, CATALOG["portal:unknown"])


class PortalError(Exception):
    """A failure that the views show as a catalog message; never carries a token."""

    def __init__(
        self,
        code: str,
        *,
        operation: str = "",
        variant: str | None = None,
        request_id: str | None = None,
        detail: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.code = code
        self.retry_after = retry_after
        self.operation = operation
        self.variant = variant
        self.request_id = request_id
        self.detail = detail
        self.entry = lookup(code, variant)
        super().__init__(f"{operation}: {code}" if operation else code)

    @property
    def known(self) -> bool:
        return self.entry is not CATALOG["portal:unknown"] or self.code == "portal:unknown"


def retry_after_header(error: PortalError) -> dict[str, str]:
    """``Retry-After`` for a page answered with ``error``, when it says how long to wait."""
    if error.retry_after is None:
        return {}
    return {"Retry-After": str(max(1, math.ceil(error.retry_after)))}
