"""The hosted UI (managed login): /oauth2/*, /login, /logout, discovery and JWKS.

Errors of the OAuth endpoints follow RFC 6749 section 5.2 (JSON, right status). Authorize
errors that cannot be sent back to the client (unknown client, unregistered redirect_uri)
are shown as a page, as Cognito does, and never redirected.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, redirect, request
from moto.cognitoidp.exceptions import InvalidPasswordException, NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPoolClient, UserStatus
from moto.utilities.utils import load_resource

from . import pages, totp
from .codes import CognitoError, PendingChallenge, mask_phone
from .lockout import LOCKED_OUT_MESSAGE
from .mfa import (
    MFA_SETUP,
    SELECT_MFA_TYPE,
    SMS_MFA,
    SOFTWARE_TOKEN_MFA,
    software_token,
    user_factors,
)
from .quotas import refuse_token_request
from .signin import (
    check_mfa_code,
    check_password,
    choose_factor,
    start_challenge,
)
from .state import StandIn

SESSION_COOKIE = "cognito"
AUTHORIZATION_CODE_VALIDITY = 300
HOSTED_SESSION_VALIDITY = 3600
INVALID_CODE_MESSAGE = "Invalid code received for user. Please try again."
USED_CODE_MESSAGE = "This code was already used. Wait for your app to show a new one."
SESSION_EXPIRED_MESSAGE = "Your sign-in session has expired. Sign in again."


class AuthorizeError(Exception):
    def __init__(
        self,
        error: str,
        description: str,
        redirect_uri: str | None = None,
        state: str | None = None,
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.redirect_uri = redirect_uri
        self.state = state


@dataclass(frozen=True)
class AuthRequest:
    client_id: str
    redirect_uri: str
    scopes: list[str]
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None

    def query(self) -> str:
        params = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": " ".join(self.scopes),
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.code_challenge,
            "code_challenge_method": self.code_challenge_method,
        }
        return urlencode({k: v for k, v in params.items() if v})

    def documented_query(self) -> str:
        """Only what Cognito documents for the sign-in after /logout (no PKCE, no nonce)."""
        params = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": " ".join(self.scopes),
            "state": self.state,
        }
        return urlencode({k: v for k, v in params.items() if v})


@dataclass
class AuthorizationCode:
    request: AuthRequest
    username: str
    auth_time: int
    expires_at: float
    used: bool = False
    origin_jti: str | None = None


@dataclass
class HostedSession:
    username: str
    auth_time: int
    expires_at: float
    clients: set[str] = field(default_factory=set)


def parse_auth_request(state: StandIn, args: Any) -> AuthRequest:
    client = state.client(args.get("client_id"))
    if client is None:
        raise AuthorizeError("invalid_request", "Invalid client id or client does not exist.")
    redirect_uri = args.get("redirect_uri", "")
    if redirect_uri not in client.extended_config.get("CallbackURLs", []):
        raise AuthorizeError("redirect_mismatch", "redirect_uri is not a registered callback URL.")
    oauth_state = args.get("state")
    if args.get("response_type") != "code":
        raise AuthorizeError(
            "unsupported_response_type", "response_type must be code", redirect_uri, oauth_state
        )
    allowed = client.extended_config.get("AllowedOAuthScopes", [])
    scopes = (args.get("scope") or "").split() or list(allowed)
    if any(scope not in allowed for scope in scopes):
        raise AuthorizeError(
            "invalid_scope", "scope is not allowed for this client", redirect_uri, oauth_state
        )
    challenge = args.get("code_challenge")
    method = args.get("code_challenge_method")
    if (challenge or method) and (not challenge or method != "S256"):
        raise AuthorizeError(
            "invalid_request",
            "code_challenge with code_challenge_method=S256 is required for PKCE",
            redirect_uri,
            oauth_state,
        )
    return AuthRequest(
        client.id, redirect_uri, scopes, oauth_state, args.get("nonce"), challenge, method
    )


def _redirect_to_client(redirect_uri: str, params: dict[str, str | None]) -> Response:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    separator = "&" if "?" in redirect_uri else "?"
    response = redirect(f"{redirect_uri}{separator}{query}", 302)
    response.headers["Cache-Control"] = "no-store"
    return response


def _authorize_error_response(error: AuthorizeError) -> Response:
    if error.redirect_uri:
        return _redirect_to_client(
            error.redirect_uri,
            {"error": error.error, "error_description": error.description, "state": error.state},
        )
    body = pages.message_page("Something went wrong", f"{error.error}: {error.description}")
    return Response(body, 400, content_type="text/html; charset=utf-8")


def _html(body: str, status: int = 200) -> Response:
    response = Response(body, status, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


def _oauth_error(
    error: str, description: str, status: int = 400, headers: dict[str, str] | None = None
) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class ClientAuthError(Exception):
    def __init__(self, description: str, used_basic: bool) -> None:
        super().__init__(description)
        self.description = description
        self.status = 401 if used_basic else 400

    def response(self) -> Response:
        headers = {"WWW-Authenticate": 'Basic realm="cognito"'} if self.status == 401 else None
        return _oauth_error("invalid_client", self.description, self.status, headers)


def authenticate_client(state: StandIn) -> CognitoIdpUserPoolClient:
    """The client calling /oauth2/token or /oauth2/revoke (HTTP Basic or form credentials)."""
    auth = request.authorization
    used_basic = auth is not None and auth.type == "basic"
    if used_basic:
        client_id, secret = auth.username, auth.password  # type: ignore[union-attr]
    else:
        client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
    client = state.client(client_id)
    if client is None:
        raise ClientAuthError("Client does not exist or client_id is missing.", used_basic)
    if client.generate_secret and not hmac.compare_digest(
        (secret or "").encode(), client.secret.encode()
    ):
        raise ClientAuthError("Client authentication failed.", used_basic)
    return client


def pkce_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return hmac.compare_digest(expected, challenge)


def create_blueprint(state: StandIn) -> Blueprint:
    ui = Blueprint("hosted_ui", __name__)

    def current_session() -> HostedSession | None:
        sid = request.cookies.get(SESSION_COOKIE, "")
        session = state.hosted_sessions.get(sid)
        if session is None or session.expires_at <= time.time():
            return None
        if state.user(session.username) is None:
            return None
        return session

    def finish_sign_in(auth: AuthRequest, username: str, auth_time: int) -> Response:
        code = secrets.token_urlsafe(32)
        state.authorization_codes[code] = AuthorizationCode(
            auth, username, auth_time, time.time() + AUTHORIZATION_CODE_VALIDITY
        )
        response = _redirect_to_client(auth.redirect_uri, {"code": code, "state": auth.state})
        session = current_session()
        if session is None or session.username != username or session.auth_time != auth_time:
            sid = secrets.token_urlsafe(32)
            state.hosted_sessions[sid] = HostedSession(
                username, auth_time, time.time() + HOSTED_SESSION_VALIDITY, {auth.client_id}
            )
            response.set_cookie(
                SESSION_COOKIE,
                sid,
                max_age=HOSTED_SESSION_VALIDITY,
                path="/",
                httponly=True,
                samesite="Lax",
            )
        return response

    def continue_after_password(auth: AuthRequest, user: CognitoIdpUser) -> Response:
        name = state.next_challenge(user)
        if name is None:
            return finish_sign_in(auth, user.username, state.sign_in_time(user.username))
        if name == MFA_SETUP and SOFTWARE_TOKEN_MFA not in state.pool_mfa.factors():
            return _html(
                pages.message_page(
                    "Sign-in needs a second step",
                    "This account has no second step this user pool can set up here. "
                    "Ask your administrator.",
                ),
                400,
            )
        session, challenge = start_challenge(state, user, auth.client_id, name)
        if name == MFA_SETUP:
            state.totp_clock.associate(user)
        return _html(challenge_page(auth, user, session, challenge))

    def challenge_page(
        auth: AuthRequest,
        user: CognitoIdpUser,
        session: str,
        challenge: PendingChallenge,
        error: str | None = None,
    ) -> str:
        query = auth.query()
        if challenge.name == SMS_MFA:
            masked = mask_phone(challenge.destination or "")
            return pages.sms_page(f"/mfa?{query}", session, masked, error)
        if challenge.name == SOFTWARE_TOKEN_MFA:
            return pages.totp_page(f"/mfa?{query}", session, error)
        if challenge.name == SELECT_MFA_TYPE:
            factors = user_factors(state.pool_mfa, user)
            return pages.select_mfa_page(f"/mfa/select?{query}", session, factors)
        secret = software_token(user).pending_secret or ""
        uri = totp.provisioning_uri(secret, user.username, "Local Cognito")
        return pages.mfa_setup_page(f"/mfa/setup?{query}", session, secret, uri, error)

    def expired_login(auth: AuthRequest) -> Response:
        return _html(
            pages.login_page(
                f"/login?{auth.query()}", SESSION_EXPIRED_MESSAGE, forgot_url=forgot_url(auth)
            ),
            400,
        )

    def locked_out_login(auth: AuthRequest, username: str) -> Response:
        return _html(
            pages.login_page(
                f"/login?{auth.query()}", LOCKED_OUT_MESSAGE, username, forgot_url(auth)
            ),
            400,
        )

    def pending_sign_in(
        auth: AuthRequest,
    ) -> tuple[str, PendingChallenge, CognitoIdpUser] | None:
        session = request.form.get("session", "")
        try:
            challenge = state.challenges.get(session)
        except CognitoError:
            return None
        user = state.user(challenge.username)
        if challenge.client_id != auth.client_id or user is None:
            return None
        return session, challenge, user

    def forgot_url(auth: AuthRequest) -> str:
        return "/forgotPassword?" + urlencode(
            {
                "client_id": auth.client_id,
                "redirect_uri": auth.redirect_uri,
                "response_type": "code",
            }
        )

    @ui.get(pages.STYLESHEET_PATH)
    def stylesheet() -> Response:
        response = Response(pages.STYLESHEET, content_type="text/css; charset=utf-8")
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    @ui.get("/oauth2/authorize")
    def authorize() -> Response:
        state.stats.count("http", "authorize")
        with state.lock:
            try:
                auth = parse_auth_request(state, request.args)
            except AuthorizeError as error:
                return _authorize_error_response(error)
            prompt = "" if state.classic_hosted_ui else request.args.get("prompt", "")
            session = current_session()
            if session is not None and prompt != "login":
                session.clients.add(auth.client_id)
                return finish_sign_in(auth, session.username, session.auth_time)
            if prompt == "none":
                return _redirect_to_client(
                    auth.redirect_uri, {"error": "login_required", "state": auth.state}
                )
            return redirect(f"/login?{auth.query()}", 302)

    @ui.route("/login", methods=["GET", "POST"])
    def login() -> Response:
        state.stats.count("http", "login")
        with state.lock:
            try:
                auth = parse_auth_request(state, request.args)
            except AuthorizeError as error:
                return _authorize_error_response(error)
            action = f"/login?{auth.query()}"
            if request.method == "GET":
                return _html(pages.login_page(action, forgot_url=forgot_url(auth)))
            username = request.form.get("username", "").strip()
            try:
                user = check_password(state, username, request.form.get("password", ""))
            except CognitoError as error:
                if error.error_type == "PasswordResetRequiredException":
                    return _html(
                        pages.message_page(
                            "Password reset required",
                            "Your password must be reset before you can sign in.",
                            (forgot_url(auth), "Reset your password"),
                        ),
                        400,
                    )
                return _html(
                    pages.login_page(action, error.message, username, forgot_url(auth)), 400
                )
            if user.status is UserStatus.FORCE_CHANGE_PASSWORD:
                session = secrets.token_urlsafe(32)
                state.pending_new_passwords[session] = user.username
                return _html(pages.new_password_page(f"/newPassword?{auth.query()}", session))
            return continue_after_password(auth, user)

    @ui.post("/mfa")
    def mfa() -> Response:
        """The code of an SMS_MFA or SOFTWARE_TOKEN_MFA challenge."""
        state.stats.count("http", "mfa")
        with state.lock:
            try:
                auth = parse_auth_request(state, request.args)
            except AuthorizeError as error:
                return _authorize_error_response(error)
            pending = pending_sign_in(auth)
            if pending is None:
                return expired_login(auth)
            session, challenge, user = pending
            try:
                check_mfa_code(state, user, session, request.form.get("code", "").strip())
            except CognitoError as error:
                if state.lockout.is_locked(user.username):
                    # Locked out: this sign-in is over and starts again at the password (how
                    # Cognito's own pages show it is not documented).
                    state.challenges.finish(session)
                    return locked_out_login(auth, user.username)
                message = {
                    "CodeMismatchException": INVALID_CODE_MESSAGE,
                    "ExpiredCodeException": USED_CODE_MESSAGE,
                }.get(error.error_type)
                if message is None or pending_sign_in(auth) is None:
                    return expired_login(auth)
                return _html(challenge_page(auth, user, session, challenge, message), 400)
            return finish_sign_in(auth, user.username, state.sign_in_time(user.username))

    @ui.post("/mfa/select")
    def select_mfa() -> Response:
        state.stats.count("http", "mfa_select")
        with state.lock:
            try:
                auth = parse_auth_request(state, request.args)
            except AuthorizeError as error:
                return _authorize_error_response(error)
            pending = pending_sign_in(auth)
            if pending is None or pending[1].name != SELECT_MFA_TYPE:
                return expired_login(auth)
            session, _, user = pending
            try:
                factor = choose_factor(state.pool, user, request.form.get("factor", ""))
            except CognitoError:
                return _html(challenge_page(auth, user, session, pending[1]), 400)
            state.challenges.finish(session)
            session, challenge = start_challenge(state, user, auth.client_id, factor)
            return _html(challenge_page(auth, user, session, challenge))

    @ui.post("/mfa/setup")
    def setup_mfa() -> Response:
        state.stats.count("http", "mfa_setup")
        with state.lock:
            try:
                auth = parse_auth_request(state, request.args)
            except AuthorizeError as error:
                return _authorize_error_response(error)
            pending = pending_sign_in(auth)
            if pending is None or pending[1].name != MFA_SETUP:
                return expired_login(auth)
            session, challenge, user = pending
            try:
                state.totp_clock.verify_pending(user, request.form.get("code", "").strip())
            except CognitoError:
                page = challenge_page(auth, user, session, challenge, INVALID_CODE_MESSAGE)
                return _html(page, 400)
            state.challenges.finish(session)
            return finish_sign_in(auth, user.username, state.sign_in_time(user.username))

    @ui.post("/newPassword")
    def new_password() -> Response:
        with state.lock:
            try:
                auth = parse_auth_request(state, request.args)
            except AuthorizeError as error:
                return _authorize_error_response(error)
            session = request.form.get("session", "")
            username = state.pending_new_passwords.get(session)
            user = state.user(username or "")
            if user is None:
                return _html(
                    pages.login_page(
                        f"/login?{auth.query()}", "Your session has expired. Sign in again."
                    ),
                    400,
                )
            password = request.form.get("new_password", "")
            try:
                state.backend._validate_password(state.pool_id, password)
            except InvalidPasswordException as error:
                return _html(
                    pages.new_password_page(f"/newPassword?{auth.query()}", session, error.message),
                    400,
                )
            del state.pending_new_passwords[session]
            user.password = password
            user.status = UserStatus.CONFIRMED
            return continue_after_password(auth, user)

    @ui.post("/oauth2/token")
    def token() -> Response:
        state.stats.count("http", "token")
        if (throttled := refuse_token_request(state.quotas)) is not None:
            return throttled
        with state.lock:
            try:
                client = authenticate_client(state)
            except ClientAuthError as error:
                return error.response()
            grant_type = request.form.get("grant_type")
            if not grant_type:
                return _oauth_error("invalid_request", "grant_type is required")
            if grant_type == "authorization_code":
                return exchange_code(client)
            if grant_type == "refresh_token":
                return refresh(client)
            if grant_type == "client_credentials":
                return _oauth_error("unauthorized_client", "client_credentials is not enabled")
            return _oauth_error("unsupported_grant_type", f"{grant_type} is not supported")

    def token_response(body: dict[str, Any]) -> Response:
        response = jsonify(body)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
        return response

    def exchange_code(client: CognitoIdpUserPoolClient) -> Response:
        code = request.form.get("code")
        if not code:
            return _oauth_error("invalid_request", "code is required")
        grant = state.authorization_codes.get(code)
        if grant is None or grant.request.client_id != client.id:
            return _oauth_error("invalid_grant", "The authorization code is invalid.")
        if grant.used:
            if grant.origin_jti and grant.origin_jti in state.pool.families:
                state.pool.revoke_family(grant.origin_jti)
            return _oauth_error("invalid_grant", "The authorization code has already been used.")
        if grant.expires_at <= time.time():
            return _oauth_error("invalid_grant", "The authorization code has expired.")
        if request.form.get("redirect_uri") != grant.request.redirect_uri:
            return _oauth_error("invalid_grant", "redirect_uri does not match the authorize call.")
        if grant.request.code_challenge:
            verifier = request.form.get("code_verifier", "")
            if not verifier or not pkce_matches(verifier, grant.request.code_challenge):
                return _oauth_error("invalid_grant", "code_verifier does not match the challenge.")
        grant.used = True
        if state.user(grant.username) is None:
            return _oauth_error("invalid_grant", "The user no longer exists.")
        tokens = state.pool.issue_tokens(
            client.id, grant.username, grant.request.scopes, grant.request.nonce, grant.auth_time
        )
        grant.origin_jti = state.pool.family_by_refresh_token[tokens["refresh_token"]]
        if "openid" not in grant.request.scopes:
            del tokens["id_token"]
        return token_response(tokens)

    def refresh(client: CognitoIdpUserPoolClient) -> Response:
        refresh_token = request.form.get("refresh_token")
        if not refresh_token:
            return _oauth_error("invalid_request", "refresh_token is required")
        try:
            family = state.pool.family_for_refresh_token(refresh_token)
        except NotAuthorizedError as error:
            return _oauth_error("invalid_grant", error.message)
        if family.client_id != client.id:
            return _oauth_error("invalid_grant", "Refresh token was issued to another client.")
        access_token, id_token, expires_in = state.pool.create_tokens_from_refresh_token(
            refresh_token
        )
        body = {
            "access_token": access_token,
            "id_token": id_token,
            "token_type": "Bearer",
            "expires_in": expires_in,
        }
        if "openid" not in family.scopes:
            del body["id_token"]
        return token_response(body)

    @ui.route("/oauth2/userInfo", methods=["GET", "POST"])
    def user_info() -> Response:
        state.stats.count("http", "userinfo")
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        with state.lock:
            try:
                record = state.pool.check_access_token(token, scope="openid")
            except NotAuthorizedError as error:
                return _oauth_error(
                    "invalid_token",
                    error.message,
                    401,
                    {
                        "WWW-Authenticate": f'Bearer error="invalid_token", '
                        f'error_description="{error.message}"'
                    },
                )
            user = state.user(record.username)
            assert user is not None
            claims: dict[str, str] = {"sub": user.id, "username": user.username}
            wanted = {
                "email": ("email", "email_verified"),
                "phone": ("phone_number", "phone_number_verified"),
            }
            for scope, names in wanted.items():
                if scope in record.scopes or "aws.cognito.signin.user.admin" in record.scopes:
                    claims.update(
                        {n: user.attribute_lookup[n] for n in names if n in user.attribute_lookup}
                    )
        response = jsonify(claims)
        response.headers["Cache-Control"] = "no-store"
        return response

    @ui.post("/oauth2/revoke")
    def revoke() -> Response:
        state.stats.count("http", "revoke")
        with state.lock:
            try:
                client = authenticate_client(state)
            except ClientAuthError as error:
                return error.response()
            token_value = request.form.get("token")
            if not token_value:
                return _oauth_error("invalid_request", "token is required")
            if token_value in state.pool.access_records:
                return _oauth_error("unsupported_token_type", "Only refresh tokens can be revoked.")
            origin_jti = state.pool.family_by_refresh_token.get(token_value)
            if origin_jti is not None:
                if state.pool.families[origin_jti].client_id != client.id:
                    return _oauth_error("invalid_request", "Token was not issued to this client.")
                state.pool.revoke_family(origin_jti)
        return Response("", 200)

    @ui.get("/logout")
    def logout() -> Response:
        state.stats.count("http", "logout")
        with state.lock:
            client = state.client(request.args.get("client_id"))
            if client is None:
                return _html(
                    pages.message_page(
                        "Something went wrong", "invalid_request: client_id is missing or unknown."
                    ),
                    400,
                )
            logout_uri = request.args.get("logout_uri")
            if logout_uri:
                if logout_uri not in client.extended_config.get("LogoutURLs", []):
                    return _html(
                        pages.message_page(
                            "Something went wrong",
                            "invalid_request: logout_uri is not a registered sign-out URL.",
                        ),
                        400,
                    )
                response = redirect(logout_uri, 302)
            elif request.args.get("redirect_uri") and request.args.get("response_type"):
                try:
                    auth = parse_auth_request(state, request.args)
                except AuthorizeError as error:
                    return _authorize_error_response(error)
                query = auth.documented_query() if state.strict_logout_params else auth.query()
                response = redirect(f"/login?{query}", 302)
            else:
                return _html(
                    pages.message_page(
                        "Something went wrong",
                        "invalid_request: give logout_uri, or redirect_uri and response_type.",
                    ),
                    400,
                )
            state.hosted_sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
            response.delete_cookie(SESSION_COOKIE, path="/")
            response.headers["Cache-Control"] = "no-store"
            return response

    @ui.route("/forgotPassword", methods=["GET", "POST"])
    def forgot_password() -> Response:
        state.stats.count("http", "forgotPassword")
        with state.lock:
            if state.client(request.args.get("client_id")) is None:
                return _html(
                    pages.message_page(
                        "Something went wrong", "invalid_request: unknown client_id."
                    ),
                    400,
                )
            query = request.query_string.decode()
            if request.method == "GET":
                return _html(pages.forgot_password_page(f"/forgotPassword?{query}"))
            username = request.form.get("username", "").strip()
            user = state.user(username)
            if user is not None:
                send_reset_code(user)
            return _html(pages.confirm_password_page(f"/confirmForgotPassword?{query}", username))

    def send_reset_code(user: CognitoIdpUser) -> None:
        attrs = user.attribute_lookup
        code = state.attribute_codes.issue(user.username, "password_reset")
        if attrs.get("phone_number_verified") == "true":
            state.outbox.send(
                to=attrs["phone_number"],
                code=code,
                purpose="forgot_password",
                username=user.username,
            )
        elif attrs.get("email"):
            state.outbox.send(
                to=attrs["email"],
                code=code,
                purpose="forgot_password",
                username=user.username,
                medium="EMAIL",
            )

    @ui.post("/confirmForgotPassword")
    def confirm_forgot_password() -> Response:
        with state.lock:
            query = request.query_string.decode()
            username = request.form.get("username", "")
            action = f"/confirmForgotPassword?{query}"
            user = state.user(username)
            try:
                state.attribute_codes.verify(
                    username, "password_reset", request.form.get("code", "").strip()
                )
                state.backend._validate_password(state.pool_id, request.form.get("password", ""))
            except CognitoError as error:
                return _html(pages.confirm_password_page(action, username, error.message), 400)
            except InvalidPasswordException as error:
                return _html(pages.confirm_password_page(action, username, error.message), 400)
            if user is not None:
                user.password = request.form["password"]
                user.status = UserStatus.CONFIRMED
            login_query = urlencode(
                {
                    "client_id": request.args.get("client_id", ""),
                    "redirect_uri": request.args.get("redirect_uri", ""),
                    "response_type": "code",
                }
            )
            return _html(
                pages.message_page(
                    "Password changed", "You can now sign in.", (f"/login?{login_query}", "Sign in")
                )
            )

    @ui.get("/<pool_id>/.well-known/openid-configuration")
    def discovery(pool_id: str) -> Response:
        state.stats.count("http", "discovery")
        if pool_id != state.pool_id:
            return _oauth_error("not_found", "No such user pool.", 404)
        url = state.url
        return jsonify(
            {
                "issuer": state.issuer,
                "authorization_endpoint": f"{url}/oauth2/authorize",
                "token_endpoint": f"{url}/oauth2/token",
                "userinfo_endpoint": f"{url}/oauth2/userInfo",
                "revocation_endpoint": f"{url}/oauth2/revoke",
                "end_session_endpoint": f"{url}/logout",
                "jwks_uri": f"{state.issuer}/.well-known/jwks.json",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "scopes_supported": [
                    "openid",
                    "email",
                    "phone",
                    "profile",
                    "aws.cognito.signin.user.admin",
                ],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "code_challenge_methods_supported": ["S256"],
                "claims_supported": [
                    "sub",
                    "iss",
                    "aud",
                    "auth_time",
                    "nonce",
                    "email",
                    "email_verified",
                    "phone_number",
                    "phone_number_verified",
                    "cognito:username",
                ],
            }
        )

    @ui.get("/<pool_id>/.well-known/jwks.json")
    def jwks(pool_id: str) -> Response:
        state.stats.count("http", "jwks")
        if pool_id != state.pool_id:
            return _oauth_error("not_found", "No such user pool.", 404)
        return jsonify(load_resource("cognitoidp/resources/jwks-public.json"))

    return ui
