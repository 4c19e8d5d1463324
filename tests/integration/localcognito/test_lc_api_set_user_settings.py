"""SetUserSettings and the access-token checks of the JSON API, driven with plain boto3."""

from __future__ import annotations

import time

import pytest
import requests
from botocore.exceptions import ClientError
from lc_helpers import outbox, secret_hash

SMS = {"DeliveryMedium": "SMS", "AttributeName": "phone_number"}


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def test_get_user_works_without_credentials(idp, access_token):
    user = idp.get_user(AccessToken=access_token("alice"))
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert user["Username"] == "alice"
    assert attributes["phone_number"] == "+12025550100"
    assert attributes["phone_number_verified"] == "true"
    assert attributes["email"] == "alice@example.com"
    assert user.get("MFAOptions", []) == []


def test_turning_sms_mfa_on_and_off(idp, access_token):
    token = access_token("alice")
    before = idp.get_user(AccessToken=token)

    response = idp.set_user_settings(AccessToken=token, MFAOptions=[SMS])
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    after = idp.get_user(AccessToken=token)
    assert after["MFAOptions"] == [SMS]
    assert after.get("UserMFASettingList") == before.get("UserMFASettingList")
    assert after.get("PreferredMfaSetting") == before.get("PreferredMfaSetting")

    idp.set_user_settings(AccessToken=token, MFAOptions=[])
    assert idp.get_user(AccessToken=token).get("MFAOptions", []) == []


def test_unverified_phone_is_accepted(idp, access_token):
    token = access_token("carol")
    idp.set_user_settings(AccessToken=token, MFAOptions=[SMS])
    assert idp.get_user(AccessToken=token)["MFAOptions"] == [SMS]


def test_user_without_phone_cannot_turn_sms_mfa_on(idp, access_token):
    with pytest.raises(ClientError) as excinfo:
        idp.set_user_settings(AccessToken=access_token("bob"), MFAOptions=[SMS])
    assert error_of(excinfo)[0] == "InvalidParameterException"


@pytest.mark.parametrize(
    "option",
    [
        {"DeliveryMedium": "EMAIL", "AttributeName": "phone_number"},
        {"DeliveryMedium": "SMS", "AttributeName": "email"},
    ],
)
def test_bad_mfa_option_is_invalid_parameter(idp, access_token, option):
    with pytest.raises(ClientError) as excinfo:
        idp.set_user_settings(AccessToken=access_token("alice"), MFAOptions=[option])
    assert error_of(excinfo)[0] == "InvalidParameterException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("token", ["", "not-a-token", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"])
def test_malformed_token_is_refused(idp, token):
    with pytest.raises(ClientError) as excinfo:
        idp.set_user_settings(AccessToken=token or "x", MFAOptions=[SMS])
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid Access Token")


def test_missing_token_is_refused(cognito):
    response = requests.post(
        cognito.url,
        json={"MFAOptions": []},
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.SetUserSettings",
            "Content-Type": "application/x-amz-json-1.1",
        },
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["__type"] == "NotAuthorizedException"


def test_expired_token_is_refused_everywhere(cognito, idp, access_token):
    token = access_token("alice")
    requests.post(f"{cognito.url}/_local/tokens/expire", json={"username": "alice"}, timeout=5)
    calls = [
        lambda: idp.get_user(AccessToken=token),
        lambda: idp.set_user_settings(AccessToken=token, MFAOptions=[]),
        lambda: idp.update_user_attributes(
            AccessToken=token, UserAttributes=[{"Name": "phone_number", "Value": "+12025550199"}]
        ),
        lambda: idp.get_user_attribute_verification_code(
            AccessToken=token, AttributeName="phone_number"
        ),
        lambda: idp.verify_user_attribute(
            AccessToken=token, AttributeName="phone_number", Code="123456"
        ),
        lambda: idp.global_sign_out(AccessToken=token),
    ]
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("NotAuthorizedException", "Access Token has expired")


def test_globally_signed_out_token_is_revoked(idp, access_token):
    token = access_token("alice")
    other = access_token("alice")
    idp.global_sign_out(AccessToken=token)
    for stale in (token, other):
        with pytest.raises(ClientError) as excinfo:
            idp.set_user_settings(AccessToken=stale, MFAOptions=[SMS])
        assert error_of(excinfo) == ("NotAuthorizedException", "Access Token has been revoked")


def test_token_without_admin_scope_is_refused(browser, idp):
    tokens = browser.tokens_for("alice", scope="openid email")
    for call in (
        lambda: idp.get_user(AccessToken=tokens["access_token"]),
        lambda: idp.set_user_settings(AccessToken=tokens["access_token"], MFAOptions=[SMS]),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == (
            "NotAuthorizedException",
            "Access Token does not have required scopes",
        )


def test_sms_challenge_after_turning_mfa_on(cognito, idp, access_token, sign_in):
    idp.set_user_settings(AccessToken=access_token("alice"), MFAOptions=[SMS])
    challenge = sign_in("alice")
    assert challenge["ChallengeName"] == "SMS_MFA"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"].endswith("0100")
    message = outbox(cognito, username="alice")[-1]
    assert message["purpose"] == "sms_mfa"
    assert message["to"] == "+12025550100"

    def answer(code: str):
        return idp.respond_to_auth_challenge(
            ClientId=cognito.client_id,
            ChallengeName="SMS_MFA",
            Session=challenge["Session"],
            ChallengeResponses={
                "USERNAME": "alice",
                "SMS_MFA_CODE": code,
                "SECRET_HASH": secret_hash(cognito, "alice"),
            },
        )

    wrong = "000000" if message["code"] != "000000" else "111111"
    with pytest.raises(ClientError) as excinfo:
        answer(wrong)
    assert error_of(excinfo)[0] == "CodeMismatchException"

    result = answer(message["code"])["AuthenticationResult"]
    assert idp.get_user(AccessToken=result["AccessToken"])["Username"] == "alice"


def test_no_challenge_once_mfa_is_off_again(idp, access_token, sign_in):
    token = access_token("alice")
    idp.set_user_settings(AccessToken=token, MFAOptions=[SMS])
    idp.set_user_settings(AccessToken=token, MFAOptions=[])
    assert "AuthenticationResult" in sign_in("alice")


def test_wrong_password_and_missing_secret_hash(cognito, idp, sign_in):
    with pytest.raises(ClientError) as excinfo:
        sign_in("alice", "wrong-password")
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")
    with pytest.raises(ClientError) as excinfo:
        idp.initiate_auth(
            ClientId=cognito.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "alice", "PASSWORD": "Alice-Passw0rd!"},
        )
    assert error_of(excinfo)[0] == "NotAuthorizedException"


def test_access_token_claims(cognito, access_token):
    import base64
    import json

    token = access_token("alice")
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["iss"] == cognito.issuer
    assert claims["token_use"] == "access"
    assert claims["scope"] == "aws.cognito.signin.user.admin"
    assert claims["client_id"] == cognito.client_id
    assert claims["username"] == "alice"
    for claim in ("sub", "origin_jti", "event_id", "auth_time", "exp", "iat", "jti"):
        assert claim in claims
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["iat"] <= time.time() + 1
