"""`mfa-portal check` (app/preflight.py): each check's verdict, against odd HTTP answers from a
tiny local server, against the local stand-in, and (with credentials) against botocore's Stubber."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import botocore
import pytest
from authlib.oauth2.auth import encode_client_secret_basic
from botocore.stub import Stubber

from app import preflight
from app.config import Settings, load_settings
from app.preflight import Http, Preflight, Result
from localcognito.server import LocalCognito
from tests.support.unit import portal_env

POOL_ID = "us-east-1_UnitPool"
CLIENT_ID = "unitclient0000000000000001"
SECRET = "unit-client-secret-never-printed"


@dataclass
class Route:
    status: int = 200
    body: Any = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeCognito:
    """A tiny HTTP server whose answers each test sets, path by path."""

    url: str
    routes: dict[str, Route]
    requests: list[tuple[str, str, dict[str, str]]]

    @property
    def issuer(self) -> str:
        return f"{self.url}/{POOL_ID}"

    def answer(self, path: str, status: int = 200, body: Any = "", **headers: str) -> None:
        self.routes[path] = Route(status, body, headers)

    def discovery(self, **overrides: Any) -> None:
        document = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.url}/oauth2/authorize",
            "token_endpoint": f"{self.url}/oauth2/token",
            "jwks_uri": f"{self.issuer}/.well-known/jwks.json",
            **overrides,
        }
        self.answer(f"/{POOL_ID}/.well-known/openid-configuration", body=document)

    def paths(self) -> list[str]:
        return [path for _method, path, _headers in self.requests]


def _handler(routes: dict[str, Route], seen: list[tuple[str, str, dict[str, str]]]) -> type:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            path = urlsplit(self.path).path
            seen.append((self.command, path, dict(self.headers)))
            route = routes.get(path, Route(404, "<html>not found</html>"))
            body = route.body
            content_type = "text/html; charset=utf-8"
            if not isinstance(body, str):
                body, content_type = json.dumps(body), "application/json"
            data = body.encode()
            self.send_response(route.status)
            headers = {"Content-Type": content_type, **route.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _reply  # noqa: N815

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def fake() -> Iterator[FakeCognito]:
    routes: dict[str, Route] = {}
    seen: list[tuple[str, str, dict[str, str]]] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(routes, seen))
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield FakeCognito(f"http://127.0.0.1:{server.server_port}", routes, seen)
    finally:
        server.shutdown()
        server.server_close()


def settings_for(url: str, tmp_path: Any, **overrides: str) -> Settings:
    env = portal_env(
        tmp_path,
        COGNITO_DOMAIN=url,
        COGNITO_ENDPOINT_URL=url,
        COGNITO_CLIENT_SECRET=SECRET,
        COGNITO_CONNECT_TIMEOUT="1",
        COGNITO_READ_TIMEOUT="2",
    )
    env.update(overrides)
    return load_settings(env)


def check_of(settings: Settings, name: str) -> Result:
    return getattr(Preflight(settings, Http(settings)), name)()


def assert_fails(result: Result, *named: str) -> None:
    assert result.status == "FAIL", result.line()
    assert result.fix
    for text in named:
        assert text in result.fix, result.line()


@pytest.fixture(autouse=True)
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


# --- lines and exit status -----------------------------------------------------------------


def test_a_line_says_the_status_the_check_and_the_fix():
    assert Result("PASS", "jwks", "1 RSA key").line() == "PASS jwks: 1 RSA key"
    assert Result("FAIL", "jwks", "no key", "set X").line() == "FAIL jwks: no key — fix: set X"


def test_exit_status_is_one_on_any_failure_and_zero_with_skips():
    ok, skip = Result("PASS", "a", "ok"), Result("SKIP", "b", "no credentials")
    assert preflight.exit_status([ok, skip]) == 0
    assert preflight.exit_status([ok, Result("FAIL", "c", "bad", "fix")]) == 1


def test_invalid_environment_prints_one_line_and_exits_2(capsys, tmp_path):
    env = portal_env(tmp_path)
    del env["SECRET_KEY"]
    assert preflight.main([], env) == 2
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("FAIL settings: SECRET_KEY is not set")
    assert "fix: set SECRET_KEY" in lines[0]


def test_a_password_in_a_malformed_url_is_not_printed(capsys, tmp_path):
    env = portal_env(tmp_path, REDIS_URL="http://:hunter2-redis-password@redis.internal:6379/0")
    assert preflight.main([], env) == 2
    out = capsys.readouterr().out
    assert "hunter2" not in out
    assert "FAIL settings: REDIS_URL=" in out and "fix: set REDIS_URL" in out


def test_help_names_the_subcommand(capsys):
    with pytest.raises(SystemExit) as exit_info:
        preflight.main(["--help"], {})
    assert exit_info.value.code == 0
    assert "mfa-portal check" in capsys.readouterr().out


def test_the_client_secret_is_sent_as_authlib_sends_it():
    client = type("Client", (), {"client_id": CLIENT_ID, "client_secret": "s3cr+t/=:x"})()
    _uri, headers, _body = encode_client_secret_basic(client, "POST", "", {}, "")
    assert preflight.basic_auth(CLIENT_ID, "s3cr+t/=:x") == headers["Authorization"]


# --- discovery and JWKS --------------------------------------------------------------------


def test_discovery_that_is_not_json_fails_naming_the_pool_settings(fake, tmp_path):
    fake.answer(f"/{POOL_ID}/.well-known/openid-configuration", body="<html>hello</html>")
    result = check_of(settings_for(fake.url, tmp_path), "check_discovery")
    assert_fails(result, "COGNITO_REGION", "COGNITO_USER_POOL_ID", "COGNITO_ENDPOINT_URL")


def test_discovery_with_another_issuer_fails(fake, tmp_path):
    fake.discovery(issuer="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other")
    result = check_of(settings_for(fake.url, tmp_path), "check_discovery")
    assert_fails(result, "COGNITO_USER_POOL_ID")
    assert "eu-west-1_Other" in result.detail


def test_discovery_without_a_jwks_uri_fails(fake, tmp_path):
    fake.discovery(jwks_uri="")
    result = check_of(settings_for(fake.url, tmp_path), "check_discovery")
    assert_fails(result, "COGNITO_USER_POOL_ID")
    assert "jwks_uri" in result.detail


def test_unreachable_discovery_names_the_host(tmp_path):
    settings = settings_for("http://127.0.0.1:9", tmp_path)
    result = check_of(settings, "check_discovery")
    assert_fails(result, "COGNITO_ENDPOINT_URL")
    assert "127.0.0.1:9 is unreachable" in result.detail


def test_jwks_without_an_rsa_key_fails(fake, tmp_path):
    fake.discovery()
    fake.answer(f"/{POOL_ID}/.well-known/jwks.json", body={"keys": [{"kty": "EC", "kid": "1"}]})
    result = check_of(settings_for(fake.url, tmp_path), "check_jwks")
    assert_fails(result, "COGNITO_USER_POOL_ID")
    assert "no RSA key" in result.detail


def test_jwks_is_skipped_without_a_discovery_document(fake, tmp_path):
    result = check_of(settings_for(fake.url, tmp_path), "check_jwks")
    assert result.status == "SKIP"


# --- token endpoint and client secret ------------------------------------------------------


def test_a_token_endpoint_that_answers_html_fails(fake, tmp_path):
    fake.discovery()
    fake.answer("/oauth2/token", 404, "<html>no such page</html>")
    settings = settings_for(fake.url, tmp_path)
    assert_fails(check_of(settings, "check_token_endpoint"), "COGNITO_")
    assert check_of(settings, "check_client_secret").status == "SKIP"


def test_the_secret_goes_in_basic_auth_and_invalid_grant_passes(fake, tmp_path):
    fake.discovery()
    fake.answer("/oauth2/token", 400, {"error": "invalid_grant"})
    settings = settings_for(fake.url, tmp_path)
    preflight_ = Preflight(settings, Http(settings))
    assert preflight_.check_token_endpoint().status == "PASS"
    assert preflight_.check_client_secret().status == "PASS"
    (_method, _path, headers), *_ = [r for r in fake.requests if r[1] == "/oauth2/token"]
    assert headers["Authorization"] == preflight.basic_auth(CLIENT_ID, SECRET)


def test_unauthorized_client_says_to_enable_the_code_grant(fake, tmp_path):
    fake.discovery()
    fake.answer("/oauth2/token", 400, {"error": "unauthorized_client"})
    result = check_of(settings_for(fake.url, tmp_path), "check_client_secret")
    assert_fails(result, "authorization code grant")


def test_the_token_endpoint_comes_from_discovery(fake, tmp_path):
    fake.discovery(token_endpoint=f"{fake.url}/elsewhere/token")
    fake.answer("/elsewhere/token", 400, {"error": "invalid_grant"})
    result = check_of(settings_for(fake.url, tmp_path), "check_token_endpoint")
    assert result.status == "PASS"
    assert "/elsewhere/token" in result.detail


# --- the sign-in page (callback URL) -------------------------------------------------------


def test_a_redirect_to_the_error_page_fails_naming_the_callback(fake, tmp_path):
    """Real Cognito redirects an unregistered redirect_uri to its /error page."""
    fake.discovery()
    fake.answer(
        "/oauth2/authorize", 302, Location=f"{fake.url}/error?error=redirect_mismatch&client_id=x"
    )
    result = check_of(settings_for(fake.url, tmp_path), "check_callback_url")
    assert_fails(result, "PORTAL_BASE_URL", "http://portal.test/auth/callback", "callback URLs")
    assert "/error" not in fake.paths()


def test_an_error_sent_to_the_portal_is_read_not_followed(fake, tmp_path):
    fake.discovery()
    fake.answer(
        "/oauth2/authorize",
        302,
        Location="http://portal.test/auth/callback?error=invalid_scope&state=s",
    )
    result = check_of(settings_for(fake.url, tmp_path), "check_callback_url")
    assert_fails(result, "aws.cognito.signin.user.admin")
    assert "invalid_scope" in result.detail


def test_a_redirect_elsewhere_into_the_portal_is_not_followed(fake, tmp_path):
    fake.discovery()
    fake.answer("/oauth2/authorize", 302, Location="http://portal.test/")
    result = check_of(settings_for(fake.url, tmp_path), "check_callback_url")
    assert result.status == "FAIL"
    assert "redirects to http://portal.test/ instead of the sign-in page" in result.detail


def test_the_sign_in_form_itself_passes(fake, tmp_path):
    fake.discovery()
    fake.answer("/oauth2/authorize", 302, Location="/oauth2/next")
    fake.answer("/oauth2/next", body="<html><form method=post></form></html>")
    result = check_of(settings_for(fake.url, tmp_path), "check_callback_url")
    assert result.status == "PASS", result.line()


def test_the_authorize_request_carries_pkce_state_and_the_portal_scopes(fake, tmp_path):
    fake.discovery()
    fake.answer("/oauth2/authorize", 302, Location="/login?x=1")
    settings = settings_for(fake.url, tmp_path)
    seen: list[dict[str, list[str]]] = []
    http = Http(settings)
    http.session.hooks["response"].append(
        lambda r, *a, **k: seen.append(parse_qs(urlsplit(r.url).query))
    )
    assert Preflight(settings, http).check_callback_url().status == "PASS"
    query = next(q for q in seen if "client_id" in q)
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://portal.test/auth/callback"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"] and query["code_challenge"]
    assert query["scope"] == ["openid email phone profile aws.cognito.signin.user.admin"]
    assert "/login" not in fake.paths()


def test_a_sign_out_url_not_registered_fails(fake, tmp_path):
    fake.answer("/logout", 302, Location=f"{fake.url}/error?error=invalid_request")
    result = check_of(settings_for(fake.url, tmp_path), "check_sign_out_url")
    assert_fails(result, "sign-out URLs", "http://portal.test/")


# --- against the stand-in --------------------------------------------------------------------


@pytest.fixture
def stand_in_env(fresh_cognito: LocalCognito, tmp_path: Any) -> dict[str, str]:
    """The seed registers the portal at http://127.0.0.1:8000."""
    return fresh_cognito.portal_env("http://127.0.0.1:8000") | {
        "SECRET_KEY": "unit-test-secret-key-0123456789abcdef",
        "SESSION_DIR": str(tmp_path / "sessions"),
    }


