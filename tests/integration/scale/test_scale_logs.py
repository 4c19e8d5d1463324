"""The portal's output is JSON lines: request lines, the X-Request-ID round trip, audit events."""

from __future__ import annotations

import json

import pytest
import requests

from tests.support.http import SharedRedisFarm, change_mfa, issued_tokens, sign_in
from tests.support.servers import PortalServer

pytestmark = pytest.mark.redis

PHONE = "+12025550100"


def records(portal: PortalServer) -> list[dict[str, object]]:
    lines = [line for line in portal.log_lines() if line.strip()]
    parsed = []
    for number, line in enumerate(lines, 1):
        try:
            parsed.append(json.loads(line))
        except ValueError:
            pytest.fail(f"line {number} of the portal log is not JSON: {line[:200]}")
    return parsed


def test_every_log_line_is_json_and_request_ids_round_trip(
    fresh_redis_farm: SharedRedisFarm, pair: list[PortalServer]
) -> None:
    a = pair[0]
    given = requests.get(f"{a.url}/healthz", headers={"X-Request-ID": "probe-42.a_b"}, timeout=10)
    assert given.headers["X-Request-ID"] == "probe-42.a_b"
    made = requests.get(f"{a.url}/", timeout=10).headers["X-Request-ID"]
    assert len(made) == 32
    hostile = requests.get(f"{a.url}/", headers={"X-Request-ID": 'a b"}'}, timeout=10)
    assert hostile.headers["X-Request-ID"] != 'a b"}'

    logged = records(a)
    assert any(r.get("logger") == "gunicorn.error" for r in logged), "gunicorn's own log"
    requests_logged = [r for r in logged if r.get("event") == "request"]
    assert requests_logged
    for record in requests_logged:
        for key in ("time", "level", "request_id", "method", "path", "status", "duration_ms"):
            assert key in record, (key, record)
    ours = [r for r in requests_logged if r["request_id"] == "probe-42.a_b"]
    assert [(r["method"], r["path"], r["status"]) for r in ours] == [("GET", "/healthz", 200)]
    assert any(r["request_id"] == made and r["path"] == "/" for r in requests_logged)


def test_mfa_change_is_audited_without_tokens_or_phone_numbers(
    fresh_redis_farm: SharedRedisFarm, pair: list[PortalServer]
) -> None:
    a = pair[0]
    http = requests.Session()
    sign_in(http, a.url, "alice")
    changed = change_mfa(http, a.url, enable=True)
    assert changed.status_code == 303
    changed = change_mfa(http, a.url, enable=False)
    assert changed.status_code == 303

    logged = records(a)
    audits = [r for r in logged if r.get("audit")]
    sign_ins = [r for r in audits if r["event"] == "sign_in" and r["outcome"] == "ok"]
    assert sign_ins
    sub = sign_ins[-1]["sub"]
    assert isinstance(sub, str) and sub
    for event in ("sms_mfa_on", "sms_mfa_off"):
        (entry,) = [r for r in audits if r["event"] == event and r.get("sub") == sub][-1:]
        assert entry["outcome"] == "ok"
        assert entry["cognito_request_id"], "Cognito's request id is part of the audit trail"
        assert entry.get("request_id"), "the audit line carries the portal's request id"

    text = "\n".join(a.log_lines())
    tokens = issued_tokens(fresh_redis_farm.cognito, "alice")
    for token in tokens["access"] + tokens["refresh"] + tokens["id"]:
        assert token not in text
    assert "eyJ" not in text
    assert PHONE not in text and PHONE[2:] not in text
