"""/logout: ends the hosted-UI session, then goes to a registered sign-out URL or (with
redirect_uri and response_type) to the sign-in page again."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, request

from .. import pages
from ..extensions import stand_in
from .authorize_request import AuthorizeError, parse_auth_request
from .responses import authorize_error_response, html_page
from .sessions import SESSION_COOKIE

bp = Blueprint("logout", __name__)


def _invalid_request(description: str) -> Response:
    return html_page(
        pages.message_page("Something went wrong", f"invalid_request: {description}"), 400
    )


@bp.get("/logout")
def logout() -> Response:
    state = stand_in()
    state.stats.count("http", "logout")
    with state.lock:
        client = state.client(request.args.get("client_id"))
        if client is None:
            return _invalid_request("client_id is missing or unknown.")
        logout_uri = request.args.get("logout_uri")
        if logout_uri:
            if logout_uri not in client.extended_config.get("LogoutURLs", []):
                return _invalid_request("logout_uri is not a registered sign-out URL.")
            response = redirect(logout_uri, 302)
        elif request.args.get("redirect_uri") and request.args.get("response_type"):
            try:
                auth = parse_auth_request(state, request.args)
            except AuthorizeError as error:
                return authorize_error_response(error)
            query = auth.documented_query() if state.strict_logout_params else auth.query()
            response = redirect(f"/login?{query}", 302)
        else:
            return _invalid_request("give logout_uri, or redirect_uri and response_type.")
        state.hosted_sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.headers["Cache-Control"] = "no-store"
        return response
