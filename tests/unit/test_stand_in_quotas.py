"""The stand-in's request-rate quotas (`localcognito.quotas`): the sliding one-second window and
its statistics, on a clock the test moves (nothing sleeps, nothing is timed)."""

from __future__ import annotations

import pytest

from localcognito.quotas import (
    CATEGORIES,
    TOKEN_ENDPOINT,
    QuotaEnforcer,
    QuotaSpecError,
    category_of,
    refuse_token_request,
)


class FakeClock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def enforcer(clock: FakeClock, **rates: int | None) -> QuotaEnforcer:
    return QuotaEnforcer(rates, clock=clock, wall_clock=clock)


def admitted(quotas: QuotaEnforcer, category: str, calls: int) -> list[bool]:
    return [quotas.admit(category) for _ in range(calls)]


def test_every_category_is_unlimited_by_default(clock):
    quotas = QuotaEnforcer(clock=clock, wall_clock=clock)
    assert quotas.rates() == dict.fromkeys(CATEGORIES)
    for category in CATEGORIES:
        assert all(admitted(quotas, category, 500))


def test_at_most_rate_calls_are_accepted_in_one_second(clock):
    quotas = enforcer(clock, UserUpdate=3)
    assert admitted(quotas, "UserUpdate", 5) == [True, True, True, False, False]


def test_the_window_slides_rather_than_resetting_on_the_second(clock):
    quotas = enforcer(clock, UserUpdate=2)
    clock.now = 10.9
    assert quotas.admit("UserUpdate")
    clock.now = 11.2
    assert quotas.admit("UserUpdate")
    clock.now = 11.5  # a new whole second, but 10.9 and 11.2 are both within the last second
    assert not quotas.admit("UserUpdate")
    clock.now = 11.9  # 10.9 is exactly one second old: out of the window
    assert quotas.admit("UserUpdate")
    assert not quotas.admit("UserUpdate")
    clock.now = 12.2  # 11.2 has left the window, 11.9 has not
    assert admitted(quotas, "UserUpdate", 2) == [True, False]


def test_a_refused_call_takes_no_place_in_the_window(clock):
    quotas = enforcer(clock, UserRead=1)
    assert admitted(quotas, "UserRead", 3) == [True, False, False]
    clock.now += 0.5
    assert not quotas.admit("UserRead")
    clock.now += 0.5
    assert quotas.admit("UserRead")


def test_categories_are_independent(clock):
    quotas = enforcer(clock, UserUpdate=1, UserRead=2)
    assert admitted(quotas, "UserUpdate", 2) == [True, False]
    assert admitted(quotas, "UserRead", 3) == [True, True, False]
    assert all(admitted(quotas, "UserAuthentication", 10))


def test_a_rate_of_zero_refuses_every_call(clock):
    quotas = enforcer(clock, UserToken=0)
    assert admitted(quotas, "UserToken", 2) == [False, False]


def test_operations_are_metered_by_their_category(clock):
    quotas = enforcer(clock, UserUpdate=1)
    assert quotas.admit_operation("SetUserSettings")
    assert not quotas.admit_operation("UpdateUserAttributes")
    assert quotas.admit_operation("GetUser")
    assert all(quotas.admit_operation("ListUserPools") for _ in range(10))
    assert quotas.snapshot()["categories"]["UserUpdate"]["throttled"] == 1


@pytest.mark.parametrize(
    ("operation", "category"),
    [
        ("GetUser", "UserRead"),
        ("AdminGetUser", "UserRead"),
        ("SetUserSettings", "UserUpdate"),
        ("SetUserMFAPreference", "UserUpdate"),
        ("DeleteUser", "UserUpdate"),
        ("GetUserAttributeVerificationCode", "UserAccountRecovery"),
        ("ResendConfirmationCode", "UserAccountRecovery"),
        ("RevokeToken", "UserToken"),
        ("InitiateAuth", "UserAuthentication"),
        ("RespondToAuthChallenge", "UserAuthentication"),
        (TOKEN_ENDPOINT, "UserAuthentication"),
        ("ListUserPools", None),
        ("AdminCreateUser", None),
    ],
)
def test_category_of(operation, category):
    assert category_of(operation) == category


