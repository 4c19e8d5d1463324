"""Every page state passes axe-core's WCAG 2.x A/AA rules in light and dark mode, phone and desktop.

Each person signs in once per module (a module-scoped browser context); every state is then
checked in the four theme/width combinations by re-emulating the same page. The README's
screenshots are taken here (``MFA_PORTAL_UPDATE_SCREENSHOTS=1`` copies them to docs/screenshots/);
``MFA_PORTAL_SCREENSHOT_ALL=1`` saves every state in every mode to test-artifacts/ for review.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Browser, BrowserContext, Page, expect

from localcognito.server import LocalCognito
from localcognito.totp import code_at
from tests.support.browser import SCREENSHOTS, hosted_ui_sign_in, mfa_badge, screenshot, sign_in
from tests.support.http import backdate_next_sign_in, latest_sms_code
from tests.support.servers import PortalServer, Stack, free_port, gunicorn_env, seed_for

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
#: (theme, width): the four combinations every state is checked in.
MODES = [("light", 1280), ("dark", 1280), ("light", 360), ("dark", 360)]
#: The few screenshots the README shows: state -> [(theme, width, file name)].
README_SHOTS = {
    "landing": [("light", 1280, "landing-desktop")],
    "mfa-off": [("light", 1280, "mfa-off-desktop")],
    "mfa-on": [("light", 1280, "mfa-on-desktop"), ("dark", 360, "mfa-on-phone-dark")],
    "phone-verify": [("light", 360, "phone-verify-phone")],
    "notice-error": [("dark", 1280, "error-notice-desktop-dark")],
}
#: The new pages' screenshots, saved to test-artifacts/screenshots/ for review on every run.
REVIEW_SHOTS = {
    "authenticator-setup": [
        ("light", 1280, "authenticator-setup-desktop"),
        ("dark", 360, "authenticator-setup-phone-dark"),
    ],
    "mfa-authenticator-and-sms": [
        ("light", 1280, "mfa-authenticator-and-sms-desktop"),
        ("dark", 360, "mfa-authenticator-and-sms-phone-dark"),
    ],
    "authenticator-remove": [("light", 1280, "authenticator-remove-desktop")],
}
SCREENSHOT_ALL = os.environ.get("MFA_PORTAL_SCREENSHOT_ALL") == "1"


class AxeAudit:
    """Runs axe on the current page in every mode and remembers what failed, by state and mode."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.checked: list[str] = []

    def check(self, page: Page, state: str) -> None:
        for theme, width in MODES:
            page.emulate_media(color_scheme=theme)  # type: ignore[arg-type]
            page.set_viewport_size({"width": width, "height": 860})
            if not page.evaluate("() => typeof window.axe === 'object'"):
                page.evaluate(AXE_SCRIPT)
            result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
            for violation in result["violations"]:
                targets = [", ".join(node["target"]) for node in violation["nodes"]]
                self.failures.append(
                    f"{state} [{theme} {width}px] {violation['id']}: {violation['help']} "
                    f"-> {targets}"
                )
            for shot_theme, shot_width, name in README_SHOTS.get(state, []):
                if (shot_theme, shot_width) == (theme, width):
                    screenshot(page, name)
            for shot_theme, shot_width, name in REVIEW_SHOTS.get(state, []):
                if (shot_theme, shot_width) == (theme, width):
                    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
            if SCREENSHOT_ALL:
                screenshot(page, f"a11y-{state}-{theme}-{width}")
        page.emulate_media(color_scheme="light")
        page.set_viewport_size({"width": 1280, "height": 860})
        self.checked.append(state)

    def assert_clean(self) -> None:
        assert not self.failures, "axe found WCAG violations:\n" + "\n".join(self.failures)


@pytest.fixture(scope="module")
def context(browser: Browser, stack: Stack) -> Iterator[BrowserContext]:
    stack.reset()
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(15000)
    yield context
    context.close()
    stack.clear_faults()


@pytest.fixture
def audit() -> Iterator[AxeAudit]:
    audit = AxeAudit()
    yield audit
    audit.assert_clean()


def new_signed_in_page(context: BrowserContext, stack: Stack, username: str) -> Page:
    context.clear_cookies()
    page = context.new_page()
    sign_in(page, stack.portal.url, username)
    expect(mfa_badge(page)).to_be_visible()
    return page


def test_signed_out_pages(context: BrowserContext, stack: Stack, audit: AxeAudit) -> None:
    page = context.new_page()
    page.goto(stack.portal.url)
    expect(page).to_have_title(re.compile("^Protect your account"))
    audit.check(page, "landing")
    page.goto(f"{stack.portal.url}/nope")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    audit.check(page, "not-found-signed-out")
    page.close()


