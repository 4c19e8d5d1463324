"""What an OpenID Connect client reads: the discovery document, the JWKS and /oauth2/userInfo."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.utilities.utils import load_resource

from ..extensions import stand_in
from .responses import oauth_error

bp = Blueprint("openid", __name__)

SCOPES_SUPPORTED = ["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"]
CLAIMS_SUPPORTED = [
    "sub",
    "iss",
    "aud",
    "auth_time",
    "nonce",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "cognito:username",
]
#: The attributes /oauth2/userInfo returns for each scope (all of them for the admin scope).
USER_INFO_BY_SCOPE = {
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
}


@bp.get("/<pool_id>/.well-known/openid-configuration")
def discovery(pool_id: str) -> Response:
    state = stand_in()
    state.stats.count("http", "discovery")
    if pool_id != state.pool_id:
        return oauth_error("not_found", "No such user pool.", 404)
    url = state.url
    return jsonify(
        {
            "issuer": state.issuer,
            "authorization_endpoint": f"{url}/oauth2/authorize",
            "token_endpoint": f"{url}/oauth2/token",
            "userinfo_endpoint": f"{url}/oauth2/userInfo",
            "revocation_endpoint": f"{url}/oauth2/revoke",
            "end_session_endpoint": f"{url}/logout",
            "jwks_uri": f"{state.issuer}/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "scopes_supported": SCOPES_SUPPORTED,
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": CLAIMS_SUPPORTED,
        }
    )


@bp.get("/<pool_id>/.well-known/jwks.json")
def jwks(pool_id: str) -> Response:
    state = stand_in()
    state.stats.count("http", "jwks")
    if pool_id != state.pool_id:
        return oauth_error("not_found", "No such user pool.", 404)
    return jsonify(load_resource("cognitoidp/resources/jwks-public.json"))


@bp.route("/oauth2/userInfo", methods=["GET", "POST"])
def user_info() -> Response:
    state = stand_in()
    state.stats.count("http", "userinfo")
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    with state.lock:
        try:
            record = state.pool.check_access_token(token, scope="openid")
        except NotAuthorizedError as error:
            return oauth_error(
                "invalid_token",
                error.message,
                401,
                {
                    "WWW-Authenticate": f'Bearer error="invalid_token", '
                    f'error_description="{error.message}"'
                },
            )
        user = state.user(record.username)
        assert user is not None
        claims: dict[str, str] = {"sub": user.id, "username": user.username}
        for scope, names in USER_INFO_BY_SCOPE.items():
            if scope in record.scopes or "aws.cognito.signin.user.admin" in record.scopes:
                claims.update(
                    {n: user.attribute_lookup[n] for n in names if n in user.attribute_lookup}
                )
    response = jsonify(claims)
    response.headers["Cache-Control"] = "no-store"
    return response
