"""Every catalog entry, shown through the portal's pages (Cognito stubbed by botocore's Stubber).

The other view tests follow each operation's own errors; this one makes sure that no entry exists
that a person could never read: every Cognito code and variant, every transport failure and the
portal's own conditions end up on a page as the catalog's message. (A read timeout during a
change, ``transport:read_timeout:write``, is shown in test_mfa_view.py.)
"""

from __future__ import annotations

import html
import time
from typing import Any

import pytest
from botocore.exceptions import (
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
    SSLError,
)
from botocore.stub import Stubber
from flask import Flask
from flask.testing import FlaskClient

from app.cognito import SMS_MFA_OPTION
from app.errors import CATALOG, lookup
from tests.support.unit import ACCESS_TOKEN, csrf_token, get_user_response, sign_in

COGNITO_CODES = sorted(key for key in CATALOG if ":" not in key)
TRANSPORT = {
    "transport:connection": lambda: EndpointConnectionError(endpoint_url="http://cognito.test"),
    "transport:connect_timeout": lambda: ConnectTimeoutError(endpoint_url="http://cognito.test"),
    "transport:read_timeout": lambda: ReadTimeoutError(endpoint_url="http://cognito.test"),
    "transport:dns": lambda: EndpointConnectionError(
        endpoint_url="http://cognito.test",
        error="[Errno -2] Name or service not known",
    ),
    "transport:tls": lambda: SSLError(endpoint_url="https://cognito.test", error="bad cert"),
}


def readable(page: str) -> str:
    return html.unescape(page)


def show_settings(client: FlaskClient, stubber: Stubber, **user: Any) -> str:
    stubber.add_response("get_user", get_user_response(**user), {"AccessToken": ACCESS_TOKEN})
    return client.get("/settings/mfa").text


def page_after(client: FlaskClient, response: Any, stubber: Stubber) -> str:
    """The page the person lands on after a redirect (or the response itself)."""
    if response.status_code != 303:
        return response.text
    location = response.headers["Location"]
    if location.startswith("/settings/"):
        stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    return client.get(location).text


@pytest.mark.parametrize("code", COGNITO_CODES)
def test_every_cognito_code_reaches_the_page_as_its_message(
    signed_in: FlaskClient, stubber: Stubber, code: str
) -> None:
    stubber.add_client_error("get_user", code, "said by the test")
    response = signed_in.get("/settings/mfa")
    assert response.status_code in (303, 503)
    assert lookup(code).message in readable(page_after(signed_in, response, stubber))


@pytest.mark.parametrize("key", sorted(TRANSPORT))
def test_every_transport_failure_reaches_the_page_as_its_message(
    app: Flask, signed_in: FlaskClient, key: str
) -> None:
    def fail(**_kwargs: Any) -> None:
        raise TRANSPORT[key]()

    app.extensions["mfa_portal.cognito"].client.meta.events.register(
        "before-send.cognito-idp.*", fail
    )
    response = signed_in.get("/settings/mfa")
    assert response.status_code == 503
    assert CATALOG[key].message in readable(response.text)


@pytest.mark.parametrize(
    ("key", "enable", "confirmed"),
    [
        ("InvalidParameterException:enable_sms_mfa", "on", None),
        ("InvalidParameterException:disable_sms_mfa", "off", "yes"),
    ],
)
def test_sms_mfa_variants_reach_the_page(
    signed_in: FlaskClient, stubber: Stubber, key: str, enable: str, confirmed: str | None
) -> None:
    token = csrf_token(show_settings(signed_in, stubber, legacy_sms=enable == "off"))
    code = key.split(":")[0]
    options = [SMS_MFA_OPTION] if enable == "on" else []
    if enable == "on":  # the number is read from Cognito before turning SMS MFA on
        stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    stubber.add_client_error(
        "set_user_settings",
        code,
        "said by the test",
        expected_params={"AccessToken": ACCESS_TOKEN, "MFAOptions": options},
    )
    form = {"csrf_token": token, "enable": enable}
    if confirmed:
        form["confirmed"] = confirmed
    response = signed_in.post("/settings/mfa", data=form)
    assert CATALOG[key].message in readable(page_after(signed_in, response, stubber))


@pytest.mark.parametrize(
    "key", ["InvalidParameterException:update_phone", "CodeDeliveryFailureException:update_phone"]
)
def test_phone_variants_reach_the_page(signed_in: FlaskClient, stubber: Stubber, key: str) -> None:
    stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    token = csrf_token(signed_in.get("/settings/phone").text)
    stubber.add_client_error("update_user_attributes", key.split(":")[0], "said by the test")
    response = signed_in.post(
        "/settings/phone", data={"csrf_token": token, "country": "US", "phone_number": "2025550143"}
    )
    assert CATALOG[key].message in readable(page_after(signed_in, response, stubber))


def test_missing_scope_reaches_the_page(signed_in: FlaskClient, stubber: Stubber) -> None:
    stubber.add_client_error(
        "get_user", "NotAuthorizedException", "Access Token does not have required scopes"
    )
    page = signed_in.get("/settings/mfa").text
    assert CATALOG["NotAuthorizedException:missing_scope"].message in readable(page)


def test_an_ended_session_reaches_the_page(client: FlaskClient) -> None:
    sign_in(client)
    with client.session_transaction() as session:
        session["signed_in_at"] = int(time.time()) - 10 * 86400
    response = client.get("/settings/mfa")
    assert response.status_code == 303
    follow = client.get("/").text  # the message waits on the next page shown
    assert CATALOG["portal:session_expired"].message in readable(follow)


def test_a_failed_sign_in_reaches_the_page(client: FlaskClient) -> None:
    response = client.get("/auth/callback?code=abc&state=forged")
    assert response.status_code in (302, 303)
    assert CATALOG["portal:signin_failed"].message in readable(client.get("/").text)


def test_an_unknown_code_gets_the_generic_message(signed_in: FlaskClient, stubber: Stubber) -> None:
    stubber.add_client_error("get_user", "BrandNewFutureException", "said by the test")
    response = signed_in.get("/settings/mfa")
    assert response.status_code == 503
    assert CATALOG["portal:unknown"].message in readable(response.text)


def test_a_message_is_said_once_when_the_change_and_the_page_fail_alike(
    app: Flask, signed_in: FlaskClient, stubber: Stubber
) -> None:
    token = csrf_token(show_settings(signed_in, stubber))
    stubber.deactivate()

    def unreachable(**_kwargs: Any) -> None:
        raise TRANSPORT["transport:connection"]()

    app.extensions["mfa_portal.cognito"].client.meta.events.register(
        "before-send.cognito-idp.*", unreachable
    )
    response = signed_in.post("/settings/mfa", data={"csrf_token": token, "enable": "on"})
    page = signed_in.get(response.headers["Location"])
    assert page.status_code == 503
    assert readable(page.text).count(CATALOG["transport:connection"].message) == 1
