"""The seed: the user pool, app clients and users the stand-in starts with.

A seed is a plain dict (loadable from JSON or TOML). Ids are fixed by the seed so that the
portal's configuration never changes between restarts.
"""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

PORTAL_CALLBACKS = [
    "http://127.0.0.1:8000/auth/callback",
    "http://localhost:8000/auth/callback",
]
PORTAL_LOGOUT_URLS = [
    "http://127.0.0.1:8000/",
    "http://localhost:8000/",
    "http://127.0.0.1:8000/logged-out",
    "http://localhost:8000/logged-out",
]
PORTAL_SCOPES = ["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"]

DEFAULT_SEED: dict[str, Any] = {
    "region": "us-east-1",
    "user_pool": {
        "id": "us-east-1_LocalPool",
        "name": "mfa-portal-local",
        "mfa_configuration": "OPTIONAL",
        "classic": False,
        "sms_mfa": True,
        "software_token_mfa": True,
        "strict_logout_params": False,
        "access_token_validity": 3600,
        "id_token_validity": 3600,
        "refresh_token_validity": 30 * 24 * 3600,
        "sms_configuration": {
            "SnsCallerArn": "arn:aws:iam::123456789012:role/local-cognito-sms",
            "ExternalId": "local-cognito",
        },
    },
    "clients": [
        {
            "id": "mfaportallocalclient000001",
            "name": "mfa-portal",
            "secret": "local-client-secret-not-for-production",
            "callback_urls": PORTAL_CALLBACKS,
            "logout_urls": PORTAL_LOGOUT_URLS,
            "allowed_scopes": PORTAL_SCOPES,
        },
        {
            "id": "mfaportalpublicclient00001",
            "name": "mfa-portal-public",
            "secret": None,
            "callback_urls": PORTAL_CALLBACKS,
            "logout_urls": PORTAL_LOGOUT_URLS,
            "allowed_scopes": PORTAL_SCOPES,
        },
    ],
    "users": [
        {
            "username": "alice",
            "password": "Alice-Passw0rd!",
            "email": "alice@example.com",
            "phone_number": "+12025550100",
            "phone_number_verified": True,
            "mfa_options": [],
        },
        {
            "username": "bob",
            "password": "Bob-Passw0rd!",
            "email": "bob@example.com",
        },
        {
            "username": "carol",
            "password": "Carol-Passw0rd!",
            "email": "carol@example.com",
            "phone_number": "+12025550123",
            "phone_number_verified": False,
        },
    ],
}

POOL_MFA_MODES = {"off": "OFF", "optional": "OPTIONAL", "required": "ON"}
"""The names the CLI uses (``--pool-mfa``) for Cognito's ``MfaConfiguration`` values."""
MFA_FACTORS = {"SMS_MFA", "SOFTWARE_TOKEN_MFA"}
LOGOUT_LOGIN_PARAMS = ("client_id", "redirect_uri", "response_type", "scope", "state")
"""What Cognito documents for the /logout request that redirects to sign-in again."""
USER_STATUSES = {"CONFIRMED", "FORCE_CHANGE_PASSWORD", "RESET_REQUIRED", "UNCONFIRMED"}
MFA_CONFIGURATIONS = {"OFF", "OPTIONAL", "ON"}


class SeedError(ValueError):
    """The seed file cannot be used; the message says which field is wrong."""


def default_seed() -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_SEED)


def with_portals(seed: dict[str, Any], *base_urls: str, **pool: Any) -> dict[str, Any]:
    """A copy of ``seed`` whose app clients also accept the portal(s) at ``base_urls``."""
    seed = copy.deepcopy(seed)
    for client in seed["clients"]:
        client["callback_urls"] = [
            *client["callback_urls"],
            *(f"{url}/auth/callback" for url in base_urls),
        ]
        client["logout_urls"] = [*client["logout_urls"], *(f"{url}/" for url in base_urls)]
    seed["user_pool"].update(pool)
    return seed


