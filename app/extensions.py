"""Accessors for what ``create_app`` sets up once per process (settings, the Cognito service, the
OAuth client) and for the person signed in to this request's session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app, session

from .config import OAUTH_SCOPES

if TYPE_CHECKING:
    from .cognito import CognitoService
    from .config import Settings


def settings() -> Settings:
    return current_app.extensions["mfa_portal.settings"]


def service() -> CognitoService:
    return current_app.extensions["mfa_portal.cognito"]


def oauth_client() -> Any:
    return current_app.extensions["mfa_portal.oauth"].cognito


def init_oauth(app: Flask, portal_settings: Settings) -> None:
    """Register the hosted UI's OpenID Connect client (discovery, PKCE) once per process."""
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


@dataclass(frozen=True)
class Person:
    """Who is signed in, as the ID token said at sign-in (kept in the server-side session)."""

    sub: str
    username: str
    email: str | None


def signed_in_user() -> Person | None:
    """The person signed in to this request's session, or None.

    The one way to ask: views, guards, rate-limit keys, audit lines and templates all use it.
    Never raises, because logs ask too, also when the session store is the thing that is down.
    """
    try:
        user = session.get("user")
    except Exception:
        return None
    if not user:
        return None
    return Person(sub=user.get("sub"), username=user.get("username"), email=user.get("email"))
