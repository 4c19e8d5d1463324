"""The busy notice, as a person meets it when the portal's share of Cognito's quota is spent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from app.errors import lookup
from tests.support.browser import mfa_badge, screenshot, sign_in
from tests.support.servers import Stack, own_stack


@pytest.fixture
def scarce_stack(tmp_path: Path) -> Iterator[Stack]:
    """One place a minute for changes (UserUpdate), and no waiting for one."""
    with own_stack(
        tmp_path, COGNITO_RATE_USER_UPDATE="0.0167", COGNITO_QUOTA_WAIT_SECONDS="0"
    ) as stack:
        yield stack


def set_user_settings_calls(stack: Stack) -> int:
    stats = requests.get(f"{stack.cognito.url}/_local/stats", timeout=5).json()
    return int(stats["api"].get("SetUserSettings", 0))


def test_a_change_with_no_place_in_the_quota_says_busy_and_sends_nothing(
    page: Page, scarce_stack: Stack
) -> None:
    sign_in(page, scarce_stack.portal.url, "alice")
    page.get_by_role("button", name="Turn on SMS MFA").click()
    expect(mfa_badge(page)).to_have_text("SMS MFA: On")

    page.get_by_role("button", name="Turn off SMS MFA").click()
    page.get_by_role("button", name="Yes, turn off SMS MFA").click()
    expect(page.get_by_role("alert").first).to_have_text(lookup("portal:busy").message)
    # Shown from what the portal knows: nothing was sent, so nothing changed.
    expect(mfa_badge(page)).to_have_text("SMS MFA: On")
    assert set_user_settings_calls(scarce_stack) == 1
    screenshot(page, "busy-change")
