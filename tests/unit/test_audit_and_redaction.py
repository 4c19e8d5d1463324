"""Every change leaves an audit event (who, what, outcome, Cognito's request id), and no log line
holds a token, a code, a secret or a full phone number, whatever field it arrives in."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from botocore.stub import Stubber
from flask.testing import FlaskClient

from app.observability import JsonFormatter, redact, redact_query
from tests.support.unit import ACCESS_TOKEN, csrf_token, get_user_response

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXdpdGgtZW5vdWdo"


def audit_events(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [
        {"event": r.event, "outcome": r.outcome, "sub": r.sub, **vars(r)}
        for r in caplog.records
        if getattr(r, "audit", False)
    ]


def verify_page_token(client: FlaskClient, stubber: Stubber) -> str:
    stubber.add_response(
        "get_user", get_user_response(verified=False), {"AccessToken": ACCESS_TOKEN}
    )
    return csrf_token(client.get("/settings/phone/verify").text)


def test_a_new_number_is_audited_masked(signed_in, stubber, caplog) -> None:
    stubber.add_response(
        "get_user", get_user_response(verified=False), {"AccessToken": ACCESS_TOKEN}
    )
    token = csrf_token(signed_in.get("/settings/phone").text)
    stubber.add_response("update_user_attributes", {"CodeDeliveryDetailsList": []})
    with caplog.at_level(logging.INFO, logger="mfa_portal.audit"):
        signed_in.post(
            "/settings/phone",
            data={"csrf_token": token, "country": "US", "phone_number": "(202) 555-0143"},
        )
    [event] = [e for e in audit_events(caplog) if e["event"] == "phone_number_change"]
    assert event["outcome"] == "ok"
    assert event["sub"] == "sub-alice"
    assert "2025550143" not in json.dumps(event, default=str)
    assert event["phone"].endswith("0143")


def test_a_verified_number_is_audited_with_cognitos_request_id(signed_in, stubber, caplog) -> None:
    token = verify_page_token(signed_in, stubber)
    stubber.add_response(
        "verify_user_attribute", {"ResponseMetadata": {"RequestId": "req-verify-1"}}
    )
    with caplog.at_level(logging.INFO, logger="mfa_portal.audit"):
        signed_in.post("/settings/phone/verify", data={"csrf_token": token, "code": "123456"})
    [event] = [e for e in audit_events(caplog) if e["event"] == "phone_number_verify"]
    assert (event["outcome"], event["cognito_request_id"]) == ("ok", "req-verify-1")


def test_a_refused_code_is_audited_as_failed(signed_in, stubber, caplog) -> None:
    token = verify_page_token(signed_in, stubber)
    stubber.add_client_error("verify_user_attribute", "CodeMismatchException", "wrong")
    with caplog.at_level(logging.INFO, logger="mfa_portal.audit"):
        signed_in.post("/settings/phone/verify", data={"csrf_token": token, "code": "123456"})
    [event] = [e for e in audit_events(caplog) if e["event"] == "phone_number_verify"]
    assert (event["outcome"], event["error_code"]) == ("failed", "CodeMismatchException")


def test_signing_out_everywhere_is_audited(signed_in, stubber, caplog) -> None:
    stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    token = csrf_token(signed_in.get("/settings/mfa").text)
    stubber.add_response("global_sign_out", {})
    with caplog.at_level(logging.INFO, logger="mfa_portal.audit"):
        signed_in.post("/logout/everywhere", data={"csrf_token": token, "confirmed": "yes"})
    assert [e["event"] for e in audit_events(caplog)] == ["sign_out_everywhere"]


def _number_read(stubber: Stubber) -> None:
    stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})


FAILED_CHANGES = {
    "phone_number_change": (
        "/settings/phone",
        {"country": "US", "phone_number": "(202) 555-0143"},
        [],
        "update_user_attributes",
    ),
    "phone_number_verify": (
        "/settings/phone/verify",
        {"code": "123456"},
        [],
        "verify_user_attribute",
    ),
    "phone_code_send": (
        "/settings/phone/resend",
        {},
        [_number_read],
        "get_user_attribute_verification_code",
    ),
    "sms_mfa_on": ("/settings/mfa", {"enable": "on"}, [_number_read], "set_user_settings"),
    "sign_out_everywhere": ("/logout/everywhere", {"confirmed": "yes"}, [], "global_sign_out"),
}


@pytest.mark.parametrize("event", FAILED_CHANGES)
def test_a_change_cognito_refuses_is_audited_under_its_event(
    signed_in, stubber, caplog, event
) -> None:
    path, form, reads, operation = FAILED_CHANGES[event]
    _number_read(stubber)
    token = csrf_token(signed_in.get("/settings/mfa").text)
    for read in reads:
        read(stubber)
    stubber.add_client_error(
        operation, "LimitExceededException", "slow down", response_meta={"RequestId": "req-9"}
    )
    with caplog.at_level(logging.INFO, logger="mfa_portal.audit"):
        response = signed_in.post(path, data={"csrf_token": token, **form})
    assert response.status_code == 303
    assert [
        (e["event"], e["outcome"], e["error_code"], e["cognito_request_id"])
        for e in audit_events(caplog)
    ] == [(event, "failed", "LimitExceededException", "req-9")]


# --- redaction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"Authorization: Bearer {JWT}", JWT),
        (f"token={JWT}", "eyJzdWIiOiJhbGljZSJ9"),
        ("texted +12025550143 a code", "2025550143"),
        ("a number +447400123456 from the UK", "7400123456"),
    ],
)
def test_tokens_and_numbers_never_survive_redaction(text: str, secret: str) -> None:
    assert secret not in redact(text)


def test_a_masked_number_stays_recognisable() -> None:
    assert redact("to +12025550143") == "to +1••••••0143"


@pytest.mark.parametrize(
    ("query", "kept", "hidden"),
    [
        ("code=abc123&state=xyz789", "code=[redacted]", "abc123"),
        ("code=abc123&state=xyz789", "state=[redacted]", "xyz789"),
        ("next=%2Fsettings&client_secret=s3cr3t", "next=/settings", "s3cr3t"),
        ("phone=%2B12025550143", "phone=+1", "2025550143"),
    ],
)
def test_query_strings_are_redacted_after_decoding(query: str, kept: str, hidden: str) -> None:
    redacted = redact_query(query)
    assert kept in redacted
    assert hidden not in redacted


def test_every_field_of_a_log_line_is_redacted() -> None:
    record = logging.LogRecord("x", logging.INFO, "f", 1, f"token {JWT}", None, None)
    record.phone = "+12025550143"
    record.nested = f"Bearer {JWT}"
    line = JsonFormatter().format(record)
    assert JWT not in line
    assert "2025550143" not in line
