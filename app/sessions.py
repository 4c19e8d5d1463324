"""Server-side sessions (backend-for-frontend): the store, its cookie, and what happens when the
store can't be reached.

The browser holds one opaque id; tokens and claims live in Flask-Session's store (a folder on local
disk by default, Redis with ``REDIS_URL``). ``GuardedSessionInterface`` wraps that store using
Flask's public session-interface API only: a store that fails while a request opens its session
gives the request a null session and the portal's 503 page (``SessionStoreError``), a request
that must not write its session (an error page) says so with ``discard_session()``, and a session
that was ended (sign-out, expiry) is never written back by a request that was still running.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import threading
import time
from collections.abc import Callable
from pathlib import Path

import redis
from cachelib.file import FileSystemCache
from flask import Flask, Request, g, session
from flask.sessions import SessionInterface, SessionMixin
from flask_session import Session
from werkzeug.wrappers import Response

from . import metrics
from .config import Settings

log = logging.getLogger(__name__)

SESSION_KEY_PREFIX = "mfa-portal:session:"

#: How often a signed-in person's session is written back just to record their activity: the
#: idle timeout is then exact to within this many seconds, at any ``SESSION_IDLE_SECONDS``.
SESSION_TOUCH_SECONDS = 5

#: Ended session ids are remembered this long, closing the moment in which a request that read a
#: session could write it back just as a sign-out deletes it. (A request that ends later still
#: finds its session gone from the store, and doesn't write it back either.)
ENDED_SESSION_MEMORY_SECONDS = 600
ENDED_KEY_PREFIX = "mfa-portal:ended:"

#: What a failing store raises: Redis' connection errors and timeouts, or a session folder that
#: can't be read or written. Only calls into the store are guarded, so nothing else is mistaken
#: for it.
STORE_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class SessionStoreError(Exception):
    """The session store can't be reached: the portal answers 503 and writes nothing."""


def counted(error: Exception) -> Exception:
    """A failure of the store, counted by its kind (``mfa_portal_session_store_errors_total``)."""
    if isinstance(error, redis.exceptions.TimeoutError):
        kind = "timeout"
    elif isinstance(error, redis.exceptions.ConnectionError):
        kind = "connection"
    else:
        kind = "io"  # the session folder (or a socket) refused
    metrics.session_store_error(kind)
    return error


#: The disk store is swept at most this often per worker process, in the background.
SWEEP_INTERVAL_SECONDS = 60
#: At most this many files are removed by one sweep: bounded work, whatever piled up.
SWEEP_BATCH = 500
#: A session that never signed in (a sign-in started and abandoned) is kept this long.
PENDING_SIGN_IN_SECONDS = 600


