"""Development endpoints under /_local/ and fault injection through the real HTTP path."""

from __future__ import annotations

import concurrent.futures
import time

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from lc_helpers import outbox


def test_health(cognito):
    assert requests.get(f"{cognito.url}/_local/health", timeout=5).status_code == 200


@pytest.mark.parametrize(
    ("error", "status"),
    [
        ("ForbiddenException", 403),
        ("InternalErrorException", 500),
        ("TooManyRequestsException", 429),
        ("NotAuthorizedException", 400),
        ("LimitExceededException", 400),
    ],
)
def test_injected_error_once(cognito, access_token, error, status):
    """botocore retries 5xx and throttling errors itself, so this client does not retry."""
    idp = boto3.client(
        "cognito-idp",
        endpoint_url=cognito.url,
        region_name=cognito.region,
        config=Config(retries={"total_max_attempts": 1}),
    )
    token = access_token("alice")
    response = requests.post(
        f"{cognito.url}/_local/faults",
        json={"operation": "SetUserSettings", "error": error, "message": "boom", "times": 1},
        timeout=5,
    )
    assert response.status_code == 201
    with pytest.raises(ClientError) as excinfo:
        idp.set_user_settings(AccessToken=token, MFAOptions=[])
    assert excinfo.value.response["Error"] == {"Code": error, "Message": "boom"}
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert idp.set_user_settings(AccessToken=token, MFAOptions=[]) is not None


def test_fault_only_hits_its_operation_and_clears(cognito, idp, access_token):
    token = access_token("alice")
    requests.post(
        f"{cognito.url}/_local/faults",
        json={"operation": "GetUser", "error": "InternalErrorException"},
        timeout=5,
    )
    idp.set_user_settings(AccessToken=token, MFAOptions=[])
    for _ in range(2):
        with pytest.raises(ClientError):
            idp.get_user(AccessToken=token)
    assert requests.delete(f"{cognito.url}/_local/faults", timeout=5).status_code == 204
    assert idp.get_user(AccessToken=token)["Username"] == "alice"


def test_unknown_error_code_is_refused(cognito):
    response = requests.post(
        f"{cognito.url}/_local/faults",
        json={"operation": "GetUser", "error": "NoSuchThing"},
        timeout=5,
    )
    assert response.status_code == 400


def test_latency(cognito, idp, access_token):
    token = access_token("alice")
    requests.post(
        f"{cognito.url}/_local/faults", json={"operation": "*", "latency_ms": 300}, timeout=5
    )
    started = time.monotonic()
    idp.get_user(AccessToken=token)
    assert time.monotonic() - started >= 0.3


def test_outbox_filters_and_clear(cognito, idp, access_token):
    token = access_token("alice")
    idp.get_user_attribute_verification_code(AccessToken=token, AttributeName="phone_number")
    idp.get_user_attribute_verification_code(AccessToken=token, AttributeName="phone_number")
    messages = outbox(cognito, to="+12025550100", username="alice")
    assert len(messages) == 2
    assert set(messages[0]) >= {"to", "code", "purpose", "time", "username"}
    assert messages[0]["time"] <= messages[1]["time"]
    assert outbox(cognito, username="bob") == []
    assert requests.delete(f"{cognito.url}/_local/outbox", timeout=5).status_code == 204
    assert outbox(cognito) == []


def test_stats_count_api_and_http(cognito, idp, access_token, browser):
    requests.delete(f"{cognito.url}/_local/stats", timeout=5)
    token = access_token("alice")
    idp.get_user(AccessToken=token)
    idp.get_user(AccessToken=token)
    browser.tokens_for("bob")
    requests.get(f"{cognito.url}/{cognito.pool_id}/.well-known/jwks.json", timeout=5)
    stats = requests.get(f"{cognito.url}/_local/stats", timeout=5).json()
    assert stats["api"]["GetUser"] == 2
    assert stats["api"]["InitiateAuth"] == 1
    assert stats["http"]["authorize"] == 1
    assert stats["http"]["token"] == 1
    assert stats["http"]["jwks"] == 1
    requests.delete(f"{cognito.url}/_local/stats", timeout=5)
    assert requests.get(f"{cognito.url}/_local/stats", timeout=5).json() == {
        "api": {},
        "http": {},
    }


def test_reset_restores_the_seed(cognito, idp, access_token):
    token = access_token("alice")
    idp.set_user_settings(
        AccessToken=token, MFAOptions=[{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    )
    assert requests.post(f"{cognito.url}/_local/reset", timeout=5).status_code == 200
    with pytest.raises(ClientError):
        idp.get_user(AccessToken=token)
    fresh = access_token("alice")
    assert idp.get_user(AccessToken=fresh).get("MFAOptions", []) == []
    assert cognito.pool_id == "us-east-1_LocalPool"


def test_fifty_concurrent_requests(cognito, idp, access_token):
    token = access_token("alice")

    def call(_: int) -> str:
        return idp.get_user(AccessToken=token)["Username"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        assert list(pool.map(call, range(100))) == ["alice"] * 100


def test_portal_env(cognito):
    env = cognito.portal_env("http://127.0.0.1:8000")
    assert env == {
        "COGNITO_REGION": "us-east-1",
        "COGNITO_USER_POOL_ID": "us-east-1_LocalPool",
        "COGNITO_CLIENT_ID": "mfaportallocalclient000001",
        "COGNITO_CLIENT_SECRET": "local-client-secret-not-for-production",
        "COGNITO_DOMAIN": cognito.url,
        "COGNITO_ENDPOINT_URL": cognito.url,
        "PORTAL_BASE_URL": "http://127.0.0.1:8000",
        "COGNITO_POOL_MFA": "optional",
    }
