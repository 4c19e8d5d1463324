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
    for key in ("classic", "mfa_configuration"):
        if key in seed:
            result["user_pool"][key] = seed.pop(key)
    result.update(seed)
    _check(result)
    return result


def _check(seed: dict[str, Any]) -> None:
    pool = seed["user_pool"]
    if str(pool.get("mfa_configuration", "")).upper() not in MFA_CONFIGURATIONS:
        raise SeedError("user_pool.mfa_configuration must be OFF, OPTIONAL or ON")
    pool["mfa_configuration"] = pool["mfa_configuration"].upper()
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
        status = user.setdefault("status", "CONFIRMED")
        if status not in USER_STATUSES:
            raise SeedError(f"users[].status must be one of {sorted(USER_STATUSES)}")
