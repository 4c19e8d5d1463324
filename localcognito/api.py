"""The Cognito JSON API (POST / with X-Amz-Target), as boto3 speaks it.

Operations whose behaviour moto lacks or gets wrong for the portal are handled here; every
other operation is passed to moto's own `CognitoIdpResponse`.
"""

from __future__ import annotations

import io
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from moto.cognitoidp.models import CognitoIdpUser, UserStatus
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.exceptions import ServiceException, _RESTError
from moto.core.request import Request as MotoRequest
from werkzeug.wrappers import Request, Response

from .api_mfa import MFA_HANDLERS
from .api_signin import SIGN_IN_HANDLERS
from .codes import CognitoError, mask_phone
from .quotas import THROTTLED_ERROR, THROTTLED_MESSAGE, THROTTLED_STATUS
from .state import StandIn, mfa_options, set_mfa_options
from .tokens import ADMIN_SCOPE, LocalUserPool
from .validation import missing_required_parameters, mistyped_parameter, null_message

logger = logging.getLogger(__name__)
SMS_OPTION = {"DeliveryMedium": "SMS", "AttributeName": "phone_number"}
TARGET_PREFIX = "AWSCognitoIdentityProviderService."
E164 = re.compile(r"^\+[1-9]\d{4,14}$")
Handler = Callable[[StandIn, dict[str, Any]], dict[str, Any]]


def handle(state: StandIn, request: Request) -> Response:
    """Answer one API call; like Cognito, every answer carries a request id."""
    response = _handle(state, request)
    if "x-amzn-RequestId" not in response.headers:
        response.headers["x-amzn-RequestId"] = str(uuid.uuid4())
    return response


def _handle(state: StandIn, request: Request) -> Response:
    target = request.headers.get("X-Amz-Target", "")
    if not target.startswith(TARGET_PREFIX):
        return _error_response("UnknownOperationException", "Missing or unknown X-Amz-Target", 400)
    operation = target[len(TARGET_PREFIX) :]
    state.stats.count("api", operation)
    if not state.quotas.admit_operation(operation):
        return _error_response(THROTTLED_ERROR, THROTTLED_MESSAGE, THROTTLED_STATUS)
    outcome = state.faults.take(operation)
    if outcome.latency_ms:
        time.sleep(outcome.latency_ms / 1000)
    if outcome.error:
        return _error_response(outcome.error, outcome.message, outcome.status)
    try:
        params = json.loads(request.get_data() or b"{}")
    except ValueError:
        return _error_response("SerializationException", "Malformed JSON body", 400)
    mistyped = mistyped_parameter(operation, params)
    if mistyped:
        return _error_response("SerializationException", mistyped, 400)
    handler = HANDLERS.get(operation)
    try:
        with state.lock:
            if handler is None:
                response = _delegate_to_moto(state, request)
                state.adopt_new_pools()
                return response
            result = handler(state, params)
    except (_RESTError, CognitoError) as exc:
        return _error_response(exc.error_type, exc.message, int(exc.code))
    except ServiceException as exc:
        return _error_response(str(exc.code), exc.message, 400)
    return _json_response(result)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, UserStatus):
        return value.value
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _json_response(body: dict[str, Any]) -> Response:
    return Response(
        json.dumps(body, default=_json_default),
        200,
        content_type="application/x-amz-json-1.1",
    )


def _error_response(code: str, message: str, status: int) -> Response:
    return Response(
        json.dumps({"__type": code, "message": message}),
        status,
        headers={"X-Amzn-ErrorType": code},
        content_type="application/x-amz-json-1.1",
    )


