"""`mfa-portal check`: a preflight of the portal's configuration against the real Cognito.

An operator runs it with the portal's environment before going live. Each check prints one line,
``PASS <check>: <detail>``, ``FAIL <check>: <what is wrong> — fix: <what to change>`` or
``SKIP <check>: <why>``. Exit status: 0 when nothing failed, 1 when a check failed, 2 when the
environment does not even validate.

The HTTP checks talk to the same endpoints, with the same requests, as sign-in does (Authlib):
discovery, JWKS, the token endpoint (with a made-up authorization code, so nothing is issued) and
the authorize endpoint (stopping at the sign-in page). They need no AWS credentials. Only the
optional last checks (DescribeUserPool, DescribeUserPoolClient) use credentials, when boto3 finds
some. Secrets and tokens are never printed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import secrets
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal
from urllib.parse import parse_qs, urljoin, urlsplit

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .config import OAUTH_SCOPES, REQUIRED_SCOPE, ConfigError, Settings, load_settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID_SETTINGS = 2

USER_AGENT = "mfa-portal-check"
MAX_REDIRECTS = 5
POOL_VARIABLES = "COGNITO_REGION / COGNITO_USER_POOL_ID / COGNITO_ENDPOINT_URL"

#: Credentials that work but may not describe the pool: the optional checks are skipped.
NO_PERMISSION_CODES = frozenset(
    {
        "AccessDeniedException",
        "NotAuthorizedException",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredTokenException",
        "ExpiredToken",
    }
)

Status = Literal["PASS", "FAIL", "SKIP"]


@dataclass(frozen=True)
class Result:
    status: Status
    check: str
    detail: str
    fix: str | None = None

    def line(self) -> str:
        text = f"{self.status} {self.check}: {self.detail}"
        return f"{text} — fix: {self.fix}" if self.fix else text


def passed(check: str, detail: str) -> Result:
    return Result("PASS", check, detail)


def failed(check: str, detail: str, fix: str) -> Result:
    return Result("FAIL", check, detail, fix)


def skipped(check: str, detail: str) -> Result:
    return Result("SKIP", check, detail)


# --- HTTP ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, reduced to what the checks look at."""

    url: str
    status: int
    content_type: str
    text: str
    location: str | None

    @cached_property
    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    @property
    def oauth_error(self) -> str | None:
        """The ``error`` of an RFC 6749 JSON error answer, if this is one."""
        body = self.json
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            return body["error"]
        return None


@dataclass(frozen=True)
class Unreachable:
    url: str
    reason: str

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc or self.url


class Http:
    """GETs and POSTs with the portal's timeouts, never following redirects."""

    def __init__(self, settings: Settings, session: requests.Session | None = None) -> None:
        self.timeout = (settings.cognito_connect_timeout, settings.cognito_read_timeout)
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def get(self, url: str, params: Mapping[str, str] | None = None) -> Answer | Unreachable:
        return self._send("GET", url, params=params)

    def post(
        self, url: str, data: Mapping[str, str], headers: Mapping[str, str]
    ) -> Answer | Unreachable:
        return self._send("POST", url, data=data, headers=headers)

    def _send(self, method: str, url: str, **kwargs: Any) -> Answer | Unreachable:
        try:
            response = self.session.request(
                method, url, timeout=self.timeout, allow_redirects=False, **kwargs
            )
        except requests.Timeout:
            return Unreachable(url, "timed out")
        except requests.RequestException as error:
            return Unreachable(url, _connection_reason(error))
        location = response.headers.get("Location")
        return Answer(
            url=response.url,
            status=response.status_code,
            content_type=response.headers.get("Content-Type", ""),
            text=response.text,
            location=urljoin(response.url, location) if location else None,
        )


def _connection_reason(error: requests.RequestException) -> str:
    text = str(error)
    for known in ("Connection refused", "Name or service not known", "certificate verify failed"):
        if known in text:
            return known.lower()
    return type(error).__name__


