"""/settings/mfa is light: at most 30 KB of HTML, CSS and JavaScript, all from the portal itself."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, Response, expect

from tests.support.browser import mfa_badge, sign_in
from tests.support.servers import Stack

BUDGET_BYTES = 30 * 1024


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_the_mfa_page_transfers_under_30_kb_with_no_external_request(
    page: Page, browser: Browser, fresh_stack: Stack
) -> None:
    sign_in(page, fresh_stack.portal.url, "alice")
    expect(mfa_badge(page)).to_have_text("SMS MFA: Off")

    # A first visit: the same session cookie in a new context, so nothing comes from the cache.
    cold = browser.new_context(storage_state=page.context.storage_state())
    try:
        visit = cold.new_page()
        requested: list[str] = []
        responses: list[Response] = []
        visit.on("request", lambda request: requested.append(request.url))
        visit.on("response", lambda response: responses.append(response))
        visit.goto(f"{fresh_stack.portal.url}/settings/mfa", wait_until="networkidle")
        expect(mfa_badge(visit)).to_have_text("SMS MFA: Off")
        sizes = {response.url: len(response.body()) for response in responses}
    finally:
        cold.close()

    kinds = {urlsplit(url).path.rsplit(".", 1)[-1] for url in sizes}
    assert {"css", "js"} <= kinds, f"expected the stylesheet and the script: {sizes}"
    total = sum(sizes.values())
    assert total <= BUDGET_BYTES, f"/settings/mfa weighs {total} bytes: {sizes}"

    portal = origin(fresh_stack.portal.url)
    external = [url for url in requested if origin(url) != portal]
    assert not external, f"requests outside the portal's origin: {external}"
