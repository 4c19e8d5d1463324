"""Rate limits said in words: the limit as a sentence and the real time left."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask.testing import FlaskClient
from limits import parse

from app import create_app, csrf
from app.budgets import (
    KEY_PREFIX,
    Budget,
    Refusal,
    TextsBudgetError,
    budget_of,
    limit_in_words,
    number_key,
    spend_texts,
    wait_in_words,
)
from app.config import load_settings
from app.security import limit_texts, limiter
from tests.support.unit import portal_env


@pytest.mark.parametrize(
    ("budget", "rate", "sentence"),
    [
        (Budget.CODES, "5 per 10 minutes", "You can ask for 5 codes in 10 minutes."),
        (Budget.CODES, "1 per hour", "You can ask for 1 code in an hour."),
        (Budget.CHANGES, "10 per 10 minutes", "You can make 10 changes in 10 minutes."),
        (Budget.SIGN_INS, "30 per minute", "You can start signing in 30 times in a minute."),
        (Budget.SIGN_INS, "3/2 hours", "You can start signing in 3 times in 2 hours."),
    ],
)
def test_each_budget_has_its_own_sentence(budget: Budget, rate: str, sentence: str) -> None:
    assert limit_in_words(budget, parse(rate)) == sentence


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "less than a minute"),
        (59, "less than a minute"),
        (60, "about a minute"),
        (61, "about 2 minutes"),
        (7 * 60 - 20, "about 7 minutes"),
        (89 * 60, "about 89 minutes"),
        (2 * 3600, "about 2 hours"),
        (86400, "about 24 hours"),
        (3 * 86400, "about 3 days"),
        # Each unit's edge: 89 minutes and a second is "90 minutes", said in hours.
        (89 * 60 + 1, "about 2 hours"),
        (2 * 3600 + 1, "about 3 hours"),
        (35 * 3600, "about 35 hours"),
        (35 * 3600 + 1, "about 2 days"),
        (2 * 86400 + 1, "about 3 days"),
    ],
)
def test_the_wait_is_rounded_up_into_words(seconds: float, words: str) -> None:
    assert wait_in_words(1000.0 + seconds, now=1000.0) == words


def test_the_per_number_key_is_keyed_with_the_secret_and_never_the_number() -> None:
    key = number_key("k" * 32, "+12025550177")
    assert "2025550177" not in key
    assert key == number_key("k" * 32, "+12025550177")
    assert key != number_key("j" * 32, "+12025550177")
    assert key != number_key("k" * 32, "+12025550178")


# --- spending the texts budgets ------------------------------------------------------------

NUMBER = "+12025550177"
OTHER_NUMBER = "+12025550178"


def texting_portal(tmp_path: Path, **rates: str) -> FlaskClient:
    """The portal with a route that texts the number in its path as the phone views do: the
    per-person check first (``limit_texts``), then ``spend_texts``; it says what happened."""
    env = {
        "RATE_LIMIT_CODES": "5 per hour",
        "RATE_LIMIT_TEXTS_PER_NUMBER": "5 per hour",
        "RATE_LIMIT_TEXTS_GLOBAL": "5 per day",
        **rates,
    }
    app = create_app(load_settings(portal_env(tmp_path, **env)))
    refusals: list[Refusal] = app.extensions.setdefault("test_refusals", [])

    @limit_texts
    def text(number: str) -> str:
        try:
            spend_texts(number)
        except TextsBudgetError as error:
            refusal = error.refusal
            refusals.append(refusal)
            assert str(error) == refusal.budget.value
            return f"refused: {refusal.budget.value} ({refusal.limit})"
        return "sent"

    app.add_url_rule("/_test/text/<number>", "test_text", csrf.exempt(text), methods=["POST"])
    return app.test_client()


def capture_logs(caplog: pytest.LogCaptureFixture) -> None:
    """create_app put its own handler in place of caplog's: add caplog's back."""
    logging.getLogger().addHandler(caplog.handler)


def texts(client: FlaskClient, *numbers: str) -> list[str]:
    return [client.post(f"/_test/text/{number}").text for number in numbers]


def remaining(rate: str, *keys: str) -> int:
    return limiter.limiter.get_window_stats(parse(rate), *keys).remaining


def test_one_number_is_texted_at_most_its_budget_whichever_account_asks(
    tmp_path: Path, caplog
) -> None:
    client = texting_portal(tmp_path, RATE_LIMIT_TEXTS_PER_NUMBER="2 per hour")
    capture_logs(caplog)
    with caplog.at_level(logging.WARNING, logger="app.budgets"):
        assert texts(client, NUMBER, NUMBER, NUMBER, OTHER_NUMBER) == [
            "sent",
            "sent",
            "refused: number (2 per 1 hour)",
            "sent",
        ]
    [line] = [r for r in caplog.records if r.name == "app.budgets"]
    assert line.getMessage() == (
        "a text to one number was refused: its budget across accounts is spent"
    )
    # The person is told when the number can be texted again: when its oldest text leaves
    # the window.
    [refusal] = client.application.extensions["test_refusals"]
    secret = client.application.extensions["mfa_portal.settings"].secret_key
    stats = limiter.limiter.get_window_stats(
        parse("2 per hour"), KEY_PREFIX, "texts-to", number_key(secret, NUMBER)
    )
    assert refusal.reset_at == stats.reset_time
    assert (line.levelname, line.event, line.limit) == (
        "WARNING",
        "texts_per_number_refused",
        "2 per 1 hour",
    )


def test_the_ceiling_stops_every_text_and_says_so_once_per_window(tmp_path: Path, caplog) -> None:
    client = texting_portal(tmp_path, RATE_LIMIT_TEXTS_GLOBAL="2 per day")
    capture_logs(caplog)
    with caplog.at_level(logging.WARNING, logger="app.budgets"):
        assert texts(client, NUMBER, OTHER_NUMBER, "+12025550179", "+12025550180") == [
            "sent",
            "sent",
            "refused: ceiling (2 per 1 day)",
            "refused: ceiling (2 per 1 day)",
        ]
    [line] = [r for r in caplog.records if r.name == "app.budgets"]
    assert line.getMessage() == (
        "texts ceiling reached: no text is sent to anyone until the window moves on"
    )
    assert (line.levelname, line.event, line.limit) == (
        "ERROR",
        "texts_ceiling_reached",
        "2 per 1 day",
    )


def test_a_refused_text_spends_no_other_budget(tmp_path: Path) -> None:
    """Every budget is checked before any is spent: the ceiling's refusal leaves the number's
    budget and the person's whole."""
    client = texting_portal(tmp_path, RATE_LIMIT_TEXTS_GLOBAL="1 per day")
    assert texts(client, NUMBER, OTHER_NUMBER) == ["sent", "refused: ceiling (1 per 1 day)"]
    secret = client.application.extensions["mfa_portal.settings"].secret_key
    assert remaining("5 per hour", KEY_PREFIX, "texts-to", number_key(secret, NUMBER)) == 4
    assert remaining("5 per hour", KEY_PREFIX, "texts-to", number_key(secret, OTHER_NUMBER)) == 5
    assert remaining("1 per day", KEY_PREFIX, "texts-all") == 0