def test_alice_mfa_states_notices_and_error_pages(
    context: BrowserContext, stack: Stack, audit: AxeAudit
) -> None:
    page = new_signed_in_page(context, stack, "alice")
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")
    expect(page).to_have_title(re.compile("^SMS MFA is off"))
    audit.check(page, "mfa-off")

    stack.inject("SetUserSettings", "ForbiddenException", "Request blocked by AWS WAF")
    page.get_by_role("button", name="Turn on SMS MFA").click()
    expect(page.locator(".notice-error")).to_be_visible()
    audit.check(page, "notice-error")

    stack.inject("SetUserSettings", "InternalErrorException", "Internal error", times=5)
    page.get_by_role("button", name="Turn on SMS MFA").click()
    expect(page.locator(".notice-warning")).to_be_visible()
    audit.check(page, "notice-warning")
    stack.clear_faults()

    page.get_by_role("button", name="Turn on SMS MFA").click()
    expect(page.get_by_role("status")).to_contain_text("SMS MFA is now on")
    expect(mfa_badge(page)).to_have_text("SMS MFA: On")
    audit.check(page, "mfa-on")

    page.get_by_role("button", name="Turn off SMS MFA").click()
    expect(page.get_by_role("heading", name="Turn off SMS MFA?")).to_be_visible()
    audit.check(page, "confirm-off")

    page.locator("input[name=csrf_token]").last.evaluate("input => { input.value = 'stale' }")
    page.get_by_role("button", name="Yes, turn off SMS MFA").click()
    expect(page.get_by_role("heading", name="This form has expired")).to_be_visible()
    audit.check(page, "csrf-expired")

    page.goto(f"{stack.portal.url}/nope")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    audit.check(page, "not-found")

    # Turning off drops the remembered status, so the page after reads it: and can't.
    page.goto(f"{stack.portal.url}/settings/mfa")
    page.get_by_role("button", name="Turn off SMS MFA").click()
    stack.inject("GetUser", "InternalErrorException", "Internal error", times=5)
    with page.expect_response(
        lambda r: r.url.endswith("/settings/mfa") and r.request.method == "GET"
    ) as shown:
        page.get_by_role("button", name="Yes, turn off SMS MFA").click()
    assert shown.value.status == 503
    expect(page.get_by_role("alert")).to_contain_text("The sign-in service had a problem")
    audit.check(page, "settings-unavailable")
    stack.clear_faults()

    # A failure that ends the session lands on the start page with a "Sign in again" link.
    stack.inject("GetUser", "NotAuthorizedException", "Access Token has been revoked")
    page.goto(f"{stack.portal.url}/settings/mfa")
    expect(page.get_by_role("link", name="Sign in again")).to_be_visible()
    audit.check(page, "signed-out-notice")
    stack.clear_faults()
    page.close()


def test_bob_phone_steps(context: BrowserContext, stack: Stack, audit: AxeAudit) -> None:
    page = new_signed_in_page(context, stack, "bob")
    expect(page.get_by_test_id("why-not")).to_be_visible()
    audit.check(page, "mfa-no-phone")

    page.get_by_role("link", name="Add a phone number").click()
    expect(page.get_by_role("heading", name="Add a phone number")).to_be_visible()
    audit.check(page, "phone-add")

    page.get_by_label("Mobile phone number").fill("555-01")
    page.get_by_role("button", name="Save and text me a code").click()
    expect(page.get_by_label("Mobile phone number")).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_title(re.compile("^Error: "))
    audit.check(page, "phone-invalid")

    page.get_by_label("Mobile phone number").fill("(202) 555-0143")
    page.get_by_role("button", name="Save and text me a code").click()
    expect(page.get_by_role("heading", name="Verify your phone number")).to_be_visible()
    audit.check(page, "phone-verify")

    code = latest_sms_code(stack.cognito.url, "bob")
    page.get_by_label("Verification code").fill("111111" if code != "111111" else "222222")
    page.get_by_role("button", name="Verify number").click()
    expect(page.get_by_role("alert")).to_contain_text("That code isn't right")
    audit.check(page, "phone-wrong-code")

    page.goto(f"{stack.portal.url}/settings/mfa")
    expect(page.get_by_test_id("why-not")).to_contain_text("once your phone number is verified")
    audit.check(page, "mfa-unverified-phone")

    page.goto(f"{stack.portal.url}/settings/phone/verify")
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Verify number").click()
    expect(page.get_by_role("status")).to_contain_text("Your phone number is verified")
    audit.check(page, "phone-verified")
    page.close()