def basic_auth(client_id: str, client_secret: str) -> str:
    """HTTP Basic credentials exactly as Authlib's ``client_secret_basic`` sends them."""
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode("latin1")).decode()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# --- the sign-in page ----------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorizeOutcome:
    """Where an authorize request ends: the sign-in page, or an error (with its code)."""

    reached_sign_in: bool
    detail: str
    error: str | None = None
    unreachable: Unreachable | None = None

    @property
    def knows_client(self) -> bool:
        """Whether the hosted UI recognised the client id (it complained about something else)."""
        return self.reached_sign_in or self.error in CLIENT_KNOWN_ERRORS


#: Authorize errors that the hosted UI gives only once it has found the app client.
CLIENT_KNOWN_ERRORS = frozenset(
    {"redirect_mismatch", "invalid_scope", "unauthorized_client", "unsupported_response_type"}
)

_ERROR_CODES = re.compile(
    r"\b(redirect_mismatch|invalid_client|invalid_request|unauthorized_client|invalid_scope"
    r"|unsupported_response_type|access_denied|server_error)\b"
)


def error_code_in(answer: Answer) -> str | None:
    if answer.oauth_error:
        return answer.oauth_error
    found = _ERROR_CODES.search(answer.text)
    return found.group(1) if found else None


def _strip_query(url: str) -> str:
    return url.split("?", 1)[0]


def follow_authorize(
    http: Http, url: str, params: Mapping[str, str], callback_url: str
) -> AuthorizeOutcome:
    """Follow the hosted UI's redirects to the sign-in page; never into the portal itself
    (whose origin is the callback URL's)."""
    answer = http.get(url, params)
    for _ in range(MAX_REDIRECTS):
        if isinstance(answer, Unreachable):
            return AuthorizeOutcome(False, f"{answer.host} is unreachable", unreachable=answer)
        if not (300 <= answer.status < 400 and answer.location):
            return _final_page(answer)
        target = answer.location
        query = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
        if _origin(target) == _origin(callback_url):
            return _back_at_portal(target, query, callback_url)
        path = urlsplit(target).path
        if path.endswith("/error"):
            return AuthorizeOutcome(
                False,
                f"redirected to the hosted UI's error page ({query.get('error', 'no detail')})",
                error=query.get("error"),
            )
        if path.endswith("/login"):
            return AuthorizeOutcome(True, f"redirects to the sign-in page {_strip_query(target)}")
        answer = http.get(target)
    return AuthorizeOutcome(False, f"more than {MAX_REDIRECTS} redirects from {url}")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _back_at_portal(target: str, query: Mapping[str, str], callback_url: str) -> AuthorizeOutcome:
    if "error" in query:
        return AuthorizeOutcome(
            False, f"the hosted UI sent back error={query['error']}", error=query["error"]
        )
    if _strip_query(target) == callback_url and "code" in query:
        return AuthorizeOutcome(True, "signed in already: the hosted UI sent back a code")
    return AuthorizeOutcome(
        False, f"redirects to {_strip_query(target)} instead of the sign-in page"
    )


def _final_page(answer: Answer) -> AuthorizeOutcome:
    if answer.status == 200 and "html" in answer.content_type and "<form" in answer.text.lower():
        return AuthorizeOutcome(True, f"shows the sign-in page {_strip_query(answer.url)}")
    code = error_code_in(answer)
    what = f"HTTP {answer.status}" + (f" ({code})" if code else "")
    return AuthorizeOutcome(False, f"answers {what} instead of the sign-in page", code)


# --- the checks ----------------------------------------------------------------------------


