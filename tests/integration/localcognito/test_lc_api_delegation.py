"""Every operation the stand-in serves (its own and moto's) answers, whatever it is sent."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import botocore.session
import pytest
import requests
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.utils import camelcase_to_underscores

from localcognito.api import HANDLERS, TARGET_PREFIX
from localcognito.server import LocalCognito

CLIENT_TIMEOUT = 5
ODD_BODIES = [
    b"{}",
    b'{"UserPoolId": "us-east-1_Nope", "ClientId": "nope", "Username": "nobody", "x": 1}',
    b'{"AccessToken": 5, "ClientId": [], "UserPoolId": {}, "Session": 7, "Username": true}',
    b"[]",
]


@cache
def operations_moto_implements() -> list[str]:
    model = botocore.session.get_session().get_service_model("cognito-idp")
    return [
        name
        for name in model.operation_names
        if callable(getattr(CognitoIdpResponse, camelcase_to_underscores(name), None))
    ]


def operations_served() -> list[str]:
    return sorted(set(operations_moto_implements()) | set(HANDLERS))


@pytest.fixture(scope="module")
def stand_in() -> Iterator[LocalCognito]:
    """A stand-in of this module's own: odd calls must not leave anything behind elsewhere."""
    with LocalCognito() as cognito:
        yield cognito


def call(url: str, operation: str, body: bytes) -> requests.Response:
    return requests.post(
        url,
        data=body,
        headers={
            "X-Amz-Target": f"{TARGET_PREFIX}{operation}",
            "Content-Type": "application/x-amz-json-1.1",
        },
        timeout=CLIENT_TIMEOUT,
    )


def test_moto_implements_the_operations_named_in_the_issue():
    for operation in ("ListUserPools", "DescribeUserPool", "AdminCreateUser"):
        assert operation in operations_moto_implements()
    assert len(operations_moto_implements()) > 50


@pytest.mark.parametrize("operation", operations_served())
@pytest.mark.parametrize("body", ODD_BODIES)
def test_every_operation_answers_odd_calls_with_json(stand_in, operation, body):
    response = call(stand_in.url, operation, body)
    answer = response.json()
    assert isinstance(answer, dict)
    if response.status_code != 200:
        assert answer.get("__type"), answer
        assert response.status_code < 500 or answer["__type"] == "InternalErrorException"


def test_delegated_calls_see_the_request_body(cognito):
    listed = call(cognito.url, "ListUserPools", b'{"MaxResults": 10}')
    assert listed.status_code == 200, listed.text
    assert [pool["Id"] for pool in listed.json()["UserPools"]] == [cognito.pool_id]
    described = call(
        cognito.url, "DescribeUserPool", f'{{"UserPoolId": "{cognito.pool_id}"}}'.encode()
    )
    assert described.json()["UserPool"]["Id"] == cognito.pool_id


def test_mistyped_parameter_is_a_serialization_error(cognito):
    response = call(cognito.url, "GetUser", b'{"AccessToken": ["x"]}')
    assert response.status_code == 400
    assert response.json()["__type"] == "SerializationException"


def test_missing_required_parameter_is_a_validation_error(cognito):
    response = call(cognito.url, "DescribeUserPool", b"{}")
    assert response.status_code == 400
    assert response.json()["__type"] == "InvalidParameterException"
    assert "userPoolId" in response.json()["message"]


def test_new_user_and_app_client_created_through_the_api_can_sign_in(cognito, idp, admin_idp):
    client = admin_idp.create_user_pool_client(
        UserPoolId=cognito.pool_id,
        ClientName="second",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    admin_idp.admin_create_user(
        UserPoolId=cognito.pool_id, Username="dave", MessageAction="SUPPRESS"
    )
    admin_idp.admin_set_user_password(
        UserPoolId=cognito.pool_id, Username="dave", Password="Dave-Passw0rd!", Permanent=True
    )
    result = idp.initiate_auth(
        ClientId=client["ClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "dave", "PASSWORD": "Dave-Passw0rd!"},
    )
    token = result["AuthenticationResult"]["AccessToken"]
    assert idp.get_user(AccessToken=token)["Username"] == "dave"