def test_each_text_is_spent_from_the_person_s_own_budget(tmp_path: Path) -> None:
    """The per-person budget is checked before the view and spent by ``spend_texts``: the
    fourth text of a person with three is refused before anything else is counted."""
    client = texting_portal(tmp_path, RATE_LIMIT_CODES="3 per hour")
    assert texts(client, NUMBER, OTHER_NUMBER, "+12025550179") == ["sent"] * 3
    response = client.post(f"/_test/text/{NUMBER}")
    assert response.status_code == 429
    assert remaining("5 per day", KEY_PREFIX, "texts-all") == 2


def test_spend_texts_refuses_when_the_person_s_budget_ran_out_meanwhile(tmp_path: Path) -> None:
    """Two requests of one person in a race both pass ``limit_texts``'s check; the second to spend
    is refused by the person's budget, not texted."""
    client = texting_portal(tmp_path, RATE_LIMIT_CODES="1 per hour")
    app = client.application

    @app.post("/_test/race/<number>")
    @limit_texts
    def race(number: str) -> str:
        spend_texts(number)  # the other request's text
        try:
            spend_texts(number)
        except TextsBudgetError as error:
            return f"refused: {error.refusal.budget.value} ({error.refusal.limit})"
        return "sent twice"

    csrf.exempt(race)
    assert client.post(f"/_test/race/{NUMBER}").text == "refused: codes (1 per 1 hour)"


