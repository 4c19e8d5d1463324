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
portal made replaces the entry with the state it knows it set, and any other request that asked
Cognito for a change (phone number, authenticator app) drops it, succeeded or not
(``init_status_cache``). Entries are written only if nothing dropped them since the read they
come from (a *generation* per person), so a slow change in one tab can't undo another tab's.
"Sign out of all devices" also marks the person: sessions signed in before it get no entry, so
each meets Cognito (and its revoked token) at its next page. A token revoked outside the portal
is noticed at the next call, at most one window later.

Cache misses are budgeted per person (``RATE_LIMIT_STATUS_READS``): past it the page says busy
rather than spend the account's shared ``UserRead`` quota on one person's reloads.
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
from flask import Flask, Response, current_app, g, has_request_context, session
from limits import parse

from .cognito import MfaStatus
from .extensions import settings, signed_in_user
from .security import limiter

log = logging.getLogger(__name__)

REDIS_KEY_PREFIX = "mfa-portal-status"
#: The most entries a process keeps without Redis; the oldest goes first.
LOCAL_ENTRIES = 10_000
#: How long a person's generation and "signed out everywhere" mark are kept by default: the
#: longest a session lives (``SESSION_LIFETIME_SECONDS``, which ``create_app`` passes).
MARK_SECONDS = 43200
_STORE_ERRORS = (redis.exceptions.RedisError, OSError)

# KEYS: the entry, the person's generation. ARGV: the generation the status was read under, the
# entry (JSON), the window. Writes only if nothing dropped the entry since that read.
_PUT_IF_CURRENT = """
if tonumber(redis.call('GET', KEYS[2]) or '0') ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"""


class StatusCache:
    """A person's status by ``sub``, each entry for ``window`` seconds; see the module's text."""

    def __init__(
        self,
        window: int,
        store: redis.Redis | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        mark_seconds: int = MARK_SECONDS,
    ) -> None:
        self.window = window
        self.mark_seconds = mark_seconds
        self._store = store
        self._clock = clock
        self._wall_clock = wall_clock
        self._put_if_current = store.register_script(_PUT_IF_CURRENT) if store else None
        self._local: OrderedDict[str, tuple[float, MfaStatus]] = OrderedDict()
        self._generations: dict[str, int] = {}
        self._signed_out: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.window > 0

    def get(self, sub: str, signed_in_at: float = 0.0) -> MfaStatus | None:
        """The entry, unless the session (signed in at ``signed_in_at``) predates "sign out of
        all devices"."""
        if not self.enabled:
            return None
        if self._store is not None:
            try:
                raw, signed_out = self._store.mget(_key(sub), _key(sub, "signed-out"))
            except _STORE_ERRORS:
                return None
            if not raw or (signed_out and signed_in_at <= float(signed_out)):
                return None
            return MfaStatus(**json.loads(raw))
        with self._lock:
            if signed_in_at <= self._signed_out.get(sub, -1.0):
                return None
            entry = self._local.get(sub)
            if entry is None or entry[0] <= self._clock():
                return None
            return entry[1]

    def generation(self, sub: str) -> int:
        """How many times the person's entry was dropped: read it before reading the status."""
        if not self.enabled:
            return 0  # nothing is written: no need to ask Redis
        if self._store is not None:
            try:
                return int(self._store.get(_key(sub, "generation")) or 0)
            except _STORE_ERRORS:
                return -1  # matches nothing: nothing is written while Redis is away
        with self._lock:
            return self._generations.get(sub, 0)

    def put(self, sub: str, status: MfaStatus, generation: int) -> None:
        """Keep ``status``, read (or set) under ``generation``, unless dropped since."""
        if not self.enabled:
            return
        if self._put_if_current is not None:
            entry = json.dumps(asdict(status))
            try:
                self._put_if_current(
                    keys=[_key(sub), _key(sub, "generation")],
                    args=[generation, entry, self.window],
                )
            except _STORE_ERRORS:
                self.forget(sub)
            return
        with self._lock:
            if self._generations.get(sub, 0) != generation:
                return
            self._local[sub] = (self._clock() + self.window, status)
            self._local.move_to_end(sub)
            while len(self._local) > LOCAL_ENTRIES:
                self._local.popitem(last=False)

    def forget(self, sub: str) -> None:
        """Drop the entry, and make any status read before now unwritable."""
        if self._store is not None:
            try:
                with self._store.pipeline() as pipe:
                    pipe.delete(_key(sub))
                    pipe.incr(_key(sub, "generation"))
                    pipe.expire(_key(sub, "generation"), self.mark_seconds)
                    pipe.execute()
            except _STORE_ERRORS:
                log.warning(
                    "status cache entry not dropped: Redis unreachable",
                    extra={"event": "status_cache_error"},
                )
            return
        with self._lock:
            self._local.pop(sub, None)
            self._generations[sub] = self._generations.get(sub, 0) + 1

    def signed_out_everywhere(self, sub: str) -> None:
        """No entry for sessions signed in until now: each asks Cognito at its next page."""
        now = self._wall_clock()
        if self._store is not None:
            try:
                self._store.set(_key(sub, "signed-out"), now, ex=self.mark_seconds)
            except _STORE_ERRORS:
                log.warning(
                    "sign-out mark not kept: Redis unreachable",
                    extra={"event": "status_cache_error"},
                )
        else:
            with self._lock:
                self._signed_out[sub] = now
        self.forget(sub)


