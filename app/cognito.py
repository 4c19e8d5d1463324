"""The service layer: the only code that talks to boto3.

Every call is authorized by the person's own access token (botocore marks these operations
``noAuth``), so the client is built UNSIGNED: the portal never looks for AWS credentials. One client
per process, created lazily (after gunicorn forks) and reused. Results are plain dataclasses;
failures are ``PortalError`` with a catalog entry.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ParamValidationError,
    SSLError,
)
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from .config import Settings
from .errors import PortalError
from .metrics import timed_cognito_call
from .pacing import Pacer, QuotaExhaustedError

log = logging.getLogger(__name__)

SMS_MFA_OPTION = {"DeliveryMedium": "SMS", "AttributeName": "phone_number"}
SMS_MFA = "SMS_MFA"
SOFTWARE_TOKEN_MFA = "SOFTWARE_TOKEN_MFA"

#: Every Cognito operation the portal calls; the catalog must map all their errors.
OPERATIONS = (
    "GetUser",
    "SetUserSettings",
    "UpdateUserAttributes",
    "GetUserAttributeVerificationCode",
    "VerifyUserAttribute",
    "GlobalSignOut",
    "RevokeToken",
    "AssociateSoftwareToken",
    "VerifySoftwareToken",
    "SetUserMFAPreference",
)
WRITE_OPERATIONS = frozenset(OPERATIONS) - {"GetUser"}


@dataclass(frozen=True)
class MfaStatus:
    username: str
    email: str | None
    phone_number: str | None
    phone_verified: bool
    sms_mfa_enabled: bool
    totp_enabled: bool
    preferred_mfa: str | None

    @property
    def can_enable_sms_mfa(self) -> bool:
        return bool(self.phone_number) and self.phone_verified


@dataclass(frozen=True)
class FactorSetting:
    """One factor's part of ``SetUserMFAPreference``: on or off, and whether it is preferred."""

    enabled: bool
    preferred: bool = False

    def as_settings(self) -> dict[str, bool]:
        return {"Enabled": self.enabled, "PreferredMfa": self.preferred}


@dataclass(frozen=True)
class CodeDelivery:
    destination: str
    medium: str


def mfa_status_from_user(response: dict[str, Any]) -> MfaStatus:
    """Read SMS MFA from the legacy ``MFAOptions`` AND the current ``UserMFASettingList``.

    Either one saying SMS is on means it is on: Cognito keeps them separately, and the current
    fields are known to lag behind the legacy call ``SetUserSettings``.
    """
    attributes = {a["Name"]: a.get("Value", "") for a in response.get("UserAttributes", [])}
    legacy_sms = any(
        option.get("DeliveryMedium") == "SMS" for option in response.get("MFAOptions") or []
    )
    factors_on = response.get("UserMFASettingList") or []
    return MfaStatus(
        username=response.get("Username", ""),
        email=attributes.get("email") or None,
        phone_number=attributes.get("phone_number") or None,
        phone_verified=attributes.get("phone_number_verified") == "true",
        sms_mfa_enabled=legacy_sms or "SMS_MFA" in factors_on,
        totp_enabled="SOFTWARE_TOKEN_MFA" in factors_on,
        preferred_mfa=response.get("PreferredMfaSetting") or None,
    )


