"""moto's test helpers for the vendored tests, adapted to run against the local stand-in.

Origin: moto 5.2.5 (https://github.com/getmoto/moto), ``tests/test_cognitoidp/__init__.py``
(``cognitoidp_aws_verified``) and ``tests/__init__.py`` (``allow_aws_request``).
Copyright the moto authors, licensed under the Apache License, Version 2.0
(https://www.apache.org/licenses/LICENSE-2.0). Changes: no ``mock_aws`` and no IAM (the SMS
role is a placeholder ARN; the stand-in sends no SMS), and small stand-ins for pyotp and
pycognito, which this project does not install (see ``TOTP`` and ``AWSSRP``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import boto3

from localcognito import totp
from localcognito.server import LocalCognito

SMS_ROLE_ARN = "arn:aws:iam::123456789012:role/local-cognito-conformance-sms"
_stand_in: list[LocalCognito] = []


def use_stand_in(cognito: LocalCognito) -> None:
    _stand_in[:] = [cognito]


def allow_aws_request() -> bool:
    """True: the stand-in enforces single-use TOTP codes as AWS does, so take AWS's path."""
    return True


class StandInTime:
    """``time`` for the vendored tests: their wait for the next TOTP code moves the stand-in's
    authenticator clock on one step instead of sleeping (no wall-clock waits)."""

    @staticmethod
    def sleep(_seconds: float) -> None:
        assert _stand_in[0].state is not None
        _stand_in[0].state.totp_clock.offset += totp.STEP_SECONDS


class TOTP:
    """The part of ``pyotp.TOTP`` the tests use, on the stand-in's authenticator clock."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def now(self) -> str:
        assert _stand_in[0].state is not None
        return totp.code_at(self.secret, _stand_in[0].state.totp_clock.now())


class AWSSRP:
    """The part of ``pycognito.aws_srp.AWSSRP`` the tests use.

    The stand-in (like moto) does not check the SRP proof, only that one is sent, so this sends
    well-formed placeholders; what these tests check is what follows the password step.
    """

    def __init__(
        self,
        username: str,
        password: str,
        pool_id: str,
        client_id: str,
        client_secret: str | None = None,
        client: Any = None,
    ) -> None:
        self.username = username
        self.client_id = client_id
        self.client_secret = client_secret
        self.large_a_value = secrets.randbits(256)

    @staticmethod
    def get_secret_hash(username: str, client_id: str, client_secret: str) -> str:
        message = (username + client_id).encode()
        digest = hmac.new(client_secret.encode(), message, hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def get_auth_params(self) -> dict[str, str]:
        params = {"USERNAME": self.username, "SRP_A": long_to_hex(self.large_a_value)}
        if self.client_secret:
            params["SECRET_HASH"] = self.get_secret_hash(
                self.username, self.client_id, self.client_secret
            )
        return params

    def process_challenge(
        self, challenge_parameters: dict[str, str], request_parameters: dict[str, str]
    ) -> dict[str, str]:
        response = {
            "TIMESTAMP": datetime.now(UTC).strftime("%a %b %d %H:%M:%S UTC %Y"),
            "USERNAME": challenge_parameters["USERNAME"],
            "PASSWORD_CLAIM_SECRET_BLOCK": challenge_parameters["SECRET_BLOCK"],
            "PASSWORD_CLAIM_SIGNATURE": base64.b64encode(secrets.token_bytes(32)).decode(),
        }
        if self.client_secret:
            response["SECRET_HASH"] = self.get_secret_hash(
                challenge_parameters["USERNAME"], self.client_id, self.client_secret
            )
        return response


def long_to_hex(value: int) -> str:
    return f"{value:x}"


pycognito = SimpleNamespace(aws_srp=SimpleNamespace(AWSSRP=AWSSRP, long_to_hex=long_to_hex))
pyotp = SimpleNamespace(TOTP=TOTP)


def cognitoidp_aws_verified(
    username_attributes: list[str] | None = None,
    read_attributes: list[str] | None = None,
    explicit_auth_flows: list[str] | None = None,
    generate_secret: bool = False,
    recovery: list[dict[str, Any]] | None = None,
    verified_attributes: list[str] | None = None,
    with_mfa: str | None = None,
    with_software_mfa: bool = True,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Create a user pool and app client, run the test with them, delete the pool."""

    def inner(func: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(func)
        def pagination_wrapper(*args: Any, **kwargs: Any) -> Any:
            conn = boto3.client("cognito-idp", "us-west-2")
            pool_name = f"TestUserPool_{str(uuid4())[0:6]}"
            userpool_args: dict[str, Any] = {}
            if username_attributes:
                userpool_args["UsernameAttributes"] = username_attributes
            if recovery:
                userpool_args["AccountRecoverySetting"] = {"RecoveryMechanisms": recovery}
            if with_mfa:
                userpool_args["MfaConfiguration"] = with_mfa
                userpool_args["SmsConfiguration"] = {"SnsCallerArn": SMS_ROLE_ARN}
            if verified_attributes:
                userpool_args["AutoVerifiedAttributes"] = verified_attributes
            user_pool = conn.create_user_pool(PoolName=pool_name, **userpool_args)
            pool_id = user_pool["UserPool"]["Id"]

            if with_mfa and with_software_mfa:
                conn.set_user_pool_mfa_config(
                    UserPoolId=pool_id,
                    SoftwareTokenMfaConfiguration={"Enabled": True},
                    MfaConfiguration=with_mfa,
                )

            pool_client_kwargs: dict[str, Any] = {}
            if read_attributes:
                pool_client_kwargs["ReadAttributes"] = read_attributes
            if explicit_auth_flows:
                pool_client_kwargs["ExplicitAuthFlows"] = explicit_auth_flows
            if generate_secret:
                pool_client_kwargs["GenerateSecret"] = True

            try:
                user_pool_client = conn.create_user_pool_client(
                    UserPoolId=pool_id, ClientName="TestAppClient", **pool_client_kwargs
                )
                kwargs["user_pool"] = user_pool
                kwargs["user_pool_client"] = user_pool_client
                return func(*args, **kwargs)
            finally:
                conn.delete_user_pool(UserPoolId=pool_id)

        return pagination_wrapper

    return inner
