"""Fixtures for the contract tests: plain boto3 (no credentials) and plain HTTP."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from contract_target import (
    LIVE_SKIP_REASON,
    ContractTarget,
    live_target_from_env,
    stand_in_target,
)
from lc_helpers import PASSWORDS, HostedUi, secret_hash

from localcognito.server import LocalCognito


@pytest.fixture(params=["stand-in", pytest.param("live", marks=pytest.mark.live)])
def target(request: pytest.FixtureRequest) -> ContractTarget:
    """The stand-in, or (``pytest -m live``) the real user pool named by LIVE_COGNITO_*."""
    if request.param == "live":
        live = live_target_from_env()
        if live is None:
            pytest.skip(LIVE_SKIP_REASON)
        return live
    return stand_in_target(request.getfixturevalue("cognito"))


@pytest.fixture(autouse=True)
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Prove that nothing needs AWS credentials: boto3 finds none."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


@pytest.fixture
def cognito(fresh_cognito: LocalCognito) -> LocalCognito:
    return fresh_cognito


@pytest.fixture
def idp(cognito: LocalCognito) -> Any:
    return boto3.client("cognito-idp", endpoint_url=cognito.url, region_name=cognito.region)


@pytest.fixture
def admin_idp(cognito: LocalCognito) -> Any:
    """A client for the IAM-authorized (admin) operations: the stand-in takes any credentials."""
    return boto3.client(
        "cognito-idp",
        endpoint_url=cognito.url,
        region_name=cognito.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


@pytest.fixture
def sign_in(cognito: LocalCognito, idp: Any) -> Callable[..., dict[str, Any]]:
    """InitiateAuth USER_PASSWORD_AUTH; answers the SMS challenge from the outbox if asked."""

    def _sign_in(username: str, password: str | None = None) -> dict[str, Any]:
        response = idp.initiate_auth(
            ClientId=cognito.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={
                "USERNAME": username,
                "PASSWORD": password or PASSWORDS[username],
                "SECRET_HASH": secret_hash(cognito, username),
            },
        )
        return response

    return _sign_in


@pytest.fixture
def access_token(sign_in: Callable[..., dict[str, Any]]) -> Callable[[str], str]:
    def _token(username: str) -> str:
        return sign_in(username)["AuthenticationResult"]["AccessToken"]

    return _token


@pytest.fixture
def browser(cognito: LocalCognito) -> HostedUi:
    return HostedUi(cognito)
