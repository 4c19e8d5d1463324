"""The JSON API's sign-in: InitiateAuth, RespondToAuthChallenge (and their admin forms)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPoolClient, UserStatus
from moto.cognitoidp.utils import check_secret_hash

from .codes import CognitoError
from .mfa import MFA_SETUP, SELECT_MFA_TYPE, SMS_MFA, SOFTWARE_TOKEN_MFA
from .signin import (
    NEW_PASSWORD_REQUIRED,
    challenge_parameters,
    challenge_user,
    check_mfa_code,
    check_password,
    choose_factor,
    start_challenge,
)
from .state import StandIn
from .tokens import LocalUserPool

ADMIN_PASSWORD_FLOWS = ("ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH")


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
    return _password_sign_in(state, pool, client, auth_parameters)


def admin_initiate_auth(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    pool, client = _admin_sign_in_client(state, params)
    auth_parameters = params.get("AuthParameters") or {}
    flow = params.get("AuthFlow", "")
    if flow not in ADMIN_PASSWORD_FLOWS:
        return state.backend.admin_initiate_auth(pool.id, client.id, flow, auth_parameters)
    return _password_sign_in(state, pool, client, auth_parameters)


def _admin_sign_in_client(
    state: StandIn, params: dict[str, Any]
) -> tuple[LocalUserPool, CognitoIdpUserPoolClient]:
    """The app client of the admin operations: looked up in the pool they name."""
    pool = state.any_pool(params.get("UserPoolId"))
    if pool is None:
        raise CognitoError(
            "ResourceNotFoundException", f"User pool {params.get('UserPoolId')} does not exist."
        )
    client = pool.clients.get(params.get("ClientId") or "")
    if client is None:
        raise CognitoError(
            "ResourceNotFoundException",
            f"User pool client {params.get('ClientId')} does not exist.",
        )
    return pool, client


def _password_sign_in(
    state: StandIn,
    pool: LocalUserPool,
    client: CognitoIdpUserPoolClient,
    auth_parameters: dict[str, Any],
) -> dict[str, Any]:
    """A sign-in with username and password, then whatever the pool asks next."""
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


def respond_to_auth_challenge(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    pool, client = _sign_in_client(state, params)
    responses = params.get("ChallengeResponses") or {}
    if params.get("ChallengeName") == "PASSWORD_VERIFIER":
        return _respond_password_verifier(state, pool, client, responses)
    return _respond(state, pool, client, params)


def admin_respond_to_auth_challenge(state: StandIn, params: dict[str, Any]) -> dict[str, Any]:
    pool, client = _admin_sign_in_client(state, params)
    return _respond(state, pool, client, params)


def _respond(
    state: StandIn,
    pool: LocalUserPool,
    client: CognitoIdpUserPoolClient,
    params: dict[str, Any],
) -> dict[str, Any]:
    responses = params.get("ChallengeResponses") or {}
    name = params.get("ChallengeName", "")
    session = params.get("Session", "")
    respond = CHALLENGE_RESPONDERS.get(name)
    if respond is None:
        return state.backend.respond_to_auth_challenge(session, client.id, name, responses)
    challenge = state.challenges.get(session)
    if challenge.client_id != client.id:
        raise CognitoError("NotAuthorizedException", "Invalid session for the user.")
    user = challenge_user(state, challenge)
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


SIGN_IN_HANDLERS = {
    "InitiateAuth": initiate_auth,
    "RespondToAuthChallenge": respond_to_auth_challenge,
    "AdminInitiateAuth": admin_initiate_auth,
    "AdminRespondToAuthChallenge": admin_respond_to_auth_challenge,
}
