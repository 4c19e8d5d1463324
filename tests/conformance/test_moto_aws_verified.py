"""moto's AWS-verified cognito-idp tests, run against the local stand-in.

Origin: moto 5.2.5 (https://github.com/getmoto/moto), ``tests/test_cognitoidp/test_cognitoidp.py``:
every test marked ``aws_verified`` (written and run against real AWS), with the helpers
``user_authentication_flow`` and ``get_jwt_payload`` they use.
Copyright the moto authors, licensed under the Apache License, Version 2.0
(https://www.apache.org/licenses/LICENSE-2.0).

Changes: the imports below (moto's test helpers and pyotp / pycognito come from
``moto_support``, adapted to the stand-in); the ``aws_verified`` marks are dropped (this
project's pytest runs with ``--strict-markers``), and so is the patch of moto's internal
``verify_totp`` on ``user_authentication_flow`` (moto's internals are not in play). The test bodies are otherwise as in moto.
"""
# ruff: noqa

import os
import uuid
from unittest import mock
from uuid import UUID

import boto3
import pytest
from joserfc import jws, jwt

from .moto_support import StandInTime, allow_aws_request, cognitoidp_aws_verified, pycognito, pyotp

time = StandInTime()


@cognitoidp_aws_verified()
def test_authorize_user_with_force_password_change_status(user_pool=None, user_pool_client=None):
    conn = boto3.client("cognito-idp", "us-west-2")
    pool_id = user_pool["UserPool"]["Id"]
    client_id = user_pool_client["UserPoolClient"]["ClientId"]

    username = "test@example.com"
    temp_password = "Tempor@ryPassword123"
    new_password = "NewP@ssword456"

    aws_srp = pycognito.aws_srp.AWSSRP(
        username=username,
        password=temp_password,
        pool_id=pool_id,
        client_id=client_id,
        client=conn,
    )
    auth_params = aws_srp.get_auth_params()

    conn.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        TemporaryPassword=temp_password,
    )

    # Initiate USER_SRP_AUTH flow
    result = conn.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters=auth_params,
    )

    # Try to log in with user in status FORCE_CHANGE_PASSWORD
    challenge_response = aws_srp.process_challenge(result["ChallengeParameters"], auth_params)
    result = conn.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName=result["ChallengeName"],
        ChallengeResponses=challenge_response,
    )
    assert result["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert result["Session"] is not None

    # Sets a new password to the user and log it in
    result = conn.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=result["Session"],
        ChallengeResponses={
            "USERNAME": username,
            "NEW_PASSWORD": new_password,
        },
    )
    assert result["AuthenticationResult"]["TokenType"] == "Bearer"
    assert result["AuthenticationResult"]["AccessToken"] is not None
    assert result["AuthenticationResult"]["RefreshToken"] is not None


