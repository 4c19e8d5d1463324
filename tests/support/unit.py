"""Helpers shared by the unit tests: settings, a signed-in session, Cognito responses."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from flask.testing import FlaskClient

CLIENT_ID = "unitclient0000000000000001"
ACCESS_TOKEN = "header.eyJzY29wZSI6ImF3cy5jb2duaXRvLnNpZ25pbi51c2VyLmFkbWluIn0.signature"


def portal_env(tmp_path: Any, **overrides: str) -> dict[str, str]:
    env = {
        "SECRET_KEY": "unit-test-secret-key-0123456789abcdef",
        "PORTAL_BASE_URL": "http://portal.test",
        "COGNITO_DOMAIN": "http://cognito.test",
        "COGNITO_ENDPOINT_URL": "http://cognito.test",
        "COGNITO_REGION": "us-east-1",
        "COGNITO_USER_POOL_ID": "us-east-1_UnitPool",
        "COGNITO_CLIENT_ID": CLIENT_ID,
        "SESSION_DIR": str(tmp_path / "sessions"),
        "COGNITO_MAX_ATTEMPTS": "1",
        # Each unit test queues the Cognito answers it expects, one GetUser per page; the status
        # cache has tests of its own (test_status_cache.py), which turn it on.
        "STATUS_CACHE_SECONDS": "0",
    }
    env.update(overrides)
    return env


def sign_in(client: FlaskClient, *, auth_age: float = 0, expires_in: float = 3600) -> None:
    """Put a signed-in user in the server-side session, as the callback would."""
    now = time.time()
    with client.session_transaction() as session:
        session["user"] = {"sub": "sub-alice", "username": "alice", "email": "alice@example.com"}
        session["tokens"] = {
            "access_token": ACCESS_TOKEN,
            "refresh_token": "refresh-token",
            "expires_at": int(now + expires_in),
        }
        session["auth_time"] = int(now - auth_age)
        session["signed_in_at"] = int(now - auth_age)
        session["seen_at"] = int(now)


def flashed(client: FlaskClient) -> list[tuple[str, Any]]:
    """The notices waiting for the next page, as ``(category, notice)``, left in place."""
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


def audited(records: list[logging.LogRecord]) -> list[tuple[str, str, str | None]]:
    """The audit events among log records (``caplog.records``): ``(event, outcome, reason)``."""
    return [
        (record.event, record.outcome, getattr(record, "reason", None))
        for record in records
        if getattr(record, "audit", False)
    ]


def get_user_response(
    *,
    phone: str | None = "+12025550100",
    verified: bool = True,
    legacy_sms: bool = False,
    mfa_settings: list[str] | None = None,
    preferred: str | None = None,
) -> dict[str, Any]:
    attributes = [
        {"Name": "sub", "Value": "sub-alice"},
        {"Name": "email", "Value": "alice@example.com"},
    ]
    if phone:
        attributes += [
            {"Name": "phone_number", "Value": phone},
            {"Name": "phone_number_verified", "Value": "true" if verified else "false"},
        ]
    response: dict[str, Any] = {"Username": "alice", "UserAttributes": attributes}
    if legacy_sms:
        response["MFAOptions"] = [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    if mfa_settings is not None:
        response["UserMFASettingList"] = mfa_settings
    if preferred:
        response["PreferredMfaSetting"] = preferred
    return response


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def pending_state(client: FlaskClient) -> str:
    """The ``state`` of the sign-in this browser started last (as Authlib keeps it)."""
    with client.session_transaction() as session:
        states = [key.removeprefix("_state_cognito_") for key in session]
        states = [key for key, name in zip(states, session, strict=True) if key != name]
    return states[-1] if states else "no-sign-in-pending"


def callback(client: FlaskClient, query: str = "code=c") -> Any:
    """The hosted UI sending the browser back to ``/auth/callback`` for its pending sign-in."""
    return client.get(f"/auth/callback?{query}&state={pending_state(client)}")


class StreamBody:
    """A raw HTTP body for botocore's ``AWSResponse``, for tests that answer in ``before-send``."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self) -> Any:
        yield self._data


class ManualClock:
    """A clock that stands still until the test moves ``now``."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
