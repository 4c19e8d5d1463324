"""Sign-in through the hosted UI (Authlib), sign-out, the ``login_required`` guard, token refresh
and re-authentication for sensitive changes."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlencode, urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from . import pending_change
from .cognito import CognitoService, MfaStatus
from .config import OAUTH_SCOPES, REQUIRED_SCOPE, Settings
from .errors import NextAction, PortalError, lookup
from .observability import audit, log_cognito_unreachable
from .security import limiter, safe_next, user_or_address
from .sessions import SESSION_TOUCH_SECONDS, mark_session_ended, regenerate_session_id

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

P = ParamSpec("P")
R = TypeVar("R")

#: Clock skew tolerated when judging whether a re-authentication really happened.
AUTH_TIME_SKEW = 5


def settings() -> Settings:
    return current_app.extensions["mfa_portal.settings"]


def service() -> CognitoService:
    return current_app.extensions["mfa_portal.cognito"]


def oauth_client() -> Any:
    return current_app.extensions["mfa_portal.oauth"].cognito


def init_auth(app: Flask, portal_settings: Settings) -> None:
    client_kwargs: dict[str, Any] = {
        "scope": " ".join(OAUTH_SCOPES),
        "code_challenge_method": "S256",
        "default_timeout": (
            portal_settings.cognito_connect_timeout,
            portal_settings.cognito_read_timeout,
        ),
    }
    if not portal_settings.client_secret:
        client_kwargs["token_endpoint_auth_method"] = "none"
    oauth = OAuth(app)
    oauth.register(
        "cognito",
        client_id=portal_settings.client_id,
        client_secret=portal_settings.client_secret,
        server_metadata_url=portal_settings.discovery_url,
        client_kwargs=client_kwargs,
    )
    app.extensions["mfa_portal.oauth"] = oauth
    app.before_request(expire_or_keep_alive)
    app.register_blueprint(bp)


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
        _revoke_refresh_token()
        audit(
            "session_expired",
            "ok",
            reason="idle" if lived <= portal.session_lifetime_seconds else "lifetime",
        )
        end_session(notice("portal:session_expired"), "info")
    elif idle >= SESSION_TOUCH_SECONDS:
        session["seen_at"] = now


def _signin_limit() -> str:
    return settings().rate_limit_signin


#: Per-user budgets, each shared by every route that spends it: changes (SMS MFA on or off,
#: code checks) and texts sent (a new number, a new code), which cost money.
limit_changes = limiter.shared_limit(
    lambda: settings().rate_limit_changes, "changes", key_func=user_or_address, methods=["POST"]
)
limit_texts = limiter.shared_limit(
    lambda: settings().rate_limit_codes,
    "texts",
    key_func=user_or_address,
    methods=["POST"],
    deduct_when=lambda _response: False,  # checked here, spent by budgets.spend_texts
)


# --- the session -------------------------------------------------------------------------


def signed_in_user() -> dict[str, Any] | None:
    return session.get("user")


def signed_in_sub() -> str | None:
    return (signed_in_user() or {}).get("sub")


def access_token() -> str:
    return session["tokens"]["access_token"]


def notice(error: PortalError | str) -> dict[str, str]:
    """What a flashed failure carries to the page: the catalog's text and the next action."""
    entry = error.entry if isinstance(error, PortalError) else lookup(error)
    return {"text": entry.message, "action": entry.next_action.value}


def end_session(message: dict[str, str] | None = None, category: str = "warning") -> None:
    """Forget everything server-side; a copied cookie is worth nothing afterwards, and a request
    still in flight with it can't write it back."""
    if session:
        mark_session_ended(current_app)
    session.clear()
    if message:
        flash(message, category)
        regenerate_session_id(current_app)


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


def _expires_at(token: dict[str, Any], now: int) -> int:
    if token.get("expires_at"):
        return int(token["expires_at"])
    return now + int(token.get("expires_in") or 3600)


