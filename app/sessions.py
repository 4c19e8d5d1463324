"""Server-side sessions (backend-for-frontend): the store, its cookie, and what happens when the
store can't be reached.

The browser holds one opaque id; tokens and claims live in Flask-Session's store (a folder on local
disk by default, Redis with ``REDIS_URL``). ``GuardedSessionInterface`` wraps that store using
Flask's public session-interface API only: a store that fails while a request opens its session
gives the request a null session and the portal's 503 page (``SessionStoreError``), and a
request that must not write its session (an error page) says so with ``discard_session()``.
"""

from __future__ import annotations

import redis
from cachelib.file import FileSystemCache
from flask import Flask, Request, g, session
from flask.sessions import SessionInterface, SessionMixin
from flask_session import Session
from werkzeug.wrappers import Response

from .config import Settings

SESSION_KEY_PREFIX = "mfa-portal:session:"

#: How often a signed-in person's session is written back just to record their activity: the
#: idle timeout is then exact to within this many seconds, at any ``SESSION_IDLE_SECONDS``.
SESSION_TOUCH_SECONDS = 5

#: Ended session ids are remembered this long: longer than any request can be in flight, so a
#: request that started before a sign-out can't write the deleted session back when it ends.
ENDED_SESSION_MEMORY_SECONDS = 600
ENDED_KEY_PREFIX = "mfa-portal:ended:"

#: What a failing store raises: Redis' connection errors and timeouts, or a session folder that
#: can't be read or written. Only calls into the store are guarded, so nothing else is mistaken
#: for it.
STORE_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class SessionStoreError(Exception):
    """The session store can't be reached: the portal answers 503 and writes nothing."""


class SessionKeys:
    """The few direct reads and writes of the session store that Flask-Session doesn't offer:
    remembering ended session ids, and deleting a session by id."""

    def __init__(self, store: redis.Redis | None, folder: FileSystemCache | None) -> None:
        self.redis = store
        self.folder = folder

    def mark_ended(self, sid: str) -> None:
        key = ENDED_KEY_PREFIX + sid
        if self.redis is not None:
            self.redis.set(key, 1, ex=ENDED_SESSION_MEMORY_SECONDS)
        elif self.folder is not None:
            self.folder.set(key, 1, timeout=ENDED_SESSION_MEMORY_SECONDS)

    def was_ended(self, sid: str) -> bool:
        key = ENDED_KEY_PREFIX + sid
        if self.redis is not None:
            return bool(self.redis.exists(key))
        return self.folder is not None and self.folder.has(key)

    def delete(self, sid: str) -> None:
        key = SESSION_KEY_PREFIX + sid
        if self.redis is not None:
            self.redis.delete(key)
        elif self.folder is not None:
            self.folder.delete(key)


class GuardedSessionInterface(SessionInterface):
    """Flask-Session's interface, with store failures turned into ``SessionStoreError``, and
    ended sessions that stay ended: a request still in flight when its session was ended (a
    sign-out in another tab) never writes it back."""

    def __init__(self, store: SessionInterface, keys: SessionKeys) -> None:
        self.store = store
        self.keys = keys

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
            self._save_unless_ended(app, session, response)
        except STORE_ERRORS as error:
            raise SessionStoreError from error

    def _save_unless_ended(self, app: Flask, session: SessionMixin, response: Response) -> None:
        sid: str = session.sid  # type: ignore[attr-defined]
        if session and self.keys.was_ended(sid):
            response.delete_cookie(
                self.get_cookie_name(app),
                domain=self.get_cookie_domain(app),
                path=self.get_cookie_path(app),
            )
            return
        self.store.save_session(app, session, response)
        # Ended while this response was being written: the ending request deleted it before we
        # wrote it, and marked it ended before deleting it, so this check can't miss it.
        if session and self.keys.was_ended(sid):
            self.keys.delete(sid)

    def end(self, session: SessionMixin) -> None:
        """Forget this session id for good (sign-out, expiry): call before clearing it."""
        try:
            self.keys.mark_ended(session.sid)  # type: ignore[attr-defined]
        except STORE_ERRORS as error:
            raise SessionStoreError from error

    def regenerate(self, session: SessionMixin) -> None:
        try:
            if session:
                self.keys.mark_ended(session.sid)  # type: ignore[attr-defined]
            self.store.regenerate(session)  # type: ignore[attr-defined]
        except STORE_ERRORS as error:
            raise SessionStoreError from error


def discard_session() -> None:
    """Nothing this request put in its session is written (error pages, a failed store)."""
    g.discard_session = True


def regenerate_session_id(app: Flask) -> None:
    """A new id at sign-in: a session id planted before sign-in is worth nothing after it."""
    app.session_interface.regenerate(session)  # type: ignore[attr-defined]


def mark_session_ended(app: Flask) -> None:
    """This session id is over: no request still in flight may write it back."""
    app.session_interface.end(session)  # type: ignore[attr-defined]


def init_sessions(app: Flask, settings: Settings, store: redis.Redis | None) -> None:
    """Backend-for-frontend sessions: the browser holds only an opaque id."""
    app.config.update(
        SESSION_PERMANENT=True,
        # The store keeps a session a little longer than the idle timeout, which the portal
        # enforces itself from the last activity it recorded (``auth.expire_or_keep_alive``).
        PERMANENT_SESSION_LIFETIME=settings.session_idle_seconds + SESSION_TOUCH_SECONDS,
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
    folder = None
    if store is not None:
        app.config.update(SESSION_TYPE="redis", SESSION_REDIS=store)
    else:
        folder = FileSystemCache(settings.session_dir, threshold=0, mode=0o600)
        app.config.update(SESSION_TYPE="cachelib", SESSION_CACHELIB=folder)
    Session(app)
    app.session_interface = GuardedSessionInterface(
        app.session_interface, SessionKeys(store, folder)
    )

    @app.before_request
    def refuse_without_a_store() -> None:
        error = g.get("session_store_error")
        if error is not None:
            raise SessionStoreError from error
