"""Placeholder until the metrics module lands: the functions the pacing calls."""

from __future__ import annotations


def quota_wait(category: str, seconds: float) -> None:
    """A place taken in ``category``'s schedule after ``seconds`` of waiting."""


def quota_exhausted(category: str) -> None:
    """A call refused: ``category``'s bucket stayed dry past the wait bound."""


def quota_tokens(category: str, tokens: float) -> None:
    """``category``'s bucket level after the last place taken."""
