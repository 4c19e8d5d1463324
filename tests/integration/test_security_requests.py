"""Requests an attacker can make, over real HTTP (gunicorn + the stand-in): forged and missing
CSRF tokens, open redirects, too many sign-ins, the security headers on every kind of response,
the session cookie behind HTTPS, and what the logs must never hold."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support.http import (
    ALICE_PHONE,
    change_mfa,
    csrf_token,
    get,
    is_sms_page,
    issued_tokens,
    post,
    set_cookies,
    sign_in,
    sms_mfa_at_standin,
    stats,
)
from tests.support.servers import PortalServer

FORM_EXPIRED = "This form has expired"


PORTALS = {
    "default": {},
    # Only its Set-Cookie and headers are read: it is never signed in to.
    "https_limited": {"https": True, "RATE_LIMIT_SIGNIN": "3 per minute"},
}


# --- CSRF ---------------------------------------------------------------------------------


def test_changes_without_a_valid_csrf_token_are_refused_and_change_nothing(
    portal: PortalServer, cognito
) -> None:
    alice, bob = requests.Session(), requests.Session()
    sign_in(alice, portal.url, "alice")
    bobs_token = csrf_token(sign_in(bob, portal.url, "bob"))
    url = f"{portal.url}/settings/mfa"

    for data in (
        {"enable": "on"},
        {"enable": "on", "csrf_token": "forged"},
        {"enable": "on", "csrf_token": bobs_token},
        {"enable": "on", "csrf_token": bobs_token[:-4] + "AAAA"},
    ):
        response = post(alice, url, data=data)
        assert response.status_code == 400, data
        assert FORM_EXPIRED in response.text
        assert "Nothing was changed" in response.text
    assert stats(cognito)["api"].get("SetUserSettings") is None
    assert sms_mfa_at_standin(cognito, "alice") is False

    for path in ("/logout", "/logout/everywhere"):
        response = post(alice, f"{portal.url}{path}", data={"csrf_token": "forged"})
        assert response.status_code == 400
        assert FORM_EXPIRED in response.text
    assert stats(cognito)["api"].get("GlobalSignOut") is None
    assert get(alice, url).url == url, "still signed in"


# --- open redirects -----------------------------------------------------------------------

OFF_SITE_TARGETS = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "/%2F%2Fevil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "/%255C%255Cevil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "\\\\evil.example",
]


@pytest.mark.parametrize("target", OFF_SITE_TARGETS)
def test_sign_in_never_redirects_off_site(portal: PortalServer, cognito, target: str) -> None:
    http = requests.Session()
    final = sign_in(http, portal.url, "alice", next_path=target)
    assert final.url == f"{portal.url}/settings/mfa"
    hosts = {urlsplit(hop.url).hostname for hop in [*final.history, final]}
    assert hosts == {"127.0.0.1"}
    # Signed in already: /login sends straight on, to the same safe place.
    response = http.get(
        f"{portal.url}/login", params={"next": target}, allow_redirects=False, timeout=10
    )
    assert response.headers["Location"] == "/settings/mfa"


def test_an_unencoded_off_site_target_in_the_raw_query_is_ignored(
    portal: PortalServer, cognito
) -> None:
    http = requests.Session()
    sign_in(http, portal.url, "alice")
    for raw in ("//evil.example", "/%5C%5Cevil.example", "/%09/evil.example"):
        response = http.get(f"{portal.url}/login?next={raw}", allow_redirects=False, timeout=10)
        assert response.headers["Location"] == "/settings/mfa", raw


def test_a_same_site_target_is_kept(portal: PortalServer, cognito) -> None:
    http = requests.Session()
    final = sign_in(http, portal.url, "alice", next_path="/settings/mfa?from=test")
    assert final.url == f"{portal.url}/settings/mfa?from=test"


# --- rate limits, cookies and headers -----------------------------------------------------

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def assert_security_headers(response: requests.Response, *, https: bool = False) -> None:
    where = f"{response.request.method} {response.url} -> {response.status_code}"
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, f"{name} on {where}"
    csp = response.headers.get("Content-Security-Policy", "")
    for directive in ("default-src 'self'", "frame-ancestors 'none'", "object-src 'none'"):
        assert directive in csp, f"{directive} on {where}"
    assert "unsafe-inline" not in csp
    assert response.headers.get("Permissions-Policy"), where
    assert ("Strict-Transport-Security" in response.headers) is https, where
    if urlsplit(response.url).path.startswith("/static/") and response.status_code == 200:
        assert response.headers["Cache-Control"].startswith("public")
    else:
        assert response.headers.get("Cache-Control") == "no-store", where


def host_cookie_attributes(response: requests.Response) -> list[str]:
    (header,) = set_cookies(response)
    name, _, rest = header.partition("=")
    assert name == "__Host-mfa_portal"
    return [a.strip().lower() for a in rest.split(";")[1:]]


def test_behind_https_the_cookie_is_host_prefixed_and_the_fourth_sign_in_gets_a_429(
    portals: dict[str, PortalServer],
) -> None:
    """One test: the portal allows three sign-ins a minute, and reading the cookie takes one."""
    portal = portals["https_limited"]
    response = requests.get(f"{portal.url}/", timeout=10)
    assert_security_headers(response, https=True)
    assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"

    http = requests.Session()
    first = http.get(f"{portal.url}/login", allow_redirects=False, timeout=10)
    attributes = host_cookie_attributes(first)
    for flag in ("secure", "httponly", "samesite=lax", "path=/"):
        assert flag in attributes
    assert not any(a.startswith("domain") for a in attributes)

    for _ in range(2):
        response = http.get(f"{portal.url}/login", allow_redirects=False, timeout=10)
        assert response.status_code == 302
    response = http.get(f"{portal.url}/login", allow_redirects=False, timeout=10)
    assert response.status_code == 429
    assert "Too many attempts" in response.text
    assert (
        "You can start signing in 3 times in a minute. Nothing was changed. "
        "Try again in less than a minute." in response.text
    )
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert_security_headers(response, https=True)


def test_every_kind_of_response_carries_the_security_headers(portal: PortalServer, cognito) -> None:
    anonymous = requests.Session()
    responses = [
        anonymous.get(f"{portal.url}/", timeout=10),
        anonymous.get(f"{portal.url}/login", allow_redirects=False, timeout=10),
        anonymous.get(f"{portal.url}/settings/mfa", allow_redirects=False, timeout=10),
        anonymous.get(f"{portal.url}/no-such-page", timeout=10),
        anonymous.get(f"{portal.url}/logout", timeout=10),
        anonymous.post(f"{portal.url}/settings/mfa", data={"enable": "on"}, timeout=10),
        anonymous.post(f"{portal.url}/logout", data={"x": "y" * 20_000}, timeout=10),
        anonymous.get(f"{portal.url}/static/css/portal.css", timeout=10),
        anonymous.get(f"{portal.url}/healthz", timeout=10),
    ]
    assert [r.status_code for r in responses] == [200, 302, 303, 404, 405, 400, 413, 200, 200]
    for response in responses[3:7]:
        assert "text/html" in response.headers["Content-Type"]
        assert "Traceback" not in response.text

    signed_in = requests.Session()
    page = sign_in(signed_in, portal.url, "alice")
    responses += [page, *page.history]
    responses.append(change_mfa(signed_in, portal.url, True))
    # Signed in, the error page has a sign-out form: it must not read the oversized body.
    too_large = signed_in.post(f"{portal.url}/settings/mfa", data={"x": "y" * 20_000}, timeout=10)
    assert too_large.status_code == 413
    assert "That was too much to send" in too_large.text
    responses.append(too_large)
    for response in responses:
        if urlsplit(response.url).port == portal.port:
            assert_security_headers(response)


# --- logs ---------------------------------------------------------------------------------


def test_logs_never_hold_tokens_codes_secrets_session_ids_or_phone_numbers(
    portal: PortalServer, cognito
) -> None:
    http = requests.Session()
    seen_pages: list[requests.Response] = []

    page = sign_in(http, portal.url, "alice")
    seen_pages += [*page.history, page]
    assert change_mfa(http, portal.url, True).status_code == 303
    response = post(http, f"{portal.url}/logout", data={"csrf_token": csrf_token(page)})
    seen_pages.append(get(http, response.headers["Location"]))

    page = sign_in(http, portal.url, "alice")
    seen_pages += [*page.history, page]
    assert any(is_sms_page(hop) for hop in page.history), "the second sign-in asks for a code"
    off = change_mfa(http, portal.url, False)
    assert off.status_code == 303
    assert get(http, f"{portal.url}/settings/mfa").text.count("SMS MFA: Off") == 1
    response = post(http, f"{portal.url}/logout", data={"csrf_token": csrf_token(page)})
    seen_pages.append(get(http, response.headers["Location"]))

    secrets: dict[str, str] = {"phone number": ALICE_PHONE, "national number": ALICE_PHONE[2:]}
    assert cognito.client_secret
    secrets["client secret"] = cognito.client_secret
    for kind, values in issued_tokens(cognito, "alice").items():
        for i, value in enumerate(values):
            secrets[f"{kind} token {i}"] = value
            secrets[f"{kind} token {i} signature"] = value.rsplit(".", 1)[-1]
    codes = [
        parse_qs(urlsplit(hop.url).query)["code"][0]
        for hop in seen_pages
        if urlsplit(hop.url).path == "/auth/callback"
    ]
    assert len(codes) == 2
    secrets.update({f"authorization code {i}": code for i, code in enumerate(codes)})
    cookies = {
        match.group(1)
        for hop in seen_pages
        for header in set_cookies(hop)
        if (match := re.match(r"mfa_portal=([^;]+)", header))
    }
    assert len(cookies) >= 3
    secrets.update({f"session id {i}": value for i, value in enumerate(sorted(cookies))})

    log = portal.log_path.read_text(errors="replace")
    assert '"event": "sign_in"' in log and '"sms_mfa_on"' in log and '"sign_out"' in log
    leaked = [kind for kind, value in secrets.items() if value in log]
    assert not leaked, f"the portal's log holds: {leaked}"
