"""What a page tells the person: one shape for every notice (flashed or shown in place), made
from plain text or from the error catalog, and the link a notice offers for its next action."""

from __future__ import annotations

from typing import TypedDict
from urllib.parse import urlencode

from flask import flash, redirect, url_for
from werkzeug.wrappers import Response

from .errors import CatalogEntry, NextAction, PortalError
from .extensions import settings
from .observability import audit


class Notice(TypedDict):
    """The one shape of a notice: its words, and the catalog's next action (``"none"`` for
    plain text). Templates render it; ``action_link`` turns the action into a link."""

    text: str
    action: str


def notice(about: str | PortalError | CatalogEntry) -> Notice:
    """A notice of plain text, of a failure, or of a catalog entry (``errors.lookup(code)``)."""
    if isinstance(about, str):
        return {"text": about, "action": NextAction.NONE.value}
    entry = about.entry if isinstance(about, PortalError) else about
    return {"text": entry.message, "action": entry.next_action.value}


def flash_notice(
    about: str | PortalError | CatalogEntry | Notice, category: str | None = None
) -> None:
    """Flash a notice for the next page. Without a category, a failure or catalog entry is shown
    with the catalog's severity, and plain text as ``info``."""
    if isinstance(about, dict):
        flash(about, category or "info")
        return
    if category is None:
        entry = about.entry if isinstance(about, PortalError) else about
        category = entry.severity.value if isinstance(entry, CatalogEntry) else "info"
    flash(notice(about), category)


def change_failed(error: PortalError, event: str, back_to: str) -> Response:
    """Audit a failed change, then show the catalog's message on ``back_to`` (POST-redirect-GET).

    Errors that end the session are raised again for the app's handler, which signs out.
    """
    audit(event, "failed", error_code=error.code, cognito_request_id=error.request_id)
    if error.entry.ends_session:
        raise error
    flash_notice(error)
    return redirect(url_for(back_to), 303)


def change_refused(error: PortalError, event: str, back_to: str) -> Response:
    """Audit a change the portal refused before asking Cognito, then show why on ``back_to``."""
    audit(event, "refused", reason=error.variant)
    flash_notice(error)
    return redirect(url_for(back_to), 303)


def action_link(action: str) -> dict[str, str] | None:
    """The link a notice offers for a catalog entry's next action, if there is one to follow."""
    portal = settings()
    if action in (NextAction.SIGN_IN_AGAIN, NextAction.CONFIRM_ACCOUNT):
        return {"label": "Sign in again", "href": url_for("auth.login")}
    if action == NextAction.RESET_PASSWORD:
        query = urlencode(
            {
                "client_id": portal.client_id,
                "response_type": "code",
                "redirect_uri": portal.callback_url,
            }
        )
        return {
            "label": "Reset your password",
            "href": f"{portal.hosted_ui_url}/forgotPassword?{query}",
        }
    if action in (NextAction.ADD_PHONE, NextAction.VERIFY_PHONE, NextAction.REQUEST_NEW_CODE):
        return {"label": "Set up your phone number", "href": url_for("phone.edit")}
    if action == NextAction.CONTACT_SUPPORT and portal.support_contact:
        return {"label": "Contact support", "href": portal.support_contact}
    return None
