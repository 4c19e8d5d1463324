"""The start of a sign-in: /oauth2/authorize (signed in already, or sent to the sign-in page),
/login (username and password), /newPassword (a password the administrator set must be changed)
and the pages' stylesheet."""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, redirect, request
from moto.cognitoidp.exceptions import InvalidPasswordException
from moto.cognitoidp.models import UserStatus

from .. import pages
from ..codes import CognitoError
from ..extensions import stand_in
from ..signin import check_password
from .authorize_request import AuthorizeError, forgot_password_url, parse_auth_request
from .mfa_steps import continue_after_password
from .responses import authorize_error_response, html_page, redirect_to_client
from .sessions import current_session, finish_sign_in

bp = Blueprint("sign_in", __name__)


@bp.get(pages.STYLESHEET_PATH)
def stylesheet() -> Response:
    response = Response(pages.STYLESHEET, content_type="text/css; charset=utf-8")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/oauth2/authorize")
def authorize() -> Response:
    state = stand_in()
    state.stats.count("http", "authorize")
    with state.lock:
        try:
            auth = parse_auth_request(state, request.args)
        except AuthorizeError as error:
            return authorize_error_response(error)
        prompt = "" if state.classic_hosted_ui else request.args.get("prompt", "")
        session = current_session(state)
        if session is not None and prompt != "login":
            session.clients.add(auth.client_id)
            return finish_sign_in(state, auth, session.username, session.auth_time)
        if prompt == "none":
            return redirect_to_client(
                auth.redirect_uri, {"error": "login_required", "state": auth.state}
            )
        return redirect(f"/login?{auth.query()}", 302)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response:
    state = stand_in()
    state.stats.count("http", "login")
    with state.lock:
        try:
            auth = parse_auth_request(state, request.args)
        except AuthorizeError as error:
            return authorize_error_response(error)
        action = f"/login?{auth.query()}"
        if request.method == "GET":
            return html_page(pages.login_page(action, forgot_url=forgot_password_url(auth)))
        username = request.form.get("username", "").strip()
        try:
            user = check_password(state, username, request.form.get("password", ""))
        except CognitoError as error:
            if error.error_type == "PasswordResetRequiredException":
                return html_page(
                    pages.message_page(
                        "Password reset required",
                        "Your password must be reset before you can sign in.",
                        (forgot_password_url(auth), "Reset your password"),
                    ),
                    400,
                )
            return html_page(
                pages.login_page(action, error.message, username, forgot_password_url(auth)), 400
            )
        if user.status is UserStatus.FORCE_CHANGE_PASSWORD:
            session = secrets.token_urlsafe(32)
            state.pending_new_passwords[session] = user.username
            return html_page(pages.new_password_page(f"/newPassword?{auth.query()}", session))
        return continue_after_password(state, auth, user)


@bp.post("/newPassword")
def new_password() -> Response:
    state = stand_in()
    with state.lock:
        try:
            auth = parse_auth_request(state, request.args)
        except AuthorizeError as error:
            return authorize_error_response(error)
        session = request.form.get("session", "")
        username = state.pending_new_passwords.get(session)
        user = state.user(username or "")
        if user is None:
            return html_page(
                pages.login_page(
                    f"/login?{auth.query()}", "Your session has expired. Sign in again."
                ),
                400,
            )
        password = request.form.get("new_password", "")
        try:
            state.backend._validate_password(state.pool_id, password)
        except InvalidPasswordException as error:
            return html_page(
                pages.new_password_page(f"/newPassword?{auth.query()}", session, error.message),
                400,
            )
        del state.pending_new_passwords[session]
        user.password = password
        user.status = UserStatus.CONFIRMED
        return continue_after_password(state, auth, user)
