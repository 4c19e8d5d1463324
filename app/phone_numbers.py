"""Phone numbers as people type them, normalised to E.164 with ``phonenumbers``.

Only a number that can receive a text is accepted: a valid mobile (or, where a country's plan
doesn't tell them apart, fixed-line-or-mobile) number in a country the portal serves. Premium-rate,
shared-cost and other numbers that bill the sender are the currency of SMS pumping.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberType

from .country_names import COUNTRY_NAMES


class PhoneNumberError(ValueError):
    """The text can't be a phone number in the chosen country; the message says why."""


@dataclass(frozen=True)
class PhonePolicy:
    """Which numbers the portal will text: every country unless ``allowed_regions`` names some."""

    allowed_regions: frozenset[str] = frozenset()
    allow_voip: bool = False

    def allows_region(self, region: str) -> bool:
        return not self.allowed_regions or region in self.allowed_regions


#: What may appear in a typed number besides digits: the separators people write.
SEPARATORS = frozenset(" +()-./")
TEXTABLE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
#: Why a number of each other type is refused, in the words a person would use.
UNTEXTABLE_KINDS = {
    PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    PhoneNumberType.SHARED_COST: "a shared-cost number",
    PhoneNumberType.TOLL_FREE: "a toll-free number",
    PhoneNumberType.UAN: "a company's single (UAN) number",
    PhoneNumberType.PAGER: "a pager number",
    PhoneNumberType.PERSONAL_NUMBER: "a personal forwarding number",
    PhoneNumberType.VOICEMAIL: "a voicemail access number",
    PhoneNumberType.FIXED_LINE: "a landline number",
    PhoneNumberType.VOIP: "an internet (VoIP) number",
}
ONLY_MOBILES = "we can only text mobile numbers."


@lru_cache(maxsize=8)
def country_choices(allowed: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """(region code, "Country name (+code)") for every region phonenumbers knows (or only the
    ``allowed`` ones), by name."""
    choices = []
    for region, name in COUNTRY_NAMES.items():
        code = phonenumbers.country_code_for_region(region)
        if code and (not allowed or region in allowed):
            choices.append((region, f"{name} (+{code})"))
    return sorted(choices, key=lambda choice: choice[1])


def country_name(region: str | None) -> str:
    """A country's name; phonenumbers' "001" (non-geographic numbers such as +800) and no region
    at all are an international network, never a code shown to a person."""
    return COUNTRY_NAMES.get(region or "", "an international network")


def normalise(text: str, region: str, policy: PhonePolicy | None = None) -> str:
    """``(202) 555-0143`` in ``US`` -> ``+12025550143``; a leading ``+`` overrides ``region``.

    Raises ``PhoneNumberError`` unless the number is one ``policy`` lets the portal text."""
    policy = policy or PhonePolicy()
    text = text.strip()
    if not text:
        raise PhoneNumberError("Enter a phone number.")
    refuse_foreign_characters(text)
    number = parse(text, region)
    refuse_impossible(number)
    refuse_unknown(number)
    refuse_other_countries(number, policy)
    refuse_untextable(number, policy)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def refuse_foreign_characters(text: str) -> None:
    """Letters are never read as keypad digits: ``202-555-abcd`` is a typo, not +1 202 555 2223."""
    foreign = list(dict.fromkeys(c for c in text if not (c in "0123456789" or c in SEPARATORS)))
    letters = [c for c in foreign if c.isalpha()]
    if letters:
        raise PhoneNumberError(
            f"Phone numbers can't contain letters ({', '.join(letters)}). "
            "Type the number in digits, e.g. (202) 555-0143."
        )
    if foreign:
        raise PhoneNumberError(
            f"Phone numbers can't contain these characters: {' '.join(foreign)}. "
            "Use only digits, spaces and + ( ) - . /"
        )


def parse(text: str, region: str) -> PhoneNumber:
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise PhoneNumberError(
            "That doesn't look like a phone number. "
            "Use digits, e.g. (202) 555-0143 or +44 7400 123456."
        ) from None


def refuse_impossible(number: PhoneNumber) -> None:
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason in (
        phonenumbers.ValidationResult.IS_POSSIBLE,
        phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    ):
        return
    if reason == phonenumbers.ValidationResult.TOO_SHORT:
        raise PhoneNumberError("That phone number is too short for the country you chose.")
    if reason == phonenumbers.ValidationResult.TOO_LONG:
        raise PhoneNumberError("That phone number is too long for the country you chose.")
    raise PhoneNumberError("That isn't a possible phone number for the country you chose.")


def refuse_unknown(number: PhoneNumber) -> None:
    """A number no numbering plan gives out (``+1 000 000 0000``) or one of an international
    network rather than a country (``+882…``, ``+979…``)."""
    if phonenumbers.is_valid_number(number):
        return
    region = phonenumbers.region_code_for_country_code(number.country_code)
    if region not in COUNTRY_NAMES:
        raise PhoneNumberError(
            "That number belongs to an international network, not to a country's mobile "
            f"network: {ONLY_MOBILES}"
        )
    raise PhoneNumberError(
        "That isn't a phone number in use: check the digits and the country you chose."
    )


def refuse_other_countries(number: PhoneNumber, policy: PhonePolicy) -> None:
    region = phonenumbers.region_code_for_number(number) or ""
    if policy.allows_region(region):
        return
    served = ", ".join(sorted(country_name(r) for r in policy.allowed_regions))
    raise PhoneNumberError(
        f"That's a number in {country_name(region)}: we can only text numbers in {served}."
    )


def refuse_untextable(number: PhoneNumber, policy: PhonePolicy) -> None:
    kind = phonenumbers.number_type(number)
    if kind in TEXTABLE_TYPES or (kind == PhoneNumberType.VOIP and policy.allow_voip):
        return
    what = UNTEXTABLE_KINDS.get(kind, "a number we can't text")
    raise PhoneNumberError(f"That's {what}: {ONLY_MOBILES}")


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
