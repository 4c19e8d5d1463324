"""From "SMS only" to "authenticator app preferred, SMS as backup" and back, in Chromium, in a pool
with MFA optional and in one with MFA required.

The test is the person's authenticator app: it reads the key from the page as a person would (the
text, not the stand-in's API) and computes RFC 6238 codes from it. Each sign-in code must be new
(Cognito accepts a code once), so the app and the stand-in's clock move on together a step at a
time instead of the test waiting 30 seconds.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from app.errors import CATALOG
from localcognito.totp import STEP_SECONDS, code_at
from tests.e2e.test_pool_modes import start_stack
from tests.support.browser import enter_sms_code, mfa_badge, screenshot, sign_in
from tests.support.http import latest_sms_code
from tests.support.servers import Stack

MASKED_PHONE = "+1 ••• ••• 0100"
PASSWORD = "Alice-Passw0rd!"


class AuthenticatorApp:
    """The person's app: codes from the key they typed, on the stand-in's (moved) clock."""

    def __init__(self, key_as_shown: str, stack: Stack) -> None:
        self.secret = "".join(key_as_shown.split())
        self.stack = stack
        self.clock_offset = 0.0

    def code_now(self) -> str:
        return code_at(self.secret, time.time() + self.clock_offset)

    def next_code(self) -> str:
        """The code of the next time step: one not used yet."""
        requests.post(
            f"{self.stack.cognito.url}/_local/clock",
            json={"advance_seconds": STEP_SECONDS},
            timeout=5,
        ).raise_for_status()
        self.clock_offset += STEP_SECONDS
        return self.code_now()


def with_sms_mfa(seed: dict[str, Any]) -> dict[str, Any]:
    """Alice starts with SMS MFA on and preferred, as ``SetUserMFAPreference`` leaves it."""
    seed = copy.deepcopy(seed)
    for user in seed["users"]:
        if user["username"] == "alice":
            user["sms_mfa_enabled"] = True
            user["preferred_mfa"] = "SMS_MFA"
    return seed


@pytest.fixture
def stack_in_mode(tmp_path: Path) -> Iterator[Callable[[str], Stack]]:
    started: list[Stack] = []

    def start(pool_mfa: str) -> Stack:
        started.append(start_stack(tmp_path, pool_mfa, with_sms_mfa))
        return started[-1]

    yield start
    for stack in started:
        stack.portal.stop()
        stack.cognito.stop()


def texts_sent(stack: Stack) -> int:
    return len(requests.get(f"{stack.cognito.url}/_local/outbox", timeout=5).json())


def sign_out_and_in(page: Page, stack: Stack) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    sign_in(page, stack.portal.url, "alice")


def next_sign_in(page: Page):
    return page.get_by_test_id("next-sign-in")


@pytest.mark.parametrize("pool", ["optional", "required"])
def test_from_sms_only_to_an_app_preferred_with_sms_as_backup_and_back(
    page: Page, stack_in_mode, pool: str
) -> None:
    stack = stack_in_mode(pool)
    sign_in(page, stack.portal.url, "alice")
    enter_sms_code(page, latest_sms_code(stack.cognito.url, "alice"))
    expect(next_sign_in(page)).to_contain_text(f"we text a code to {MASKED_PHONE}")

    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    key = page.get_by_test_id("totp-secret").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", key), key
    app = AuthenticatorApp(key, stack)
    page.get_by_label("Name for this app").fill("Alice's phone")
    page.get_by_label("6-digit code from the app").fill(app.code_now())
    page.get_by_role("button", name="Verify and turn on").click()

    expect(page.get_by_role("status")).to_contain_text("Your authenticator app is set up")
    expect(page.get_by_test_id("authenticator-summary")).to_contain_text(
        "Sign-in texts you a code instead, because you chose texted codes first."
    )
    page.get_by_label("A code from my authenticator app").check()
    page.get_by_role("button", name="Save choice").click()
    expect(page.get_by_role("status")).to_contain_text(
        "sign-in now asks for a code from your authenticator app first"
    )
    expect(next_sign_in(page)).to_contain_text(
        "we ask for a code from your authenticator app. SMS MFA is on too"
    )
    expect(mfa_badge(page)).to_have_text("SMS MFA: On")
    expect(page.get_by_label("A code texted to " + MASKED_PHONE)).not_to_be_checked()

    # The next sign-in asks what the page says: the app's code, and no text is sent.
    texts_before = texts_sent(stack)
    sign_out_and_in(page, stack)
    expect(page.get_by_text("Enter the code from your authenticator app")).to_be_visible()
    page.get_by_label("Code").fill(app.next_code())
    page.get_by_role("button", name="Verify").click()
    expect(mfa_badge(page)).to_have_text("SMS MFA: On")
    assert texts_sent(stack) == texts_before

    # And back: remove the app; texted codes take its place.
    page.get_by_role("link", name="Remove authenticator app").click()
    expect(page.get_by_role("heading", name="Remove your authenticator app?")).to_be_visible()
    expect(page.get_by_test_id("removal-outcome")).to_contain_text(
        f"we'll text a code to {MASKED_PHONE} after your password instead"
    )
    page.get_by_role("button", name="Yes, remove the app").click()
    expect(page.get_by_role("status")).to_contain_text("Your authenticator app is removed")
    expect(next_sign_in(page)).to_contain_text(f"we text a code to {MASKED_PHONE}")
    expect(page.get_by_test_id("totp-status")).to_have_count(0)
    expect(page.get_by_role("button", name="Set up an authenticator app")).to_be_visible()

    sign_out_and_in(page, stack)
    enter_sms_code(page, latest_sms_code(stack.cognito.url, "alice"))
    expect(mfa_badge(page)).to_have_text("SMS MFA: On")


def test_a_wrong_code_is_refused_and_the_set_up_goes_on(page: Page, stack_in_mode) -> None:
    stack = stack_in_mode("optional")
    sign_in(page, stack.portal.url, "alice")
    enter_sms_code(page, latest_sms_code(stack.cognito.url, "alice"))
    page.get_by_role("button", name="Set up an authenticator app").click()
    app = AuthenticatorApp(page.get_by_test_id("totp-secret").inner_text(), stack)
    right = app.code_now()
    page.get_by_label("6-digit code from the app").fill("000000" if right != "000000" else "111111")
    page.get_by_role("button", name="Verify and turn on").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "That code didn't match your authenticator app"
    )
    screenshot(page, "authenticator-wrong-code-desktop")
    page.get_by_label("6-digit code from the app").fill(app.code_now())
    page.get_by_role("button", name="Verify and turn on").click()
    expect(page.get_by_role("status")).to_contain_text("Your authenticator app is set up")


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_set_up_by_keyboard_alone(browser: Browser, stack_in_mode, javascript: bool) -> None:
    stack = stack_in_mode("optional")
    context = browser.new_context(
        viewport={"width": 1280, "height": 860}, java_script_enabled=javascript
    )
    context.set_default_timeout(15000)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        sign_in(page, stack.portal.url, "alice")
        enter_sms_code(page, latest_sms_code(stack.cognito.url, "alice"))
        press_on(page, "Set up an authenticator app", "Enter")
        expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
        app = AuthenticatorApp(page.get_by_test_id("totp-secret").inner_text(), stack)
        copy_button = page.get_by_role("button", name="Copy key")
        expect(copy_button).to_have_count(1 if javascript else 0)
        if javascript:
            press_on(page, "Copy key", "Enter")
            expect(page.get_by_role("status")).to_have_text("Key copied.")
            assert page.evaluate("navigator.clipboard.readText()") == app.secret
        focus_by_tab(page, "Name for this app")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.name") == "code"
        page.keyboard.type(app.code_now())
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("Your authenticator app is set up")
    finally:
        context.close()


def press_on(page: Page, name: str, key: str) -> None:
    """Tab to the control whose text is ``name``, then press ``key`` on it."""
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("(document.activeElement.innerText || '').trim()") == name:
            page.keyboard.press(key)
            return
    raise AssertionError(f"Tab never reached {name!r}")


def focus_by_tab(page: Page, label: str) -> None:
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "(document.activeElement.labels && document.activeElement.labels[0] || {}).innerText"
        )
        if focused == label:
            return
    raise AssertionError(f"Tab never reached the field {label!r}")


@pytest.mark.parametrize(
    ("error", "message", "key", "set_up_goes_on"),
    [
        (
            "ExpiredCodeException",
            "Your software token has already been used once.",
            "ExpiredCodeException:totp_reused",
            True,
        ),
        (
            "InvalidParameterException",
            "User has not associated a software token.",
            "InvalidParameterException:verify_totp",
            False,
        ),
    ],
    ids=["reused", "abandoned"],
)
def test_cognito_refusing_the_code_is_said_in_plain_words(
    page: Page, stack_in_mode, error: str, message: str, key: str, set_up_goes_on: bool
) -> None:
    stack = stack_in_mode("optional")
    sign_in(page, stack.portal.url, "alice")
    enter_sms_code(page, latest_sms_code(stack.cognito.url, "alice"))
    page.get_by_role("button", name="Set up an authenticator app").click()
    app = AuthenticatorApp(page.get_by_test_id("totp-secret").inner_text(), stack)
    stack.inject("VerifySoftwareToken", error, message)
    page.get_by_label("6-digit code from the app").fill(app.code_now())
    page.get_by_role("button", name="Verify and turn on").click()
    expect(page.get_by_role("alert")).to_have_text(CATALOG[key].message)
    assert "Exception" not in page.content()
    expect(page.get_by_test_id("totp-secret")).to_have_count(1 if set_up_goes_on else 0)
    expect(page.get_by_role("button", name="Start set-up")).to_have_count(
        0 if set_up_goes_on else 1
    )
