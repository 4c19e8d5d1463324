"""The shapes of the hosted UI's answers: a page, an OAuth error (RFC 6749 section 5.2), a redirect
back to the client, and an authorize error (redirected when it can be, else a page)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, jsonify, redirect

from .. import pages
from .authorize_request import AuthorizeError


def html_page(body: str, status: int = 200) -> Response:
    response = Response(body, status, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


def oauth_error(
    error: str, description: str, status: int = 400, headers: dict[str, str] | None = None
) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def redirect_to_client(redirect_uri: str, params: dict[str, str | None]) -> Response:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    separator = "&" if "?" in redirect_uri else "?"
    response = redirect(f"{redirect_uri}{separator}{query}", 302)
    response.headers["Cache-Control"] = "no-store"
    return response


def authorize_error_response(error: AuthorizeError) -> Response:
    """Back to the client when its redirect_uri is known good; otherwise a page, never a
    redirect (an unknown client or unregistered redirect_uri), as Cognito does."""
    if error.redirect_uri:
        return redirect_to_client(
            error.redirect_uri,
            {"error": error.error, "error_description": error.description, "state": error.state},
        )
    body = pages.message_page("Something went wrong", f"{error.error}: {error.description}")
    return Response(body, 400, content_type="text/html; charset=utf-8")