class DiskSessionSweeper:
    """Deletes expired sessions from the local-disk store and revokes their refresh tokens.

    cachelib's ``FileSystemCache`` only forgets an expired entry when asked for it, so a session
    nobody comes back to would stay on disk for good, refresh token and all. A session file is
    written at least every ``SESSION_TOUCH_SECONDS`` while its person is active, so a file older
    than the idle timeout (plus that) belongs to an expired session; one holding no signed-in
    person (an abandoned sign-in, an ended-session marker) goes after ``PENDING_SIGN_IN_SECONDS``.
    """

    def __init__(
        self, folder: SessionFolder, idle_seconds: int, revoke: Callable[[str], object]
    ) -> None:
        self.folder = folder
        self.path = Path(folder.path)
        self.signed_in_expiry = idle_seconds + SESSION_TOUCH_SECONDS
        self.revoke = revoke
        self._next_sweep = 0.0
        self._lock = threading.Lock()

    def maybe_sweep(self) -> None:
        """Start a sweep in the background if none ran for a while (cheap when not due)."""
        now = time.monotonic()
        if now < self._next_sweep or not self._lock.acquire(blocking=False):
            return
        self._next_sweep = now + SWEEP_INTERVAL_SECONDS
        threading.Thread(target=self._sweep_then_release, name="session-sweep", daemon=True).start()

    def _sweep_then_release(self) -> None:
        try:
            self.sweep()
        except Exception:
            metrics.session_store_error("sweep")
            log.exception("session sweep failed", extra={"event": "session_sweep"})
        finally:
            self._lock.release()

    def sweep(self, now: float | None = None) -> int:
        """Remove up to ``SWEEP_BATCH`` expired session files; return how many went."""
        now = time.time() if now is None else now
        removed = 0
        for entry in os.scandir(self.path):
            if removed >= SWEEP_BATCH:
                break
            if entry.name.startswith("__") or not entry.is_file():
                continue  # cachelib's own file count
            age = now - entry.stat().st_mtime
            if age <= min(self.signed_in_expiry, PENDING_SIGN_IN_SECONDS):
                continue
            data = self._read(entry.path)
            signed_in = isinstance(data, dict) and "user" in data
            if age <= (self.signed_in_expiry if signed_in else PENDING_SIGN_IN_SECONDS):
                continue
            if signed_in:
                self._revoke(data)
            with contextlib.suppress(FileNotFoundError):
                os.remove(entry.path)
            removed += 1
        if removed:
            log.info("expired sessions removed", extra={"event": "session_sweep", "count": removed})
        return removed

    def _read(self, path: str) -> object:
        try:
            with open(path, "rb") as stream:
                stream.read(4)  # cachelib's expiry stamp; the age of the file is what counts
                return self.folder.serializer.load(stream)
        except (OSError, EOFError, ValueError, pickle.UnpicklingError):
            return None

    def _revoke(self, data: dict) -> None:
        refresh_token = (data.get("tokens") or {}).get("refresh_token")
        if refresh_token:
            self.revoke(refresh_token)


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
        return self._has(ENDED_KEY_PREFIX + sid)

    def exists(self, sid: str) -> bool:
        return self._has(SESSION_KEY_PREFIX + sid)

    def delete(self, sid: str) -> None:
        key = SESSION_KEY_PREFIX + sid
        if self.redis is not None:
            self.redis.delete(key)
        elif self.folder is not None:
            self.folder.delete(key)

    def _has(self, key: str) -> bool:
        if self.redis is not None:
            return bool(self.redis.exists(key))
        return self.folder is not None and self.folder.has(key)


def folder_usable(path: str) -> bool:
    """Whether the local-disk session store's folder exists and can be read and written."""
    return os.path.isdir(path) and os.access(path, os.R_OK | os.W_OK | os.X_OK)


class SessionFolder(FileSystemCache):
    """cachelib's folder store, made to say when it fails and to keep sessions until the portal
    ends them.

    cachelib logs a warning and carries on when the folder can't be read or written, so a broken
    folder would look like a person who isn't signed in (and a sign-out would seem to work while
    the session stays on disk); here such failures raise ``OSError``, which the session interface
    turns into the portal's 503 page. Sessions get no expiry of cachelib's: cachelib would drop an
    expired one silently on the next read, refresh token unrevoked. The portal ends idle and old
    sessions itself (revoking the token), and ``DiskSessionSweeper`` those nobody comes back to.
    """

    def __init__(self, path: str) -> None:
        super().__init__(path, threshold=0, mode=0o600)
        self.path = path

    def _check_folder(self) -> None:
        if not folder_usable(self.path):
            raise OSError(f"the session folder {self.path} can't be read and written")

    def get(self, key: str) -> object:
        self._check_folder()
        return super().get(key)

    def set(
        self, key: str, value: object, timeout: object = None, mgmt_element: bool = False
    ) -> bool:
        if key.startswith(SESSION_KEY_PREFIX):
            timeout = 0
        if not super().set(key, value, timeout, mgmt_element):  # type: ignore[arg-type]
            raise OSError(f"the session folder {self.path} can't be written")
        return True

    def delete(self, key: str, mgmt_element: bool = False) -> bool:
        if not super().delete(key, mgmt_element):
            raise OSError(f"the session folder {self.path} can't be written")
        return True