@cognitoidp_aws_verified(read_attributes=["given_name"], explicit_auth_flows=["ADMIN_NO_SRP_AUTH"])
def test_group_in_access_token(user_pool=None, user_pool_client=None):
    conn = boto3.client("cognito-idp", "us-west-2")

    username = str(uuid.uuid4())
    temporary_password = "P2$Sword"
    user_pool_id = user_pool["UserPool"]["Id"]
    user_attribute_value = str(uuid.uuid4())
    group_name = str(uuid.uuid4())
    client_id = user_pool_client["UserPoolClient"]["ClientId"]

    conn.create_group(GroupName=group_name, UserPoolId=user_pool_id)

    conn.admin_create_user(
        UserPoolId=user_pool_id,
        Username=username,
        TemporaryPassword=temporary_password,
        UserAttributes=[{"Name": "given_name", "Value": user_attribute_value}],
    )

    conn.admin_add_user_to_group(UserPoolId=user_pool_id, Username=username, GroupName=group_name)

    result = conn.admin_initiate_auth(
        UserPoolId=user_pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_NO_SRP_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": temporary_password},
    )

    # A newly created user is forced to set a new password
    assert result["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert result["Session"] is not None

    # This sets a new password and logs the user in (creates tokens)
    new_password = "P2$Sword"
    result = conn.admin_respond_to_auth_challenge(
        UserPoolId=user_pool_id,
        Session=result["Session"],
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": new_password},
    )

    payload = get_jwt_payload(result["AuthenticationResult"]["AccessToken"])
    assert payload.claims["cognito:groups"] == [group_name]


@cognitoidp_aws_verified(read_attributes=["given_name"], explicit_auth_flows=["ADMIN_NO_SRP_AUTH"])
def test_scope_in_access_token(user_pool=None, user_pool_client=None):
    conn = boto3.client("cognito-idp", "us-west-2")

    username = str(uuid.uuid4())
    temporary_password = "P2$Sword"
    user_pool_id = user_pool["UserPool"]["Id"]
    user_attribute_value = str(uuid.uuid4())
    client_id = user_pool_client["UserPoolClient"]["ClientId"]

    conn.admin_create_user(
        UserPoolId=user_pool_id,
        Username=username,
        TemporaryPassword=temporary_password,
        UserAttributes=[{"Name": "given_name", "Value": user_attribute_value}],
    )

    result = conn.admin_initiate_auth(
        UserPoolId=user_pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_NO_SRP_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": temporary_password},
    )

    # A newly created user is forced to set a new password
    assert result["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert result["Session"] is not None

    # This sets a new password and logs the user in (creates tokens)
    new_password = "P2$Sword"
    result = conn.admin_respond_to_auth_challenge(
        UserPoolId=user_pool_id,
        Session=result["Session"],
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": new_password},
    )

    payload = get_jwt_payload(result["AuthenticationResult"]["AccessToken"])
    assert payload.claims["scope"] == "aws.cognito.signin.user.admin"


@cognitoidp_aws_verified(generate_secret=True, explicit_auth_flows=["ADMIN_NO_SRP_AUTH"])
def test_jti_in_tokens(user_pool=None, user_pool_client=None):
    conn = boto3.client("cognito-idp", "us-west-2")

    username = str(uuid.uuid4())
    temporary_password = "P2$Sword"
    new_password = "P2$Sword"
    user_pool_id = user_pool["UserPool"]["Id"]
    user_attribute_value = str(uuid.uuid4())
    client_id = user_pool_client["UserPoolClient"]["ClientId"]
    client_secret = user_pool_client["UserPoolClient"]["ClientSecret"]
    secret_hash = pycognito.aws_srp.AWSSRP.get_secret_hash(
        username=username, client_id=client_id, client_secret=client_secret
    )

    conn.admin_create_user(
        UserPoolId=user_pool_id,
        Username=username,
        TemporaryPassword=temporary_password,
        UserAttributes=[{"Name": "given_name", "Value": user_attribute_value}],
    )

    result = conn.admin_initiate_auth(
        UserPoolId=user_pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_NO_SRP_AUTH",
        AuthParameters={
            "USERNAME": username,
            "PASSWORD": temporary_password,
            "SECRET_HASH": secret_hash,
        },
    )

    # This sets a new password and logs the user in (creates tokens)
    initial_login = conn.admin_respond_to_auth_challenge(
        UserPoolId=user_pool_id,
        Session=result["Session"],
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        ChallengeResponses={
            "USERNAME": username,
            "NEW_PASSWORD": new_password,
            "SECRET_HASH": secret_hash,
        },
    )["AuthenticationResult"]

    initial_access_claims = get_jwt_payload(initial_login["AccessToken"]).claims

    initial_id_claims = get_jwt_payload(initial_login["IdToken"]).claims

    # origin_jti
    # A token-revocation identifier associated with your user's refresh token.
    # Should be the same for all tokens, for a single session
    assert UUID(initial_access_claims["origin_jti"])
    assert initial_access_claims["origin_jti"] == initial_id_claims["origin_jti"]

    # jti
    # The unique identifier of the JWT.
    # Should be unique for every token
    assert UUID(initial_access_claims["jti"])
    assert UUID(initial_id_claims["jti"])
    assert initial_access_claims["jti"] != initial_id_claims["jti"]

    # refresh current session
    refreshed_tokens = conn.initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN",
        AuthParameters={
            "SECRET_HASH": secret_hash,
            "REFRESH_TOKEN": initial_login["RefreshToken"],
        },
    )["AuthenticationResult"]
    refresh_access_claims = get_jwt_payload(refreshed_tokens["AccessToken"]).claims

    refresh_id_claims = get_jwt_payload(refreshed_tokens["IdToken"]).claims

    assert initial_access_claims["origin_jti"] == refresh_access_claims["origin_jti"]
    assert refresh_access_claims["origin_jti"] == refresh_id_claims["origin_jti"]

    assert initial_access_claims["jti"] != refresh_access_claims["jti"]
    assert refresh_access_claims["jti"] != refresh_id_claims["jti"]

    # new session
    aws_srp = pycognito.aws_srp.AWSSRP(
        username=username,
        password=new_password,
        pool_id=user_pool_id,
        client_id=client_id,
        client_secret=client_secret,
        client=conn,
    )
    auth_params = aws_srp.get_auth_params()

    result = conn.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters=auth_params,
    )

    challenge_response = aws_srp.process_challenge(result["ChallengeParameters"], auth_params)
    new_session = conn.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName=result["ChallengeName"],
        ChallengeResponses=challenge_response,
    )["AuthenticationResult"]
    new_access_claims = get_jwt_payload(new_session["AccessToken"]).claims

    new_id_claims = get_jwt_payload(new_session["IdToken"]).claims

    assert initial_access_claims["origin_jti"] != new_access_claims["origin_jti"]
    assert new_access_claims["origin_jti"] == new_id_claims["origin_jti"]

    assert new_access_claims["jti"] != new_id_claims["jti"]


