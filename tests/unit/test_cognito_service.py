from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
    SSLError,
)

from app.cognito import SMS_MFA_OPTION, CodeDelivery, CognitoService, FactorSetting
from app.errors import CATALOG, Changed, PortalError, lookup
from tests.support.unit import ACCESS_TOKEN, get_user_response, portal_env
from tests.unit.botocore_model import operation_errors

ENDPOINT = "http://cognito.test"
CLIENT_ID = "unitclient0000000000000001"
SECRET = "unit-test-client-secret-0123456789abcdefghijklmn"


@pytest.fixture
def service(app) -> CognitoService:
    return app.extensions["mfa_portal.cognito"]


# --- reading the status ------------------------------------------------------------------


def status_for(service, stubber, response):
    stubber.add_response("get_user", response, {"AccessToken": ACCESS_TOKEN})
    return service.get_mfa_status(ACCESS_TOKEN)


def test_status_with_nothing_on(service, stubber):
    status = status_for(service, stubber, get_user_response())
    assert status.username == "alice"
    assert status.email == "alice@example.com"
    assert status.phone_number == "+12025550100"
    assert status.phone_verified
    assert not status.sms_mfa_enabled
    assert not status.totp_enabled
    assert status.preferred_mfa is None
    assert status.can_enable_sms_mfa


def test_legacy_mfa_options_alone_mean_on(service, stubber):
    status = status_for(service, stubber, get_user_response(legacy_sms=True))
    assert status.sms_mfa_enabled


def test_current_mfa_setting_list_alone_means_on(service, stubber):
    response = get_user_response(mfa_settings=["SMS_MFA"], preferred="SMS_MFA")
    status = status_for(service, stubber, response)
    assert status.sms_mfa_enabled
    assert status.preferred_mfa == "SMS_MFA"


def test_totp_is_reported_and_is_not_sms(service, stubber):
    response = get_user_response(mfa_settings=["SOFTWARE_TOKEN_MFA"])
    status = status_for(service, stubber, response)
    assert status.totp_enabled
    assert not status.sms_mfa_enabled


def test_no_phone_number(service, stubber):
    status = status_for(service, stubber, get_user_response(phone=None))
    assert status.phone_number is None
    assert not status.phone_verified
    assert not status.can_enable_sms_mfa


def test_unverified_phone_number_cannot_enable(service, stubber):
    status = status_for(service, stubber, get_user_response(verified=False))
    assert status.phone_number == "+12025550100"
    assert not status.phone_verified
    assert not status.can_enable_sms_mfa


# --- changes -----------------------------------------------------------------------------


@pytest.mark.parametrize(("enabled", "options"), [(True, [SMS_MFA_OPTION]), (False, [])])
def test_set_sms_mfa_sends_the_exact_mfa_options(service, stubber, enabled, options):
    stubber.add_response(
        "set_user_settings",
        {"ResponseMetadata": {"RequestId": "req-set"}},
        {"AccessToken": ACCESS_TOKEN, "MFAOptions": options},
    )
    assert service.set_sms_mfa(ACCESS_TOKEN, enabled) == "req-set"


def test_sms_mfa_option_is_what_cognito_expects():
    assert SMS_MFA_OPTION == {"DeliveryMedium": "SMS", "AttributeName": "phone_number"}


def test_update_phone_number(service, stubber):
    stubber.add_response(
        "update_user_attributes",
        {
            "CodeDeliveryDetailsList": [
                {
                    "Destination": "+*******0199",
                    "DeliveryMedium": "SMS",
                    "AttributeName": "phone_number",
                }
            ]
        },
        {
            "AccessToken": ACCESS_TOKEN,
            "UserAttributes": [{"Name": "phone_number", "Value": "+12025550199"}],
        },
    )
    delivery = service.update_phone_number(ACCESS_TOKEN, "+12025550199")
    assert delivery == CodeDelivery("+*******0199", "SMS")


def test_update_phone_number_without_a_code_sent(service, stubber):
    stubber.add_response("update_user_attributes", {})
    assert service.update_phone_number(ACCESS_TOKEN, "+12025550199") is None


