"""app/auth.py's helpers piece by piece, each in a request of the portal (docs/testing.md): where a
signed-out person is sent, which page a re-sign-in comes back to, the change to confirm on a page,
and the freshness window in words."""

from __future__ import annotations

import time

import pytest
from flask import Flask, session

from app import pending_change
from app.auth import (
    _in_words,
    _page_to_return_to,
    _sign_in_redirect,
    _signed_in_sub,
    pending_change_here,
)


def signed_in(*, auth_age: float) -> None:
    now = int(time.time())
    session.update(
        {
            "user": {"sub": "sub-alice", "username": "alice", "email": None},
            "auth_time": int(now - auth_age),
        }
    )


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 second"),
        (2, "2 seconds"),
        (59, "59 seconds"),
        (60, "minute"),
        (90, "90 seconds"),
        (120, "2 minutes"),
        (300, "5 minutes"),
    ],
)
def test_the_freshness_window_in_words(seconds, words):
    """Completes "a sign-in from the last ...": whole minutes as minutes, else seconds."""
    assert _in_words(seconds) == words


def test_the_signed_in_sub_is_the_person_s_or_none(app: Flask):
    with app.test_request_context("/settings/mfa"):
        assert _signed_in_sub() is None
        signed_in(auth_age=0)
        assert _signed_in_sub() == "sub-alice"


@pytest.mark.parametrize(
    ("method", "url", "location"),
    [
        ("GET", "/settings/mfa", "/login?next=/settings/mfa"),
        ("GET", "/settings/phone?country=MX", "/login?next=/settings/phone?country%3DMX"),
        # A POST can't be replayed by a redirect: its page without the query.
        ("POST", "/settings/phone/resend?again=1", "/login?next=/settings/phone/resend"),
    ],
)
def test_a_signed_out_person_is_sent_to_sign_in_and_back_to_the_page(
    app: Flask, method, url, location
):
    with app.test_request_context(url, method=method):
        response = _sign_in_redirect()
    assert (response.status_code, response.location) == (303, location)


@pytest.mark.parametrize(
    ("path", "return_to"),
    [
        ("/settings/phone", "/settings/phone"),
        ("/settings/phone/verify", "/settings/phone/verify"),
        # Pages that only accept a POST can't be shown: the settings page instead.
        ("/settings/phone/resend", "/settings/mfa"),
        ("/logout/everywhere", "/settings/mfa"),
    ],
)
def test_a_re_sign_in_returns_to_the_page_if_it_can_be_shown(app: Flask, path, return_to):
    with app.test_request_context(path, method="POST"):
        assert _page_to_return_to() == return_to


def ask_for_a_change(return_to: str) -> pending_change.PendingChange:
    return pending_change.remember("mfa.change", {"enable": "off"}, return_to, "sub-alice")


def test_the_change_to_confirm_is_shown_on_its_page_after_a_fresh_sign_in(app: Flask):
    with app.test_request_context("/settings/mfa"):
        signed_in(auth_age=0)
        change = ask_for_a_change("/settings/mfa")
        assert pending_change_here() == change


@pytest.mark.parametrize(
    ("method", "path", "auth_age"),
    [
        ("POST", "/settings/mfa", 0),  # a POST is the change itself, never its confirmation
        ("GET", "/settings/phone", 0),  # another page
        ("GET", "/settings/mfa", 600),  # not signed in again yet
    ],
)
def test_no_change_to_confirm_elsewhere_on_a_post_or_before_signing_in_again(
    app: Flask, method, path, auth_age
):
    with app.test_request_context(path, method=method):
        signed_in(auth_age=auth_age)
        ask_for_a_change("/settings/mfa")
        assert pending_change_here() is None


def test_no_change_to_confirm_for_nobody_signed_in(app: Flask):
    """Whatever the session still holds: a change and a recent ``auth_time``."""
    with app.test_request_context("/settings/mfa"):
        session["auth_time"] = int(time.time())
        ask_for_a_change("/settings/mfa")
        assert pending_change_here() is None
