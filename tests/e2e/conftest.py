"""End-to-end fixtures: headless Chromium against the portal under gunicorn and the stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from localcognito.server import LocalCognito
from tests.support.browser import launch_chromium
from tests.support.servers import PortalServer, Stack, free_port, gunicorn_env, seed_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stand-in and one portal under gunicorn (one worker: no Redis here), wired together."""
    tmp: Path = tmp_path_factory.mktemp("stack")
    port = free_port()
    cognito = LocalCognito(seed_for(f"http://127.0.0.1:{port}")).start()
    portal = PortalServer(gunicorn_env(cognito, port, tmp), port, tmp / "portal.log").start()
    try:
        yield Stack(cognito, portal)
    finally:
        portal.stop()
        cognito.stop()


@pytest.fixture
def fresh_stack(stack: Stack) -> Iterator[Stack]:
    stack.reset()
    yield stack
    stack.clear_faults()
