"""Cognito's request-rate quotas in the stand-in, as boto3 and plain HTTP see them: a call above
its category's rate is refused with TooManyRequestsException, and /_local/quotas says what was
accepted and throttled.

Most tests stop the stand-in's quota clock, so the one-second window never slides and the counts
do not depend on how fast this machine is; the sliding itself is unit-tested
(tests/unit/test_stand_in_quotas.py). The shared stand-in is reset afterwards, which puts its
quotas back to none."""

from __future__ import annotations

import argparse
import concurrent.futures
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from lc_helpers import PASSWORDS, secret_hash

from app.cli import build_parser
from localcognito import cli as stand_in_cli
from localcognito.quotas import CATEGORIES, QuotaSpecError
from localcognito.server import LocalCognito

FROZEN_SECOND = 1_800_000_000
THROTTLED = {"Code": "TooManyRequestsException", "Message": "Too many requests"}


@pytest.fixture
def quota_cognito(cognito: LocalCognito) -> Iterator[LocalCognito]:
    """The shared stand-in, reset (to no quotas) afterwards, pass or fail."""
    yield cognito
    cognito.reset()


@pytest.fixture
def stopped_clock(quota_cognito: LocalCognito, monkeypatch: pytest.MonkeyPatch) -> LocalCognito:
    """The stand-in with its quota clock stopped: every call falls in one window and one second."""
    assert quota_cognito.state is not None
    monkeypatch.setattr(quota_cognito.state.quotas, "clock", lambda: 0.0)
    monkeypatch.setattr(quota_cognito.state.quotas, "wall_clock", lambda: float(FROZEN_SECOND))
    return quota_cognito


@pytest.fixture
def no_retry_idp(cognito: LocalCognito) -> Any:
    """botocore retries throttling errors itself; this client makes each call once."""
    return boto3.client(
        "cognito-idp",
        endpoint_url=cognito.url,
        region_name=cognito.region,
        config=Config(retries={"total_max_attempts": 1}),
    )