def test_the_stand_in_passes_and_nothing_secret_is_printed(capsys, stand_in_env):
    assert preflight.main([], stand_in_env) == 0
    out = capsys.readouterr().out
    assert stand_in_env["COGNITO_CLIENT_SECRET"] not in out
    assert stand_in_env["SECRET_KEY"] not in out
    statuses = [line.split(" ", 1)[0] for line in out.splitlines()]
    assert statuses == ["PASS"] * 8 + ["SKIP"]
    assert "SKIP user pool, app client: no AWS credentials" in out


def test_a_public_client_passes(capsys, stand_in_env, fresh_cognito):
    env = stand_in_env | {
        "COGNITO_CLIENT_ID": fresh_cognito.public_client_id or "",
        "COGNITO_CLIENT_SECRET": "",
    }
    assert preflight.main([], env) == 0
    assert "PASS client secret: public client (no secret)" in capsys.readouterr().out


def test_no_secret_for_a_client_that_has_one_fails(capsys, stand_in_env):
    assert preflight.main([], stand_in_env | {"COGNITO_CLIENT_SECRET": ""}) == 1
    out = capsys.readouterr().out
    assert "FAIL client secret: the app client needs a secret" in out
    assert "fix: set COGNITO_CLIENT_SECRET" in out


def test_a_wrong_secret_is_not_printed(capsys, stand_in_env):
    assert preflight.main([], stand_in_env | {"COGNITO_CLIENT_SECRET": "wrong-but-private"}) == 1
    out = capsys.readouterr().out
    assert "wrong-but-private" not in out
    assert "FAIL client secret: the token endpoint refuses the client secret" in out


