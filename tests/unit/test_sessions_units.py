"""app/sessions.py piece by piece (docs/testing.md): the disk store's folder, the sweep of sessions
nobody comes back to, the marks of ended sessions in either store, and the session interface's
guards, seen through a small Flask app that has the portal's sessions and nothing else."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from flask import Flask, session
from flask.testing import FlaskClient
from prometheus_client import REGISTRY
from werkzeug.http import parse_date
from werkzeug.wrappers import Response

from app.config import Settings, load_settings
from app.sessions import (
    ENDED_KEY_PREFIX,
    PENDING_SIGN_IN_SECONDS,
    SESSION_KEY_PREFIX,
    SESSION_TOUCH_SECONDS,
    DiskSessionSweeper,
    GuardedSessionInterface,
    SessionFolder,
    SessionKeys,
    SessionStoreError,
    discard_session,
    folder_usable,
    init_sessions,
    mark_session_ended,
    regenerate_session_id,
)
from tests.support.unit import ManualClock, portal_env

NOW = 1_700_000_000
IDLE = 1800  # SESSION_IDLE_SECONDS' default
SIGNED_IN_EXPIRY = IDLE + SESSION_TOUCH_SECONDS
COOKIE = "mfa_portal"
#: A database of these tests' own: the portal's keys elsewhere are never touched, and a session
#: that ends up in Redis' default database instead is a failure.
REDIS_URL = "redis://127.0.0.1:6379/9"


def store_errors(kind: str) -> float:
    return REGISTRY.get_sample_value("mfa_portal_session_store_errors_total", {"kind": kind}) or 0.0


def session_key(sid: str) -> str:
    return SESSION_KEY_PREFIX + sid


def file_of(folder: Path, key: str) -> Path:
    """Where cachelib keeps a key: a file named by the key's SHA-256."""
    return folder / hashlib.sha256(key.encode()).hexdigest()


# --- a Flask app with the portal's sessions and nothing else --------------------------------


def session_app(settings: Settings, store: redis.Redis | None, revoked: list[str]) -> Flask:
    """The portal's sessions (``init_sessions``) behind a few routes that use them; steps queued
    in ``app.extensions["meanwhile"]`` run in the middle of the next ``POST /value/...``."""
    app = Flask(__name__)
    app.secret_key = settings.secret_key
    init_sessions(app, settings, store, revoked.append)
    meanwhile: list[Callable[[], object]] = []
    app.extensions["meanwhile"] = meanwhile

    @app.get("/value")
    def read() -> str:
        return str(session.get("value", ""))

    @app.post("/value/<value>")
    def write(value: str) -> str:
        session["value"] = value
        while meanwhile:
            meanwhile.pop(0)()
        return session.sid  # type: ignore[attr-defined,no-any-return]

    @app.post("/sign-in")
    def sign_in() -> str:
        session["user"] = {"sub": "sub-alice"}
        session["tokens"] = {"refresh_token": "rt-alice"}
        regenerate_session_id(app)
        return session.sid  # type: ignore[attr-defined,no-any-return]

    @app.post("/sign-out")
    def sign_out() -> str:
        mark_session_ended(app)
        session.clear()
        return ""

    @app.post("/discarded/<value>")
    def discarded(value: str) -> str:
        session["value"] = value
        discard_session()
        return ""

    @app.errorhandler(SessionStoreError)
    def store_unavailable(_error: SessionStoreError) -> tuple[str, int]:
        return "store unavailable", 503

    return app


@pytest.fixture
def revoked() -> list[str]:
    return []


@pytest.fixture
def on_disk(settings: Settings, revoked: list[str]) -> Flask:
    return session_app(settings, None, revoked)


@pytest.fixture
def folder(settings: Settings) -> Path:
    return Path(settings.session_dir)


def in_another_tab(app: Flask, sid: str, path: str) -> int:
    """A request of the same browser from another tab, run to its end (in a thread of its own:
    its own request and ``g``) while the caller's request waits."""
    tab = app.test_client()
    tab.set_cookie(COOKIE, sid)
    status: list[int] = []
    thread = threading.Thread(target=lambda: status.append(tab.post(path).status_code))
    thread.start()
    thread.join()
    return status[0]