def set_quotas(cognito: LocalCognito, **rates: int | None) -> dict[str, Any]:
    response = requests.put(f"{cognito.url}/_local/quotas", json=rates, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def quota_stats(cognito: LocalCognito) -> dict[str, Any]:
    response = requests.get(f"{cognito.url}/_local/quotas", timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def outcomes(call: Any, times: int) -> list[str]:
    """Each call's outcome: "ok", or the error code botocore parsed."""
    results = []
    for _ in range(times):
        try:
            call()
        except ClientError as error:
            results.append(error.response["Error"]["Code"])
        else:
            results.append("ok")
    return results


def test_no_quota_by_default(quota_cognito, no_retry_idp, access_token):
    token = access_token("alice")
    calls = outcomes(lambda: no_retry_idp.set_user_settings(AccessToken=token, MFAOptions=[]), 30)
    assert calls == ["ok"] * 30
    stats = quota_stats(quota_cognito)
    assert stats["rates"] == dict.fromkeys(CATEGORIES)
    assert stats["categories"]["UserUpdate"]["accepted"] == 30
    assert stats["categories"]["UserUpdate"]["throttled"] == 0


def test_calls_above_the_rate_get_too_many_requests(stopped_clock, no_retry_idp, access_token):
    token = access_token("alice")
    set_quotas(stopped_clock, UserUpdate=3)
    with pytest.raises(ClientError) as excinfo:
        for _ in range(4):
            no_retry_idp.set_user_settings(AccessToken=token, MFAOptions=[])
    assert excinfo.value.response["Error"] == THROTTLED
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert excinfo.value.response["ResponseMetadata"]["RequestId"]


def test_the_statistics_count_what_was_accepted_and_throttled(stopped_clock, no_retry_idp, sign_in):
    token = sign_in("alice")["AuthenticationResult"]["AccessToken"]
    set_quotas(stopped_clock, UserUpdate=3)
    requests.delete(f"{stopped_clock.url}/_local/quotas/stats", json={}, timeout=5)
    calls = outcomes(lambda: no_retry_idp.set_user_settings(AccessToken=token, MFAOptions=[]), 5)
    assert calls == ["ok"] * 3 + ["TooManyRequestsException"] * 2
    update = quota_stats(stopped_clock)["categories"]["UserUpdate"]
    assert (update["rate"], update["accepted"], update["throttled"]) == (3, 3, 2)
    assert update["max_accepted_in_any_window"] == 3
    assert update["per_second"] == [{"second": FROZEN_SECOND, "accepted": 3, "throttled": 2}]


def test_categories_are_independent(stopped_clock, no_retry_idp, access_token):
    token = access_token("alice")
    set_quotas(stopped_clock, UserUpdate=1, UserRead=2)
    update = outcomes(lambda: no_retry_idp.set_user_settings(AccessToken=token, MFAOptions=[]), 2)
    read = outcomes(lambda: no_retry_idp.get_user(AccessToken=token), 3)
    assert update == ["ok", "TooManyRequestsException"]
    assert read == ["ok", "ok", "TooManyRequestsException"]
    stats = quota_stats(stopped_clock)["categories"]
    assert (stats["UserUpdate"]["throttled"], stats["UserRead"]["throttled"]) == (1, 1)
    assert stats["UserAuthentication"]["throttled"] == 0


def test_operations_passed_to_moto_are_metered_too(stopped_clock, no_retry_idp):
    set_quotas(stopped_clock, UserAccountRecovery=1)

    def forgot_password() -> None:
        no_retry_idp.forgot_password(
            ClientId=stopped_clock.client_id,
            Username="alice",
            SecretHash=secret_hash(stopped_clock, "alice"),
        )

    assert outcomes(forgot_password, 2) == ["ok", "TooManyRequestsException"]


def test_an_operation_without_a_category_is_never_throttled(stopped_clock, admin_idp):
    set_quotas(stopped_clock, **dict.fromkeys(CATEGORIES, 0))
    for _ in range(5):
        admin_idp.list_user_pools(MaxResults=10)


def test_sign_in_and_the_token_endpoint_share_user_authentication(
    stopped_clock, no_retry_idp, browser
):
    authorization = browser.sign_in("alice")
    set_quotas(stopped_clock, UserAuthentication=1)
    exchanged = browser.exchange(authorization)
    assert exchanged.status_code == 200, exchanged.text
    refreshed = browser.token(
        {"grant_type": "refresh_token", "refresh_token": exchanged.json()["refresh_token"]}
    )
    assert refreshed.status_code == 429
    assert refreshed.json() == {"error": "too_many_requests", "error_description": "Rate exceeded"}
    assert refreshed.headers["Cache-Control"] == "no-store"
    with pytest.raises(ClientError) as excinfo:
        no_retry_idp.initiate_auth(
            ClientId=stopped_clock.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={
                "USERNAME": "alice",
                "PASSWORD": PASSWORDS["alice"],
                "SECRET_HASH": secret_hash(stopped_clock, "alice"),
            },
        )
    assert excinfo.value.response["Error"] == THROTTLED
    authentication = quota_stats(stopped_clock)["categories"]["UserAuthentication"]
    assert (authentication["accepted"], authentication["throttled"]) == (1, 2)


def test_a_burst_never_gets_more_than_the_rate_into_one_second(quota_cognito, access_token):
    """On the real clock: 24 calls at once from 8 threads. However fast or slow they arrive, the
    stand-in's count of accepted calls in any one-second window stays at or below the rate, and
    its totals match what the clients saw."""
    token = access_token("alice")
    set_quotas(quota_cognito, UserUpdate=3)
    requests.delete(f"{quota_cognito.url}/_local/quotas/stats", json={}, timeout=5)

    def three_calls(_: int) -> list[str]:
        idp = boto3.client(
            "cognito-idp",
            endpoint_url=quota_cognito.url,
            region_name=quota_cognito.region,
            config=Config(retries={"total_max_attempts": 1}),
        )
        return outcomes(lambda: idp.set_user_settings(AccessToken=token, MFAOptions=[]), 3)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = [outcome for calls in pool.map(three_calls, range(8)) for outcome in calls]
    update = quota_stats(quota_cognito)["categories"]["UserUpdate"]
    assert set(results) <= {"ok", "TooManyRequestsException"}
    assert update["accepted"] == results.count("ok")
    assert update["throttled"] == results.count("TooManyRequestsException")
    assert update["max_accepted_in_any_window"] <= 3
    assert sum(s["accepted"] for s in update["per_second"]) == update["accepted"]


def test_the_dev_endpoint_sets_reads_and_resets(quota_cognito):
    url = f"{quota_cognito.url}/_local/quotas"
    assert set_quotas(quota_cognito, UserUpdate=25, UserRead=120)["rates"]["UserUpdate"] == 25
    posted = requests.post(url, json={"UserRead": None, "UserToken": 5}, timeout=5)
    assert posted.status_code == 200
    expected = {**dict.fromkeys(CATEGORIES), "UserUpdate": 25, "UserToken": 5}
    assert posted.json()["rates"] == expected
    stats = quota_stats(quota_cognito)
    assert stats["rates"] == expected
    assert stats["categories"]["UserToken"]["rate"] == 5
    assert "RevokeToken" in stats["categories"]["UserToken"]["operations"]
    assert stats["window_seconds"] == 1
    reset = requests.post(f"{quota_cognito.url}/_local/reset", json={}, timeout=5)
    assert reset.status_code == 200
    assert quota_stats(quota_cognito)["rates"] == dict.fromkeys(CATEGORIES)


@pytest.mark.parametrize(
    "body",
    [{"UserWrite": 3}, {"UserUpdate": -1}, {"UserUpdate": 2.5}, {"UserUpdate": "3"}, [1, 2]],
)
def test_the_dev_endpoint_refuses_a_bad_quota(quota_cognito, body):
    set_quotas(quota_cognito, UserRead=7)
    response = requests.put(f"{quota_cognito.url}/_local/quotas", json=body, timeout=5)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert quota_stats(quota_cognito)["rates"] == {**dict.fromkeys(CATEGORIES), "UserRead": 7}


def test_the_dev_endpoint_follows_the_local_only_rules(quota_cognito):
    url = f"{quota_cognito.url}/_local/quotas"
    not_json = requests.put(url, data="UserUpdate=1", timeout=5)
    assert not_json.status_code == 415
    remote_host = requests.get(url, headers={"Host": "cognito.example"}, timeout=5)
    assert remote_host.status_code == 421
    stats_not_json = requests.delete(f"{url}/stats", timeout=5)
    assert stats_not_json.status_code == 415


def test_clearing_the_statistics_keeps_the_rates(stopped_clock, no_retry_idp, access_token):
    token = access_token("alice")
    set_quotas(stopped_clock, UserRead=1)
    assert outcomes(lambda: no_retry_idp.get_user(AccessToken=token), 2)[1] != "ok"
    cleared = requests.delete(f"{stopped_clock.url}/_local/quotas/stats", json={}, timeout=5)
    assert cleared.status_code == 204
    stats = quota_stats(stopped_clock)
    assert stats["rates"]["UserRead"] == 1
    read = stats["categories"]["UserRead"]
    assert (read["accepted"], read["throttled"], read["per_second"]) == (0, 0, [])
    assert outcomes(lambda: no_retry_idp.get_user(AccessToken=token), 2) == [
        "ok",
        "TooManyRequestsException",
    ]


def test_quotas_given_at_construction_survive_a_reset():
    with LocalCognito(quotas={"UserUpdate": 25, "UserRead": 120}) as cognito:
        set_quotas(cognito, UserUpdate=None, UserToken=1)
        cognito.reset()
        assert quota_stats(cognito)["rates"] == {
            **dict.fromkeys(CATEGORIES),
            "UserUpdate": 25,
            "UserRead": 120,
        }


def test_a_bad_quota_at_construction_is_refused():
    with pytest.raises(QuotaSpecError, match="UserWrite"):
        LocalCognito(quotas={"UserWrite": 1})


def test_the_quota_flag_is_parsed():
    args = build_parser().parse_args(
        ["local-cognito", "--quota", "UserUpdate=25", "--quota", "UserRead=120"]
    )
    assert args.quota == [("UserUpdate", 25), ("UserRead", 120)]
    assert build_parser().parse_args(["local-cognito"]).quota is None


@pytest.mark.parametrize("setting", ["UserUpdate", "UserUpdate=", "=3", "UserUpdate=-1", "U=x"])
def test_a_malformed_quota_flag_is_a_usage_error(setting, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["local-cognito", "--quota", setting])
    assert exit_info.value.code == 2
    assert "CATEGORY=RATE" in capsys.readouterr().err


def test_the_flags_help_names_every_category(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["local-cognito", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for category in CATEGORIES:
        assert category in help_text


def local_cognito_args(*flags: str) -> argparse.Namespace:
    return build_parser().parse_args(["local-cognito", "--port", "0", *flags])


def test_the_command_starts_the_stand_in_with_its_quotas(monkeypatch, capsys):
    """The command's path in this process: the stand-in starts (on a free port) with the flags'
    quotas and says so; serving is cut short, and the stand-in stopped."""
    started: list[LocalCognito] = []
    rates: list[dict[str, Any]] = []
    start = LocalCognito.start

    def start_and_remember(cognito: LocalCognito) -> LocalCognito:
        started.append(cognito)
        return start(cognito)

    def serve_briefly(cognito: LocalCognito) -> None:
        rates.append(quota_stats(cognito)["rates"])

    monkeypatch.setattr(LocalCognito, "start", start_and_remember)
    monkeypatch.setattr(LocalCognito, "serve_forever", serve_briefly)
    args = local_cognito_args("--quota", "UserUpdate=25", "--quota", "UserAuthentication=3")
    try:
        assert stand_in_cli.run_local_cognito(args) == 0
    finally:
        for cognito in started:
            cognito.stop()
    assert rates == [{**dict.fromkeys(CATEGORIES), "UserUpdate": 25, "UserAuthentication": 3}]
    assert "request quotas  UserUpdate 25/s, UserAuthentication 3/s" in capsys.readouterr().out


def test_the_command_refuses_an_unknown_category(monkeypatch, capsys):
    """Refused before it starts; were it to start anyway, it would stop rather than serve."""
    monkeypatch.setattr(LocalCognito, "serve_forever", LocalCognito.stop)
    assert stand_in_cli.run_local_cognito(local_cognito_args("--quota", "UserWrite=3")) == 2
    error = capsys.readouterr().err
    assert "--quota" in error
    assert "UserWrite" in error