class Preflight:
    """The HTTP checks. Probes are made once and shared by the checks that read them."""

    def __init__(self, settings: Settings, http: Http) -> None:
        self.settings = settings
        self.http = http

    # probes

    @cached_property
    def discovery(self) -> Answer | Unreachable:
        return self.http.get(self.settings.discovery_url)

    @cached_property
    def metadata(self) -> dict[str, Any]:
        """The discovery document, if it is a usable one (else empty)."""
        answer = self.discovery
        if isinstance(answer, Answer) and answer.status == 200 and isinstance(answer.json, dict):
            return answer.json
        return {}

    def endpoint(self, name: str, fallback_path: str) -> tuple[str, str]:
        """An endpoint from discovery (as Authlib uses it), or the hosted UI's own URL."""
        url = self.metadata.get(name)
        if isinstance(url, str) and url:
            return url, POOL_VARIABLES
        return f"{self.settings.hosted_ui_url}{fallback_path}", "COGNITO_DOMAIN"

    @cached_property
    def token_answer(self) -> Answer | Unreachable:
        s = self.settings
        url, _ = self.endpoint("token_endpoint", "/oauth2/token")
        verifier, _challenge = pkce_pair()
        data = {
            "grant_type": "authorization_code",
            "code": f"preflight-{secrets.token_urlsafe(16)}",
            "redirect_uri": s.callback_url,
            "code_verifier": verifier,
        }
        headers: dict[str, str] = {}
        if s.client_secret:
            headers["Authorization"] = basic_auth(s.client_id, s.client_secret)
        else:
            data["client_id"] = s.client_id
        return self.http.post(url, data, headers)

    @cached_property
    def authorize(self) -> AuthorizeOutcome:
        s = self.settings
        url, _ = self.endpoint("authorization_endpoint", "/oauth2/authorize")
        _verifier, challenge = pkce_pair()
        params = {
            "response_type": "code",
            "client_id": s.client_id,
            "redirect_uri": s.callback_url,
            "scope": " ".join(OAUTH_SCOPES),
            "state": secrets.token_urlsafe(16),
            "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return follow_authorize(self.http, url, params, s.callback_url)

    # checks

    def check_discovery(self) -> Result:
        check, s, answer = "discovery", self.settings, self.discovery
        fix = f"set {POOL_VARIABLES} to the user pool's region and id (and endpoint, if not AWS)"
        if isinstance(answer, Unreachable):
            return failed(
                check,
                f"{answer.host} is unreachable ({answer.reason}) for {s.discovery_url}",
                f"check COGNITO_ENDPOINT_URL / COGNITO_REGION: {answer.host} must be a Cognito "
                "endpoint reachable from the portal",
            )
        if answer.status != 200 or not isinstance(answer.json, dict):
            return failed(check, f"{s.discovery_url} answers HTTP {answer.status}", fix)
        issuer = answer.json.get("issuer")
        if issuer != s.issuer:
            return failed(check, f"issuer is {issuer!r}, expected {s.issuer!r}", fix)
        missing = [
            k
            for k in ("authorization_endpoint", "token_endpoint", "jwks_uri")
            if not answer.json.get(k)
        ]
        if missing:
            return failed(check, f"the discovery document lacks {', '.join(missing)}", fix)
        return passed(check, f"{s.discovery_url} names issuer {issuer}")

    def check_jwks(self) -> Result:
        check = "jwks"
        jwks_uri = self.metadata.get("jwks_uri")
        if not jwks_uri:
            return skipped(check, "no jwks_uri without a discovery document (see discovery)")
        answer = self.http.get(jwks_uri)
        fix = f"check {POOL_VARIABLES}: the pool's signing keys must be published at jwks_uri"
        if isinstance(answer, Unreachable):
            return failed(check, f"{answer.host} is unreachable ({answer.reason})", fix)
        keys = answer.json.get("keys") if isinstance(answer.json, dict) else None
        if answer.status != 200 or not isinstance(keys, list):
            return failed(check, f"{jwks_uri} answers HTTP {answer.status} without keys", fix)
        rsa = [k for k in keys if isinstance(k, dict) and k.get("kty") == "RSA"]
        if not rsa:
            return failed(check, f"{jwks_uri} has no RSA key", fix)
        return passed(check, f"{jwks_uri} has {len(rsa)} RSA key(s)")

    def check_token_endpoint(self) -> Result:
        check = "token endpoint"
        url, variables = self.endpoint("token_endpoint", "/oauth2/token")
        answer = self.token_answer
        fix = (
            f"check {variables}: the token endpoint is on the user pool's hosted-UI domain, "
            "which must be reachable from the portal"
        )
        if isinstance(answer, Unreachable):
            return failed(check, f"{answer.host} is unreachable ({answer.reason}) for {url}", fix)
        if answer.oauth_error is None:
            return failed(check, f"{url} answers HTTP {answer.status}, not an OAuth answer", fix)
        return passed(check, f"{url} answers ({answer.oauth_error} for a made-up code)")

    def check_client_secret(self) -> Result:
        check, s = "client secret", self.settings
        answer = self.token_answer
        error = answer.oauth_error if isinstance(answer, Answer) else None
        if error is None:
            return skipped(check, "the token endpoint gave no OAuth answer (see token endpoint)")
        if error == "invalid_client":
            return self._client_refused()
        if error == "unauthorized_client":
            return failed(
                check,
                "the token endpoint says the app client may not use the authorization code grant",
                "enable the authorization code grant on the app client (COGNITO_CLIENT_ID)",
            )
        if error != "invalid_grant":
            return failed(
                check,
                f"the token endpoint answers {error} to a code exchange",
                "check the app client (COGNITO_CLIENT_ID / COGNITO_CLIENT_SECRET) allows the "
                "authorization code grant",
            )
        if s.client_secret:
            return passed(check, "the app client authenticates with COGNITO_CLIENT_SECRET")
        return passed(check, "public client (no secret)")

    def _client_refused(self) -> Result:
        check, s = "client secret", self.settings
        client_known = self.authorize.knows_client
        if s.client_secret and client_known:
            return failed(
                check,
                "the token endpoint refuses the client secret (invalid_client)",
                "set COGNITO_CLIENT_SECRET to the app client's secret",
            )
        if s.client_secret:
            return failed(
                check,
                "the token endpoint refuses the client id and secret (invalid_client)",
                "set COGNITO_CLIENT_ID to the app client's id and COGNITO_CLIENT_SECRET to its "
                "secret",
            )
        if client_known:
            return failed(
                check,
                "the app client needs a secret (invalid_client without one)",
                "set COGNITO_CLIENT_SECRET to the app client's secret, or use an app client "
                "without a secret",
            )
        return failed(
            check,
            "the token endpoint refuses the client (invalid_client)",
            "set COGNITO_CLIENT_ID to the app client's id (and COGNITO_CLIENT_SECRET if it has "
            "a secret)",
        )

    def check_callback_url(self) -> Result:
        check, s = "callback URL", self.settings
        outcome = self.authorize
        url, variables = self.endpoint("authorization_endpoint", "/oauth2/authorize")
        if outcome.reached_sign_in:
            return passed(check, f"{s.callback_url} is accepted: the hosted UI {outcome.detail}")
        if outcome.unreachable is not None:
            return failed(
                check,
                f"{outcome.unreachable.host} is unreachable ({outcome.unreachable.reason}) "
                f"for {url}",
                f"check {variables}: the hosted UI must be reachable from the portal's users",
            )
        return failed(check, f"{url} {outcome.detail}", self._callback_fix(outcome.error))

    def _callback_fix(self, error: str | None) -> str:
        callback = self.settings.callback_url
        register = (
            f"add {callback} to the app client's callback URLs, or set PORTAL_BASE_URL to the "
            "portal's public URL (the callback is PORTAL_BASE_URL + /auth/callback)"
        )
        if error == "redirect_mismatch":
            return register
        if error == "invalid_scope":
            return f"allow the OAuth scopes {' '.join(OAUTH_SCOPES)} on the app client"
        if error in ("unauthorized_client", "unsupported_response_type"):
            return "enable the authorization code grant on the app client"
        return f"check COGNITO_CLIENT_ID is the app client's id, and {register}"

    def check_sign_out_url(self) -> Result:
        check, s = "sign-out URL", self.settings
        url = f"{s.hosted_ui_url}/logout"
        answer = self.http.get(url, {"client_id": s.client_id, "logout_uri": s.signed_out_url})
        if isinstance(answer, Unreachable):
            return failed(
                check,
                f"{answer.host} is unreachable ({answer.reason}) for {url}",
                "set COGNITO_DOMAIN to the user pool's hosted-UI domain",
            )
        if answer.location == s.signed_out_url:
            return passed(check, f"{url} returns people to {s.signed_out_url}")
        return failed(
            check,
            f"{url} does not return people to {s.signed_out_url} (HTTP {answer.status})",
            f"add {s.signed_out_url} to the app client's sign-out URLs (PORTAL_BASE_URL + /); "
            "check COGNITO_CLIENT_ID, and that COGNITO_DOMAIN is the pool's hosted-UI domain",
        )

    def results(self) -> Iterator[Result]:
        checks: list[Callable[[], Result]] = [
            self.check_discovery,
            self.check_jwks,
            self.check_token_endpoint,
            self.check_client_secret,
            self.check_callback_url,
            self.check_sign_out_url,
        ]
        for check in checks:
            yield check()


# --- with AWS credentials (optional) -------------------------------------------------------

AWS_CHECKS = "user pool, app client"
AWS_SKIP_DETAIL = (
    "no AWS credentials: with some (read-only: cognito-idp:DescribeUserPool, "
    "DescribeUserPoolClient) it would check that the pool allows SMS MFA and that the app "
    "client allows the scopes, the callback URL and the code flow"
)


def aws_credentials_available() -> bool:
    try:
        return boto3.session.Session().get_credentials() is not None
    except BotoCoreError:
        return False


def signed_client(settings: Settings) -> Any:
    """A signed cognito-idp client: the only place the preflight uses AWS credentials."""
    config = Config(
        connect_timeout=settings.cognito_connect_timeout,
        read_timeout=settings.cognito_read_timeout,
        retries={"mode": "standard", "total_max_attempts": settings.cognito_max_attempts},
    )
    return boto3.client(
        "cognito-idp",
        region_name=settings.region,
        endpoint_url=settings.endpoint_url,
        config=config,
    )


def _describe(check: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any] | Result:
    try:
        return call()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "error")
        if code in NO_PERMISSION_CODES:
            return skipped(check, f"the AWS credentials may not describe it ({code})")
        if code == "ResourceNotFoundException":
            variable = "COGNITO_CLIENT_ID" if check == "app client" else "COGNITO_USER_POOL_ID"
            return failed(check, "Cognito says it does not exist", f"check {variable}")
        return failed(check, f"Cognito answers {code}", "check the AWS credentials and region")
    except BotoCoreError as error:
        return failed(
            check, f"cannot call Cognito ({type(error).__name__})", f"check {POOL_VARIABLES}"
        )