def test_send_phone_code(service, stubber):
    stubber.add_response(
        "get_user_attribute_verification_code",
        {"CodeDeliveryDetails": {"Destination": "+*******0100", "DeliveryMedium": "SMS"}},
        {"AccessToken": ACCESS_TOKEN, "AttributeName": "phone_number"},
    )
    assert service.send_phone_code(ACCESS_TOKEN) == CodeDelivery("+*******0100", "SMS")


def test_verify_phone(service, stubber):
    stubber.add_response(
        "verify_user_attribute",
        {"ResponseMetadata": {"RequestId": "req-verify"}},
        {"AccessToken": ACCESS_TOKEN, "AttributeName": "phone_number", "Code": "123456"},
    )
    assert service.verify_phone(ACCESS_TOKEN, "123456") == "req-verify"


def test_global_sign_out(service, stubber):
    stubber.add_response("global_sign_out", {}, {"AccessToken": ACCESS_TOKEN})
    assert service.global_sign_out(ACCESS_TOKEN) is None


def test_revoke_refresh_token_for_a_public_client(service, stubber):
    stubber.add_response("revoke_token", {}, {"Token": "refresh-token", "ClientId": CLIENT_ID})
    service.revoke_refresh_token("refresh-token")


def test_revoke_refresh_token_with_a_client_secret(tmp_path):
    from botocore.stub import Stubber

    from app.config import load_settings

    service = CognitoService(load_settings(portal_env(tmp_path, COGNITO_CLIENT_SECRET=SECRET)))
    with Stubber(service.client) as stub:
        stub.add_response(
            "revoke_token",
            {},
            {"Token": "refresh-token", "ClientId": CLIENT_ID, "ClientSecret": SECRET},
        )
        service.revoke_refresh_token("refresh-token")
        stub.assert_no_pending_responses()


def test_one_client_per_process_is_reused(service):
    assert service.client is service.client


# --- every modelled error ----------------------------------------------------------------

#: operation -> (boto3 method name, call through the service, the variant the service passes)
CALLS: dict[str, tuple[str, Callable[[CognitoService], Any], str | None]] = {
    "GetUser": ("get_user", lambda s: s.get_mfa_status(ACCESS_TOKEN), None),
    "SetUserSettings": (
        "set_user_settings",
        lambda s: s.set_sms_mfa(ACCESS_TOKEN, True),
        "enable_sms_mfa",
    ),
    "UpdateUserAttributes": (
        "update_user_attributes",
        lambda s: s.update_phone_number(ACCESS_TOKEN, "+12025550199"),
        "update_phone",
    ),
    "GetUserAttributeVerificationCode": (
        "get_user_attribute_verification_code",
        lambda s: s.send_phone_code(ACCESS_TOKEN),
        None,
    ),
    "VerifyUserAttribute": (
        "verify_user_attribute",
        lambda s: s.verify_phone(ACCESS_TOKEN, "123456"),
        None,
    ),
    "GlobalSignOut": ("global_sign_out", lambda s: s.global_sign_out(ACCESS_TOKEN), None),
    "RevokeToken": ("revoke_token", lambda s: s.revoke_refresh_token("refresh-token"), None),
    "AssociateSoftwareToken": (
        "associate_software_token",
        lambda s: s.associate_software_token(ACCESS_TOKEN),
        None,
    ),
    "VerifySoftwareToken": (
        "verify_software_token",
        lambda s: s.verify_software_token(ACCESS_TOKEN, "123456", "Authenticator app"),
        "verify_totp",
    ),
    "SetUserMFAPreference": (
        "set_user_mfa_preference",
        lambda s: s.set_mfa_preference(ACCESS_TOKEN, totp=FactorSetting(enabled=False)),
        "mfa_preference",
    ),
}


def test_every_operation_has_a_call():
    assert set(CALLS) == {operation for operation, _ in operation_errors()}


