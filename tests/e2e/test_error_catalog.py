"""Cognito failures injected into the stand-in, as the person sees them in the browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from app.errors import lookup
from localcognito.state import mfa_options
from tests.support.browser import mfa_badge, screenshot, sign_in
from tests.support.servers import Stack, own_stack

READ_TIMEOUT, MAX_ATTEMPTS = 1, 2


@pytest.mark.parametrize(
    ("code", "variant"),
    [
        ("PasswordResetRequiredException", None),
        ("UserNotConfirmedException", None),
        ("InvalidParameterException", "enable_sms_mfa"),
        ("ForbiddenException", None),
        ("InternalErrorException", None),
        ("TooManyRequestsException", None),
        ("OperationNotEnabledException", None),
    ],
)
def test_a_failed_change_shows_its_message_and_the_status_is_unchanged(
    page: Page, fresh_stack: Stack, code: str, variant: str | None
) -> None:
    entry = lookup(code, variant)
    sign_in(page, fresh_stack.portal.url, "alice")
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")
    fresh_stack.inject("SetUserSettings", code, "injected by the test", times=5)
    page.get_by_role("button", name="Turn on SMS MFA").click()
    if entry.ends_session:
        expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()
        expect(page.get_by_role("alert")).to_contain_text(entry.message)
    else:
        expect(page.get_by_role("alert")).to_contain_text(entry.message)
        expect(mfa_badge(page)).to_have_text("SMS MFA: Off")
    assert "Exception" not in page.content()
    screenshot(page, f"catalog-{code}")
    fresh_stack.clear_faults()
    assert mfa_options(fresh_stack.cognito.state.user("alice")) == []


def test_not_authorized_ends_the_session_and_leads_back_to_sign_in(
    page: Page, fresh_stack: Stack
) -> None:
    sign_in(page, fresh_stack.portal.url, "alice")
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")
    fresh_stack.inject(
        "SetUserSettings", "NotAuthorizedException", "Access Token has been revoked", times=5
    )
    page.get_by_role("button", name="Turn on SMS MFA").click()
    expect(page.get_by_role("alert")).to_contain_text(lookup("NotAuthorizedException").message)
    screenshot(page, "catalog-NotAuthorizedException")
    fresh_stack.clear_faults()
    signed_out = page.context.request.get(f"{fresh_stack.portal.url}/settings/mfa", max_redirects=0)
    assert signed_out.status == 303
    assert signed_out.headers["location"].startswith("/login")
    # Signing in again goes through the hosted UI (its own session may skip the password).
    with page.expect_request(re.compile(r"/oauth2/authorize\?")):
        page.get_by_role("link", name="Sign in again").click()
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")


@pytest.fixture
def fragile_stack(tmp_path: Path) -> Iterator[Stack]:
    """A stand-in of its own (so it can be stopped) and a portal with a short read timeout."""
    with own_stack(
        tmp_path,
        COGNITO_READ_TIMEOUT=str(READ_TIMEOUT),
        COGNITO_CONNECT_TIMEOUT="1",
        COGNITO_MAX_ATTEMPTS=str(MAX_ATTEMPTS),
    ) as stack:
        yield stack


def getuser_calls(stack: Stack) -> int:
    stats = requests.get(f"{stack.cognito.url}/_local/stats", timeout=5).json()
    return int(stats["api"].get("GetUser", 0))


def test_latency_beyond_the_read_timeout_shows_cant_reach_not_a_hang(
    page: Page, fragile_stack: Stack
) -> None:
    sign_in(page, fragile_stack.portal.url, "alice")
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")
    requests.post(
        f"{fragile_stack.cognito.url}/_local/faults",
        json={"operation": "GetUser", "latency_ms": 4000},
        timeout=5,
    ).raise_for_status()
    before = getuser_calls(fragile_stack)
    # Turning on reads the number afresh (the page itself is shown from the status just read).
    page.get_by_role("button", name="Turn on SMS MFA").click()
    expect(page.get_by_role("alert").first).to_contain_text(
        "We can't reach the sign-in service right now. Nothing was changed."
    )
    # Bounded, not a hang: each attempt timed out and botocore tried exactly as configured.
    assert getuser_calls(fragile_stack) - before == MAX_ATTEMPTS
    screenshot(page, "catalog-read-timeout")


def test_a_stopped_sign_in_service_shows_cant_reach_and_nothing_changed(
    page: Page, fragile_stack: Stack
) -> None:
    sign_in(page, fragile_stack.portal.url, "alice")
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")
    fragile_stack.cognito.stop()
    page.get_by_role("button", name="Turn on SMS MFA").click()
    expect(page.get_by_role("alert").first).to_contain_text(
        "We can't reach the sign-in service right now. Nothing was changed."
    )
    assert "Traceback" not in page.content()
    screenshot(page, "catalog-connection-refused")
