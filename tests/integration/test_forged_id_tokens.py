"""Forged ID tokens from the stand-in (``POST /_local/id-token-forgery``), over real HTTP: the
hosted-UI sign-in is genuine but for its ID token, and the portal refuses it with the catalog's
message, signs nobody in, and tells the operator why."""

from __future__ import annotations

import html
import json

import pytest
import requests

from app.errors import lookup
from localcognito.forgery import FORGERIES
from localcognito.server import LocalCognito
from tests.support.http import sign_in
from tests.support.servers import PortalServer

#: What the portal's operator line says of each (Authlib's error and its description).
REFUSED_AS = {
    "signature": ("bad_signature", ""),
    "issuer": ("invalid_claim", "Invalid claim: 'iss'"),
    "audience": ("invalid_claim", "Invalid claim: 'aud'"),
    "audience_with_azp": ("invalid_claim", "Invalid claim: 'aud'"),
    "expired": ("expired_token", "The token is expired"),
    "nonce": ("invalid_claim", "Invalid claim: 'nonce'"),
    "no_nonce": ("missing_claim", "Missing claim: 'nonce'"),
}


def test_every_forgery_the_stand_in_makes_is_checked_here() -> None:
    assert REFUSED_AS.keys() == FORGERIES.keys()


def refusals(portal: PortalServer) -> list[tuple[str, str]]:
    lines = [json.loads(line) for line in portal.log_lines() if line.startswith("{")]
    return [
        (line["error"], line["reason"]) for line in lines if line["message"] == "ID token refused"
    ]


@pytest.mark.parametrize("kind", REFUSED_AS)
def test_a_forged_id_token_signs_nobody_in(
    portal: PortalServer, cognito: LocalCognito, kind: str
) -> None:
    requests.post(
        f"{cognito.url}/_local/id-token-forgery", json={"kind": kind}, timeout=5
    ).raise_for_status()
    before = len(refusals(portal))
    http = requests.Session()
    landing = sign_in(http, portal.url, "alice")
    assert landing.url == f"{portal.url}/"
    assert lookup("portal:signin_failed").message in html.unescape(landing.text)
    signed_out = http.get(f"{portal.url}/settings/mfa", allow_redirects=False, timeout=10)
    assert (signed_out.status_code, signed_out.headers["Location"]) == (
        303,
        "/login?next=/settings/mfa",
    )
    assert refusals(portal)[before:] == [REFUSED_AS[kind]]
    assert requests.get(f"{cognito.url}/_local/id-token-forgery", timeout=5).json() == {
        "kind": None
    }, "once"


def test_without_a_forgery_the_same_sign_in_works(
    portal: PortalServer, cognito: LocalCognito
) -> None:
    landing = sign_in(requests.Session(), portal.url, "alice")
    assert landing.url == f"{portal.url}/settings/mfa"


def test_an_unknown_forgery_is_refused_naming_the_kinds(cognito: LocalCognito) -> None:
    response = requests.post(
        f"{cognito.url}/_local/id-token-forgery", json={"kind": "sideways"}, timeout=5
    )
    assert response.status_code == 400
    assert ", ".join(FORGERIES) in response.text
