from tests.support.unit import ACCESS_TOKEN, csrf_token, get_user_response


def test_turn_on_through_the_portal(signed_in, stubber):
    stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    page = signed_in.get("/settings/mfa")
    assert page.status_code == 200
    token = csrf_token(page.text)
    stubber.add_response(
        "set_user_settings",
        {},
        {
            "AccessToken": ACCESS_TOKEN,
            "MFAOptions": [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}],
        },
    )
    response = signed_in.post("/settings/mfa", data={"csrf_token": token, "enable": "on"})
    assert response.status_code == 303
    stubber.add_response(
        "get_user", get_user_response(legacy_sms=True), {"AccessToken": ACCESS_TOKEN}
    )
    page = signed_in.get("/settings/mfa")
    assert "SMS MFA: On" in page.text
    assert "SMS MFA is now on" in page.text
