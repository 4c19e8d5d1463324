"""Forgot password: /forgotPassword texts (or emails) a code, /confirmForgotPassword takes the code
and the new password."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, request
from moto.cognitoidp.exceptions import InvalidPasswordException
from moto.cognitoidp.models import CognitoIdpUser, UserStatus

from .. import pages
from ..codes import CognitoError
from ..extensions import stand_in
from ..state import StandIn
from .responses import html_page

bp = Blueprint("password_reset", __name__)


@bp.route("/forgotPassword", methods=["GET", "POST"])
def forgot_password() -> Response:
    state = stand_in()
    state.stats.count("http", "forgotPassword")
    with state.lock:
        if state.client(request.args.get("client_id")) is None:
            return html_page(
                pages.message_page("Something went wrong", "invalid_request: unknown client_id."),
                400,
            )
        query = request.query_string.decode()
        if request.method == "GET":
            return html_page(pages.forgot_password_page(f"/forgotPassword?{query}"))
        username = request.form.get("username", "").strip()
        user = state.user(username)
        if user is not None:
            send_reset_code(state, user)
        return html_page(pages.confirm_password_page(f"/confirmForgotPassword?{query}", username))


def send_reset_code(state: StandIn, user: CognitoIdpUser) -> None:
    """To the verified phone number, else to the email address (into the outbox)."""
    attrs = user.attribute_lookup
    code = state.attribute_codes.issue(user.username, "password_reset")
    if attrs.get("phone_number_verified") == "true":
        state.outbox.send(
            to=attrs["phone_number"],
            code=code,
            purpose="forgot_password",
            username=user.username,
        )
    elif attrs.get("email"):
        state.outbox.send(
            to=attrs["email"],
            code=code,
            purpose="forgot_password",
            username=user.username,
            medium="EMAIL",
        )


@bp.post("/confirmForgotPassword")
def confirm_forgot_password() -> Response:
    state = stand_in()
    with state.lock:
        query = request.query_string.decode()
        username = request.form.get("username", "")
        action = f"/confirmForgotPassword?{query}"
        user = state.user(username)
        try:
            state.attribute_codes.verify(
                username, "password_reset", request.form.get("code", "").strip()
            )
            state.backend._validate_password(state.pool_id, request.form.get("password", ""))
        except CognitoError as error:
            return html_page(pages.confirm_password_page(action, username, error.message), 400)
        except InvalidPasswordException as error:
            return html_page(pages.confirm_password_page(action, username, error.message), 400)
        if user is not None:
            user.password = request.form["password"]
            user.status = UserStatus.CONFIRMED
        login_query = urlencode(
            {
                "client_id": request.args.get("client_id", ""),
                "redirect_uri": request.args.get("redirect_uri", ""),
                "response_type": "code",
            }
        )
        return html_page(
            pages.message_page(
                "Password changed", "You can now sign in.", (f"/login?{login_query}", "Sign in")
            )
        )