def test_authenticator_app_pages(context: BrowserContext, stack: Stack, audit: AxeAudit) -> None:
    stack.reset()  # Alice with nothing on, and the stand-in's authenticator clock at the time
    page = new_signed_in_page(context, stack, "alice")
    page.goto(f"{stack.portal.url}/settings/authenticator")
    expect(page.get_by_role("button", name="Start set-up")).to_be_visible()
    audit.check(page, "authenticator-start")

    page.get_by_role("button", name="Start set-up").click()
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    audit.check(page, "authenticator-setup")

    secret = "".join(page.get_by_test_id("totp-secret").inner_text().split())
    right = code_at(secret, time.time())
    page.get_by_label("6-digit code from the app").fill("000000" if right != "000000" else "111111")
    page.get_by_role("button", name="Verify and turn on").click()
    expect(page.get_by_role("alert")).to_contain_text("That code didn't match")
    audit.check(page, "authenticator-wrong-code")

    page.get_by_label("6-digit code from the app").fill(code_at(secret, time.time()))
    page.get_by_role("button", name="Verify and turn on").click()
    expect(page.get_by_role("status")).to_contain_text("Your authenticator app is set up")
    audit.check(page, "mfa-authenticator-only")

    page.get_by_role("button", name="Turn on SMS MFA").click()
    expect(page.get_by_role("group", name="When you sign in, ask for")).to_be_visible()
    audit.check(page, "mfa-authenticator-and-sms")

    page.get_by_role("link", name="Remove authenticator app").click()
    expect(page.get_by_role("heading", name="Remove your authenticator app?")).to_be_visible()
    audit.check(page, "authenticator-remove")


def test_carol_signs_in_again_confirms_and_signs_out(
    context: BrowserContext, stack: Stack, audit: AxeAudit
) -> None:
    backdate_next_sign_in(stack.cognito, "carol", 3600)
    page = new_signed_in_page(context, stack, "carol")
    page.get_by_role("button", name="Sign out of all devices").click()
    expect(
        page.get_by_role("heading", name="Sign in again to sign out of all devices")
    ).to_be_visible()
    audit.check(page, "sign-in-again")

    page.get_by_role("link", name="Sign in again").click()
    expect(page.get_by_role("banner")).to_contain_text("Local Cognito stand-in")
    audit.check(page, "hosted-ui-sign-in")
    hosted_ui_sign_in(page, "carol", "not-her-password")
    expect(page.get_by_role("alert")).to_have_text("Incorrect username or password.")
    audit.check(page, "hosted-ui-error")
    hosted_ui_sign_in(page, "carol", "Carol-Passw0rd!")
    expect(page.get_by_test_id("pending-change")).to_be_focused()
    audit.check(page, "pending-change")
    page.get_by_test_id("pending-change").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("status")).to_have_text("Nothing was changed.")

    page.get_by_role("button", name="Sign out of all devices").click()
    expect(page.get_by_role("heading", name="Sign out of all devices?")).to_be_visible()
    audit.check(page, "confirm-sign-out-everywhere")
    page.get_by_role("link", name="Stay signed in").click()

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("You're signed out.")
    audit.check(page, "signed-out")
    page.close()


@pytest.fixture(scope="module", autouse=True)
def strict_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Future[PortalServer]]:
    """A second portal whose sign-in limit is one per minute, with its own stand-in.

    Gunicorn takes seconds to boot, so it starts in the background while the other tests run.
    """
    tmp: Path = tmp_path_factory.mktemp("strict")
    port = free_port()
    cognito = LocalCognito(seed_for(f"http://127.0.0.1:{port}")).start()
    env = gunicorn_env(cognito, port, tmp, RATE_LIMIT_SIGNIN="1 per minute", WEB_CONCURRENCY="1")
    portal = PortalServer(env, port, tmp / "portal.log")
    with ThreadPoolExecutor(max_workers=1) as pool:
        starting = pool.submit(portal.start)
        try:
            yield starting
        finally:
            starting.exception()
            portal.stop(signal.SIGINT)
            cognito.stop()


def test_too_many_requests_page(
    context: BrowserContext, strict_portal: Future[PortalServer], audit: AxeAudit
) -> None:
    portal = strict_portal.result(timeout=60)
    page = context.new_page()
    page.goto(f"{portal.url}/login")
    expect(page.get_by_label("Username")).to_be_visible()
    response = page.goto(f"{portal.url}/login")
    assert response is not None and response.status == 429
    expect(page.get_by_role("heading", name="Too many attempts")).to_be_visible()
    audit.check(page, "too-many-requests")
    page.close()