def user_authentication_flow(
    conn, user_pool=None, user_pool_client=None, with_mfa=True, use_email=False
):
    username = "test@moto.com" if use_email else str(uuid.uuid4())
    password = "P2$Sword"
    if not user_pool:
        user_pool = conn.create_user_pool(PoolName=str(uuid.uuid4()))

    user_pool_id = user_pool["UserPool"]["Id"]
    user_attribute_name = str(uuid.uuid4())
    user_attribute_value = str(uuid.uuid4())
    if not user_pool_client:
        user_pool_client = conn.create_user_pool_client(
            UserPoolId=user_pool_id,
            ClientName=str(uuid.uuid4()),
            ReadAttributes=[user_attribute_name],
            GenerateSecret=True,
        )
    client_id = user_pool_client["UserPoolClient"]["ClientId"]
    client_secret = user_pool_client["UserPoolClient"]["ClientSecret"]

    secret_hash = pycognito.aws_srp.AWSSRP.get_secret_hash(
        username=username, client_id=client_id, client_secret=client_secret
    )
    conn.sign_up(ClientId=client_id, Username=username, Password=password, SecretHash=secret_hash)

    client_secret = conn.describe_user_pool_client(UserPoolId=user_pool_id, ClientId=client_id)[
        "UserPoolClient"
    ]["ClientSecret"]

    conn.admin_confirm_sign_up(UserPoolId=user_pool_id, Username=username)

    aws_srp = pycognito.aws_srp.AWSSRP(
        username=username,
        password=password,
        pool_id=user_pool_id,
        client_id=client_id,
        client_secret=client_secret,
        client=conn,
    )
    auth_params = aws_srp.get_auth_params()

    result = conn.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters=auth_params,
    )

    challenge_response = aws_srp.process_challenge(result["ChallengeParameters"], auth_params)
    result = conn.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName=result["ChallengeName"],
        ChallengeResponses=challenge_response,
    )

    refresh_token = result["AuthenticationResult"]["RefreshToken"]

    # add mfa token
    secret_code = None
    if with_mfa:
        resp = conn.associate_software_token(
            AccessToken=result["AuthenticationResult"]["AccessToken"]
        )
        secret_code = resp["SecretCode"]
        totp = pyotp.TOTP(secret_code)
        user_code = totp.now()

        resp = conn.verify_software_token(
            AccessToken=result["AuthenticationResult"]["AccessToken"],
            UserCode=user_code,
        )
        assert resp["Status"] == "SUCCESS"

        conn.set_user_mfa_preference(
            AccessToken=result["AuthenticationResult"]["AccessToken"],
            SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
        )

    result = conn.initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN",
        AuthParameters={"SECRET_HASH": secret_hash, "REFRESH_TOKEN": refresh_token},
    )

    assert result["AuthenticationResult"]["IdToken"] is not None
    assert result["AuthenticationResult"]["AccessToken"] is not None
    assert result["AuthenticationResult"]["TokenType"] == "Bearer"

    # authenticate user once again this time with mfa token
    if with_mfa:
        result = conn.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_SRP_AUTH",
            AuthParameters={
                "USERNAME": username,
                "SRP_A": pycognito.aws_srp.long_to_hex(aws_srp.large_a_value),
                "SECRET_HASH": secret_hash,
            },
        )

        challenge_response = aws_srp.process_challenge(result["ChallengeParameters"], auth_params)
        result = conn.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName=result["ChallengeName"],
            ChallengeResponses=challenge_response,
        )
        assert result["ChallengeName"] == "SOFTWARE_TOKEN_MFA"

        # AWS needs a new user code, otherwise they will throw an exception
        #    ExpiredCodeException: Your software token has already been used once.
        new_user_code = totp.now()
        if allow_aws_request():
            while user_code == new_user_code:
                new_user_code = totp.now()
                time.sleep(1)
        result = conn.respond_to_auth_challenge(
            ClientId=client_id,
            Session=result["Session"],
            ChallengeName=result["ChallengeName"],
            ChallengeResponses={
                "SOFTWARE_TOKEN_MFA_CODE": new_user_code,
                "USERNAME": username,
                "SECRET_HASH": auth_params["SECRET_HASH"],
            },
        )

    return {
        "user_pool_id": user_pool_id,
        "client_id": client_id,
        "client_secret": client_secret,
        "secret_hash": secret_hash,
        "secret_code": secret_code,
        "id_token": result["AuthenticationResult"]["IdToken"],
        "access_token": result["AuthenticationResult"]["AccessToken"],
        "refresh_token": refresh_token,
        "username": username,
        "password": password,
        "additional_fields": {user_attribute_name: user_attribute_value},
    }


