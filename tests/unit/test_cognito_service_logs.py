"""What the service layer tells operators, whole: each log line's level, message and fields, and
the error a view gets (its operation, request id, variant)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from app.cognito import CognitoService, _is_dns_failure
from app.errors import PortalError, lookup
from app.pacing import LocalSchedule, Pacer, Rate
from tests.support.unit import ACCESS_TOKEN, ManualClock

ENDPOINT = "http://cognito.test"
LOG_FIELDS = (
    "event",
    "operation",
    "error_code",
    "cognito_message",
    "cognito_request_id",
    "known_error",
    "operator_hint",
    "error",
)


@pytest.fixture
def service(app) -> CognitoService:
    return app.extensions["mfa_portal.cognito"]


def logged(caplog: pytest.LogCaptureFixture, event: str) -> tuple[int, str, dict[str, Any]]:
    [record] = [r for r in caplog.records if getattr(r, "event", None) == event]
    fields = {name: getattr(record, name) for name in LOG_FIELDS if hasattr(record, name)}
    return record.levelno, record.getMessage(), fields


def test_a_known_cognito_error_is_a_warning_with_everything_an_operator_needs(
    service, stubber, caplog
):
    stubber.add_client_error(
        "set_user_settings",
        "CodeDeliveryFailureException",
        "SMS could not be sent",
        response_meta={"RequestId": "req-42"},
    )
    with pytest.raises(PortalError):
        service.set_sms_mfa(ACCESS_TOKEN, True)
    assert logged(caplog, "cognito_error") == (
        logging.WARNING,
        "cognito call failed",
        {
            "event": "cognito_error",
            "operation": "SetUserSettings",
            "error_code": "CodeDeliveryFailureException",
            "cognito_message": "SMS could not be sent",
            "cognito_request_id": "req-42",
            "known_error": True,
            "operator_hint": lookup("CodeDeliveryFailureException").operator_hint,
        },
    )


def test_an_unknown_cognito_error_is_an_error_line(service, stubber, caplog):
    stubber.add_client_error("get_user", "BrandNewException", "new", response_meta={})
    with pytest.raises(PortalError):
        service.get_mfa_status(ACCESS_TOKEN)
    level, message, fields = logged(caplog, "cognito_error")
    assert (level, message) == (logging.ERROR, "cognito call failed")
    assert fields["known_error"] is False
    assert fields["operator_hint"] == lookup("portal:unknown").operator_hint


def test_parameters_botocore_refuses_are_never_sent_and_logged_as_an_error(service, caplog):
    with pytest.raises(PortalError) as raised:
        service._call("GetUser", AccessToken=12345)
    assert (raised.value.code, raised.value.operation) == ("InvalidParameterException", "GetUser")
    assert logged(caplog, "cognito_invalid_parameters") == (
        logging.ERROR,
        "cognito call not sent: botocore refused the parameters",
        {"event": "cognito_invalid_parameters", "operation": "GetUser"},
    )


def test_an_unreachable_cognito_is_a_warning_naming_the_failure(service, caplog):
    def refuse(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url=ENDPOINT)

    service.client.meta.events.register("before-send.cognito-idp.*", refuse)
    with pytest.raises(PortalError):
        service.set_sms_mfa(ACCESS_TOKEN, True)
    assert logged(caplog, "cognito_transport_error") == (
        logging.WARNING,
        "cognito unreachable",
        {
            "event": "cognito_transport_error",
            "operation": "SetUserSettings",
            "error_code": "transport:connection",
            "error": "EndpointConnectionError",
        },
    )


def test_a_read_timeout_on_a_read_is_plain_and_on_a_write_is_unknown(service):
    def slow(request: Any, **_: Any) -> None:
        raise ReadTimeoutError(endpoint_url=request.url)

    service.client.meta.events.register("before-send.cognito-idp.*", slow)
    with pytest.raises(PortalError) as read:
        service.get_mfa_status(ACCESS_TOKEN)
    with pytest.raises(PortalError) as write:
        service.set_sms_mfa(ACCESS_TOKEN, True)
    assert (read.value.code, read.value.variant) == ("transport:read_timeout", None)
    assert (write.value.code, write.value.variant) == ("transport:read_timeout", "write")


@pytest.mark.parametrize(
    ("error", "dns"),
    [
        ("[Errno -2] Name or service not known", True),
        ("[Errno 8] nodename nor servname provided, or not known", True),
        ("[Errno -3] Temporary failure in name resolution", True),
        ("[Errno 111] Connection refused", False),
    ],
)
def test_which_connection_failures_are_the_name_not_resolving(error, dns):
    assert _is_dns_failure(EndpointConnectionError(endpoint_url=ENDPOINT, error=error)) is dns


def test_a_code_the_app_refused_names_its_operation_and_request(service, stubber):
    stubber.add_response(
        "verify_software_token", {"Status": "ERROR", "ResponseMetadata": {"RequestId": "req-7"}}
    )
    with pytest.raises(PortalError) as raised:
        service.verify_software_token(ACCESS_TOKEN, "123456", "Work phone")
    assert (raised.value.operation, raised.value.request_id) == ("VerifySoftwareToken", "req-7")


def test_a_busy_change_and_a_busy_read_say_different_things(tmp_path, app):
    service = app.extensions["mfa_portal.cognito"]
    service._pacer = Pacer(
        {"UserRead": Rate(1), "UserUpdate": Rate(1)}, 0.0, LocalSchedule(ManualClock())
    )
    service._client = None  # rebuilt with the pacer installed

    def reached_cognito(**_: Any) -> None:
        raise AssertionError("sent")

    service.client.meta.events.register("before-send.cognito-idp.*", reached_cognito)
    outcomes = []
    for call in (
        lambda: service.set_sms_mfa(ACCESS_TOKEN, True),
        lambda: service.get_mfa_status(ACCESS_TOKEN),
    ):
        for _ in range(2):  # the first takes the one place (and is "sent"), the second is busy
            try:
                call()
            except (PortalError, AssertionError) as error:
                outcomes.append(getattr(error, "variant", "sent"))
    assert outcomes == ["sent", None, "sent", "read"]


def test_the_client_keeps_the_settings_timeouts_retries_and_pool(tmp_path):
    from app.config import load_settings
    from tests.support.unit import portal_env

    settings = load_settings(
        portal_env(
            tmp_path,
            COGNITO_CONNECT_TIMEOUT="1.5",
            COGNITO_READ_TIMEOUT="4.5",
            COGNITO_MAX_ATTEMPTS="4",
        )
    )
    config = CognitoService(settings).client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (1.5, 4.5)
    assert config.retries == {"mode": "standard", "total_max_attempts": 4}
    assert config.max_pool_connections == 50
    assert config.region_name == settings.region


def test_an_attribute_without_a_value_counts_as_absent():
    from app.cognito import mfa_status_from_user

    status = mfa_status_from_user(
        {
            "UserAttributes": [
                {"Name": "phone_number"},
                {"Name": "email"},
                {"Name": "phone_number_verified"},
            ]
        }
    )
    assert (status.phone_number, status.email, status.phone_verified) == (None, None, False)
    assert status.username == ""


def test_a_refresh_token_revoked_quietly_says_whether_it_was(service, stubber, caplog):
    """For sessions that ended without their person (the disk sweeper): a failure is a warning
    line, never an exception."""
    from tests.unit.test_cognito_service import CLIENT_ID

    stubber.add_response("revoke_token", {}, {"Token": "refresh-1", "ClientId": CLIENT_ID})
    assert service.revoke_refresh_token_quietly("refresh-1") is True
    stubber.add_client_error("revoke_token", "UnsupportedTokenTypeException", "no")
    assert service.revoke_refresh_token_quietly("refresh-2") is False
    [record] = [r for r in caplog.records if getattr(r, "event", None) == "token_revoke"]
    assert (record.levelno, record.getMessage()) == (logging.WARNING, "refresh token not revoked")
    assert (record.outcome, record.error_code) == ("failed", "UnsupportedTokenTypeException")
