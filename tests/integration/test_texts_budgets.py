"""SMS pumping over real HTTP: typos spend nothing, one number gets so many texts whichever
accounts ask, and a ceiling on all texts that tells the operator when it trips."""

from __future__ import annotations

import html
import json

import requests

from tests.support.http import (
    csrf_token,
    get,
    post,
    sign_in,
    stats,
)
from tests.support.servers import PortalServer

PUMPED_NUMBER = "+1 202 555 0177"


PORTALS = {
    "per_person": {"RATE_LIMIT_CODES": "1 per 10 minutes"},
    "per_number": {"RATE_LIMIT_TEXTS_PER_NUMBER": "2 per day"},
    "ceiling": {"RATE_LIMIT_TEXTS_GLOBAL": "2 per hour"},
}


def signed_in(portal: PortalServer, username: str) -> tuple[requests.Session, str]:
    http = requests.Session()
    sign_in(http, portal.url, username)
    return http, csrf_token(get(http, f"{portal.url}/settings/phone"))


def send_number(
    http: requests.Session, portal: PortalServer, token: str, typed: str
) -> requests.Response:
    form = {"csrf_token": token, "country": "US", "phone_number": typed}
    return post(http, f"{portal.url}/settings/phone", data=form)


def texts_asked(cognito) -> int:
    api = stats(cognito)["api"]
    return api.get("UpdateUserAttributes", 0) + api.get("GetUserAttributeVerificationCode", 0)


def log_entries(portal: PortalServer) -> list[dict]:
    return [json.loads(line) for line in portal.log_lines() if line.startswith("{")]


def page_text(response: requests.Response) -> str:
    return " ".join(html.unescape(response.text).split())


def test_forms_refused_before_any_text_spend_nothing(
    portals: dict[str, PortalServer], cognito
) -> None:
    """Bob's two empty forms, ``call me maybe``, a short number, a premium-rate one and letters
    each spent his texts budget, and his valid number then got a 429."""
    portal = portals["per_person"]
    bob, token = signed_in(portal, "bob")
    for typed in ("", " ", "call me maybe", "(202) 555-01", "+1 900 555 0143", "202-555-abcd"):
        assert send_number(bob, portal, token, typed).status_code == 400, typed
    assert texts_asked(cognito) == 0

    assert send_number(bob, portal, token, "(202) 555-0143").status_code == 303
    refused = send_number(bob, portal, token, "(202) 555-0144")
    assert refused.status_code == 429
    assert (
        "You can ask for 1 code in 10 minutes. No code was sent. Try again in about 10 minutes."
        in page_text(refused)
    )
    assert texts_asked(cognito) == 1


def test_one_number_gets_only_so_many_texts_whichever_accounts_ask(
    portals: dict[str, PortalServer], cognito
) -> None:
    portal = portals["per_number"]
    people = [signed_in(portal, name) for name in ("alice", "bob", "carol")]
    statuses = [send_number(http, portal, token, PUMPED_NUMBER) for http, token in people]
    assert [r.status_code for r in statuses] == [303, 303, 429]
    refused = page_text(statuses[-1])
    assert "No text was sent" in refused
    assert "We text one phone number at most 2 times in a day" in refused
    assert "Nothing was sent. Try again in about 24 hours." in refused
    assert 23 * 3600 < int(statuses[-1].headers["Retry-After"]) <= 24 * 3600
    assert texts_asked(cognito) == 2
    warnings = [e for e in log_entries(portal) if e.get("event") == "texts_per_number_refused"]
    assert [e["level"] for e in warnings] == ["WARNING"]
    assert "2025550177" not in "\n".join(portal.log_lines())

    # "Send a new code" to that number is refused too; another number is still texted.
    alice, alice_token = people[0]
    resent = post(alice, f"{portal.url}/settings/phone/resend", data={"csrf_token": alice_token})
    assert resent.status_code == 429
    carol, carol_token = people[2]
    assert send_number(carol, portal, carol_token, "(202) 555-0178").status_code == 303
    assert texts_asked(cognito) == 3


def test_the_texts_ceiling_refuses_everyone_and_tells_the_operator_once(
    portals: dict[str, PortalServer], cognito
) -> None:
    portal = portals["ceiling"]
    people = [signed_in(portal, name) for name in ("alice", "bob", "carol")]
    numbers = ["(202) 555-0181", "(202) 555-0182", "(202) 555-0183"]
    statuses = [
        send_number(http, portal, token, number).status_code
        for (http, token), number in zip(people, numbers, strict=True)
    ]
    assert statuses == [303, 303, 429]
    alice, alice_token = people[0]
    resent = post(alice, f"{portal.url}/settings/phone/resend", data={"csrf_token": alice_token})
    assert resent.status_code == 429
    refused = page_text(resent)
    assert "We send at most 2 texts in an hour" in refused
    assert "Nothing was sent. Try again in about" in refused
    assert texts_asked(cognito) == 2

    reports = [e for e in log_entries(portal) if e.get("event") == "texts_ceiling_reached"]
    assert len(reports) == 1
    assert reports[0]["level"] == "ERROR"