@cognitoidp_aws_verified(generate_secret=True, with_mfa="ON")
@mock.patch.dict(os.environ, {"MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP": "true"})
def test_user_authentication_flow_mfa_on(user_pool=None, user_pool_client=None):
    conn = boto3.client("cognito-idp", "us-west-2")

    username = str(uuid.uuid4())
    password = "P2$Sword"

    user_pool_id = user_pool["UserPool"]["Id"]
    client_id = user_pool_client["UserPoolClient"]["ClientId"]
    client_secret = user_pool_client["UserPoolClient"]["ClientSecret"]

    secret_hash = pycognito.aws_srp.AWSSRP.get_secret_hash(
        username=username, client_id=client_id, client_secret=client_secret
    )
    conn.sign_up(ClientId=client_id, Username=username, Password=password, SecretHash=secret_hash)

    client_secret = conn.describe_user_pool_client(UserPoolId=user_pool_id, ClientId=client_id)[
        "UserPoolClient"
    ]["ClientSecret"]

    conn.admin_confirm_sign_up(UserPoolId=user_pool_id, Username=username)

    aws_srp = pycognito.aws_srp.AWSSRP(
        username=username,
        password=password,
        pool_id=user_pool_id,
        client_id=client_id,
        client_secret=client_secret,
        client=conn,
    )
    auth_params = aws_srp.get_auth_params()

    result = conn.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters=auth_params,
    )

    challenge_response = aws_srp.process_challenge(result["ChallengeParameters"], auth_params)
    result = conn.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName=result["ChallengeName"],
        ChallengeResponses=challenge_response,
    )
    assert result["ChallengeName"] == "MFA_SETUP"

    # add mfa token
    resp = conn.associate_software_token(Session=result["Session"])
    secret_code = resp["SecretCode"]
    totp = pyotp.TOTP(secret_code)
    user_code = totp.now()

    resp = conn.verify_software_token(Session=resp["Session"], UserCode=user_code)
    assert resp["Status"] == "SUCCESS"

    # authenticate user once again
    result = conn.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={
            "USERNAME": username,
            "SRP_A": pycognito.aws_srp.long_to_hex(aws_srp.large_a_value),
            "SECRET_HASH": secret_hash,
        },
    )

    challenge_response = aws_srp.process_challenge(result["ChallengeParameters"], auth_params)
    result = conn.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName=result["ChallengeName"],
        ChallengeResponses=challenge_response,
    )
    assert result["ChallengeName"] == "SOFTWARE_TOKEN_MFA"

    # AWS needs a new user code, otherwise they will throw an exception
    #    ExpiredCodeException: Your software token has already been used once.
    new_user_code = totp.now()
    if allow_aws_request():
        while user_code == new_user_code:
            new_user_code = totp.now()
            time.sleep(1)
    result = conn.respond_to_auth_challenge(
        ClientId=client_id,
        Session=result["Session"],
        ChallengeName=result["ChallengeName"],
        ChallengeResponses={
            "SOFTWARE_TOKEN_MFA_CODE": new_user_code,
            "USERNAME": username,
            "SECRET_HASH": auth_params["SECRET_HASH"],
        },
    )
    assert result["AuthenticationResult"]["AccessToken"]
    assert result["AuthenticationResult"]["IdToken"]
    assert result["AuthenticationResult"]["RefreshToken"]


