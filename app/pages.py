"""The landing page and the designed pages for every HTTP error (never a stack trace)."""

from __future__ import annotations

import logging
import time

import redis
from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from .auth import end_session, notice, signed_in_user
from .errors import PortalError
from .security import limiter

log = logging.getLogger(__name__)
bp = Blueprint("pages", __name__)

STORE_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


@bp.get("/")
def index() -> Response | str:
    if signed_in_user():
        return redirect(url_for("mfa.settings_page"))
    return render_template("pages/index.html")


def _error_page(status: int, title: str, text: str, *, bare: bool = False) -> tuple[str, int]:
    return render_template(
        "pages/error.html", status=status, title=title, text=text, bare=bare
    ), status


def _use_null_session(*, always: bool = False) -> None:
    """Give the request a null session when the store failed to open one (Flask then has none,
    and its ``session`` property asserts) or, with ``always``, to drop unsaved changes."""
    if always or request_ctx._session is None:
        request_ctx._session = current_app.session_interface.make_null_session(current_app)


def _store_unavailable() -> tuple[str, int]:
    """The session store is down: answer without touching the session at all."""
    _use_null_session(always=True)
    log.error("session store unavailable", extra={"event": "store_unavailable"})
    return _error_page(
        503,
        "Service temporarily unavailable",
        "We can't reach part of our service right now. Nothing was changed. "
        "Please try again in a minute.",
        bare=True,
    )


def _retry_when() -> str:
    """When the limit that was hit lets the person in again, in words."""
    limit = limiter.current_limit
    if limit is None:
        return "in a few minutes"
    minutes = max(1, round((limit.reset_at - time.time()) / 60))
    return "in about a minute" if minutes == 1 else f"in about {minutes} minutes"


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(PortalError)
    def portal_error(error: PortalError) -> Response | tuple[str, int]:
        if error.entry.ends_session:
            end_session(notice(error), error.entry.severity.value)
            return redirect(url_for("pages.index"), 303)
        return _error_page(503, "Something went wrong", error.entry.message)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        log.warning(
            "form refused",
            extra={"event": "csrf_refused", "reason": error.description, "path": request.path},
        )
        return _error_page(
            400,
            "This form has expired",
            "For your security, forms expire after a while or when you sign in again. "
            "Nothing was changed. Go back, reload the page and try again.",
        )

    @app.errorhandler(429)
    def too_many_requests(error: HTTPException) -> tuple[str, int]:
        return _error_page(
            429,
            "Too many attempts",
            f"You've made too many requests ({error.description}). Nothing was changed. "
            f"Please try again {_retry_when()}.",
        )

    @app.errorhandler(404)
    def not_found(error: HTTPException) -> tuple[str, int]:
        return _error_page(404, "Page not found", "There's no page at this address.")

    @app.errorhandler(405)
    def method_not_allowed(error: HTTPException) -> tuple[str, int]:
        return _error_page(405, "Not allowed", "That action isn't available here.")

    @app.errorhandler(HTTPException)
    def other_http_error(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        return _error_page(
            code, error.name, "That request couldn't be handled. Nothing was changed."
        )

    for store_error in STORE_ERRORS:
        app.register_error_handler(store_error, lambda _error: _store_unavailable())

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError) -> tuple[str, int]:
        if isinstance(error.original_exception, STORE_ERRORS):
            return _store_unavailable()
        _use_null_session()
        return _error_page(
            500,
            "Something went wrong",
            "Something went wrong on our side. Nothing was changed. Please try again.",
            bare=True,
        )
