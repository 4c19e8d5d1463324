"""Everything the stand-in remembers, built from the seed and rebuilt in place by `reset`.

moto keeps its backends in a process-wide registry; each stand-in gets an account id of its
own there, so two stand-ins in one process (same pool id) never see each other's users.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.cognitoidp.models import (
    CognitoIdpBackend,
    CognitoIdpUser,
    CognitoIdpUserPoolClient,
    UserStatus,
    cognitoidp_backends,
)

from .codes import AttributeCodes, PendingChallenges
from .faults import FaultInjector
from .lockout import SignInLockout
from .mfa import (
    PoolMfa,
    TotpClock,
    adopt_software_token,
    mfa_options,
    next_challenge,
    set_mfa_options,
)
from .outbox import Outbox
from .quotas import QuotaEnforcer, validated_rates
from .tokens import LocalUserPool, TokenSettings

__all__ = ["StandIn", "Stats", "mfa_options", "set_mfa_options"]
"""``mfa_options`` / ``set_mfa_options`` live in `mfa` and are re-exported for existing callers."""

_account_ids = itertools.count(100000000001)


@dataclass
class Stats:
    api: Counter[str] = field(default_factory=Counter)
    http: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, kind: str, name: str) -> None:
        with self.lock:
            (self.api if kind == "api" else self.http)[name] += 1

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self.lock:
            return {"api": dict(self.api), "http": dict(self.http)}

    def clear(self) -> None:
        with self.lock:
            self.api.clear()
            self.http.clear()


class StandIn:
    """The shared state. Hold `lock` while touching the backend, pool, codes or sessions."""

    def __init__(
        self, seed: dict[str, Any], url: str, quotas: Mapping[str, int | None] | None = None
    ) -> None:
        """``quotas``: the request-rate quota per category it starts with (and `reset` restores);
        a category not named is unlimited."""
        self.seed = seed
        self.url = url
        self.region: str = seed["region"]
        self.pool_id: str = seed["user_pool"]["id"]
        self.issuer = f"{url}/{self.pool_id}"
        self.account_id = str(next(_account_ids))
        self.lock = threading.RLock()
        self.outbox = Outbox()
        self.faults = FaultInjector()
        self.stats = Stats()
        self.initial_quotas = validated_rates(quotas or {})
        self.quotas = QuotaEnforcer()
        self.attribute_codes = AttributeCodes()
        self.challenges = PendingChallenges()
        self.totp_clock = TotpClock()
        self.lockout = SignInLockout()
        self.hosted_sessions: dict[str, Any] = {}
        self.authorization_codes: dict[str, Any] = {}
        self.pending_new_passwords: dict[str, str] = {}
        self.backdated_sign_ins: dict[str, int] = {}
        #: How the next hosted-UI sign-in's ID token is forged (``forgery.FORGERIES``), if at all.
        self.id_token_forgery: str | None = None
        self.backend: CognitoIdpBackend = cognitoidp_backends[self.account_id][self.region]
        self.pool: LocalUserPool
        self.pools: dict[str, LocalUserPool] = {}
        self.reset()

    @property
    def classic_hosted_ui(self) -> bool:
        return bool(self.seed["user_pool"].get("classic"))

    def reset(self) -> None:
        with self.lock:
            self.outbox.clear()
            self.faults.clear()
            self.stats.clear()
            self.quotas.clear_stats()
            self.quotas.replace_rates(self.initial_quotas)
            self.attribute_codes.clear()
            self.challenges.clear()
            self.lockout.clear()
            self.totp_clock.offset = 0.0
            self.hosted_sessions.clear()
            self.authorization_codes.clear()
            self.pending_new_passwords.clear()
            self.backdated_sign_ins.clear()
            self.id_token_forgery = None
            self.backend.user_pools.clear()
            self.pools.clear()
            self.backend.sessions.clear()
            self._create_pool()
            for client in self.seed["clients"]:
                self._create_client(client)
            for user in self.seed["users"]:
                self._create_user(user)

    def sign_in_time(self, username: str) -> int:
        """The ``auth_time`` of an interactive sign-in completing now: now, unless a test asked for
        this user's next sign-in to be older (``POST /_local/sign-ins/backdate``)."""
        return int(time.time()) - self.backdated_sign_ins.pop(username, 0)

    def _create_pool(self) -> None:
        spec = self.seed["user_pool"]
        created = self.backend.create_user_pool(
            spec.get("name", "local"),
            {
                "MfaConfiguration": spec["mfa_configuration"],
                "SmsConfiguration": spec.get("sms_configuration"),
                "AutoVerifiedAttributes": ["email"],
            },
        )
        del self.backend.user_pools[created.id]
        created.id = self.pool_id
        created.arn = created.arn.rsplit("/", 1)[0] + "/" + self.pool_id
        self.backend.user_pools[self.pool_id] = created
        settings = TokenSettings(
            issuer=self.issuer,
            access_token_validity=int(spec.get("access_token_validity", 3600)),
            id_token_validity=int(spec.get("id_token_validity", 3600)),
            refresh_token_validity=int(spec.get("refresh_token_validity", 30 * 24 * 3600)),
        )
        self.pool = LocalUserPool.adopt(created, settings)
        self.pools[self.pool_id] = self.pool
        sms = spec.get("sms_configuration")
        self.backend.set_user_pool_mfa_config(
            self.pool_id,
            {"SmsConfiguration": sms} if sms and spec.get("sms_mfa", True) else None,  # type: ignore[arg-type]
            {"Enabled": bool(spec.get("software_token_mfa", True))},
            spec["mfa_configuration"],
        )

    def _create_client(self, spec: dict[str, Any]) -> None:
        client = self.backend.create_user_pool_client(
            self.pool_id,
            bool(spec.get("secret")),
            {
                "ClientName": spec["name"],
                "CallbackURLs": list(spec["callback_urls"]),
                "LogoutURLs": list(spec.get("logout_urls", [])),
                "AllowedOAuthScopes": list(spec["allowed_scopes"]),
                "AllowedOAuthFlows": ["code"],
                "AllowedOAuthFlowsUserPoolClient": True,
                "SupportedIdentityProviders": ["COGNITO"],
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                "ReadAttributes": [
                    "email",
                    "email_verified",
                    "phone_number",
                    "phone_number_verified",
                ],
            },
        )
        del self.pool.clients[client.id]
        client.id = spec["id"]
        if spec.get("secret"):
            client.secret = spec["secret"]
        self.pool.clients[client.id] = client

    def _create_user(self, spec: dict[str, Any]) -> None:
        attributes = dict(spec.get("attributes") or {})
        if spec.get("email"):
            attributes.setdefault("email", spec["email"])
            attributes.setdefault("email_verified", str(spec.get("email_verified", True)).lower())
        if spec.get("phone_number"):
            attributes.setdefault("phone_number", spec["phone_number"])
            attributes.setdefault(
                "phone_number_verified", str(bool(spec.get("phone_number_verified"))).lower()
            )
        user = self.backend.admin_create_user(
            self.pool_id,
            spec["username"],
            "SUPPRESS",
            spec["password"],
            [{"Name": k, "Value": str(v)} for k, v in attributes.items()],
        )
        user.status = UserStatus[spec.get("status", "CONFIRMED")]
        user.enabled = bool(spec.get("enabled", True))
        set_mfa_options(user, list(spec.get("mfa_options") or []))
        user.sms_mfa_enabled = bool(spec.get("sms_mfa_enabled"))
        if spec.get("software_token_secret"):
            adopt_software_token(user, spec["software_token_secret"])
        user.preferred_mfa_setting = spec.get("preferred_mfa") or ""

    def client(self, client_id: str | None) -> CognitoIdpUserPoolClient | None:
        return self.pool.clients.get(client_id or "")

    def user(self, username: str) -> CognitoIdpUser | None:
        return self.pool._get_user(username)

    @property
    def strict_logout_params(self) -> bool:
        return bool(self.seed["user_pool"].get("strict_logout_params"))

    @property
    def pool_mfa(self) -> PoolMfa:
        return PoolMfa.of(self.pool)

    def adopt_pool(self, pool_id: str) -> LocalUserPool:
        """Give a pool created through the API our tokens (issuer, scopes, revocation)."""
        pool = self.backend.user_pools[pool_id]
        if not isinstance(pool, LocalUserPool):
            pool = LocalUserPool.adopt(pool, TokenSettings(issuer=f"{self.url}/{pool_id}"))
        self.pools[pool_id] = pool
        return pool

    def adopt_new_pools(self) -> None:
        for pool_id, pool in list(self.backend.user_pools.items()):
            if not isinstance(pool, LocalUserPool):
                self.adopt_pool(pool_id)

    def any_pool(self, pool_id: str | None) -> LocalUserPool | None:
        """A pool by id: the seeded one or one created through the API."""
        pool = self.backend.user_pools.get(pool_id or "")
        return self.adopt_pool(pool.id) if pool is not None else None

    def client_anywhere(
        self, client_id: str | None
    ) -> tuple[LocalUserPool, CognitoIdpUserPoolClient] | None:
        """An app client of any pool, with its pool (the API's sign-in serves every pool)."""
        for pool in list(self.backend.user_pools.values()):
            client = pool.clients.get(client_id or "")
            if client is not None:
                return self.adopt_pool(pool.id), client
        return None

    def token_owner(self, token: str | None, scope: str) -> tuple[LocalUserPool, CognitoIdpUser]:
        """The pool and user of a live access token with ``scope``; Cognito's error otherwise."""
        for pool in list(self.backend.user_pools.values()):
            if isinstance(pool, LocalUserPool) and (token or "") in pool.access_records:
                record = pool.check_access_token(token, scope)
                return pool, pool._get_user(record.username)
        return self.pool, self.pool._get_user(self.pool.check_access_token(token, scope).username)

    def next_challenge(self, user: CognitoIdpUser, pool: LocalUserPool | None = None) -> str | None:
        """The MFA challenge (if any) a sign-in meets once the password was right."""
        return next_challenge(PoolMfa.of(pool or self.pool), user)