@cognitoidp_aws_verified(generate_secret=True, with_mfa="OPTIONAL")
@mock.patch.dict(os.environ, {"MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP": "true"})
def test_user_authentication_flow_mfa_optional(user_pool=None, user_pool_client=None):
    conn = boto3.client("cognito-idp", "us-west-2")

    username = str(uuid.uuid4())
    password = "P2$Sword"

    user_pool_id = user_pool["UserPool"]["Id"]
    client_id = user_pool_client["UserPoolClient"]["ClientId"]
    client_secret = user_pool_client["UserPoolClient"]["ClientSecret"]

    secret_hash = pycognito.aws_srp.AWSSRP.get_secret_hash(
        username=username, client_id=client_id, client_secret=client_secret
    )
    conn.sign_up(ClientId=client_id, Username=username, Password=password, SecretHash=secret_hash)

    client_secret = conn.describe_user_pool_client(UserPoolId=user_pool_id, ClientId=client_id)[
        "UserPoolClient"
    ]["ClientSecret"]

    conn.admin_confirm_sign_up(UserPoolId=user_pool_id, Username=username)

    aws_srp = pycognito.aws_srp.AWSSRP(
        username=username,
        password=password,
        pool_id=user_pool_id,
        client_id=client_id,
        client_secret=client_secret,
        client=conn,
    )
    auth_params = aws_srp.get_auth_params()

    result = conn.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters=auth_params,
    )

    challenge_response = aws_srp.process_challenge(result["ChallengeParameters"], auth_params)
    result = conn.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName=result["ChallengeName"],
        ChallengeResponses=challenge_response,
    )

    # add mfa token
    resp = conn.associate_software_token(AccessToken=result["AuthenticationResult"]["AccessToken"])
    secret_code = resp["SecretCode"]
    totp = pyotp.TOTP(secret_code)
    user_code = totp.now()

    resp = conn.verify_software_token(
        AccessToken=result["AuthenticationResult"]["AccessToken"],
        UserCode=user_code,
    )
    assert resp["Status"] == "SUCCESS"

    conn.set_user_mfa_preference(
        AccessToken=result["AuthenticationResult"]["AccessToken"],
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )

    # authenticate user once again
    result = conn.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={
            "USERNAME": username,
            "SRP_A": pycognito.aws_srp.long_to_hex(aws_srp.large_a_value),
            "SECRET_HASH": secret_hash,
        },
    )

    challenge_response = aws_srp.process_challenge(result["ChallengeParameters"], auth_params)
    result = conn.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName=result["ChallengeName"],
        ChallengeResponses=challenge_response,
    )
    assert result["ChallengeName"] == "SOFTWARE_TOKEN_MFA"

    # AWS needs a new user code, otherwise they will throw an exception
    #    ExpiredCodeException: Your software token has already been used once.
    new_user_code = totp.now()
    if allow_aws_request():
        while user_code == new_user_code:
            new_user_code = totp.now()
            time.sleep(1)
    result = conn.respond_to_auth_challenge(
        ClientId=client_id,
        Session=result["Session"],
        ChallengeName=result["ChallengeName"],
        ChallengeResponses={
            "SOFTWARE_TOKEN_MFA_CODE": new_user_code,
            "USERNAME": username,
            "SECRET_HASH": auth_params["SECRET_HASH"],
        },
    )
    assert result["AuthenticationResult"]["AccessToken"]
    assert result["AuthenticationResult"]["IdToken"]
    assert result["AuthenticationResult"]["RefreshToken"]


