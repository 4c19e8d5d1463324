"""Rate limits said in words: the limit as a sentence and the real time left."""

from __future__ import annotations

import pytest
from limits import parse

from app.budgets import Budget, limit_in_words, number_key, wait_in_words


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
