"""Phone identity: free-text phones to E.164 and the WhatsApp matching key.

Staff type phones any way they like (``11 5555-1234``, ``011 15-5555-1234``,
``15 5555 1234``, two numbers in one field...). WhatsApp identifies Argentine
mobiles as ``549`` + area + subscriber. The *matching key* folds the forms that
WhatsApp treats as one line: ``+54 AA N`` and ``+54 9 AA N`` (Argentina's mobile
``9``), Mexico's old mobile ``1`` and Brazil's ninth digit. Two phones are the
same WhatsApp line when their keys are equal.

Each fold joins only forms of *one* line, never two lines: Argentina's ``9`` and
Mexico's ``1`` are access prefixes in front of a national number that is either
fixed or mobile, never both. Brazil's ninth digit is part of the number, and only
of mobiles that had an eight-digit form (those starting 6-9): ``9 8765-4321`` and
``8765-4321`` are one mobile, but ``9 4123-4567`` (a newer mobile) and the landline
``4123-4567`` are two lines and keep two keys.

Only ASCII digits are digits: text with full-width, superscript or another script's
digits is no phone (never an exception). Nothing here raises on bad input: junk
yields no phone and a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

_SEPARATORS = re.compile(r"[/,;|\n]+|[^\W\d_]+\.?")  # punctuation lists, or words ("casa", "cel", "y"...)
_DIALABLE = re.compile(r"[^0-9+]")
_ASCII_DIGIT = re.compile(r"[0-9]")
_MAX_INPUT = 200  # a phone field longer than this is not a phone field
_MIN_DIGITS = 6
_MAX_E164_DIGITS = 15
PARSER_VERSION = "3"
"""Part of the phone index's fingerprints: bump it when reading changes, so the next
``refresh_phone_index`` re-derives every customer's phones."""


@dataclass(frozen=True)
class Phone:
    """One telephone line."""

    e164: str
    """Canonical E.164 as libphonenumber formats it, e.g. ``+5491155551234``."""
    key: str
    """WhatsApp matching key: digits with the country's mobile quirks folded."""

    @property
    def whatsapp_id(self) -> str:
        """The digits WhatsApp uses for this line (what ``wa.me`` links take)."""
        if self.key.startswith("54") and not self.e164.startswith("+549"):
            return "549" + self.key[2:]
        return self.e164.lstrip("+")


@dataclass(frozen=True)
class ParsedPhones:
    """Result of reading a free-text phone field."""

    phones: tuple[Phone, ...]
    reason: str | None = None
    """Why nothing (or not everything) in the text was usable; ``None`` when all was."""


def matching_key(country_code: int, national_number: str) -> str:
    """The WhatsApp matching key of a number given as country code and national digits."""
    nsn = national_number
    if country_code == 54 and len(nsn) == 11 and nsn.startswith("9"):
        nsn = nsn[1:]  # Argentina: 9 marks a mobile in international form only
    elif country_code == 52 and len(nsn) == 11 and nsn.startswith("1"):
        nsn = nsn[1:]  # Mexico: the old mobile 1
    elif country_code == 55 and len(nsn) == 11 and nsn[2] == "9" and nsn[3] in _BRAZIL_OLD_MOBILE:
        nsn = nsn[:2] + nsn[3:]  # Brazil: the ninth digit of a mobile that had an 8-digit form
    return f"{country_code}{nsn}"


_BRAZIL_OLD_MOBILE = "6789"
"""First digits of Brazil's eight-digit mobiles (landlines start with 2-5): only these got the
ninth digit in front, so only these have an old form that is the same line."""


def _non_ascii_digits(text: str) -> bool:
    """Whether ``text`` has digits other than 0-9 (full-width, superscript, Arabic-Indic...)."""
    return any(ch.isnumeric() and not ch.isascii() for ch in text)