def token_scopes(token: str) -> set[str]:
    """Scopes of an access token received straight from the token endpoint (over TLS)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return set()
    if not isinstance(claims, dict):
        return set()
    return set(str(claims.get("scope", "")).split())


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


def status_or_error() -> MfaStatus | PortalError:
    """The person's MFA status, or the failure to show in its place (unless it ends the session,
    which is raised for the app's handler)."""
    try:
        return call_with_token(service().get_mfa_status)
    except PortalError as error:
        if error.entry.ends_session:
            raise
        return error


def change_failed(error: PortalError, event: str, back_to: str) -> Response:
    """Audit a failed change, then show the catalog's message on ``back_to`` (POST-redirect-GET).

    Errors that end the session are raised again for the app's handler, which signs out.
    """
    audit(event, "failed", error_code=error.code, cognito_request_id=error.request_id)
    if error.entry.ends_session:
        raise error
    flash(notice(error), error.entry.severity.value)
    return redirect(url_for(back_to), 303)


def _sign_in_redirect(message: dict[str, str] | None = None) -> Response:
    target = request.full_path.rstrip("?") if request.method == "GET" else request.path
    if message:
        flash(message, "info")
    return redirect(url_for("auth.login", next=target), 303)


def login_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    @wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if not signed_in_user():
            return _sign_in_redirect()
        now = time.time()
        if session["tokens"]["expires_at"] - now < settings().token_refresh_margin_seconds and not (
            refresh_tokens()
        ):
            end_session(notice("portal:session_expired"), "info")
            return _sign_in_redirect()
        return view(*args, **kwargs)

    return guarded


def is_fresh_signin() -> bool:
    return time.time() - session.get("auth_time", 0) <= settings().fresh_signin_seconds