class GuardedSessionInterface(SessionInterface):
    """Flask-Session's interface, with store failures turned into ``SessionStoreError``, and
    ended sessions that stay ended: a request still in flight when its session was ended (a
    sign-out in another tab) never writes it back."""

    def __init__(self, store: SessionInterface, keys: SessionKeys) -> None:
        self.store = store
        self.keys = keys

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        try:
            session = self.store.open_session(app, request)
        except STORE_ERRORS as error:
            g.session_store_error = counted(error)  # raised by ``refuse_without_a_store``
            return self.make_null_session(app)
        if session:
            g.session_loaded_sid = session.sid  # type: ignore[union-attr]
        return session

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if self.is_null_session(session) or g.get("discard_session"):
            return
        try:
            self._save_unless_ended(app, session, response)
        except STORE_ERRORS as error:
            raise SessionStoreError from counted(error)

    def _save_unless_ended(self, app: Flask, session: SessionMixin, response: Response) -> None:
        sid: str = session.sid  # type: ignore[attr-defined]
        if session and (self.keys.was_ended(sid) or self._deleted_meanwhile(sid)):
            # Neither written nor its cookie touched: the browser may hold the cookie of the
            # session that replaced this one by now (a sign-in in another tab), and the dead id
            # it may still send is worth nothing (an unknown id opens a fresh session).
            return
        self.store.save_session(app, session, response)
        # Ended while this response was being written: the ending request deleted it before we
        # wrote it, and marked it ended before deleting it, so this check can't miss it.
        if session and self.keys.was_ended(sid):
            self.keys.delete(sid)

    def _deleted_meanwhile(self, sid: str) -> bool:
        """This request read the session from the store, and it is gone now (signed out or
        expired while the request ran, however long it ran): it is never written back."""
        return g.get("session_loaded_sid") == sid and not self.keys.exists(sid)

    def end(self, session: SessionMixin) -> None:
        """Forget this session id for good (sign-out, expiry): call before clearing it."""
        try:
            self.keys.mark_ended(session.sid)  # type: ignore[attr-defined]
        except STORE_ERRORS as error:
            raise SessionStoreError from counted(error)

    def regenerate(self, session: SessionMixin) -> None:
        try:
            if session:
                self.keys.mark_ended(session.sid)  # type: ignore[attr-defined]
            self.store.regenerate(session)  # type: ignore[attr-defined]
        except STORE_ERRORS as error:
            raise SessionStoreError from counted(error)


def discard_session() -> None:
    """Nothing this request put in its session is written (error pages, a failed store)."""
    g.discard_session = True


def regenerate_session_id(app: Flask) -> None:
    """A new id at sign-in: a session id planted before sign-in is worth nothing after it."""
    app.session_interface.regenerate(session)  # type: ignore[attr-defined]


def mark_session_ended(app: Flask) -> None:
    """This session id is over: no request still in flight may write it back."""
    app.session_interface.end(session)  # type: ignore[attr-defined]


def init_sessions(
    app: Flask,
    settings: Settings,
    store: redis.Redis | None,
    revoke_refresh_token: Callable[[str], object],
) -> None:
    """Backend-for-frontend sessions: the browser holds only an opaque id. With Redis, a session
    nobody comes back to vanishes with its key's TTL; on disk, ``DiskSessionSweeper`` removes it
    and revokes its refresh token."""
    app.config.update(
        SESSION_PERMANENT=True,
        # The store keeps a session a little longer than the idle timeout, which the portal
        # enforces itself from the last activity it recorded
        # (``session_lifecycle.expire_or_keep_alive``).
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
        folder = SessionFolder(settings.session_dir)
        app.config.update(SESSION_TYPE="cachelib", SESSION_CACHELIB=folder)
    Session(app)
    app.session_interface = GuardedSessionInterface(
        app.session_interface, SessionKeys(store, folder)
    )
    if folder is not None:
        sweeper = DiskSessionSweeper(folder, settings.session_idle_seconds, revoke_refresh_token)
        app.extensions["mfa_portal.session_sweeper"] = sweeper
        app.before_request(sweeper.maybe_sweep)

    @app.before_request
    def refuse_without_a_store() -> None:
        error = g.get("session_store_error")
        if error is not None:
            raise SessionStoreError from error