class CognitoService:
    """Thin, typed wrapper over the cognito-idp client for one app client."""

    def __init__(
        self,
        settings: Settings,
        pacer: Pacer | None = None,
        on_write: Callable[[str], None] | None = None,
    ) -> None:
        self._settings = settings
        self._pacer = pacer
        self._on_write = on_write
        self._client: Any = None
        self._client_pid: int | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The process's boto3 client; rebuilt if the process was forked after creating it."""
        if self._client is None or self._client_pid != os.getpid():
            with self._lock:
                if self._client is None or self._client_pid != os.getpid():
                    self._client = self._build_client()
                    self._client_pid = os.getpid()
        return self._client

    def _build_client(self) -> Any:
        portal = self._settings
        config = Config(
            signature_version=botocore.UNSIGNED,
            connect_timeout=portal.cognito_connect_timeout,
            read_timeout=portal.cognito_read_timeout,
            retries={"mode": "standard", "total_max_attempts": portal.cognito_max_attempts},
            max_pool_connections=50,
        )
        client = boto3.session.Session().client(
            "cognito-idp",
            region_name=portal.region,
            endpoint_url=portal.endpoint_url,
            config=config,
        )
        if self._pacer is not None:
            self._pacer.install(client)
        return client

    def _call(self, operation: str, variant: str | None = None, **params: Any) -> dict[str, Any]:
        if self._on_write is not None and operation in WRITE_OPERATIONS:
            self._on_write(operation)
        with timed_cognito_call(operation):
            return self._send(operation, variant, **params)

    def _send(self, operation: str, variant: str | None, **params: Any) -> dict[str, Any]:
        method = getattr(self.client, botocore.xform_name(operation))
        try:
            response: dict[str, Any] = method(**params)
        except ClientError as exc:
            raise _client_error(operation, exc, variant) from None
        except (BotocoreConnectionError, HTTPClientError) as exc:
            raise _transport_error(operation, exc) from None
        except QuotaExhaustedError as busy:
            raise PortalError(
                "portal:busy",
                operation=operation,
                variant=None if operation in WRITE_OPERATIONS else "read",
                retry_after=busy.retry_after,
            ) from None
        except ParamValidationError:
            log.error(
                "cognito call not sent: botocore refused the parameters",
                extra={"event": "cognito_invalid_parameters", "operation": operation},
            )
            raise PortalError("InvalidParameterException", operation=operation) from None
        return response

    def get_mfa_status(self, access_token: str) -> MfaStatus:
        return mfa_status_from_user(self._call("GetUser", AccessToken=access_token))

    def set_sms_mfa(self, access_token: str, enabled: bool) -> str | None:
        """Turn SMS MFA on or off; returns Cognito's request id for the audit log."""
        response = self._call(
            "SetUserSettings",
            variant="enable_sms_mfa" if enabled else "disable_sms_mfa",
            AccessToken=access_token,
            MFAOptions=[SMS_MFA_OPTION] if enabled else [],
        )
        return _request_id(response)

    def update_phone_number(self, access_token: str, phone_number: str) -> CodeDelivery | None:
        response = self._call(
            "UpdateUserAttributes",
            variant="update_phone",
            AccessToken=access_token,
            UserAttributes=[{"Name": "phone_number", "Value": phone_number}],
        )
        return _first_delivery(response.get("CodeDeliveryDetailsList") or [])

    def send_phone_code(self, access_token: str) -> CodeDelivery | None:
        response = self._call(
            "GetUserAttributeVerificationCode",
            AccessToken=access_token,
            AttributeName="phone_number",
        )
        details = response.get("CodeDeliveryDetails")
        return _first_delivery([details] if details else [])

    def verify_phone(self, access_token: str, code: str) -> str | None:
        response = self._call(
            "VerifyUserAttribute",
            AccessToken=access_token,
            AttributeName="phone_number",
            Code=code,
        )
        return _request_id(response)

    def associate_software_token(self, access_token: str) -> str:
        """A new authenticator secret (base32) for the person; it replaces any earlier one that
        was never verified."""
        response = self._call("AssociateSoftwareToken", AccessToken=access_token)
        return str(response["SecretCode"])

    def verify_software_token(self, access_token: str, code: str, device_name: str) -> str | None:
        """Check a code from the app being set up; returns Cognito's request id."""
        response = self._call(
            "VerifySoftwareToken",
            variant="verify_totp",
            AccessToken=access_token,
            UserCode=code,
            FriendlyDeviceName=device_name,
        )
        if response.get("Status") != "SUCCESS":
            raise PortalError(
                "EnableSoftwareTokenMFAException",
                operation="VerifySoftwareToken",
                request_id=_request_id(response),
            )
        return _request_id(response)

    def set_mfa_preference(
        self, access_token: str, *, totp: FactorSetting | None, sms: FactorSetting | None = None
    ) -> str | None:
        """``SetUserMFAPreference`` for the factors given (others are left as they are)."""
        params: dict[str, Any] = {"AccessToken": access_token}
        if totp is not None:
            params["SoftwareTokenMfaSettings"] = totp.as_settings()
        if sms is not None:
            params["SMSMfaSettings"] = sms.as_settings()
        response = self._call("SetUserMFAPreference", variant="mfa_preference", **params)
        return _request_id(response)

    def global_sign_out(self, access_token: str) -> None:
        self._call("GlobalSignOut", AccessToken=access_token)

    def revoke_refresh_token(self, refresh_token: str) -> None:
        params: dict[str, Any] = {"Token": refresh_token, "ClientId": self._settings.client_id}
        if self._settings.client_secret:
            params["ClientSecret"] = self._settings.client_secret
        self._call("RevokeToken", **params)

    def revoke_refresh_token_quietly(self, refresh_token: str) -> bool:
        """Best effort, for sessions that ended without their person (expiry): a failure is
        logged, and the token still expires at Cognito by the app client's validity."""
        try:
            self.revoke_refresh_token(refresh_token)
        except PortalError as error:
            log.warning(
                "refresh token not revoked",
                extra={"event": "token_revoke", "outcome": "failed", "error_code": error.code},
            )
            return False
        return True