def _delegate_to_moto(state: StandIn, request: Request) -> Response:
    """Hand the call to moto, on a fresh copy of the body.

    Our own handling has already read the request's body stream, so moto must get a new one:
    on the spent stream it would wait for ``Content-Length`` bytes that never come.
    """
    body = request.get_data()
    environ = dict(request.environ)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ["HTTP_X_MOTO_ACCOUNT_ID"] = state.account_id
    environ["HTTP_USER_AGENT"] = f"local-cognito region/{state.region}"
    environ.pop("HTTP_AUTHORIZATION", None)
    operation = request.headers["X-Amz-Target"].split(".")[-1]
    missing = missing_required_parameters(operation, json.loads(body or b"{}"))
    if missing:
        return _error_response("InvalidParameterException", null_message(missing), 400)
    moto_request = MotoRequest(environ)
    moto_request.get_data()
    try:
        status, headers, body = CognitoIdpResponse.dispatch(moto_request)
    except NotImplementedError:
        return _error_response(
            "UnsupportedOperationException", f"{operation} is not supported by local-cognito", 400
        )
    except (_RESTError, CognitoError, ServiceException):
        raise
    except Exception as exc:
        # moto trusts its input (e.g. a pool id it does not know raises KeyError); answer as
        # Cognito answers a failure of its own rather than with a page boto3 cannot read.
        logger.exception("moto failed on %s", operation)
        return _error_response(
            "InternalErrorException", f"local-cognito (moto) failed: {type(exc).__name__}", 500
        )
    headers = {k: str(v) for k, v in dict(headers).items() if k.lower() != "status"}
    return Response(body, int(status), headers=headers)


def _token_owner(state: StandIn, params: dict[str, Any]) -> tuple[LocalUserPool, CognitoIdpUser]:
    return state.token_owner(params.get("AccessToken"), ADMIN_SCOPE)


def _user_for_token(state: StandIn, params: dict[str, Any]) -> CognitoIdpUser:
    return _token_owner(state, params)[1]


