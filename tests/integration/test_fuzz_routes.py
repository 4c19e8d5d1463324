"""Property-based: random queries, form bodies, oversized bodies and odd headers against every
route of the real portal under gunicorn, signed in and signed out. Never a 5xx, and without a
valid CSRF token nothing at the stand-in ever changes."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import MAX_BODY_BYTES, create_app
from app.config import load_settings
from localcognito.server import LocalCognito
from localcognito.state import mfa_options
from tests.support.http import (
    ALICE_PHONE,
    PortalFarm,
    csrf_token,
    sign_in,
    sms_mfa_at_standin,
)
from tests.support.servers import PortalServer

MAX_EXAMPLES = 150
HEADER_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=0, max_size=40
).map(str.strip)
WORDS = st.text(max_size=40)
KEYS = st.sampled_from(
    ["next", "reauth", "code", "state", "error", "enable", "confirmed", "csrf_token", "phone"]
) | st.text(min_size=1, max_size=12)


@dataclass(frozen=True)
class Route:
    rule: str
    methods: frozenset[str]


def routes_of(portal: PortalServer) -> list[Route]:
    """Every rule of the portal's own url_map (an app built from the same settings)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        app = create_app(load_settings(portal.env))
    finally:
        root.handlers[:], root.level = handlers, level
    return [
        Route(rule.rule, frozenset(rule.methods or ()) & {"GET", "POST"})
        for rule in app.url_map.iter_rules()
    ]


@dataclass
class Fuzzing:
    portal: PortalServer
    cognito: LocalCognito
    routes: list[Route]
    signed_in: requests.Session
    foreign_token: str
    stale_token: str


@pytest.fixture(scope="module")
def fuzzing(farm: PortalFarm, portal: PortalServer) -> Iterator[Fuzzing]:
    assert farm.cognito is not None
    alice, bob = requests.Session(), requests.Session()
    stale_token = csrf_token(sign_in(alice, portal.url, "alice"))
    # A token from alice's earlier session (sign-in regenerates the session)...
    alice.cookies.clear()
    sign_in(alice, portal.url, "alice")
    # ... and one from another person's session: neither is valid for alice now.
    foreign_token = csrf_token(sign_in(bob, portal.url, "bob"))
    yield Fuzzing(portal, farm.cognito, routes_of(portal), alice, foreign_token, stale_token)
    fuzz_state_unchanged(farm.cognito)


def fuzz_state_unchanged(cognito: LocalCognito) -> None:
    assert sms_mfa_at_standin(cognito, "alice") is False
    assert sms_mfa_at_standin(cognito, "bob") is False


def concrete_path(rule: str, filler: str) -> str:
    segment = filler.replace("/", "") or "x"
    return re.sub(r"<[^>]+>", lambda _: segment, rule)


@st.composite
def requests_to_send(draw: st.DrawFn, fuzzing: Fuzzing) -> dict:
    route = draw(st.sampled_from(fuzzing.routes))
    method = draw(st.sampled_from(sorted(route.methods | {"GET", "POST"})))
    path = concrete_path(route.rule, draw(st.sampled_from(["css/portal.css", "nope"]) | WORDS))
    token = st.sampled_from([fuzzing.foreign_token, fuzzing.stale_token, "", "forged"]) | WORDS
    form = draw(st.dictionaries(KEYS, WORDS, max_size=5))
    if draw(st.booleans()):
        form["csrf_token"] = draw(token)
    if draw(st.booleans()):
        form["enable"] = draw(st.sampled_from(["on", "off"]))
        form["confirmed"] = "yes"
    body: dict | bytes = form
    headers = draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "Content-Type",
                    "X-Forwarded-For",
                    "X-Forwarded-Proto",
                    "X-Forwarded-Host",
                    "X-Request-ID",
                    "Origin",
                    "Referer",
                    "Accept",
                    "Accept-Language",
                    "X-CSRFToken",
                    "Transfer-Encoding-Hint",
                ]
            ),
            HEADER_TEXT,
            max_size=4,
        )
    )
    oversized = method == "POST" and draw(st.integers(0, 9)) == 0
    if oversized:
        body = {"enable": "on", "filler": "x" * (MAX_BODY_BYTES + draw(st.integers(1, 4096)))}
        headers.pop("Content-Type", None)
    elif draw(st.integers(0, 4)) == 0:
        body = draw(st.binary(max_size=300))
    return {
        "method": method,
        "path": path,
        "params": draw(st.dictionaries(KEYS, WORDS, max_size=4)),
        "body": body,
        "headers": headers,
        "signed_in": draw(st.booleans()),
        "oversized": oversized and "POST" in route.methods,
    }


def alice_unchanged(cognito: LocalCognito) -> None:
    assert cognito.state is not None
    with cognito.state.lock:
        user = cognito.state.user("alice")
        assert user is not None
        assert mfa_options(user) == []
        assert not user.sms_mfa_enabled
        assert user.attribute_lookup.get("phone_number") == ALICE_PHONE
        assert user.attribute_lookup.get("phone_number_verified") == "true"


def test_no_route_ever_fails_or_changes_anything_without_a_csrf_token(
    fuzzing: Fuzzing,
) -> None:
    anonymous = requests.Session()

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        sent = data.draw(requests_to_send(fuzzing))
        http = fuzzing.signed_in if sent["signed_in"] else anonymous
        body = sent["body"]
        response = http.request(
            sent["method"],
            f"{fuzzing.portal.url}{sent['path']}",
            params=sent["params"],
            data=body,
            headers=sent["headers"],
            allow_redirects=False,
            timeout=10,
        )
        shown = {**sent, "body": repr(sent["body"])[:200]}
        assert response.status_code < 500, (shown, response.status_code)
        if sent["oversized"]:
            # Another site's Origin is refused before the body is read (400); else it's too big.
            assert response.status_code in ((400, 413) if "Origin" in sent["headers"] else (413,))
            assert "Nothing was changed" in response.text
        alice_unchanged(fuzzing.cognito)

    check()
    still = fuzzing.signed_in.get(
        f"{fuzzing.portal.url}/settings/mfa", allow_redirects=False, timeout=10
    )
    assert still.status_code == 200, "alice stayed signed in: the signed-in half was exercised"
