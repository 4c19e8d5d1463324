"""Sessions nobody comes back to leave the local-disk store, their refresh tokens revoked, with
bounded work; abandoned sign-ins can't pile up."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.sessions import (
    PENDING_SIGN_IN_SECONDS,
    SESSION_KEY_PREFIX,
    SESSION_TOUCH_SECONDS,
    SWEEP_BATCH,
    DiskSessionSweeper,
)
from tests.support.unit import sign_in
from tests.unit.oauth import use_local_metadata

IDLE = 1800  # the unit settings' default SESSION_IDLE_SECONDS


def session_files(app: Flask) -> list[Path]:
    folder = Path(app.extensions["mfa_portal.settings"].session_dir)
    return [p for p in folder.iterdir() if not p.name.startswith("__")]


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.fixture
def revoked() -> list[str]:
    return []


@pytest.fixture
def sweeper(app: Flask, revoked: list[str]) -> DiskSessionSweeper:
    folder = app.config["SESSION_CACHELIB"]
    return DiskSessionSweeper(folder, IDLE, revoked.append)


def signed_in_file(client: FlaskClient, app: Flask) -> Path:
    sign_in(client)
    [path] = session_files(app)
    return path


def test_an_expired_signed_in_session_is_removed_and_its_refresh_token_revoked(
    app, client, sweeper, revoked
):
    path = signed_in_file(client, app)
    age(path, IDLE + SESSION_TOUCH_SECONDS + 1)
    assert sweeper.sweep() == 1
    assert not path.exists()
    assert revoked == ["refresh-token"]


def test_a_signed_in_session_within_its_idle_timeout_stays(app, client, sweeper, revoked):
    path = signed_in_file(client, app)
    age(path, IDLE - 1)
    assert sweeper.sweep() == 0
    assert path.exists()
    assert revoked == []


def test_an_abandoned_sign_in_goes_after_a_while_without_revoking_anything(
    app, client, sweeper, revoked
):
    use_local_metadata(app)
    assert client.get("/login").status_code == 302
    [path] = session_files(app)
    age(path, PENDING_SIGN_IN_SECONDS - 5)
    assert sweeper.sweep() == 0
    age(path, PENDING_SIGN_IN_SECONDS + 1)
    assert sweeper.sweep() == 1
    assert not path.exists()
    assert revoked == []


def test_one_sweep_does_bounded_work(app, sweeper):
    """As many abandoned sign-ins as an attacker could start, stored as Flask-Session does."""
    folder = app.config["SESSION_CACHELIB"]
    for i in range(SWEEP_BATCH + 7):
        folder.set(f"{SESSION_KEY_PREFIX}abandoned-{i}", {"login_next": "/"}, timeout=IDLE)
    for path in session_files(app):
        age(path, PENDING_SIGN_IN_SECONDS + 1)
    assert sweeper.sweep() == SWEEP_BATCH
    assert sweeper.sweep() == 7
    assert session_files(app) == []


def test_requests_start_a_sweep_at_most_once_a_while(app, client, monkeypatch):
    sweeper: DiskSessionSweeper = app.extensions["mfa_portal.session_sweeper"]
    sweeps: list[float] = []
    monkeypatch.setattr(sweeper, "sweep", lambda: sweeps.append(time.time()) or 0)
    for _ in range(5):
        client.get("/")
    deadline = time.monotonic() + 10
    while not sweeps and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(sweeps) == 1
