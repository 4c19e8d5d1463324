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
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ServiceModel
from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPoolClient, UserStatus
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.cognitoidp.utils import check_secret_hash
from moto.core.exceptions import ServiceException, _RESTError
from moto.core.request import Request as MotoRequest
from werkzeug.wrappers import Request, Response

from .codes import CognitoError, PendingChallenge, mask_phone
from .mfa import (
    MFA_SETUP,
    SELECT_MFA_TYPE,
    SMS_MFA,
    SOFTWARE_TOKEN_MFA,
    check_pool_mfa_config,
    has_phone,
)
from .signin import (
    NEW_PASSWORD_REQUIRED,
    challenge_parameters,
    check_mfa_code,
    check_password,
    choose_factor,
    start_challenge,
)
from .state import StandIn, mfa_options, set_mfa_options
from .tokens import ADMIN_SCOPE, LocalUserPool

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
    outcome = state.faults.take(operation)
    if outcome.latency_ms:
        time.sleep(outcome.latency_ms / 1000)
    if outcome.error:
        return _error_response(outcome.error, outcome.message, outcome.status)
    try:
        params = json.loads(request.get_data() or b"{}")
    except ValueError:
        return _error_response("SerializationException", "Malformed JSON body", 400)
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
        return _error_response("InvalidParameterException", _null_message(missing), 400)
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


def missing_required_parameters(operation: str, params: Any) -> list[str]:
    """The top-level members the service model requires that ``params`` lacks.

    Cognito refuses such a call with a validation error before doing anything; moto assumes
    well-formed input and fails with a server error instead.
    """
    model = _service_model()
    if operation not in model.operation_names:
        return []
    shape = model.operation_model(operation).input_shape
    if shape is None:
        return []
    given = params if isinstance(params, dict) else {}
    return [name for name in shape.required_members if given.get(name) is None]


@cache
def _service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("cognito-idp")


def _null_message(missing: list[str]) -> str:
    details = "; ".join(
        f"Value null at '{name[:1].lower()}{name[1:]}' failed to satisfy constraint: "
        "Member must not be null"
        for name in missing
    )
    count = len(missing)
    return f"{count} validation error{'s' if count > 1 else ''} detected: {details}"


def _token_owner(state: StandIn, params: dict[str, Any]) -> tuple[LocalUserPool, CognitoIdpUser]:
    return state.token_owner(params.get("AccessToken"), ADMIN_SCOPE)


def _user_for_token(state: StandIn, params: dict[str, Any]) -> CognitoIdpUser:
    return _token_owner(state, params)[1]


