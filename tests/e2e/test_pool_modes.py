"""The MFA page tells the truth in every user-pool MFA mode, with and without an authenticator app,
against the stand-in running in that mode (COGNITO_POOL_MFA set to match, as an operator would)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from localcognito.seed import with_totp_user
from localcognito.server import LocalCognito
from tests.e2e.test_accessibility import AxeAudit
from tests.support.browser import enter_sms_code, mfa_badge, screenshot, sign_in
from tests.support.http import latest_sms_code
from tests.support.servers import PortalServer, Stack, free_port, gunicorn_env, seed_for

ALICE_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def start_stack(tmp: Path, pool_mfa: str, shape: Callable[[dict], dict] = lambda s: s) -> Stack:
    port = free_port()
    cognito = LocalCognito(shape(seed_for(f"http://127.0.0.1:{port}")), pool_mfa=pool_mfa).start()
    env = gunicorn_env(cognito, port, tmp, WEB_CONCURRENCY="1")
    assert env["COGNITO_POOL_MFA"] == pool_mfa
    portal = PortalServer(env, port, tmp / f"portal-{pool_mfa}-{port}.log")
    try:
        portal.start()
    except Exception:
        cognito.stop()
        raise
    return Stack(cognito, portal)


@pytest.fixture
def axe() -> Iterator[AxeAudit]:
    """Every state these tests reach passes axe in light and dark, at 360 and 1280 px."""
    audit = AxeAudit()
    yield audit
    audit.assert_clean()


def looked_at(page: Page, axe: AxeAudit, state: str) -> None:
    screenshot(page, state)
    axe.check(page, state)


@pytest.fixture
def stack_in_mode(tmp_path: Path) -> Iterator[Callable[..., Stack]]:
    started: list[Stack] = []

    def start(pool_mfa: str, shape: Callable[[dict], dict] = lambda s: s) -> Stack:
        started.append(start_stack(tmp_path, pool_mfa, shape))
        return started[-1]

    yield start
    for stack in started:
        stack.portal.stop()
        stack.cognito.stop()


def authenticator_code(stack: Stack, username: str) -> str:
    """What the person's authenticator app shows now, moving the stand-in's clock on a step so
    that each code is fresh (Cognito accepts each code once)."""
    url = stack.cognito.url
    requests.post(f"{url}/_local/clock", json={"advance_seconds": 30}, timeout=5).raise_for_status()
    found: dict[str, Any] = requests.get(
        f"{url}/_local/totp", params={"username": username}, timeout=5
    ).json()
    return found["code"]


def enter_authenticator_code(page: Page, code: str) -> None:
    expect(page.get_by_text("Enter the code from your authenticator app")).to_be_visible()
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Verify").click()


def next_sign_in(page: Page):
    return page.get_by_test_id("next-sign-in")


def test_in_a_pool_without_mfa_nothing_is_offered_that_protects_nothing(
    page: Page, stack_in_mode, axe
) -> None:
    stack = stack_in_mode("off")
    sign_in(page, stack.portal.url, "alice")
    expect(mfa_badge(page)).to_have_text("SMS MFA: Not available")
    expect(next_sign_in(page)).to_contain_text("isn't available for this account")
    expect(page.get_by_role("button", name="Turn on SMS MFA")).to_have_count(0)
    looked_at(page, axe, "pool-off")


def test_in_a_required_pool_a_verified_number_is_texted_and_off_is_not_offered(
    page: Page, stack_in_mode, axe
) -> None:
    stack = stack_in_mode("required")
    sign_in(page, stack.portal.url, "alice")
    enter_sms_code(page, latest_sms_code(stack.cognito.url, "alice"))
    expect(mfa_badge(page)).to_have_text("SMS MFA: On")
    expect(next_sign_in(page)).to_contain_text("Your organisation requires a second step")
    expect(next_sign_in(page)).to_contain_text("we text a code to +1 ••• ••• 0100")
    expect(page.get_by_role("button", name="Turn off SMS MFA")).to_have_count(0)
    expect(page.get_by_test_id("why-not")).to_contain_text("can't be turned off here")
    looked_at(page, axe, "pool-required-sms")


def test_in_a_required_pool_someone_with_no_factor_sets_up_an_app_and_the_page_stays_true(
    page: Page, stack_in_mode, axe
) -> None:
    stack = stack_in_mode("required")
    sign_in(page, stack.portal.url, "bob")
    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    page.get_by_label("Code").fill(authenticator_code(stack, "bob"))
    page.get_by_role("button", name=re.compile("Verify|Continue|Set up")).click()
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")
    # Cognito leaves an app set up at sign-in out of GetUser's UserMFASettingList (aws/aws-sdk
    # #693, "expected"), as the stand-in does: the page says only what is true either way.
    expect(page.get_by_test_id("totp-status")).to_have_count(0)
    expect(next_sign_in(page)).to_have_text(
        "Your organisation requires a second step at every sign-in. If you haven't set one up "
        "yet, you'll be asked to at your next sign-in."
    )
    looked_at(page, axe, "pool-required-no-factor")


def test_with_an_authenticator_app_preferred_sms_is_a_second_factor_and_off_keeps_the_app(
    page: Page, stack_in_mode, axe
) -> None:
    stack = stack_in_mode("optional", lambda s: with_totp_user(s, "alice", ALICE_TOTP_SECRET))
    sign_in(page, stack.portal.url, "alice")
    enter_authenticator_code(page, authenticator_code(stack, "alice"))
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")
    expect(page.get_by_test_id("totp-status")).to_have_text("On (asked for at sign-in)")
    expect(next_sign_in(page)).to_have_text(
        "When you sign in, we ask for a code from your authenticator app."
    )

    page.get_by_role("button", name="Turn on SMS MFA").click()
    expect(page.get_by_role("status")).to_contain_text("SMS MFA is now on")
    expect(mfa_badge(page)).to_have_text("SMS MFA: On")
    expect(next_sign_in(page)).to_contain_text("the app is what sign-in asks for")
    looked_at(page, axe, "totp-and-sms-on")

    page.get_by_role("button", name="Turn off SMS MFA").click()
    expect(
        page.get_by_text("Your authenticator app will still protect your account")
    ).to_be_visible()
    expect(page.get_by_text("anyone who learns your password")).to_have_count(0)
    looked_at(page, axe, "totp-confirm-sms-off")
    page.get_by_role("button", name="Yes, turn off SMS MFA").click()
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")
    expect(next_sign_in(page)).not_to_contain_text("password only")

    # And the next sign-in asks what the page said it would: the app's code, no text.
    page.get_by_role("button", name="Sign out", exact=True).click()
    texts_before = len(requests.get(f"{stack.cognito.url}/_local/outbox", timeout=5).json())
    sign_in(page, stack.portal.url, "alice")
    enter_authenticator_code(page, authenticator_code(stack, "alice"))
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")
    assert len(requests.get(f"{stack.cognito.url}/_local/outbox", timeout=5).json()) == texts_before
