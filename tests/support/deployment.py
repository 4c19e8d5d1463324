"""The portal deployed as the README says: the installed wheel started with the Procfile's
command from an empty directory, behind nginx terminating TLS, with the stand-in over TLS too."""

from __future__ import annotations

import json
import secrets
import shlex
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from localcognito.seed import DEFAULT_SEED, with_portals
from localcognito.server import LocalCognito
from tests.support.install import ROOT, ProductionInstall
from tests.support.nginx import NginxPorts, nginx_process
from tests.support.processes import ManagedProcess, answers
from tests.support.servers import free_port
from tests.support.tls import TestCertificates

PROCFILE = ROOT / "Procfile"
GENEROUS_LIMIT = "1000 per minute"


def procfile_command(install: ProductionInstall) -> list[str]:
    """The Procfile's ``web:`` command, with its program taken from the production venv."""
    for line in PROCFILE.read_text().splitlines():
        if line.startswith("web:"):
            program, *args = shlex.split(line.removeprefix("web:"))
            return [str(install.command(program)), *args]
    raise AssertionError("the Procfile has no web: line")


def production_env(
    install: ProductionInstall,
    cognito: LocalCognito,
    public_url: str,
    port: int,
    tmp: Path,
    certificates: TestCertificates,
) -> dict[str, str]:
    """What an operator sets, and nothing from this test process: no AWS credentials anywhere
    (the credential files named here don't exist), the test CA as the one that is trusted."""
    return {
        "PATH": f"{install.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp),
        "TMPDIR": str(tmp),
        "LANG": "C.UTF-8",
        **cognito.portal_env(public_url),
        "SECRET_KEY": secrets.token_hex(32),
        "SESSION_DIR": str(tmp / "sessions"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "TRUSTED_PROXIES": "1",
        "RATE_LIMIT_SIGNIN": GENEROUS_LIMIT,
        "RATE_LIMIT_CHANGES": GENEROUS_LIMIT,
        "RATE_LIMIT_CODES": GENEROUS_LIMIT,
        "AWS_CA_BUNDLE": str(certificates.ca_path),
        "REQUESTS_CA_BUNDLE": str(certificates.ca_path),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "no-credentials"),
        "AWS_CONFIG_FILE": str(tmp / "no-config"),
        # This machine has no instance metadata service for boto3 to ask for credentials.
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@dataclass
class Deployment:
    """Everything started for the tier, and how to reach it."""

    install: ProductionInstall
    certificates: TestCertificates
    cognito: LocalCognito
    portal: ManagedProcess
    nginx: ManagedProcess
    ports: NginxPorts
    env: dict[str, str]
    workdir: Path

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.ports.https}"

    @property
    def plain_http_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.http}"

    def http(self) -> requests.Session:
        """A client that trusts the test CA and nothing else (no CA bundle or proxy from the
        environment, which would override ``verify``)."""
        session = requests.Session()
        session.trust_env = False
        session.verify = str(self.certificates.ca_path)
        return session

    def log_entries(self) -> list[dict[str, Any]]:
        return [
            json.loads(line) for line in self.portal.log_text().splitlines() if line.startswith("{")
        ]

    def request_lines(self) -> list[dict[str, Any]]:
        return [entry for entry in self.log_entries() if entry.get("event") == "request"]

    def latest_code(self, username: str) -> str:
        """The newest code the stand-in 'texted' to ``username``."""
        messages = (
            self.http()
            .get(f"{self.cognito.url}/_local/outbox", params={"username": username}, timeout=5)
            .json()
        )
        assert messages, f"no message was 'texted' to {username}"
        return messages[-1]["code"]


def portal_process(install: ProductionInstall, env: dict[str, str], tmp: Path) -> ManagedProcess:
    """The Procfile's command, run from an empty directory (not started yet)."""
    workdir = tmp / "empty-workdir"
    workdir.mkdir()
    return ManagedProcess(
        procfile_command(install), cwd=workdir, env=env, log_path=tmp / "portal.log"
    )


@contextmanager
def deployed(
    install: ProductionInstall, certificates: TestCertificates, nginx: str, tmp: Path
) -> Iterator[Deployment]:
    """Start the stand-in, the installed portal and nginx; stop all three however it ends."""
    ports = NginxPorts(https=free_port(), http=free_port(), upstream=free_port())
    public_url = f"https://127.0.0.1:{ports.https}"
    with ExitStack() as stack:
        cognito = LocalCognito(
            with_portals(DEFAULT_SEED, public_url), tls=certificates.server_pair
        ).start()
        stack.callback(cognito.stop)
        env = production_env(install, cognito, public_url, ports.upstream, tmp, certificates)
        portal = portal_process(install, env, tmp)
        stack.callback(portal.stop)
        portal.start().wait_until(answers(f"http://127.0.0.1:{ports.upstream}/healthz"))
        proxy = nginx_process(nginx, tmp / "nginx", ports, certificates)
        stack.callback(proxy.stop)
        proxy.start().wait_until(answers(f"{public_url}/healthz", verify=str(certificates.ca_path)))
        yield Deployment(install, certificates, cognito, portal, proxy, ports, env, portal.cwd)