@pytest.mark.parametrize(
    ("scope", "budget"),
    [
        ("changes", Budget.CHANGES),
        ("texts", Budget.CODES),
        ("auth.login", Budget.SIGN_INS),
        ("auth.callback", Budget.SIGN_INS),
        ("authenticator", Budget.OTHER),
        ("other", Budget.OTHER),
    ],
)
def test_a_limit_s_scope_names_its_budget(scope: str, budget: Budget) -> None:
    limit = SimpleNamespace(request_args=("mfa-portal-limits", "user:sub-alice", scope))
    assert budget_of(limit) == budget  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("budget", "rate", "sentence"),
    [
        (
            Budget.NUMBER,
            "10 per day",
            "We text one phone number at most 10 times in a day, whichever account asks, "
            "and this number has reached that.",
        ),
        (
            Budget.CEILING,
            "1000 per hour",
            "We send at most 1000 texts in an hour to protect the service, "
            "and that many have been sent.",
        ),
        (
            Budget.CEILING,
            "1 per second",
            "We send at most 1 text in a second to protect the "
            "service, and that many have been sent.",
        ),
        (Budget.OTHER, "1 per 30 seconds", "You can do this 1 time in 30 seconds."),
        (Budget.CHANGES, "1 per month", "You can make 1 change in a month."),
        (Budget.OTHER, "2 per year", "You can do this 2 times in a year."),
    ],
)
def test_the_texts_budgets_and_the_rest_have_their_sentences(
    budget: Budget, rate: str, sentence: str
) -> None:
    assert limit_in_words(budget, parse(rate)) == sentence


def test_a_budget_spent_between_the_check_and_the_hit_refuses_the_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker took the last text of the number after this one checked: the limiter's
    atomic hit says no, and the text is refused, not sent."""
    client = texting_portal(tmp_path, RATE_LIMIT_CODES="5 per hour")
    real_hit = limiter.limiter.hit

    def hit(limit, *keys, **kwargs):
        return "texts-to" not in keys and real_hit(limit, *keys, **kwargs)

    monkeypatch.setattr(limiter.limiter, "hit", hit)
    assert texts(client, NUMBER) == ["refused: number (5 per 1 hour)"]


def test_the_ceiling_is_reported_once_per_window_of_its_own_length(tmp_path: Path, caplog) -> None:
    """A ceiling of one text in three days: the ERROR line is written once in those three days,
    the mark kept under the portal's key prefix, where every worker and instance sees it."""
    client = texting_portal(tmp_path, RATE_LIMIT_TEXTS_GLOBAL="1 per 3 days")
    capture_logs(caplog)
    with caplog.at_level(logging.WARNING, logger="app.budgets"):
        texts(client, NUMBER, OTHER_NUMBER, OTHER_NUMBER, OTHER_NUMBER)
    assert [r.event for r in caplog.records if r.name == "app.budgets"] == ["texts_ceiling_reached"]
    assert remaining("1 per 3 days", KEY_PREFIX, "texts-all-reported") == 0
