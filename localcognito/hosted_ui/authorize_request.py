"""What a client asks of /oauth2/authorize (and of the sign-in pages that follow): `AuthRequest`,
read and checked by `parse_auth_request`, or refused with an `AuthorizeError`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ..state import StandIn


class AuthorizeError(Exception):
    def __init__(
        self,
        error: str,
        description: str,
        redirect_uri: str | None = None,
        state: str | None = None,
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.redirect_uri = redirect_uri
        self.state = state


@dataclass(frozen=True)
class AuthRequest:
    client_id: str
    redirect_uri: str
    scopes: list[str]
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None

    def query(self) -> str:
        params = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": " ".join(self.scopes),
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.code_challenge,
            "code_challenge_method": self.code_challenge_method,
        }
        return urlencode({k: v for k, v in params.items() if v})

    def documented_query(self) -> str:
        """Only what Cognito documents for the sign-in after /logout (no PKCE, no nonce)."""
        params = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": " ".join(self.scopes),
            "state": self.state,
        }
        return urlencode({k: v for k, v in params.items() if v})


def parse_auth_request(state: StandIn, args: Any) -> AuthRequest:
    client = state.client(args.get("client_id"))
    if client is None:
        raise AuthorizeError("invalid_request", "Invalid client id or client does not exist.")
    redirect_uri = args.get("redirect_uri", "")
    if redirect_uri not in client.extended_config.get("CallbackURLs", []):
        raise AuthorizeError("redirect_mismatch", "redirect_uri is not a registered callback URL.")
    oauth_state = args.get("state")
    if args.get("response_type") != "code":
        raise AuthorizeError(
            "unsupported_response_type", "response_type must be code", redirect_uri, oauth_state
        )
    allowed = client.extended_config.get("AllowedOAuthScopes", [])
    scopes = (args.get("scope") or "").split() or list(allowed)
    if any(scope not in allowed for scope in scopes):
        raise AuthorizeError(
            "invalid_scope", "scope is not allowed for this client", redirect_uri, oauth_state
        )
    challenge = args.get("code_challenge")
    method = args.get("code_challenge_method")
    if (challenge or method) and (not challenge or method != "S256"):
        raise AuthorizeError(
            "invalid_request",
            "code_challenge with code_challenge_method=S256 is required for PKCE",
            redirect_uri,
            oauth_state,
        )
    return AuthRequest(
        client.id, redirect_uri, scopes, oauth_state, args.get("nonce"), challenge, method
    )


def forgot_password_url(auth: AuthRequest) -> str:
    """The "Forgot your password?" link of a sign-in page for this request."""
    return "/forgotPassword?" + urlencode(
        {
            "client_id": auth.client_id,
            "redirect_uri": auth.redirect_uri,
            "response_type": "code",
        }
    )