def fresh_signin_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Sensitive changes need an interactive sign-in within ``FRESH_SIGNIN_SECONDS``.

    With an older sign-in the change is remembered (``pending_change``) and the person is told
    why they must sign in again before they leave for the hosted UI; once back, the page they
    return to asks them to confirm the same change with one button.
    """

    @wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if is_fresh_signin():
            pending_change.forget()
            return view(*args, **kwargs)
        sub, form = signed_in_sub(), request.form.to_dict()
        if sub and request.endpoint and pending_change.wording_for(request.endpoint, form):
            pending_change.remember(request.endpoint, form, _page_to_return_to(), sub)
            return redirect(url_for("auth.sign_in_again"), 303)
        flash(
            {
                "text": "To protect your account, please sign in again to confirm it's you. "
                "Nothing was changed yet: make the change again once you're back.",
                "action": "none",
            },
            "info",
        )
        return redirect(url_for("auth.login", reauth="1", next=_page_to_return_to()), 303)

    return guarded


def _page_to_return_to() -> str:
    """The page to come back to after re-authenticating: this path if it can be shown (GET),
    else the settings page (e.g. for ``/settings/phone/resend``, which only accepts POST)."""
    if current_app.url_map.bind("").test(request.path, method="GET"):
        return request.path
    return url_for("mfa.settings_page")


def pending_change_here() -> pending_change.PendingChange | None:
    """The change to confirm on this page: the person asked for it, has signed in again since,
    and has come back to the page it belongs to."""
    if request.method != "GET" or not signed_in_user() or not is_fresh_signin():
        return None
    change = pending_change.pending(signed_in_sub())
    return change if change is not None and change.return_to == request.path else None


def _in_words(seconds: int) -> str:
    if seconds % 60:
        return f"{seconds} seconds" if seconds != 1 else "1 second"
    minutes = seconds // 60
    return "minute" if minutes == 1 else f"{minutes} minutes"


# --- routes ------------------------------------------------------------------------------


@bp.get("/login")
@limiter.limit(_signin_limit)
def login() -> Response:
    next_path = safe_next(request.args.get("next"))
    reauth = request.args.get("reauth") == "1" and signed_in_user() is not None
    if signed_in_user() and not reauth:
        return redirect(next_path)
    session["login_next"] = next_path
    if not reauth:
        session.pop("reauth", None)
        return oauth_client().authorize_redirect(settings().callback_url)
    session["reauth"] = {"stage": "prompt", "started": int(time.time())}
    return oauth_client().authorize_redirect(settings().callback_url, prompt="login")


def _reauth_via_logout() -> Response:
    """Cognito's /logout with ``redirect_uri`` + ``response_type`` ends the hosted-UI session and
    opens a fresh sign-in: the classic hosted UI ignores ``prompt=login``."""
    client = oauth_client()
    rv = client.create_authorization_url(settings().callback_url)
    client.save_authorize_data(redirect_uri=settings().callback_url, **rv)
    return redirect(f"{settings().hosted_ui_url}/logout?{urlsplit(rv['url']).query}")


@bp.get("/auth/callback")
@limiter.limit(_signin_limit)
def callback() -> Response:
    if not sign_in_pending():
        # Not a sign-in this browser started: a forged or replayed callback link. It changes
        # nothing and is no failed sign-in of the person who happens to be signed in.
        log.info("callback without a pending sign-in ignored", extra={"event": "sign_in"})
        if signed_in_user():
            return redirect(url_for("mfa.settings_page"), 303)
        flash(notice("portal:signin_failed"), "warning")
        return redirect(url_for("pages.index"))
    try:
        token = oauth_client().authorize_access_token()
    except AuthlibBaseError as exc:
        if exc.error == "invalid_scope":
            # The app client doesn't allow a scope the portal asks for: no user can sign in.
            return _missing_scope(sub=None)
        log.warning(
            "sign-in callback failed",
            extra={"event": "sign_in", "outcome": "failed", "error": exc.error},
        )
        audit("sign_in", "failed", error=exc.error)
        flash(notice("portal:signin_failed"), "warning")
        return redirect(url_for("pages.index"))
    except JoseError as exc:
        return _id_token_refused(exc)
    except requests.RequestException as exc:
        log_cognito_unreachable(exc)
        flash(notice("transport:connection"), "warning")
        return redirect(url_for("pages.index"))
    claims = token.get("userinfo") or {}
    if not claims.get("sub"):
        flash(notice("portal:signin_failed"), "warning")
        return redirect(url_for("pages.index"))
    if REQUIRED_SCOPE not in token_scopes(token["access_token"]):
        return _missing_scope(sub=claims["sub"])

    reauth = session.pop("reauth", None)
    auth_time = int(claims.get("auth_time") or 0)
    # Never more slack than the freshness window: a sign-in already stale is no re-sign-in.
    skew = min(AUTH_TIME_SKEW, settings().fresh_signin_seconds)
    stale = bool(reauth) and auth_time < reauth["started"] - skew
    if stale and reauth["stage"] == "prompt":
        session["reauth"] = {**reauth, "stage": "logout"}
        return _reauth_via_logout()
    start_session(token, claims)
    if stale:
        flash(notice("portal:reauth_failed"), "warning")
    audit("sign_in", "ok", sub=claims["sub"], reauthentication=bool(reauth))
    return redirect(safe_next(session.pop("login_next", None)), 303)


def _id_token_refused(error: JoseError) -> Response:
    """The ID token failed verification (signature, ``iss``, ``aud``, ``exp`` or ``nonce``).

    During a re-sign-in through the hosted UI's /logout a token without ``nonce`` is expected
    from a Cognito that doesn't carry the undocumented parameters through: the person is told to
    sign in again, which works, rather than sent round in a loop.
    """
    reauth = session.pop("reauth", None)
    log.warning(
        "ID token refused",
        extra={
            "event": "sign_in",
            "outcome": "id_token_refused",
            "error": getattr(error, "error", type(error).__name__),
            "reason": getattr(error, "description", None),
        },
    )
    audit("sign_in", "failed", error="id_token_refused", reauthentication=bool(reauth))
    flash(notice("portal:reauth_failed" if reauth else "portal:signin_failed"), "warning")
    return redirect(url_for("pages.index"))


def sign_in_pending() -> bool:
    """Whether this callback answers a sign-in this browser started: its ``state`` is one Authlib
    keeps in the session (``_state_<client>_<state>``) until the callback. Checked before
    anything else, ``error=`` included: a forged link can neither sign the person out nor raise
    an operator alert."""
    state = request.args.get("state", "")
    return bool(state) and f"_state_cognito_{state}" in session


def _missing_scope(sub: str | None) -> Response:
    log.error(
        "access token lacks a required scope",
        extra={
            "event": "sign_in",
            "outcome": "missing_scope",
            "operator_hint": lookup("NotAuthorizedException:missing_scope").operator_hint,
        },
    )
    audit("sign_in", "missing_scope", sub=sub)
    end_session(notice(PortalError("NotAuthorizedException", variant="missing_scope")), "error")
    return redirect(url_for("pages.index"))


def action_link(action: str) -> dict[str, str] | None:
    """The link a notice offers for a catalog entry's next action, if there is one to follow."""
    s = settings()
    if action in (NextAction.SIGN_IN_AGAIN, NextAction.CONFIRM_ACCOUNT):
        return {"label": "Sign in again", "href": url_for("auth.login")}
    if action == NextAction.RESET_PASSWORD:
        query = urlencode(
            {"client_id": s.client_id, "response_type": "code", "redirect_uri": s.callback_url}
        )
        return {"label": "Reset your password", "href": f"{s.hosted_ui_url}/forgotPassword?{query}"}
    if action in (NextAction.ADD_PHONE, NextAction.VERIFY_PHONE, NextAction.REQUEST_NEW_CODE):
        return {"label": "Set up your phone number", "href": url_for("phone.edit")}
    if action == NextAction.CONTACT_SUPPORT and s.support_contact:
        return {"label": "Contact support", "href": s.support_contact}
    return None


