"""Running the portal under gunicorn: ``mfa-portal serve`` and a gunicorn detail it adjusts."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from . import resource_path

APP_SPEC = "app:create_app()"


def gunicorn_config_path() -> str:
    return str(resource_path("gunicorn.conf.py"))


def serve(gunicorn_args: Sequence[str] = ()) -> int:
    """Run gunicorn in this process with the portal's settings (extra gunicorn options pass on,
    e.g. ``--certfile``/``--keyfile`` to end TLS in gunicorn itself on a private network: facing
    the internet, gunicorn belongs behind nginx or a load balancer, see the README)."""
    from gunicorn.app.wsgiapp import WSGIApplication

    sys.argv = ["mfa-portal serve", "-c", gunicorn_config_path(), *gunicorn_args, APP_SPEC]
    WSGIApplication("%(prog)s [OPTIONS]", prog="mfa-portal serve").run()
    return 0


def drop_server_header() -> None:
    """gunicorn always sends ``Server: gunicorn`` and has no setting to stop it; the portal names
    no software it runs on (less to fingerprint). Called from ``gunicorn.conf.py`` in the arbiter,
    before the workers fork."""
    from gunicorn.http import wsgi

    if getattr(wsgi.Response.default_headers, "_drops_server", False):
        return
    send_defaults = wsgi.Response.default_headers

    def default_headers(self: wsgi.Response) -> list[str]:
        return [line for line in send_defaults(self) if not line.startswith("Server:")]

    default_headers._drops_server = True  # type: ignore[attr-defined]
    wsgi.Response.default_headers = default_headers  # type: ignore[method-assign]
