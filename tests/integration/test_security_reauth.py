"""A change with a stale sign-in asks for the password again, over real HTTP: through
``prompt=login``, and through the hosted UI's /logout where the classic hosted UI ignores it."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support.http import (
    MAX_HOPS,
    PASSWORDS,
    PortalFarm,
    backdate_next_sign_in,
    change_mfa,
    get,
    is_hosted_login_page,
    portal_farm,
    sign_in,
    sms_mfa_at_standin,
    submit_hosted_login,
)
from tests.support.servers import PortalServer

#: Short, but at least a second of slack: Cognito's auth_time is in whole seconds.
FRESH_SIGNIN_SECONDS = 2


@pytest.fixture(scope="module")
def farms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, PortalFarm]]:
    with ExitStack() as stack:
        farms = {
            "managed": stack.enter_context(
                portal_farm(tmp_path_factory.mktemp("reauth-managed"), slots=1)
            ),
            "classic": stack.enter_context(
                portal_farm(
                    tmp_path_factory.mktemp("reauth-classic"),
                    slots=1,
                    seed_overrides={"classic": True},
                )
            ),
            # Cognito documents only client_id, redirect_uri, response_type, scope and state
            # for /logout's sign-in redirect: this stand-in drops PKCE's challenge and the nonce.
            "classic_strict": stack.enter_context(
                portal_farm(
                    tmp_path_factory.mktemp("reauth-classic-strict"),
                    slots=1,
                    seed_overrides={"classic": True, "strict_logout_params": True},
                )
            ),
        }
        with ThreadPoolExecutor(3) as pool:
            list(
                pool.map(
                    lambda farm: farm.portal(FRESH_SIGNIN_SECONDS=str(FRESH_SIGNIN_SECONDS)),
                    farms.values(),
                )
            )
        yield farms


def stale_change(farm: PortalFarm) -> tuple[requests.Session, PortalServer, str]:
    """Sign alice in with a sign-in already older than the window, ask to turn SMS MFA on: the
    page that says why she must sign in again, and the path of its "Sign in again" link."""
    assert farm.cognito is not None
    farm.cognito.reset()
    portal = farm.portals[0]
    http = requests.Session()
    backdate_next_sign_in(farm.cognito, "alice", FRESH_SIGNIN_SECONDS + 60)
    sign_in(http, portal.url, "alice")
    response = change_mfa(http, portal.url, True)
    assert response.status_code == 303
    assert response.headers["Location"] == "/sign-in-again"
    why = get(http, f"{portal.url}/sign-in-again")
    assert "For your security, sign in again to turn on SMS MFA." in why.text
    link = re.search(r'href="(/login\?[^"]+)"', why.text)
    assert link is not None
    login_path = html.unescape(link[1])
    location = urlsplit(login_path)
    assert parse_qs(location.query) == {"reauth": ["1"], "next": ["/settings/mfa"]}
    assert sms_mfa_at_standin(farm.cognito, "alice") is False
    return http, portal, login_path


def finish_reauthentication(
    farm: PortalFarm, http: requests.Session, portal: PortalServer, page: requests.Response
) -> None:
    """Enter the password again, land on /settings/mfa, and make the change: it works now."""
    assert farm.cognito is not None
    assert is_hosted_login_page(page), "the hosted UI asks for the password again"
    final = submit_hosted_login(http, page, "alice", PASSWORDS["alice"])
    assert final.url == f"{portal.url}/settings/mfa"
    assert len(final.history) < MAX_HOPS
    assert "Turn on SMS MFA?" in final.text, "the change she asked for, to confirm"
    response = change_mfa(http, portal.url, True)
    assert response.status_code == 303
    assert response.headers["Location"] == "/settings/mfa"
    assert "SMS MFA is now on" in get(http, f"{portal.url}/settings/mfa").text
    assert sms_mfa_at_standin(farm.cognito, "alice") is True


def test_a_stale_sign_in_is_confirmed_with_prompt_login(farms: dict[str, PortalFarm]) -> None:
    farm = farms["managed"]
    http, portal, login_path = stale_change(farm)

    page = get(http, f"{portal.url}{login_path}")
    authorize = [hop for hop in page.history if urlsplit(hop.url).path == "/oauth2/authorize"]
    assert len(authorize) == 1
    assert parse_qs(urlsplit(authorize[0].url).query)["prompt"] == ["login"]
    assert not any(urlsplit(hop.url).path == "/logout" for hop in page.history)
    finish_reauthentication(farm, http, portal, page)


def test_the_classic_hosted_ui_is_sent_through_logout_and_never_loops(
    farms: dict[str, PortalFarm],
) -> None:
    farm = farms["classic"]
    http, portal, login_path = stale_change(farm)

    page = get(http, f"{portal.url}{login_path}")
    hops = [urlsplit(hop.url) for hop in page.history]
    callbacks = [hop for hop in hops if hop.path == "/auth/callback"]
    logouts = [hop for hop in hops if hop.path == "/logout"]
    assert len(callbacks) == 1, "the classic UI answered at once, with the old sign-in"
    assert len(logouts) == 1
    logout = parse_qs(logouts[0].query)
    assert logout["response_type"] == ["code"]
    assert logout["redirect_uri"] == [f"{portal.url}/auth/callback"]
    assert len(page.history) < MAX_HOPS
    finish_reauthentication(farm, http, portal, page)


def test_a_logout_that_drops_pkce_and_nonce_still_confirms_or_says_why_never_loops(
    farms: dict[str, PortalFarm],
) -> None:
    farm = farms["classic_strict"]
    http, portal, login_path = stale_change(farm)
    page = get(http, f"{portal.url}{login_path}")
    assert is_hosted_login_page(page)
    final = submit_hosted_login(http, page, "alice", PASSWORDS["alice"])
    assert len(final.history) < MAX_HOPS
    assert final.status_code == 200
    if final.url == f"{portal.url}/settings/mfa" and "couldn&#39;t confirm" not in final.text:
        return finish_reauthentication(farm, http, portal, page)  # a Cognito that carries them
    assert "We couldn&#39;t confirm that it&#39;s you." in final.text
    assert "Sign out, sign in again, then make the change." in final.text
    assert sms_mfa_at_standin(farm.cognito, "alice") is False
    log = "\n".join(portal.log_lines())
    assert "id_token_refused" in log
    assert "unexpected_error" not in log
