"""Alice's settings over https, through nginx, in Chromium: the installed portal as it runs."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import BrowserContext, Page, Response, expect

from tests.support.browser import hosted_ui_sign_in, mfa_badge
from tests.support.deployment import Deployment

pytestmark = [pytest.mark.deploy, pytest.mark.e2e]

NewContext = Callable[[], BrowserContext]
LANDING_HEADING = "Protect your account with SMS MFA"
ASSETS = ("/static/css/portal.css", "/static/js/focus.js")


@dataclass
class Traffic:
    """Every response the portal (behind nginx) gave one browser context."""

    origin: str
    seen: list[Response] = field(default_factory=list)

    def record(self, response: Response) -> None:
        if response.url.startswith(f"{self.origin}/"):
            self.seen.append(response)

    def statuses(self, method: str) -> list[tuple[str, int]]:
        return [(r.url, r.status) for r in self.seen if r.request.method == method]

    def status_of(self, path: str) -> int | None:
        return next((r.status for r in self.seen if r.url == f"{self.origin}{path}"), None)


def open_page(new_context: NewContext, deployment: Deployment) -> tuple[Page, Traffic]:
    context = new_context()
    traffic = Traffic(deployment.url)
    context.on("response", traffic.record)
    return context.new_page(), traffic


def sign_in(page: Page, deployment: Deployment) -> None:
    page.goto(f"{deployment.url}/")
    page.get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(deployment.cognito.url)}/"))
    hosted_ui_sign_in(page, "alice", "Alice-Passw0rd!")
    expect(page).to_have_url(f"{deployment.url}/settings/mfa")
    expect(page.get_by_text("Signed in as")).to_contain_text("alice")


def turn_sms_mfa_on_then_off(page: Page) -> None:
    page.get_by_role("button", name="Turn on SMS MFA").click()
    expect(page.get_by_role("status")).to_contain_text("SMS MFA is now on")
    expect(mfa_badge(page)).to_have_text("SMS MFA: On")
    page.get_by_role("button", name="Turn off SMS MFA").click()
    expect(page.get_by_role("heading", name="Turn off SMS MFA?")).to_be_visible()
    page.get_by_role("button", name="Yes, turn off SMS MFA").click()
    expect(page.get_by_role("status")).to_contain_text("SMS MFA is now off")
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")


def change_phone_number(page: Page, deployment: Deployment) -> None:
    page.get_by_role("link", name="Change phone number").click()
    expect(page.get_by_role("heading", name="Change your phone number")).to_be_visible()
    page.get_by_label("Mobile phone number").fill("(202) 555-0143")
    page.get_by_role("button", name="Save and text me a code").click()
    expect(page.get_by_role("heading", name="Verify your phone number")).to_be_visible()
    page.get_by_label("Verification code").fill(deployment.latest_code("alice"))
    page.get_by_role("button", name="Verify number").click()
    expect(page.get_by_role("status")).to_contain_text("Your phone number is verified")
    expect(page.get_by_test_id("masked-phone")).to_have_text("+1 ••• ••• 0143")


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("heading", name=LANDING_HEADING)).to_be_visible()


def expect_sign_in_needed(page: Page, deployment: Deployment) -> None:
    page.goto(f"{deployment.url}/settings/mfa")
    expect(page).to_have_url(re.compile(rf"^{re.escape(deployment.cognito.url)}/"))
    expect(page.get_by_label("Username")).to_be_visible()


def portal_session_ended(page: Page, deployment: Deployment) -> bool:
    """The portal sends this browser to sign in (whether the hosted UI still knows it is
    another matter: only the browser that went through its /logout is signed out there)."""
    # Playwright's request client is Node's, not Chromium's: the SPKI pin doesn't reach it.
    response = page.request.get(
        f"{deployment.url}/settings/mfa", max_redirects=0, ignore_https_errors=True
    )
    return response.status in (302, 303) and response.headers["location"].startswith("/login")


def assert_every_request_succeeded(traffic: Traffic, deployment: Deployment) -> None:
    """No POST refused ("This form has expired" is a 400), no page or asset missing."""
    assert traffic.statuses("POST"), "nothing was posted"
    failed = [(url, status) for url, status in traffic.statuses("POST") if status >= 400]
    failed += [(url, status) for url, status in traffic.statuses("GET") if status >= 400]
    assert failed == []
    refusals = [e for e in deployment.log_entries() if e.get("event") == "csrf_refused"]
    assert refusals == []


def test_alice_turns_sms_mfa_on_and_off_changes_her_phone_and_signs_out(
    fresh_deployment: Deployment, new_context: NewContext
) -> None:
    deployment = fresh_deployment
    page, traffic = open_page(new_context, deployment)
    sign_in(page, deployment)

    [cookie] = [c for c in page.context.cookies(deployment.url) if "mfa_portal" in c["name"]]
    assert cookie["name"] == "__Host-mfa_portal"
    assert cookie["secure"] and cookie["httpOnly"] and cookie["path"] == "/"
    assert cookie["sameSite"] == "Lax"

    turn_sms_mfa_on_then_off(page)
    change_phone_number(page, deployment)
    expect(page.get_by_text("This form has expired")).to_have_count(0)
    sign_out(page)
    expect_sign_in_needed(page, deployment)

    assert_every_request_succeeded(traffic, deployment)
    for asset in ASSETS:
        assert traffic.status_of(asset) == 200, asset
    posts = [line for line in deployment.request_lines() if line["method"] == "POST"]
    assert {line["client"] for line in posts} == {"127.0.0.1"}, "nginx's X-Forwarded-For"
    settings_page = next(r for r in traffic.seen if r.url == f"{deployment.url}/settings/mfa")
    assert "max-age=" in settings_page.headers["strict-transport-security"]
    assert settings_page.headers.get("server") != "gunicorn"


def test_sign_out_of_all_devices_signs_out_the_other_browser(
    fresh_deployment: Deployment, new_context: NewContext
) -> None:
    deployment = fresh_deployment
    laptop, laptop_traffic = open_page(new_context, deployment)
    phone, phone_traffic = open_page(new_context, deployment)
    sign_in(laptop, deployment)
    sign_in(phone, deployment)

    phone.get_by_role("button", name="Sign out of all devices").click()
    expect(phone.get_by_role("heading", name="Sign out of all devices?")).to_be_visible()
    phone.get_by_role("button", name="Sign out of all devices").click()
    expect(phone.get_by_role("heading", name=LANDING_HEADING)).to_be_visible()
    expect(phone.get_by_role("status")).to_have_text("You're signed out on all your devices.")

    laptop.goto(f"{deployment.url}/settings/mfa")
    expect(laptop).to_have_url(f"{deployment.url}/")
    expect(laptop.get_by_text("Your session has ended")).to_be_visible()
    expect(laptop.get_by_role("link", name="Sign in again")).to_be_visible()
    assert portal_session_ended(laptop, deployment)
    assert portal_session_ended(phone, deployment)
    expect_sign_in_needed(phone, deployment)

    assert_every_request_succeeded(phone_traffic, deployment)
    assert laptop_traffic.statuses("POST") == []
