"""Phone numbers as people type them, normalised to E.164."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.phone_numbers import PhoneNumberError, country_choices, mask, normalise

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("typed", "region", "e164"),
    [
        ("(202) 555-0143", "US", "+12025550143"),
        ("202.555.0143", "US", "+12025550143"),
        ("  202 555 0143 ", "US", "+12025550143"),
        ("+1 (202) 555-0143", "GB", "+12025550143"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("07700 900123", "GB", "+447700900123"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("0151 23456789", "DE", "+4915123456789"),
        ("+91 98765-43210", "US", "+919876543210"),
        ("0412 345 678", "AU", "+61412345678"),
        ("(555) 555-0100", "US", "+15555550100"),
    ],
)
def test_what_people_type_becomes_e164(typed: str, region: str, e164: str) -> None:
    assert normalise(typed, region) == e164


@pytest.mark.parametrize(
    ("typed", "region", "reason"),
    [
        ("", "US", "Enter a phone number"),
        ("555-01", "US", "too short"),
        ("+1 202 555 01433 999", "US", "too long"),
        ("call me maybe", "US", "doesn't look like a phone number"),
        ("+999 1234", "US", "doesn't look like a phone number"),
    ],
)
def test_impossible_numbers_are_refused_with_a_reason(typed: str, region: str, reason: str) -> None:
    with pytest.raises(PhoneNumberError, match=reason):
        normalise(typed, region)


def test_mask_shows_country_and_last_four_digits_only() -> None:
    assert mask("+12025550100") == "+1 ••• ••• 0100"
    assert mask("+442079460958") == "+44 ••• ••• 0958"
    assert mask(None) == ""


def test_country_choices_name_every_region_with_its_calling_code() -> None:
    choices = dict(country_choices())
    assert choices["US"] == "United States (+1)"
    assert choices["GB"] == "United Kingdom (+44)"
    assert len(choices) > 200


def test_the_shipped_country_names_match_phonenumbers() -> None:
    """app/country_names.py spares every worker the geocoder import; it must not go stale."""
    from scripts.country_names import render

    assert (ROOT / "app" / "country_names.py").read_text() == render(), (
        "run: uv run python scripts/country_names.py"
    )
