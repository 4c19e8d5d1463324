"""Pacing Cognito calls per quota category: the schedule, the bound on waiting, retries drawing
from the same bucket, and the busy notice a person sees when no place is near."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest
import redis
from botocore.awsrequest import AWSResponse
from markupsafe import escape

from app import create_app
from app.cognito import CognitoService
from app.config import load_settings
from app.errors import PortalError, lookup
from app.pacing import (
    CATEGORY_OF_OPERATION,
    REDIS_KEY_PREFIX,
    LocalSchedule,
    Pacer,
    QuotaExhaustedError,
    Rate,
    RedisSchedule,
    Reservation,
    build_pacer,
)
from tests.support.unit import (
    ACCESS_TOKEN,
    ManualClock,
    StreamBody,
    csrf_token,
    get_user_response,
    portal_env,
    sign_in,
)


def test_places_are_one_interval_apart_and_none_is_taken_past_the_bound():
    clock = ManualClock()
    schedule = LocalSchedule(clock)
    rate = Rate(4)  # one call every 0.25 s
    waits = [schedule.reserve("UserUpdate", rate, 0.6) for _ in range(3)]
    assert waits == [Reservation(0.0, 1), Reservation(0.25, 0), Reservation(0.5, 0)]
    assert schedule.reserve("UserUpdate", rate, 0.6) == pytest.approx(0.75)
    # the refusal took nothing: once the clock moves on, the next place is where it was
    clock.now += 0.25
    assert schedule.reserve("UserUpdate", rate, 0.6) == Reservation(0.5, 0)


def test_an_idle_bucket_does_not_bank_more_than_its_burst():
    clock = ManualClock()
    schedule = LocalSchedule(clock)
    rate = Rate(10, burst=3)
    schedule.reserve("UserRead", rate, 1.0)
    clock.now += 60  # a quiet minute
    taken = [schedule.reserve("UserRead", rate, 0.0) for _ in range(4)]
    assert taken[:3] == [Reservation(0.0, 3), Reservation(0.0, 2), Reservation(0.0, 1)]
    assert taken[3] == pytest.approx(0.1)


def test_categories_have_schedules_of_their_own():
    schedule = LocalSchedule(ManualClock())
    rate = Rate(1)
    assert schedule.reserve("UserUpdate", rate, 0) == Reservation(0.0, 1)
    assert schedule.reserve("UserRead", rate, 0) == Reservation(0.0, 1)
    assert isinstance(schedule.reserve("UserUpdate", rate, 0), float)


def test_each_operation_the_portal_calls_is_in_the_category_cognito_counts_it_in():
    assert CATEGORY_OF_OPERATION["GetUser"] == "UserRead"
    updates = {
        "SetUserSettings",
        "UpdateUserAttributes",
        "VerifyUserAttribute",
        "GlobalSignOut",
        "AssociateSoftwareToken",
        "VerifySoftwareToken",
        "SetUserMFAPreference",
    }
    assert {op for op, cat in CATEGORY_OF_OPERATION.items() if cat == "UserUpdate"} == updates
    assert CATEGORY_OF_OPERATION["GetUserAttributeVerificationCode"] == "UserAccountRecovery"


class Recorder:
    def __init__(self) -> None:
        self.slept: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)


def test_a_call_waits_for_its_place_then_goes():
    sleep = Recorder()
    pacer = Pacer({"UserUpdate": Rate(2)}, 1.0, LocalSchedule(ManualClock()), sleep)
    pacer.before_attempt("SetUserSettings")
    pacer.before_attempt("SetUserSettings")
    assert sleep.slept == [0.5]


def test_past_the_bound_the_call_is_refused_and_logged_once(caplog):
    pacer = Pacer({"UserUpdate": Rate(2)}, 0.4, LocalSchedule(ManualClock()), Recorder())
    pacer.before_attempt("SetUserSettings")
    with pytest.raises(QuotaExhaustedError) as refused:
        pacer.before_attempt("VerifyUserAttribute")
    assert refused.value.category == "UserUpdate"
    assert refused.value.retry_after == pytest.approx(0.5)
    with pytest.raises(QuotaExhaustedError):
        pacer.before_attempt("SetUserSettings")
    dry = [r for r in caplog.records if getattr(r, "event", "") == "quota_exhausted"]
    assert len(dry) == 1
    assert dry[0].category == "UserUpdate"
    assert dry[0].levelname == "WARNING"


def test_operations_of_unpaced_categories_never_wait():
    sleep = Recorder()
    pacer = Pacer({"UserUpdate": Rate(1)}, 0.0, LocalSchedule(ManualClock()), sleep)
    for _ in range(5):
        pacer.before_attempt("GetUser")  # UserRead has no rate here
        pacer.before_attempt("RevokeToken")  # not in a paced category
    assert sleep.slept == []


def test_the_settings_give_each_category_its_rate(tmp_path):
    settings = load_settings(
        portal_env(
            tmp_path,
            COGNITO_RATE_USER_READ="50",
            COGNITO_RATE_USER_UPDATE="0",
            COGNITO_RATE_ACCOUNT_RECOVERY="7.5",
            COGNITO_QUOTA_WAIT_SECONDS="1.5",
        )
    )
    pacer = build_pacer(settings, None)
    assert pacer.rates == {"UserRead": Rate(50), "UserAccountRecovery": Rate(7.5)}
    assert pacer.wait_bound == 1.5
    assert isinstance(pacer.schedule, LocalSchedule)


def test_the_defaults_are_about_half_the_documented_quotas(tmp_path):
    settings = load_settings(portal_env(tmp_path))
    assert settings.cognito_rate_user_read == 60
    assert settings.cognito_rate_user_update == 12
    assert settings.cognito_rate_account_recovery == 15
    assert settings.cognito_quota_wait_seconds == 2


# --- on the boto3 client: every attempt, retries included ----------------------------------


def _service(tmp_path: Any, pacer: Pacer, attempts: int = 3) -> CognitoService:
    settings = load_settings(portal_env(tmp_path, COGNITO_MAX_ATTEMPTS=str(attempts)))
    return CognitoService(settings, pacer)


def test_botocore_retries_on_throttling_take_their_own_places(tmp_path, monkeypatch):
    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda *_: 0)
    sleep = Recorder()
    pacer = Pacer({"UserRead": Rate(10)}, 5.0, LocalSchedule(ManualClock()), sleep)
    service = _service(tmp_path, pacer)
    answers = iter([400, 400, 200])
    sent: list[int] = []

    def cognito(request: Any, **_: Any) -> AWSResponse:
        status = next(answers)
        sent.append(status)
        body = (
            {"__type": "TooManyRequestsException", "message": "Too many requests"}
            if status == 400
            else get_user_response()
        )
        return AWSResponse(request.url, status, {}, StreamBody(json.dumps(body).encode()))

    service.client.meta.events.register("before-send.cognito-idp.*", cognito)
    status = service.get_mfa_status(ACCESS_TOKEN)
    assert status.phone_number == "+12025550100"
    assert sent == [400, 400, 200]
    # three attempts, three places: the second and third each waited one interval more
    assert sleep.slept == pytest.approx([0.1, 0.2])


def test_a_dry_bucket_sends_nothing_and_says_busy(tmp_path):
    pacer = Pacer({"UserUpdate": Rate(1)}, 0.0, LocalSchedule(ManualClock()), Recorder())
    service = _service(tmp_path, pacer)
    sent: list[str] = []

    def cognito(request: Any, **_: Any) -> AWSResponse:
        sent.append(request.headers["X-Amz-Target"].decode())
        return AWSResponse(request.url, 200, {}, StreamBody(b"{}"))

    service.client.meta.events.register("before-send.cognito-idp.*", cognito)
    service.set_sms_mfa(ACCESS_TOKEN, True)
    with pytest.raises(PortalError) as busy:
        service.set_sms_mfa(ACCESS_TOKEN, False)
    assert busy.value.code == "portal:busy"
    assert busy.value.operation == "SetUserSettings"
    assert busy.value.retry_after == pytest.approx(1.0)
    assert len(sent) == 1


def test_the_busy_page_says_when_to_try_again(tmp_path):
    app = create_app(
        load_settings(
            portal_env(tmp_path, COGNITO_RATE_USER_READ="0.5", COGNITO_QUOTA_WAIT_SECONDS="0")
        )
    )
    client = app.extensions["mfa_portal.cognito"].client
    client.meta.events.register(
        "before-send.cognito-idp.*",
        lambda request, **_: AWSResponse(
            request.url, 200, {}, StreamBody(json.dumps(get_user_response()).encode())
        ),
    )
    person = app.test_client()
    sign_in(person)
    assert person.get("/settings/mfa").status_code == 200
    page = person.get("/settings/phone")  # another page, its own read: no place for 2 s
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "2"
    # A page view changed nothing and is no update: it says what it couldn't do.
    assert str(escape(lookup("portal:busy", "read").message)) in page.text
    assert lookup("portal:busy").summary not in page.text


# --- in Redis: one schedule for every worker and instance ----------------------------------


@pytest.fixture
def store():
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379 (.ci/run starts one)")
    category = f"UnitTest-{uuid.uuid4().hex}"
    yield client, category
    client.delete(f"{REDIS_KEY_PREFIX}:{category}")
    client.close()


def test_two_processes_share_one_schedule_in_redis(store):
    client, category = store
    first, second = RedisSchedule(client), RedisSchedule(client)
    rate = Rate(1)  # one a second: a second place is a second away
    assert first.reserve(category, rate, 5.0) == Reservation(0.0, 1)
    taken = second.reserve(category, rate, 5.0)
    assert isinstance(taken, Reservation)
    assert 0.9 < taken.wait <= 1.0
    refused = first.reserve(category, rate, 0.5)
    assert isinstance(refused, float)
    assert 1.9 < refused <= 2.0
    assert 0 < client.pttl(f"{REDIS_KEY_PREFIX}:{category}") <= 3000


def test_with_redis_down_the_process_paces_alone(caplog):
    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    fallback = LocalSchedule(ManualClock())
    schedule = RedisSchedule(down, fallback)
    assert schedule.reserve("UserUpdate", Rate(1), 0.0) == Reservation(0.0, 1)
    assert isinstance(schedule.reserve("UserUpdate", Rate(1), 0.0), float)
    assert any(getattr(r, "event", "") == "quota_store_error" for r in caplog.records)


def test_the_request_line_says_how_long_the_request_waited_for_its_places(tmp_path, caplog):
    app = create_app(load_settings(portal_env(tmp_path, COGNITO_RATE_USER_READ="4")))
    logging.getLogger().addHandler(caplog.handler)  # create_app set up the portal's own
    pacer = app.extensions["mfa_portal.cognito"]._pacer
    pacer.schedule, pacer._sleep = LocalSchedule(ManualClock()), Recorder()
    app.extensions["mfa_portal.cognito"].client.meta.events.register(
        "before-send.cognito-idp.*",
        lambda request, **_: AWSResponse(
            request.url, 200, {}, StreamBody(json.dumps(get_user_response()).encode())
        ),
    )
    person = app.test_client()
    sign_in(person)
    person.get("/settings/mfa")
    person.get("/settings/phone")
    person.get("/")
    lines = [r for r in caplog.records if getattr(r, "event", "") == "request"]
    assert [getattr(r, "quota_wait_ms", None) for r in lines] == [0.0, 250.0, None]


def test_operators_see_the_wait_the_refusal_and_the_bucket_level_in_metrics():
    from prometheus_client import REGISTRY

    def sample(name: str) -> float:
        value = REGISTRY.get_sample_value(f"mfa_portal_{name}", {"category": "UserUpdate"})
        return value or 0.0

    refused, waits = sample("quota_exhausted_total"), sample("quota_wait_seconds_count")
    pacer = Pacer({"UserUpdate": Rate(2, burst=2)}, 0.4, LocalSchedule(ManualClock()), Recorder())
    pacer.before_attempt("SetUserSettings")
    assert sample("quota_tokens") == 2  # idle: the whole burst
    pacer.before_attempt("SetUserSettings")
    assert sample("quota_tokens") == 1
    with pytest.raises(QuotaExhaustedError):
        pacer.before_attempt("SetUserSettings")
    assert sample("quota_exhausted_total") == refused + 1
    assert sample("quota_wait_seconds_count") == waits + 2


def test_only_a_refusal_or_a_busy_page_says_when_to_come_back(signed_in, stubber):
    """Flask-Limiter puts its budget's reset on every answer of a limited route; a change that
    went through must not say "retry after 600 s" beside "done"."""
    stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    page = signed_in.get("/settings/mfa")
    stubber.add_response("get_user", get_user_response(), {"AccessToken": ACCESS_TOKEN})
    stubber.add_response(
        "set_user_settings",
        {},
        {
            "AccessToken": ACCESS_TOKEN,
            "MFAOptions": [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}],
        },
    )
    done = signed_in.post(
        "/settings/mfa", data={"csrf_token": csrf_token(page.text), "enable": "on"}
    )
    assert done.status_code == 303
    assert "Retry-After" not in done.headers
    assert "X-RateLimit-Remaining" in done.headers
