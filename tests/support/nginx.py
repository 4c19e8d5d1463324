"""nginx terminating TLS in front of the portal, with the server block the README shows
(``docs/nginx/mfa-portal.conf``), run unprivileged from a temporary directory."""

from __future__ import annotations

import getpass
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import ManagedProcess
from tests.support.tls import TestCertificates

ROOT = Path(__file__).resolve().parents[2]
SERVER_BLOCK = ROOT / "docs" / "nginx" / "mfa-portal.conf"
#: Debian's nginx lives in /usr/sbin, which is not on every user's PATH.
NGINX_PLACES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")

MAIN_CONFIG = """\
daemon off;
master_process on;
worker_processes 1;
{user}pid {prefix}/nginx.pid;
error_log {prefix}/error.log notice;

events {{
    worker_connections 128;
}}

http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/temp/client_body;
    proxy_temp_path {prefix}/temp/proxy;
    fastcgi_temp_path {prefix}/temp/fastcgi;
    uwsgi_temp_path {prefix}/temp/uwsgi;
    scgi_temp_path {prefix}/temp/scgi;

    include {prefix}/mfa-portal.conf;
}}
"""


def find_nginx() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return next((place for place in NGINX_PLACES if os.access(place, os.X_OK)), None)


@dataclass(frozen=True)
class NginxPorts:
    https: int
    http: int
    upstream: int


def _replace_once(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise AssertionError(f"{SERVER_BLOCK.name} should contain {old!r} exactly once")
    return text.replace(old, new)


def render_server_block(ports: NginxPorts, certificates: TestCertificates) -> str:
    """The README's server block with this machine's ports and the test's certificate."""
    text = SERVER_BLOCK.read_text()
    for old, new in (
        ("listen 80;", f"listen 127.0.0.1:{ports.http};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{ports.https} ssl http2;"),
        ("/etc/ssl/certs/mfa-portal.pem", str(certificates.cert_path)),
        ("/etc/ssl/private/mfa-portal.key", str(certificates.key_path)),
        ("proxy_pass http://127.0.0.1:8000;", f"proxy_pass http://127.0.0.1:{ports.upstream};"),
    ):
        text = _replace_once(text, old, new)
    return text.replace("account.example.com", "127.0.0.1")


def _user_directive() -> str:
    """As root, nginx's workers would switch to ``nobody``, who can't enter the test's
    temporary directory; they stay as the current user instead."""
    return f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""


def write_config(prefix: Path, ports: NginxPorts, certificates: TestCertificates) -> Path:
    (prefix / "temp").mkdir(parents=True, exist_ok=True)
    (prefix / "mfa-portal.conf").write_text(render_server_block(ports, certificates))
    config = prefix / "nginx.conf"
    config.write_text(MAIN_CONFIG.format(prefix=prefix, user=_user_directive()))
    return config


def nginx_process(
    nginx: str, prefix: Path, ports: NginxPorts, certificates: TestCertificates
) -> ManagedProcess:
    config = write_config(prefix, ports, certificates)
    return ManagedProcess(
        command=[nginx, "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log")],
        cwd=prefix,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        log_path=prefix / "nginx.out",
    )
