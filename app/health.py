"""``/healthz`` (the process answers) and ``/readyz`` (its dependencies answer).

The probes are a small Flask app of their own, put in front of the portal by ``ProbeDispatcher``:
a load balancer's probe never opens a session (so a probe sending a cookie never touches the
session store) and never meets a rate limit. (Werkzeug's ``DispatcherMiddleware`` mounts by
prefix: ``/healthz/anything`` would reach the probes too, with an empty path; these are two
exact paths.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

import redis
import requests
from flask import Blueprint, Flask, current_app
from werkzeug.wsgi import get_path_info

from .config import Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

bp = Blueprint("health", __name__)

PROBE_PATHS = frozenset({"/healthz", "/readyz"})
READY_CACHE_SECONDS = 10.0
_discovery_checked: dict[str, float] = {}
_lock = threading.Lock()


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    return {"status": "ok"}, 200


def _discovery_reachable() -> bool:
    """Cached for a few seconds so that probes add no load to Cognito."""
    settings = current_app.extensions["mfa_portal.settings"]
    now = time.monotonic()
    with _lock:
        if now - _discovery_checked.get(settings.discovery_url, -1e9) < READY_CACHE_SECONDS:
            return True
    try:
        response = requests.get(
            settings.discovery_url,
            timeout=(settings.cognito_connect_timeout, settings.cognito_read_timeout),
        )
    except requests.RequestException:
        return False
    if response.status_code != 200:
        return False
    with _lock:
        _discovery_checked[settings.discovery_url] = now
    return True


def _store_answers() -> bool:
    store = current_app.extensions.get("mfa_portal.redis")
    if store is None:
        return True
    try:
        return bool(store.ping())
    except (redis.exceptions.RedisError, OSError):
        return False


@bp.get("/readyz")
def readyz() -> tuple[dict[str, object], int]:
    checks = {"session_store": _store_answers(), "cognito_discovery": _discovery_reachable()}
    ok = all(checks.values())
    return {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503


def create_probe_app(settings: Settings, store: redis.Redis | None) -> Flask:
    probes = Flask("mfa_portal.probes")
    probes.extensions["mfa_portal.settings"] = settings
    probes.extensions["mfa_portal.redis"] = store
    probes.register_blueprint(bp)
    return probes


class ProbeDispatcher:
    """WSGI: the probe paths go to the probe app, everything else to the portal."""

    def __init__(self, portal: WSGIApplication, probes: WSGIApplication) -> None:
        self.portal = portal
        self.probes = probes

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        target = self.probes if get_path_info(environ) in PROBE_PATHS else self.portal
        return target(environ, start_response)
