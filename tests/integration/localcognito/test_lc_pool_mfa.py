"""The pool's MFA mode and factors, and the challenges a sign-in meets, through the JSON API."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from lc_helpers import outbox, secret_hash

from localcognito import totp
from localcognito.seed import (
    SeedError,
    default_seed,
    load_seed_file,
    normalize_seed,
    with_pool_mfa,
)
from localcognito.server import LocalCognito

SMS = {"DeliveryMedium": "SMS", "AttributeName": "phone_number"}
SMS_CONFIG = {"SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"}}
RFC_6238_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of b"12345678901234567890"


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


def set_pool_mfa(admin_idp: Any, cognito: LocalCognito, mode: str, *, totp_on: bool = True):
    return admin_idp.set_user_pool_mfa_config(
        UserPoolId=cognito.pool_id,
        SmsMfaConfiguration=SMS_CONFIG,
        SoftwareTokenMfaConfiguration={"Enabled": totp_on},
        MfaConfiguration=mode,
    )


def respond(idp: Any, cognito: LocalCognito, challenge: dict[str, Any], **answers: str):
    username = challenge["ChallengeParameters"]["USER_ID_FOR_SRP"]
    return idp.respond_to_auth_challenge(
        ClientId=cognito.client_id,
        ChallengeName=challenge["ChallengeName"],
        Session=challenge["Session"],
        ChallengeResponses={
            "USERNAME": username,
            "SECRET_HASH": secret_hash(cognito, username),
            **answers,
        },
    )


def current_code(cognito: LocalCognito, username: str) -> str:
    response = requests.get(f"{cognito.url}/_local/totp", params={"username": username}, timeout=5)
    response.raise_for_status()
    return response.json()["code"]


def advance_clock(cognito: LocalCognito, seconds: int = totp.STEP_SECONDS) -> None:
    response = requests.post(
        f"{cognito.url}/_local/clock", json={"advance_seconds": seconds}, timeout=5
    )
    response.raise_for_status()


def add_authenticator(cognito: LocalCognito, idp: Any, token: str, *, preferred: bool) -> str:
    secret = idp.associate_software_token(AccessToken=token)["SecretCode"]
    code = totp.code_at(secret, _stand_in_now(cognito))
    assert idp.verify_software_token(AccessToken=token, UserCode=code)["Status"] == "SUCCESS"
    idp.set_user_mfa_preference(
        AccessToken=token,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": preferred},
    )
    advance_clock(cognito)
    return secret


def _stand_in_now(cognito: LocalCognito) -> float:
    assert cognito.state is not None
    return cognito.state.totp_clock.now()


def test_rfc_6238_test_vectors():
    assert totp.code_at(RFC_6238_SECRET, 59) == "287082"
    assert totp.code_at(RFC_6238_SECRET, 1111111109) == "081804"
    assert totp.code_at(RFC_6238_SECRET, 2000000000) == "279037"
    assert totp.matching_step(RFC_6238_SECRET, "287082", 59 + 30) == 1
    assert totp.matching_step(RFC_6238_SECRET, "287082", 59 + 60) is None


def test_default_pool_is_optional_with_both_factors(cognito, admin_idp):
    config = admin_idp.get_user_pool_mfa_config(UserPoolId=cognito.pool_id)
    assert config["MfaConfiguration"] == "OPTIONAL"
    assert config["SmsMfaConfiguration"]["SmsConfiguration"]["SnsCallerArn"]
    assert config["SoftwareTokenMfaConfiguration"] == {"Enabled": True}


def test_set_user_pool_mfa_config_round_trips(cognito, admin_idp):
    answer = set_pool_mfa(admin_idp, cognito, "ON", totp_on=False)
    assert answer["MfaConfiguration"] == "ON"
    config = admin_idp.get_user_pool_mfa_config(UserPoolId=cognito.pool_id)
    assert config["MfaConfiguration"] == "ON"
    assert config["SoftwareTokenMfaConfiguration"] == {"Enabled": False}


@pytest.mark.parametrize(
    "arguments",
    [
        {"MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": {"Enabled": False}},
        {"MfaConfiguration": "OPTIONAL"},
        {"MfaConfiguration": "SOMETIMES", "SoftwareTokenMfaConfiguration": {"Enabled": True}},
    ],
)
def test_set_user_pool_mfa_config_refuses_a_mode_without_factors(cognito, admin_idp, arguments):
    with pytest.raises(ClientError) as excinfo:
        admin_idp.set_user_pool_mfa_config(UserPoolId=cognito.pool_id, **arguments)
    assert error_code(excinfo) == "InvalidParameterException"


def test_off_pool_never_challenges(cognito, idp, admin_idp, access_token, sign_in):
    token = access_token("alice")
    idp.set_user_settings(AccessToken=token, MFAOptions=[SMS])
    add_authenticator(cognito, idp, token, preferred=True)
    admin_idp.set_user_pool_mfa_config(UserPoolId=cognito.pool_id, MfaConfiguration="OFF")
    assert "AuthenticationResult" in sign_in("alice")


def test_optional_pool_without_factors_signs_in_directly(sign_in):
    assert "AuthenticationResult" in sign_in("alice")
    assert "AuthenticationResult" in sign_in("bob")


def test_required_pool_texts_a_verified_phone_without_any_mfa_setting(
    cognito, idp, admin_idp, sign_in
):
    set_pool_mfa(admin_idp, cognito, "ON")
    challenge = sign_in("alice")
    assert challenge["ChallengeName"] == "SMS_MFA"
    code = outbox(cognito, username="alice")[-1]["code"]
    result = respond(idp, cognito, challenge, SMS_MFA_CODE=code)
    user = idp.get_user(AccessToken=result["AuthenticationResult"]["AccessToken"])
    assert user.get("UserMFASettingList", []) == []
    assert user.get("MFAOptions", []) == []


@pytest.mark.parametrize("username", ["bob", "carol"])
def test_required_pool_sets_up_an_authenticator_for_a_user_without_factor(
    cognito, idp, admin_idp, sign_in, username
):
    set_pool_mfa(admin_idp, cognito, "ON")
    challenge = sign_in(username)
    assert challenge["ChallengeName"] == "MFA_SETUP"
    can_set_up = json.loads(challenge["ChallengeParameters"]["MFAS_CAN_SETUP"])
    assert set(can_set_up) == {"SMS_MFA", "SOFTWARE_TOKEN_MFA"}

    associated = idp.associate_software_token(Session=challenge["Session"])
    code = totp.code_at(associated["SecretCode"], _stand_in_now(cognito))
    verified = idp.verify_software_token(Session=associated["Session"], UserCode=code)
    assert verified["Status"] == "SUCCESS"
    result = respond(
        idp, cognito, {**challenge, "Session": verified["Session"]}, SOFTWARE_TOKEN_MFA_CODE=code
    )
    token = result["AuthenticationResult"]["AccessToken"]
    assert idp.get_user(AccessToken=token).get("UserMFASettingList", []) == []

    advance_clock(cognito)
    again = sign_in(username)
    assert again["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    result = respond(idp, cognito, again, SOFTWARE_TOKEN_MFA_CODE=current_code(cognito, username))
    assert result["AuthenticationResult"]["AccessToken"]


def test_verified_app_stays_in_force_in_a_required_pool_when_turned_off(
    cognito, idp, admin_idp, access_token, sign_in
):
    token = access_token("bob")
    add_authenticator(cognito, idp, token, preferred=True)
    idp.set_user_mfa_preference(AccessToken=token, SoftwareTokenMfaSettings={"Enabled": False})
    assert "AuthenticationResult" in sign_in("bob")
    set_pool_mfa(admin_idp, cognito, "ON")
    assert sign_in("bob")["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_mfa_setup_cannot_be_skipped(cognito, idp, admin_idp, sign_in):
    set_pool_mfa(admin_idp, cognito, "ON")
    challenge = sign_in("bob")
    with pytest.raises(ClientError) as excinfo:
        respond(idp, cognito, challenge)
    assert error_code(excinfo) == "InvalidParameterException"


def test_authenticator_code_signs_in_once(cognito, idp, access_token, sign_in):
    add_authenticator(cognito, idp, access_token("alice"), preferred=True)
    challenge = sign_in("alice")
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    wrong = "000000" if current_code(cognito, "alice") != "000000" else "111111"
    with pytest.raises(ClientError) as excinfo:
        respond(idp, cognito, challenge, SOFTWARE_TOKEN_MFA_CODE=wrong)
    assert error_code(excinfo) == "CodeMismatchException"
    code = current_code(cognito, "alice")
    assert "AuthenticationResult" in respond(idp, cognito, challenge, SOFTWARE_TOKEN_MFA_CODE=code)

    reused = sign_in("alice")
    with pytest.raises(ClientError) as excinfo:
        respond(idp, cognito, reused, SOFTWARE_TOKEN_MFA_CODE=code)
    assert error_code(excinfo) == "ExpiredCodeException"
    advance_clock(cognito)
    fresh = current_code(cognito, "alice")
    assert "AuthenticationResult" in respond(idp, cognito, reused, SOFTWARE_TOKEN_MFA_CODE=fresh)


def test_two_factors_without_preference_ask_to_choose(cognito, idp, access_token, sign_in):
    token = access_token("alice")
    idp.set_user_settings(AccessToken=token, MFAOptions=[SMS])
    add_authenticator(cognito, idp, token, preferred=False)
    challenge = sign_in("alice")
    assert challenge["ChallengeName"] == "SELECT_MFA_TYPE"
    choices = json.loads(challenge["ChallengeParameters"]["MFAS_CAN_CHOOSE"])
    assert choices == ["SMS_MFA", "SOFTWARE_TOKEN_MFA"]

    chosen = respond(idp, cognito, challenge, ANSWER="SOFTWARE_TOKEN_MFA")
    assert chosen["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    code = current_code(cognito, "alice")
    assert "AuthenticationResult" in respond(idp, cognito, chosen, SOFTWARE_TOKEN_MFA_CODE=code)


def test_preferred_factor_is_asked_first(cognito, idp, access_token, sign_in):
    token = access_token("alice")
    add_authenticator(cognito, idp, token, preferred=False)
    idp.set_user_mfa_preference(
        AccessToken=token, SMSMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    assert sign_in("alice")["ChallengeName"] == "SMS_MFA"
    idp.set_user_mfa_preference(
        AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    assert sign_in("alice")["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_get_user_reports_both_kinds_of_setting(idp, access_token):
    token = access_token("alice")
    idp.set_user_mfa_preference(
        AccessToken=token, SMSMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    user = idp.get_user(AccessToken=token)
    assert user["UserMFASettingList"] == ["SMS_MFA"]
    assert user["PreferredMfaSetting"] == "SMS_MFA"
    assert user["MFAOptions"] == [SMS]

    idp.set_user_mfa_preference(AccessToken=token, SMSMfaSettings={"Enabled": False})
    idp.set_user_settings(AccessToken=token, MFAOptions=[SMS])
    user = idp.get_user(AccessToken=token)
    assert user["MFAOptions"] == [SMS]
    assert user.get("UserMFASettingList", []) == []
    assert user.get("PreferredMfaSetting", "") == ""


def test_wrong_code_does_not_verify_an_authenticator(cognito, idp, access_token):
    token = access_token("alice")
    secret = idp.associate_software_token(AccessToken=token)["SecretCode"]
    right = totp.code_at(secret, _stand_in_now(cognito))
    with pytest.raises(ClientError) as excinfo:
        idp.verify_software_token(AccessToken=token, UserCode=f"{(int(right) + 1) % 10**6:06d}")
    assert error_code(excinfo) == "EnableSoftwareTokenMFAException"
    with pytest.raises(ClientError) as excinfo:
        idp.set_user_mfa_preference(
            AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
        )
    assert error_code(excinfo) == "InvalidParameterException"


def test_sms_preference_needs_a_phone_number(idp, access_token):
    with pytest.raises(ClientError) as excinfo:
        idp.set_user_mfa_preference(
            AccessToken=access_token("bob"), SMSMfaSettings={"Enabled": True}
        )
    assert error_code(excinfo) == "InvalidParameterException"


def test_mfa_operations_check_the_access_token(cognito, idp, access_token):
    token = access_token("alice")
    requests.post(f"{cognito.url}/_local/tokens/expire", json={"username": "alice"}, timeout=5)
    calls = [
        lambda: idp.associate_software_token(AccessToken=token),
        lambda: idp.verify_software_token(AccessToken=token, UserCode="123456"),
        lambda: idp.set_user_mfa_preference(AccessToken=token, SMSMfaSettings={"Enabled": True}),
    ]
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert excinfo.value.response["Error"] == {
            "Code": "NotAuthorizedException",
            "Message": "Access Token has expired",
        }


def test_new_password_then_mfa_in_a_required_pool(cognito, idp, admin_idp, sign_in):
    set_pool_mfa(admin_idp, cognito, "ON")
    admin_idp.admin_set_user_password(
        UserPoolId=cognito.pool_id, Username="alice", Password="Temp-Passw0rd!", Permanent=False
    )
    challenge = sign_in("alice", "Temp-Passw0rd!")
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    after = respond(idp, cognito, challenge, NEW_PASSWORD="Alice-Passw0rd!2")
    assert after["ChallengeName"] == "SMS_MFA"


@pytest.mark.parametrize(
    ("mode", "configuration"),
    [("off", "OFF"), ("optional", "OPTIONAL"), ("required", "ON"), ("ON", "ON")],
)
def test_pool_mfa_modes_by_their_cli_names(mode, configuration):
    seed = normalize_seed(with_pool_mfa(default_seed(), mode))
    assert seed["user_pool"]["mfa_configuration"] == configuration


def test_pool_mfa_seed_errors_name_the_field():
    with pytest.raises(SeedError, match="pool MFA mode"):
        with_pool_mfa(default_seed(), "sometimes")
    no_factor = with_pool_mfa(default_seed(), "required", sms=False, software_token=False)
    with pytest.raises(SeedError, match="sms_mfa or software_token_mfa"):
        normalize_seed(no_factor)


def test_admin_sign_in_meets_the_same_challenges(cognito, admin_idp):
    set_pool_mfa(admin_idp, cognito, "ON")
    challenge = admin_idp.admin_initiate_auth(
        UserPoolId=cognito.pool_id,
        ClientId=cognito.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": "alice",
            "PASSWORD": "Alice-Passw0rd!",
            "SECRET_HASH": secret_hash(cognito, "alice"),
        },
    )
    assert challenge["ChallengeName"] == "SMS_MFA"
    result = admin_idp.admin_respond_to_auth_challenge(
        UserPoolId=cognito.pool_id,
        ClientId=cognito.client_id,
        ChallengeName="SMS_MFA",
        Session=challenge["Session"],
        ChallengeResponses={
            "USERNAME": "alice",
            "SMS_MFA_CODE": outbox(cognito, username="alice")[-1]["code"],
            "SECRET_HASH": secret_hash(cognito, "alice"),
        },
    )
    assert result["AuthenticationResult"]["AccessToken"]


def test_admin_get_user_reports_mfa_like_get_user(cognito, idp, admin_idp, access_token):
    token = access_token("alice")
    admin_idp.admin_set_user_settings(
        UserPoolId=cognito.pool_id, Username="alice", MFAOptions=[SMS]
    )
    add_authenticator(cognito, idp, token, preferred=True)
    as_user = idp.get_user(AccessToken=token)
    as_admin = admin_idp.admin_get_user(UserPoolId=cognito.pool_id, Username="alice")
    for field in ("MFAOptions", "UserMFASettingList", "PreferredMfaSetting"):
        assert as_admin[field] == as_user[field]
    assert as_admin["MFAOptions"] == [SMS]
    assert as_admin["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert as_admin["UserStatus"] == "CONFIRMED"

    bob = admin_idp.admin_get_user(UserPoolId=cognito.pool_id, Username="bob")
    assert "MFAOptions" not in bob
    assert "UserMFASettingList" not in bob


def test_seed_file_sets_the_pool_mfa_mode(tmp_path):
    seed_file = tmp_path / "seed.toml"
    seed_file.write_text(
        'mfa_configuration = "required"\n'
        "strict_logout_params = true\n"
        "[user_pool]\n"
        "software_token_mfa = false\n"
    )
    pool = load_seed_file(seed_file)["user_pool"]
    assert pool["mfa_configuration"] == "ON"
    assert pool["strict_logout_params"] is True
    assert pool["software_token_mfa"] is False
    assert pool["sms_mfa"] is True
