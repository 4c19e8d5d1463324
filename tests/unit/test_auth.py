"""Sign-in, sign-out and re-authentication through the Flask test client; no network at all."""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.base_client import OAuthError
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from app.auth import AUTH_TIME_SKEW, token_scopes
from app.errors import lookup
from app.notices import notice
from app.sessions import SESSION_KEY_PREFIX
from tests.support.unit import (
    ACCESS_TOKEN,
    audited,
    callback,
    csrf_token,
    flashed,
    get_user_response,
    sign_in,
)

CLIENT_ID = "unitclient0000000000000001"
SCOPES = {"openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"}


def query(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def jwt_with(claims: Any) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJub25lIn0.{payload}.signature"


@pytest.fixture
def hosted_ui(app: Flask, oauth_metadata: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The token endpoint, as Authlib's ``authorize_access_token`` would return it."""

    class HostedUI:
        def __init__(self) -> None:
            self.claims: dict[str, Any] = {
                "sub": "sub-alice",
                "aud": CLIENT_ID,
                "cognito:username": "alice",
                "email": "alice@example.com",
                "auth_time": int(time.time()),
            }
            self.access_token = ACCESS_TOKEN
            self.error: Exception | None = None

        def authorize_access_token(self, **_kwargs: Any) -> dict[str, Any]:
            if self.error:
                raise self.error
            return {
                "access_token": self.access_token,
                "refresh_token": "refresh-token",
                "id_token": "id-token",
                "expires_in": 3600,
                "userinfo": dict(self.claims),
            }

    ui = HostedUI()
    monkeypatch.setattr(
        app.extensions["mfa_portal.oauth"].cognito,
        "authorize_access_token",
        ui.authorize_access_token,
    )
    return ui


# --- /login ------------------------------------------------------------------------------


def test_login_redirects_to_the_hosted_ui_with_pkce_state_and_nonce(client, oauth_metadata):
    response = client.get("/login")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(oauth_metadata["authorization_endpoint"] + "?")
    params = query(location)
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == "http://portal.test/auth/callback"
    assert set(params["scope"].split()) == SCOPES
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) >= 43
    assert len(params["state"]) >= 16
    assert len(params["nonce"]) >= 16
    assert "prompt" not in params
    assert "code_verifier" not in params


def test_each_login_gets_its_own_state_and_nonce(client, oauth_metadata):
    first = query(client.get("/login").headers["Location"])
    second = query(client.get("/login").headers["Location"])
    assert first["state"] != second["state"]
    assert first["nonce"] != second["nonce"]
    assert first["code_challenge"] != second["code_challenge"]


def test_reauth_when_signed_in_asks_for_a_fresh_sign_in(signed_in, oauth_metadata):
    response = signed_in.get("/login?reauth=1&next=/settings/mfa")
    assert response.status_code == 302
    params = query(response.headers["Location"])
    assert (params["prompt"], params["redirect_uri"]) == (
        "login",
        "http://portal.test/auth/callback",
    )
    with signed_in.session_transaction() as session:
        assert session["reauth"]["stage"] == "prompt"
        assert session["login_next"] == "/settings/mfa"


def test_reauth_when_signed_out_is_a_plain_sign_in(client, oauth_metadata):
    response = client.get("/login?reauth=1")
    assert "prompt" not in query(response.headers["Location"])


def test_login_when_signed_in_goes_straight_to_next(signed_in):
    response = signed_in.get("/login?next=/settings/phone")
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings/phone"


def test_signed_out_settings_page_redirects_to_login_with_next(client):
    response = client.get("/settings/mfa")
    assert response.status_code in (302, 303)
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert query(response.headers["Location"]) == {"next": "/settings/mfa"}


@pytest.mark.parametrize(
    "target", ["//evil.example", "https://evil.example/x", "/\\evil.example", "/%5Cevil.example"]
)
def test_login_never_remembers_another_site(client, oauth_metadata, target):
    client.get("/login", query_string={"next": target})
    with client.session_transaction() as session:
        assert session["login_next"] == "/settings/mfa"


def test_after_sign_in_an_evil_next_ends_at_the_settings_page(client, hosted_ui):
    client.get("/login", query_string={"next": "//evil.example"})
    response = callback(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/settings/mfa"


def test_after_sign_in_a_same_site_next_is_honoured(client, hosted_ui):
    client.get("/login", query_string={"next": "/settings/phone"})
    response = callback(client)
    assert response.headers["Location"] == "/settings/phone"


# --- /auth/callback ----------------------------------------------------------------------


def test_callback_starts_a_server_side_session(client, hosted_ui, caplog):
    client.get("/login")
    with caplog.at_level(logging.INFO, logger="mfa_portal.audit"):
        response = callback(client)
    assert (response.status_code, response.location) == (303, "/settings/mfa")
    assert [
        (r.event, r.outcome, r.sub, r.reauthentication)
        for r in caplog.records
        if getattr(r, "audit", False)
    ] == [("sign_in", "ok", "sub-alice", False)]
    with client.session_transaction() as session:
        assert session["user"] == {
            "sub": "sub-alice",
            "username": "alice",
            "email": "alice@example.com",
        }
        assert session["tokens"]["access_token"] == ACCESS_TOKEN
        assert session["tokens"]["refresh_token"] == "refresh-token"
        assert session["tokens"]["expires_at"] > time.time() + 3000
        assert session["auth_time"] == hosted_ui.claims["auth_time"]
        assert "id_token" not in json.dumps(dict(session))


def test_tokens_never_reach_the_browser(client, hosted_ui):
    client.get("/login")
    response = callback(client)
    cookies = " ".join(response.headers.getlist("Set-Cookie"))
    assert ACCESS_TOKEN not in cookies
    assert "refresh-token" not in cookies
    assert ACCESS_TOKEN not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    [
        "/auth/callback?code=c&state=not-the-state",
        "/auth/callback?code=c",
        "/auth/callback",
        "/auth/callback?error=access_denied&error_description=denied&state=s",
    ],
)
def test_a_bad_callback_lands_on_the_start_page_with_a_message(client, oauth_metadata, url):
    client.get("/login")
    response = client.get(url)
    assert response.status_code in (302, 303)
    assert response.headers["Location"] == "/"
    landing = client.get("/")
    assert landing.status_code == 200
    assert str(escape(lookup("portal:signin_failed").message)) in landing.text
    assert client.get("/settings/mfa").headers["Location"].startswith("/login")


def test_a_token_endpoint_that_cannot_be_reached_is_a_message(client, hosted_ui):
    hosted_ui.error = requests.ConnectionError("refused")
    client.get("/login")
    response = callback(client)
    assert response.headers["Location"] == "/"
    assert flashed(client) == [("warning", notice(lookup("transport:connection")))]
    assert str(escape(lookup("transport:connection").message)) in client.get("/").text


def test_an_id_token_without_a_subject_is_refused(client, hosted_ui):
    hosted_ui.claims.pop("sub")
    client.get("/login")
    response = callback(client)
    assert response.headers["Location"] == "/"
    assert flashed(client) == [("warning", notice(lookup("portal:signin_failed")))]
    assert client.get("/settings/mfa").headers["Location"].startswith("/login")


MISSING_SCOPE = ("NotAuthorizedException", "missing_scope")
MISSING_SCOPE_HINT = lookup(*MISSING_SCOPE).operator_hint


def test_an_access_token_without_the_admin_scope_is_refused(client, hosted_ui, caplog):
    """The operator is told which setting of the app client to fix; the audit names who tried."""
    hosted_ui.access_token = jwt_with({"scope": "openid email"})
    client.get("/login")
    with caplog.at_level(logging.INFO):
        response = callback(client)
    assert (response.status_code, response.location) == (302, "/")
    assert flashed(client) == [("error", notice(lookup(*MISSING_SCOPE)))]
    assert [
        (r.levelname, r.getMessage(), r.event, r.outcome, r.operator_hint)
        for r in caplog.records
        if r.name == "app.auth"
    ] == [
        (
            "ERROR",
            "access token lacks a required scope",
            "sign_in",
            "missing_scope",
            MISSING_SCOPE_HINT,
        )
    ]
    assert [(r.event, r.outcome, r.sub) for r in caplog.records if getattr(r, "audit", False)] == [
        ("sign_in", "missing_scope", "sub-alice")
    ]
    assert client.get("/settings/mfa").headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    ("error", "category", "entry", "operator_line", "audit_fields"),
    [
        # The app client doesn't allow a scope the portal asks for: nobody can sign in, and
        # the operator is told which setting to fix.
        (
            "invalid_scope",
            "error",
            MISSING_SCOPE,
            (
                "ERROR",
                "access token lacks a required scope",
                "missing_scope",
                None,
                MISSING_SCOPE_HINT,
            ),
            ("missing_scope", None),
        ),
        (
            "access_denied",
            "warning",
            ("portal:signin_failed",),
            ("WARNING", "sign-in callback failed", "failed", "access_denied", None),
            ("failed", "access_denied"),
        ),
        (
            "server_error",
            "warning",
            ("portal:signin_failed",),
            ("WARNING", "sign-in callback failed", "failed", "server_error", None),
            ("failed", "server_error"),
        ),
    ],
)
def test_a_sign_in_the_hosted_ui_refuses_says_why(
    client, hosted_ui, caplog, error, category, entry, operator_line, audit_fields
):
    hosted_ui.error = OAuthError(error=error)
    client.get("/login")
    with caplog.at_level(logging.INFO):
        response = callback(client, f"error={error}")
    assert (response.status_code, response.location) == (302, "/")
    assert flashed(client) == [(category, notice(lookup(*entry)))]
    assert [
        (
            r.levelname,
            r.getMessage(),
            r.outcome,
            getattr(r, "error", None),
            getattr(r, "operator_hint", None),
        )
        for r in caplog.records
        if r.name == "app.auth" and r.event == "sign_in"
    ] == [operator_line]
    assert [
        (r.event, r.outcome, getattr(r, "error", None), r.sub)
        for r in caplog.records
        if getattr(r, "audit", False)
    ] == [("sign_in", *audit_fields, None)]


