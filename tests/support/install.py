"""The portal as an operator installs it: the built wheel in a fresh venv outside the source
tree, with only the production dependencies, pinned as uv.lock pins them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def uv_command() -> list[str]:
    """uv itself: the one running these tests (``uv run`` names it in ``$UV``), else on PATH,
    else as a Python module."""
    for candidate in (os.environ.get("UV"), shutil.which("uv")):
        if candidate and Path(candidate).is_file():
            return [candidate]
    return [sys.executable, "-m", "uv"]


def _uv(*args: str, cwd: Path = ROOT) -> str:
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
    }
    completed = subprocess.run(
        [*uv_command(), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"uv {' '.join(args)} failed:\n{completed.stderr[-3000:]}")
    return completed.stdout


@dataclass(frozen=True)
class ProductionInstall:
    """A venv holding the portal's wheel and its production dependencies, nothing else."""

    venv: Path
    wheel: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def command(self, name: str) -> Path:
        return self.venv / "bin" / name

    def can_import(self, module: str) -> bool:
        probe = (
            f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
        )
        return subprocess.run([str(self.python), "-c", probe], check=False).returncode == 0


def build_wheel(out_dir: Path) -> Path:
    _uv("build", "--wheel", "--quiet", "-o", str(out_dir))
    [wheel] = out_dir.glob("mfa_portal-*.whl")
    return wheel


def production_requirements(path: Path) -> Path:
    """The locked versions of the production dependencies (no dev group, no extras)."""
    _uv(
        "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes", "--quiet",
        "-o", str(path),
    )  # fmt: skip
    return path


def install_production(directory: Path) -> ProductionInstall:
    """Build the wheel, make a fresh venv in ``directory`` and install the wheel into it with
    exactly the locked production dependencies."""
    wheel = build_wheel(directory / "dist")
    requirements = production_requirements(directory / "requirements.txt")
    venv = directory / "venv"
    _uv("venv", "--quiet", "--python", sys.executable, str(venv), cwd=directory)
    _uv(
        "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
        "-r", str(requirements), str(wheel),
        cwd=directory,
    )  # fmt: skip
    return ProductionInstall(venv=venv, wheel=wheel)
