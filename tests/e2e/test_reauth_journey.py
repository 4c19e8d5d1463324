"""A change asked for after the fresh-sign-in window is never dropped: the portal says why it
must sign the person in again, and once they are back it asks them to confirm that same change.

The sign-in is made stale without waiting: the stand-in backdates the next sign-in's
``auth_time`` past the portal's ``FRESH_SIGNIN_SECONDS`` (``POST /_local/sign-ins/backdate``).
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.support.browser import (
    enter_sms_code,
    hosted_ui_sign_in,
    mfa_badge,
    sign_in,
    turn_sms_mfa_on_and_sign_out,
)
from tests.support.http import backdate_next_sign_in, latest_sms_code
from tests.support.servers import Stack

#: Older than the portal's window (FRESH_SIGNIN_SECONDS, 300 by default).
STALE_SECONDS = 3600


def sign_in_stale(page: Page, stack: Stack, username: str) -> None:
    backdate_next_sign_in(stack.cognito, username, STALE_SECONDS)
    sign_in(page, stack.portal.url, username)


def test_alice_turns_sms_mfa_off_after_the_window_and_confirms_once_back(
    page: Page, fresh_stack: Stack
) -> None:
    turn_sms_mfa_on_and_sign_out(page, fresh_stack.portal.url, "alice")

    sign_in_stale(page, fresh_stack, "alice")
    enter_sms_code(page, latest_sms_code(fresh_stack.cognito.url, "alice"))
    expect(mfa_badge(page)).to_have_text("SMS MFA: On")

    page.get_by_role("button", name="Turn off SMS MFA").click()
    # Before leaving for the hosted UI: why, for this action, and that nothing changed yet.
    expect(page).to_have_url(re.compile(r"/sign-in-again$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in again to turn off SMS MFA")
    expect(page.get_by_test_id("why-sign-in-again")).to_contain_text(
        "For your security, sign in again to turn off SMS MFA."
    )
    expect(page.get_by_text("Nothing has been changed yet.")).to_be_visible()
    page.get_by_role("link", name="Sign in again").click()

    hosted_ui_sign_in(page, "alice", "Alice-Passw0rd!")
    enter_sms_code(page, latest_sms_code(fresh_stack.cognito.url, "alice"))
    expect(page).to_have_url(re.compile(r"/settings/mfa$"))
    confirmation = page.get_by_test_id("pending-change")
    expect(confirmation).to_be_focused()
    expect(confirmation.get_by_role("heading")).to_have_text("Turn off SMS MFA?")
    expect(mfa_badge(page)).to_have_text("SMS MFA: On")  # coming back changed nothing by itself

    confirmation.get_by_role("button", name="Yes, turn off SMS MFA").click()
    expect(page.get_by_role("status")).to_contain_text("SMS MFA is now off")
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")
    expect(page.get_by_test_id("pending-change")).to_have_count(0)


def test_bob_adds_a_number_after_the_window_and_confirms_it_on_the_phone_page(
    page: Page, fresh_stack: Stack
) -> None:
    sign_in_stale(page, fresh_stack, "bob")
    page.get_by_role("link", name="Add a phone number").click()
    page.get_by_label("Mobile phone number").fill("(202) 555-0143")
    page.get_by_role("button", name="Save and text me a code").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Sign in again to change your phone number"
    )
    page.get_by_role("link", name="Sign in again").click()
    hosted_ui_sign_in(page, "bob", "Bob-Passw0rd!")

    expect(page).to_have_url(re.compile(r"/settings/phone$"))
    confirmation = page.get_by_test_id("pending-change")
    expect(confirmation).to_be_focused()
    expect(confirmation).to_contain_text("We'll save (202) 555-0143 and text a 6-digit code to it.")
    confirmation.get_by_role("button", name="Save and text me a code").click()
    expect(page.get_by_role("heading", name="Verify your phone number")).to_be_visible()
    assert latest_sms_code(fresh_stack.cognito.url, "bob")


def test_cancelling_before_the_hosted_ui_changes_nothing(page: Page, fresh_stack: Stack) -> None:
    sign_in_stale(page, fresh_stack, "alice")
    page.get_by_role("button", name="Turn on SMS MFA").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in again to turn on SMS MFA")
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("status")).to_have_text("Nothing was changed.")
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")
    expect(page.get_by_test_id("pending-change")).to_have_count(0)


def test_bob_signs_out_of_all_devices_after_the_window(
    browser: Browser, page: Page, fresh_stack: Stack
) -> None:
    other_device = browser.new_context()
    try:
        phone = other_device.new_page()
        sign_in(phone, fresh_stack.portal.url, "bob")
        expect(mfa_badge(phone)).to_be_visible()

        sign_in_stale(page, fresh_stack, "bob")
        page.get_by_role("button", name="Sign out of all devices").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Sign in again to sign out of all devices"
        )
        page.get_by_role("link", name="Sign in again").click()
        hosted_ui_sign_in(page, "bob", "Bob-Passw0rd!")

        confirmation = page.get_by_test_id("pending-change")
        expect(confirmation).to_be_focused()
        expect(confirmation.get_by_role("heading")).to_have_text("Sign out of all devices?")
        confirmation.get_by_role("button", name="Sign out of all devices").click()

        expect(
            page.get_by_role("heading", name="Protect your account with SMS MFA")
        ).to_be_visible()
        expect(page.get_by_role("status")).to_have_text("You're signed out on all your devices.")
        phone.goto(f"{fresh_stack.portal.url}/settings/mfa")
        expect(phone.get_by_role("link", name="Sign in again")).to_be_visible()
    finally:
        other_device.close()
