"""The baseline: the least a Flask app can do to show a signed-in person's MFA status.

One GetUser call (boto3, UNSIGNED, the same endpoint, timeouts and retries as the portal) with the
access token taken straight from a cookie, and a trivial page. No session store, no CSRF, no
security headers, no request log: what the portal costs on top of this is its own overhead.
Run under the same gunicorn settings:
``gunicorn -c gunicorn.conf.py 'bench.baseline_app:create_app()'``.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
import botocore
from botocore.config import Config
from flask import Flask, request
from markupsafe import escape

_client: Any = None
_client_pid: int | None = None
_lock = threading.Lock()


def cognito() -> Any:
    """One client per worker process, created after the fork."""
    global _client, _client_pid
    if _client is None or _client_pid != os.getpid():
        with _lock:
            if _client is None or _client_pid != os.getpid():
                config = Config(
                    signature_version=botocore.UNSIGNED,
                    connect_timeout=float(os.environ.get("COGNITO_CONNECT_TIMEOUT") or 2),
                    read_timeout=float(os.environ.get("COGNITO_READ_TIMEOUT") or 5),
                    retries={
                        "mode": "standard",
                        "max_attempts": int(os.environ.get("COGNITO_MAX_ATTEMPTS") or 3),
                    },
                    max_pool_connections=50,
                )
                _client = boto3.session.Session().client(
                    "cognito-idp",
                    region_name=os.environ["COGNITO_REGION"],
                    endpoint_url=os.environ["COGNITO_ENDPOINT_URL"],
                    config=config,
                )
                _client_pid = os.getpid()
    return _client


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/settings/mfa")
    def settings_page() -> tuple[str, int] | str:
        token = request.cookies.get("token")
        if not token:
            return "no token", 401
        user = cognito().get_user(AccessToken=token)
        sms = any(o.get("DeliveryMedium") == "SMS" for o in user.get("MFAOptions") or [])
        return (
            f"<!doctype html><title>MFA</title><p>{escape(user['Username'])}: "
            f"SMS MFA {'on' if sms else 'off'}</p>"
        )

    return app
