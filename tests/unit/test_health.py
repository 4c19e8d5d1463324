"""The load balancer's probes piece by piece: the discovery check's cache and its one-at-a-time
guard, the request it sends, the store check, and the probe app's own answers."""

from __future__ import annotations

from typing import Any

import pytest
import redis
import requests

from app import health
from app.config import load_settings
from app.health import READY_CACHE_SECONDS, DiscoveryCheck, create_probe_app
from tests.support.unit import portal_env


@pytest.fixture
def settings(tmp_path: Any):
    return load_settings(
        portal_env(tmp_path, COGNITO_CONNECT_TIMEOUT="1.5", COGNITO_READ_TIMEOUT="4")
    )


class Asked:
    """Stands in for ``DiscoveryCheck._ask``: counts the questions, gives set answers."""

    def __init__(self, *answers: bool) -> None:
        self.answers = list(answers)
        self.times = 0

    def __call__(self, _settings: Any) -> bool:
        self.times += 1
        return self.answers.pop(0)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [5000.0]
    monkeypatch.setattr(health.time, "monotonic", lambda: now[0])
    return now


def test_a_new_check_asks_at_once_and_remembers_for_ten_seconds(settings, clock, monkeypatch):
    asked = Asked(True, False)
    monkeypatch.setattr(DiscoveryCheck, "_ask", staticmethod(asked))
    check = DiscoveryCheck()
    assert check.answer is None
    assert check.reachable(settings) is True
    assert (asked.times, check.checked_at) == (1, 5000.0)
    clock[0] += READY_CACHE_SECONDS - 0.01
    assert check.reachable(settings) is True
    assert asked.times == 1
    clock[0] += 0.01  # exactly ten seconds on: asked again
    assert check.reachable(settings) is False
    assert asked.times == 2


def test_a_failed_answer_is_remembered_too(settings, clock, monkeypatch):
    asked = Asked(False)
    monkeypatch.setattr(DiscoveryCheck, "_ask", staticmethod(asked))
    check = DiscoveryCheck()
    assert check.reachable(settings) is False
    assert check.reachable(settings) is False
    assert asked.times == 1


def test_a_new_check_is_not_fresh_even_at_the_clocks_start(settings, monkeypatch):
    """The monotonic clock may start near zero: a new check must still ask."""
    monkeypatch.setattr(health.time, "monotonic", lambda: 0.0)
    asked = Asked(True)
    monkeypatch.setattr(DiscoveryCheck, "_ask", staticmethod(asked))
    assert DiscoveryCheck().reachable(settings) is True
    assert asked.times == 1


def test_while_one_probe_asks_the_others_get_the_last_answer(settings, clock, monkeypatch):
    asked = Asked(True, True)
    monkeypatch.setattr(DiscoveryCheck, "_ask", staticmethod(asked))
    check = DiscoveryCheck()
    assert check._asking.acquire(blocking=False)  # another probe is asking Cognito
    try:
        assert check.reachable(settings) is False  # nothing known yet
        assert asked.times == 0
    finally:
        check._asking.release()
    assert check.reachable(settings) is True
    clock[0] += READY_CACHE_SECONDS
    assert check._asking.acquire(blocking=False)
    try:
        assert check.reachable(settings) is True  # stale, but the last answer
        assert asked.times == 1
    finally:
        check._asking.release()


def test_the_lock_is_released_when_asking_fails(settings, monkeypatch):
    def broken(_settings: Any) -> bool:
        raise RuntimeError("boom")

    monkeypatch.setattr(DiscoveryCheck, "_ask", staticmethod(broken))
    check = DiscoveryCheck()
    with pytest.raises(RuntimeError):
        check.reachable(settings)
    assert check._asking.acquire(blocking=False)
    check._asking.release()


class Answer:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code


def test_the_question_is_the_discovery_document_within_the_cognito_timeouts(settings, monkeypatch):
    sent: list[tuple[str, Any]] = []

    def get(url: str, **kwargs: Any) -> Answer:
        sent.append((url, kwargs))
        return Answer(200)

    monkeypatch.setattr(health.requests, "get", get)
    assert DiscoveryCheck._ask(settings) is True
    assert sent == [(settings.discovery_url, {"timeout": (1.5, 4.0)})]


@pytest.mark.parametrize("status", [301, 404, 500, 503])
def test_anything_but_200_is_not_reachable(settings, monkeypatch, status):
    monkeypatch.setattr(health.requests, "get", lambda *_a, **_k: Answer(status))
    assert DiscoveryCheck._ask(settings) is False


@pytest.mark.parametrize("failure", [requests.ConnectionError("refused"), requests.Timeout("slow")])
def test_an_unreachable_discovery_document_is_not_reachable(settings, monkeypatch, failure):
    def get(*_a: Any, **_k: Any) -> Answer:
        raise failure

    monkeypatch.setattr(health.requests, "get", get)
    assert DiscoveryCheck._ask(settings) is False


# --- the session store ---------------------------------------------------------------------


class Store:
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def ping(self) -> Any:
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


def readiness(settings: Any, store: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(DiscoveryCheck, "reachable", lambda _self, _settings: True)
    return create_probe_app(settings, store).test_client().get("/readyz")


@pytest.mark.parametrize(
    ("answer", "ready"),
    [
        (True, True),
        (False, False),
        (redis.exceptions.ConnectionError("down"), False),
        (redis.exceptions.TimeoutError("slow"), False),
        (OSError("reset"), False),
    ],
)
def test_with_redis_the_store_is_ready_when_it_answers_a_ping(settings, monkeypatch, answer, ready):
    response = readiness(settings, Store(answer), monkeypatch)
    assert response.status_code == (200 if ready else 503)
    assert response.json == {
        "status": "ok" if ready else "unavailable",
        "checks": {"session_store": ready, "cognito_discovery": True},
    }


def test_without_redis_the_store_is_the_session_folder(settings, monkeypatch):
    seen: list[str] = []

    def usable(folder: str) -> bool:
        seen.append(folder)
        return False

    monkeypatch.setattr(health, "folder_usable", usable)
    response = readiness(settings, None, monkeypatch)
    assert response.status_code == 503
    assert response.json["checks"]["session_store"] is False
    assert seen == [settings.session_dir]


def test_the_probe_app_checks_discovery_with_its_own_settings(settings, monkeypatch):
    asked: list[Any] = []

    def reachable(_self: Any, given: Any) -> bool:
        asked.append(given)
        return False

    monkeypatch.setattr(DiscoveryCheck, "reachable", reachable)
    response = create_probe_app(settings, Store(True)).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {"session_store": True, "cognito_discovery": False}
    assert asked == [settings]


def test_the_probe_app_answers_its_errors_in_json(settings):
    probes = create_probe_app(settings, None).test_client()
    wrong_method = probes.post("/healthz")
    assert wrong_method.status_code == 405
    assert wrong_method.json == {"status": "error", "error": "Method Not Allowed"}
    missing = probes.get("/nothing-here")
    assert missing.status_code == 404
    assert missing.json == {"status": "error", "error": "Not Found"}
    assert probes.get("/healthz").json == {"status": "ok"}
