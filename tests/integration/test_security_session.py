"""Sessions over real HTTP (gunicorn + the stand-in): cookie flags, fixation, replay after
sign-out, token refresh, revocation, sign-out (here and everywhere) and a missing scope."""

from __future__ import annotations

from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import botocore.exceptions
import pytest
import requests
from cachelib.file import FileSystemCache

from app.sessions import SESSION_KEY_PREFIX
from tests.support.http import (
    SCOPES_WITHOUT_ADMIN,
    csrf_token,
    follow,
    get,
    idp,
    inject,
    is_hosted_login_page,
    issued_tokens,
    latest_refresh_token,
    portal_farm,
    post,
    refresh_grant,
    set_cookies,
    sign_in,
    stats,
)
from tests.support.servers import PortalServer

SIGN_IN_AGAIN = "Sign in again"


PORTALS = {
    "default": {},
    # Every request is inside the refresh margin of a one-hour access token.
    "eager_refresh": {"TOKEN_REFRESH_MARGIN_SECONDS": "3601"},
    # Every page view reads Cognito, so it meets a token gone bad since the last one.
    "reads_every_page": {"STATUS_CACHE_SECONDS": "0"},
}


@pytest.fixture(scope="module")
def reading(portals: dict[str, PortalServer]) -> PortalServer:
    """A portal whose every page view reads the status (``STATUS_CACHE_SECONDS=0``): a page
    view is then the next Cognito call, and meets whatever became of the token."""
    return portals["reads_every_page"]


def parse_set_cookie(header: str) -> tuple[str, str, dict[str, str]]:
    cookie = SimpleCookie()
    cookie.load(header)
    ((name, morsel),) = cookie.items()
    flags = {k.lower(): v for k, v in morsel.items() if v}
    for flag in ("HttpOnly", "Secure"):
        if f"; {flag.lower()}" in header.lower():
            flags[flag.lower()] = "true"
    return name, morsel.value, flags


def stored_session(portal: PortalServer, sid: str) -> object:
    """What the portal's disk store holds under a session id (None: nothing)."""
    return FileSystemCache(portal.env["SESSION_DIR"]).get(SESSION_KEY_PREFIX + sid)


def landing_says_sign_in_again(response: requests.Response, portal: PortalServer) -> None:
    assert response.status_code == 200
    assert response.url == f"{portal.url}/"
    assert SIGN_IN_AGAIN in response.text


def is_signed_out(http: requests.Session, portal: PortalServer) -> bool:
    response = http.get(f"{portal.url}/settings/mfa", allow_redirects=False, timeout=10)
    location = urlsplit(response.headers.get("Location", ""))
    return response.status_code in (302, 303) and location.path == "/login"


# --- cookies ------------------------------------------------------------------------------


def test_session_cookie_flags_over_http(portal: PortalServer) -> None:
    response = requests.get(f"{portal.url}/login", allow_redirects=False, timeout=10)
    (header,) = set_cookies(response)
    name, value, flags = parse_set_cookie(header)
    assert name == "mfa_portal"
    assert len(value) >= 32
    assert flags["httponly"] == "true"
    assert flags["samesite"] == "Lax"
    assert flags["path"] == "/"
    assert "domain" not in flags
    assert "secure" not in flags


# --- fixation and replay ------------------------------------------------------------------


def test_sign_in_gives_a_new_session_id_and_kills_the_old_one(
    portal: PortalServer, cognito
) -> None:
    http = requests.Session()
    http.get(f"{portal.url}/login", allow_redirects=False, timeout=10)
    before = http.cookies["mfa_portal"]
    assert stored_session(portal, before) is not None

    final = sign_in_continuing(http, portal)
    assert final.url == f"{portal.url}/settings/mfa"
    after = http.cookies["mfa_portal"]
    assert after != before
    assert stored_session(portal, before) is None
    assert stored_session(portal, after) is not None

    planted = requests.Session()
    planted.cookies.set("mfa_portal", before)
    assert is_signed_out(planted, portal)


def sign_in_continuing(http: requests.Session, portal: PortalServer) -> requests.Response:
    """Sign in with whatever session the browser already holds."""
    return sign_in(http, portal.url, "alice")


