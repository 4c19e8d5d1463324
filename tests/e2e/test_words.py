"""One name for the feature, explained once where a person first meets it, and sign-outs that say
they happened (the one for all devices only after saying what it does)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support.browser import hosted_ui_sign_in, mfa_badge
from tests.support.servers import Stack

OTHER_NAMES = re.compile(r"two-step|multi-factor authentication(?! by text message)|2fa", re.I)


def visible_text(page: Page) -> str:
    return page.locator("body").inner_text()


def test_sms_mfa_is_the_one_name_and_sign_outs_say_so(page: Page, fresh_stack: Stack) -> None:
    page.goto(fresh_stack.portal.url)
    expect(page).to_have_title(re.compile("^Protect your account with SMS MFA"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Protect your account with SMS MFA")
    expect(
        page.get_by_text("SMS MFA (multi-factor authentication by text message)")
    ).to_be_visible()
    assert not OTHER_NAMES.search(visible_text(page))

    page.get_by_role("link", name="Sign in").click()
    hosted_ui_sign_in(page, "alice", "Alice-Passw0rd!")
    expect(page.get_by_role("heading", level=1)).to_have_text("SMS MFA")
    expect(page).to_have_title(re.compile("^SMS MFA is off"))
    assert not OTHER_NAMES.search(visible_text(page))
    assert "multi-factor" not in visible_text(page).lower(), "explained once, on the start page"

    page.get_by_role("button", name="Sign out of all devices").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign out of all devices?")
    expect(page.get_by_text("including other browsers and phones")).to_be_visible()
    page.get_by_role("link", name="Stay signed in").click()
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Protect your account with SMS MFA")
    expect(page.get_by_role("status")).to_have_text("You're signed out.")

    page.get_by_role("link", name="Sign in").click()
    hosted_ui_sign_in(page, "alice", "Alice-Passw0rd!")
    page.get_by_role("button", name="Sign out of all devices").click()
    page.get_by_role("button", name="Sign out of all devices").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Protect your account with SMS MFA")
    expect(page.get_by_role("status")).to_have_text("You're signed out on all your devices.")
