"""app/observability.py piece by piece: what each log line says, and what it never says
(docs/testing.md). The whole line or record is compared, so a lost field or a changed word fails."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask, g, session
from flask.testing import FlaskClient

from app.observability import (
    FoldAuditIntoRequestLine,
    JsonFormatter,
    TextFormatter,
    audit,
    cognito_endpoint_kind,
    configure_logging,
    log_cognito_unreachable,
    log_handler,
    log_unexpected_error,
    redact,
    redact_query,
)

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXdpdGgtZW5vdWdo"
#: 2023-11-14T22:13:20.250Z
CREATED = 1700000000.25


def record(
    message: str = "hello", *, name: str = "mfa_portal.auth", level: int = logging.INFO, **fields
) -> logging.LogRecord:
    made = logging.LogRecord(name, level, "f.py", 1, message, None, None)
    made.created, made.msecs = CREATED, 250.0
    for key, value in fields.items():
        setattr(made, key, value)
    return made


def clock() -> str:
    return time.strftime("%H:%M:%S", time.localtime(CREATED))


def raised(error: Exception):
    try:
        raise error
    except Exception:
        return sys.exc_info()


# --- redaction ---------------------------------------------------------------------------


def test_a_token_becomes_a_marker_and_a_number_is_masked_in_place() -> None:
    assert redact(f"Bearer {JWT} for +12025550143.") == "Bearer [redacted] for +1••••••0143."


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+12025550143", "+1••••••0143"),
        ("+447400123456", "+4•••••••3456"),
        ("+1234567", "+1••4567"),
    ],
)
def test_a_masked_number_keeps_its_first_digit_and_last_four(number: str, masked: str) -> None:
    assert redact(f"texted {number}") == f"texted {masked}"


SECRET_NAMES = [
    "code",
    "state",
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "client_secret",
    "secret",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_each_secret_in_a_url_is_hidden_whatever_its_case(name: str) -> None:
    assert redact(f"GET /cb?{name}=s3cr3t&x=1") == f"GET /cb?{name}=[redacted]&x=1"
    upper = name.upper()
    assert redact(f"GET /cb?x=1&{upper}=s3cr3t") == f"GET /cb?x=1&{upper}=[redacted]"


def test_a_secret_ends_at_a_space_or_a_quote_as_in_an_access_log_line() -> None:
    line = '"GET /auth/callback?code=abc123 HTTP/1.1" 302 "https://x/?state=s1"'
    assert (
        redact(line)
        == '"GET /auth/callback?code=[redacted] HTTP/1.1" 302 "https://x/?state=[redacted]"'
    )


@pytest.mark.parametrize("value", [200, 12.5, None, ["+12025550143"]])
def test_values_that_are_not_text_are_left_as_they_are(value) -> None:
    assert redact(value) == value


def test_a_query_is_decoded_then_hidden_without_its_question_mark() -> None:
    assert redact_query("code=abc123&state=xyz789") == "code=[redacted]&state=[redacted]"
    assert redact_query("next=%2Fsettings%2Fmfa&q=a+b") == "next=/settings/mfa&q=a b"
    assert redact_query("phone=%2B12025550143") == "phone=+1••••••0143"
    assert redact_query("") == ""


# --- the JSON line -----------------------------------------------------------------------


def test_a_json_line_has_time_level_logger_message_and_every_field_redacted() -> None:
    made = record(
        "texted %s",
        level=logging.WARNING,
        event="code_sent",
        status=200,
        token=f"Bearer {JWT}",
        where=Path("/srv/portal"),
        _private="never shown",
    )
    made.args = ("+12025550143",)
    assert json.loads(JsonFormatter().format(made)) == {
        "time": "2023-11-14T22:13:20.250Z",
        "level": "WARNING",
        "logger": "mfa_portal.auth",
        "message": "texted +1••••••0143",
        "event": "code_sent",
        "status": 200,
        "token": "Bearer [redacted]",
        "where": "/srv/portal",
    }


def test_a_json_line_in_a_request_carries_its_id_and_a_redacted_stack_trace() -> None:
    made = record("failed", exc_info=raised(ValueError(f"bad token {JWT}")))
    with Flask(__name__).test_request_context():
        g.request_id = "req-42"
        entry = json.loads(JsonFormatter().format(made))
    assert entry["request_id"] == "req-42"
    assert entry["exception"].startswith("Traceback (most recent call last):\n")
    assert entry["exception"].endswith("ValueError: bad token [token]")
    assert JWT not in json.dumps(entry)


# --- the text line -----------------------------------------------------------------------


def test_a_text_line_says_time_level_logger_message_and_its_fields() -> None:
    made = record(
        "refused %s",
        level=logging.WARNING,
        event="sign_in",
        phone="+12025550143",
        error_code=None,
        audit=True,
        request_id="req-42",
        _private="never shown",
    )
    made.args = (JWT,)
    assert TextFormatter().format(made) == (
        f"{clock()} WARNING mfa_portal.auth: refused [token] (event=sign_in phone=+1••••••0143)"
    )


def test_a_text_line_without_fields_has_no_brackets_and_its_trace_is_redacted() -> None:
    assert TextFormatter().format(record("started")) == f"{clock()} INFO mfa_portal.auth: started"
    made = record("failed", level=logging.ERROR, exc_info=raised(ValueError(f"Bearer {JWT}")))
    first, *trace = TextFormatter().format(made).split("\n")
    assert first == f"{clock()} ERROR mfa_portal.auth: failed"
    assert trace[0] == "Traceback (most recent call last):"
    assert trace[-1] == "ValueError: Bearer [redacted]"


REQUEST = {"event": "request", "status": 303, "method": "POST", "path": "/settings/phone"}


def test_a_text_request_line_is_status_method_path_query_and_milliseconds() -> None:
    made = record("request", name="mfa_portal.request", **REQUEST, query="x=1", duration_ms=12.4)
    assert TextFormatter().format(made) == f"{clock()} 303 POST /settings/phone?x=1 12 ms"
    made = record("request", name="mfa_portal.request", **REQUEST, query=None, duration_ms=7)
    assert TextFormatter().format(made) == f"{clock()} 303 POST /settings/phone 7 ms"
    made = record("request", name="mfa_portal.request", **REQUEST, duration_ms=None)
    assert TextFormatter().format(made) == f"{clock()} 303 POST /settings/phone"


def test_a_text_request_line_ends_with_the_request_s_audit_events() -> None:
    made = record("request", name="mfa_portal.request", **REQUEST, query="code=abc")
    with Flask(__name__).test_request_context():
        g.audit_events = ["phone_number_change ok", "texts_budget refused"]
        line = TextFormatter().format(made)
    assert line == (
        f"{clock()} 303 POST /settings/phone?code=[redacted]"
        "  [phone_number_change ok, texts_budget refused]"
    )


def test_audit_events_during_a_request_fold_into_its_line_and_others_pass() -> None:
    fold = FoldAuditIntoRequestLine()
    with_outcome = record("SMS MFA turned on", audit=True, event="sms_mfa_on", outcome="ok")
    bare = record("sign_out", audit=True)
    plain = record("not an audit event")
    with Flask(__name__).test_request_context():
        assert fold.filter(with_outcome) is False
        assert fold.filter(bare) is False
        assert fold.filter(plain) is True
        assert g.audit_events == ["sms_mfa_on ok", "sign_out"]
    # Outside a request (a CLI command, say) an audit event is a line of its own.
    assert fold.filter(with_outcome) is True


def test_the_one_handler_writes_to_stderr_in_the_chosen_format() -> None:
    text = log_handler("text")
    assert isinstance(text, logging.StreamHandler)
    assert text.stream is sys.stderr
    assert isinstance(text.formatter, TextFormatter)
    assert [type(f) for f in text.filters] == [FoldAuditIntoRequestLine]
    json_handler = log_handler("json")
    assert isinstance(json_handler, logging.StreamHandler)
    assert json_handler.stream is sys.stderr
    assert isinstance(json_handler.formatter, JsonFormatter)
    assert json_handler.filters == []


@pytest.fixture
def root_logging() -> Iterator[logging.Logger]:
    """The root logger and the libraries' levels, put back after the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    libraries = {
        name: logging.getLogger(name).level for name in ("botocore", "urllib3", "werkzeug")
    }
    yield root
    root.handlers[:], root.level = handlers, level
    for name, each in libraries.items():
        logging.getLogger(name).setLevel(each)