def get_user(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    user = _user_for_token(state, params)
    return {"Username": user.username, "UserAttributes": user.attributes, **mfa_settings(user)}


def admin_get_user(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    """moto's answer, with the MFA fields as `GetUser` gives them (moto has no MFAOptions)."""
    user = _user_in_pool(state, params)
    body = user.to_json(extended=True, attributes_key="UserAttributes")
    for name in ("MFAOptions", "UserMFASettingList", "PreferredMfaSetting"):
        body.pop(name, None)
    return {**body, **mfa_settings(user)}


def mfa_settings(user: CognitoIdpUser) -> dict[str, Any]:
    """The MFA fields of GetUser / AdminGetUser; like Cognito, empty ones are left out.

    SMS turned on by SetUserMFAPreference shows in the legacy MFAOptions too (docs/stand-in.md).
    """
    settings: dict[str, Any] = {}
    if mfa_options(user) or user.sms_mfa_enabled:
        settings["MFAOptions"] = mfa_options(user) or [SMS_OPTION]
    enabled = user.to_json(extended=True)["UserMFASettingList"]
    if enabled:
        settings["UserMFASettingList"] = enabled
    if user.preferred_mfa_setting:
        settings["PreferredMfaSetting"] = user.preferred_mfa_setting
    return settings


def set_user_settings(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    _apply_mfa_options(_user_for_token(state, params), params.get("MFAOptions"))
    return {}


def admin_set_user_settings(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    _apply_mfa_options(_user_in_pool(state, params), params.get("MFAOptions"))
    return {}


def _user_in_pool(state: StandIn, params: dict[str, Any]) -> CognitoIdpUser:
    pool = state.any_pool(params.get("UserPoolId"))
    if pool is None:
        raise CognitoError(
            "ResourceNotFoundException", f"User pool {params.get('UserPoolId')} does not exist."
        )
    user = pool._get_user(params.get("Username") or "")
    if user is None:
        raise CognitoError("UserNotFoundException", "User does not exist.")
    return user


def _apply_mfa_options(user: CognitoIdpUser, options: Any) -> None:
    """What SetUserSettings / AdminSetUserSettings do: SMS to phone_number, or nothing."""
    if not isinstance(options, list):
        raise CognitoError("InvalidParameterException", "MFAOptions is required.")
    for option in options:
        if option.get("DeliveryMedium") != "SMS":
            raise CognitoError(
                "InvalidParameterException",
                "Only SMS is supported as the delivery medium for MFA.",
            )
        if option.get("AttributeName") != "phone_number":
            raise CognitoError(
                "InvalidParameterException",
                "Only phone_number is supported as the attribute name for SMS MFA.",
            )
    if options and "phone_number" not in user.attribute_lookup:
        raise CognitoError(
            "InvalidParameterException", "User does not have delivery config set to turn on SMS_MFA"
        )
    set_mfa_options(user, [dict(SMS_OPTION)] if options else [])


def _send_attribute_code(state: StandIn, user: CognitoIdpUser, attribute: str) -> dict[str, str]:
    value = user.attribute_lookup.get(attribute)
    if not value or attribute not in ("phone_number", "email"):
        raise CognitoError(
            "InvalidParameterException", f"User does not have a {attribute} to verify."
        )
    code = state.attribute_codes.issue(user.username, attribute)
    medium = "SMS" if attribute == "phone_number" else "EMAIL"
    state.outbox.send(
        to=value, code=code, purpose=f"verify_{attribute}", username=user.username, medium=medium
    )
    if medium == "SMS":
        destination = mask_phone(value)
    else:
        local, _, domain = value.partition("@")
        destination = f"{local[:1]}***@{domain[:1]}***"
    return {"Destination": destination, "DeliveryMedium": medium, "AttributeName": attribute}


def update_user_attributes(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    user = _user_for_token(state, params)
    attributes = {a["Name"]: a.get("Value", "") for a in params.get("UserAttributes") or []}
    phone = attributes.get("phone_number")
    if phone is not None and not E164.match(phone):
        raise CognitoError("InvalidParameterException", "Invalid phone number format.")
    for name in ("sub", "phone_number_verified", "email_verified"):
        if name in attributes:
            raise CognitoError(
                "NotAuthorizedException",
                f"A client attempted to write unauthorized attribute {name}",
            )
    changed = [
        name
        for name in ("phone_number", "email")
        if name in attributes and attributes[name] != user.attribute_lookup.get(name)
    ]
    updates = [{"Name": k, "Value": v} for k, v in attributes.items()]
    updates += [{"Name": f"{name}_verified", "Value": "false"} for name in changed]
    user.update_attributes(updates)
    details = [_send_attribute_code(state, user, name) for name in changed]
    return {"CodeDeliveryDetailsList": details} if details else {}


def get_user_attribute_verification_code(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    user = _user_for_token(state, params)
    attribute = params.get("AttributeName", "")
    if attribute not in ("phone_number", "email"):
        raise CognitoError("InvalidParameterException", f"Invalid attribute name: {attribute}")
    return {"CodeDeliveryDetails": _send_attribute_code(state, user, attribute)}


def verify_user_attribute(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    user = _user_for_token(state, params)
    attribute = params.get("AttributeName", "")
    if attribute not in ("phone_number", "email"):
        raise CognitoError("InvalidParameterException", f"Invalid attribute name: {attribute}")
    state.attribute_codes.verify(user.username, attribute, str(params.get("Code", "")))
    user.update_attributes([{"Name": f"{attribute}_verified", "Value": "true"}])
    return {}


def global_sign_out(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    pool, user = _token_owner(state, params)
    pool.sign_out(user.username)
    return {}


def change_password(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    _user_for_token(state, params)
    state.backend.change_password(
        params["AccessToken"],
        params.get("PreviousPassword", ""),
        params.get("ProposedPassword", ""),
    )
    return {}


def revoke_token(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    client = state.client(params.get("ClientId"))
    if client is None:
        raise CognitoError("NotAuthorizedException", "Invalid client id.")
    if client.generate_secret and params.get("ClientSecret") != client.secret:
        raise CognitoError("NotAuthorizedException", "Client secret is invalid.")
    origin_jti = state.pool.family_by_refresh_token.get(params.get("Token", ""))
    if origin_jti is not None:
        if state.pool.families[origin_jti].client_id != client.id:
            raise CognitoError("UnauthorizedException", "Token was not issued to this client.")
        state.pool.revoke_family(origin_jti)
    return {}


HANDLERS: dict[str, Handler] = {
    "GetUser": get_user,
    "AdminGetUser": admin_get_user,
    "SetUserSettings": set_user_settings,
    "AdminSetUserSettings": admin_set_user_settings,
    "UpdateUserAttributes": update_user_attributes,
    "GetUserAttributeVerificationCode": get_user_attribute_verification_code,
    "VerifyUserAttribute": verify_user_attribute,
    "GlobalSignOut": global_sign_out,
    "ChangePassword": change_password,
    "RevokeToken": revoke_token,
    **MFA_HANDLERS,
    **SIGN_IN_HANDLERS,
}