def started_session(client: FlaskClient, value: str = "first") -> str:
    response = client.post(f"/value/{value}")
    assert response.status_code == 200
    return response.text


# --- folder_usable and SessionFolder -------------------------------------------------------


@pytest.fixture
def make_unwritable() -> Iterator[Callable[[Path], None]]:
    """Make a folder one the portal can read but not write: read-only for its owner, or
    immutable (``chattr +i``) when the tests run as root, whom permissions don't stop."""
    made: list[Path] = []

    def unwritable(folder: Path) -> None:
        if os.geteuid() != 0:
            folder.chmod(0o500)
        elif (
            not shutil.which("chattr")
            or subprocess.run(
                ["chattr", "+i", str(folder)], capture_output=True, check=False
            ).returncode
        ):
            pytest.skip("run as root, and the folder can't be made immutable (chattr +i)")
        made.append(folder)

    yield unwritable
    for folder in made:
        if os.geteuid() != 0:
            folder.chmod(0o700)
        else:
            subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_only_a_folder_that_can_be_read_and_written_is_usable(tmp_path, make_unwritable) -> None:
    usable = tmp_path / "usable"
    usable.mkdir()
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    make_unwritable(read_only)
    assert {
        name: folder_usable(str(tmp_path / name))
        for name in ("usable", "a-file", "read-only", "missing")
    } == {"usable": True, "a-file": False, "read-only": False, "missing": False}


def test_a_folder_that_cant_be_written_fails_every_operation_loudly(
    tmp_path, make_unwritable
) -> None:
    path = tmp_path / "sessions"
    store = SessionFolder(str(path))
    store.set(session_key("kept"), {"value": 1})
    make_unwritable(path)
    failures: list[str] = []
    for operation in (
        lambda: store.get(session_key("kept")),
        lambda: store.set(session_key("new"), {"value": 2}),
        lambda: store.delete(session_key("kept")),
    ):
        with pytest.raises(OSError) as failed:
            operation()
        failures.append(str(failed.value))
    assert failures == [
        f"the session folder {path} can't be read and written",
        f"the session folder {path} can't be written",
        f"the session folder {path} can't be written",
    ]


def test_sessions_stay_until_the_portal_ends_them_and_other_keys_expire(
    folder, monkeypatch
) -> None:
    clock = ManualClock(NOW)
    monkeypatch.setattr("cachelib.file.time", clock)
    store = SessionFolder(str(folder))
    assert store.set(session_key("s-1"), {"value": 1}, timeout=60) is True
    assert store.set("other-key", "other", timeout=60) is True
    clock.now = NOW + 60
    assert (store.get(session_key("s-1")), store.get("other-key")) == ({"value": 1}, "other")
    clock.now = NOW + 61
    assert (store.get(session_key("s-1")), store.get("other-key")) == ({"value": 1}, None)
    assert store.delete(session_key("s-1")) is True
    assert store.delete(session_key("never-there")) is True
    assert store.get(session_key("s-1")) is None


def test_the_folder_holds_the_sessions_alone_each_readable_by_the_portal_only(folder) -> None:
    """No count of files of cachelib's: the folder has no threshold, so cachelib never prunes a
    session (the portal and the sweeper end them); and no other user reads a token."""
    store = SessionFolder(str(folder))
    for sid in ("s-1", "s-2", "s-3"):
        store.set(session_key(sid), {"value": sid})
    assert {path.name: oct(path.stat().st_mode & 0o777) for path in folder.iterdir()} == {
        file_of(folder, session_key(sid)).name: "0o600" for sid in ("s-1", "s-2", "s-3")
    }
    assert [store.get(session_key(sid)) for sid in ("s-1", "s-2", "s-3")] == [
        {"value": "s-1"},
        {"value": "s-2"},
        {"value": "s-3"},
    ]


# --- SessionKeys ---------------------------------------------------------------------------


