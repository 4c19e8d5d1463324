"""app/session_lifecycle.py piece by piece, in a request of the portal with a clock the test moves
(docs/testing.md): what a new session holds, when it expires and why, and the token's refresh."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from authlib.integrations.base_client import OAuthError
from flask import Flask, session

from app.errors import PortalError, lookup
from app.notices import notice
from app.session_lifecycle import (
    _expires_at,
    access_token_expires_soon,
    end_session,
    expire_or_keep_alive,
    is_fresh_signin,
    refresh_tokens,
    revoke_refresh_token,
    start_session,
)

NOW = 1_700_000_000


@pytest.fixture
def in_request(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """A request of the portal at ``NOW``: idle 1800 s, lifetime 43200 s, fresh sign-in 300 s,
    token refresh margin 120 s (the defaults)."""
    monkeypatch.setattr("app.session_lifecycle.time.time", lambda: NOW)
    with app.test_request_context("/settings/mfa"):
        yield app


def signed_in_at(moment: int, *, seen: int | None = None, **extra: Any) -> None:
    session.update(
        {
            "user": {"sub": "sub-alice"},
            "tokens": {"access_token": "at", "refresh_token": "rt", "expires_at": NOW + 3600},
            "signed_in_at": moment,
            "seen_at": moment if seen is None else seen,
            **extra,
        }
    )


def test_a_new_session_holds_the_person_the_tokens_and_the_moment(in_request) -> None:
    session["login_next"] = "/settings/phone"
    session["stale"] = "from before the sign-in"
    start_session(
        {"access_token": "at-1", "refresh_token": "rt-1", "expires_in": 600},
        {"sub": "sub-alice", "cognito:username": "alice", "email": "a@example.com", "auth_time": 5},
    )
    assert {key: value for key, value in session.items() if not key.startswith("_")} == {
        "user": {"sub": "sub-alice", "username": "alice", "email": "a@example.com"},
        "tokens": {"access_token": "at-1", "refresh_token": "rt-1", "expires_at": NOW + 600},
        "auth_time": 5,
        "signed_in_at": NOW,
        "seen_at": NOW,
        "login_next": "/settings/phone",
    }


@pytest.mark.parametrize(
    ("claims", "username"),
    [
        ({"sub": "s-1", "cognito:username": "alice", "username": "other"}, "alice"),
        ({"sub": "s-1", "username": "bob"}, "bob"),
        ({"sub": "s-1"}, "s-1"),
    ],
)
def test_the_username_is_cognitos_then_the_claim_then_the_sub(in_request, claims, username):
    start_session({"access_token": "at"}, claims)
    assert session["user"] == {"sub": "s-1", "username": username, "email": None}
    # No refresh token, no auth_time: nothing to refresh, and the sign-in counts as stale.
    assert session["tokens"]["refresh_token"] is None
    assert session["auth_time"] == 0
    assert session["login_next"] is None


@pytest.mark.parametrize(
    ("token", "expires_at"),
    [
        ({"expires_at": NOW + 10, "expires_in": 99}, NOW + 10),
        ({"expires_in": "300"}, NOW + 300),
        ({"expires_in": None}, NOW + 3600),
        ({}, NOW + 3600),
    ],
)
def test_a_token_expires_when_it_says_or_in_an_hour(token, expires_at) -> None:
    assert _expires_at(token, NOW) == expires_at


@pytest.mark.parametrize(
    ("signed_in", "seen", "reason"),
    [
        (NOW - 2000, NOW - 1801, "idle"),
        (NOW - 43200, NOW - 1801, "idle"),  # lived exactly the limit: idle is the reason
        (NOW - 43201, NOW - 10, "lifetime"),
        (NOW - 43201, NOW - 1801, "lifetime"),
    ],
)
def test_an_expired_session_ends_with_its_reason_audited(
    in_request, caplog, signed_in, seen, reason
) -> None:
    signed_in_at(signed_in, seen=seen, tokens={"access_token": "at", "expires_at": NOW})
    with caplog.at_level(logging.INFO, logger="mfa_portal.audit"):
        expire_or_keep_alive()
    [event] = [r for r in caplog.records if getattr(r, "audit", False)]
    assert (event.event, event.outcome, event.reason) == ("session_expired", "ok", reason)
    assert "user" not in session
    # The next page says so, as information rather than a warning.
    assert session["_flashes"] == [("info", notice(lookup("portal:session_expired")))]
    assert notice(lookup("portal:session_expired"))["text"] == (
        "Your session has ended. Nothing was changed. Please sign in again."
    )


@pytest.mark.parametrize(
    ("signed_in", "seen", "seen_after"),
    [
        (NOW - 1800, NOW - 1800, NOW),  # idle exactly the limit: still signed in
        (NOW - 43200, NOW - 10, NOW),  # lived exactly the limit
        (NOW - 100, NOW - 5, NOW),  # a touch's worth of seconds: written back
        (NOW - 100, NOW - 4, NOW - 4),  # within a touch: left as it is
    ],
)
def test_a_live_session_is_kept_and_touched_every_few_seconds(
    in_request, signed_in, seen, seen_after
) -> None:
    signed_in_at(signed_in, seen=seen)
    expire_or_keep_alive()
    assert session["user"] == {"sub": "sub-alice"}
    assert session["seen_at"] == seen_after


@pytest.mark.parametrize(("signed_in", "kept"), [(NOW - 100, True), (NOW - 1801, False)])
def test_idle_counts_from_the_sign_in_when_no_activity_was_recorded(
    in_request, signed_in, kept
) -> None:
    signed_in_at(signed_in)
    del session["seen_at"]
    expire_or_keep_alive()
    assert ("user" in session) is kept


def test_a_session_without_its_timestamps_ends_as_expired(in_request, caplog) -> None:
    """A session written before the portal kept them (or tampered with on the server) ends."""
    session["user"] = {"sub": "sub-alice"}
    with caplog.at_level(logging.INFO, logger="mfa_portal.audit"):
        expire_or_keep_alive()
    assert "user" not in session
    [event] = [r for r in caplog.records if getattr(r, "audit", False)]
    assert (event.event, event.reason) == ("session_expired", "lifetime")


@pytest.mark.parametrize(("age", "fresh"), [(0, True), (300, True), (301, False)])
def test_a_sign_in_is_fresh_for_five_minutes(in_request, age, fresh) -> None:
    session["auth_time"] = NOW - age
    assert is_fresh_signin() is fresh


def test_a_session_without_auth_time_is_not_fresh(in_request) -> None:
    assert is_fresh_signin() is False


@pytest.mark.parametrize(("left", "soon"), [(119, True), (120, False), (3600, False)])
def test_a_token_expires_soon_within_the_refresh_margin(in_request, left, soon) -> None:
    session["tokens"] = {"access_token": "at", "expires_at": NOW + left}
    assert access_token_expires_soon() is soon


class FakeOAuth:
    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer
        self.asked: list[dict[str, Any]] = []

    def fetch_access_token(self, **kwargs: Any) -> dict[str, Any]:
        self.asked.append(kwargs)
        return self.answer


def with_oauth(app: Flask, monkeypatch: pytest.MonkeyPatch, answer: dict[str, Any]) -> FakeOAuth:
    fake = FakeOAuth(answer)
    monkeypatch.setattr("app.session_lifecycle.oauth_client", lambda: fake)
    return fake


def test_a_refresh_swaps_the_tokens_and_keeps_the_refresh_token_cognito_didn_t_replace(
    in_request, monkeypatch, caplog
) -> None:
    signed_in_at(NOW - 100)
    fake = with_oauth(in_request, monkeypatch, {"access_token": "at-2", "expires_in": 600})
    with caplog.at_level(logging.INFO, logger="app.session_lifecycle"):
        assert refresh_tokens() is True
    assert fake.asked == [{"grant_type": "refresh_token", "refresh_token": "rt"}]
    assert session["tokens"] == {
        "access_token": "at-2",
        "refresh_token": "rt",
        "expires_at": NOW + 600,
    }
    [line] = [r for r in caplog.records if r.name == "app.session_lifecycle"]
    assert (line.getMessage(), line.event, line.outcome) == (
        "access token refreshed",
        "token_refresh",
        "ok",
    )


def test_a_refresh_takes_a_new_refresh_token_when_cognito_rotates_it(
    in_request, monkeypatch
) -> None:
    signed_in_at(NOW - 100)
    with_oauth(in_request, monkeypatch, {"access_token": "at-2", "refresh_token": "rt-2"})
    assert refresh_tokens() is True
    assert session["tokens"] == {
        "access_token": "at-2",
        "refresh_token": "rt-2",
        "expires_at": NOW + 3600,
    }


def test_without_a_refresh_token_nothing_is_asked(in_request, monkeypatch) -> None:
    signed_in_at(NOW - 100, tokens={"access_token": "at", "expires_at": NOW})
    fake = with_oauth(in_request, monkeypatch, {"access_token": "never"})
    assert refresh_tokens() is False
    assert fake.asked == []
    assert session["tokens"]["access_token"] == "at"


class Refusing(FakeOAuth):
    def __init__(self, error: Exception) -> None:
        super().__init__({})
        self.error = error

    def fetch_access_token(self, **kwargs: Any) -> dict[str, Any]:
        raise self.error


def operator_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name in ("app.session_lifecycle", "app.observability")]


def test_a_refused_refresh_is_logged_and_leaves_the_session_as_it_was(
    in_request, monkeypatch, caplog
) -> None:
    signed_in_at(NOW - 100)
    monkeypatch.setattr(
        "app.session_lifecycle.oauth_client", lambda: Refusing(OAuthError("invalid_grant"))
    )
    with caplog.at_level(logging.INFO, logger="app"):
        assert refresh_tokens() is False
    [line] = operator_lines(caplog)
    assert (line.levelname, line.getMessage(), line.event, line.error) == (
        "INFO",
        "token refresh refused",
        "token_refresh",
        "invalid_grant",
    )
    assert session["tokens"]["access_token"] == "at"


def test_an_unreachable_token_endpoint_is_a_transport_failure_named_for_the_operator(
    in_request, monkeypatch, caplog
) -> None:
    signed_in_at(NOW - 100)
    request = requests.Request("POST", "https://auth.example.com/oauth2/token").prepare()
    failure = requests.ConnectionError("refused", request=request)
    monkeypatch.setattr("app.session_lifecycle.oauth_client", lambda: Refusing(failure))
    with caplog.at_level(logging.INFO, logger="app"), pytest.raises(PortalError) as raised:
        refresh_tokens()
    assert (raised.value.code, raised.value.operation) == ("transport:connection", "RefreshToken")
    [line] = operator_lines(caplog)
    assert (line.event, line.endpoint, line.host) == (
        "cognito_unreachable",
        "token",
        "auth.example.com",
    )


def test_a_token_endpoint_answering_garbage_is_a_transport_failure_too(
    in_request, monkeypatch, caplog
) -> None:
    signed_in_at(NOW - 100)
    monkeypatch.setattr(
        "app.session_lifecycle.oauth_client", lambda: Refusing(ValueError("not JSON"))
    )
    with caplog.at_level(logging.INFO, logger="app"), pytest.raises(PortalError) as raised:
        refresh_tokens()
    assert str(raised.value) == "RefreshToken: transport:connection"
    assert operator_lines(caplog) == []


def test_a_refresh_token_that_can_t_be_revoked_is_logged_at_sign_out(
    in_request, monkeypatch, caplog
) -> None:
    signed_in_at(NOW - 100)

    class Unreachable:
        def revoke_refresh_token(self, token: str) -> None:
            raise PortalError("transport:connection", operation="RevokeToken")

    monkeypatch.setattr("app.session_lifecycle.service", lambda: Unreachable())
    with caplog.at_level(logging.INFO, logger="app"):
        revoke_refresh_token()
    [line] = operator_lines(caplog)
    assert (line.levelname, line.getMessage(), line.event) == (
        "WARNING",
        "refresh token not revoked at sign-out",
        "sign_out",
    )


def test_an_ended_session_says_why_as_a_warning_unless_told_otherwise(in_request) -> None:
    signed_in_at(NOW - 100)
    end_session(notice("Signed out."))
    assert "user" not in session
    assert session["_flashes"] == [("warning", notice("Signed out."))]
    end_session(notice("Your session has ended."), "info")
    assert session["_flashes"] == [("info", notice("Your session has ended."))]