@cognitoidp_aws_verified(recovery=[{"Name": "verified_email", "Priority": 1}])
def test_forgot_password_with_email_delivery_details(user_pool=None, user_pool_client=None):
    conn = boto3.client("cognito-idp", "us-west-2")
    user_pool_id = user_pool["UserPool"]["Id"]
    client_id = user_pool_client["UserPoolClient"]["ClientId"]
    user_without_attributes = str(uuid.uuid4())

    conn.admin_create_user(
        UserPoolId=user_pool_id,
        Username=user_without_attributes,
        UserAttributes=[
            {"Name": "email", "Value": "test@test.com"},
            {"Name": "email_verified", "Value": "True"},
        ],
    )
    conn.admin_set_user_password(
        UserPoolId=user_pool_id,
        Username=user_without_attributes,
        Password="secretP2ss!",
        Permanent=True,
    )

    result = conn.forgot_password(ClientId=client_id, Username=user_without_attributes)
    assert result["CodeDeliveryDetails"]["Destination"] == "t***@t***"
    assert result["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert result["CodeDeliveryDetails"]["AttributeName"] == "email"


@cognitoidp_aws_verified()
def test_sign_up(user_pool=None, user_pool_client=None):
    conn = boto3.client("cognito-idp", "us-west-2")
    client_id = user_pool_client["UserPoolClient"]["ClientId"]
    username = str(uuid.uuid4())
    password = "P2$Sword"
    result = conn.sign_up(ClientId=client_id, Username=username, Password=password)
    assert result["UserConfirmed"] is False
    assert result["UserSub"] is not None
    assert "CodeDeliveryDetails" not in result


@cognitoidp_aws_verified(recovery=[{"Name": "verified_email", "Priority": 1}])
def test_sign_up_with_unverified_email(user_pool=None, user_pool_client=None):
    conn = boto3.client("cognito-idp", "us-west-2")
    client_id = user_pool_client["UserPoolClient"]["ClientId"]
    username = str(uuid.uuid4())
    password = "P2$Sword"
    result = conn.sign_up(
        ClientId=client_id,
        Username=username,
        Password=password,
        UserAttributes=[{"Name": "email", "Value": "test@test.com"}],
    )
    assert result["UserConfirmed"] is False
    assert result["UserSub"] is not None
    assert "CodeDeliveryDetails" not in result


@cognitoidp_aws_verified(
    recovery=[{"Name": "verified_email", "Priority": 1}], verified_attributes=["email"]
)
def test_sign_up_with_verified_email(user_pool=None, user_pool_client=None):
    conn = boto3.client("cognito-idp", "us-west-2")
    client_id = user_pool_client["UserPoolClient"]["ClientId"]
    username = str(uuid.uuid4())
    password = "P2$Sword"
    result = conn.sign_up(
        ClientId=client_id,
        Username=username,
        Password=password,
        UserAttributes=[{"Name": "email", "Value": "test@test.com"}],
    )
    assert result["UserConfirmed"] is False
    assert result["UserSub"] is not None
    assert result["CodeDeliveryDetails"] == {
        "Destination": "t***@t***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }


@cognitoidp_aws_verified(
    recovery=[{"Name": "verified_email", "Priority": 1}], verified_attributes=["email"]
)
def test_sign_up_with_verified_but_not_supplied_email(user_pool=None, user_pool_client=None):
    conn = boto3.client("cognito-idp", "us-west-2")
    client_id = user_pool_client["UserPoolClient"]["ClientId"]
    username = str(uuid.uuid4())
    password = "P2$Sword"
    result = conn.sign_up(ClientId=client_id, Username=username, Password=password)
    assert result["UserConfirmed"] is False
    assert result["UserSub"] is not None
    assert "CodeDeliveryDetails" not in result


@cognitoidp_aws_verified(generate_secret=True)
def test_initiate_auth_REFRESH_TOKEN(user_pool=None, user_pool_client=None):
    conn = boto3.client("cognito-idp", "us-west-2")
    result = user_authentication_flow(
        conn, user_pool=user_pool, user_pool_client=user_pool_client, with_mfa=False
    )
    auth_result = conn.initiate_auth(
        ClientId=result["client_id"],
        AuthFlow="REFRESH_TOKEN",
        AuthParameters={
            "REFRESH_TOKEN": result["refresh_token"],
            "SECRET_HASH": result["secret_hash"],
        },
    )["AuthenticationResult"]
    access_token = auth_result["AccessToken"]
    id_token = auth_result["IdToken"]

    # Validate Access Token
    access_payload = get_jwt_payload(access_token)
    assert access_payload.claims["username"] == result["username"]
    assert access_payload.claims["client_id"] == result["client_id"]

    # Validate ID Token
    id_payload = get_jwt_payload(id_token)
    assert id_payload.claims["sub"] == access_payload.claims["sub"]
    assert id_payload.claims["cognito:username"] == result["username"]
    assert id_payload.claims["aud"] == result["client_id"]


def get_jwt_payload(access_token):
    old_validate_compact = jws.validate_compact

    def new_validate_compact(*args, **kwargs):
        return True

    jws.validate_compact = new_validate_compact
    try:
        payload = jwt.decode(access_token, key=None)
    finally:
        jws.validate_compact = old_validate_compact
    return payload


@cognitoidp_aws_verified(generate_secret=True, explicit_auth_flows=["USER_PASSWORD_AUTH"])
def test_initiate_auth_USER_PASSWORD_AUTH(user_pool=None, user_pool_client=None):
    conn = boto3.client("cognito-idp", "us-west-2")

    result = user_authentication_flow(
        conn, user_pool=user_pool, user_pool_client=user_pool_client, with_mfa=False
    )

    user_pool_id = result["user_pool_id"]
    client_id = result["client_id"]
    username = result["username"]
    password = result["password"]
    secret_hash = result["secret_hash"]

    # user_authentication_flow enables software token mfa so disable it
    conn.admin_set_user_mfa_preference(
        Username=username,
        UserPoolId=user_pool_id,
        SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False},
    )

    # ensure no mfa settings are set so no challenge is returned on initiate_auth
    # Moto returns empty values - AWS returs no values
    result = conn.admin_get_user(UserPoolId=user_pool_id, Username=username)
    assert len(result.get("UserMFASettingList", [])) == 0
    assert result.get("PreferredMfaSetting", "") == ""

    auth_result = conn.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": username,
            "PASSWORD": password,
            "SECRET_HASH": secret_hash,
        },
    )["AuthenticationResult"]

    assert auth_result["RefreshToken"] is not None
    assert auth_result["TokenType"] == "Bearer"

    # Validate Access Token
    access_payload = get_jwt_payload(auth_result["AccessToken"])
    assert access_payload.claims["username"] == username
    assert access_payload.claims["client_id"] == client_id
    assert "email" not in access_payload.claims

    # Validate ID Token
    id_payload = get_jwt_payload(auth_result["IdToken"])
    assert id_payload.claims["sub"] == access_payload.claims["sub"]
    assert id_payload.claims["cognito:username"] == username
    assert id_payload.claims["aud"] == client_id
    assert "email" not in id_payload.claims


