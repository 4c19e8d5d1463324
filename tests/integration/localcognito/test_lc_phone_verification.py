"""Issue 6: changing and verifying the phone number through the API."""

from __future__ import annotations

import pytest
import requests
from botocore.exceptions import ClientError
from lc_helpers import outbox

NEW_PHONE = "+12025550177"


def attributes(idp, token):
    return {a["Name"]: a["Value"] for a in idp.get_user(AccessToken=token)["UserAttributes"]}


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_update_phone_sends_code_and_unverifies(cognito, idp, access_token):
    token = access_token("alice")
    response = idp.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "phone_number", "Value": NEW_PHONE}]
    )
    [details] = response["CodeDeliveryDetailsList"]
    assert details["DeliveryMedium"] == "SMS"
    assert details["AttributeName"] == "phone_number"
    assert details["Destination"].endswith("0177")
    attrs = attributes(idp, token)
    assert attrs["phone_number"] == NEW_PHONE
    assert attrs["phone_number_verified"] == "false"
    [message] = outbox(cognito, to=NEW_PHONE)
    assert message["purpose"] == "verify_phone_number"
    assert message["username"] == "alice"

    idp.verify_user_attribute(AccessToken=token, AttributeName="phone_number", Code=message["code"])
    assert attributes(idp, token)["phone_number_verified"] == "true"


def test_invalid_phone_format(idp, access_token):
    with pytest.raises(ClientError) as excinfo:
        idp.update_user_attributes(
            AccessToken=access_token("bob"),
            UserAttributes=[{"Name": "phone_number", "Value": "202-555-0100"}],
        )
    assert error_code(excinfo) == "InvalidParameterException"


def test_wrong_code_then_limit(cognito, idp, access_token):
    token = access_token("carol")
    idp.get_user_attribute_verification_code(AccessToken=token, AttributeName="phone_number")
    code = outbox(cognito, username="carol")[-1]["code"]
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(ClientError) as excinfo:
            idp.verify_user_attribute(AccessToken=token, AttributeName="phone_number", Code=wrong)
        assert error_code(excinfo) == "CodeMismatchException"
    with pytest.raises(ClientError) as excinfo:
        idp.verify_user_attribute(AccessToken=token, AttributeName="phone_number", Code=code)
    assert error_code(excinfo) == "LimitExceededException"
    assert excinfo.value.response["Error"]["Message"] == (
        "Attempt limit exceeded, please try after some time."
    )
    assert attributes(idp, token)["phone_number_verified"] == "false"


def test_fresh_code_invalidates_the_older_one(cognito, idp, access_token):
    token = access_token("carol")
    idp.get_user_attribute_verification_code(AccessToken=token, AttributeName="phone_number")
    older = outbox(cognito, username="carol")[-1]["code"]
    idp.get_user_attribute_verification_code(AccessToken=token, AttributeName="phone_number")
    newer = outbox(cognito, username="carol")[-1]["code"]
    if older != newer:
        with pytest.raises(ClientError) as excinfo:
            idp.verify_user_attribute(AccessToken=token, AttributeName="phone_number", Code=older)
        assert error_code(excinfo) == "ExpiredCodeException"
    idp.verify_user_attribute(AccessToken=token, AttributeName="phone_number", Code=newer)
    assert attributes(idp, token)["phone_number_verified"] == "true"


def test_code_older_than_a_day_is_expired(cognito, idp, access_token):
    token = access_token("carol")
    idp.get_user_attribute_verification_code(AccessToken=token, AttributeName="phone_number")
    code = outbox(cognito, username="carol")[-1]["code"]
    aged = requests.post(
        f"{cognito.url}/_local/codes/expire", json={"username": "carol"}, timeout=5
    )
    assert aged.json() == {"expired": 1}
    with pytest.raises(ClientError) as excinfo:
        idp.verify_user_attribute(AccessToken=token, AttributeName="phone_number", Code=code)
    assert error_code(excinfo) == "ExpiredCodeException"


def test_no_phone_means_no_code(idp, access_token):
    with pytest.raises(ClientError) as excinfo:
        idp.get_user_attribute_verification_code(
            AccessToken=access_token("bob"), AttributeName="phone_number"
        )
    assert error_code(excinfo) == "InvalidParameterException"


def test_bob_adds_a_phone_and_turns_on_sms_mfa(cognito, idp, access_token, sign_in):
    token = access_token("bob")
    idp.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "phone_number", "Value": NEW_PHONE}]
    )
    code = outbox(cognito, username="bob")[-1]["code"]
    idp.verify_user_attribute(AccessToken=token, AttributeName="phone_number", Code=code)
    idp.set_user_settings(
        AccessToken=token, MFAOptions=[{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    )
    assert sign_in("bob")["ChallengeName"] == "SMS_MFA"
