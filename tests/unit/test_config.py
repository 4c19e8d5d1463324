from __future__ import annotations

import os
import tempfile
from pathlib import Path

import botocore
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from app import create_app
from app.config import ConfigError, Settings, _host, load_settings
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


# --- what an operator reads: each refusal as a whole sentence ------------------------------

MESSAGES = [
    (
        "COGNITO_REGION",
        "eu-west",
        "COGNITO_REGION='eu-west' is malformed: expected an AWS region such as eu-west-1",
    ),
    (
        "COGNITO_USER_POOL_ID",
        "no-underscore",
        (
            "COGNITO_USER_POOL_ID='no-underscore' is malformed: expected a user pool id such as "
            "eu-west-1_AbC123xyz"
        ),
    ),
    (
        "COGNITO_CLIENT_ID",
        "has spaces",
        "COGNITO_CLIENT_ID='has spaces' is malformed: expected the app client id",
    ),
    (
        "PORTAL_BASE_URL",
        "ftp://portal.example",
        (
            "PORTAL_BASE_URL='ftp://portal.example' is malformed: expected the portal's public "
            "URL, e.g. https://account.example.com"
        ),
    ),
    (
        "COGNITO_DOMAIN",
        "https://auth.example/?client_id=x",
        (
            "COGNITO_DOMAIN='https://auth.example/?client_id=x' is malformed: expected the "
            "hosted-UI base URL, e.g. https://auth.example.com"
        ),
    ),
    (
        "COGNITO_ENDPOINT_URL",
        "http://localhost:9229/#a",
        (
            "COGNITO_ENDPOINT_URL='http://localhost:9229/#a' is malformed: expected an http(s) "
            "URL of a Cognito API endpoint"
        ),
    ),
    (
        "COGNITO_CONNECT_TIMEOUT",
        "fast",
        "COGNITO_CONNECT_TIMEOUT='fast' is malformed: expected a number",
    ),
    (
        "COGNITO_CONNECT_TIMEOUT",
        "nan",
        "COGNITO_CONNECT_TIMEOUT='nan' is malformed: expected a finite number",
    ),
    ("COGNITO_READ_TIMEOUT", "0", "COGNITO_READ_TIMEOUT='0' is too small: expected at least 0.1"),
    ("SESSION_IDLE_SECONDS", "59", "SESSION_IDLE_SECONDS='59' is too small: expected at least 60"),
    (
        "SESSION_LIFETIME_SECONDS",
        "299",
        "SESSION_LIFETIME_SECONDS='299' is too small: expected at least 300",
    ),
    ("FRESH_SIGNIN_SECONDS", "0", "FRESH_SIGNIN_SECONDS='0' is too small: expected at least 1"),
    (
        "TOKEN_REFRESH_MARGIN_SECONDS",
        "-1",
        "TOKEN_REFRESH_MARGIN_SECONDS='-1' is too small: expected at least 0",
    ),
    ("COGNITO_MAX_ATTEMPTS", "0", "COGNITO_MAX_ATTEMPTS='0' is too small: expected at least 1"),
    ("TRUSTED_PROXIES", "-1", "TRUSTED_PROXIES='-1' is too small: expected at least 0"),
    (
        "RATE_LIMIT_SIGNIN",
        "10 per fortnight",
        (
            "RATE_LIMIT_SIGNIN='10 per fortnight' is malformed: expected a rate such as '10 per "
            "10 minutes'"
        ),
    ),
    (
        "REDIS_URL",
        "http://redis.example:6379/0",
        "REDIS_URL='http://redis.example:6379/0' is malformed: expected redis://host:port/db",
    ),
    (
        "SECRET_KEY",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "SECRET_KEY is too short: expected at least 32 characters",
    ),
    (
        "LOG_LEVEL",
        "chatty",
        "LOG_LEVEL='CHATTY' is malformed: expected DEBUG, INFO, WARNING or ERROR",
    ),
    (
        "LOG_FORMAT",
        "Pretty",
        (
            "LOG_FORMAT='pretty' is malformed: expected json (one JSON object per line, the "
            "default) or text (one readable line per request, for development)"
        ),
    ),
    (
        "COGNITO_POOL_MFA",
        "Sometimes",
        (
            "COGNITO_POOL_MFA='sometimes' is malformed: expected off, optional or required (the "
            "user pool's MFA setting)"
        ),
    ),
    (
        "PHONE_DEFAULT_REGION",
        "usa",
        (
            "PHONE_DEFAULT_REGION='usa' is malformed: expected a two-letter country code such as "
            "US or GB"
        ),
    ),
    (
        "PHONE_ALLOWED_REGIONS",
        "US,XX,ZZ",
        (
            "PHONE_ALLOWED_REGIONS='US,XX,ZZ' is malformed: XX, ZZ is not a country code; "
            "expected two-letter codes separated by commas, e.g. US,CA"
        ),
    ),
    (
        "PHONE_ALLOWED_REGIONS",
        "GB,FR",
        (
            "PHONE_ALLOWED_REGIONS='GB,FR' leaves out PHONE_DEFAULT_REGION='US': expected it "
            "among them"
        ),
    ),
    (
        "PHONE_ALLOW_VOIP",
        "Sometimes",
        "PHONE_ALLOW_VOIP='sometimes' is malformed: expected true or false",
    ),
    (
        "AUTHENTICATOR_ISSUER",
        "Example: Corp",
        (
            "AUTHENTICATOR_ISSUER='Example: Corp' is malformed: expected a name of at most 64 "
            "characters without ':', e.g. Example Corp"
        ),
    ),
    (
        "SECRET_KEY",
        " ",
        "SECRET_KEY is not set: expected a long random string (e.g. 64 hex characters)",
    ),
]