#: Cognito's MfaConfiguration, as COGNITO_POOL_MFA says it.
POOL_MFA_SETTING = {"OFF": "off", "OPTIONAL": "optional", "ON": "required"}


def check_user_pool(client: Any, settings: Settings) -> Result:
    check = "user pool"
    response = _describe(check, lambda: client.describe_user_pool(UserPoolId=settings.user_pool_id))
    if isinstance(response, Result):
        return response
    pool = response.get("UserPool", {})
    mode = pool.get("MfaConfiguration", "OFF")
    expected = POOL_MFA_SETTING.get(mode, mode.lower())
    if settings.pool_mfa != expected:
        return failed(
            check,
            f"the pool's MFA is {mode} but COGNITO_POOL_MFA={settings.pool_mfa}: the MFA page "
            "would tell people the wrong thing about their next sign-in",
            f"set COGNITO_POOL_MFA={expected}",
        )
    if mode == "OFF":
        return failed(
            check,
            "MFA is OFF for the pool: nobody can turn SMS MFA on",
            "set the user pool's MFA to optional (MfaConfiguration OPTIONAL) with SMS allowed",
        )
    if not (pool.get("SmsConfiguration") or {}).get("SnsCallerArn"):
        return failed(
            check,
            "the pool has no SMS configuration: Cognito cannot send MFA codes",
            "give the user pool an SMS configuration (an IAM role Cognito uses for Amazon SNS)",
        )
    return passed(check, f"MfaConfiguration {mode}, SMS configured")


