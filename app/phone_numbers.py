"""Phone numbers as people type them, normalised to E.164 with ``phonenumbers``."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

from .country_names import COUNTRY_NAMES


class PhoneNumberError(ValueError):
    """The text can't be a phone number in the chosen country; the message says why."""


@lru_cache(maxsize=1)
def country_choices() -> list[tuple[str, str]]:
    """(region code, "Country name (+code)") for every region phonenumbers knows, by name."""
    choices = []
    for region, name in COUNTRY_NAMES.items():
        code = phonenumbers.country_code_for_region(region)
        if code:
            choices.append((region, f"{name} (+{code})"))
    return sorted(choices, key=lambda choice: choice[1])


def normalise(text: str, region: str) -> str:
    """``(202) 555-0143`` in ``US`` -> ``+12025550143``; a leading ``+`` overrides ``region``."""
    text = text.strip()
    if not text:
        raise PhoneNumberError("Enter a phone number.")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise PhoneNumberError(
            "That doesn't look like a phone number. "
            "Use digits, e.g. (202) 555-0143 or +44 20 7946 0958."
        ) from None
    if not phonenumbers.is_possible_number(number):
        reason = phonenumbers.is_possible_number_with_reason(number)
        if reason == phonenumbers.ValidationResult.TOO_SHORT:
            raise PhoneNumberError("That phone number is too short for the country you chose.")
        if reason == phonenumbers.ValidationResult.TOO_LONG:
            raise PhoneNumberError("That phone number is too long for the country you chose.")
        raise PhoneNumberError("That isn't a possible phone number for the country you chose.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=4096)
def mask(number: str | None) -> str:
    """``+12025550100`` -> ``+1 ••• ••• 0100``: enough to recognise, not enough to misuse."""
    if not number:
        return ""
    try:
        country = f"+{phonenumbers.parse(number, None).country_code}"
    except phonenumbers.NumberParseException:
        country = number[:2]
    return f"{country} ••• ••• {number[-4:]}"