def test_an_id_token_without_auth_time_is_no_fresh_sign_in(client, hosted_ui):
    """Without ``auth_time`` nothing shows the sign-in was interactive and recent (``iat`` is
    only when the token was issued, e.g. by a silent hosted-UI sign-in)."""
    hosted_ui.claims.pop("auth_time")
    hosted_ui.claims["iat"] = int(time.time())
    client.get("/login")
    callback(client)
    with client.session_transaction() as session:
        assert session["user"]["sub"] == "sub-alice"
        assert session["auth_time"] == 0


def test_a_callback_forced_on_a_signed_in_person_is_ignored(client, hosted_ui, caplog):
    """``/auth/callback?error=...`` sent to someone signed in, with no sign-in pending: no
    failed sign-in is recorded under their ``sub``, and they stay signed in."""
    sign_in(client)
    hosted_ui.error = OAuthError(error="access_denied")
    with caplog.at_level(logging.INFO):
        response = client.get("/auth/callback?error=access_denied&state=forged")
    assert response.status_code == 303
    assert response.headers["Location"] == "/settings/mfa"
    assert not [r for r in caplog.records if getattr(r, "audit", False)]
    assert [(r.getMessage(), r.event) for r in caplog.records if r.name == "app.auth"] == [
        ("callback without a pending sign-in ignored", "sign_in")
    ]
    with client.session_transaction() as session:
        assert session["user"]["sub"] == "sub-alice"


