"""Phone numbers as people type them, normalised to E.164."""

from __future__ import annotations

from pathlib import Path

import phonenumbers
import pytest

from app.phone_numbers import (
    PhoneNumberError,
    PhonePolicy,
    country_choices,
    country_name,
    mask,
    normalise,
    refuse_untextable,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("typed", "region", "e164"),
    [
        ("(202) 555-0143", "US", "+12025550143"),
        ("202.555.0143", "US", "+12025550143"),
        ("  202 555 0143 ", "US", "+12025550143"),
        ("+1 (202) 555-0143", "GB", "+12025550143"),
        ("+44 7400 123456", "US", "+447400123456"),
        ("07400 123456", "GB", "+447400123456"),
        ("+44 (0)7400 123-456", "FR", "+447400123456"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("0151 23456789", "DE", "+4915123456789"),
        ("+91 98765-43210", "US", "+919876543210"),
        ("0412 345 678", "AU", "+61412345678"),
        ("202/555/0143", "US", "+12025550143"),
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
        ("+999 1234", "US", "doesn't look like a phone number"),
        ("+", "US", "doesn't look like a phone number"),
    ],
)
def test_impossible_numbers_are_refused_with_a_reason(typed: str, region: str, reason: str) -> None:
    with pytest.raises(PhoneNumberError, match=reason):
        normalise(typed, region)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("202-555-abcd", "Phone numbers can't contain letters (a, b, c, d)."),
        ("(202) 555-O143", "Phone numbers can't contain letters (O)."),
        ("call me maybe", "Phone numbers can't contain letters (c, a, l, m, e, y, b)."),
        ("202 555 0143 ext 7", "Phone numbers can't contain letters (e, x, t)."),
        ("202#555*0143", "Phone numbers can't contain these characters: # *."),
        ("２０２ ５５５ ０１４３", "Phone numbers can't contain these characters: ２ ０ ５"),
    ],
)
def test_letters_and_other_characters_are_named_never_read_as_digits(
    typed: str, message: str
) -> None:
    """``202-555-abcd`` was read as keypad digits (+1 202 555 2223) and texted."""
    with pytest.raises(PhoneNumberError) as refused:
        normalise(typed, "US")
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize(
    ("typed", "region", "message"),
    [
        ("", "US", "Enter a phone number."),
        (
            "(202) 555-01X3",
            "US",
            "Phone numbers can't contain letters (X). "
            "Type the number in digits, e.g. (202) 555-0143.",
        ),
        (
            "202#555",
            "US",
            "Phone numbers can't contain these characters: #. "
            "Use only digits, spaces and + ( ) - . /",
        ),
        (
            "+",
            "US",
            "That doesn't look like a phone number. "
            "Use digits, e.g. (202) 555-0143 or +44 7400 123456.",
        ),
        ("555-01", "US", "That phone number is too short for the country you chose."),
        ("+1 202 555 01433 999", "US", "That phone number is too long for the country you chose."),
        # Sweden: longer than some of its numbers and shorter than others, neither length.
        (
            "+46 22 222 222 222",
            "US",
            "That isn't a possible phone number for the country you chose.",
        ),
        (
            "+882 1234567",
            "US",
            "That number belongs to an international network, not to a country's mobile network: "
            "we can only text mobile numbers.",
        ),
        (
            "+1 000 000 0000",
            "US",
            "That isn't a phone number in use: check the digits and the country you chose.",
        ),
    ],
)
def test_each_refusal_is_said_in_whole(typed: str, region: str, message: str) -> None:
    """The words under the field are all a person has to put the number right: each one whole."""
    with pytest.raises(PhoneNumberError) as refused:
        normalise(typed, region)
    assert str(refused.value) == message


def test_a_number_of_no_known_kind_is_refused_in_plain_words() -> None:
    """The fallback when phonenumbers gives a type the portal has no words for."""
    with pytest.raises(PhoneNumberError) as refused:
        refuse_untextable(phonenumbers.parse("+1 000 000 0000"), PhonePolicy(allow_voip=True))
    assert str(refused.value) == "That's a number we can't text: we can only text mobile numbers."


def test_a_country_is_named_in_words_or_by_its_code_when_it_has_no_name() -> None:
    assert country_name("FR") == "France"
    assert country_name("001") == "an international network"
    assert country_name(None) == "an international network"
    assert country_name("") == "an international network"


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("+1 900 555 0143", "a premium-rate number"),
        ("+44 905 123 4567", "a premium-rate number"),
        ("+33 884 01 23 45", "a shared-cost number"),
        ("+1 800 555 0100", "a toll-free number"),
        ("+44 55 1234 5678", "a company's single (UAN) number"),
        ("+44 7640 123456", "a pager number"),
        ("+44 70 1234 5678", "a personal forwarding number"),
        ("+49 17799 1234567", "a voicemail access number"),
        ("+44 20 7946 0958", "a landline number"),
        ("+44 56 1234 5678", "an internet (VoIP) number"),
    ],
)
def test_numbers_that_cannot_receive_a_text_are_refused_saying_what_they_are(
    typed: str, kind: str
) -> None:
    with pytest.raises(PhoneNumberError) as refused:
        normalise(typed, "US")
    assert str(refused.value) == f"That's {kind}: we can only text mobile numbers."


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("+882 1234567", "belongs to an international network"),
        ("+979 12345678", "belongs to an international network"),
        ("+1 000 000 0000", "isn't a phone number in use"),
        ("(555) 555-0100", "isn't a phone number in use"),
        ("07700 900123", "isn't a phone number in use"),
    ],
)
def test_numbers_no_numbering_plan_gives_out_are_refused(typed: str, reason: str) -> None:
    region = "GB" if typed.startswith("0") else "US"
    with pytest.raises(PhoneNumberError, match=reason):
        normalise(typed, region)


def test_voip_numbers_are_accepted_only_when_the_setting_allows_them() -> None:
    with pytest.raises(PhoneNumberError, match="VoIP"):
        normalise("+44 56 1234 5678", "GB", PhonePolicy(allow_voip=False))
    assert normalise("+44 56 1234 5678", "GB", PhonePolicy(allow_voip=True)) == "+445612345678"


def test_a_number_outside_the_allowed_countries_is_refused_naming_its_country() -> None:
    policy = PhonePolicy(allowed_regions=frozenset({"US", "CA"}))
    assert normalise("(202) 555-0143", "US", policy) == "+12025550143"
    with pytest.raises(PhoneNumberError) as refused:
        normalise("+33 6 12 34 56 78", "US", policy)
    assert str(refused.value) == (
        "That's a number in France: we can only text numbers in Canada, United States."
    )


def test_the_country_selector_offers_only_the_allowed_countries() -> None:
    assert country_choices(frozenset({"US", "CA"})) == [
        ("CA", "Canada (+1)"),
        ("US", "United States (+1)"),
    ]


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


def test_a_number_of_no_country_is_never_named_by_a_code() -> None:
    """+800 numbers belong to no country (phonenumbers' region "001"): the refusal named "001"."""
    policy = PhonePolicy(frozenset({"US"}), allow_voip=False)
    with pytest.raises(PhoneNumberError) as refused:
        normalise("+800 1234 5678", "US", policy)
    assert "001" not in str(refused.value)