@cognitoidp_aws_verified(
    generate_secret=True,
    explicit_auth_flows=["USER_PASSWORD_AUTH"],
    username_attributes=["email"],
)
def test_initiate_auth_USER_PASSWORD_AUTH_with_email(user_pool=None, user_pool_client=None):
    conn = boto3.client("cognito-idp", "us-west-2")

    username = "test@moto.com"
    password = "SuperS3cret!"
    client_id = user_pool_client["UserPoolClient"]["ClientId"]
    client_secret = user_pool_client["UserPoolClient"]["ClientSecret"]
    user_pool_id = user_pool["UserPool"]["Id"]

    secret_hash = pycognito.aws_srp.AWSSRP.get_secret_hash(
        username=username, client_id=client_id, client_secret=client_secret
    )
    conn.sign_up(ClientId=client_id, Username=username, Password=password, SecretHash=secret_hash)

    client_secret = conn.describe_user_pool_client(UserPoolId=user_pool_id, ClientId=client_id)[
        "UserPoolClient"
    ]["ClientSecret"]

    conn.admin_confirm_sign_up(UserPoolId=user_pool_id, Username=username)
    auth_result = conn.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": username,
            "PASSWORD": password,
            "SECRET_HASH": secret_hash,
        },
    )["AuthenticationResult"]

    # Validate Access Token
    access_payload = get_jwt_payload(auth_result["AccessToken"])
    assert access_payload.claims["username"] == access_payload.claims["sub"]
    assert access_payload.claims["client_id"] == client_id
    assert "email" not in access_payload.claims

    # Validate ID Token
    id_payload = get_jwt_payload(auth_result["IdToken"])
    assert id_payload.claims["sub"] == access_payload.claims["sub"]
    assert id_payload.claims["cognito:username"] == id_payload.claims["sub"]
    assert id_payload.claims["aud"] == client_id
    assert id_payload.claims["email"] == username


