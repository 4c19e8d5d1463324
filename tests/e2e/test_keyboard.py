"""SMS MFA can be turned on and off with the keyboard alone (Tab, Shift+Tab, Enter, Space), with
JavaScript and without it; every focused control shows a visible focus indicator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import mfa_badge
from tests.support.servers import Stack

FOCUSED_NAME = """() => {
  const el = document.activeElement;
  return (el.innerText || el.value || '').trim();
}"""
FOCUS_VISIBLE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return el.matches(':focus-visible') && style.outlineStyle !== 'none'
    && parseFloat(style.outlineWidth) >= 2;
}"""


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def keyboard_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 860}, java_script_enabled=request.param
    )
    context.set_default_timeout(15000)
    yield context.new_page()
    context.close()


def tab_to(page: Page, name: str, *, backwards: bool = False, limit: int = 25) -> None:
    """Press Tab (or Shift+Tab) until the control called ``name`` has a visible focus."""
    key = "Shift+Tab" if backwards else "Tab"
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        focused = page.evaluate(FOCUSED_NAME)
        seen.append(focused)
        if focused == name:
            assert page.evaluate(FOCUS_VISIBLE), f"{name!r} has no visible focus indicator"
            return
    raise AssertionError(f"{key} never reached {name!r}; focus went through {seen}")


def test_turn_sms_mfa_on_and_off_with_the_keyboard_only(
    keyboard_page: Page, fresh_stack: Stack
) -> None:
    page = keyboard_page
    page.goto(f"{fresh_stack.portal.url}/settings/mfa")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("Alice-Passw0rd!")
    page.get_by_label("Password").press("Enter")
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")

    # The first stop is the skip link; following it puts the next Tab inside the main content.
    tab_to(page, "Skip to main content", limit=1)
    page.keyboard.press("Enter")
    tab_to(page, "Turn on SMS MFA", limit=3)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("SMS MFA is now on")
    expect(mfa_badge(page)).to_have_text("SMS MFA: On")

    tab_to(page, "Turn off SMS MFA")
    page.keyboard.press("Space")
    expect(page.get_by_role("heading", name="Turn off SMS MFA?")).to_be_visible()
    expect(page.get_by_text("anyone who learns your password can sign in")).to_be_visible()

    tab_to(page, "Keep it on")
    tab_to(page, "Yes, turn off SMS MFA", backwards=True, limit=1)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("SMS MFA is now off")
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")