def with_pool_mfa(
    seed: dict[str, Any],
    mode: str,
    *,
    sms: bool | None = None,
    software_token: bool | None = None,
) -> dict[str, Any]:
    """A copy of ``seed`` whose pool runs MFA ``mode``: "off", "optional" or "required".

    Cognito's own names (OFF, OPTIONAL, ON) are accepted too. ``sms`` / ``software_token``
    turn the pool's factors on or off (unchanged when None).
    """
    seed = copy.deepcopy(seed)
    seed["user_pool"]["mfa_configuration"] = pool_mfa_configuration(mode)
    if sms is not None:
        seed["user_pool"]["sms_mfa"] = sms
    if software_token is not None:
        seed["user_pool"]["software_token_mfa"] = software_token
    return seed


def pool_mfa_configuration(mode: str) -> str:
    """Cognito's ``MfaConfiguration`` for a mode given as off/optional/required (or OFF/ON)."""
    value = POOL_MFA_MODES.get(mode.lower(), mode.upper())
    if value not in MFA_CONFIGURATIONS:
        raise SeedError(f"pool MFA mode must be one of {', '.join(POOL_MFA_MODES)}, not {mode!r}")
    return value


def with_strict_logout(seed: dict[str, Any], strict: bool = True) -> dict[str, Any]:
    """A copy of ``seed`` whose /logout redirect to sign-in keeps only documented parameters.

    Cognito documents only client_id, redirect_uri, response_type, scope and state for that
    request; in this mode PKCE's code_challenge and the nonce are dropped on the way to /login.
    """
    seed = copy.deepcopy(seed)
    seed["user_pool"]["strict_logout_params"] = strict
    return seed


def with_totp_user(
    seed: dict[str, Any], username: str, secret: str, *, preferred: bool = True
) -> dict[str, Any]:
    """A copy of ``seed`` where ``username`` has a verified authenticator app with ``secret``."""
    seed = copy.deepcopy(seed)
    for user in seed["users"]:
        if user["username"] == username:
            user["software_token_secret"] = secret
            if preferred:
                user["preferred_mfa"] = "SOFTWARE_TOKEN_MFA"
            return seed
    raise SeedError(f"users: no user {username!r}")


def load_seed_file(path: str | Path) -> dict[str, Any]:
    """Read a JSON or TOML seed (by extension; JSON otherwise) and fill in defaults."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise SeedError(f"{path}: {exc}") from exc
    return normalize_seed(data)


def normalize_seed(seed: dict[str, Any] | None) -> dict[str, Any]:
    """Merge a partial seed over the defaults and check it.

    Top-level keys given replace the default ones, except `user_pool`, whose fields are merged,
    so a seed can change e.g. only the token validity or only the users.
    """
    result = default_seed()
    seed = copy.deepcopy(seed or {})
    result["user_pool"].update(seed.pop("user_pool", {}) or {})
    for key in ("classic", "mfa_configuration", "strict_logout_params"):
        if key in seed:
            result["user_pool"][key] = seed.pop(key)
    result.update(seed)
    _check(result)
    return result


def _check(seed: dict[str, Any]) -> None:
    pool = seed["user_pool"]
    try:
        pool["mfa_configuration"] = pool_mfa_configuration(str(pool.get("mfa_configuration")))
    except SeedError as error:
        raise SeedError("user_pool.mfa_configuration must be OFF, OPTIONAL or ON") from error
    if pool["mfa_configuration"] != "OFF" and not (
        pool.get("sms_mfa") or pool.get("software_token_mfa")
    ):
        raise SeedError("user_pool: an MFA mode other than OFF needs sms_mfa or software_token_mfa")
    if not str(pool.get("id", "")).startswith(f"{seed['region']}_"):
        raise SeedError("user_pool.id must start with the region and an underscore")
    if not seed["clients"]:
        raise SeedError("clients: at least one app client is needed")
    for client in seed["clients"]:
        for field in ("id", "callback_urls", "allowed_scopes"):
            if not client.get(field):
                raise SeedError(f"clients[].{field} is required")
        client.setdefault("name", client["id"])
        client.setdefault("secret", None)
        client.setdefault("logout_urls", [])
    for user in seed["users"]:
        if not user.get("username") or not user.get("password"):
            raise SeedError("users[]: username and password are required")
        if user.get("preferred_mfa") and user["preferred_mfa"] not in MFA_FACTORS:
            raise SeedError(f"users[].preferred_mfa must be one of {sorted(MFA_FACTORS)}")
        status = user.setdefault("status", "CONFIRMED")
        if status not in USER_STATUSES:
            raise SeedError(f"users[].status must be one of {sorted(USER_STATUSES)}")