def test_on_disk_an_ended_session_id_is_remembered_ten_minutes(folder, monkeypatch) -> None:
    clock = ManualClock(NOW)
    monkeypatch.setattr("cachelib.file.time", clock)
    store = SessionFolder(str(folder))
    keys = SessionKeys(None, store)
    keys.mark_ended("s-1")
    assert store.get(ENDED_KEY_PREFIX + "s-1") == 1
    clock.now = NOW + 600
    assert (keys.was_ended("s-1"), keys.was_ended("s-2")) == (True, False)
    clock.now = NOW + 601
    assert keys.was_ended("s-1") is False


def test_on_disk_a_session_is_found_and_deleted_by_its_id(folder) -> None:
    store = SessionFolder(str(folder))
    keys = SessionKeys(None, store)
    store.set(session_key("s-1"), {"value": 1})
    store.set(session_key("s-2"), {"value": 2})
    assert (keys.exists("s-1"), keys.exists("s-3")) == (True, False)
    keys.delete("s-1")
    assert (keys.exists("s-1"), keys.exists("s-2")) == (False, True)
    assert [path.name for path in folder.iterdir()] == [file_of(folder, session_key("s-2")).name]


def test_without_a_store_nothing_is_remembered_and_nothing_fails() -> None:
    keys = SessionKeys(None, None)
    keys.mark_ended("s-1")
    keys.delete("s-1")
    assert (keys.was_ended("s-1"), keys.exists("s-1")) == (False, False)


@pytest.fixture
def redis_db() -> Iterator[tuple[redis.Redis, list[str]]]:
    """A Redis database of these tests' own, and a list of the session ids a test used: their
    keys are deleted afterwards (ids are made unique, so tests running at once don't meet)."""
    store = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        store.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379 (.ci/run starts one)")
    sids: list[str] = []
    yield store, sids
    for sid in sids:
        store.delete(session_key(sid), ENDED_KEY_PREFIX + sid)
    store.close()


def unique_sid(sids: list[str]) -> str:
    sid = f"unit-sessions-{uuid.uuid4().hex}"
    sids.append(sid)
    return sid


def test_in_redis_an_ended_session_id_is_remembered_ten_minutes(redis_db) -> None:
    store, sids = redis_db
    ended, other = unique_sid(sids), unique_sid(sids)
    keys = SessionKeys(store, None)
    keys.mark_ended(ended)
    assert store.get(ENDED_KEY_PREFIX + ended) == b"1"
    assert 590 < store.ttl(ENDED_KEY_PREFIX + ended) <= 600
    assert (keys.was_ended(ended), keys.was_ended(other)) == (True, False)


def test_in_redis_a_session_is_found_and_deleted_by_its_id(redis_db) -> None:
    store, sids = redis_db
    first, second, never = unique_sid(sids), unique_sid(sids), unique_sid(sids)
    store.set(session_key(first), b"{}")
    store.set(session_key(second), b"{}")
    keys = SessionKeys(store, None)
    assert (keys.exists(first), keys.exists(never)) == (True, False)
    keys.delete(first)
    assert (store.exists(session_key(first)), store.exists(session_key(second))) == (0, 1)


# --- DiskSessionSweeper.sweep --------------------------------------------------------------


def stored(folder: Path, name: str, value: object, age: int) -> Path:
    """A session file as Flask-Session writes it, last written ``age`` seconds before NOW."""
    SessionFolder(str(folder)).set(session_key(name), value)
    path = file_of(folder, session_key(name))
    os.utime(path, (NOW - age, NOW - age))
    return path


def signed_in(refresh_token: str | None) -> dict[str, Any]:
    return {"user": {"sub": "sub-alice"}, "tokens": {"refresh_token": refresh_token}}


def remaining(folder: Path, names: dict[str, Path]) -> set[str]:
    return {name for name, path in names.items() if path.exists()}