def test_statistics_count_accepted_and_throttled_per_second(clock):
    quotas = enforcer(clock, UserUpdate=2)
    clock.now = 100.1
    admitted(quotas, "UserUpdate", 3)
    clock.now = 101.6
    admitted(quotas, "UserUpdate", 4)
    stats = quotas.snapshot()["categories"]["UserUpdate"]
    assert (stats["accepted"], stats["throttled"]) == (4, 3)
    assert stats["per_second"] == [
        {"second": 100, "accepted": 2, "throttled": 1},
        {"second": 101, "accepted": 2, "throttled": 2},
    ]
    assert stats["rate"] == 2
    assert "SetUserSettings" in stats["operations"]


def test_max_in_window_spans_the_turn_of_a_second(clock):
    """Two calls late in one second and two early in the next are four in one second, though no
    whole-second bucket holds more than two: the sliding maximum catches it."""
    quotas = QuotaEnforcer(clock=clock, wall_clock=clock)
    for now in (5.7, 5.9, 6.1, 6.3):
        clock.now = now
        quotas.admit("UserRead")
    stats = quotas.snapshot()["categories"]["UserRead"]
    assert max(s["accepted"] for s in stats["per_second"]) == 2
    assert stats["max_accepted_in_any_window"] == 4


def test_max_in_window_never_exceeds_the_rate(clock):
    quotas = enforcer(clock, UserAuthentication=5)
    for step in range(200):
        clock.now = 50 + step * 0.037
        admitted(quotas, "UserAuthentication", 2)
    stats = quotas.snapshot()["categories"]["UserAuthentication"]
    assert stats["max_accepted_in_any_window"] == 5
    assert stats["throttled"] > 0
    assert stats["accepted"] + stats["throttled"] == 400


def test_history_keeps_only_the_last_ten_minutes(clock):
    quotas = enforcer(clock)
    for second in range(700):
        clock.now = 1_000 + second
        quotas.admit("UserRead")
    stats = quotas.snapshot()["categories"]["UserRead"]
    assert [s["second"] for s in stats["per_second"]] == list(range(1_100, 1_700))
    assert stats["accepted"] == 700


def test_clearing_statistics_keeps_the_rates_and_empties_the_window(clock):
    quotas = enforcer(clock, UserUpdate=1)
    admitted(quotas, "UserUpdate", 2)
    quotas.clear_stats()
    stats = quotas.snapshot()["categories"]["UserUpdate"]
    assert (stats["accepted"], stats["throttled"], stats["per_second"]) == (0, 0, [])
    assert stats["max_accepted_in_any_window"] == 0
    assert quotas.rates()["UserUpdate"] == 1
    assert admitted(quotas, "UserUpdate", 2) == [True, False]


def test_set_rates_changes_only_the_named_categories(clock):
    quotas = enforcer(clock, UserUpdate=1, UserRead=4)
    assert quotas.set_rates({"UserRead": None, "UserToken": 7}) == {
        **dict.fromkeys(CATEGORIES),
        "UserUpdate": 1,
        "UserToken": 7,
    }


def test_replace_rates_makes_the_unnamed_categories_unlimited(clock):
    quotas = enforcer(clock, UserUpdate=1, UserRead=4)
    quotas.replace_rates({"UserRead": 2})
    assert quotas.rates() == {**dict.fromkeys(CATEGORIES), "UserRead": 2}


@pytest.mark.parametrize(
    "rates",
    [
        {"UserWrite": 3},
        {"UserUpdate": -1},
        {"UserUpdate": 2.5},
        {"UserUpdate": "3"},
        {"UserRead": True},
    ],
)
def test_bad_rates_are_refused_and_change_nothing(clock, rates):
    quotas = enforcer(clock, UserUpdate=1)
    with pytest.raises(QuotaSpecError):
        quotas.set_rates({"UserRead": 9, **rates})
    assert quotas.rates() == {**dict.fromkeys(CATEGORIES), "UserUpdate": 1}


def test_the_token_endpoint_is_refused_as_an_oauth_error(clock):
    quotas = enforcer(clock, UserAuthentication=1)
    assert refuse_token_request(quotas) is None
    refused = refuse_token_request(quotas)
    assert refused is not None
    assert refused.status_code == 429
    assert refused.json == {"error": "too_many_requests", "error_description": "Rate exceeded"}
    assert refused.headers["Cache-Control"] == "no-store"