def test_logging_is_one_handler_at_the_level_with_libraries_quieter(root_logging) -> None:
    for name in ("botocore", "urllib3", "werkzeug"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    configure_logging("DEBUG", "text")
    [handler] = root_logging.handlers
    assert isinstance(handler.formatter, TextFormatter)
    assert root_logging.level == logging.DEBUG
    for name in ("botocore", "urllib3", "werkzeug"):
        assert logging.getLogger(name).level == logging.WARNING, name
    configure_logging("WARNING")
    [handler] = root_logging.handlers
    assert isinstance(handler.formatter, JsonFormatter)
    assert root_logging.level == logging.WARNING


# --- operator lines ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://auth.example.com/.well-known/openid-configuration", "discovery"),
        ("https://cognito-idp.us-east-1.amazonaws.com/pool/.well-known/jwks.json", "jwks"),
        ("https://auth.example.com/oauth2/token?code=abc", "token"),
        ("https://auth.example.com/oauth2/userInfo", "other"),
        ("", "other"),
    ],
)
def test_each_cognito_endpoint_has_its_name(url: str, kind: str) -> None:
    assert cognito_endpoint_kind(url) == kind


def operator_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "app.observability"]


def test_an_unreachable_cognito_is_one_line_naming_the_endpoint_and_host(caplog) -> None:
    prepared = requests.Request("POST", "https://auth.example.com/oauth2/token?code=abc").prepare()
    with caplog.at_level(logging.ERROR, logger="app.observability"):
        log_cognito_unreachable(requests.ConnectionError("refused", request=prepared))
    [line] = operator_records(caplog)
    assert (line.levelname, line.getMessage()) == ("ERROR", "Cognito endpoint unreachable")
    assert (line.event, line.endpoint, line.host, line.error) == (
        "cognito_unreachable",
        "token",
        "auth.example.com",
        "ConnectionError",
    )