# --- with AWS credentials (Stubber) --------------------------------------------------------


@pytest.fixture
def unit_settings(tmp_path: Any) -> Settings:
    return load_settings(portal_env(tmp_path))


@pytest.fixture
def idp() -> Any:
    return boto3.client(
        "cognito-idp",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def pool(mfa: str = "OPTIONAL", sms: bool = True) -> dict[str, Any]:
    user_pool: dict[str, Any] = {"Id": POOL_ID, "MfaConfiguration": mfa}
    if sms:
        user_pool["SmsConfiguration"] = {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"}
    return {"UserPool": user_pool}


def app_client(**overrides: Any) -> dict[str, Any]:
    settings = {
        "UserPoolId": POOL_ID,
        "ClientId": CLIENT_ID,
        "ClientName": "mfa-portal",
        "ClientSecret": "never-printed-app-client-secret",
        "AllowedOAuthScopes": ["openid", "email", "aws.cognito.signin.user.admin"],
        "CallbackURLs": ["http://portal.test/auth/callback"],
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthFlowsUserPoolClient": True,
        **overrides,
    }
    return {"UserPoolClient": settings}


def stubbed(idp: Any, operation: str, response: dict[str, Any] | None, **error: str) -> Stubber:
    stubber = Stubber(idp)
    if response is None:
        stubber.add_client_error(operation, **error)  # type: ignore[arg-type]
    else:
        stubber.add_response(operation, response)
    stubber.activate()
    return stubber


@pytest.mark.parametrize(
    ("response", "pool_mfa", "status", "text"),
    [
        (pool(), "optional", "PASS", "MfaConfiguration OPTIONAL, SMS configured"),
        (pool("ON"), "required", "PASS", "MfaConfiguration ON"),
        (pool("OFF"), "off", "FAIL", "MFA is OFF"),
        (pool(sms=False), "optional", "FAIL", "no SMS configuration"),
        (pool("ON"), "optional", "FAIL", "set COGNITO_POOL_MFA=required"),
        (pool("OPTIONAL"), "required", "FAIL", "set COGNITO_POOL_MFA=optional"),
        (pool("OFF"), "optional", "FAIL", "set COGNITO_POOL_MFA=off"),
    ],
)
def test_the_user_pool_must_allow_sms_mfa_as_configured(
    idp, unit_settings, response, pool_mfa, status, text
):
    settings = dataclasses.replace(unit_settings, pool_mfa=pool_mfa)
    with stubbed(idp, "describe_user_pool", response):
        result = preflight.check_user_pool(idp, settings)
    assert result.status == status
    assert text in result.line()


def test_an_unknown_pool_fails_naming_the_pool_id(idp, unit_settings):
    with stubbed(idp, "describe_user_pool", None, service_error_code="ResourceNotFoundException"):
        result = preflight.check_user_pool(idp, unit_settings)
    assert_fails(result, "COGNITO_USER_POOL_ID")


def test_credentials_without_permission_skip(idp, unit_settings):
    with stubbed(idp, "describe_user_pool", None, service_error_code="AccessDeniedException"):
        result = preflight.check_user_pool(idp, unit_settings)
    assert result.status == "SKIP"
    assert "AccessDeniedException" in result.detail


def test_a_well_configured_app_client_passes_and_its_secret_is_not_shown(idp, unit_settings):
    with stubbed(idp, "describe_user_pool_client", app_client()):
        result = preflight.check_app_client(idp, unit_settings)
    assert result.status == "PASS", result.line()
    assert "never-printed" not in result.line()


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"AllowedOAuthScopes": ["openid", "email"]}, "aws.cognito.signin.user.admin"),
        ({"AllowedOAuthScopes": ["aws.cognito.signin.user.admin"]}, "scope openid"),
        ({"CallbackURLs": ["https://elsewhere/auth/callback"]}, "http://portal.test/auth/callback"),
        ({"AllowedOAuthFlows": ["implicit"]}, "authorization code grant"),
        ({"AllowedOAuthFlowsUserPoolClient": False}, "authorization code grant"),
    ],
)
def test_app_client_problems_are_named(idp, unit_settings, overrides, problem):
    with stubbed(idp, "describe_user_pool_client", app_client(**overrides)):
        result = preflight.check_app_client(idp, unit_settings)
    assert result.status == "FAIL"
    assert problem in result.detail


