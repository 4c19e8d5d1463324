"""The JSON API's MFA operations: the user's factors and the pool's MFA configuration."""

from __future__ import annotations

from typing import Any

from moto.cognitoidp.models import CognitoIdpUser

from .codes import CognitoError
from .mfa import MFA_SETUP, check_pool_mfa_config, has_phone
from .signin import challenge_user
from .state import StandIn
from .tokens import ADMIN_SCOPE, LocalUserPool


def _token_owner(state: StandIn, params: dict[str, Any]) -> tuple[LocalUserPool, CognitoIdpUser]:
    return state.token_owner(params.get("AccessToken"), ADMIN_SCOPE)


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
        user = _token_owner(state, params)[1]
        return {"SecretCode": state.totp_clock.associate(user)}
    challenge = state.challenges.get(session)
    if challenge.name != MFA_SETUP:
        raise CognitoError("NotAuthorizedException", "Invalid session for the user.")
    user = challenge_user(state, challenge)
    secret = state.totp_clock.associate(user)
    return {"SecretCode": secret, "Session": state.challenges.renew(session)}


def verify_software_token(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    code = str(params.get("UserCode", ""))
    session = params.get("Session")
    if params.get("AccessToken") or not session:
        user = _token_owner(state, params)[1]
        state.totp_clock.verify_pending(user, code)
        return {"Status": "SUCCESS"}
    challenge = state.challenges.get(session)
    if challenge.name != MFA_SETUP:
        raise CognitoError("NotAuthorizedException", "Invalid session for the user.")
    user = challenge_user(state, challenge)
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


MFA_HANDLERS = {
    "SetUserMFAPreference": set_user_mfa_preference,
    "AssociateSoftwareToken": associate_software_token,
    "VerifySoftwareToken": verify_software_token,
    "SetUserPoolMfaConfig": set_user_pool_mfa_config,
    "GetUserPoolMfaConfig": get_user_pool_mfa_config,
}