@pytest.mark.parametrize(
    ("idle", "ages"),
    [
        # The idle timeout is longer than a pending sign-in may last (the default).
        (IDLE, {"signed_in": SIGNED_IN_EXPIRY, "pending": PENDING_SIGN_IN_SECONDS}),
        # ... and shorter (SESSION_IDLE_SECONDS=60).
        (60, {"signed_in": 60 + SESSION_TOUCH_SECONDS, "pending": PENDING_SIGN_IN_SECONDS}),
    ],
)
def test_a_file_goes_the_second_after_its_session_would_have_expired(folder, idle, ages) -> None:
    revoked: list[str] = []
    files = {
        "signed in, at its expiry": stored(folder, "a", signed_in("rt-a"), ages["signed_in"]),
        "signed in, past it": stored(folder, "b", signed_in("rt-b"), ages["signed_in"] + 1),
        "pending, at its expiry": stored(folder, "c", {"login_next": "/"}, ages["pending"]),
        "pending, past it": stored(folder, "d", {"login_next": "/"}, ages["pending"] + 1),
    }
    sweeper = DiskSessionSweeper(SessionFolder(str(folder)), idle, revoked.append)
    assert sweeper.sweep(now=NOW) == 2
    assert remaining(folder, files) == {"signed in, at its expiry", "pending, at its expiry"}
    assert revoked == ["rt-b"]


def test_a_sweep_passes_over_every_file_it_keeps_and_never_touches_other_entries(
    folder,
) -> None:
    """Many of each, so that whatever order the folder lists them in, the files to remove come
    after some of those to keep."""
    revoked: list[str] = []
    kept, gone = {}, {}
    for i in range(8):
        kept[f"young {i}"] = stored(folder, f"young-{i}", {"login_next": "/"}, 10)
        kept[f"signed in {i}"] = stored(folder, f"in-{i}", signed_in(f"rt-in-{i}"), 1000)
        gone[f"abandoned {i}"] = stored(folder, f"gone-{i}", {"login_next": "/"}, 700)
        gone[f"expired {i}"] = stored(folder, f"exp-{i}", signed_in(f"rt-exp-{i}"), 2000)
        gone[f"token-less {i}"] = stored(folder, f"none-{i}", signed_in(None), 2000)
        gone[f"unreadable {i}"] = folder / f"unreadable-{i}"
        gone[f"unreadable {i}"].write_bytes(b"\0\0\0\0not a pickle")
        kept[f"folder {i}"] = folder / f"folder-{i}"
        kept[f"folder {i}"].mkdir()
        kept[f"bookkeeping {i}"] = folder / f"__bookkeeping-{i}"
        kept[f"bookkeeping {i}"].write_bytes(b"")
    for name in [*gone, *(name for name in kept if name.startswith(("folder", "bookkeeping")))]:
        path = {**kept, **gone}[name]
        os.utime(path, (NOW - 5000, NOW - 5000))
    sweeper = DiskSessionSweeper(SessionFolder(str(folder)), IDLE, revoked.append)
    assert sweeper.sweep(now=NOW) == len(gone)
    assert remaining(folder, {**kept, **gone}) == set(kept)
    assert sorted(revoked) == sorted(f"rt-exp-{i}" for i in range(8))


def test_a_session_removed_while_the_sweep_revokes_its_token_counts_as_removed(folder) -> None:
    """Signed out in its tab meanwhile (which deleted the file): the sweep carries on."""
    path = stored(folder, "a", signed_in("rt-a"), SIGNED_IN_EXPIRY + 1)
    revoked: list[str] = []

    def revoke_while_signing_out(token: str) -> None:
        revoked.append(token)
        path.unlink()

    sweeper = DiskSessionSweeper(SessionFolder(str(folder)), IDLE, revoke_while_signing_out)
    assert sweeper.sweep(now=NOW) == 1
    assert (revoked, path.exists()) == (["rt-a"], False)


def test_a_sweep_says_how_many_it_removed_and_nothing_when_none(folder, caplog) -> None:
    stored(folder, "a", {"login_next": "/"}, PENDING_SIGN_IN_SECONDS + 1)
    stored(folder, "b", signed_in("rt-b"), SIGNED_IN_EXPIRY + 1)
    sweeper = DiskSessionSweeper(SessionFolder(str(folder)), IDLE, lambda _token: None)
    with caplog.at_level(logging.INFO, logger="app.sessions"):
        assert sweeper.sweep(now=NOW) == 2
        assert sweeper.sweep(now=NOW) == 0
    assert [(r.name, r.levelname, r.getMessage(), r.event, r.count) for r in caplog.records] == [
        ("app.sessions", "INFO", "expired sessions removed", "session_sweep", 2)
    ]