@pytest.mark.parametrize(("operation", "code"), operation_errors())
def test_every_modelled_error_becomes_a_portal_error(service, stubber, caplog, operation, code):
    method, call, variant = CALLS[operation]
    stubber.add_client_error(
        method,
        service_error_code=code,
        service_message="Cognito said no",
        http_status_code=400,
        response_meta={"RequestId": "req-0123"},
    )
    caplog.set_level(logging.INFO)
    with pytest.raises(PortalError) as raised:
        call(service)
    error = raised.value
    assert error.code == code
    assert error.operation == operation
    assert error.known
    assert error.entry is lookup(code, variant)
    assert error.entry is not CATALOG["portal:unknown"]
    assert error.request_id == "req-0123"
    assert error.detail == "Cognito said no"

    [record] = [r for r in caplog.records if getattr(r, "event", None) == "cognito_error"]
    assert record.operation == operation
    assert record.error_code == code
    assert record.cognito_request_id == "req-0123"
    assert ACCESS_TOKEN not in repr(vars(record))
    assert ACCESS_TOKEN not in str(error)


def test_unknown_error_code_gets_the_generic_entry_and_an_error_log(service, stubber, caplog):
    stubber.add_client_error(
        "get_user", service_error_code="BrandNewException", response_meta={"RequestId": "req-9"}
    )
    with pytest.raises(PortalError) as raised:
        service.get_mfa_status(ACCESS_TOKEN)
    assert raised.value.entry is CATALOG["portal:unknown"]
    assert not raised.value.known
    [record] = [r for r in caplog.records if getattr(r, "event", None) == "cognito_error"]
    assert record.levelno == logging.ERROR
    assert record.cognito_request_id == "req-9"


@pytest.mark.parametrize(
    ("message", "variant"),
    [
        ("Access Token has expired", "expired"),
        ("Access Token has been revoked", "revoked"),
        ("Access Token does not have required scopes", "missing_scope"),
        ("Incorrect username or password.", None),
        ("", None),
    ],
)
@pytest.mark.parametrize("operation", ["GetUser", "SetUserSettings"])
def test_not_authorized_messages_map_to_variants(service, stubber, operation, message, variant):
    method, call, _ = CALLS[operation]
    stubber.add_client_error(method, "NotAuthorizedException", message)
    with pytest.raises(PortalError) as raised:
        call(service)
    assert raised.value.variant == variant
    assert raised.value.entry is lookup("NotAuthorizedException", variant)


def test_missing_scope_is_not_shown_as_a_sign_out(service, stubber):
    stubber.add_client_error(
        "get_user", "NotAuthorizedException", "Access Token does not have required scopes"
    )
    with pytest.raises(PortalError) as raised:
        service.get_mfa_status(ACCESS_TOKEN)
    assert raised.value.entry is CATALOG["NotAuthorizedException:missing_scope"]
    assert not raised.value.entry.ends_session


def test_sms_mfa_variants_for_invalid_parameter(service, stubber):
    stubber.add_client_error("set_user_settings", "InvalidParameterException")
    with pytest.raises(PortalError) as raised:
        service.set_sms_mfa(ACCESS_TOKEN, False)
    assert raised.value.entry is CATALOG["InvalidParameterException:disable_sms_mfa"]


# --- transport failures ------------------------------------------------------------------


def fail_with(service: CognitoService, exc: Exception) -> None:
    def raise_it(**_kwargs: Any) -> None:
        raise exc

    service.client.meta.events.register("before-send.cognito-idp.*", raise_it)


TRANSPORT_FAILURES = [
    (EndpointConnectionError(endpoint_url=ENDPOINT), "transport:connection"),
    (
        EndpointConnectionError(
            endpoint_url=ENDPOINT, error="[Errno -2] Name or service not known"
        ),
        "transport:dns",
    ),
    (ConnectTimeoutError(endpoint_url=ENDPOINT), "transport:connect_timeout"),
    (ReadTimeoutError(endpoint_url=ENDPOINT), "transport:read_timeout"),
    (SSLError(endpoint_url=ENDPOINT, error="certificate verify failed"), "transport:tls"),
]


@pytest.mark.parametrize(("exc", "code"), TRANSPORT_FAILURES)
@pytest.mark.parametrize("operation", list(CALLS))
def test_transport_failures(service, caplog, operation, exc, code):
    fail_with(service, exc)
    with pytest.raises(PortalError) as raised:
        CALLS[operation][1](service)
    error = raised.value
    assert error.code == code
    assert error.operation == operation
    assert error.known
    [record] = [r for r in caplog.records if getattr(r, "event", None) == "cognito_transport_error"]
    assert record.operation == operation
    assert record.error_code == code
    assert ACCESS_TOKEN not in repr(vars(record))


