"""Where the portable contract tests run: the stand-in, or a real user pool (``-m live``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from dataclasses import dataclass
from typing import Any

import boto3

from localcognito import totp
from localcognito.server import LocalCognito

LIVE_REQUIRED = (
    "LIVE_COGNITO_REGION",
    "LIVE_COGNITO_CLIENT_ID",
    "LIVE_COGNITO_USERNAME",
    "LIVE_COGNITO_PASSWORD",
)
LIVE_SKIP_REASON = (
    "no real user pool: set LIVE_COGNITO_REGION, _CLIENT_ID, _USERNAME and _PASSWORD "
    "(see docs/stand-in.md)"
)


@dataclass(frozen=True)
class ContractTarget:
    """A user pool, an app client and one user with a phone number who can sign in."""

    name: str
    region: str
    endpoint_url: str | None
    client_id: str
    client_secret: str | None
    username: str
    password: str
    totp_secret: str | None = None

    def client(self) -> Any:
        return boto3.client("cognito-idp", region_name=self.region, endpoint_url=self.endpoint_url)

    def secret_hash(self, username: str | None = None) -> dict[str, str]:
        if not self.client_secret:
            return {}
        message = ((username or self.username) + self.client_id).encode()
        digest = hmac.new(self.client_secret.encode(), message, hashlib.sha256).digest()
        return {"SECRET_HASH": base64.b64encode(digest).decode()}

    def authenticator_code(self) -> str:
        assert self.totp_secret
        return totp.code_at(self.totp_secret, time.time())


def stand_in_target(cognito: LocalCognito) -> ContractTarget:
    return ContractTarget(
        name="stand-in",
        region=cognito.region,
        endpoint_url=cognito.url,
        client_id=cognito.client_id,
        client_secret=cognito.client_secret,
        username="alice",
        password="Alice-Passw0rd!",
    )


def live_target_from_env() -> ContractTarget | None:
    if not all(os.environ.get(name) for name in LIVE_REQUIRED):
        return None
    return ContractTarget(
        name="live",
        region=os.environ["LIVE_COGNITO_REGION"],
        endpoint_url=None,
        client_id=os.environ["LIVE_COGNITO_CLIENT_ID"],
        client_secret=os.environ.get("LIVE_COGNITO_CLIENT_SECRET") or None,
        username=os.environ["LIVE_COGNITO_USERNAME"],
        password=os.environ["LIVE_COGNITO_PASSWORD"],
        totp_secret=os.environ.get("LIVE_COGNITO_TOTP_SECRET") or None,
    )