def test_the_portals_sweeper_revokes_through_the_portal_at_its_idle_timeout(
    tmp_path, revoked
) -> None:
    app = session_app(
        load_settings(portal_env(tmp_path, SESSION_IDLE_SECONDS="900")), None, revoked
    )
    sid = app.test_client().post("/sign-in").text
    path = file_of(tmp_path / "sessions", session_key(sid))
    written = path.stat().st_mtime
    sweeper: DiskSessionSweeper = app.extensions["mfa_portal.session_sweeper"]
    sweeper.sweep(now=written + 900 + SESSION_TOUCH_SECONDS)
    assert (path.exists(), revoked) == (True, [])
    sweeper.sweep(now=written + 900 + SESSION_TOUCH_SECONDS + 1)
    assert (path.exists(), revoked) == (False, ["rt-alice"])


# --- DiskSessionSweeper.maybe_sweep --------------------------------------------------------


@pytest.fixture
def clock(monkeypatch) -> ManualClock:
    """The monotonic clock ``maybe_sweep`` reads, at 0 (it may read anything)."""
    clock = ManualClock(0.0)
    monkeypatch.setattr("app.sessions.time", SimpleNamespace(monotonic=clock, time=time.time))
    return clock


def sweep_finished(sweeper: DiskSessionSweeper) -> None:
    """Wait for the sweep in flight, if any, to end (it releases the sweeper's lock)."""
    assert sweeper._lock.acquire(timeout=30)
    sweeper._lock.release()


def test_requests_start_a_sweep_in_the_background_at_once_then_once_a_minute(
    on_disk, clock, monkeypatch
) -> None:
    sweeper: DiskSessionSweeper = on_disk.extensions["mfa_portal.session_sweeper"]
    sweeps: list[tuple[float, str, bool]] = []

    def sweep() -> int:
        thread = threading.current_thread()
        sweeps.append((clock.now, thread.name, thread.daemon))
        return 0

    monkeypatch.setattr(sweeper, "sweep", sweep)
    client = on_disk.test_client()
    for clock.now in (0.0, 0.0, 59.9, 60.0, 119.9, 120.0):
        assert client.get("/value").status_code == 200
        sweep_finished(sweeper)
    assert sweeps == [
        (0.0, "session-sweep", True),
        (60.0, "session-sweep", True),
        (120.0, "session-sweep", True),
    ]


class SweepInProgress:
    """The sweeper's lock while another request's sweep runs: taken, and not to be waited for."""

    def acquire(self, blocking: bool = True) -> bool:
        assert not blocking, "a request waited for another request's sweep"
        return False

    def release(self) -> None:
        raise AssertionError("released a sweep that this request didn't start")


def test_a_request_never_waits_for_a_sweep_in_progress(on_disk, clock, monkeypatch) -> None:
    sweeper: DiskSessionSweeper = on_disk.extensions["mfa_portal.session_sweeper"]
    monkeypatch.setattr(sweeper, "_lock", SweepInProgress())
    monkeypatch.setattr(sweeper, "sweep", lambda: pytest.fail("a second sweep started"))
    assert on_disk.test_client().get("/value").status_code == 200


def test_a_failed_sweep_is_logged_and_counted_and_the_next_one_runs(
    on_disk, folder, clock, caplog
) -> None:
    sweeper: DiskSessionSweeper = on_disk.extensions["mfa_portal.session_sweeper"]
    client = on_disk.test_client()
    shutil.rmtree(folder)
    failures = store_errors("sweep")
    with caplog.at_level(logging.INFO, logger="app.sessions"):
        assert client.get("/value").status_code == 200
        sweep_finished(sweeper)
    assert [
        (r.name, r.levelname, r.getMessage(), r.event, r.exc_info[0] if r.exc_info else None)
        for r in caplog.records
    ] == [("app.sessions", "ERROR", "session sweep failed", "session_sweep", FileNotFoundError)]
    assert store_errors("sweep") == failures + 1
    folder.mkdir()
    abandoned = folder / "abandoned"
    abandoned.write_bytes(b"")
    os.utime(abandoned, (NOW, NOW))
    clock.now = 60.0
    assert client.get("/value").status_code == 200
    sweep_finished(sweeper)
    assert abandoned.exists() is False