def test_an_unreachable_cognito_without_a_request_still_logs_the_error(caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="app.observability"):
        log_cognito_unreachable(requests.Timeout("slow"))
    [line] = operator_records(caplog)
    assert (line.event, line.endpoint, line.host, line.error) == (
        "cognito_unreachable",
        "other",
        None,
        "Timeout",
    )


def test_an_unexpected_error_logs_its_trace_with_the_request_it_broke(caplog) -> None:
    exc_info = raised(KeyError("boom"))
    with (
        caplog.at_level(logging.ERROR, logger="app.observability"),
        Flask(__name__).test_request_context("/settings/phone?x=1", method="POST"),
    ):
        log_unexpected_error(exc_info)
    [line] = operator_records(caplog)
    assert (line.levelname, line.getMessage()) == ("ERROR", "unexpected error")
    assert (line.event, line.method, line.path) == ("unexpected_error", "POST", "/settings/phone")
    assert line.exc_info == exc_info


# --- audit events and the request line ---------------------------------------------------


def test_an_audit_event_names_who_what_and_the_outcome(caplog) -> None:
    app = Flask(__name__)
    app.secret_key = "test"
    with caplog.at_level(logging.INFO, logger="mfa_portal.audit"), app.test_request_context():
        audit("phone_number_verify", "failed", error_code="CodeMismatchException")
        session["user"] = {"sub": "sub-alice"}
        audit("sms_mfa_on", "ok", cognito_request_id="req-1")
        audit("sign_out", "ok", sub="sub-from-the-token")
    events = [r for r in caplog.records if r.name == "mfa_portal.audit"]
    assert [(r.getMessage(), r.event, r.outcome, r.audit, r.sub) for r in events] == [
        ("phone_number_verify", "phone_number_verify", "failed", True, None),
        ("sms_mfa_on", "sms_mfa_on", "ok", True, "sub-alice"),
        ("sign_out", "sign_out", "ok", True, "sub-from-the-token"),
    ]
    assert (events[0].error_code, events[1].cognito_request_id) == (
        "CodeMismatchException",
        "req-1",
    )


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "mfa_portal.request"]


def test_every_response_is_one_request_line_with_the_query_redacted(
    client: FlaskClient, caplog
) -> None:
    with caplog.at_level(logging.INFO, logger="mfa_portal.request"):
        response = client.get(
            "/?code=abc123&x=1",
            headers={"X-Request-ID": "lb-1.A_b-2"},
            environ_base={"REMOTE_ADDR": "198.51.100.7"},
        )
        client.get("/")
    first, second = request_lines(caplog)
    assert response.headers["X-Request-ID"] == "lb-1.A_b-2"
    assert (first.getMessage(), first.levelname, first.event) == ("request", "INFO", "request")
    assert (first.client, first.method, first.path, first.query, first.status) == (
        "198.51.100.7",
        "GET",
        "/",
        "code=[redacted]&x=1",
        response.status_code,
    )
    assert isinstance(first.duration_ms, float)
    assert second.query is None


@pytest.mark.parametrize("incoming", ["", "has space", "a" * 129, "ü-not-ascii", "semi;colon"])
def test_a_request_id_that_isn_t_plain_is_replaced_by_a_new_one(
    client: FlaskClient, incoming: str
) -> None:
    headers = {"X-Request-ID": incoming}
    request_id = client.get("/", headers=headers).headers["X-Request-ID"]
    assert re.fullmatch("[0-9a-f]{32}", request_id), request_id
    assert request_id != client.get("/", headers=headers).headers["X-Request-ID"]


def test_a_plain_request_id_of_up_to_128_characters_is_kept(client: FlaskClient) -> None:
    longest = "a" * 128
    assert client.get("/", headers={"X-Request-ID": longest}).headers["X-Request-ID"] == longest