def check_app_client(client: Any, settings: Settings) -> Result:
    check = "app client"
    response = _describe(
        check,
        lambda: client.describe_user_pool_client(
            UserPoolId=settings.user_pool_id, ClientId=settings.client_id
        ),
    )
    if isinstance(response, Result):
        return response
    app_client = response.get("UserPoolClient", {})
    problems = app_client_problems(app_client, settings.callback_url)
    if problems:
        return failed(check, "; ".join(problems), "change the app client's hosted-UI settings")
    return passed(check, "scopes, callback URL and code flow allowed")


def app_client_problems(app_client: Mapping[str, Any], callback_url: str) -> list[str]:
    scopes = set(app_client.get("AllowedOAuthScopes") or [])
    problems = [
        f"scope {scope} not allowed" for scope in (REQUIRED_SCOPE, "openid") if scope not in scopes
    ]
    if callback_url not in (app_client.get("CallbackURLs") or []):
        problems.append(f"callback URL {callback_url} not registered")
    code_flow = "code" in (app_client.get("AllowedOAuthFlows") or [])
    if not (code_flow and app_client.get("AllowedOAuthFlowsUserPoolClient", True)):
        problems.append("authorization code grant not allowed")
    return problems


def aws_results(settings: Settings) -> list[Result]:
    if not aws_credentials_available():
        return [skipped(AWS_CHECKS, AWS_SKIP_DETAIL)]
    client = signed_client(settings)
    return [check_user_pool(client, settings), check_app_client(client, settings)]