# --- GuardedSessionInterface, through requests ---------------------------------------------


def cookie_attributes(response: Any) -> tuple[str, set[str], float]:
    """The session cookie set by a response: its name, its attributes but Expires, and when it
    expires (a timestamp)."""
    [header] = response.headers.getlist("Set-Cookie")
    name, *attributes = [part.strip() for part in header.split(";")]
    [expires] = [a.removeprefix("Expires=") for a in attributes if a.startswith("Expires=")]
    others = {a for a in attributes if not a.startswith("Expires=")}
    return name.split("=")[0], others, parse_date(expires).timestamp()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("base_url", "name", "attributes"),
    [
        ("http://portal.test", "mfa_portal", {"HttpOnly", "Path=/", "SameSite=Lax"}),
        (
            "https://portal.test",
            "__Host-mfa_portal",
            {"Secure", "HttpOnly", "Path=/", "SameSite=Lax"},
        ),
    ],
)
def test_the_session_cookie_is_the_portals_and_lasts_as_long_as_the_store_keeps_it(
    tmp_path, base_url, name, attributes
) -> None:
    app = session_app(load_settings(portal_env(tmp_path, PORTAL_BASE_URL=base_url)), None, [])
    before = int(time.time())
    response = app.test_client().post("/value/first", base_url=base_url)
    after = time.time()
    cookie_name, cookie, expires = cookie_attributes(response)
    assert (cookie_name, cookie) == (name, attributes)
    assert before + SIGNED_IN_EXPIRY <= expires <= after + SIGNED_IN_EXPIRY


def test_a_session_is_written_and_read_back(on_disk, folder) -> None:
    client = on_disk.test_client()
    sid = started_session(client, "first")
    assert client.get("/value").text == "first"
    assert SessionFolder(str(folder)).get(session_key(sid)) == {
        "value": "first",
        "_permanent": True,
    }


def test_a_session_signed_out_in_another_tab_while_a_request_ran_is_not_written_back(
    on_disk, folder
) -> None:
    client = on_disk.test_client()
    sid = started_session(client)
    on_disk.extensions["meanwhile"].append(lambda: in_another_tab(on_disk, sid, "/sign-out"))
    response = client.post("/value/late")
    assert response.headers.getlist("Set-Cookie") == []
    keys = SessionKeys(None, SessionFolder(str(folder)))
    assert (keys.exists(sid), keys.was_ended(sid)) == (False, True)


def test_a_late_request_of_an_ended_session_leaves_the_new_sign_in_s_cookie_alone(
    tmp_path,
) -> None:
    """A sign-in in another tab replaced the session while this request ran: the browser holds
    the new session's cookie now, and this request's answer must not delete it."""
    base_url = "https://portal.test"
    app = session_app(load_settings(portal_env(tmp_path, PORTAL_BASE_URL=base_url)), None, [])
    browser = app.test_client()
    browser.post("/value/first", base_url=base_url)

    def sign_in_in_another_tab() -> None:
        tab = threading.Thread(target=lambda: browser.post("/sign-in", base_url=base_url))
        tab.start()
        tab.join()

    app.extensions["meanwhile"].append(sign_in_in_another_tab)
    response = browser.post("/value/late", base_url=base_url)
    assert response.headers.getlist("Set-Cookie") == []
    cookie = browser.get_cookie("__Host-mfa_portal", domain="portal.test")
    assert cookie is not None
    assert SessionKeys(None, SessionFolder(str(tmp_path / "sessions"))).exists(cookie.value)


def test_a_session_being_ended_elsewhere_is_not_written_back(on_disk, folder) -> None:
    """The ending request marked it ended and hasn't deleted it yet."""
    client = on_disk.test_client()
    sid = started_session(client)
    store = SessionFolder(str(folder))
    on_disk.extensions["meanwhile"].append(lambda: SessionKeys(None, store).mark_ended(sid))
    response = client.post("/value/late")
    assert response.headers.getlist("Set-Cookie") == []
    assert store.get(session_key(sid)) == {
        "value": "first",
        "_permanent": True,
    }  # for the ending request to delete


