"""A person turns SMS MFA on and off through the hosted UI and /settings/mfa."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support.browser import enter_sms_code, hosted_ui_sign_in, mfa_badge, screenshot, sign_in
from tests.support.http import latest_sms_code
from tests.support.servers import Stack


def test_alice_turns_sms_mfa_on_then_must_enter_a_code_then_turns_it_off(
    page: Page, fresh_stack: Stack
) -> None:
    page.goto(fresh_stack.portal.url)
    screenshot(page, "landing")
    page.get_by_role("link", name="Sign in").click()
    screenshot(page, "hosted-ui-sign-in")
    hosted_ui_sign_in(page, "alice", "Alice-Passw0rd!")

    expect(page).to_have_url(re.compile(r"/settings/mfa$"))
    expect(page.get_by_text("Signed in as")).to_contain_text("alice")
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")
    expect(page.get_by_test_id("masked-phone")).to_have_text("+1 ••• ••• 0100")
    screenshot(page, "mfa-off")

    page.get_by_role("button", name="Turn on SMS MFA").click()
    expect(page.get_by_role("status")).to_contain_text("SMS MFA is now on")
    expect(mfa_badge(page)).to_have_text("SMS MFA: On")
    screenshot(page, "mfa-on")

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("heading", name="Protect your account with SMS MFA")).to_be_visible()

    sign_in(page, fresh_stack.portal.url, "alice")
    screenshot(page, "hosted-ui-sms-code")
    right = latest_sms_code(fresh_stack.cognito.url, "alice")
    enter_sms_code(page, "000000" if right != "000000" else "111111")
    expect(page.get_by_role("alert")).to_be_visible()
    enter_sms_code(page, latest_sms_code(fresh_stack.cognito.url, "alice"))
    expect(mfa_badge(page)).to_have_text("SMS MFA: On")

    page.get_by_role("button", name="Turn off SMS MFA").click()
    expect(page.get_by_role("heading", name="Turn off SMS MFA?")).to_be_visible()
    screenshot(page, "mfa-confirm-off")
    page.get_by_role("button", name="Yes, turn off SMS MFA").click()
    expect(page.get_by_role("status")).to_contain_text("SMS MFA is now off")
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")


def test_bob_without_a_phone_is_told_why_and_nothing_changes(
    page: Page, fresh_stack: Stack
) -> None:
    sign_in(page, fresh_stack.portal.url, "bob")
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")
    expect(page.get_by_text("SMS MFA needs a phone number")).to_be_visible()
    expect(page.get_by_role("button", name="Turn on SMS MFA")).to_have_count(0)
    screenshot(page, "mfa-no-phone")

    # A crafted request (the button is not offered) is refused before any Cognito call.
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    response = page.request.post(
        f"{fresh_stack.portal.url}/settings/mfa",
        form={"csrf_token": token or "", "enable": "on"},
    )
    assert response.ok
    page.reload()
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")


def test_injected_cognito_errors_show_their_message_and_change_nothing(
    page: Page, fresh_stack: Stack
) -> None:
    sign_in(page, fresh_stack.portal.url, "alice")
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")

    fresh_stack.inject("SetUserSettings", "ForbiddenException", "Request blocked by AWS WAF")
    page.get_by_role("button", name="Turn on SMS MFA").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "The sign-in service refused this request for security reasons. Nothing was changed."
    )
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")
    screenshot(page, "error-forbidden")

    fresh_stack.inject("SetUserSettings", "InternalErrorException", "Internal error", times=5)
    page.get_by_role("button", name="Turn on SMS MFA").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "The sign-in service had a problem. Nothing was changed."
    )
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")
    screenshot(page, "error-internal")