def _request_id(response: dict[str, Any]) -> str | None:
    return response.get("ResponseMetadata", {}).get("RequestId")


def _first_delivery(details: list[dict[str, Any]]) -> CodeDelivery | None:
    for item in details:
        return CodeDelivery(item.get("Destination", ""), item.get("DeliveryMedium", ""))
    return None


def _not_authorized_variant(message: str) -> str | None:
    lowered = message.lower()
    if "required scopes" in lowered:
        return "missing_scope"
    if "expired" in lowered:
        return "expired"
    if "revoked" in lowered:
        return "revoked"
    return None


def _client_error(operation: str, exc: ClientError, variant: str | None) -> PortalError:
    error = exc.response.get("Error", {})
    code = error.get("Code") or "Unknown"
    message = error.get("Message") or ""
    request_id = _request_id(exc.response)
    if code == "NotAuthorizedException":
        variant = _not_authorized_variant(message)
    elif code == "ExpiredCodeException" and variant == "verify_totp" and "used" in message:
        variant = "totp_reused"
    portal_error = PortalError(
        code, operation=operation, variant=variant, request_id=request_id, detail=message
    )
    level = logging.WARNING if portal_error.known else logging.ERROR
    log.log(
        level,
        "cognito call failed",
        extra={
            "event": "cognito_error",
            "operation": operation,
            "error_code": code,
            "cognito_message": message,
            "cognito_request_id": request_id,
            "known_error": portal_error.known,
            "operator_hint": portal_error.entry.operator_hint,
        },
    )
    return portal_error


def _transport_error(operation: str, exc: Exception) -> PortalError:
    if isinstance(exc, SSLError):
        code = "transport:tls"
    elif isinstance(exc, ConnectTimeoutError):
        code = "transport:connect_timeout"
    elif isinstance(exc, EndpointConnectionError) and _is_dns_failure(exc):
        code = "transport:dns"
    elif isinstance(exc, BotocoreConnectionError):
        code = "transport:connection"
    else:
        code = "transport:read_timeout"
    variant = (
        "write" if code == "transport:read_timeout" and operation in WRITE_OPERATIONS else None
    )
    log.warning(
        "cognito unreachable",
        extra={
            "event": "cognito_transport_error",
            "operation": operation,
            "error_code": code,
            "error": type(exc).__name__,
        },
    )
    return PortalError(code, operation=operation, variant=variant)


def _is_dns_failure(exc: EndpointConnectionError) -> bool:
    text = str(getattr(exc, "kwargs", {}).get("error", exc)).lower()
    return (
        "name or service not known" in text
        or "nodename nor servname" in text
        or ("temporary failure in name resolution" in text)
    )