def test_a_session_id_chosen_by_an_attacker_is_never_adopted(portal: PortalServer) -> None:
    http = requests.Session()
    http.cookies.set("mfa_portal", "attacker-chosen-session-id-0123456789abcdef")
    response = http.get(f"{portal.url}/login", allow_redirects=False, timeout=10)
    (header,) = set_cookies(response)
    _, value, _ = parse_set_cookie(header)
    assert value != "attacker-chosen-session-id-0123456789abcdef"


def test_a_copied_cookie_is_worthless_after_sign_out(portal: PortalServer, cognito) -> None:
    http = requests.Session()
    page = sign_in(http, portal.url, "alice")
    copied = http.cookies["mfa_portal"]

    response = post(http, f"{portal.url}/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303

    replay = requests.Session()
    replay.cookies.set("mfa_portal", copied)
    assert is_signed_out(replay, portal)
    assert stored_session(portal, copied) is None


# --- sign-out -----------------------------------------------------------------------------


def test_sign_out_revokes_the_refresh_token_and_ends_the_hosted_ui_session(
    portal: PortalServer, cognito
) -> None:
    http = requests.Session()
    page = sign_in(http, portal.url, "alice")
    refresh_token = latest_refresh_token(cognito, "alice")
    assert refresh_grant(cognito, refresh_token).status_code == 200

    response = post(http, f"{portal.url}/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{cognito.url}/logout"
    assert parse_qs(location.query) == {
        "client_id": [cognito.client_id],
        "logout_uri": [f"{portal.url}/"],
    }
    assert stats(cognito)["api"].get("RevokeToken") == 1
    refused = refresh_grant(cognito, refresh_token)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"

    landing = get(http, response.headers["Location"])
    assert landing.url == f"{portal.url}/"
    assert stats(cognito)["http"].get("logout") == 1
    # The hosted UI asks for the password again: its own session ended too.
    assert is_hosted_login_page(get(http, f"{portal.url}/login"))


def test_sign_out_of_all_devices_calls_global_sign_out(portal: PortalServer, cognito) -> None:
    laptop, phone = requests.Session(), requests.Session()
    page = sign_in(laptop, portal.url, "alice")
    sign_in(phone, portal.url, "alice")
    phone_access_token = issued_tokens(cognito, "alice")["access"][-1]

    asked = post(laptop, f"{portal.url}/logout/everywhere", data={"csrf_token": csrf_token(page)})
    assert "Sign out of all devices?" in asked.text
    assert stats(cognito)["api"].get("GlobalSignOut") is None
    response = post(
        laptop,
        f"{portal.url}/logout/everywhere",
        data={"csrf_token": csrf_token(page), "confirmed": "yes"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"{cognito.url}/logout?")
    assert stats(cognito)["api"].get("GlobalSignOut") == 1

    with pytest.raises(botocore.exceptions.ClientError) as refused:
        idp(cognito).get_user(AccessToken=phone_access_token)
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"

    # The other device's next page load ends its session with a way back in.
    landing_says_sign_in_again(get(phone, f"{portal.url}/settings/mfa"), portal)
    assert is_signed_out(phone, portal)

    get(laptop, response.headers["Location"])
    assert is_signed_out(laptop, portal)
    assert is_hosted_login_page(get(laptop, f"{portal.url}/login"))


# --- tokens -------------------------------------------------------------------------------


def test_an_expired_access_token_is_refreshed_and_the_page_still_loads(
    reading: PortalServer, cognito
) -> None:
    http = requests.Session()
    sign_in(http, reading.url, "alice")
    before = stats(cognito)["http"].get("token", 0)

    expired = requests.post(
        f"{cognito.url}/_local/tokens/expire", json={"username": "alice"}, timeout=10
    )
    assert expired.json()["expired"] >= 1
    page = get(http, f"{reading.url}/settings/mfa")
    assert page.status_code == 200
    assert "SMS MFA: Off" in page.text
    assert stats(cognito)["http"]["token"] == before + 1


def test_an_injected_expired_token_error_is_refreshed_and_retried(
    reading: PortalServer, cognito
) -> None:
    http = requests.Session()
    sign_in(http, reading.url, "alice")
    before = stats(cognito)
    inject(cognito, "GetUser", "NotAuthorizedException", "Access Token has expired")

    page = get(http, f"{reading.url}/settings/mfa")
    assert page.status_code == 200
    assert "SMS MFA: Off" in page.text
    after = stats(cognito)
    assert after["http"]["token"] == before["http"]["token"] + 1
    assert after["api"]["GetUser"] == before["api"]["GetUser"] + 2


def test_a_revoked_access_token_ends_the_session_at_once(reading: PortalServer, cognito) -> None:
    http = requests.Session()
    sign_in(http, reading.url, "alice")
    before = stats(cognito)["http"].get("token", 0)
    inject(cognito, "GetUser", "NotAuthorizedException", "Access Token has been revoked")

    landing_says_sign_in_again(get(http, f"{reading.url}/settings/mfa"), reading)
    assert stats(cognito)["http"].get("token", 0) == before, "a revoked token is not refreshed"
    assert is_signed_out(http, reading)


def test_a_refused_refresh_ends_the_session_cleanly(reading: PortalServer, cognito) -> None:
    http = requests.Session()
    sign_in(http, reading.url, "alice")
    idp(cognito).revoke_token(
        Token=latest_refresh_token(cognito, "alice"),
        ClientId=cognito.client_id,
        ClientSecret=cognito.client_secret,
    )
    before = stats(cognito)["http"].get("token", 0)
    # Cognito says "expired" first, so the portal tries the (revoked) refresh token.
    inject(cognito, "GetUser", "NotAuthorizedException", "Access Token has expired")

    landing_says_sign_in_again(get(http, f"{reading.url}/settings/mfa"), reading)
    assert stats(cognito)["http"]["token"] == before + 1
    assert is_signed_out(http, reading)


def test_a_revoked_refresh_token_alone_ends_the_session_cleanly(
    reading: PortalServer, cognito
) -> None:
    http = requests.Session()
    sign_in(http, reading.url, "alice")
    idp(cognito).revoke_token(
        Token=latest_refresh_token(cognito, "alice"),
        ClientId=cognito.client_id,
        ClientSecret=cognito.client_secret,
    )
    # Revoking the refresh token revokes its access tokens too: the next call is refused.
    landing_says_sign_in_again(get(http, f"{reading.url}/settings/mfa"), reading)
    assert is_signed_out(http, reading)


def test_within_the_window_a_revoked_token_is_met_by_the_next_change(
    portal: PortalServer, cognito
) -> None:
    """The staleness the status cache allows: a page view within STATUS_CACHE_SECONDS shows
    what was read (no call); the next change is Cognito's to refuse, and ends the session."""
    http = requests.Session()
    landed = sign_in(http, portal.url, "alice")
    before = stats(cognito)["api"].get("GetUser", 0)
    inject(cognito, "*", "NotAuthorizedException", "Access Token has been revoked")

    page = get(http, f"{portal.url}/settings/mfa")
    assert "SMS MFA: Off" in page.text
    assert stats(cognito)["api"].get("GetUser", 0) == before, "shown from the sign-in's read"
    answer = post(
        http, f"{portal.url}/settings/mfa", data={"csrf_token": csrf_token(landed), "enable": "on"}
    )
    landing_says_sign_in_again(follow(http, answer), portal)
    assert is_signed_out(http, portal)


# --- a proactive refresh, and a missing scope (which needs a stand-in seeded for it) ---------


def test_every_request_refreshes_when_the_token_is_inside_the_margin(
    portals: dict[str, PortalServer], cognito
) -> None:
    portal = portals["eager_refresh"]
    http = requests.Session()
    sign_in(http, portal.url, "alice")
    before = stats(cognito)["http"]["token"]
    issued = len(issued_tokens(cognito, "alice")["access"])
    for _ in range(3):
        assert get(http, f"{portal.url}/settings/mfa").status_code == 200
    assert stats(cognito)["http"]["token"] == before + 3
    assert len(issued_tokens(cognito, "alice")["access"]) == issued + 3


def test_an_app_client_without_the_admin_scope_is_named_for_the_operator(
    tmp_path: Path,
) -> None:
    with portal_farm(
        tmp_path, slots=1, client_overrides={"allowed_scopes": SCOPES_WITHOUT_ADMIN}
    ) as farm:
        portal = farm.portal()
        http = requests.Session()
        landing = get(http, f"{portal.url}/login")
        assert landing.url == f"{portal.url}/"
        assert "give this portal permission to change your security settings" in landing.text
        assert is_signed_out(http, portal)
        log = portal.log_path.read_text()
        assert "Allowed OAuth scopes" in log
        assert "aws.cognito.signin.user.admin" in log
