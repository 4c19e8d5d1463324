"""``/healthz`` (the process answers) and ``/readyz`` (its dependencies answer)."""

from __future__ import annotations

import threading
import time

import requests
from flask import Blueprint, current_app

bp = Blueprint("health", __name__)

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
    except Exception:
        return False


@bp.get("/readyz")
def readyz() -> tuple[dict[str, object], int]:
    checks = {"session_store": _store_answers(), "cognito_discovery": _discovery_reachable()}
    ok = all(checks.values())
    return {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503
