"""``/healthz`` (the process answers), ``/readyz`` (its dependencies answer) and, with
``METRICS_TOKEN`` set, ``/metrics`` (Prometheus' scrape, for that bearer token only).

The probes are a small Flask app of their own, put in front of the portal by ``ProbeDispatcher``:
a load balancer's probe or a scrape never opens a session (so a probe sending a cookie never
touches the session store) and never meets a rate limit. (Werkzeug's ``DispatcherMiddleware``
mounts by prefix: ``/healthz/anything`` would reach the probes too, with an empty path; these are
exact paths.)
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

import redis
import requests
from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.wsgi import get_path_info

from . import metrics as portal_metrics
from .config import Settings
from .sessions import folder_usable

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

bp = Blueprint("health", __name__)

PROBE_PATHS = frozenset({"/healthz", "/readyz"})
METRICS_PATH = "/metrics"
READY_CACHE_SECONDS = 10.0


class DiscoveryCheck:
    """Whether Cognito's discovery document answers, asked at most once every few seconds per
    process whatever the answer (so probes add no load to Cognito), and by one thread at a time:
    while one probe waits on a slow Cognito the others get the last answer instead of each
    holding a thread of their own."""

    def __init__(self) -> None:
        self.answer: bool | None = None
        self.checked_at = -1e9
        self._asking = threading.Lock()

    def reachable(self, settings: Settings) -> bool:
        fresh = time.monotonic() - self.checked_at < READY_CACHE_SECONDS
        if (fresh and self.answer is not None) or not self._asking.acquire(blocking=False):
            return bool(self.answer)
        try:
            self.answer = self._ask(settings)
            self.checked_at = time.monotonic()
            return self.answer
        finally:
            self._asking.release()

    @staticmethod
    def _ask(settings: Settings) -> bool:
        try:
            response = requests.get(
                settings.discovery_url,
                timeout=(settings.cognito_connect_timeout, settings.cognito_read_timeout),
            )
        except requests.RequestException:
            return False
        return response.status_code == 200


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    return {"status": "ok"}, 200


def _store_answers() -> bool:
    store = current_app.extensions.get("mfa_portal.redis")
    if store is None:
        return folder_usable(current_app.extensions["mfa_portal.settings"].session_dir)
    try:
        return bool(store.ping())
    except (redis.exceptions.RedisError, OSError):
        return False


@bp.get("/readyz")
def readyz() -> tuple[dict[str, object], int]:
    discovery: DiscoveryCheck = current_app.extensions["mfa_portal.discovery_check"]
    settings = current_app.extensions["mfa_portal.settings"]
    checks = {
        "session_store": _store_answers(),
        "cognito_discovery": discovery.reachable(settings),
    }
    ok = all(checks.values())
    return {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503


def bearer_token_matches(header: str, expected: str) -> bool:
    """``Authorization: Bearer <token>`` (the scheme in any case), compared in constant time."""
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    given = credentials.strip().encode("latin-1", "replace")
    return hmac.compare_digest(given, expected.encode("ascii"))


@bp.get(METRICS_PATH)
def metrics() -> Response:
    """Only routed here with ``METRICS_TOKEN`` set (``probe_paths``). A wrong or missing token is
    a 401 naming the scheme, so a scrape misconfigured says why; the path's existence is no
    secret (the portal is open source), the token is."""
    expected: str = current_app.extensions["mfa_portal.settings"].metrics_token
    if not bearer_token_matches(request.headers.get("Authorization", ""), expected):
        return Response(
            "401 Unauthorized: a bearer token is required\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"'},
            mimetype="text/plain",
        )
    body, content_type = portal_metrics.exposition(request.headers.get("Accept", ""))
    return Response(body, 200, {"Content-Type": content_type})


def probe_paths(settings: Settings) -> frozenset[str]:
    """The paths the probe app answers: ``/metrics`` only with a token to guard it, so without
    one it is the portal's 404 like any unknown path."""
    return PROBE_PATHS | {METRICS_PATH} if settings.metrics_token else PROBE_PATHS


def create_probe_app(settings: Settings, store: redis.Redis | None) -> Flask:
    probes = Flask("mfa_portal.probes")
    probes.extensions["mfa_portal.settings"] = settings
    probes.extensions["mfa_portal.redis"] = store
    probes.extensions["mfa_portal.discovery_check"] = DiscoveryCheck()
    probes.register_blueprint(bp)

    @probes.errorhandler(HTTPException)
    def probe_error(error: HTTPException) -> tuple[dict[str, str], int]:
        return {"status": "error", "error": error.name}, error.code or 500

    return probes


class ProbeDispatcher:
    """WSGI: the probe paths go to the probe app, everything else to the portal."""

    def __init__(
        self,
        portal: WSGIApplication,
        probes: WSGIApplication,
        paths: frozenset[str] = PROBE_PATHS,
    ) -> None:
        self.portal = portal
        self.probes = probes
        self.paths = paths

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        target = self.probes if get_path_info(environ) in self.paths else self.portal
        return target(environ, start_response)