def test_a_session_swept_away_while_a_request_ran_is_not_written_back(on_disk, folder) -> None:
    client = on_disk.test_client()
    sid = started_session(client)
    sweeper: DiskSessionSweeper = on_disk.extensions["mfa_portal.session_sweeper"]
    on_disk.extensions["meanwhile"].append(lambda: sweeper.sweep(now=time.time() + 10_000))
    response = client.post("/value/late")
    assert response.headers.getlist("Set-Cookie") == []
    assert SessionKeys(None, SessionFolder(str(folder))).exists(sid) is False


def test_a_sign_out_that_lands_while_the_session_is_written_still_wins(
    on_disk, folder, monkeypatch
) -> None:
    """The other tab marks the session ended and deletes it just before this request's write
    lands: the write is undone."""
    client = on_disk.test_client()
    sid = started_session(client)
    store: SessionFolder = on_disk.config["SESSION_CACHELIB"]
    write = store.set
    pending = [lambda: in_another_tab(on_disk, sid, "/sign-out")]

    def sign_out_then_write(key: str, value: object, timeout: object = None) -> bool:
        if key == session_key(sid) and pending:
            assert pending.pop()() == 200
        return write(key, value, timeout)

    monkeypatch.setattr(store, "set", sign_out_then_write)
    assert client.post("/value/late").status_code == 200
    keys = SessionKeys(None, SessionFolder(str(folder)))
    assert (pending, keys.exists(sid), keys.was_ended(sid)) == ([], False, True)


def test_a_discarded_session_is_not_written(on_disk, folder) -> None:
    client = on_disk.test_client()
    sid = started_session(client)
    response = client.post("/discarded/ignored")
    assert response.headers.getlist("Set-Cookie") == []
    assert SessionFolder(str(folder)).get(session_key(sid)) == {
        "value": "first",
        "_permanent": True,
    }


def test_a_new_id_at_sign_in_leaves_the_old_one_ended(on_disk, folder) -> None:
    client = on_disk.test_client()
    planted = started_session(client)
    sid = client.post("/sign-in").text
    keys = SessionKeys(None, SessionFolder(str(folder)))
    assert sid != planted
    assert (keys.exists(planted), keys.was_ended(planted)) == (False, True)
    assert (keys.exists(sid), keys.was_ended(sid)) == (True, False)


def test_in_redis_sessions_and_their_ends_live_in_the_database_given(
    redis_db, settings, revoked
) -> None:
    store, sids = redis_db
    app = session_app(settings, store, revoked)
    client = app.test_client()
    sid = started_session(client)
    sids.append(sid)
    assert json.loads(store.get(session_key(sid))) == {"value": "first", "_permanent": True}
    assert client.post("/sign-out").status_code == 200
    assert (store.exists(session_key(sid)), store.get(ENDED_KEY_PREFIX + sid)) == (0, b"1")
    assert "mfa_portal.session_sweeper" not in app.extensions


# --- GuardedSessionInterface, called directly ------------------------------------------------


def test_a_null_session_is_never_saved(on_disk) -> None:
    """What a request gets when the store failed as it opened the session."""
    interface: GuardedSessionInterface = on_disk.session_interface  # type: ignore[assignment]
    with on_disk.test_request_context("/"):
        response = Response()
        interface.save_session(on_disk, interface.make_null_session(on_disk), response)
    assert response.headers.getlist("Set-Cookie") == []


@pytest.mark.parametrize(
    "operation",
    [
        lambda app, interface, session: interface.save_session(app, session, Response()),
        lambda app, interface, session: interface.end(session),
        lambda app, interface, session: interface.regenerate(session),
    ],
    ids=["save", "end", "regenerate"],
)
def test_a_store_that_fails_is_a_session_store_error_counted_by_its_kind(
    settings, operation
) -> None:
    down = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    app = session_app(settings, down, [])
    interface: GuardedSessionInterface = app.session_interface  # type: ignore[assignment]
    before = store_errors("connection")
    with app.test_request_context("/"):
        session = interface.store.session_class({"value": "first"}, sid="s-1")  # type: ignore[attr-defined]
        with pytest.raises(SessionStoreError) as refused:
            operation(app, interface, session)
    assert type(refused.value.__cause__) is redis.exceptions.ConnectionError
    assert store_errors("connection") == before + 1
