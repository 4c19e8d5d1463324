"""The steps of a sign-in after the password, shared by the API and the hosted UI."""

from __future__ import annotations

import json

from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPool, UserStatus

from .codes import CognitoError, PendingChallenge, mask_phone, new_code
from .mfa import (
    MFA_SETUP,
    SELECT_MFA_TYPE,
    SMS_MFA,
    SOFTWARE_TOKEN_MFA,
    PoolMfa,
    factor_list,
    user_factors,
)
from .state import StandIn

NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"


def check_password(
    state: StandIn, username: str, password: str, pool: CognitoIdpUserPool | None = None
) -> CognitoIdpUser:
    """The user, if they may sign in with this password; otherwise Cognito's error."""
    user = (pool or state.pool)._get_user(username)
    if user is not None:
        state.lockout.check(user.username)
    if user is None or user.password != password:
        raise CognitoError("NotAuthorizedException", "Incorrect username or password.")
    if not user.enabled:
        raise CognitoError("NotAuthorizedException", "User is disabled.")
    if user.status is UserStatus.RESET_REQUIRED:
        raise CognitoError("PasswordResetRequiredException", "Password reset required for the user")
    if user.status is UserStatus.UNCONFIRMED:
        raise CognitoError("UserNotConfirmedException", "User is not confirmed.")
    return user


def start_challenge(
    state: StandIn, user: CognitoIdpUser, client_id: str, name: str
) -> tuple[str, PendingChallenge]:
    """Open a challenge; for SMS_MFA, 'text' the code (to the outbox)."""
    if name != SMS_MFA:
        return state.challenges.start(name, user.username, client_id)
    phone = user.attribute_lookup["phone_number"]
    session, challenge = state.challenges.start(
        SMS_MFA, user.username, client_id, code=new_code(), destination=phone
    )
    state.outbox.send(to=phone, code=str(challenge.code), purpose="sms_mfa", username=user.username)
    return session, challenge


def challenge_parameters(
    pool: CognitoIdpUserPool, user: CognitoIdpUser, challenge: PendingChallenge
) -> dict[str, str]:
    """``ChallengeParameters`` as Cognito sends them (every value is a string)."""
    parameters = {"USER_ID_FOR_SRP": user.username}
    if challenge.name == SMS_MFA:
        parameters["CODE_DELIVERY_DELIVERY_MEDIUM"] = "SMS"
        parameters["CODE_DELIVERY_DESTINATION"] = mask_phone(challenge.destination or "")
    elif challenge.name == SELECT_MFA_TYPE:
        parameters["MFAS_CAN_CHOOSE"] = factor_list(user_factors(PoolMfa.of(pool), user))
    elif challenge.name == MFA_SETUP:
        parameters["MFAS_CAN_SETUP"] = factor_list(PoolMfa.of(pool).factors())
    elif challenge.name == NEW_PASSWORD_REQUIRED:
        attributes = {
            k: v for k, v in user.attribute_lookup.items() if k not in ("sub", "email_verified")
        }
        parameters["USERNAME"] = user.username
        parameters["requiredAttributes"] = "[]"
        parameters["userAttributes"] = json.dumps(attributes)
    return parameters


def check_mfa_code(state: StandIn, user: CognitoIdpUser, session: str, code: str) -> None:
    """Answer an SMS_MFA or SOFTWARE_TOKEN_MFA challenge; it is consumed when right. Wrong codes
    count towards the user's lockout (``lockout.SignInLockout``)."""
    challenge = state.challenges.get(session)
    if challenge.name not in (SMS_MFA, SOFTWARE_TOKEN_MFA):
        raise CognitoError("NotAuthorizedException", "Invalid session for the user.")
    state.lockout.check(user.username)
    try:
        if challenge.name == SMS_MFA:
            state.challenges.answer(session, code)
        else:
            state.totp_clock.check_code(user, code)
    except CognitoError as error:
        if error.error_type == "CodeMismatchException":
            state.lockout.wrong_code(user.username)
            if challenge.name == SOFTWARE_TOKEN_MFA:
                state.challenges.count_wrong(session, challenge)
        raise
    state.challenges.finish(session)
    state.lockout.signed_in(user.username)


def choose_factor(pool: CognitoIdpUserPool, user: CognitoIdpUser, answer: str) -> str:
    """The factor picked at SELECT_MFA_TYPE, if the user may pick it."""
    if answer not in user_factors(PoolMfa.of(pool), user):
        raise CognitoError("InvalidParameterException", f"Invalid ANSWER: {answer}")
    return answer


def challenge_user(state: StandIn, challenge: PendingChallenge) -> CognitoIdpUser:
    """The user a pending challenge belongs to (in the pool of its app client)."""
    found = state.client_anywhere(challenge.client_id)
    user = found[0]._get_user(challenge.username) if found else None
    if user is None:
        raise CognitoError("NotAuthorizedException", "Invalid session for the user.")
    return user
