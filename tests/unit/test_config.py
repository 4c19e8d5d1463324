from __future__ import annotations

import botocore
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from app import create_app
from app.config import ConfigError, load_settings
from tests.support.unit import ACCESS_TOKEN, StreamBody, get_user_response, portal_env

REQUIRED = (
    "SECRET_KEY",
    "PORTAL_BASE_URL",
    "COGNITO_DOMAIN",
    "COGNITO_REGION",
    "COGNITO_USER_POOL_ID",
    "COGNITO_CLIENT_ID",
)


@pytest.mark.parametrize("name", REQUIRED)
def test_missing_required_variable_is_named(tmp_path, name):
    env = portal_env(tmp_path)
    del env[name]
    with pytest.raises(ConfigError, match=name):
        load_settings(env)


@pytest.mark.parametrize("name", REQUIRED)
def test_blank_required_variable_counts_as_missing(tmp_path, name):
    with pytest.raises(ConfigError, match=f"{name} is not set"):
        load_settings(portal_env(tmp_path, **{name: "   "}))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("COGNITO_REGION", "EU-WEST-1"),
        ("COGNITO_REGION", "eu-west"),
        ("COGNITO_USER_POOL_ID", "no-underscore"),
        ("COGNITO_USER_POOL_ID", "us-east-1_bad/char"),
        ("COGNITO_CLIENT_ID", "has spaces"),
        ("PORTAL_BASE_URL", "https://portal.example/?x=1"),
        ("PORTAL_BASE_URL", "https://portal.example/#top"),
        ("PORTAL_BASE_URL", "portal.example"),
        ("PORTAL_BASE_URL", "ftp://portal.example"),
        ("COGNITO_DOMAIN", "https://auth.example/?client_id=x"),
        ("COGNITO_ENDPOINT_URL", "http://localhost:9229/?a=b"),
        ("COGNITO_CONNECT_TIMEOUT", "fast"),
        ("COGNITO_CONNECT_TIMEOUT", "nan"),
        ("COGNITO_READ_TIMEOUT", "inf"),
        ("COGNITO_READ_TIMEOUT", "0"),
        ("COGNITO_MAX_ATTEMPTS", "1.5"),
        ("SESSION_IDLE_SECONDS", "ten"),
        ("SESSION_IDLE_SECONDS", "5"),
        ("TRUSTED_PROXIES", "-1"),
        ("RATE_LIMIT_CHANGES", "lots"),
        ("RATE_LIMIT_SIGNIN", "10 per fortnight"),
        ("RATE_LIMIT_CODES", "many per minute"),
        ("REDIS_URL", "http://redis.example:6379/0"),
        ("REDIS_URL", "localhost:6379"),
        ("SECRET_KEY", "too-short"),
        ("LOG_LEVEL", "chatty"),
        ("LOG_FORMAT", "pretty"),
        ("PHONE_DEFAULT_REGION", "usa"),
        ("PHONE_ALLOWED_REGIONS", "US,XX"),
        ("PHONE_ALLOWED_REGIONS", "USA"),
        ("PHONE_ALLOWED_REGIONS", "GB,FR"),  # leaves out the default region, US
        ("PHONE_ALLOW_VOIP", "sometimes"),
        ("RATE_LIMIT_TEXTS_PER_NUMBER", "ten a day"),
        ("RATE_LIMIT_TEXTS_GLOBAL", "1000 per eon"),
        ("AUTHENTICATOR_ISSUER", "Example: Corp"),
        ("AUTHENTICATOR_ISSUER", "x" * 65),
        ("AUTHENTICATOR_ISSUER", "tab\there"),
    ],
)
def test_malformed_value_is_named(tmp_path, name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings(portal_env(tmp_path, **{name: value}))


def test_malformed_value_message_does_not_echo_the_secret_key(tmp_path):
    with pytest.raises(ConfigError) as raised:
        load_settings(portal_env(tmp_path, SECRET_KEY="short-secret"))
    assert "short-secret" not in str(raised.value)


def test_defaults(tmp_path):
    env = portal_env(tmp_path)
    for name in ("COGNITO_MAX_ATTEMPTS", "SESSION_DIR", "COGNITO_ENDPOINT_URL"):
        del env[name]
    settings = load_settings(env)
    assert settings.client_secret is None
    assert settings.endpoint_url is None
    assert settings.redis_url is None
    assert settings.session_dir.endswith("mfa-portal-sessions")
    assert settings.session_idle_seconds == 1800
    assert settings.session_lifetime_seconds == 43200
    assert settings.fresh_signin_seconds == 300
    assert settings.token_refresh_margin_seconds == 120
    assert settings.cognito_connect_timeout == 2.0
    assert settings.cognito_read_timeout == 5.0
    assert settings.cognito_max_attempts == 3
    assert settings.trusted_proxies == 0
    assert settings.rate_limit_changes == "10 per 10 minutes"
    assert settings.rate_limit_signin == "30 per minute"
    assert settings.rate_limit_codes == "5 per 10 minutes"
    assert settings.rate_limit_texts_per_number == "10 per day"
    assert settings.rate_limit_texts_global == "1000 per hour"
    assert settings.phone_default_region == "US"
    assert settings.phone_allowed_regions == frozenset()
    assert settings.phone_allow_voip is False
    assert settings.log_level == "INFO"
    assert settings.authenticator_issuer == "portal.test"
    assert settings.log_format == "json"


def test_authenticator_issuer_defaults_to_the_portal_host_without_its_port(tmp_path):
    env = portal_env(tmp_path, PORTAL_BASE_URL="https://account.example.com:8443")
    assert load_settings(env).authenticator_issuer == "account.example.com"
    named = portal_env(tmp_path, AUTHENTICATOR_ISSUER="  Example Corp ")
    assert load_settings(named).authenticator_issuer == "Example Corp"


def test_blank_optional_values_take_their_defaults(tmp_path):
    settings = load_settings(
        portal_env(
            tmp_path,
            COGNITO_CLIENT_SECRET="",
            COGNITO_READ_TIMEOUT=" ",
            PHONE_DEFAULT_REGION="",
            LOG_LEVEL="",
        )
    )
    assert settings.client_secret is None
    assert settings.cognito_read_timeout == 5.0
    assert settings.phone_default_region == "US"
    assert settings.log_level == "INFO"


def test_values_are_parsed(tmp_path):
    settings = load_settings(
        portal_env(
            tmp_path,
            COGNITO_CLIENT_SECRET="s3cret",
            COGNITO_CONNECT_TIMEOUT="0.5",
            SESSION_IDLE_SECONDS="600",
            REDIS_URL="rediss://cache.example:6380/2",
            LOG_LEVEL="debug",
            PORTAL_BASE_URL="https://account.example.com/",
            PHONE_DEFAULT_REGION="CA",
            PHONE_ALLOWED_REGIONS=" us, CA ,",
            PHONE_ALLOW_VOIP="yes",
        )
    )
    assert settings.phone_allowed_regions == frozenset({"US", "CA"})
    assert settings.phone_allow_voip is True
    assert settings.client_secret == "s3cret"
    assert settings.cognito_connect_timeout == 0.5
    assert settings.session_idle_seconds == 600
    assert settings.redis_url == "rediss://cache.example:6380/2"
    assert settings.log_level == "DEBUG"
    assert settings.public_base_url == "https://account.example.com"
    assert settings.callback_url == "https://account.example.com/auth/callback"
    assert settings.signed_out_url == "https://account.example.com/"


@pytest.mark.parametrize(
    ("url", "https"),
    [("https://account.example.com", True), ("http://portal.test", False)],
)
def test_https_detection(tmp_path, url, https):
    assert load_settings(portal_env(tmp_path, PORTAL_BASE_URL=url)).https is https


def test_derived_urls_for_real_cognito(tmp_path):
    env = portal_env(tmp_path, COGNITO_REGION="eu-west-1", COGNITO_USER_POOL_ID="eu-west-1_AbC123")
    del env["COGNITO_ENDPOINT_URL"]
    settings = load_settings(env)
    assert settings.api_endpoint == "https://cognito-idp.eu-west-1.amazonaws.com"
    assert settings.issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    assert settings.discovery_url == (
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
        "/.well-known/openid-configuration"
    )


def test_derived_urls_with_endpoint_override(tmp_path):
    settings = load_settings(
        portal_env(
            tmp_path,
            COGNITO_ENDPOINT_URL="http://localhost:9229/",
            COGNITO_DOMAIN="http://localhost:9229/hosted/",
        )
    )
    assert settings.api_endpoint == "http://localhost:9229"
    assert settings.issuer == "http://localhost:9229/us-east-1_UnitPool"
    assert settings.discovery_url == (
        "http://localhost:9229/us-east-1_UnitPool/.well-known/openid-configuration"
    )
    assert settings.hosted_ui_url == "http://localhost:9229/hosted"
    assert settings.hosted_ui_origin == "http://localhost:9229"


@pytest.fixture
def no_aws_credentials(tmp_path, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "missing-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "missing-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)


def test_portal_needs_no_aws_credentials(tmp_path, no_aws_credentials):
    app = create_app(load_settings(portal_env(tmp_path)))
    service = app.extensions["mfa_portal.cognito"]
    assert service.client.meta.config.signature_version is botocore.UNSIGNED
    with Stubber(service.client) as stub:
        stub.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
        status = service.get_mfa_status(ACCESS_TOKEN)
        stub.assert_no_pending_responses()
    assert status.username == "alice"


def test_request_is_sent_unsigned_without_credentials(tmp_path, no_aws_credentials):
    """Past the Stubber: the request is built and signed for real, then answered locally."""
    app = create_app(load_settings(portal_env(tmp_path)))
    client = app.extensions["mfa_portal.cognito"].client
    sent = []

    def answer(request, **_kwargs):
        sent.append(request)
        body = b'{"Username": "alice", "UserAttributes": []}'
        return AWSResponse(request.url, 200, {"x-amzn-requestid": "req-1"}, StreamBody(body))

    client.meta.events.register("before-send.cognito-idp.GetUser", answer)
    status = app.extensions["mfa_portal.cognito"].get_mfa_status(ACCESS_TOKEN)
    assert status.username == "alice"
    assert "Authorization" not in sent[0].headers
    assert sent[0].url.startswith("http://cognito.test")


def _without_mutmut_copies(source):
    """The source as written: under `mutmut run` (docs/testing.md) the file also holds every
    mutant as a numbered copy of its function, whose altered names are no settings."""
    import ast
    import re

    lines = source.splitlines(keepends=True)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and re.search(r"__mutmut_\d+$", node.name):
            for index in range(node.lineno - 1, node.end_lineno):
                lines[index] = "\n"
    return "".join(lines)


def test_every_setting_is_documented_in_the_readme_and_env_example():
    """A setting nobody can find is a setting nobody sets (e.g. the texts budgets)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    source = _without_mutmut_copies((root / "app" / "config.py").read_text())
    names = set(re.findall(r'env(?:\.get)?\(\s*"([A-Z][A-Z0-9_]+)"', source))
    names |= set(re.findall(r'_\w+\(\s*env,\s*"([A-Z][A-Z0-9_]+)"', source))
    names |= set(re.findall(r'"(PHONE_[A-Z_]+)"', source))
    assert {"RATE_LIMIT_TEXTS_GLOBAL", "PHONE_ALLOWED_REGIONS", "PHONE_ALLOW_VOIP"} <= names
    readme = (root / "README.md").read_text()
    env_example = (root / ".env.example").read_text()
    assert not [name for name in sorted(names) if f"`{name}`" not in readme]
    assert not [name for name in sorted(names) if f"{name}=" not in env_example]


def test_log_format_text_is_for_people(tmp_path):
    assert load_settings(portal_env(tmp_path, LOG_FORMAT=" Text ")).log_format == "text"