# --- the command ---------------------------------------------------------------------------

_URL_PASSWORD = re.compile(r"(//[^:/@\s]*:)[^@\s]+@")


def redact(text: str) -> str:
    """Hide the password of any URL a message quotes (e.g. a malformed REDIS_URL)."""
    return _URL_PASSWORD.sub(r"\1***@", text)


def settings_result(error: ConfigError) -> Result:
    message = redact(str(error))
    variable = message.split("=", 1)[0].split(" ", 1)[0]
    return failed("settings", message, f"set {variable} in the portal's environment")


def describe_settings(settings: Settings) -> str:
    kind = "confidential" if settings.client_secret else "public"
    return (
        f"the environment validates (portal {settings.public_base_url}, "
        f"pool {settings.user_pool_id}, {kind} client {settings.client_id})"
    )


def build_parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="mfa-portal check",
        description="Check the portal's configuration against Cognito before going live. "
        "Reads the same environment variables as the portal.",
    )


def check_https(settings: Settings) -> Result:
    """An https portal whose sign-in runs over http would send passwords and codes in the clear
    (and real Cognito is https only)."""
    check = "https"
    plain = [
        name
        for name, url in (
            ("COGNITO_DOMAIN", settings.hosted_ui_url),
            ("COGNITO_ENDPOINT_URL", settings.endpoint_url or ""),
        )
        if url.startswith("http://")
    ]
    if not settings.https:
        return passed(check, "the portal is served over http: for development only")
    if plain:
        return failed(
            check,
            f"the portal is https but {' and '.join(plain)} "
            f"{'are' if len(plain) > 1 else 'is'} http: sign-in would not be",
            f"set {' and '.join(plain)} to the https address",
        )
    return passed(check, "the portal and Cognito are both https")


def run_checks(settings: Settings, http: Http | None = None) -> Iterator[Result]:
    """Every check after the settings one, in order; the AWS ones last."""
    yield passed("settings", describe_settings(settings))
    yield check_https(settings)
    yield from Preflight(settings, http or Http(settings)).results()
    yield from aws_results(settings)


def exit_status(results: Sequence[Result]) -> int:
    return EXIT_FAILED if any(r.status == "FAIL" for r in results) else EXIT_OK


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run every check, print one line each, return the exit status.

    ``argv`` is what follows ``check`` on the command line (None: no options); ``env`` defaults
    to ``os.environ``. AWS credentials are looked up the usual boto3 way, from the process.
    """
    build_parser().parse_args([] if argv is None else list(argv))
    try:
        settings = load_settings(env)
    except ConfigError as error:
        print(settings_result(error).line(), flush=True)
        return EXIT_INVALID_SETTINGS
    results = []
    for result in run_checks(settings):
        print(result.line(), flush=True)
        results.append(result)
    return exit_status(results)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
