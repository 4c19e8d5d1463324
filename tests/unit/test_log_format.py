"""``LOG_FORMAT=text``: one readable line per request, its audit events folded in; JSON (the
default) keeps the audit line separate."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from flask import Flask

from app import create_app
from app.config import load_settings
from app.observability import audit, log_handler
from tests.support.unit import portal_env


@pytest.fixture
def lines(request: pytest.FixtureRequest, tmp_path) -> Iterator[tuple[Flask, io.StringIO]]:
    """An app in the given log format, and what its handler writes."""
    log_format: str = request.param
    app = create_app(load_settings(portal_env(tmp_path, LOG_FORMAT=log_format)))

    @app.get("/audited")
    def audited() -> str:
        audit("sms_mfa_on", "ok")
        return "done"

    written = io.StringIO()
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(written)
    yield app, written


@pytest.mark.parametrize("lines", ["text"], indirect=True)
def test_text_is_one_readable_line_per_request(lines):
    app, written = lines
    app.test_client().get("/audited?code=secret-code&x=1")
    output = written.getvalue().splitlines()
    assert len(output) == 1, output
    line = output[0]
    assert " 200 GET /audited?code=[redacted]&x=1 " in line
    assert line.endswith("  [sms_mfa_on ok]")
    assert "secret-code" not in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


@pytest.mark.parametrize("lines", ["json"], indirect=True)
def test_json_keeps_the_audit_line_of_its_own(lines):
    app, written = lines
    app.test_client().get("/audited")
    records = [json.loads(line) for line in written.getvalue().splitlines()]
    assert [record["event"] for record in records] == ["sms_mfa_on", "request"]


def test_text_lines_outside_a_request_say_level_logger_and_fields():
    handler = log_handler("text")
    record = logging.LogRecord("mfa_portal.auth", logging.WARNING, "", 0, "refused", None, None)
    record.event = "sign_in"
    record.phone = "+12025550143"
    line = handler.format(record)
    assert line.endswith("WARNING mfa_portal.auth: refused (event=sign_in phone=+1••••••0143)")