def test_an_unknown_app_client_fails_naming_the_client_id(idp, unit_settings):
    with stubbed(
        idp, "describe_user_pool_client", None, service_error_code="ResourceNotFoundException"
    ):
        result = preflight.check_app_client(idp, unit_settings)
    assert_fails(result, "COGNITO_CLIENT_ID")


def test_without_credentials_one_skip_line_says_what_it_would_check(unit_settings):
    (result,) = preflight.aws_results(unit_settings)
    assert result.status == "SKIP"
    assert "DescribeUserPool" in result.detail and "DescribeUserPoolClient" in result.detail


def test_with_credentials_the_signed_client_describes_pool_and_app_client(
    idp, unit_settings, monkeypatch
):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setattr(preflight, "signed_client", lambda settings: idp)
    stubber = Stubber(idp)
    stubber.add_response("describe_user_pool", pool(), {"UserPoolId": POOL_ID})
    stubber.add_response(
        "describe_user_pool_client", app_client(), {"UserPoolId": POOL_ID, "ClientId": CLIENT_ID}
    )
    with stubber:
        results = preflight.aws_results(unit_settings)
    assert [(r.check, r.status) for r in results] == [("user pool", "PASS"), ("app client", "PASS")]
    stubber.assert_no_pending_responses()


def test_the_signed_client_uses_the_endpoint_region_and_timeouts(unit_settings):
    client = preflight.signed_client(unit_settings)
    assert client.meta.endpoint_url == "http://cognito.test"
    assert client.meta.region_name == "us-east-1"
    assert client.meta.config.signature_version is not botocore.UNSIGNED
    assert client.meta.config.connect_timeout == unit_settings.cognito_connect_timeout
    assert client.meta.config.read_timeout == unit_settings.cognito_read_timeout


@pytest.mark.parametrize(
    ("portal", "domain", "endpoint", "status", "text"),
    [
        ("https://account.test", "https://auth.test", "", "PASS", "both https"),
        ("http://portal.test", "http://auth.test", "", "PASS", "development only"),
        ("https://account.test", "http://auth.test", "", "FAIL", "set COGNITO_DOMAIN"),
        (
            "https://account.test",
            "https://auth.test",
            "http://cognito.test",
            "FAIL",
            "set COGNITO_ENDPOINT_URL",
        ),
    ],
)
def test_an_https_portal_needs_https_sign_in(tmp_path, portal, domain, endpoint, status, text):
    env = portal_env(
        tmp_path, PORTAL_BASE_URL=portal, COGNITO_DOMAIN=domain, COGNITO_ENDPOINT_URL=endpoint
    )
    result = preflight.check_https(load_settings(env))
    assert result.status == status
    assert text in result.line()
