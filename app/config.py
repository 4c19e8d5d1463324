"""Settings read once from the environment and validated at start-up.

A missing or malformed value stops start-up with one line that names the variable and what it
expects (``ConfigError``). Nothing else in the portal reads ``os.environ``.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

REQUIRED_SCOPE = "aws.cognito.signin.user.admin"
OAUTH_SCOPES = ("openid", "email", "phone", "profile", REQUIRED_SCOPE)
#: The user pool's MFA configuration as COGNITO_POOL_MFA names it (Cognito: OFF, OPTIONAL, ON).
POOL_MFA_MODES = ("off", "optional", "required")
#: ``json``: one JSON object per line (production); ``text``: one readable line per request.
LOG_FORMATS = ("json", "text")

_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_POOL_ID = re.compile(r"^[\w-]+_[0-9a-zA-Z]+$")
_CLIENT_ID = re.compile(r"^[\w+]{1,128}$")
_PHONE_REGION = re.compile(r"^[A-Z]{2}$")
#: What an authenticator app shows above the account's codes: printable, no ":" (which separates
#: issuer and account in an ``otpauth://`` label), at most 64 characters.
_ISSUER = re.compile(r"^[^:\x00-\x1f\x7f]{1,64}$")
#: A bearer token as an ``Authorization`` header carries it (RFC 6750's ``b64token``).
_TOKEN = re.compile(r"^[A-Za-z0-9._~+/-]+=*$")
METRICS_TOKEN_MIN_LENGTH = 32


T = TypeVar("T", int, float)


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    region: str
    user_pool_id: str
    client_id: str
    client_secret: str | None
    hosted_ui_url: str
    endpoint_url: str | None
    public_base_url: str
    secret_key: str
    redis_url: str | None = None
    session_dir: str = ""
    session_idle_seconds: int = 1800
    session_lifetime_seconds: int = 43200
    fresh_signin_seconds: int = 300
    token_refresh_margin_seconds: int = 120
    cognito_connect_timeout: float = 2.0
    cognito_read_timeout: float = 5.0
    cognito_max_attempts: int = 3
    #: Calls per second the portal allows itself in each Cognito quota category (0: not paced);
    #: the defaults are about half the documented quotas (UserRead 120, UserUpdate 25,
    #: UserAccountRecovery 30), which every app in the AWS account and Region shares.
    cognito_rate_user_read: float = 60.0
    cognito_rate_user_update: float = 12.0
    cognito_rate_account_recovery: float = 15.0
    #: How long a request may wait for its place in a quota category before the busy notice.
    cognito_quota_wait_seconds: float = 2.0
    #: How long a person's MFA status, once read, is shown without reading it again (0: always).
    status_cache_seconds: int = 20
    trusted_proxies: int = 0
    rate_limit_changes: str = "10 per 10 minutes"
    rate_limit_signin: str = "30 per minute"
    rate_limit_codes: str = "5 per 10 minutes"
    rate_limit_texts_per_number: str = "10 per day"
    rate_limit_texts_global: str = "1000 per hour"
    rate_limit_status_reads: str = "60 per minute"
    phone_default_region: str = "US"
    #: Countries whose numbers may be texted; empty: every country.
    phone_allowed_regions: frozenset[str] = frozenset()
    phone_allow_voip: bool = False
    support_contact: str = ""
    log_level: str = "INFO"
    log_format: str = "json"
    pool_mfa: str = "optional"
    authenticator_issuer: str = "Account security"
    #: ``/metrics`` answers only ``Authorization: Bearer`` this; unset, it is not there (404).
    metrics_token: str | None = field(default=None, repr=False)

    @property
    def https(self) -> bool:
        return self.public_base_url.startswith("https://")

    @property
    def api_endpoint(self) -> str:
        return self.endpoint_url or f"https://cognito-idp.{self.region}.amazonaws.com"

    @property
    def issuer(self) -> str:
        return f"{self.api_endpoint}/{self.user_pool_id}"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def hosted_ui_origin(self) -> str:
        parts = urlsplit(self.hosted_ui_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def callback_url(self) -> str:
        return f"{self.public_base_url}/auth/callback"

    @property
    def signed_out_url(self) -> str:
        return f"{self.public_base_url}/"


def _required(env: Mapping[str, str], name: str, what: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set: expected {what}")
    return value


def _optional(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _matching(env: Mapping[str, str], name: str, pattern: re.Pattern[str], what: str) -> str:
    value = _required(env, name, what)
    if not pattern.match(value):
        raise ConfigError(f"{name}={value!r} is malformed: expected {what}")
    return value


def _base_url(env: Mapping[str, str], name: str, what: str, *, required: bool = True) -> str | None:
    value = _required(env, name, what) if required else _optional(env, name)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"{name}={value!r} is malformed: expected {what}")
    return value.rstrip("/")


def _number(
    env: Mapping[str, str], name: str, default: T, cast: Callable[[str], T], minimum: T
) -> T:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = cast(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is malformed: expected a number") from None
    if not math.isfinite(value):
        raise ConfigError(f"{name}={raw!r} is malformed: expected a finite number")
    if value < minimum:
        raise ConfigError(f"{name}={raw!r} is too small: expected at least {minimum}")
    return value


def _rate(env: Mapping[str, str], name: str, default: str) -> str:
    from limits import parse_many

    value = env.get(name, "").strip() or default
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(
            f"{name}={value!r} is malformed: expected a rate such as '10 per 10 minutes'"
        ) from None
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} is malformed: expected true or false")


def _phone_regions(env: Mapping[str, str], default_region: str) -> frozenset[str]:
    """``PHONE_ALLOWED_REGIONS=US,CA``: codes phonenumbers knows, the default region among them."""
    from phonenumbers import SUPPORTED_REGIONS

    raw = env.get("PHONE_ALLOWED_REGIONS", "").strip()
    regions = frozenset(code.strip().upper() for code in raw.split(",") if code.strip())
    unknown = sorted(code for code in regions if code not in SUPPORTED_REGIONS)
    if unknown:
        raise ConfigError(
            f"PHONE_ALLOWED_REGIONS={raw!r} is malformed: {', '.join(unknown)} "
            "is not a country code; expected two-letter codes separated by commas, e.g. US,CA"
        )
    if regions and default_region not in regions:
        raise ConfigError(
            f"PHONE_ALLOWED_REGIONS={raw!r} leaves out PHONE_DEFAULT_REGION={default_region!r}: "
            "expected it among them"
        )
    return regions


def _metrics_token(env: Mapping[str, str]) -> str | None:
    """Never echoed in an error: the value is a secret."""
    token = _optional(env, "METRICS_TOKEN")
    if token is None:
        return None
    if not _TOKEN.match(token):
        raise ConfigError(
            "METRICS_TOKEN is malformed: expected letters, digits and - . _ ~ + / only, "
            "e.g. from: openssl rand -hex 32"
        )
    if len(token) < METRICS_TOKEN_MIN_LENGTH:
        raise ConfigError(
            f"METRICS_TOKEN is too short: expected at least {METRICS_TOKEN_MIN_LENGTH} characters"
        )
    return token


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every setting; raise ``ConfigError`` on the first bad one."""
    env = os.environ if env is None else env
    secret_key = _required(env, "SECRET_KEY", "a long random string (e.g. 64 hex characters)")
    if len(secret_key) < 32:
        raise ConfigError("SECRET_KEY is too short: expected at least 32 characters")
    public_base_url = _base_url(
        env, "PORTAL_BASE_URL", "the portal's public URL, e.g. https://account.example.com"
    )
    assert public_base_url is not None
    hosted_ui_url = _base_url(
        env, "COGNITO_DOMAIN", "the hosted-UI base URL, e.g. https://auth.example.com"
    )
    assert hosted_ui_url is not None
    log_level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(
            f"LOG_LEVEL={log_level!r} is malformed: expected DEBUG, INFO, WARNING or ERROR"
        )
    log_format = env.get("LOG_FORMAT", "").strip().lower() or "json"
    if log_format not in LOG_FORMATS:
        raise ConfigError(
            f"LOG_FORMAT={log_format!r} is malformed: expected json (one JSON object per line, "
            "the default) or text (one readable line per request, for development)"
        )
    pool_mfa = env.get("COGNITO_POOL_MFA", "").strip().lower() or "optional"
    if pool_mfa not in POOL_MFA_MODES:
        raise ConfigError(
            f"COGNITO_POOL_MFA={pool_mfa!r} is malformed: expected off, optional or required "
            "(the user pool's MFA setting)"
        )
    phone_default_region = _matching(
        {"PHONE_DEFAULT_REGION": env.get("PHONE_DEFAULT_REGION", "").strip() or "US"},
        "PHONE_DEFAULT_REGION",
        _PHONE_REGION,
        "a two-letter country code such as US or GB",
    )
    issuer = env.get("AUTHENTICATOR_ISSUER", "").strip() or _host(public_base_url)
    if not _ISSUER.match(issuer):
        raise ConfigError(
            f"AUTHENTICATOR_ISSUER={issuer!r} is malformed: expected a name of at most 64 "
            "characters without ':', e.g. Example Corp"
        )
    redis_url = _optional(env, "REDIS_URL")
    if redis_url and urlsplit(redis_url).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"REDIS_URL={redis_url!r} is malformed: expected redis://host:port/db")
    return Settings(
        region=_matching(env, "COGNITO_REGION", _REGION, "an AWS region such as eu-west-1"),
        user_pool_id=_matching(
            env, "COGNITO_USER_POOL_ID", _POOL_ID, "a user pool id such as eu-west-1_AbC123xyz"
        ),
        client_id=_matching(env, "COGNITO_CLIENT_ID", _CLIENT_ID, "the app client id"),
        client_secret=_optional(env, "COGNITO_CLIENT_SECRET"),
        hosted_ui_url=hosted_ui_url,
        endpoint_url=_base_url(
            env, "COGNITO_ENDPOINT_URL", "an http(s) URL of a Cognito API endpoint", required=False
        ),
        public_base_url=public_base_url,
        secret_key=secret_key,
        redis_url=redis_url,
        session_dir=_optional(env, "SESSION_DIR")
        or str(Path(tempfile.gettempdir()) / "mfa-portal-sessions"),
        session_idle_seconds=_number(env, "SESSION_IDLE_SECONDS", 1800, int, 60),
        session_lifetime_seconds=_number(env, "SESSION_LIFETIME_SECONDS", 43200, int, 300),
        fresh_signin_seconds=_number(env, "FRESH_SIGNIN_SECONDS", 300, int, 1),
        token_refresh_margin_seconds=_number(env, "TOKEN_REFRESH_MARGIN_SECONDS", 120, int, 0),
        cognito_connect_timeout=_number(env, "COGNITO_CONNECT_TIMEOUT", 2.0, float, 0.1),
        cognito_read_timeout=_number(env, "COGNITO_READ_TIMEOUT", 5.0, float, 0.1),
        cognito_max_attempts=_number(env, "COGNITO_MAX_ATTEMPTS", 3, int, 1),
        cognito_rate_user_read=_number(env, "COGNITO_RATE_USER_READ", 60.0, float, 0.0),
        cognito_rate_user_update=_number(env, "COGNITO_RATE_USER_UPDATE", 12.0, float, 0.0),
        cognito_rate_account_recovery=_number(
            env, "COGNITO_RATE_ACCOUNT_RECOVERY", 15.0, float, 0.0
        ),
        cognito_quota_wait_seconds=_number(env, "COGNITO_QUOTA_WAIT_SECONDS", 2.0, float, 0.0),
        status_cache_seconds=_number(env, "STATUS_CACHE_SECONDS", 20, int, 0),
        trusted_proxies=_number(env, "TRUSTED_PROXIES", 0, int, 0),
        rate_limit_changes=_rate(env, "RATE_LIMIT_CHANGES", "10 per 10 minutes"),
        rate_limit_signin=_rate(env, "RATE_LIMIT_SIGNIN", "30 per minute"),
        rate_limit_codes=_rate(env, "RATE_LIMIT_CODES", "5 per 10 minutes"),
        rate_limit_texts_per_number=_rate(env, "RATE_LIMIT_TEXTS_PER_NUMBER", "10 per day"),
        rate_limit_texts_global=_rate(env, "RATE_LIMIT_TEXTS_GLOBAL", "1000 per hour"),
        rate_limit_status_reads=_rate(env, "RATE_LIMIT_STATUS_READS", "60 per minute"),
        phone_default_region=phone_default_region,
        phone_allowed_regions=_phone_regions(env, phone_default_region),
        phone_allow_voip=_flag(env, "PHONE_ALLOW_VOIP", False),
        support_contact=env.get("SUPPORT_CONTACT", "").strip(),
        log_level=log_level,
        log_format=log_format,
        pool_mfa=pool_mfa,
        authenticator_issuer=issuer,
        metrics_token=_metrics_token(env),
    )


def _host(url: str) -> str:
    """The host name of a URL, without a port: the default issuer shown in authenticator apps."""
    return urlsplit(url).hostname or url
