"""Server-side sessions (backend-for-frontend): the store, its cookie, and what happens when the
store can't be reached.

The browser holds one opaque id; tokens and claims live in Flask-Session's store (a folder on local
disk by default, Redis with ``REDIS_URL``). ``GuardedSessionInterface`` wraps that store using
Flask's public session-interface API only: a store that fails while a request opens its session
gives the request a null session and the portal's 503 page (``SessionStoreError``), and a
request that must not write its session (an error page) says so with ``discard_session()``.
"""

from __future__ import annotations

import time

import redis
from cachelib.file import FileSystemCache
from flask import Flask, Request, g, session
from flask.sessions import SessionInterface, SessionMixin
from flask_session import Session
from werkzeug.wrappers import Response

from .config import Settings

SESSION_KEY_PREFIX = "mfa-portal:session:"

#: How often a signed-in person's session is written back just to extend its idle timeout.
SESSION_TOUCH_SECONDS = 60

#: What a failing store raises: Redis' connection errors and timeouts, or a session folder that
#: can't be read or written. Only calls into the store are guarded, so nothing else is mistaken
#: for it.
STORE_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class SessionStoreError(Exception):
    """The session store can't be reached: the portal answers 503 and writes nothing."""


class GuardedSessionInterface(SessionInterface):
    """Flask-Session's interface, with store failures turned into ``SessionStoreError``."""

    def __init__(self, store: SessionInterface) -> None:
        self.store = store

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        try:
            return self.store.open_session(app, request)
        except STORE_ERRORS as error:
            g.session_store_error = error  # raised by ``refuse_without_a_store``
            return self.make_null_session(app)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if self.is_null_session(session) or g.get("discard_session"):
            return
        try:
            self.store.save_session(app, session, response)
        except STORE_ERRORS as error:
            raise SessionStoreError from error

    def regenerate(self, session: SessionMixin) -> None:
        try:
            self.store.regenerate(session)  # type: ignore[attr-defined]
        except STORE_ERRORS as error:
            raise SessionStoreError from error


def discard_session() -> None:
    """Nothing this request put in its session is written (error pages, a failed store)."""
    g.discard_session = True


def regenerate_session_id(app: Flask) -> None:
    """A new id at sign-in: a session id planted before sign-in is worth nothing after it."""
    app.session_interface.regenerate(session)  # type: ignore[attr-defined]


def init_sessions(app: Flask, settings: Settings, store: redis.Redis | None) -> None:
    """Backend-for-frontend sessions: the browser holds only an opaque id."""
    app.config.update(
        SESSION_PERMANENT=True,
        PERMANENT_SESSION_LIFETIME=settings.session_idle_seconds,
        # The idle timeout is extended by ``keep_session_alive`` instead: at most once a minute.
        SESSION_REFRESH_EACH_REQUEST=False,
        SESSION_KEY_PREFIX=SESSION_KEY_PREFIX,
        SESSION_COOKIE_NAME="__Host-mfa_portal" if settings.https else "mfa_portal",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=settings.https,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_DOMAIN=None,
        SESSION_SERIALIZATION_FORMAT="json",
    )
    if store is not None:
        app.config.update(SESSION_TYPE="redis", SESSION_REDIS=store)
    else:
        app.config.update(
            SESSION_TYPE="cachelib",
            SESSION_CACHELIB=FileSystemCache(settings.session_dir, threshold=0, mode=0o600),
        )
    Session(app)
    app.session_interface = GuardedSessionInterface(app.session_interface)

    @app.before_request
    def refuse_without_a_store() -> None:
        error = g.get("session_store_error")
        if error is not None:
            raise SessionStoreError from error

    @app.before_request
    def keep_session_alive() -> None:
        """Slide a signed-in session's idle timeout, writing it back at most once a minute.

        Refreshing on every request would write the whole session to the store (and send a new
        cookie) on every page view; this way the idle timeout is exact to within a minute.
        """
        if "user" in session:
            now = int(time.time())
            if now - session.get("seen_at", 0) >= SESSION_TOUCH_SECONDS:
                session["seen_at"] = now
