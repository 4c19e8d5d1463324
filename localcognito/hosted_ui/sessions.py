"""The end of an interactive sign-in: the authorization code handed to the client, and the hosted
UI's own session (its cookie), which signs the same person in again without a password."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from flask import Response, request

from ..state import StandIn
from .authorize_request import AuthRequest
from .responses import redirect_to_client

SESSION_COOKIE = "cognito"
AUTHORIZATION_CODE_VALIDITY = 300
HOSTED_SESSION_VALIDITY = 3600


@dataclass
class AuthorizationCode:
    request: AuthRequest
    username: str
    auth_time: int
    expires_at: float
    used: bool = False
    origin_jti: str | None = None


@dataclass
class HostedSession:
    username: str
    auth_time: int
    expires_at: float
    clients: set[str] = field(default_factory=set)


def current_session(state: StandIn) -> HostedSession | None:
    """The hosted-UI session of this request's cookie, if it is current and its user exists."""
    sid = request.cookies.get(SESSION_COOKIE, "")
    session = state.hosted_sessions.get(sid)
    if session is None or session.expires_at <= time.time():
        return None
    if state.user(session.username) is None:
        return None
    return session


def finish_sign_in(state: StandIn, auth: AuthRequest, username: str, auth_time: int) -> Response:
    """Redirect to the client with a new authorization code, starting a hosted-UI session unless
    this very sign-in has one already."""
    code = secrets.token_urlsafe(32)
    state.authorization_codes[code] = AuthorizationCode(
        auth, username, auth_time, time.time() + AUTHORIZATION_CODE_VALIDITY
    )
    response = redirect_to_client(auth.redirect_uri, {"code": code, "state": auth.state})
    session = current_session(state)
    if session is None or session.username != username or session.auth_time != auth_time:
        sid = secrets.token_urlsafe(32)
        state.hosted_sessions[sid] = HostedSession(
            username, auth_time, time.time() + HOSTED_SESSION_VALIDITY, {auth.client_id}
        )
        response.set_cookie(
            SESSION_COOKIE,
            sid,
            max_age=HOSTED_SESSION_VALIDITY,
            path="/",
            httponly=True,
            samesite="Lax",
        )
    return response
