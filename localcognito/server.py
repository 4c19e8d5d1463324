"""`LocalCognito`: the stand-in served on one origin from a background thread."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from . import api, devtools, hosted_ui
from .extensions import init_stand_in
from .quotas import validated_rates
from .seed import POOL_MFA_MODES, normalize_seed, with_pool_mfa, with_strict_logout
from .state import StandIn


class KeepAliveHandler(WSGIRequestHandler):
    """HTTP/1.1 keep-alive, as Cognito's endpoints speak: clients reuse their connections."""

    protocol_version = "HTTP/1.1"


class QuietHandler(KeepAliveHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def create_app(state: StandIn) -> Flask:
    app = Flask("localcognito")
    init_stand_in(app, state)
    app.register_blueprint(hosted_ui.bp)
    app.register_blueprint(devtools.bp)

    @app.post("/")
    def cognito_api() -> Response:
        return api.handle(state, request)  # type: ignore[return-value]

    @app.get("/")
    def index() -> Response:
        return jsonify(
            {
                "service": "local-cognito",
                "pool_id": state.pool_id,
                "discovery": f"{state.issuer}/.well-known/openid-configuration",
            }
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        response = jsonify(
            {"error": error.name.lower().replace(" ", "_"), "error_description": error.description}
        )
        response.status_code = error.code or 500
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Response:
        app.logger.exception("local-cognito failed")
        response = jsonify({"error": "server_error", "error_description": type(error).__name__})
        response.status_code = 500
        return response

    return app


class LocalCognito:
    """A local Cognito user pool with its hosted UI and API on one origin."""

    def __init__(
        self,
        seed: dict[str, Any] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log_requests: bool = False,
        tls: tuple[str, str] | None = None,
        pool_mfa: str | None = None,
        strict_logout_params: bool | None = None,
        quotas: Mapping[str, int | None] | None = None,
    ) -> None:
        """``tls``: a (certificate, key) pair of PEM files to serve https instead of http.
        ``pool_mfa`` ("off", "optional", "required") and ``strict_logout_params`` override the
        seed (see `seed.with_pool_mfa` and `seed.with_strict_logout`). ``quotas``: requests per
        second per Cognito quota category, e.g. ``{"UserUpdate": 25}`` (see `quotas`); the
        categories not named, and all of them by default, are unlimited."""
        self.log_requests = log_requests
        self.quotas = validated_rates(quotas or {})
        self.tls = tls
        seed = normalize_seed(seed)
        if pool_mfa is not None:
            seed = with_pool_mfa(seed, pool_mfa)
        if strict_logout_params is not None:
            seed = with_strict_logout(seed, strict_logout_params)
        self.seed = normalize_seed(seed)
        self.host = host
        self.port = port
        self.region: str = self.seed["region"]
        self.pool_id: str = self.seed["user_pool"]["id"]
        self.client_id: str = self.seed["clients"][0]["id"]
        self.client_secret: str | None = self.seed["clients"][0].get("secret")
        self.public_client_id: str | None = next(
            (c["id"] for c in self.seed["clients"] if not c.get("secret")), None
        )
        self.url = ""
        self.issuer = ""
        self.state: StandIn | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def pool_mfa(self) -> str:
        """The pool's MFA mode as the CLI names it: "off", "optional" or "required"."""
        configuration = self.seed["user_pool"]["mfa_configuration"]
        return {value: name for name, value in POOL_MFA_MODES.items()}[configuration]

    def start(self) -> LocalCognito:
        if self._server is not None:
            return self
        server = make_server(
            self.host,
            self.port,
            app=None,
            threaded=True,  # type: ignore[arg-type]
            request_handler=KeepAliveHandler if self.log_requests else QuietHandler,
            ssl_context=self.tls,
        )
        self.port = server.server_port
        self.url = f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"
        self.issuer = f"{self.url}/{self.pool_id}"
        self.state = StandIn(self.seed, self.url, self.quotas)
        server.app = create_app(self.state)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="local-cognito", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def reset(self) -> None:
        if self.state is None:
            raise RuntimeError("LocalCognito is not started")
        self.state.reset()

    def serve_forever(self) -> None:
        """Start and block until interrupted (for the CLI)."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(timeout=0.5)
        finally:
            self.stop()

    def portal_env(self, portal_base_url: str) -> dict[str, str]:
        env = {
            "COGNITO_REGION": self.region,
            "COGNITO_USER_POOL_ID": self.pool_id,
            "COGNITO_CLIENT_ID": self.client_id,
            "COGNITO_CLIENT_SECRET": self.client_secret or "",
            "COGNITO_DOMAIN": self.url,
            "COGNITO_ENDPOINT_URL": self.url,
            "PORTAL_BASE_URL": portal_base_url.rstrip("/"),
            "COGNITO_POOL_MFA": self.pool_mfa,
        }
        return env

    def __enter__(self) -> LocalCognito:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