@pytest.mark.parametrize(("name", "value", "message"), MESSAGES)
def test_each_refusal_names_the_variable_and_what_it_expects(tmp_path, name, value, message):
    with pytest.raises(ConfigError) as raised:
        load_settings(portal_env(tmp_path, **{name: value}))
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("SECRET_KEY", "a long random string (e.g. 64 hex characters)"),
        ("PORTAL_BASE_URL", "the portal's public URL, e.g. https://account.example.com"),
        ("COGNITO_DOMAIN", "the hosted-UI base URL, e.g. https://auth.example.com"),
        ("COGNITO_REGION", "an AWS region such as eu-west-1"),
        ("COGNITO_USER_POOL_ID", "a user pool id such as eu-west-1_AbC123xyz"),
        ("COGNITO_CLIENT_ID", "the app client id"),
    ],
)
def test_a_missing_variable_says_what_to_set_it_to(tmp_path, name, what):
    env = portal_env(tmp_path)
    del env[name]
    with pytest.raises(ConfigError) as raised:
        load_settings(env)
    assert str(raised.value) == f"{name} is not set: expected {what}"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECRET_KEY", "x" * 32),
        ("PORTAL_BASE_URL", "http://portal.test:8000"),
        ("COGNITO_REGION", "us-gov-west-1"),
        ("COGNITO_USER_POOL_ID", "eu-west-1_AbC123xyz"),
        ("COGNITO_CLIENT_ID", "a" * 128),
        ("SESSION_IDLE_SECONDS", "60"),
        ("SESSION_LIFETIME_SECONDS", "300"),
        ("FRESH_SIGNIN_SECONDS", "1"),
        ("TOKEN_REFRESH_MARGIN_SECONDS", "0"),
        ("COGNITO_CONNECT_TIMEOUT", "0.1"),
        ("COGNITO_READ_TIMEOUT", "0.1"),
        ("COGNITO_MAX_ATTEMPTS", "1"),
        ("TRUSTED_PROXIES", "0"),
        ("REDIS_URL", "unix:///run/redis.sock"),
        ("REDIS_URL", "redis://cache:6379/0"),
        ("AUTHENTICATOR_ISSUER", "x" * 64),
        ("LOG_LEVEL", "warning"),
        ("LOG_LEVEL", "ERROR"),
        ("LOG_FORMAT", " TEXT "),
        ("COGNITO_POOL_MFA", "Required"),
        ("COGNITO_POOL_MFA", "off"),
    ],
)
def test_the_edge_of_each_accepted_range_is_accepted(tmp_path, name, value):
    load_settings(portal_env(tmp_path, **{name: value}))


@pytest.mark.parametrize(
    ("raw", "allowed"),
    [
        *((raw, True) for raw in ("1", "true", "yes", "on", " TRUE ", "Yes")),
        *((raw, False) for raw in ("0", "false", "no", "off", "OFF")),
    ],
)
def test_a_flag_reads_the_usual_words_for_yes_and_no(tmp_path, raw, allowed):
    assert load_settings(portal_env(tmp_path, PHONE_ALLOW_VOIP=raw)).phone_allow_voip is allowed