def test_read_timeout_on_a_write_says_the_outcome_is_unknown(service):
    fail_with(service, ReadTimeoutError(endpoint_url=ENDPOINT))
    with pytest.raises(PortalError) as raised:
        service.set_sms_mfa(ACCESS_TOKEN, True)
    assert raised.value.variant == "write"
    assert raised.value.entry.changed is Changed.UNKNOWN
    assert "could not confirm" in raised.value.entry.message


def test_read_timeout_on_a_read_changed_nothing(service):
    fail_with(service, ReadTimeoutError(endpoint_url=ENDPOINT))
    with pytest.raises(PortalError) as raised:
        service.get_mfa_status(ACCESS_TOKEN)
    assert raised.value.variant is None
    assert raised.value.entry.changed is Changed.NO


def test_connection_failure_on_a_write_changed_nothing(service):
    fail_with(service, EndpointConnectionError(endpoint_url=ENDPOINT))
    with pytest.raises(PortalError) as raised:
        service.set_sms_mfa(ACCESS_TOKEN, False)
    assert raised.value.entry.changed is Changed.NO


def test_connection_closed_mid_write_is_a_transport_error_with_unknown_outcome(service):
    fail_with(service, ConnectionClosedError(endpoint_url=ENDPOINT))
    with pytest.raises(PortalError) as raised:
        service.set_sms_mfa(ACCESS_TOKEN, True)
    assert raised.value.code.startswith("transport:")
    assert raised.value.entry.changed is Changed.UNKNOWN


# --- authenticator apps ------------------------------------------------------------------


def test_associate_returns_the_secret(service, stubber):
    stubber.add_response(
        "associate_software_token",
        {"SecretCode": "JBSWY3DPEHPK3PXP"},
        {"AccessToken": ACCESS_TOKEN},
    )
    assert service.associate_software_token(ACCESS_TOKEN) == "JBSWY3DPEHPK3PXP"


def test_verify_sends_the_code_and_the_device_name(service, stubber):
    stubber.add_response(
        "verify_software_token",
        {"Status": "SUCCESS", "ResponseMetadata": {"RequestId": "req-v"}},
        {"AccessToken": ACCESS_TOKEN, "UserCode": "123456", "FriendlyDeviceName": "Work phone"},
    )
    assert service.verify_software_token(ACCESS_TOKEN, "123456", "Work phone") == "req-v"


def test_verify_without_success_is_a_mismatch(service, stubber):
    stubber.add_response("verify_software_token", {"Status": "ERROR"})
    with pytest.raises(PortalError) as raised:
        service.verify_software_token(ACCESS_TOKEN, "123456", "Work phone")
    assert raised.value.entry is CATALOG["EnableSoftwareTokenMFAException"]


@pytest.mark.parametrize(
    ("message", "key"),
    [
        ("Your software token has already been used once.", "ExpiredCodeException:totp_reused"),
        ("Code expired", "ExpiredCodeException:verify_totp"),
    ],
)
def test_a_reused_code_is_told_from_an_expired_one(service, stubber, message, key):
    stubber.add_client_error("verify_software_token", "ExpiredCodeException", message)
    with pytest.raises(PortalError) as raised:
        service.verify_software_token(ACCESS_TOKEN, "123456", "Work phone")
    assert raised.value.entry is CATALOG[key]


def test_set_mfa_preference_sends_only_the_factors_given(service, stubber):
    stubber.add_response(
        "set_user_mfa_preference",
        {},
        {
            "AccessToken": ACCESS_TOKEN,
            "SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True},
        },
    )
    service.set_mfa_preference(ACCESS_TOKEN, totp=FactorSetting(enabled=True, preferred=True))
    stubber.add_response(
        "set_user_mfa_preference",
        {},
        {
            "AccessToken": ACCESS_TOKEN,
            "SoftwareTokenMfaSettings": {"Enabled": False, "PreferredMfa": False},
            "SMSMfaSettings": {"Enabled": True, "PreferredMfa": True},
        },
    )
    service.set_mfa_preference(
        ACCESS_TOKEN, totp=FactorSetting(enabled=False), sms=FactorSetting(True, preferred=True)
    )
