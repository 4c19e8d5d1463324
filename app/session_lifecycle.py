"""A signed-in session from start to end: what it holds, its idle and lifetime expiry (with the
keep-alive), the access token's refresh, and calls made with that token."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from authlib.common.errors import AuthlibBaseError
from flask import current_app, session

from . import pending_change
from .errors import PortalError, lookup
from .extensions import oauth_client, service, settings, signed_in_user
from .notices import Notice, flash_notice, notice
from .observability import audit, log_cognito_unreachable
from .sessions import SESSION_TOUCH_SECONDS, mark_session_ended, regenerate_session_id
from .status_cache import forget_status

log = logging.getLogger(__name__)

R = TypeVar("R")


def start_session(token: dict[str, Any], claims: dict[str, Any]) -> None:
    now = int(time.time())
    next_path = session.get("login_next")
    carried = pending_change.carried_across_sign_in()
    session.clear()
    session.update(
        **carried,
        user={
            "sub": claims["sub"],
            "username": claims.get("cognito:username") or claims.get("username") or claims["sub"],
            "email": claims.get("email"),
        },
        tokens={
            "access_token": token["access_token"],
            "refresh_token": token.get("refresh_token"),
            "expires_at": _expires_at(token, now),
        },
        # No auth_time claim: the sign-in can't be shown to be recent, so it counts as stale.
        auth_time=int(claims.get("auth_time") or 0),
        signed_in_at=now,
        seen_at=now,
        login_next=next_path,
    )
    regenerate_session_id(current_app)
    forget_status()  # a sign-in reads the status afresh


def end_session(message: Notice | None = None, category: str = "warning") -> None:
    """Forget everything server-side; a copied cookie is worth nothing afterwards, and a request
    still in flight with it can't write it back."""
    if session:
        forget_status()  # e.g. signed out everywhere: another device's next page asks Cognito
        mark_session_ended(current_app)
    session.clear()
    if message:
        flash_notice(message, category)
        regenerate_session_id(current_app)


def expire_or_keep_alive() -> None:
    """End a signed-in session that has been idle or lived too long (revoking its refresh token);
    otherwise record the activity, writing the session back at most every few seconds."""
    if not signed_in_user():
        return
    now = int(time.time())
    portal = settings()
    idle = now - session.get("seen_at", session.get("signed_in_at", 0))
    lived = now - session.get("signed_in_at", 0)
    if idle > portal.session_idle_seconds or lived > portal.session_lifetime_seconds:
        revoke_refresh_token()
        audit(
            "session_expired",
            "ok",
            reason="idle" if lived <= portal.session_lifetime_seconds else "lifetime",
        )
        end_session(notice(lookup("portal:session_expired")), "info")
    elif idle >= SESSION_TOUCH_SECONDS:
        session["seen_at"] = now


def is_fresh_signin() -> bool:
    return time.time() - session.get("auth_time", 0) <= settings().fresh_signin_seconds


def revoke_refresh_token() -> None:
    refresh_token = (session.get("tokens") or {}).get("refresh_token")
    if not refresh_token:
        return
    try:
        service().revoke_refresh_token(refresh_token)
    except PortalError:
        log.warning("refresh token not revoked at sign-out", extra={"event": "sign_out"})


# --- the access token --------------------------------------------------------------------


def access_token() -> str:
    return session["tokens"]["access_token"]


def access_token_expires_soon() -> bool:
    """Whether the access token expires within ``TOKEN_REFRESH_MARGIN_SECONDS``."""
    return session["tokens"]["expires_at"] - time.time() < settings().token_refresh_margin_seconds


def _expires_at(token: dict[str, Any], now: int) -> int:
    if token.get("expires_at"):
        return int(token["expires_at"])
    return now + int(token.get("expires_in") or 3600)


def refresh_tokens() -> bool:
    """Swap the refresh token for a new access token; False when Cognito refuses it."""
    tokens = session.get("tokens") or {}
    if not tokens.get("refresh_token"):
        return False
    try:
        new = oauth_client().fetch_access_token(
            grant_type="refresh_token", refresh_token=tokens["refresh_token"]
        )
    except AuthlibBaseError as exc:
        log.info("token refresh refused", extra={"event": "token_refresh", "error": exc.error})
        return False
    except (requests.RequestException, ValueError) as exc:
        # Unreachable, or an answer that isn't a token response (e.g. an HTML error page).
        if isinstance(exc, requests.RequestException):
            log_cognito_unreachable(exc)
        raise PortalError("transport:connection", operation="RefreshToken") from exc
    session["tokens"] = {
        "access_token": new["access_token"],
        "refresh_token": new.get("refresh_token") or tokens["refresh_token"],
        "expires_at": _expires_at(new, int(time.time())),
    }
    log.info("access token refreshed", extra={"event": "token_refresh", "outcome": "ok"})
    return True


def call_with_token(fn: Callable[..., R], *args: Any) -> R:
    """Call ``fn(access_token, *args)``; on "Access Token has expired" refresh once and retry."""
    try:
        return fn(access_token(), *args)
    except PortalError as error:
        if (
            error.code == "NotAuthorizedException"
            and error.variant == "expired"
            and refresh_tokens()
        ):
            return fn(access_token(), *args)
        raise