def _phone(number: phonenumbers.PhoneNumber) -> Phone:
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    nsn = phonenumbers.national_significant_number(number)
    return Phone(e164=e164, key=matching_key(number.country_code or 0, nsn))


def _parse_valid(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(number):
        return number
    if number.country_code == 52:  # +52 1 ... is no longer valid but WhatsApp still sends it
        nsn = phonenumbers.national_significant_number(number)
        if len(nsn) == 11 and nsn.startswith("1"):
            return _parse_valid(f"+52{nsn[1:]}", region)
    if number.country_code == 55:  # a mobile typed in its old 8-digit form is the 9-digit mobile
        nsn = phonenumbers.national_significant_number(number)
        if len(nsn) == 10 and nsn[2] in _BRAZIL_OLD_MOBILE:
            return _parse_valid(f"+55{nsn[:2]}9{nsn[2:]}", region)
    return None


def _area_code_of(number: phonenumbers.PhoneNumber) -> str | None:
    """The Argentine area code of a number (``11``, ``351``...), to read the next local number."""
    if number.country_code != 54:
        return None
    local = matching_key(54, phonenumbers.national_significant_number(number))[2:]
    length = phonenumbers.length_of_geographical_area_code(phonenumbers.parse("+54" + local))
    return local[:length] or None


def _parse_chunk(chunk: str, region: str, area_code: str) -> phonenumbers.PhoneNumber | None:
    dialable = _DIALABLE.sub("", chunk)
    digits = dialable.lstrip("+")
    if len(digits) < _MIN_DIGITS or len(digits) > _MAX_E164_DIGITS + 2 or "+" in digits:
        return None
    number = _parse_valid(dialable, region)
    if number is not None or region != "AR" or dialable.startswith("+") or not _is_ascii_number(area_code):
        return number
    # Argentina without area code: "15 5555 1234" (mobile) or "4555-1234" (area's local number)
    local_length = 10 - len(area_code)
    if digits.startswith("15") and len(digits) == local_length + 2:
        return _parse_valid(f"0{area_code}{digits}", region)
    if len(digits) == local_length:
        return _parse_valid(f"0{area_code}{digits}", region)
    return None


def _is_ascii_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


_SPACED_DASH = re.compile(r"(?<!\s)\s+-\s+")  # starts only at a run's first space: linear, not quadratic


_Memo = dict[tuple[str, str], list[phonenumbers.PhoneNumber]]


def _parse_run(chunk: str, region: str, area_code: str, memo: _Memo | None = None) -> list[phonenumbers.PhoneNumber]:
    """The numbers in one separator-free chunk: one number, or several typed one after the other
    (``11-5555-1234 - 4555-1234``, ``1155551234 1544443333``). Each next number takes the area
    of the one before it. Splits at `` - `` first, else takes the longest run of space-separated
    groups that reads as a valid number, then the rest the same way.

    ``memo`` remembers each (rest, area) already read: without it, a field of one-digit groups
    whose tail never reads re-tried every split of every rest (62 ms for 182 characters). Only
    prefixes short enough to be a number are tried, so the work grows linearly with the groups."""
    memo = {} if memo is None else memo
    known = memo.get((chunk, area_code))
    if known is not None:
        return known
    found = _read_run(chunk, region, area_code, memo)
    memo[(chunk, area_code)] = found
    return found


def _read_run(chunk: str, region: str, area_code: str, memo: _Memo) -> list[phonenumbers.PhoneNumber]:
    number = _parse_chunk(chunk, region, area_code)
    if number is not None:
        return [number]
    parts = _SPACED_DASH.split(chunk.strip())
    if len(parts) == 1:
        groups = parts[0].split()
        digits, longest = 0, 0  # no number has more than _MAX_E164_DIGITS + 2 digits: longer prefixes are not tried
        while longest < len(groups) - 1 and digits + len(_DIALABLE.sub("", groups[longest])) <= _MAX_E164_DIGITS + 2:
            digits += len(_DIALABLE.sub("", groups[longest]))
            longest += 1
        for end in range(longest, 0, -1):
            first = _parse_chunk(" ".join(groups[:end]), region, area_code)
            rest = first and _parse_run(" ".join(groups[end:]), region, _area_code_of(first) or area_code, memo)
            if first is not None and rest:
                return [first, *rest]
        return []  # every group must belong to a valid number: no partial reads of junk
    numbers: list[phonenumbers.PhoneNumber] = []
    for part in parts:
        found = _parse_run(part, region, area_code, memo)
        if not found:
            return []
        numbers += found
        area_code = _area_code_of(found[-1]) or area_code
    return numbers


@lru_cache(maxsize=65536)
def parse_phones(text: str | None, region: str = "AR", area_code: str = "11") -> ParsedPhones:
    """Every phone number in a free-text field, in order, without duplicates.

    A number typed without an area code takes the area of the number before it in
    the same field (``11 5555 1234 / 4555-1234 casa``), else ``area_code``.
    Memoized: the same text always reads the same (phone fields repeat a lot).
    """
    if text is None or not text.strip():
        return ParsedPhones((), "vacío")
    if len(text) > _MAX_INPUT:
        return ParsedPhones((), "texto demasiado largo para ser un teléfono")
    if _non_ascii_digits(text):
        return ParsedPhones((), "tiene dígitos que no son 0-9")
    found: list[Phone] = []
    rejected = 0
    current_area = area_code
    for chunk in _SEPARATORS.split(text):
        if not _ASCII_DIGIT.search(chunk):
            continue
        numbers = _parse_run(chunk, region, current_area)
        if not numbers:
            rejected += 1
            continue
        for number in numbers:
            current_area = _area_code_of(number) or current_area
            phone = _phone(number)
            if phone.key not in {p.key for p in found}:
                found.append(phone)
    if not found:
        reason = "no es un número de teléfono válido" if rejected else "no contiene un número"
        return ParsedPhones((), reason)
    return ParsedPhones(tuple(found), "parte del texto no es un número válido" if rejected else None)


@lru_cache(maxsize=65536)
def parse_whatsapp_id(digits: str | None) -> Phone | None:
    """The phone of a WhatsApp id as ACS sends it (``from``/``to``: digits, no ``+``).

    A WhatsApp id names a real account, so it is not validated against libphonenumber's
    ranges (which lag behind new ones); it is only split into country code (libphonenumber's
    table) and national number. The E.164 kept is exactly what WhatsApp sent.
    """
    if not digits:
        return None
    raw = digits.strip().lstrip("+")
    if not _is_ascii_number(raw) or not _MIN_DIGITS <= len(raw) <= _MAX_E164_DIGITS:
        return None
    for length in (1, 2, 3):  # country codes are prefix-free: the first one that exists is it
        country_code = int(raw[:length])
        if country_code in COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None  # no such country code
    nsn = raw[length:]
    if len(nsn) < _MIN_DIGITS - 2:
        return None
    return Phone(e164="+" + raw, key=matching_key(country_code, nsn))



LineKind = Literal["mobile", "landline", "unknown"]


def line_kind(phone: Phone) -> LineKind:
    """``"mobile"``, ``"landline"`` or ``"unknown"``: libphonenumber's number type of the line.

    Argentina is the exception: its mobiles are written with or without the mobile ``9``
    (or ``15``), and without it libphonenumber calls any number a fixed line, so an
    Argentine number without the ``9`` is ``"unknown"``, not a landline. Types that cover
    both (Mexico, the United States: ``FIXED_LINE_OR_MOBILE``) are ``"unknown"`` too.
    """
    try:
        number = phonenumbers.parse(phone.e164)
    except phonenumbers.NumberParseException:
        return "unknown"
    kind = phonenumbers.number_type(number)
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        return "mobile"
    if kind == phonenumbers.PhoneNumberType.FIXED_LINE and number.country_code != 54:
        return "landline"
    return "unknown"
