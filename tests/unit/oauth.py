"""OpenID Connect metadata for the unit tests, set on Authlib's client so it never fetches any."""

from __future__ import annotations

from typing import Any

from flask import Flask


def use_local_metadata(app: Flask) -> dict[str, Any]:
    settings = app.extensions["mfa_portal.settings"]
    hosted = settings.hosted_ui_url
    metadata = {
        "issuer": settings.issuer,
        "authorization_endpoint": f"{hosted}/oauth2/authorize",
        "token_endpoint": f"{hosted}/oauth2/token",
        "userinfo_endpoint": f"{hosted}/oauth2/userInfo",
        "revocation_endpoint": f"{hosted}/oauth2/revoke",
        "jwks_uri": f"{settings.issuer}/.well-known/jwks.json",
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "_loaded_at": 1,
    }
    app.extensions["mfa_portal.oauth"].cognito.server_metadata.update(metadata)
    return metadata
