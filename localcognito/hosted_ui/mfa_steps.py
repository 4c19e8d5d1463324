"""What follows a right password: the next challenge (an SMS or authenticator code, a choice of
factor, or setting up an authenticator app) as a page, and the pages' answers to /mfa,
/mfa/select and /mfa/setup."""

from __future__ import annotations

from flask import Blueprint, Response, request
from moto.cognitoidp.models import CognitoIdpUser

from .. import pages, totp
from ..codes import CognitoError, PendingChallenge, mask_phone
from ..extensions import stand_in
from ..lockout import LOCKED_OUT_MESSAGE
from ..mfa import (
    MFA_SETUP,
    SELECT_MFA_TYPE,
    SMS_MFA,
    SOFTWARE_TOKEN_MFA,
    software_token,
    user_factors,
)
from ..signin import check_mfa_code, choose_factor, start_challenge
from ..state import StandIn
from .authorize_request import AuthorizeError, AuthRequest, forgot_password_url, parse_auth_request
from .responses import authorize_error_response, html_page
from .sessions import finish_sign_in

bp = Blueprint("mfa_steps", __name__)

INVALID_CODE_MESSAGE = "Invalid code received for user. Please try again."
USED_CODE_MESSAGE = "This code was already used. Wait for your app to show a new one."
SESSION_EXPIRED_MESSAGE = "Your sign-in session has expired. Sign in again."


def continue_after_password(state: StandIn, auth: AuthRequest, user: CognitoIdpUser) -> Response:
    """Signed in, or the page of the next challenge."""
    name = state.next_challenge(user)
    if name is None:
        return finish_sign_in(state, auth, user.username, state.sign_in_time(user.username))
    if name == MFA_SETUP and SOFTWARE_TOKEN_MFA not in state.pool_mfa.factors():
        return html_page(
            pages.message_page(
                "Sign-in needs a second step",
                "This account has no second step this user pool can set up here. "
                "Ask your administrator.",
            ),
            400,
        )
    session, challenge = start_challenge(state, user, auth.client_id, name)
    if name == MFA_SETUP:
        state.totp_clock.associate(user)
    return html_page(challenge_page(state, auth, user, session, challenge))


def challenge_page(
    state: StandIn,
    auth: AuthRequest,
    user: CognitoIdpUser,
    session: str,
    challenge: PendingChallenge,
    error: str | None = None,
) -> str:
    query = auth.query()
    if challenge.name == SMS_MFA:
        masked = mask_phone(challenge.destination or "")
        return pages.sms_page(f"/mfa?{query}", session, masked, error)
    if challenge.name == SOFTWARE_TOKEN_MFA:
        return pages.totp_page(f"/mfa?{query}", session, error)
    if challenge.name == SELECT_MFA_TYPE:
        factors = user_factors(state.pool_mfa, user)
        return pages.select_mfa_page(f"/mfa/select?{query}", session, factors)
    secret = software_token(user).pending_secret or ""
    uri = totp.provisioning_uri(secret, user.username, "Local Cognito")
    return pages.mfa_setup_page(f"/mfa/setup?{query}", session, secret, uri, error)


def expired_login(auth: AuthRequest) -> Response:
    return html_page(
        pages.login_page(
            f"/login?{auth.query()}", SESSION_EXPIRED_MESSAGE, forgot_url=forgot_password_url(auth)
        ),
        400,
    )


def locked_out_login(auth: AuthRequest, username: str) -> Response:
    return html_page(
        pages.login_page(
            f"/login?{auth.query()}", LOCKED_OUT_MESSAGE, username, forgot_password_url(auth)
        ),
        400,
    )


def pending_sign_in(
    state: StandIn, auth: AuthRequest
) -> tuple[str, PendingChallenge, CognitoIdpUser] | None:
    """The challenge the form's ``session`` answers, if it is current and this client's."""
    session = request.form.get("session", "")
    try:
        challenge = state.challenges.get(session)
    except CognitoError:
        return None
    user = state.user(challenge.username)
    if challenge.client_id != auth.client_id or user is None:
        return None
    return session, challenge, user


def pending_step(
    state: StandIn, step: str | None
) -> tuple[AuthRequest, tuple[str, PendingChallenge, CognitoIdpUser]] | Response:
    """The sign-in an answer to a challenge page continues (of challenge ``step``, if named), or
    the page to show instead: the authorize request's error, or the login page again when the
    sign-in expired or is at another step. Call it holding ``state.lock``."""
    try:
        auth = parse_auth_request(state, request.args)
    except AuthorizeError as error:
        return authorize_error_response(error)
    pending = pending_sign_in(state, auth)
    if pending is None or (step is not None and pending[1].name != step):
        return expired_login(auth)
    return auth, pending


@bp.post("/mfa")
def mfa() -> Response:
    """The code of an SMS_MFA or SOFTWARE_TOKEN_MFA challenge."""
    state = stand_in()
    state.stats.count("http", "mfa")
    with state.lock:
        answered = pending_step(state, None)
        if isinstance(answered, Response):
            return answered
        auth, (session, challenge, user) = answered
        try:
            check_mfa_code(state, user, session, request.form.get("code", "").strip())
        except CognitoError as error:
            if state.lockout.is_locked(user.username):
                # Locked out: this sign-in is over and starts again at the password (how
                # Cognito's own pages show it is not documented).
                state.challenges.finish(session)
                return locked_out_login(auth, user.username)
            message = {
                "CodeMismatchException": INVALID_CODE_MESSAGE,
                "ExpiredCodeException": USED_CODE_MESSAGE,
            }.get(error.error_type)
            if message is None or pending_sign_in(state, auth) is None:
                return expired_login(auth)
            return html_page(challenge_page(state, auth, user, session, challenge, message), 400)
        return finish_sign_in(state, auth, user.username, state.sign_in_time(user.username))


@bp.post("/mfa/select")
def select_mfa() -> Response:
    state = stand_in()
    state.stats.count("http", "mfa_select")
    with state.lock:
        answered = pending_step(state, SELECT_MFA_TYPE)
        if isinstance(answered, Response):
            return answered
        auth, (session, challenge, user) = answered
        try:
            factor = choose_factor(state.pool, user, request.form.get("factor", ""))
        except CognitoError:
            return html_page(challenge_page(state, auth, user, session, challenge), 400)
        state.challenges.finish(session)
        session, challenge = start_challenge(state, user, auth.client_id, factor)
        return html_page(challenge_page(state, auth, user, session, challenge))


@bp.post("/mfa/setup")
def setup_mfa() -> Response:
    state = stand_in()
    state.stats.count("http", "mfa_setup")
    with state.lock:
        answered = pending_step(state, MFA_SETUP)
        if isinstance(answered, Response):
            return answered
        auth, (session, challenge, user) = answered
        try:
            state.totp_clock.verify_pending(user, request.form.get("code", "").strip())
        except CognitoError:
            page = challenge_page(state, auth, user, session, challenge, INVALID_CODE_MESSAGE)
            return html_page(page, 400)
        state.challenges.finish(session)
        return finish_sign_in(state, auth, user.username, state.sign_in_time(user.username))
