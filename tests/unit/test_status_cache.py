"""The status cache: a page view within the window costs no GetUser, a change at most two calls,
and nothing the person did is ever shown stale."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import redis
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber
from flask import Flask
from markupsafe import escape

from app import create_app
from app.cognito import SMS_MFA_OPTION, mfa_status_from_user
from app.config import Settings, load_settings
from app.errors import lookup
from app.status_cache import LOCAL_ENTRIES, StatusCache
from tests.support.unit import (
    ACCESS_TOKEN,
    ManualClock,
    StreamBody,
    csrf_token,
    get_user_response,
    portal_env,
    sign_in,
)

ENABLE = {"AccessToken": ACCESS_TOKEN, "MFAOptions": [SMS_MFA_OPTION]}
DISABLE = {"AccessToken": ACCESS_TOKEN, "MFAOptions": []}
ALICE = mfa_status_from_user(get_user_response())


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return load_settings(portal_env(tmp_path, STATUS_CACHE_SECONDS="20"))


def read(stubber: Stubber, **user: Any) -> None:
    stubber.add_response("get_user", get_user_response(**user), {"AccessToken": ACCESS_TOKEN})


# --- through the portal --------------------------------------------------------------------


def test_a_second_page_view_within_the_window_reads_nothing(signed_in, stubber, cognito_calls):
    read(stubber)
    assert "SMS MFA: Off" in signed_in.get("/settings/mfa").text
    again = signed_in.get("/settings/mfa")
    assert again.status_code == 200
    assert "SMS MFA: Off" in again.text
    assert "+1 ••• ••• 0100" in again.text
    assert cognito_calls == ["GetUser"]


def test_turning_on_costs_two_calls_and_the_page_after_shows_it_on(
    signed_in, stubber, cognito_calls
):
    read(stubber)
    page = signed_in.get("/settings/mfa")
    read(stubber)  # the verified-number check reads afresh, whatever is cached
    stubber.add_response("set_user_settings", {}, ENABLE)
    response = signed_in.post(
        "/settings/mfa", data={"csrf_token": csrf_token(page.text), "enable": "on"}
    )
    assert response.status_code == 303
    after = signed_in.get("/settings/mfa")
    assert "SMS MFA is now on" in after.text
    assert "SMS MFA: On" in after.text
    assert cognito_calls[1:] == ["GetUser", "SetUserSettings"]


def test_turning_on_reads_the_persons_generation_once(app, signed_in, stubber, monkeypatch):
    """The number check's read is remembered under the generation the change read first (one
    round trip to the cache; a drop between the two would otherwise go unseen)."""
    read(stubber)
    page = signed_in.get("/settings/mfa")
    cache = app.extensions["mfa_portal.status_cache"]
    reads: list[str] = []
    original = cache.generation
    monkeypatch.setattr(cache, "generation", lambda sub: reads.append(sub) or original(sub))
    read(stubber)
    stubber.add_response("set_user_settings", {}, ENABLE)
    signed_in.post("/settings/mfa", data={"csrf_token": csrf_token(page.text), "enable": "on"})
    assert reads == ["sub-alice"]


def test_turning_off_costs_the_change_and_the_page_after_reads_what_cognito_kept(
    signed_in, stubber, cognito_calls
):
    """SetUserSettings clears only the legacy SMS setting: if SMS is on in the newer one too,
    Cognito keeps it on, so the page after asks rather than say "off" from what was asked."""
    read(stubber, legacy_sms=True, mfa_settings=["SMS_MFA"])
    page = signed_in.get("/settings/mfa")
    confirm = signed_in.post(
        "/settings/mfa", data={"csrf_token": csrf_token(page.text), "enable": "off"}
    )
    assert "Yes, turn off SMS MFA" in confirm.text
    stubber.add_response("set_user_settings", {}, DISABLE)
    signed_in.post(
        "/settings/mfa",
        data={"csrf_token": csrf_token(confirm.text), "enable": "off", "confirmed": "yes"},
    )
    read(stubber, mfa_settings=["SMS_MFA"])
    after = signed_in.get("/settings/mfa")
    assert "SMS MFA is now off" in after.text
    assert "SMS MFA: On" in after.text  # what Cognito holds, not what was asked
    assert cognito_calls == ["GetUser", "SetUserSettings", "GetUser"]


def test_a_refused_change_leaves_the_read_status_shown(signed_in, stubber, cognito_calls):
    read(stubber, verified=False)
    page = signed_in.get("/settings/mfa")
    read(stubber, verified=False)
    signed_in.post("/settings/mfa", data={"csrf_token": csrf_token(page.text), "enable": "on"})
    after = signed_in.get("/settings/mfa")
    assert "SMS MFA: Off" in after.text
    assert cognito_calls == ["GetUser", "GetUser"]


def test_a_change_whose_outcome_is_unknown_is_read_again(app, signed_in):
    """SetUserSettings times out: it may have been made, so the next page asks Cognito."""
    calls: list[str] = []
    sms_on = {"value": False}

    def cognito(request: Any, **_kwargs: Any) -> AWSResponse:
        operation = request.headers["X-Amz-Target"].decode().rsplit(".", 1)[-1]
        calls.append(operation)
        if operation == "SetUserSettings":
            sms_on["value"] = True  # made at Cognito, but the answer never arrives
            raise ReadTimeoutError(endpoint_url=request.url)
        body = json.dumps(get_user_response(legacy_sms=sms_on["value"])).encode()
        return AWSResponse(request.url, 200, {}, StreamBody(body))

    app.extensions["mfa_portal.cognito"].client.meta.events.register(
        "before-send.cognito-idp.*", cognito
    )
    page = signed_in.get("/settings/mfa")
    signed_in.post("/settings/mfa", data={"csrf_token": csrf_token(page.text), "enable": "on"})
    after = signed_in.get("/settings/mfa")
    assert "could not confirm whether the change was saved" in after.text
    assert "SMS MFA: On" in after.text
    assert calls == ["GetUser", "GetUser", "SetUserSettings", "GetUser"]


def test_a_change_asked_of_cognito_drops_the_status(signed_in, stubber, cognito_calls):
    """A new phone number (asked of Cognito, whatever the answer) may change the page."""
    read(stubber)
    page = signed_in.get("/settings/phone")
    stubber.add_client_error("update_user_attributes", "CodeDeliveryFailureException", "no")
    signed_in.post(
        "/settings/phone",
        data={"csrf_token": csrf_token(page.text), "country": "US", "phone_number": "2025550143"},
    )
    read(stubber)
    signed_in.get("/settings/mfa")
    assert cognito_calls == ["GetUser", "UpdateUserAttributes", "GetUser"]


def test_a_post_that_asks_cognito_nothing_keeps_the_status(signed_in, stubber, cognito_calls):
    """A refused form, a forged CSRF token or a cancelled set-up change nothing at Cognito: no
    reason to spend a read (and no way for one person to spend everyone's)."""
    read(stubber)
    page = signed_in.get("/settings/phone")
    refused = signed_in.post(
        "/settings/phone",
        data={"csrf_token": csrf_token(page.text), "country": "US", "phone_number": "12"},
    )
    assert refused.status_code == 400  # shown again from what was read for the page
    forged = signed_in.post("/settings/mfa", data={"csrf_token": "forged", "enable": "on"})
    assert forged.status_code == 400
    cancelled = signed_in.post(
        "/settings/authenticator/cancel", data={"csrf_token": csrf_token(page.text)}
    )
    assert cancelled.status_code == 303
    assert "SMS MFA: Off" in signed_in.get("/settings/mfa").text
    assert cognito_calls == ["GetUser"]


def test_one_persons_reads_past_their_budget_say_wait(tmp_path, stubber_for):
    """Misses forced (as a drop would), one after another: the third is past the budget."""
    app = create_app(
        load_settings(
            portal_env(tmp_path, STATUS_CACHE_SECONDS="20", RATE_LIMIT_STATUS_READS="2 per minute")
        )
    )
    cache = app.extensions["mfa_portal.status_cache"]
    person = app.test_client()
    sign_in(person)
    with stubber_for(app) as (stubber, calls):
        read(stubber)
        read(stubber)
        assert person.get("/settings/mfa").status_code == 200
        cache.forget("sub-alice")
        assert person.get("/settings/mfa").status_code == 200
        cache.forget("sub-alice")
        third = person.get("/settings/mfa")
        assert third.status_code == 503
        assert 1 <= int(third.headers["Retry-After"]) <= 60
        assert str(escape(lookup("portal:status_reads").message)) in third.text
        assert calls == ["GetUser", "GetUser"]


def test_each_person_has_their_own_entry(app: Flask, stubber, cognito_calls):
    alice, bob = app.test_client(), app.test_client()
    sign_in(alice)
    sign_in(bob)
    with bob.session_transaction() as session:
        session["user"] = {"sub": "sub-bob", "username": "bob", "email": None}
    read(stubber)
    alice.get("/settings/mfa")
    read(stubber, phone=None)
    page = bob.get("/settings/mfa")
    assert "+1 ••• ••• 0100" not in page.text
    assert cognito_calls == ["GetUser", "GetUser"]


def test_a_new_sign_in_reads_the_status_afresh(app: Flask, signed_in, stubber, cognito_calls):
    read(stubber)
    signed_in.get("/settings/mfa")
    with app.test_request_context():
        from flask import session

        from app.session_lifecycle import start_session

        session["user"] = {"sub": "sub-alice"}
        start_session({"access_token": ACCESS_TOKEN}, {"sub": "sub-alice", "auth_time": 1})
    read(stubber)
    signed_in.get("/settings/mfa")
    assert cognito_calls == ["GetUser", "GetUser"]


def test_with_the_window_at_zero_every_page_reads(tmp_path, stubber_for):
    app = create_app(load_settings(portal_env(tmp_path, STATUS_CACHE_SECONDS="0")))
    client = app.test_client()
    sign_in(client)
    with stubber_for(app) as (stubber, calls):
        read(stubber)
        read(stubber)
        client.get("/settings/mfa")
        client.get("/settings/mfa")
        assert calls == ["GetUser", "GetUser"]


@pytest.fixture
def stubber_for():
    from contextlib import contextmanager

    @contextmanager
    def stubbed(app: Flask):
        client = app.extensions["mfa_portal.cognito"].client
        calls: list[str] = []
        client.meta.events.register(
            "before-parameter-build.cognito-idp", lambda model, **_: calls.append(model.name)
        )
        with Stubber(client) as stub:
            yield stub, calls
            stub.assert_no_pending_responses()

    return stubbed


# --- the cache on its own ------------------------------------------------------------------


def test_an_entry_lasts_the_window_and_no_longer():
    clock = ManualClock()
    cache = StatusCache(20, clock=clock)
    cache.put("sub-alice", ALICE, 0)
    clock.now += 19.9
    assert cache.get("sub-alice") == ALICE
    clock.now += 0.1
    assert cache.get("sub-alice") is None


def test_forget_drops_only_that_person():
    cache = StatusCache(20)
    cache.put("sub-alice", ALICE, 0)
    cache.put("sub-bob", ALICE, 0)
    cache.forget("sub-alice")
    assert cache.get("sub-alice") is None
    assert cache.get("sub-bob") == ALICE


def test_a_process_keeps_a_bounded_number_of_entries():
    cache = StatusCache(20)
    for n in range(LOCAL_ENTRIES + 1):
        cache.put(f"sub-{n}", ALICE, 0)
    assert cache.get("sub-0") is None
    assert cache.get("sub-1") == ALICE
    assert cache.get(f"sub-{LOCAL_ENTRIES}") == ALICE


def test_a_status_read_before_a_drop_is_never_written_after_it():
    """Tab A reads, tab B changes the number (drop), A's slow change ends: A's status is old."""
    cache = StatusCache(20)
    seen = cache.generation("sub-alice")
    cache.forget("sub-alice")
    cache.put("sub-alice", ALICE, seen)
    assert cache.get("sub-alice") is None
    cache.put("sub-alice", ALICE, cache.generation("sub-alice"))
    assert cache.get("sub-alice") == ALICE


def test_sessions_signed_in_before_signing_out_everywhere_get_no_entry():
    wall = ManualClock()
    cache = StatusCache(20, wall_clock=wall)
    before = wall.now - 60
    cache.signed_out_everywhere("sub-alice")
    wall.now += 5
    cache.put("sub-alice", ALICE, cache.generation("sub-alice"))  # a new sign-in's page
    assert cache.get("sub-alice", signed_in_at=before) is None
    assert cache.get("sub-alice", signed_in_at=wall.now) == ALICE


def test_a_window_of_zero_keeps_nothing():
    cache = StatusCache(0)
    cache.put("sub-alice", ALICE, 0)
    assert cache.get("sub-alice") is None


# --- in Redis ------------------------------------------------------------------------------


@pytest.fixture
def store():
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379 (.ci/run starts one)")
    yield client
    client.delete(
        "mfa-portal-status:sub-unit-test",
        "mfa-portal-status:generation:sub-unit-test",
        "mfa-portal-status:signed-out:sub-unit-test",
    )
    client.close()


def test_in_redis_every_worker_sees_one_entry_that_expires(store):
    first, second = StatusCache(20, store), StatusCache(20, store)
    first.put("sub-unit-test", ALICE, first.generation("sub-unit-test"))
    assert second.get("sub-unit-test") == ALICE
    assert 0 < store.ttl("mfa-portal-status:sub-unit-test") <= 20
    second.forget("sub-unit-test")
    assert first.get("sub-unit-test") is None


def test_in_redis_a_stale_read_is_not_written_and_old_sessions_get_nothing(store):
    cache = StatusCache(20, store)
    seen = cache.generation("sub-unit-test")
    cache.forget("sub-unit-test")
    cache.put("sub-unit-test", ALICE, seen)
    assert cache.get("sub-unit-test") is None
    signed_in_at = time.time() - 1
    cache.signed_out_everywhere("sub-unit-test")
    cache.put("sub-unit-test", ALICE, cache.generation("sub-unit-test"))
    assert cache.get("sub-unit-test", signed_in_at=signed_in_at) is None
    assert cache.get("sub-unit-test", signed_in_at=time.time() + 1) == ALICE


def test_with_redis_down_nothing_is_cached_and_nothing_fails():
    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    cache = StatusCache(20, down)
    cache.put("sub-alice", ALICE, cache.generation("sub-alice"))
    assert cache.get("sub-alice") is None
    cache.forget("sub-alice")


def test_a_lookup_in_the_catalog_for_busy_says_when_to_try_again_and_what_was_busy():
    assert lookup("portal:busy", "read").message == (
        "Many people are using this service right now, so we can't show your settings yet. "
        "Nothing was changed. Please try again in a few seconds."
    )
    assert lookup("portal:busy").message == (
        "Many people are updating their security settings right now. Nothing was changed. "
        "Please try again in a few seconds."
    )


def test_a_change_refused_with_nothing_changed_keeps_the_status_shown(
    signed_in, stubber, cognito_calls
):
    """Cognito throttled the change: the page after says so from what was read, and doesn't
    spend another call when calls are what is short."""
    read(stubber)
    page = signed_in.get("/settings/mfa")
    read(stubber)
    stubber.add_client_error("set_user_settings", "TooManyRequestsException", "Too many")
    signed_in.post("/settings/mfa", data={"csrf_token": csrf_token(page.text), "enable": "on"})
    after = signed_in.get("/settings/mfa")
    assert "SMS MFA: Off" in after.text
    assert "The sign-in service is busy." in after.text
    assert cognito_calls == ["GetUser", "GetUser", "SetUserSettings"]


def test_a_failure_flashed_by_the_change_is_not_said_again_by_the_page(
    app: Flask, signed_in, stubber
):
    """Turning on can't read the number (Cognito throttles), and the page after can't either:
    the person reads the sentence once."""
    app.extensions["mfa_portal.status_cache"].window = 0  # the page after must read, and fail
    read(stubber)
    page = signed_in.get("/settings/mfa")
    stubber.add_client_error("get_user", "TooManyRequestsException", "Too many")
    signed_in.post("/settings/mfa", data={"csrf_token": csrf_token(page.text), "enable": "on"})
    stubber.add_client_error("get_user", "TooManyRequestsException", "Too many")
    after = signed_in.get("/settings/mfa")
    assert after.status_code == 503
    assert after.text.count("The sign-in service is busy.") == 1
    assert str(escape("We couldn't load your settings")) in after.text


def test_without_the_cache_reads_are_not_budgeted(tmp_path, stubber_for):
    """STATUS_CACHE_SECONDS=0 makes every page view a read by the operator's choice."""
    app = create_app(
        load_settings(
            portal_env(tmp_path, STATUS_CACHE_SECONDS="0", RATE_LIMIT_STATUS_READS="1 per minute")
        )
    )
    person = app.test_client()
    sign_in(person)
    with stubber_for(app) as (stubber, calls):
        read(stubber)
        read(stubber)
        assert person.get("/settings/mfa").status_code == 200
        assert person.get("/settings/mfa").status_code == 200
        assert calls == ["GetUser", "GetUser"]


def test_in_redis_the_sign_out_mark_lasts_as_long_as_a_session_may(store, tmp_path):
    app = create_app(
        load_settings(
            portal_env(
                tmp_path, REDIS_URL="redis://127.0.0.1:6379/0", SESSION_LIFETIME_SECONDS="7200"
            )
        )
    )
    cache = app.extensions["mfa_portal.status_cache"]
    cache.signed_out_everywhere("sub-unit-test")
    assert 7100 < store.ttl("mfa-portal-status:signed-out:sub-unit-test") <= 7200
    assert 7100 < store.ttl("mfa-portal-status:generation:sub-unit-test") <= 7200
