"""The stand-in's hosted UI as a demo user meets it: plainly styled, clearly not the real
Cognito, and locking the user out after wrong SMS codes as Cognito does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from localcognito.lockout import LOCKED_OUT_MESSAGE, lockout_seconds
from tests.support.browser import (
    enter_sms_code,
    hosted_ui_sign_in,
    mfa_badge,
    sign_in,
    turn_sms_mfa_on_and_sign_out,
)
from tests.support.http import latest_sms_code
from tests.support.servers import Stack


class FrozenClock:
    def __init__(self) -> None:
        self.now = 2_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def lockout_clock(fresh_stack: Stack) -> Iterator[FrozenClock]:
    """The stand-in's lockout on a clock the test moves, put back afterwards."""
    state = fresh_stack.cognito.state
    assert state is not None
    clock = FrozenClock()
    real_clock, state.lockout.clock = state.lockout.clock, clock
    try:
        yield clock
    finally:
        state.lockout.clock = real_clock
        fresh_stack.reset()


def test_the_sign_in_page_says_it_is_the_stand_in_with_its_own_stylesheet(
    page: Page, fresh_stack: Stack
) -> None:
    page.goto(f"{fresh_stack.portal.url}/settings/mfa")
    banner = page.get_by_role("banner")
    expect(banner).to_contain_text("Local Cognito stand-in")
    expect(banner).to_contain_text("not Amazon Cognito")
    expect(page).to_have_title("Sign in - Local Cognito stand-in")
    expect(page.locator("style, [style]")).to_have_count(0)
    expect(page.locator('link[rel="stylesheet"]')).to_have_attribute("href", "/local-cognito.css")
    assert banner.evaluate("el => getComputedStyle(el).borderBottomStyle") == "dashed"
    sign_in_button = page.get_by_role("button", name="Sign in")
    background = sign_in_button.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "rgb(239, 239, 239)"), "styled, not default"


def test_alice_is_locked_out_after_five_wrong_sms_codes(
    page: Page, fresh_stack: Stack, lockout_clock: FrozenClock
) -> None:
    turn_sms_mfa_on_and_sign_out(page, fresh_stack.portal.url, "alice")

    sign_in(page, fresh_stack.portal.url, "alice")
    right = latest_sms_code(fresh_stack.cognito.url, "alice")
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(4):
        enter_sms_code(page, wrong)
        expect(page.get_by_role("alert")).to_have_text(
            "Invalid code received for user. Please try again."
        )
    enter_sms_code(page, wrong)
    expect(page.get_by_role("alert")).to_have_text(LOCKED_OUT_MESSAGE)
    expect(page.get_by_label("Password")).to_be_visible()

    hosted_ui_sign_in(page, "alice", "Alice-Passw0rd!")
    expect(page.get_by_role("alert")).to_have_text(LOCKED_OUT_MESSAGE)

    lockout_clock.now += lockout_seconds(5)
    hosted_ui_sign_in(page, "alice", "Alice-Passw0rd!")
    enter_sms_code(page, latest_sms_code(fresh_stack.cognito.url, "alice"))
    expect(mfa_badge(page)).to_have_text("SMS MFA: On")
