"""Tokens as Cognito issues them, built on moto's user pool.

`LocalUserPool` is moto's `CognitoIdpUserPool` with Cognito's claims (our issuer, scopes,
auth_time, nonce, event_id) and a record of every access token, so the API can tell an
expired token from a revoked or a forged one and check its scopes, as Cognito does.
A "family" is one sign-in: its refresh token and every token issued from it.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpUserPool, UserStatus

ADMIN_SCOPE = "aws.cognito.signin.user.admin"


@dataclass
class TokenFamily:
    origin_jti: str
    client_id: str
    username: str
    scopes: list[str]
    auth_time: int
    refresh_token: str
    refresh_expires_at: float
    revoked: bool = False
    access_tokens: list[str] = field(default_factory=list)


@dataclass
class AccessRecord:
    jti: str
    origin_jti: str
    client_id: str
    username: str
    scopes: list[str]
    expires_at: float
    revoked: bool = False


@dataclass(frozen=True)
class TokenSettings:
    issuer: str
    access_token_validity: int = 3600
    id_token_validity: int = 3600
    refresh_token_validity: int = 30 * 24 * 3600


class LocalUserPool(CognitoIdpUserPool):
    """Adopted from a pool moto created (see `adopt`), so moto's backend keeps working on it."""

    settings: TokenSettings
    families: dict[str, TokenFamily]
    access_records: dict[str, AccessRecord]
    family_by_refresh_token: dict[str, str]

    @classmethod
    def adopt(cls, pool: CognitoIdpUserPool, settings: TokenSettings) -> LocalUserPool:
        pool.__class__ = cls
        assert isinstance(pool, LocalUserPool)
        pool.settings = settings
        pool.families = {}
        pool.access_records = {}
        pool.family_by_refresh_token = {}
        return pool

    def create_jwt(
        self,
        client_id: str,
        username: str,
        token_use: str,
        expires_in: int | None = None,
        extra_data: dict[str, Any] | None = None,
    ) -> tuple[str, int]:
        if expires_in is None:
            expires_in = (
                self.settings.access_token_validity
                if token_use == "access"
                else self.settings.id_token_validity
            )
        claims = {"iss": self.settings.issuer, **(extra_data or {})}
        return super().create_jwt(client_id, username, token_use, expires_in, claims)

    def create_refresh_token(self, client_id: str, username: str) -> tuple[str, str]:
        """Used by moto's own sign-in paths (InitiateAuth): Cognito grants only the admin scope."""
        family = self.start_family(client_id, username, [ADMIN_SCOPE])
        return family.refresh_token, family.origin_jti

    def start_family(self, client_id: str, username: str, scopes: list[str]) -> TokenFamily:
        refresh_token, origin_jti = super().create_refresh_token(client_id, username)
        family = TokenFamily(
            origin_jti=origin_jti,
            client_id=client_id,
            username=username,
            scopes=scopes,
            auth_time=int(time.time()),
            refresh_token=refresh_token,
            refresh_expires_at=time.time() + self.settings.refresh_token_validity,
        )
        self.families[origin_jti] = family
        self.family_by_refresh_token[refresh_token] = origin_jti
        return family

    def create_access_token(
        self, client_id: str, username: str, origin_jti: str
    ) -> tuple[str, int]:
        family = self.families[origin_jti]
        jti = str(uuid.uuid4())
        claims: dict[str, Any] = {
            "origin_jti": origin_jti,
            "event_id": str(uuid.uuid4()),
            "scope": " ".join(family.scopes),
            "auth_time": family.auth_time,
            "jti": jti,
        }
        user = self._get_user(username)
        if user.groups:
            claims["cognito:groups"] = sorted(group.group_name for group in user.groups)
        token, expires_in = self.create_jwt(client_id, username, "access", extra_data=claims)
        self.access_tokens[token] = (client_id, username)
        self.access_records[token] = AccessRecord(
            jti=jti,
            origin_jti=origin_jti,
            client_id=client_id,
            username=username,
            scopes=list(family.scopes),
            expires_at=time.time() + expires_in,
        )
        family.access_tokens.append(token)
        return token, expires_in

    def create_id_token(
        self, client_id: str, username: str, origin_jti: str, nonce: str | None = None
    ) -> tuple[str, int]:
        family = self.families[origin_jti]
        user = self._get_user(username)
        claims: dict[str, Any] = {
            "origin_jti": origin_jti,
            "event_id": str(uuid.uuid4()),
            "auth_time": family.auth_time,
            "jti": str(uuid.uuid4()),
        }
        attributes = user.attribute_lookup
        for name, value in attributes.items():
            if name in ("email", "phone_number") or name.startswith("custom:"):
                claims[name] = value
            elif name in ("email_verified", "phone_number_verified"):
                claims[name] = str(value).lower() == "true"
        if user.groups:
            claims["cognito:groups"] = sorted(group.group_name for group in user.groups)
        if nonce:
            claims["nonce"] = nonce
        token, expires_in = self.create_jwt(client_id, username, "id", extra_data=claims)
        self.id_tokens[token] = (client_id, username)
        return token, expires_in

    def create_tokens_from_refresh_token(self, refresh_token: str) -> tuple[str, str, int]:
        family = self.family_for_refresh_token(refresh_token)
        return super().create_tokens_from_refresh_token(family.refresh_token)

    def family_for_refresh_token(self, refresh_token: str) -> TokenFamily:
        """The live family of a refresh token, or NotAuthorizedException as Cognito says it."""
        origin_jti = self.family_by_refresh_token.get(refresh_token)
        if origin_jti is None:
            raise NotAuthorizedError("Invalid Refresh Token")
        family = self.families[origin_jti]
        if family.revoked or self.refresh_tokens.get(refresh_token) is None:
            raise NotAuthorizedError("Refresh Token has been revoked")
        if family.refresh_expires_at <= time.time():
            raise NotAuthorizedError("Refresh Token has expired")
        return family

    def issue_tokens(
        self,
        client_id: str,
        username: str,
        scopes: list[str],
        nonce: str | None = None,
        auth_time: int | None = None,
    ) -> dict[str, Any]:
        """A full token set for a hosted-UI sign-in."""
        family = self.start_family(client_id, username, scopes)
        if auth_time is not None:
            family.auth_time = auth_time
        access_token, expires_in = self.create_access_token(client_id, username, family.origin_jti)
        id_token, _ = self.create_id_token(client_id, username, family.origin_jti, nonce)
        return {
            "access_token": access_token,
            "id_token": id_token,
            "refresh_token": family.refresh_token,
            "expires_in": expires_in,
            "token_type": "Bearer",
        }

    def revoke_family(self, origin_jti: str) -> None:
        family = self.families[origin_jti]
        family.revoked = True
        self.refresh_tokens[family.refresh_token] = None
        for token in family.access_tokens:
            self.access_records[token].revoked = True
            self.access_tokens.pop(token, None)

    def sign_out(self, username: str) -> None:
        super().sign_out(username)
        for family in self.families.values():
            if family.username == username:
                family.revoked = True

    def expire_access_tokens(self, username: str) -> int:
        now = time.time()
        expired = 0
        for record in self.access_records.values():
            if record.username == username and record.expires_at > now:
                record.expires_at = now - 1
                expired += 1
        return expired

    def check_access_token(self, token: str | None, scope: str = ADMIN_SCOPE) -> AccessRecord:
        """The record of a live access token carrying `scope`; otherwise Cognito's error."""
        record = self.access_records.get(token or "")
        if record is None:
            raise NotAuthorizedError("Invalid Access Token")
        if record.revoked or token not in self.access_tokens:
            raise NotAuthorizedError("Access Token has been revoked")
        if record.expires_at <= time.time():
            raise NotAuthorizedError("Access Token has expired")
        if scope not in record.scopes:
            raise NotAuthorizedError("Access Token does not have required scopes")
        user = self._get_user(record.username)
        if user is None:
            raise NotAuthorizedError("Invalid Access Token")
        if not user.enabled:
            raise NotAuthorizedError("User is disabled.")
        if user.status is not UserStatus.CONFIRMED:
            raise NotAuthorizedError("Invalid Access Token")
        return record