def test_every_value_is_read_from_its_own_variable(tmp_path):
    settings = load_settings(
        portal_env(
            tmp_path,
            COGNITO_REGION="eu-west-1",
            COGNITO_USER_POOL_ID="eu-west-1_AbC123xyz",
            COGNITO_CLIENT_ID="client123",
            COGNITO_CLIENT_SECRET=" s3cret ",
            COGNITO_DOMAIN="https://auth.example.com/",
            COGNITO_ENDPOINT_URL="http://127.0.0.1:9229/",
            PORTAL_BASE_URL="https://account.example.com",
            REDIS_URL=" redis://cache:6379/1 ",
            SESSION_DIR=" /var/lib/portal ",
            SESSION_IDLE_SECONDS="61",
            SESSION_LIFETIME_SECONDS="301",
            FRESH_SIGNIN_SECONDS="2",
            TOKEN_REFRESH_MARGIN_SECONDS="3",
            COGNITO_CONNECT_TIMEOUT="0.2",
            COGNITO_READ_TIMEOUT="0.3",
            COGNITO_MAX_ATTEMPTS="4",
            TRUSTED_PROXIES="2",
            RATE_LIMIT_CHANGES=" 1 per minute ",
            RATE_LIMIT_SIGNIN="2 per minute",
            RATE_LIMIT_CODES="3 per minute",
            RATE_LIMIT_TEXTS_PER_NUMBER="4 per minute",
            RATE_LIMIT_TEXTS_GLOBAL="5 per minute",
            PHONE_DEFAULT_REGION=" GB ",
            PHONE_ALLOWED_REGIONS="gb,ie",
            PHONE_ALLOW_VOIP="on",
            SUPPORT_CONTACT=" help@example.com ",
            LOG_LEVEL=" warning ",
            LOG_FORMAT="text",
            COGNITO_POOL_MFA=" OFF ",
            AUTHENTICATOR_ISSUER=" Example Corp ",
            STATUS_CACHE_SECONDS="21",
        )
    )
    assert settings == Settings(
        region="eu-west-1",
        user_pool_id="eu-west-1_AbC123xyz",
        client_id="client123",
        client_secret="s3cret",
        hosted_ui_url="https://auth.example.com",
        endpoint_url="http://127.0.0.1:9229",
        public_base_url="https://account.example.com",
        secret_key="unit-test-secret-key-0123456789abcdef",
        redis_url="redis://cache:6379/1",
        session_dir="/var/lib/portal",
        session_idle_seconds=61,
        session_lifetime_seconds=301,
        fresh_signin_seconds=2,
        token_refresh_margin_seconds=3,
        cognito_connect_timeout=0.2,
        cognito_read_timeout=0.3,
        cognito_max_attempts=4,
        trusted_proxies=2,
        rate_limit_changes="1 per minute",
        rate_limit_signin="2 per minute",
        rate_limit_codes="3 per minute",
        rate_limit_texts_per_number="4 per minute",
        rate_limit_texts_global="5 per minute",
        phone_default_region="GB",
        phone_allowed_regions=frozenset({"GB", "IE"}),
        phone_allow_voip=True,
        support_contact="help@example.com",
        log_level="WARNING",
        log_format="text",
        pool_mfa="off",
        authenticator_issuer="Example Corp",
        status_cache_seconds=21,
    )


def test_the_minimal_environment_takes_every_default(tmp_path, monkeypatch):
    """Only the required variables, read from the process environment itself."""
    env = portal_env(tmp_path)
    for name in ("COGNITO_MAX_ATTEMPTS", "SESSION_DIR", "COGNITO_ENDPOINT_URL"):
        del env[name]
    env.pop("STATUS_CACHE_SECONDS", None)
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert load_settings() == Settings(
        region="us-east-1",
        user_pool_id="us-east-1_UnitPool",
        client_id=env["COGNITO_CLIENT_ID"],
        client_secret=None,
        hosted_ui_url="http://cognito.test",
        endpoint_url=None,
        public_base_url="http://portal.test",
        secret_key=env["SECRET_KEY"],
        session_dir=str(Path(tempfile.gettempdir()) / "mfa-portal-sessions"),
        authenticator_issuer="portal.test",
    )
    assert Settings.__dataclass_fields__["pool_mfa"].default == "optional"


def test_the_issuer_falls_back_to_the_whole_url_when_it_has_no_host_name():
    assert _host("https://account.example.com:8443/x") == "account.example.com"
    assert _host("not a url") == "not a url"


def test_a_base_url_keeps_its_path_whole_without_the_trailing_slash(tmp_path):
    env = portal_env(tmp_path, PORTAL_BASE_URL="https://intranet.example.com/SECURITY-BOX/")
    settings = load_settings(env)
    assert settings.public_base_url == "https://intranet.example.com/SECURITY-BOX"
    assert settings.callback_url == "https://intranet.example.com/SECURITY-BOX/auth/callback"
