"""The landing page and the designed pages for every HTTP error (never a stack trace)."""

from __future__ import annotations

import logging
import math
import time

import requests
from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from .budgets import Budget, Refusal, TextsBudgetError, budget_of, limit_in_words, wait_in_words
from .errors import TRY_LATER, PortalError, lookup
from .extensions import signed_in_user
from .notices import notice
from .observability import log_cognito_unreachable
from .security import limiter
from .session_lifecycle import end_session
from .sessions import SessionStoreError, discard_session

log = logging.getLogger(__name__)
bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> Response | str:
    if signed_in_user():
        return redirect(url_for("mfa.settings_page"))
    return render_template("pages/index.html")


def _error_page(
    status: int, title: str, text: str, *, without_session: bool = False
) -> tuple[str, int]:
    """``without_session``: the session was discarded (the store is down, or the code failed), so
    the page shows nothing of it: no account navigation, no pending change, no notices."""
    return render_template(
        "pages/error.html", status=status, title=title, text=text, without_session=without_session
    ), status


def _store_unavailable() -> tuple[str, int]:
    """The session store is down: answer without writing the session."""
    discard_session()
    log.error("session store unavailable", extra={"event": "session_store_unavailable"})
    return _error_page(
        503,
        "Service temporarily unavailable",
        "We can't reach part of our service right now. Nothing was changed. "
        "Please try again in a minute.",
        without_session=True,
    )


def _cognito_unreachable(error: requests.RequestException) -> tuple[str, int]:
    """Discovery, JWKS or the token endpoint didn't answer (Authlib fetches them with requests)."""
    log_cognito_unreachable(error)
    discard_session()
    return _error_page(503, "Sign-in is unavailable", lookup("transport:connection").message)


def _too_many(refusal: Refusal | None) -> tuple[str, int]:
    """The limit in words and the real time left, e.g. "You can ask for 5 codes in 10 minutes.
    No code was sent. Try again in about 7 minutes." """
    if refusal is None:
        return _error_page(429, "Too many attempts", f"Nothing was changed. {TRY_LATER}")
    limit = limit_in_words(refusal.budget, refusal.limit)
    wait = f"Try again in {wait_in_words(refusal.reset_at)}."
    if refusal.budget in (Budget.NUMBER, Budget.CEILING):
        return _error_page(429, "No text was sent", f"{limit} Nothing was sent. {wait}")
    outcome = "No code was sent." if refusal.budget is Budget.CODES else "Nothing was changed."
    return _error_page(429, "Too many attempts", f"{limit} {outcome} {wait}")


def _limiter_refusal() -> Refusal | None:
    """The limit Flask-Limiter just enforced, if it says which."""
    limit = limiter.current_limit
    if limit is None:
        return None
    return Refusal(budget_of(limit), limit.limit, limit.window.reset_time)


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
        return _too_many(_limiter_refusal())

    @app.errorhandler(TextsBudgetError)
    def text_refused(error: TextsBudgetError) -> tuple[str, int, dict[str, str]]:
        wait = max(1, math.ceil(error.refusal.reset_at - time.time()))
        return (*_too_many(error.refusal), {"Retry-After": str(wait)})

    @app.errorhandler(404)
    def not_found(error: HTTPException) -> tuple[str, int]:
        return _error_page(404, "Page not found", "There's no page at this address.")

    @app.errorhandler(405)
    def method_not_allowed(error: HTTPException) -> tuple[str, int]:
        return _error_page(405, "Not allowed", "That action isn't available here.")

    @app.errorhandler(413)
    def too_large(error: HTTPException) -> tuple[str, int]:
        return _error_page(
            413,
            "That was too much to send",
            "What you sent is larger than any form here needs. Nothing was changed. "
            "Go back and try again.",
        )

    @app.errorhandler(HTTPException)
    def other_http_error(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        return _error_page(
            code, error.name, "That request couldn't be handled. Nothing was changed."
        )

    @app.errorhandler(SessionStoreError)
    def session_store_error(error: SessionStoreError) -> tuple[str, int]:
        return _store_unavailable()

    @app.errorhandler(requests.RequestException)
    def cognito_unreachable(error: requests.RequestException) -> tuple[str, int]:
        return _cognito_unreachable(error)

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError) -> tuple[str, int]:
        """A programming or configuration error: the stack trace is in the log (Flask logs it
        before this handler runs, as ``unexpected_error``), never on the page. A session that
        could not be written after the response was made (Flask saves it last) lands here too."""
        if isinstance(error.original_exception, SessionStoreError):
            return _store_unavailable()
        discard_session()
        return _error_page(
            500,
            "Something went wrong",
            "Something went wrong on our side. Nothing was changed. Please try again.",
            without_session=True,
        )
