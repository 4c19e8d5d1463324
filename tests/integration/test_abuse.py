"""What an attacker (or two open tabs) tried, over real HTTP against gunicorn and the stand-in:
SMS MFA for a number that isn't verified, a sign-out undone by a request still in flight."""

from __future__ import annotations

import threading
from collections.abc import Callable

import requests
from cachelib.file import FileSystemCache

from app.sessions import ENDED_KEY_PREFIX
from tests.support.http import (
    csrf_token,
    get,
    inject_latency,
    post,
    session_cookie,
    sign_in,
    sms_mfa_at_standin,
    stats,
    wait_for_call,
)
from tests.support.servers import PortalServer


def test_sms_mfa_is_never_turned_on_for_a_number_changed_in_another_tab(
    portal: PortalServer, cognito
) -> None:
    """GET the page (verified number), change the number in a second tab, then post "turn on"
    from the first tab with its token: Cognito's state now decides, and it says "unverified"."""
    http = requests.Session()
    first_tab = sign_in(http, portal.url, "alice")
    assert "Turn on SMS MFA" in first_tab.text
    second_tab = get(http, f"{portal.url}/settings/phone")
    changed = post(
        http,
        f"{portal.url}/settings/phone",
        data={
            "csrf_token": csrf_token(second_tab),
            "country": "US",
            "phone_number": "(202) 555-0143",
        },
    )
    assert changed.status_code == 303
    before = stats(cognito)["api"].get("SetUserSettings")

    turn_on = {"csrf_token": csrf_token(first_tab), "enable": "on"}
    response = post(http, f"{portal.url}/settings/mfa", data=turn_on)
    assert response.status_code == 303
    assert stats(cognito)["api"].get("SetUserSettings") == before, "Cognito was asked"
    assert not sms_mfa_at_standin(cognito, "alice")
    page = get(http, f"{portal.url}/settings/mfa")
    assert "SMS MFA: Off" in page.text
    assert "verif" in page.text.lower()


def sign_out_during_a_slow_change(
    portal: PortalServer, cognito, after_sign_out: Callable[[str], None] = lambda _sid: None
) -> str:
    """Sign alice in, start a change that Cognito holds for 3 s (it writes its notice to the
    session when it ends), sign out meanwhile, then let it finish: the copied cookie."""
    http = requests.Session()
    page = sign_in(http, portal.url, "alice")
    cookie = session_cookie(http, portal)
    assert cookie
    token = csrf_token(page)
    inject_latency(cognito, "SetUserSettings", 3000)
    slow: dict[str, requests.Response] = {}

    def slow_change() -> None:
        copy = requests.Session()
        copy.cookies.set("mfa_portal", cookie)
        slow["change"] = copy.post(
            f"{portal.url}/settings/mfa",
            data={"csrf_token": token, "enable": "off", "confirmed": "yes"},
            allow_redirects=False,
            timeout=30,
        )

    in_flight = threading.Thread(target=slow_change)
    in_flight.start()
    wait_for_call(cognito, "SetUserSettings")
    signed_out = http.post(
        f"{portal.url}/logout", data={"csrf_token": token}, allow_redirects=False, timeout=30
    )
    assert signed_out.status_code == 303
    after_sign_out(cookie)
    in_flight.join(timeout=60)
    assert slow["change"].status_code == 303, "the slow change answered"
    return cookie


def assert_signed_out(portal: PortalServer, cookie: str) -> None:
    replay = requests.Session()
    replay.cookies.set("mfa_portal", cookie)
    again = replay.get(f"{portal.url}/settings/mfa", allow_redirects=False, timeout=30)
    assert again.status_code in (302, 303)
    assert again.headers["Location"].startswith("/login")


def test_a_sign_out_stays_done_whatever_finishes_after_it(portal: PortalServer, cognito) -> None:
    """The slow change must not write the deleted session back: the copied cookie stays
    worthless."""
    assert_signed_out(portal, sign_out_during_a_slow_change(portal, cognito))


def test_a_sign_out_stays_done_even_after_the_ended_id_is_forgotten(
    portal: PortalServer, cognito
) -> None:
    """A request can outlive the 10 minutes an ended id is remembered (a body sent slowly): the
    session it read is gone from the store, and it is not written back. Forgetting the ended id
    by hand stands in for the wait."""

    def forget_the_ended_id(sid: str) -> None:
        FileSystemCache(portal.env["SESSION_DIR"]).delete(ENDED_KEY_PREFIX + sid)

    assert_signed_out(portal, sign_out_during_a_slow_change(portal, cognito, forget_the_ended_id))
