"""/oauth2/token (an authorization code or a refresh token for tokens) and /oauth2/revoke, both
called by an authenticated client; errors as RFC 6749 section 5.2 has them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from flask import Blueprint, Response, jsonify, request
from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpUserPoolClient

from ..extensions import stand_in
from ..forgery import forge
from ..quotas import refuse_token_request
from ..state import StandIn
from .responses import oauth_error

bp = Blueprint("token_endpoint", __name__)


class ClientAuthError(Exception):
    def __init__(self, description: str, used_basic: bool) -> None:
        super().__init__(description)
        self.description = description
        self.status = 401 if used_basic else 400

    def response(self) -> Response:
        headers = {"WWW-Authenticate": 'Basic realm="cognito"'} if self.status == 401 else None
        return oauth_error("invalid_client", self.description, self.status, headers)


def authenticate_client(state: StandIn) -> CognitoIdpUserPoolClient:
    """The client calling /oauth2/token or /oauth2/revoke (HTTP Basic or form credentials)."""
    auth = request.authorization
    used_basic = auth is not None and auth.type == "basic"
    if used_basic:
        client_id, secret = auth.username, auth.password  # type: ignore[union-attr]
    else:
        client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
    client = state.client(client_id)
    if client is None:
        raise ClientAuthError("Client does not exist or client_id is missing.", used_basic)
    if client.generate_secret and not hmac.compare_digest(
        (secret or "").encode(), client.secret.encode()
    ):
        raise ClientAuthError("Client authentication failed.", used_basic)
    return client


def pkce_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return hmac.compare_digest(expected, challenge)


@bp.post("/oauth2/token")
def token() -> Response:
    state = stand_in()
    state.stats.count("http", "token")
    if (throttled := refuse_token_request(state.quotas)) is not None:
        return throttled
    with state.lock:
        try:
            client = authenticate_client(state)
        except ClientAuthError as error:
            return error.response()
        grant_type = request.form.get("grant_type")
        if not grant_type:
            return oauth_error("invalid_request", "grant_type is required")
        if grant_type == "authorization_code":
            return exchange_code(state, client)
        if grant_type == "refresh_token":
            return refresh(state, client)
        if grant_type == "client_credentials":
            return oauth_error("unauthorized_client", "client_credentials is not enabled")
        return oauth_error("unsupported_grant_type", f"{grant_type} is not supported")


def token_response(body: dict[str, Any]) -> Response:
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def exchange_code(state: StandIn, client: CognitoIdpUserPoolClient) -> Response:
    """grant_type=authorization_code: the code once, by its client, with its redirect_uri and
    PKCE verifier. A code used twice revokes the tokens its first use gave."""
    code = request.form.get("code")
    if not code:
        return oauth_error("invalid_request", "code is required")
    grant = state.authorization_codes.get(code)
    if grant is None or grant.request.client_id != client.id:
        return oauth_error("invalid_grant", "The authorization code is invalid.")
    if grant.used:
        if grant.origin_jti and grant.origin_jti in state.pool.families:
            state.pool.revoke_family(grant.origin_jti)
        return oauth_error("invalid_grant", "The authorization code has already been used.")
    if grant.expires_at <= time.time():
        return oauth_error("invalid_grant", "The authorization code has expired.")
    if request.form.get("redirect_uri") != grant.request.redirect_uri:
        return oauth_error("invalid_grant", "redirect_uri does not match the authorize call.")
    if grant.request.code_challenge:
        verifier = request.form.get("code_verifier", "")
        if not verifier or not pkce_matches(verifier, grant.request.code_challenge):
            return oauth_error("invalid_grant", "code_verifier does not match the challenge.")
    grant.used = True
    if state.user(grant.username) is None:
        return oauth_error("invalid_grant", "The user no longer exists.")
    tokens = state.pool.issue_tokens(
        client.id, grant.username, grant.request.scopes, grant.request.nonce, grant.auth_time
    )
    grant.origin_jti = state.pool.family_by_refresh_token[tokens["refresh_token"]]
    if "openid" not in grant.request.scopes:
        del tokens["id_token"]
    elif state.id_token_forgery:
        tokens["id_token"] = forge(
            tokens["id_token"], state.id_token_forgery, state.pool.json_web_key
        )
        state.id_token_forgery = None
    return token_response(tokens)


def refresh(state: StandIn, client: CognitoIdpUserPoolClient) -> Response:
    """grant_type=refresh_token: new access and ID tokens (no new refresh token)."""
    refresh_token = request.form.get("refresh_token")
    if not refresh_token:
        return oauth_error("invalid_request", "refresh_token is required")
    try:
        family = state.pool.family_for_refresh_token(refresh_token)
    except NotAuthorizedError as error:
        return oauth_error("invalid_grant", error.message)
    if family.client_id != client.id:
        return oauth_error("invalid_grant", "Refresh token was issued to another client.")
    access_token, id_token, expires_in = state.pool.create_tokens_from_refresh_token(refresh_token)
    body = {
        "access_token": access_token,
        "id_token": id_token,
        "token_type": "Bearer",
        "expires_in": expires_in,
    }
    if "openid" not in family.scopes:
        del body["id_token"]
    return token_response(body)


@bp.post("/oauth2/revoke")
def revoke() -> Response:
    state = stand_in()
    state.stats.count("http", "revoke")
    with state.lock:
        try:
            client = authenticate_client(state)
        except ClientAuthError as error:
            return error.response()
        token_value = request.form.get("token")
        if not token_value:
            return oauth_error("invalid_request", "token is required")
        if token_value in state.pool.access_records:
            return oauth_error("unsupported_token_type", "Only refresh tokens can be revoked.")
        origin_jti = state.pool.family_by_refresh_token.get(token_value)
        if origin_jti is not None:
            if state.pool.families[origin_jti].client_id != client.id:
                return oauth_error("invalid_request", "Token was not issued to this client.")
            state.pool.revoke_family(origin_jti)
    return Response("", 200)