def _key(sub: str, what: str = "") -> str:
    return f"{REDIS_KEY_PREFIX}:{what + ':' if what else ''}{sub}"


def status_cache() -> StatusCache:
    return current_app.extensions["mfa_portal.status_cache"]


def remembered_status() -> MfaStatus | None:
    """The signed-in person's status read within the window, if any."""
    person = signed_in_user()
    if not person:
        return None
    return status_cache().get(person.sub, float(session.get("signed_in_at", 0)))


def status_generation() -> int:
    """The person's generation, to read before reading (or changing) their status."""
    person = signed_in_user()
    return status_cache().generation(person.sub) if person else -1


def remember_status(status: MfaStatus, generation: int) -> None:
    """Keep ``status`` as the signed-in person's (what was read, or what a change set), unless
    their entry was dropped since ``generation`` was read."""
    person = signed_in_user()
    if person:
        status_cache().put(person.sub, status, generation)
        g.status_remembered = True


def keep_status() -> None:
    """This request changed nothing at Cognito: keep the status shown."""
    g.status_remembered = True


def forget_status() -> None:
    person = signed_in_user()
    if person:
        status_cache().forget(person.sub)


def spend_status_read() -> float | None:
    """Take one of the person's status reads (``RATE_LIMIT_STATUS_READS``): None when taken,
    else the seconds until one is free again."""
    person = signed_in_user()
    if not person or not status_cache().enabled:
        # Without the cache every page view is a read by the operator's choice: nothing to
        # budget against (and no Redis round trip per page).
        return None
    budget = parse(settings().rate_limit_status_reads)
    keys = ("mfa-portal-limits", "status-reads", person.sub)
    try:
        if limiter.limiter.hit(budget, *keys):
            return None
        return max(1.0, limiter.limiter.get_window_stats(budget, *keys).reset_time - time.time())
    except Exception:  # the limiter's store is away: the session store reports that outage
        return None


def signed_out_everywhere() -> None:
    """After GlobalSignOut: the person's other sessions get no entry (they meet Cognito)."""
    person = signed_in_user()
    if person:
        status_cache().signed_out_everywhere(person.sub)


def note_cognito_write(operation: str) -> None:
    """Called by the service layer before a call that may change the person at Cognito."""
    if has_request_context():  # not the CLI's checks
        g.cognito_write = operation


def init_status_cache(app: Flask, cache: StatusCache) -> None:
    """Install ``cache``; a request that asked Cognito for a change and didn't say what it set
    drops the person's entry (a form refused before any call costs nothing)."""
    app.extensions["mfa_portal.status_cache"] = cache

    @app.after_request
    def forget_after_other_changes(response: Response) -> Response:
        if g.get("cognito_write") and not g.get("status_remembered"):
            forget_status()
        return response
