"""The part of the contract that holds for any Cognito: run on the stand-in, and with
``pytest -m live`` on a real user pool (LIVE_COGNITO_*; skipped when they are not set).

Only user-token operations the portal calls; no development endpoints, no seed specifics.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from contract_target import ContractTarget

SMS = {"DeliveryMedium": "SMS", "AttributeName": "phone_number"}


def sign_in(target: ContractTarget, password: str | None = None) -> str:
    """An access token for the target's user (answering an authenticator challenge if given)."""
    idp = target.client()
    result = idp.initiate_auth(
        ClientId=target.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": target.username,
            "PASSWORD": password or target.password,
            **target.secret_hash(),
        },
    )
    if "AuthenticationResult" in result:
        return result["AuthenticationResult"]["AccessToken"]
    challenge = result["ChallengeName"]
    if challenge != "SOFTWARE_TOKEN_MFA" or not target.totp_secret:
        pytest.skip(
            f"the {target.name} user meets {challenge} at sign-in: use a user without MFA, or "
            "one with an authenticator app and LIVE_COGNITO_TOTP_SECRET"
        )
    answer = idp.respond_to_auth_challenge(
        ClientId=target.client_id,
        ChallengeName=challenge,
        Session=result["Session"],
        ChallengeResponses={
            "USERNAME": result["ChallengeParameters"].get("USER_ID_FOR_SRP", target.username),
            "SOFTWARE_TOKEN_MFA_CODE": target.authenticator_code(),
            **target.secret_hash(),
        },
    )
    return answer["AuthenticationResult"]["AccessToken"]


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_get_user_needs_only_the_access_token(target):
    user = target.client().get_user(AccessToken=sign_in(target))
    names = {attribute["Name"] for attribute in user["UserAttributes"]}
    assert user["Username"]
    assert {"sub", "phone_number"} <= names


def test_set_user_settings_turns_sms_mfa_on_and_off(target):
    idp = target.client()
    token = sign_in(target)
    before = idp.get_user(AccessToken=token).get("MFAOptions", [])
    try:
        idp.set_user_settings(AccessToken=token, MFAOptions=[SMS])
        assert idp.get_user(AccessToken=token)["MFAOptions"] == [SMS]
        idp.set_user_settings(AccessToken=token, MFAOptions=[])
        assert idp.get_user(AccessToken=token).get("MFAOptions", []) == []
    finally:
        idp.set_user_settings(AccessToken=token, MFAOptions=before)


def test_sms_is_the_only_delivery_medium(target):
    with pytest.raises(ClientError) as excinfo:
        target.client().set_user_settings(
            AccessToken=sign_in(target),
            MFAOptions=[{"DeliveryMedium": "EMAIL", "AttributeName": "phone_number"}],
        )
    assert error_code(excinfo) == "InvalidParameterException"


def test_a_malformed_access_token_is_not_authorized(target):
    with pytest.raises(ClientError) as excinfo:
        target.client().get_user(AccessToken="not-a-token")
    assert error_code(excinfo) == "NotAuthorizedException"


def test_a_wrong_password_is_not_authorized(target):
    with pytest.raises(ClientError) as excinfo:
        sign_in(target, password="Not-the-Passw0rd!")
    assert error_code(excinfo) == "NotAuthorizedException"


def test_global_sign_out_revokes_the_access_token(target):
    idp = target.client()
    token = sign_in(target)
    idp.global_sign_out(AccessToken=token)
    with pytest.raises(ClientError) as excinfo:
        idp.get_user(AccessToken=token)
    assert error_code(excinfo) == "NotAuthorizedException"
