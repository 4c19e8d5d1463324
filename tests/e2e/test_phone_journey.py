"""Adding, verifying and changing the phone number that SMS MFA uses."""

from __future__ import annotations

import requests
from playwright.sync_api import Page, expect

from tests.support.browser import mfa_badge, screenshot, sign_in
from tests.support.http import latest_sms_code
from tests.support.servers import Stack


def api_calls(stack: Stack) -> dict[str, int]:
    """What the portal asked of Cognito other than reading the account (a refused form shows
    the page again, with the person's number read afresh)."""
    calls = requests.get(f"{stack.cognito.url}/_local/stats", timeout=5).json()["api"]
    return {operation: n for operation, n in calls.items() if operation != "GetUser"}


def test_bob_adds_a_number_verifies_it_and_turns_on_sms_mfa(page: Page, fresh_stack: Stack) -> None:
    sign_in(page, fresh_stack.portal.url, "bob")
    page.get_by_role("link", name="Add a phone number").click()
    expect(page.get_by_role("heading", name="Add a phone number")).to_be_visible()
    expect(page.get_by_label("Country")).to_have_value("US")
    page.get_by_label("Mobile phone number").fill("(202) 555-0143")
    screenshot(page, "phone-add")
    page.get_by_role("button", name="Save and text me a code").click()

    expect(page.get_by_role("heading", name="Verify your phone number")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("+1 ••• ••• 0143")
    code = latest_sms_code(fresh_stack.cognito.url, "bob")
    wrong = "111111" if code != "111111" else "222222"
    page.get_by_label("Verification code").fill(wrong)
    page.get_by_role("button", name="Verify number").click()
    expect(page.get_by_role("alert")).to_contain_text("That code isn't right. Nothing was changed.")
    screenshot(page, "phone-wrong-code")

    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Verify number").click()
    expect(page.get_by_role("status")).to_contain_text("Your phone number is verified")
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")
    page.get_by_role("button", name="Turn on SMS MFA").click()
    expect(mfa_badge(page)).to_have_text("SMS MFA: On")
    expect(page.get_by_test_id("masked-phone")).to_have_text("+1 ••• ••• 0143")


def test_carol_verifies_her_existing_number_then_turns_it_on(
    page: Page, fresh_stack: Stack
) -> None:
    sign_in(page, fresh_stack.portal.url, "carol")
    expect(page.get_by_test_id("why-not")).to_contain_text("once your phone number is verified")
    expect(page.get_by_role("button", name="Turn on SMS MFA")).to_have_count(0)
    screenshot(page, "mfa-unverified-phone")
    page.get_by_role("button", name="Verify this number").click()
    expect(page.get_by_role("heading", name="Verify your phone number")).to_be_visible()
    # One mask for her number, and no word of earlier codes: none had been sent.
    expect(page.get_by_role("status")).to_have_text("We texted a code to +1 ••• ••• 0123.")
    expect(page.get_by_text("+*******0123")).to_have_count(0)
    expect(page.get_by_text("earlier")).to_have_count(0)
    page.get_by_label("Verification code").fill(latest_sms_code(fresh_stack.cognito.url, "carol"))
    page.get_by_role("button", name="Verify number").click()
    expect(page.get_by_text("Verified", exact=True)).to_be_visible()
    page.get_by_role("button", name="Turn on SMS MFA").click()
    expect(mfa_badge(page)).to_have_text("SMS MFA: On")


def test_an_impossible_number_is_refused_before_any_cognito_call(
    page: Page, fresh_stack: Stack
) -> None:
    sign_in(page, fresh_stack.portal.url, "bob", path="/settings/phone")
    before = api_calls(fresh_stack)
    page.get_by_label("Mobile phone number").fill("555-01")
    page.get_by_role("button", name="Save and text me a code").click()
    expect(page.get_by_role("alert")).to_contain_text("too short")
    field = page.get_by_label("Mobile phone number")
    expect(field).to_have_attribute("aria-invalid", "true")
    screenshot(page, "phone-invalid")
    after = api_calls(fresh_stack)
    assert after == before, "an invalid number must not reach Cognito"


def test_bob_is_told_which_letters_and_which_kind_of_number_he_typed(
    page: Page, fresh_stack: Stack
) -> None:
    """``202-555-abcd`` was read as keypad digits and texted; ``(202) 555-O143`` (the letter O)
    was called too short; a premium-rate number was texted."""
    sign_in(page, fresh_stack.portal.url, "bob", path="/settings/phone")
    before = api_calls(fresh_stack)
    field = page.get_by_label("Mobile phone number")
    for typed, told in (
        ("202-555-abcd", "Phone numbers can't contain letters (a, b, c, d)."),
        ("(202) 555-O143", "Phone numbers can't contain letters (O)."),
        ("+1 900 555 0143", "That's a premium-rate number: we can only text mobile numbers."),
    ):
        field.fill(typed)
        page.get_by_role("button", name="Save and text me a code").click()
        expect(page.get_by_role("alert")).to_contain_text(told)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_value(typed)
    assert api_calls(fresh_stack) == before, "no refused number may reach Cognito"

    field.fill("(202) 555-0143")
    page.get_by_role("button", name="Save and text me a code").click()
    expect(page.get_by_role("heading", name="Verify your phone number")).to_be_visible()


def test_a_typo_while_changing_the_number_keeps_the_page_and_its_warning(
    page: Page, fresh_stack: Stack
) -> None:
    """With SMS MFA on, a typo once turned "Change your phone number" into "Add a phone number",
    and the current number and the lockout warning vanished exactly when they mattered."""
    sign_in(page, fresh_stack.portal.url, "alice")
    page.get_by_role("button", name="Turn on SMS MFA").click()
    expect(mfa_badge(page)).to_have_text("SMS MFA: On")
    page.get_by_role("link", name="Change phone number").click()
    heading = page.get_by_role("heading", name="Change your phone number")
    warning = page.get_by_text("you could be locked out")
    expect(heading).to_be_visible()
    expect(warning).to_be_visible()
    page.get_by_label("Mobile phone number").fill("(202) 555-01")
    page.get_by_role("button", name="Save and text me a code").click()
    expect(page.get_by_role("alert")).to_contain_text("too short")
    expect(heading).to_be_visible()
    expect(warning).to_be_visible()
    expect(page.get_by_text("+1 ••• ••• 0100")).to_be_visible()
    screenshot(page, "phone-change-typo")
