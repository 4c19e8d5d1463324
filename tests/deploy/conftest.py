"""The production-shaped tier: the built wheel in a clean venv, started with the Procfile's
command from an empty directory, behind nginx terminating TLS, driven over https."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from tests.support.browser import launch_chromium
from tests.support.deployment import Deployment, deployed
from tests.support.install import ProductionInstall, install_production
from tests.support.nginx import find_nginx
from tests.support.tls import TestCertificates, make_test_certificates


@pytest.fixture(scope="package")
def production_install(tmp_path_factory: pytest.TempPathFactory) -> ProductionInstall:
    install = install_production(tmp_path_factory.mktemp("production-install"))
    assert not install.can_import("moto"), "a production install must not need (or hold) moto"
    return install


@pytest.fixture(scope="package")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> TestCertificates:
    return make_test_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="package")
def nginx() -> str:
    found = find_nginx()
    if found is None:
        pytest.skip("nginx is not installed (.ci/run installs Debian's nginx)")
    return found


@pytest.fixture(scope="package")
def deployment(
    production_install: ProductionInstall,
    certificates: TestCertificates,
    nginx: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    with deployed(
        production_install, certificates, nginx, tmp_path_factory.mktemp("deployment")
    ) as deployment:
        yield deployment


@pytest.fixture
def fresh_deployment(deployment: Deployment) -> Iterator[Deployment]:
    """The stand-in's users as seeded; afterwards, the portal's log is all JSON lines (the
    packaged gunicorn settings are in force) and holds no traceback."""
    deployment.cognito.reset()
    yield deployment
    log = deployment.portal.log_text()
    assert "Traceback" not in log, deployment.portal.log_tail()
    assert [line for line in log.splitlines() if not line.startswith("{")] == []


@pytest.fixture(scope="package")
def browser(certificates: TestCertificates) -> Iterator[Browser]:
    """Chromium trusting exactly the test certificate's key (nothing else is waved through)."""
    with sync_playwright() as playwright:
        browser = launch_chromium(
            playwright, [f"--ignore-certificate-errors-spki-list={certificates.spki_sha256}"]
        )
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    """Opens browser contexts (separate cookie jars: separate devices) and closes them after."""
    contexts: list[BrowserContext] = []

    def open_context() -> BrowserContext:
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        context.set_default_timeout(15000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()
