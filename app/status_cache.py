"""A person's MFA status, remembered for a few seconds so a page view needn't read it again.

Cognito's ``UserRead`` quota (GetUser) is shared by every app in the account; a person who
reloads the MFA page, or comes back to it after a change, would spend one call each time. So the
status read for a page is kept for ``STATUS_CACHE_SECONDS`` (default 20), keyed by the person's
``sub``: in Redis with ``REDIS_URL`` (every worker and instance sees the same entry and the same
invalidation), else in this process (which is then the only worker).

**What staleness this allows, and why it is safe.** Within the window the page may show a status
that changed *elsewhere* (an administrator, another app, Cognito's console) up to that many
seconds ago. It never decides anything from it: turning SMS MFA on reads the status afresh (the
verified-number check), and every change is made by Cognito with the person's own token, which
refuses what is no longer allowed. The person's *own* changes never leave it stale: a change the
portal made replaces the entry with the state it knows it set, and any other POST by the person
(phone number, authenticator app, sign-out) drops it, succeeded or not (``init_status_cache``).
A revoked token is noticed at the next call, at most one window later.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict

import redis
from flask import Flask, Response, current_app, g, request

from .cognito import MfaStatus
from .extensions import signed_in_user

log = logging.getLogger(__name__)

REDIS_KEY_PREFIX = "mfa-portal-status"
#: The most entries a process keeps without Redis; the oldest goes first.
LOCAL_ENTRIES = 10_000
_STORE_ERRORS = (redis.exceptions.RedisError, OSError)


class StatusCache:
    """``get`` / ``put`` / ``forget`` a person's status by ``sub``, each entry for ``window`` s."""

    def __init__(
        self,
        window: int,
        store: redis.Redis | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self._store = store
        self._clock = clock
        self._local: OrderedDict[str, tuple[float, MfaStatus]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.window > 0

    def get(self, sub: str) -> MfaStatus | None:
        if not self.enabled:
            return None
        if self._store is not None:
            try:
                raw = self._store.get(_key(sub))
            except _STORE_ERRORS:
                return None
            return MfaStatus(**json.loads(raw)) if raw else None
        with self._lock:
            entry = self._local.get(sub)
            if entry is None or entry[0] <= self._clock():
                return None
            return entry[1]

    def put(self, sub: str, status: MfaStatus) -> None:
        if not self.enabled:
            return
        if self._store is not None:
            try:
                self._store.set(_key(sub), json.dumps(asdict(status)), ex=self.window)
            except _STORE_ERRORS:
                self.forget(sub)
            return
        with self._lock:
            self._local[sub] = (self._clock() + self.window, status)
            self._local.move_to_end(sub)
            while len(self._local) > LOCAL_ENTRIES:
                self._local.popitem(last=False)

    def forget(self, sub: str) -> None:
        if self._store is not None:
            try:
                self._store.delete(_key(sub))
            except _STORE_ERRORS:
                log.warning(
                    "status cache entry not dropped: Redis unreachable",
                    extra={"event": "status_cache_error"},
                )
            return
        with self._lock:
            self._local.pop(sub, None)


def _key(sub: str) -> str:
    return f"{REDIS_KEY_PREFIX}:{sub}"


def status_cache() -> StatusCache:
    return current_app.extensions["mfa_portal.status_cache"]


def remembered_status() -> MfaStatus | None:
    """The signed-in person's status read within the window, if any."""
    person = signed_in_user()
    return status_cache().get(person.sub) if person else None


def remember_status(status: MfaStatus) -> None:
    """Keep ``status`` as the signed-in person's (what was read, or what a change set)."""
    person = signed_in_user()
    if person:
        status_cache().put(person.sub, status)
        g.status_remembered = True


def keep_status() -> None:
    """This POST changed nothing (e.g. it only asked to confirm): keep the status shown."""
    g.status_remembered = True


def forget_status() -> None:
    person = signed_in_user()
    if person:
        status_cache().forget(person.sub)


def init_status_cache(app: Flask, cache: StatusCache) -> None:
    """Install ``cache``; any POST by a signed-in person that didn't say what it set drops it."""
    app.extensions["mfa_portal.status_cache"] = cache

    @app.after_request
    def forget_after_other_changes(response: Response) -> Response:
        if request.method == "POST" and not g.get("status_remembered"):
            forget_status()
        return response