def hosted_ui_logout_url() -> str:
    s = settings()
    return f"{s.hosted_ui_url}/logout?" + urlencode(
        {"client_id": s.client_id, "logout_uri": s.signed_out_url}
    )


def _revoke_refresh_token() -> None:
    refresh_token = (session.get("tokens") or {}).get("refresh_token")
    if not refresh_token:
        return
    try:
        service().revoke_refresh_token(refresh_token)
    except PortalError:
        log.warning("refresh token not revoked at sign-out", extra={"event": "sign_out"})


@bp.get("/sign-in-again")
@login_required
def sign_in_again() -> Response | str:
    """Before the hosted UI: why the person must sign in again, for the change they asked for."""
    change = pending_change.pending(signed_in_sub())
    if change is None:
        return redirect(url_for("mfa.settings_page"), 303)
    return render_template(
        "auth/sign_in_again.html",
        change=change,
        window=_in_words(settings().fresh_signin_seconds),
        sign_in_url=url_for("auth.login", reauth="1", next=change.return_to),
    )


@bp.post("/sign-in-again/cancel")
@login_required
def cancel_pending_change() -> Response:
    change = pending_change.pending(signed_in_sub())
    pending_change.forget()
    flash({"text": "Nothing was changed.", "action": "none"}, "info")
    return redirect(change.return_to if change else url_for("mfa.settings_page"), 303)


SIGNED_OUT = {"text": "You're signed out.", "action": "none"}
SIGNED_OUT_EVERYWHERE = {"text": "You're signed out on all your devices.", "action": "none"}


@bp.post("/logout")
def logout() -> Response:
    if signed_in_user():
        _revoke_refresh_token()
        audit("sign_out", "ok")
    end_session(SIGNED_OUT, "success")
    return redirect(hosted_ui_logout_url(), 303)


@bp.post("/logout/everywhere")
@login_required
@fresh_signin_required
def logout_everywhere() -> Response | str:
    """After a confirmation that says what happens: GlobalSignOut, then the hosted-UI /logout
    (its cookie would otherwise sign them back in)."""
    if request.form.get("confirmed") != "yes":
        wording = pending_change.wording_for("auth.logout_everywhere", {})
        return render_template("auth/confirm_sign_out_everywhere.html", wording=wording)
    try:
        call_with_token(service().global_sign_out)
    except PortalError as error:
        return change_failed(error, "sign_out_everywhere", "mfa.settings_page")
    audit("sign_out_everywhere", "ok")
    end_session(SIGNED_OUT_EVERYWHERE, "success")
    return redirect(hosted_ui_logout_url(), 303)