def test_a_callback_with_no_sign_in_pending_signs_nobody_in(client, hosted_ui):
    response = callback(client)
    assert response.headers["Location"] == "/"
    assert flashed(client) == [("warning", notice(lookup("portal:signin_failed")))]
    assert client.get("/settings/mfa").headers["Location"].startswith("/login")


# --- re-authentication -------------------------------------------------------------------


def test_a_fresh_reauthentication_renews_auth_time(client, hosted_ui):
    sign_in(client, auth_age=600)
    client.get("/login?reauth=1&next=/settings/mfa")
    response = callback(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/settings/mfa"
    with client.session_transaction() as session:
        assert session["auth_time"] >= time.time() - 5
        assert "reauth" not in session


@pytest.mark.parametrize(("late", "stale"), [(0, False), (1, True)])
def test_a_re_sign_in_is_fresh_up_to_the_clock_skew_allowed(client, hosted_ui, caplog, late, stale):
    """``auth_time`` may trail the moment the re-sign-in was asked by AUTH_TIME_SKEW seconds (the
    two clocks differ), and no more."""
    sign_in(client, auth_age=600)
    client.get("/login?reauth=1&next=/settings/mfa")
    with client.session_transaction() as session:
        started = session["reauth"]["started"]
    hosted_ui.claims["auth_time"] = started - AUTH_TIME_SKEW - late
    with caplog.at_level(logging.INFO, logger="mfa_portal.audit"):
        response = callback(client)
    assert response.location.startswith("http://cognito.test/logout?") is stale
    audits = [
        (r.event, r.outcome, r.reauthentication)
        for r in caplog.records
        if getattr(r, "audit", False)
    ]
    assert audits == ([] if stale else [("sign_in", "ok", True)])


def test_a_sign_in_that_lost_its_page_to_return_to_lands_on_the_mfa_page(client, hosted_ui):
    client.get("/login")
    with client.session_transaction() as session:
        del session["login_next"]
    assert callback(client).location == "/settings/mfa"


def test_a_stale_reauthentication_goes_through_the_hosted_ui_logout(client, hosted_ui):
    sign_in(client, auth_age=600)
    client.get("/login?reauth=1&next=/settings/mfa")
    hosted_ui.claims["auth_time"] = int(time.time()) - 600
    response = callback(client)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("http://cognito.test/logout?")
    params = query(location)
    assert params["response_type"] == "code"
    assert params["redirect_uri"] == "http://portal.test/auth/callback"
    assert params["client_id"] == CLIENT_ID


def test_a_plain_sign_in_is_never_judged_as_a_left_over_reauthentication(client, hosted_ui):
    """A re-sign-in marker left in a session that is no longer signed in (the hosted UI's page
    was left open past the session's end) doesn't turn the next plain sign-in, whose
    ``auth_time`` is whatever the hosted UI's cookie says, into a stale re-sign-in."""
    with client.session_transaction() as session:
        session["reauth"] = {"stage": "prompt", "started": int(time.time())}
    client.get("/login?next=/settings/phone")
    hosted_ui.claims["auth_time"] = int(time.time()) - 3600
    response = callback(client)
    assert (response.status_code, response.location) == (303, "/settings/phone")
    assert flashed(client) == []


def test_a_second_stale_reauthentication_says_so(client, hosted_ui, stubber):
    sign_in(client, auth_age=600)
    client.get("/login?reauth=1&next=/settings/mfa")
    hosted_ui.claims["auth_time"] = int(time.time()) - 600
    callback(client)
    with client.session_transaction() as session:
        assert session["reauth"]["stage"] == "logout"
    response = callback(client)
    assert response.status_code == 303
    assert flashed(client) == [("warning", notice(lookup("portal:reauth_failed")))]
    stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    page = client.get("/settings/mfa")
    assert str(escape(lookup("portal:reauth_failed").message)) in page.text


# --- sign-out ----------------------------------------------------------------------------


def settings_page_token(client: FlaskClient, stubber: Any) -> str:
    stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    return csrf_token(client.get("/settings/mfa").text)


def test_logout_revokes_and_ends_the_hosted_ui_session(app, signed_in, stubber, caplog):
    token = settings_page_token(signed_in, stubber)
    old_cookie = signed_in.get_cookie("mfa_portal").value
    store = app.config["SESSION_CACHELIB"]
    assert store.get(SESSION_KEY_PREFIX + old_cookie) is not None
    stubber.add_response("revoke_token", {}, {"Token": "refresh-token", "ClientId": CLIENT_ID})
    with caplog.at_level(logging.INFO, logger="mfa_portal.audit"):
        response = signed_in.post("/logout", data={"csrf_token": token})
    assert audited(caplog.records) == [("sign_out", "ok", None)]
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("http://cognito.test/logout?")
    assert query(location) == {"client_id": CLIENT_ID, "logout_uri": "http://portal.test/"}
    assert store.get(SESSION_KEY_PREFIX + old_cookie) is None

    assert signed_in.get("/settings/mfa").headers["Location"].startswith("/login")
    replay = app.test_client()
    replay.set_cookie("mfa_portal", old_cookie)
    response = replay.get("/settings/mfa")
    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith("/login")


def test_logout_still_signs_out_when_revocation_fails(signed_in, stubber):
    token = settings_page_token(signed_in, stubber)
    stubber.add_client_error("revoke_token", "InternalErrorException")
    response = signed_in.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("http://cognito.test/logout?")
    assert signed_in.get("/settings/mfa").headers["Location"].startswith("/login")


def test_logout_without_csrf_is_refused(signed_in, cognito_calls):
    response = signed_in.post("/logout")
    assert response.status_code == 400
    assert cognito_calls == []
    with signed_in.session_transaction() as session:
        assert session["user"]["sub"] == "sub-alice"


def test_logout_lands_on_the_start_page_saying_so(signed_in, stubber):
    token = settings_page_token(signed_in, stubber)
    stubber.add_response("revoke_token", {}, {"Token": "refresh-token", "ClientId": CLIENT_ID})
    signed_in.post("/logout", data={"csrf_token": token})
    assert flashed(signed_in) == [("success", notice("You're signed out."))]
    landing = signed_in.get("/")
    assert "You&#39;re signed out." in landing.text
    assert "all your devices" not in landing.text


def test_logout_everywhere_asks_first_and_changes_nothing(signed_in, stubber, cognito_calls):
    token = settings_page_token(signed_in, stubber)
    response = signed_in.post("/logout/everywhere", data={"csrf_token": token})
    assert response.status_code == 200
    assert "Sign out of all devices?" in response.text
    assert "including other browsers and phones" in response.text
    assert 'name="confirmed" type="hidden" value="yes"' in response.text
    assert cognito_calls == ["GetUser"]
    with signed_in.session_transaction() as session:
        assert session["user"]["sub"] == "sub-alice"


def test_logout_everywhere_signs_out_globally(signed_in, stubber, caplog):
    token = settings_page_token(signed_in, stubber)
    stubber.add_response("global_sign_out", {}, {"AccessToken": ACCESS_TOKEN})
    with caplog.at_level(logging.INFO, logger="mfa_portal.audit"):
        response = signed_in.post(
            "/logout/everywhere", data={"csrf_token": token, "confirmed": "yes"}
        )
    assert audited(caplog.records) == [("sign_out_everywhere", "ok", None)]
    assert flashed(signed_in) == [("success", notice("You're signed out on all your devices."))]
    assert response.status_code == 303
    assert response.headers["Location"].startswith("http://cognito.test/logout?")
    assert signed_in.get("/settings/mfa").headers["Location"].startswith("/login")
    assert "You&#39;re signed out on all your devices." in signed_in.get("/").text


def test_logout_everywhere_failure_keeps_the_session_and_says_why(signed_in, stubber):
    token = settings_page_token(signed_in, stubber)
    stubber.add_client_error("global_sign_out", "TooManyRequestsException")
    response = signed_in.post("/logout/everywhere", data={"csrf_token": token, "confirmed": "yes"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/settings/mfa"
    stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    page = signed_in.get("/settings/mfa")
    assert str(escape(lookup("TooManyRequestsException").message)) in page.text


def test_session_lifetime_is_enforced(client):
    sign_in(client, auth_age=50000)
    response = client.get("/settings/mfa")
    assert response.headers["Location"].startswith("/login")


def test_a_token_about_to_expire_that_cannot_be_refreshed_ends_the_session(
    app, client, monkeypatch
):
    def refused(**_kwargs: Any) -> None:
        raise OAuthError(error="invalid_grant")

    monkeypatch.setattr(app.extensions["mfa_portal.oauth"].cognito, "fetch_access_token", refused)
    sign_in(client, expires_in=30)
    response = client.get("/settings/phone")
    assert (response.status_code, response.location) == (303, "/login?next=/settings/phone")
    assert flashed(client) == [("info", notice(lookup("portal:session_expired")))]
    with client.session_transaction() as session:
        assert "user" not in session


# --- token_scopes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "scopes"),
    [
        (ACCESS_TOKEN, {"aws.cognito.signin.user.admin"}),
        (
            jwt_with({"scope": "openid aws.cognito.signin.user.admin"}),
            {"openid", "aws.cognito.signin.user.admin"},
        ),
        (jwt_with({"scope": ""}), set()),
        (jwt_with({"sub": "x"}), set()),
        (jwt_with(["not", "an", "object"]), set()),
        (jwt_with("a string"), set()),
        ("no-dots-at-all", set()),
        ("header.!!!not-base64!!!.sig", set()),
        ("header.bm90IGpzb24.sig", set()),
        ("", set()),
    ],
)
def test_token_scopes(token, scopes):
    assert token_scopes(token) == scopes


@pytest.mark.parametrize("error", ["invalid_scope", "access_denied", "server_error"])
def test_a_forged_error_callback_while_a_sign_in_is_pending_changes_nothing(
    client, hosted_ui, caplog, error
):
    """The victim has a sign-in pending (any GET /login?reauth=1 starts one); a cross-site link
    to the callback with an ``error`` but not that sign-in's ``state`` neither signs them out nor
    raises the operator's missing-scope alert nor records a failure under their ``sub``."""
    sign_in(client)
    client.get("/login?reauth=1&next=/settings/mfa")
    hosted_ui.error = OAuthError(error=error)
    with caplog.at_level(logging.INFO):
        response = client.get(f"/auth/callback?error={error}&state=guessed")
    assert response.status_code == 303
    assert response.headers["Location"] == "/settings/mfa"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [r for r in caplog.records if getattr(r, "audit", False)]
    with client.session_transaction() as session:
        assert session["user"]["sub"] == "sub-alice"


# --- a change asked for with a stale sign-in is carried across the re-sign-in -------------


def ask_with_a_stale_sign_in(client: FlaskClient, stubber: Any, path: str, **form: str) -> None:
    sign_in(client, auth_age=600)
    token = settings_page_token(client, stubber)
    response = client.post(path, data={"csrf_token": token, **form})
    assert response.headers["Location"] == "/sign-in-again"


def sign_in_again(client: FlaskClient) -> None:
    client.get("/login?reauth=1&next=/settings/mfa")
    assert callback(client).headers["Location"] == "/settings/mfa"


def pending_form(page: str) -> dict[str, str]:
    card = page[page.index('data-testid="pending-change"') : page.index("</section>")]
    fields = dict(re.findall(r'<input name="([^"]+)" type="hidden" value="([^"]*)">', card))
    return fields


def test_a_change_that_cannot_be_carried_across_asks_to_make_it_again_after_signing_in(
    client, stubber, cognito_calls
):
    """A stale sign-in and a form the portal has no wording for: nothing is remembered, the
    person is told to make the change again, and sent to sign in again, back to this page."""
    sign_in(client, auth_age=600)
    token = settings_page_token(client, stubber)
    response = client.post("/settings/mfa", data={"csrf_token": token, "enable": "maybe"})
    assert (response.status_code, response.location) == (
        303,
        "/login?reauth=1&next=/settings/mfa",
    )
    assert flashed(client) == [
        (
            "info",
            notice(
                "To protect your account, please sign in again to confirm it's you. "
                "Nothing was changed yet: make the change again once you're back."
            ),
        )
    ]
    assert cognito_calls == ["GetUser"]
    with client.session_transaction() as session:
        assert "pending_change" not in session


def test_after_signing_in_again_the_asked_for_change_is_confirmed_with_one_post(
    client, hosted_ui, stubber, cognito_calls
):
    ask_with_a_stale_sign_in(client, stubber, "/settings/mfa", enable="off")
    sign_in_again(client)
    stubber.add_response(
        "get_user", get_user_response(legacy_sms=True), {"AccessToken": ACCESS_TOKEN}
    )
    page = client.get("/settings/mfa").text
    assert cognito_calls == ["GetUser", "GetUser"], "showing the confirmation changes nothing"
    assert "Turn off SMS MFA?" in page
    assert "You asked to turn off SMS MFA before signing in again." in page
    fields = pending_form(page)
    assert fields.keys() == {"csrf_token", "enable", "confirmed"}
    assert (fields["enable"], fields["confirmed"]) == ("off", "yes")

    stubber.add_response("set_user_settings", {}, {"AccessToken": ACCESS_TOKEN, "MFAOptions": []})
    response = client.post("/settings/mfa", data=fields)
    assert response.headers["Location"] == "/settings/mfa"
    stubber.assert_no_pending_responses()
    stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    after = client.get("/settings/mfa").text
    assert "SMS MFA is now off." in after
    assert 'data-testid="pending-change"' not in after


def test_the_change_waits_for_a_fresh_sign_in_and_its_own_page(client, hosted_ui, stubber):
    ask_with_a_stale_sign_in(client, stubber, "/logout/everywhere")
    stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    assert "pending-change" not in client.get("/settings/mfa").text, "not before signing in again"
    why = client.get("/sign-in-again").text
    assert "For your security, sign in again to sign out of all devices." in why
    assert "Changes like this need a sign-in from the last 5 minutes." in why
    assert 'href="/login?reauth=1&amp;next=/settings/mfa"' in why
    sign_in_again(client)
    stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    assert "pending-change" not in client.get("/settings/phone").text, "only where it was asked"
    stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    page = client.get("/settings/mfa").text
    assert "Sign out of all devices?" in page
    assert pending_form(page).keys() == {"csrf_token", "confirmed"}


def test_someone_else_signing_in_never_sees_the_change(client, hosted_ui, stubber):
    ask_with_a_stale_sign_in(client, stubber, "/settings/mfa", enable="on")
    hosted_ui.claims.update(sub="sub-bob", **{"cognito:username": "bob"})
    sign_in_again(client)
    stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    assert "pending-change" not in client.get("/settings/mfa").text


def test_cancelling_goes_back_to_the_page_the_change_was_asked_on(client, hosted_ui, stubber):
    ask_with_a_stale_sign_in(
        client, stubber, "/settings/phone", country="US", phone_number="(202) 555-0143"
    )
    token = csrf_token(client.get("/sign-in-again").text)
    response = client.post("/sign-in-again/cancel", data={"csrf_token": token})
    assert (response.status_code, response.location) == (303, "/settings/phone")
    assert flashed(client) == [("info", notice("Nothing was changed."))]


def test_cancelling_forgets_the_change_and_says_nothing_changed(
    client, hosted_ui, stubber, cognito_calls
):
    ask_with_a_stale_sign_in(client, stubber, "/settings/mfa", enable="on")
    token = csrf_token(client.get("/sign-in-again").text)
    response = client.post("/sign-in-again/cancel", data={"csrf_token": token})
    assert response.headers["Location"] == "/settings/mfa"
    stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    assert "Nothing was changed." in client.get("/settings/mfa").text
    sign_in_again(client)
    stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    assert "pending-change" not in client.get("/settings/mfa").text
    nothing_pending = client.get("/sign-in-again")
    assert (nothing_pending.status_code, nothing_pending.location) == (303, "/settings/mfa")
    assert "SetUserSettings" not in cognito_calls


def test_cancelling_with_nothing_pending_goes_to_the_mfa_page(signed_in, stubber):
    token = settings_page_token(signed_in, stubber)
    response = signed_in.post("/sign-in-again/cancel", data={"csrf_token": token})
    assert (response.status_code, response.location) == (303, "/settings/mfa")
