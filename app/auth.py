"""Sign-in through the hosted UI (Authlib), sign-out, and the guards views wear:
``login_required`` and ``fresh_signin_required`` (re-authentication for sensitive changes, with the
change carried across it by ``pending_change``).

The session these routes start and end is ``session_lifecycle``'s business."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import time
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar
from urllib.parse import urlencode, urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from flask import (
    Blueprint,
    Flask,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from joserfc.errors import DecodeError, InvalidClaimError, JoseError
from werkzeug.wrappers import Response

from . import pending_change
from .config import REQUIRED_SCOPE, Settings
from .errors import PortalError, lookup
from .extensions import init_oauth, oauth_client, service, settings, signed_in_user
from .notices import change_failed, flash_notice, notice
from .observability import audit, log_cognito_unreachable
from .security import limiter, safe_next
from .session_lifecycle import (
    access_token_expires_soon,
    call_with_token,
    end_session,
    expire_or_keep_alive,
    is_fresh_signin,
    refresh_tokens,
    revoke_refresh_token,
    start_session,
)
from .status_cache import signed_out_everywhere

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

P = ParamSpec("P")
R = TypeVar("R")

#: Clock skew tolerated when judging whether a re-authentication really happened.
AUTH_TIME_SKEW = 5


def init_auth(app: Flask, portal_settings: Settings) -> None:
    """The OAuth client, the session's expiry check before every request, and these routes."""
    init_oauth(app, portal_settings)
    app.before_request(expire_or_keep_alive)
    app.register_blueprint(bp)


def _signed_in_sub() -> str | None:
    person = signed_in_user()
    return person.sub if person else None


def _signin_limit() -> str:
    return settings().rate_limit_signin


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


def _sign_in_redirect() -> Response:
    target = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return redirect(url_for("auth.login", next=target), 303)


def login_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    @wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if not signed_in_user():
            return _sign_in_redirect()
        if access_token_expires_soon() and not refresh_tokens():
            end_session(notice(lookup("portal:session_expired")), "info")
            return _sign_in_redirect()
        return view(*args, **kwargs)

    return guarded


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
        sub, form = _signed_in_sub(), request.form.to_dict()
        if sub and request.endpoint and pending_change.wording_for(request.endpoint, form):
            pending_change.remember(request.endpoint, form, _page_to_return_to(), sub)
            return redirect(url_for("auth.sign_in_again"), 303)
        flash_notice(
            "To protect your account, please sign in again to confirm it's you. "
            "Nothing was changed yet: make the change again once you're back.",
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
    change = pending_change.pending(_signed_in_sub())
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
        flash_notice(lookup("portal:signin_failed"), "warning")
        return redirect(url_for("pages.index"))
    try:
        token = oauth_client().authorize_access_token(claims_options=id_token_claims())
    except AuthlibBaseError as exc:
        if exc.error == "invalid_scope":
            # The app client doesn't allow a scope the portal asks for: no user can sign in.
            return _missing_scope(sub=None)
        log.warning(
            "sign-in callback failed",
            extra={"event": "sign_in", "outcome": "failed", "error": exc.error},
        )
        audit("sign_in", "failed", error=exc.error)
        flash_notice(lookup("portal:signin_failed"), "warning")
        return redirect(url_for("pages.index"))
    except JoseError as exc:
        return _id_token_refused(exc)
    except (TypeError, ValueError) as exc:
        # A claim of a type Authlib doesn't expect (an ``at_hash`` that isn't a string).
        return _id_token_refused(DecodeError(f"malformed ID token ({type(exc).__name__})"))
    except requests.RequestException as exc:
        log_cognito_unreachable(exc)
        flash_notice(lookup("transport:connection"), "warning")
        return redirect(url_for("pages.index"))
    claims = token.get("userinfo") or {}
    if (refusal := _claims_refused(claims)) is not None:
        return _id_token_refused(refusal)
    if not claims.get("sub"):
        flash_notice(lookup("portal:signin_failed"), "warning")
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
        flash_notice(lookup("portal:reauth_failed"), "warning")
    audit("sign_in", "ok", sub=claims["sub"], reauthentication=bool(reauth))
    return redirect(safe_next(session.pop("login_next", None)), 303)


def id_token_claims() -> dict[str, dict[str, object]]:
    """What the ID token must say besides its signature, ``exp`` and ``nonce``: issued by the
    pool, for this app client. Authlib checks ``aud`` only when told to (a token for another
    client that names this one in ``azp`` would pass), and these options replace its own
    ``iss`` check (against the discovery document's, which ``mfa-portal check`` compares with
    this one), so both are given. (Both are essential in an ID token whatever the options say.)"""
    portal = settings()
    return {"iss": {"values": [portal.issuer]}, "aud": {"values": [portal.client_id]}}


def _claims_refused(claims: dict) -> JoseError | None:
    """What Authlib lets through and the portal doesn't: an audience besides this app client
    (OIDC Core 3.1.3.7; Cognito names one), an ``auth_time`` that isn't a finite number."""
    client_id = settings().client_id
    if claims.get("aud") not in (client_id, [client_id]):
        return InvalidClaimError("aud")
    auth_time = claims.get("auth_time")
    if auth_time is not None and not (
        isinstance(auth_time, int | float)
        and not isinstance(auth_time, bool)
        and math.isfinite(auth_time)
    ):
        return InvalidClaimError("auth_time")
    return None


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
            "error": error.error,
            "reason": error.description,
        },
    )
    audit("sign_in", "failed", error="id_token_refused", reauthentication=bool(reauth))
    flash_notice(lookup("portal:reauth_failed" if reauth else "portal:signin_failed"), "warning")
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


def hosted_ui_logout_url() -> str:
    portal = settings()
    return f"{portal.hosted_ui_url}/logout?" + urlencode(
        {"client_id": portal.client_id, "logout_uri": portal.signed_out_url}
    )


@bp.get("/sign-in-again")
@login_required
def sign_in_again() -> Response | str:
    """Before the hosted UI: why the person must sign in again, for the change they asked for."""
    change = pending_change.pending(_signed_in_sub())
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
    change = pending_change.pending(_signed_in_sub())
    pending_change.forget()
    flash_notice("Nothing was changed.")
    return redirect(change.return_to if change else url_for("mfa.settings_page"), 303)


SIGNED_OUT = notice("You're signed out.")
SIGNED_OUT_EVERYWHERE = notice("You're signed out on all your devices.")


@bp.post("/logout")
def logout() -> Response:
    if signed_in_user():
        revoke_refresh_token()
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
    signed_out_everywhere()
    end_session(SIGNED_OUT_EVERYWHERE, "success")
    return redirect(hosted_ui_logout_url(), 303)
