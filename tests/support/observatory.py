"""The MDN HTTP Observatory scanner (the npm package), installed once into a cache directory
outside the repository, as ``scripts/observatory.sh`` installs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OBSERVATORY_VERSION = os.environ.get("OBSERVATORY_VERSION", "1.4.8")
PACKAGE = "@mdn/mdn-http-observatory"
GRADES = ["A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F"]


class ScannerUnavailableError(RuntimeError):
    """node or npm is missing, or the package could not be installed: the reason says which."""


def cache_dir() -> Path:
    base = os.environ.get("MFA_PORTAL_CACHE") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mfa-portal"
    )
    return Path(base) / f"observatory-{OBSERVATORY_VERSION}"


@dataclass(frozen=True)
class Scanner:
    node: str
    package_dir: Path

    def scan(self, host_and_port: str, ca_path: Path) -> dict[str, Any]:
        """Scan ``https://host:port/`` (and ``http://`` on the same port); the JSON result."""
        env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(ca_path)}
        completed = subprocess.run(
            [self.node, str(self.package_dir / "src" / "scan.js"), host_and_port],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        try:
            return json.loads(completed.stdout)
        except json.JSONDecodeError:
            raise AssertionError(f"the scanner printed no JSON:\n{completed.stderr}") from None


def _install(npm: str, cache: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    manifest = cache / "package.json"
    if not manifest.exists():
        manifest.write_text('{"private": true}\n')
    completed = subprocess.run(
        [npm, "install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error",
         f"{PACKAGE}@{OBSERVATORY_VERSION}"],
        cwd=cache,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    if completed.returncode != 0:
        raise ScannerUnavailableError(f"npm could not install {PACKAGE}: {completed.stderr[-500:]}")


def installed_scanner() -> Scanner:
    """The scanner from the cache, installed there first if it isn't yet."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise ScannerUnavailableError(
            "node and npm are needed to run the MDN HTTP Observatory scanner"
        )
    cache = cache_dir()
    package_dir = cache / "node_modules" / PACKAGE
    if not (package_dir / "src" / "scan.js").is_file():
        _install(npm, cache)
    # Its install script (not run) would download the HSTS preload list; none is needed here.
    (package_dir / "conf" / "hsts-preload.json").write_text("{}")
    return Scanner(node=node, package_dir=package_dir)


def points_lost(result: dict[str, Any]) -> dict[str, str]:
    """Each test that failed or moved the score, with what it found."""
    return {
        name: f"{test.get('scoreModifier', 0):+d} {test.get('result')}"
        for name, test in result.get("tests", {}).items()
        if test.get("scoreModifier") or not test.get("pass")
    }
