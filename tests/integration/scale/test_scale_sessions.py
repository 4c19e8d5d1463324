"""Two instances of the portal share everything through Redis: sessions, sign-out, rate limits."""

from __future__ import annotations

import pytest
import requests

from tests.support.http import SharedRedisFarm, csrf_token, get, post, sign_in
from tests.support.servers import PortalServer

pytestmark = pytest.mark.redis

COOKIE = "mfa_portal"


def with_cookie(value: str) -> requests.Session:
    """A second browser tab on another instance: only the session cookie is carried over."""
    http = requests.Session()
    http.cookies.set(COOKIE, value)
    return http


def test_signed_in_on_a_is_signed_in_on_b(
    fresh_redis_farm: SharedRedisFarm, pair: list[PortalServer]
) -> None:
    a, b = pair
    http = requests.Session()
    landed = sign_in(http, a.url, "alice")
    assert landed.url == f"{a.url}/settings/mfa"
    cookie = http.cookies.get(COOKIE)
    assert cookie

    on_b = get(with_cookie(cookie), f"{b.url}/settings/mfa")
    assert on_b.status_code == 200
    assert on_b.url == f"{b.url}/settings/mfa", "B sent the person to sign in again"
    assert "alice" in on_b.text
    assert 'data-testid="mfa-status"' in on_b.text

    # The session lives in Redis under an opaque id; the cookie carries nothing else.
    keys = [k.decode() for k in fresh_redis_farm.redis.client().scan_iter("mfa-portal:session:*")]
    assert f"mfa-portal:session:{cookie}" in keys


def test_signing_out_on_b_signs_out_on_a(
    fresh_redis_farm: SharedRedisFarm, pair: list[PortalServer]
) -> None:
    a, b = pair
    http = requests.Session()
    sign_in(http, a.url, "alice")
    cookie = http.cookies.get(COOKIE)
    assert cookie

    tab_b = with_cookie(cookie)
    page = get(tab_b, f"{b.url}/settings/mfa")
    out = post(tab_b, f"{b.url}/logout", data={"csrf_token": csrf_token(page)})
    assert out.status_code == 303
    assert out.headers["Location"].startswith(f"{fresh_redis_farm.cognito.url}/logout")

    again = get(with_cookie(cookie), f"{a.url}/settings/mfa")
    assert again.history and again.history[0].status_code == 303
    assert again.history[0].headers["Location"].startswith("/login")
    assert fresh_redis_farm.redis.client().get(f"mfa-portal:session:{cookie}") is None


def test_sign_in_rate_limit_is_counted_across_instances(fresh_redis_farm: SharedRedisFarm) -> None:
    c, d = fresh_redis_farm.instances(
        2, db=1, RATE_LIMIT_SIGNIN="3 per minute", WEB_CONCURRENCY="1"
    )
    statuses = []
    for portal in (c, d, c, d, c):
        response = requests.get(f"{portal.url}/login", allow_redirects=False, timeout=10)
        statuses.append(response.status_code)
    assert statuses == [302, 302, 302, 429, 429]
    refused = requests.get(f"{d.url}/login", allow_redirects=False, timeout=10)
    assert "Too many attempts" in refused.text
    assert "Traceback" not in refused.text
