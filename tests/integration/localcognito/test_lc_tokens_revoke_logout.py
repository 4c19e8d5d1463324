"""Revocation (API and /oauth2/revoke) and /logout."""

from __future__ import annotations

import pytest
import requests
from botocore.exceptions import ClientError
from lc_helpers import CALLBACK, query_of


def test_oauth_revoke_revokes_refresh_and_access_tokens(cognito, browser, idp):
    tokens = browser.tokens_for("alice")
    response = requests.post(
        f"{cognito.url}/oauth2/revoke",
        data={"token": tokens["refresh_token"]},
        auth=(cognito.client_id, cognito.client_secret),
        timeout=5,
    )
    assert response.status_code == 200
    with pytest.raises(ClientError) as excinfo:
        idp.get_user(AccessToken=tokens["access_token"])
    assert excinfo.value.response["Error"] == {
        "Code": "NotAuthorizedException",
        "Message": "Access Token has been revoked",
    }
    refreshed = browser.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"


def test_oauth_revoke_needs_client_auth(cognito, browser):
    tokens = browser.tokens_for("alice")
    response = requests.post(
        f"{cognito.url}/oauth2/revoke",
        data={"token": tokens["refresh_token"]},
        auth=(cognito.client_id, "wrong"),
        timeout=5,
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    missing = requests.post(
        f"{cognito.url}/oauth2/revoke",
        auth=(cognito.client_id, cognito.client_secret),
        timeout=5,
    )
    assert missing.json()["error"] == "invalid_request"


def test_api_revoke_token(cognito, idp, sign_in):
    result = sign_in("alice")["AuthenticationResult"]
    idp.revoke_token(
        Token=result["RefreshToken"],
        ClientId=cognito.client_id,
        ClientSecret=cognito.client_secret,
    )
    with pytest.raises(ClientError) as excinfo:
        idp.set_user_settings(AccessToken=result["AccessToken"], MFAOptions=[])
    assert excinfo.value.response["Error"]["Message"] == "Access Token has been revoked"


def test_api_revoke_token_with_wrong_secret(cognito, idp, sign_in):
    result = sign_in("alice")["AuthenticationResult"]
    with pytest.raises(ClientError) as excinfo:
        idp.revoke_token(
            Token=result["RefreshToken"],
            ClientId=cognito.client_id,
            ClientSecret="wrong-secret-wrong-secret-0000",
        )
    assert excinfo.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert idp.get_user(AccessToken=result["AccessToken"])["Username"] == "alice"


def test_logout_with_logout_uri_ends_the_session(cognito, browser):
    browser.sign_in("alice")
    response = browser.get(
        "/logout", client_id=cognito.client_id, logout_uri="http://127.0.0.1:8000/"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "http://127.0.0.1:8000/"
    again, _ = browser.authorize()
    assert again.headers["Location"].startswith("/login?")


def test_logout_refuses_unregistered_logout_uri(cognito, browser):
    browser.sign_in("alice")
    response = browser.get(
        "/logout", client_id=cognito.client_id, logout_uri="http://evil.example/"
    )
    assert response.status_code == 400
    assert "Location" not in response.headers
    still, _ = browser.authorize()
    assert still.headers["Location"].startswith(CALLBACK)


def test_logout_with_redirect_uri_goes_to_a_fresh_sign_in(cognito, browser):
    browser.sign_in("alice")
    response = browser.get(
        "/logout",
        client_id=cognito.client_id,
        redirect_uri=CALLBACK,
        response_type="code",
        state="xyz",
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/login?")
    assert query_of(location)["state"] == "xyz"
    again, _ = browser.authorize()
    assert again.headers["Location"].startswith("/login?")


def test_logout_without_client_is_an_error_page(cognito, browser):
    assert browser.get("/logout").status_code == 400
