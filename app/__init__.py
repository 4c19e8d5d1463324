"""The SMS-MFA self-service portal for Amazon Cognito user pools."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import auth, authenticator, mfa, pages, phone
from .cognito import CognitoService
from .config import Settings, load_settings
from .extensions import signed_in_user
from .forms import csrf_field
from .health import ProbeDispatcher, create_probe_app, probe_paths
from .metrics import init_request_metrics
from .notices import action_link
from .observability import configure_logging, init_request_logging, log_unexpected_error
from .pacing import build_pacer
from .security import (
    TrustedHostGuard,
    init_headers,
    init_origin_check,
    init_proxy,
    init_rate_limits,
    redis_client,
)
from .sessions import SessionStoreError, init_sessions
from .status_cache import StatusCache, init_status_cache, note_cognito_write

PACKAGE_DIR = Path(__file__).resolve().parent
csrf = CSRFProtect()

#: The most a form post may carry; anything larger is refused with a 413 page.
MAX_BODY_BYTES = 16 * 1024


def resource_path(name: str) -> Path:
    """Where ``templates``, ``static`` or ``gunicorn.conf.py`` is: inside the package once
    installed from a wheel (which carries them there), beside it in the source tree."""
    packaged = PACKAGE_DIR / name
    return packaged if packaged.exists() else PACKAGE_DIR.parent / name


#: Names this machine answers to itself: always trusted, so that a portal configured for one of
#: them is reachable under the others (the demo's http://127.0.0.1:8000 as localhost:8000).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def trusted_hosts(settings: Settings) -> list[str]:
    configured = urlsplit(settings.public_base_url).hostname or ""
    return [configured, *(host for host in LOOPBACK_HOSTS if host != configured)]


class Portal(Flask):
    def log_exception(
        self, exc_info: tuple[type[BaseException], BaseException, TracebackType] | tuple[None, ...]
    ) -> None:
        """Unhandled exceptions get the ``unexpected_error`` event, except a session store that
        failed while the session was saved: its 503 page logs its own event."""
        if not isinstance(exc_info[1], SessionStoreError):
            log_unexpected_error(exc_info)


def create_app(settings: Settings | None = None) -> Flask:
    """The application factory. Settings default to the environment, validated once here."""
    settings = settings or load_settings()
    configure_logging(settings.log_level, settings.log_format)
    app = Portal(
        __name__,
        template_folder=str(resource_path("templates")),
        static_folder=str(resource_path("static")),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_BODY_BYTES,
        # The origin check is ``security.init_origin_check``: one that browsers satisfy.
        WTF_CSRF_SSL_STRICT=False,
        PREFERRED_URL_SCHEME="https" if settings.https else "http",
    )
    store = redis_client(settings)
    cognito = CognitoService(settings, build_pacer(settings, store), note_cognito_write)
    app.extensions["mfa_portal.settings"] = settings
    app.extensions["mfa_portal.cognito"] = cognito
    app.extensions["mfa_portal.redis"] = store

    probes = create_probe_app(settings, store)
    for each in (app, probes):
        init_request_logging(each)
        init_request_metrics(each)
        init_headers(each, settings)
    portal_only = TrustedHostGuard(app.wsgi_app, trusted_hosts(settings))
    app.wsgi_app = ProbeDispatcher(  # type: ignore[method-assign]
        portal_only, probes.wsgi_app, probe_paths(settings)
    )
    init_proxy(app, settings)
    init_sessions(app, settings, store, cognito.revoke_refresh_token_quietly)
    init_rate_limits(app, settings)
    init_origin_check(app, settings)
    csrf.init_app(app)
    init_status_cache(
        app,
        StatusCache(
            settings.status_cache_seconds, store, mark_seconds=settings.session_lifetime_seconds
        ),
    )
    auth.init_auth(app, settings)
    app.register_blueprint(mfa.bp)
    app.register_blueprint(phone.bp)
    app.register_blueprint(authenticator.bp)
    app.register_blueprint(pages.bp)
    pages.register_error_pages(app)

    @app.context_processor
    def layout_context() -> dict[str, object]:
        return {
            "current_user": signed_in_user,
            "action_link": action_link,
            "pending_change_here": auth.pending_change_here,
            "csrf_field": csrf_field,
        }

    return app