def get_user(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    user = _user_for_token(state, params)
    body: dict[str, Any] = {"Username": user.username, "UserAttributes": user.attributes}
    if mfa_options(user) or user.sms_mfa_enabled:
        # SMS turned on by SetUserMFAPreference shows in the legacy field too (docs/stand-in.md).
        body["MFAOptions"] = mfa_options(user) or [SMS_OPTION]
    settings = user.to_json(extended=True)
    if settings["UserMFASettingList"]:
        body["UserMFASettingList"] = settings["UserMFASettingList"]
    if settings["PreferredMfaSetting"]:
        body["PreferredMfaSetting"] = settings["PreferredMfaSetting"]
    return body


def set_user_settings(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    user = _user_for_token(state, params)
    options = params.get("MFAOptions")
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
    normalized = [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}] if options else []
    set_mfa_options(user, normalized)
    return {}


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


def set_user_mfa_preference(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    pool, user = _token_owner(state, params)
    sms = params.get("SMSMfaSettings")
    if sms and sms.get("Enabled") and not has_phone(user):
        raise CognitoError(
            "InvalidParameterException", "User does not have delivery config set to turn on SMS_MFA"
        )
    state.backend.admin_set_user_mfa_preference(
        pool.id, user.username, params.get("SoftwareTokenMfaSettings"), sms
    )
    return {}


def associate_software_token(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    """A new authenticator secret, for a signed-in user (access token) or during MFA_SETUP."""
    session = params.get("Session")
    if params.get("AccessToken") or not session:
        user = _user_for_token(state, params)
        return {"SecretCode": state.totp_clock.associate(user)}
    challenge = state.challenges.get(session)
    if challenge.name != MFA_SETUP:
        raise CognitoError("NotAuthorizedException", "Invalid session for the user.")
    user = _challenge_user(state, challenge)
    secret = state.totp_clock.associate(user)
    return {"SecretCode": secret, "Session": state.challenges.renew(session)}


def verify_software_token(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    code = str(params.get("UserCode", ""))
    session = params.get("Session")
    if params.get("AccessToken") or not session:
        user = _user_for_token(state, params)
        state.totp_clock.verify_pending(user, code)
        return {"Status": "SUCCESS"}
    challenge = state.challenges.get(session)
    if challenge.name != MFA_SETUP:
        raise CognitoError("NotAuthorizedException", "Invalid session for the user.")
    user = _challenge_user(state, challenge)
    state.totp_clock.verify_pending(user, code)
    challenge.token_verified = True
    return {"Status": "SUCCESS", "Session": state.challenges.renew(session)}


def set_user_pool_mfa_config(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    pool = _pool_by_id(state, params.get("UserPoolId"))
    sms = params.get("SmsMfaConfiguration")
    token = params.get("SoftwareTokenMfaConfiguration")
    mode = params.get("MfaConfiguration", pool.mfa_config)
    check_pool_mfa_config(mode, bool(sms), bool((token or {}).get("Enabled")))
    state.backend.set_user_pool_mfa_config(pool.id, sms, token, mode)
    return get_user_pool_mfa_config(state, params)


def get_user_pool_mfa_config(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    pool = _pool_by_id(state, params.get("UserPoolId"))
    config = state.backend.get_user_pool_mfa_config(pool.id)
    return {key: value for key, value in config.items() if value is not None}


def _pool_by_id(state: StandIn, pool_id: str | None) -> LocalUserPool:
    pool = state.any_pool(pool_id)
    if pool is None:
        raise CognitoError("ResourceNotFoundException", f"User pool {pool_id} does not exist.")
    return pool


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


def _check_secret_hash(client: Any, username: str, secret_hash: str | None) -> None:
    if client.generate_secret and not check_secret_hash(
        client.secret, client.id, username, secret_hash
    ):
        raise CognitoError(
            "NotAuthorizedException", f"Unable to verify secret hash for client {client.id}"
        )


def _sign_in_client(
    state: StandIn, params: dict[str, Any]
) -> tuple[LocalUserPool, CognitoIdpUserPoolClient]:
    """The app client named by ``ClientId`` and its pool, as Cognito's sign-in looks them up."""
    found = state.client_anywhere(params.get("ClientId"))
    if found is None:
        raise CognitoError(
            "ResourceNotFoundException",
            f"User pool client {params.get('ClientId')} does not exist.",
        )
    return found


def initiate_auth(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    pool, client = _sign_in_client(state, params)
    auth_parameters = params.get("AuthParameters") or {}
    if params.get("AuthFlow") != "USER_PASSWORD_AUTH":
        return state.backend.initiate_auth(client.id, params.get("AuthFlow", ""), auth_parameters)
    username = auth_parameters.get("USERNAME", "")
    _check_secret_hash(client, username, auth_parameters.get("SECRET_HASH"))
    user = check_password(state, username, auth_parameters.get("PASSWORD", ""), pool)
    if user.status is UserStatus.FORCE_CHANGE_PASSWORD:
        return _challenge(state, pool, client, user, NEW_PASSWORD_REQUIRED)
    return _after_first_factor(state, pool, client, user)


def _after_first_factor(
    state: StandIn, pool: LocalUserPool, client: CognitoIdpUserPoolClient, user: CognitoIdpUser
) -> dict[str, Any]:
    name = state.next_challenge(user, pool)
    if name is None:
        return state.backend._log_user_in(pool, client, user.username)
    return _challenge(state, pool, client, user, name)


def _challenge(
    state: StandIn,
    pool: LocalUserPool,
    client: CognitoIdpUserPoolClient,
    user: CognitoIdpUser,
    name: str,
) -> dict[str, Any]:
    session, challenge = start_challenge(state, user, client.id, name)
    return {
        "ChallengeName": name,
        "Session": session,
        "ChallengeParameters": challenge_parameters(pool, user, challenge),
    }


def _challenge_user(state: StandIn, challenge: PendingChallenge) -> CognitoIdpUser:
    found = state.client_anywhere(challenge.client_id)
    user = found[0]._get_user(challenge.username) if found else None
    if user is None:
        raise CognitoError("NotAuthorizedException", "Invalid session for the user.")
    return user


def respond_to_auth_challenge(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    pool, client = _sign_in_client(state, params)
    responses = params.get("ChallengeResponses") or {}
    name = params.get("ChallengeName", "")
    session = params.get("Session", "")
    if name == "PASSWORD_VERIFIER":
        return _respond_password_verifier(state, pool, client, responses)
    respond = CHALLENGE_RESPONDERS.get(name)
    if respond is None:
        return state.backend.respond_to_auth_challenge(session, client.id, name, responses)
    challenge = state.challenges.get(session)
    if challenge.client_id != client.id:
        raise CognitoError("NotAuthorizedException", "Invalid session for the user.")
    user = _challenge_user(state, challenge)
    _check_secret_hash(
        client, responses.get("USERNAME", user.username), responses.get("SECRET_HASH")
    )
    return respond(state, pool, client, user, session, responses)


def _respond_password_verifier(
    state: StandIn,
    pool: LocalUserPool,
    client: CognitoIdpUserPoolClient,
    responses: dict[str, Any],
) -> dict[str, Any]:
    """The second half of USER_SRP_AUTH (the first is moto's), then the pool's MFA steps.

    Like moto, the stand-in does not check the SRP proof itself, only that it was sent.
    """
    entry = state.backend.sessions.pop(responses.get("PASSWORD_CLAIM_SECRET_BLOCK", ""), None)
    proof = responses.get("PASSWORD_CLAIM_SIGNATURE") and responses.get("TIMESTAMP")
    user = entry[1]._get_user(entry[0]) if entry else None
    if user is None or not proof:
        raise CognitoError("NotAuthorizedException", "Incorrect username or password.")
    _check_secret_hash(
        client, responses.get("USERNAME", user.username), responses.get("SECRET_HASH")
    )
    if user.status is UserStatus.FORCE_CHANGE_PASSWORD:
        return _challenge(state, pool, client, user, NEW_PASSWORD_REQUIRED)
    return _after_first_factor(state, pool, client, user)


def _respond_with_code(
    state: StandIn,
    pool: LocalUserPool,
    client: CognitoIdpUserPoolClient,
    user: CognitoIdpUser,
    session: str,
    responses: dict[str, Any],
) -> dict[str, Any]:
    name = state.challenges.get(session).name
    code = str(responses.get(f"{name}_CODE", ""))
    check_mfa_code(state, user, session, code)
    return state.backend._log_user_in(pool, client, user.username)


def _respond_select(
    state: StandIn,
    pool: LocalUserPool,
    client: CognitoIdpUserPoolClient,
    user: CognitoIdpUser,
    session: str,
    responses: dict[str, Any],
) -> dict[str, Any]:
    state.challenges.expect(session, SELECT_MFA_TYPE, client.id)
    factor = choose_factor(pool, user, str(responses.get("ANSWER", "")))
    state.challenges.finish(session)
    return _challenge(state, pool, client, user, factor)


def _respond_setup(
    state: StandIn,
    pool: LocalUserPool,
    client: CognitoIdpUserPoolClient,
    user: CognitoIdpUser,
    session: str,
    responses: dict[str, Any],
) -> dict[str, Any]:
    challenge = state.challenges.expect(session, MFA_SETUP, client.id)
    if not challenge.token_verified:
        raise CognitoError(
            "InvalidParameterException",
            "Set up an authenticator app first (AssociateSoftwareToken, VerifySoftwareToken).",
        )
    state.challenges.finish(session)
    return state.backend._log_user_in(pool, client, user.username)


def _respond_new_password(
    state: StandIn,
    pool: LocalUserPool,
    client: CognitoIdpUserPoolClient,
    user: CognitoIdpUser,
    session: str,
    responses: dict[str, Any],
) -> dict[str, Any]:
    state.challenges.expect(session, NEW_PASSWORD_REQUIRED, client.id)
    password = responses.get("NEW_PASSWORD")
    if not password:
        raise CognitoError("InvalidParameterException", "NEW_PASSWORD is required.")
    state.backend._validate_password(pool.id, password)
    state.challenges.finish(session)
    user.password = password
    user.status = UserStatus.CONFIRMED
    return _after_first_factor(state, pool, client, user)


Responder = Callable[
    [StandIn, LocalUserPool, CognitoIdpUserPoolClient, CognitoIdpUser, str, dict[str, Any]],
    dict[str, Any],
]
CHALLENGE_RESPONDERS: dict[str, Responder] = {
    SMS_MFA: _respond_with_code,
    SOFTWARE_TOKEN_MFA: _respond_with_code,
    SELECT_MFA_TYPE: _respond_select,
    MFA_SETUP: _respond_setup,
    NEW_PASSWORD_REQUIRED: _respond_new_password,
}


HANDLERS: dict[str, Handler] = {
    "GetUser": get_user,
    "SetUserSettings": set_user_settings,
    "UpdateUserAttributes": update_user_attributes,
    "GetUserAttributeVerificationCode": get_user_attribute_verification_code,
    "VerifyUserAttribute": verify_user_attribute,
    "GlobalSignOut": global_sign_out,
    "ChangePassword": change_password,
    "SetUserMFAPreference": set_user_mfa_preference,
    "AssociateSoftwareToken": associate_software_token,
    "VerifySoftwareToken": verify_software_token,
    "SetUserPoolMfaConfig": set_user_pool_mfa_config,
    "GetUserPoolMfaConfig": get_user_pool_mfa_config,
    "RevokeToken": revoke_token,
    "InitiateAuth": initiate_auth,
    "RespondToAuthChallenge": respond_to_auth_challenge,
}