@cognitoidp_aws_verified(explicit_auth_flows=["USER_PASSWORD_AUTH"], with_mfa="ON")
@mock.patch.dict(os.environ, {"MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP": "true"})
def test_initiate_mfa_auth_USER_PASSWORD_AUTH_with_FORCE_CHANGE_PASSWORD_status(
    user_pool=None, user_pool_client=None
):
    # Test flow:
    # 1. Create user with FORCE_CHANGE_PASSWORD status
    # 2. Configure MFA
    # 3. Login with temporary password
    # 4. Check that the right challenge is received
    # 5. Respond to challenge with new password
    # 6. Check that the MFA challenge is received
    # 7. Return the MFA challenge
    # 8. Check that the access tokens are received
    # 9. Login again

    client = boto3.client("cognito-idp", "us-west-2")
    username = str(uuid.uuid4())

    user_pool_id = user_pool["UserPool"]["Id"]
    client_id = user_pool_client["UserPoolClient"]["ClientId"]

    # Create user in status FORCE_CHANGE_PASSWORD
    temporary_password = "P2$Sword"
    client.admin_create_user(
        UserPoolId=user_pool_id, Username=username, TemporaryPassword=temporary_password
    )

    result = client.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": temporary_password},
    )

    assert result["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert result.get("AuthenticationResult") is None

    new_password = "P2$Sword2"
    result = client.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=result["Session"],
        ChallengeResponses={
            "NEW_PASSWORD": new_password,
            "USERNAME": username,
        },
    )
    assert result["ChallengeName"] == "MFA_SETUP"
    assert result["Session"]

    assoc_response = client.associate_software_token(Session=result["Session"])

    secret_code = assoc_response["SecretCode"]
    totp = pyotp.TOTP(secret_code)
    user_code = totp.now()

    verify_response = client.verify_software_token(
        Session=assoc_response["Session"], UserCode=user_code
    )
    assert verify_response["Status"] == "SUCCESS"

    new_user_code = totp.now()
    if allow_aws_request():
        while user_code == new_user_code:
            new_user_code = totp.now()
            time.sleep(1)
    result = client.respond_to_auth_challenge(
        ClientId=client_id,
        Session=verify_response["Session"],
        ChallengeName=result["ChallengeName"],
        ChallengeResponses={
            "SOFTWARE_TOKEN_MFA_CODE": new_user_code,
            "USERNAME": username,
        },
    )
    assert result["ChallengeParameters"] == {}
    assert result["AuthenticationResult"]["AccessToken"]
    assert result["AuthenticationResult"]["RefreshToken"]
    assert result["AuthenticationResult"]["IdToken"]

    result = client.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": new_password},
    )
    assert result["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    third_user_code = totp.now()
    if allow_aws_request():
        while third_user_code == new_user_code:
            third_user_code = totp.now()
            time.sleep(1)
    result = client.respond_to_auth_challenge(
        ClientId=client_id,
        Session=result["Session"],
        ChallengeName=result["ChallengeName"],
        ChallengeResponses={
            "SOFTWARE_TOKEN_MFA_CODE": third_user_code,
            "USERNAME": username,
        },
    )
    assert result["ChallengeParameters"] == {}
    assert result["AuthenticationResult"]["AccessToken"]
    assert result["AuthenticationResult"]["RefreshToken"]
    assert result["AuthenticationResult"]["IdToken"]
