"""Headless Chromium for the end-to-end tests, and what a person does in it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright, expect

from tests.support.http import PASSWORDS

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
README_SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def system_chromium() -> str | None:
    """Debian's chromium (or one named by CHROMIUM_PATH); None to use Playwright's own."""
    if os.environ.get("CHROMIUM_PATH"):
        return os.environ["CHROMIUM_PATH"]
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def launch_chromium(playwright: Playwright, extra_args: Sequence[str] = ()) -> Browser:
    args = [*CHROMIUM_ARGS, *extra_args]
    executable = system_chromium()
    if executable:
        return playwright.chromium.launch(executable_path=executable, args=args)
    try:
        return playwright.chromium.launch(args=args)
    except Exception:
        # A normal machine without a system Chromium: fetch Playwright's own build once.
        subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"], check=True)
        return playwright.chromium.launch(args=args)


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot; with MFA_PORTAL_UPDATE_SCREENSHOTS=1 also for the README."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("MFA_PORTAL_UPDATE_SCREENSHOTS") == "1":
        README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, README_SCREENSHOTS / path.name)
    return path


def hosted_ui_sign_in(page: Page, username: str, password: str) -> None:
    expect(page.get_by_label("Username")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in(
    page: Page,
    portal_url: str,
    username: str,
    password: str | None = None,
    *,
    path: str = "/settings/mfa",
) -> None:
    """Open the portal's ``path`` signed out and sign in at the hosted UI it sends the browser
    to (the SMS code, if the stand-in asks for one, is the caller's next step)."""
    page.goto(f"{portal_url}{path}")
    hosted_ui_sign_in(page, username, password or PASSWORDS[username])


def turn_sms_mfa_on_and_sign_out(page: Page, portal_url: str, username: str) -> None:
    """The opening of the tests that need someone whose next sign-in asks for a texted code."""
    sign_in(page, portal_url, username)
    page.get_by_role("button", name="Turn on SMS MFA").click()
    expect(mfa_badge(page)).to_have_text("SMS MFA: On")
    page.get_by_role("button", name="Sign out", exact=True).click()


def enter_sms_code(page: Page, code: str) -> None:
    expect(page.get_by_text(re.compile("We texted a code to"))).to_be_visible()
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Verify").click()


def mfa_badge(page: Page):
    return page.get_by_test_id("mfa-status")
