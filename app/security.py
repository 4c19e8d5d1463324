"""Response headers, the origin check, rate limits, trusted proxies and safe redirect targets."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import redis
from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.sansio.utils import host_is_trusted

from .config import Settings
from .extensions import settings as portal_settings
from .extensions import signed_in_user

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

DEFAULT_NEXT = "/settings/mfa"

limiter = Limiter(key_func=get_remote_address, default_limits=[])


def redis_client(settings: Settings) -> redis.Redis | None:
    """One connection pool per process, with short timeouts so an outage fails fast."""
    if not settings.redis_url:
        return None
    return redis.Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=1.0,
        socket_timeout=2.0,
        health_check_interval=15,
        retry_on_timeout=False,
    )


def user_or_address() -> str:
    person = signed_in_user()
    return f"user:{person.sub}" if person and person.sub else f"addr:{get_remote_address()}"


#: Per-user budgets, each shared by every route that spends it: changes (SMS MFA on or off,
#: code checks) and texts sent (a new number, a new code), which cost money.
limit_changes = limiter.shared_limit(
    lambda: portal_settings().rate_limit_changes,
    "changes",
    key_func=user_or_address,
    methods=["POST"],
)
limit_texts = limiter.shared_limit(
    lambda: portal_settings().rate_limit_codes,
    "texts",
    key_func=user_or_address,
    methods=["POST"],
    deduct_when=lambda _response: False,  # checked here, spent by budgets.spend_texts
)


def init_rate_limits(app: Flask, settings: Settings) -> None:
    app.config.update(
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": 1, "socket_timeout": 2}
        if settings.redis_url
        else {},
        RATELIMIT_KEY_PREFIX="mfa-portal-limits",
        RATELIMIT_STRATEGY="moving-window",
        RATELIMIT_HEADERS_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
    )
    limiter.init_app(app)


def init_proxy(app: Flask, settings: Settings) -> None:
    """Trust ``X-Forwarded-*`` only from the configured number of proxies (0: not at all)."""
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]


class TrustedHostGuard:
    """WSGI: a request for a Host the portal isn't (after the trusted proxies' ``X-Forwarded-Host``)
    is a plain 400 before the app sees it, so nothing the portal builds (a redirect that merges
    slashes, say) can point at a host a client made up. Probes are mounted outside it: load
    balancers probe by address."""

    def __init__(self, app: WSGIApplication, hosts: list[str]) -> None:
        self.app = app
        self.hosts = hosts

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        if host_is_trusted(host, self.hosts):
            return self.app(environ, start_response)
        body = b"Unknown host: this address doesn't serve the portal.\n"
        start_response(
            "400 Bad Request",
            [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("X-Content-Type-Options", "nosniff"),
                ("Cache-Control", "no-store"),
            ],
        )
        return [body]


def content_security_policy(settings: Settings) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            "font-src 'self'",
            "connect-src 'self'",
            # Sign-out posts here and is redirected on to the hosted UI's /logout.
            f"form-action 'self' {settings.hosted_ui_origin}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        )
    )


PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)


#: The answers whose ``Retry-After`` means something to the person: refused for a while, or busy.
RETRY_AFTER_STATUSES = frozenset({429, 503})


def init_headers(app: Flask, settings: Settings) -> None:
    csp = content_security_policy(settings)

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers["Content-Security-Policy"] = csp
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        # Same-origin requests keep their Referer (an https POST needs an origin to check); no
        # other site ever sees a URL of the portal, not even the callback's code.
        headers["Referrer-Policy"] = "same-origin"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Cross-Origin-Resource-Policy"] = "same-origin"
        headers["Permissions-Policy"] = PERMISSIONS_POLICY
        if settings.https:
            headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        if request.path.startswith("/static/") and response.status_code == 200:
            headers["Cache-Control"] = "public, max-age=3600"
        else:
            headers["Cache-Control"] = "no-store"
        if response.status_code not in RETRY_AFTER_STATUSES:
            # Flask-Limiter adds one to every answer of a limited route (the budget's reset):
            # on a change that went through it says "wait 600 s" beside "done".
            headers.pop("Retry-After", None)
        return response


#: Methods that change something: each needs the CSRF token and a request from the portal's origin.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: What the portal's own forms send (no body at all is a form without fields).
FORM_TYPES = frozenset({"", "application/x-www-form-urlencoded", "multipart/form-data"})
#: ``Sec-Fetch-Site`` values a form of the portal itself can send (``none``: the person's own
#: navigation, such as a bookmark; no other site can cause it).
OWN_FETCH_SITES = frozenset({"same-origin", "none"})


def init_origin_check(app: Flask, settings: Settings) -> None:
    """Refuse a state-changing request that a browser says came from another site.

    Runs before Flask-WTF's token check, which still applies to every POST. Browsers satisfy it
    over http and https alike: modern ones send ``Sec-Fetch-Site`` and ``Origin`` on every POST;
    for a client that sends neither, an https request needs a same-origin ``Referer`` (which
    ``Referrer-Policy: same-origin`` keeps), as Flask-WTF's strict mode did.
    """
    portal_origin = origin_of(settings.public_base_url)

    @app.before_request
    def check_same_origin() -> None:
        if request.method not in UNSAFE_METHODS:
            return
        reason = cross_origin_reason(portal_origin)
        if reason:
            raise CSRFError(reason)
        if request.mimetype not in FORM_TYPES:
            # Only HTML forms post here: a JSON body would reach the forms as data of any type.
            raise UnsupportedMediaType()


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def cross_origin_reason(portal_origin: str) -> str | None:
    """Why this request is not from the portal's own pages, or None when it is."""
    own = {portal_origin, f"{request.scheme}://{request.host}".lower()}
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return None if fetch_site in OWN_FETCH_SITES else f"Sec-Fetch-Site is {fetch_site!r}"
    origin = request.headers.get("Origin")
    if origin is not None:
        return None if origin.lower() in own else f"Origin {origin!r} is not the portal's"
    if not request.is_secure:
        return None
    referrer = request.headers.get("Referer")
    if not referrer:
        return "no Origin, Sec-Fetch-Site or Referer on an https request"
    if origin_of(referrer) not in own:
        return "the Referer is another site"
    return None


_UNSAFE = re.compile(r"[\x00-\x1f\x7f\\]")


def safe_next(target: str | None, default: str = DEFAULT_NEXT) -> str:
    """Only a same-site path: ``//evil``, ``/\\evil``, schemes and encoded variants fall back."""
    if not target:
        return default
    decoded = target
    for _ in range(3):
        decoded = unquote(decoded)
    for candidate in (target, decoded):
        if not candidate.startswith("/") or candidate.startswith("//") or _UNSAFE.search(candidate):
            return default
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return default
    return target
