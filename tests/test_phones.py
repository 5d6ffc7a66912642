"""Phone identity: the formats FastService staff type, and junk that must never raise."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.phones import matching_key, parse_phones, parse_whatsapp_id

JUAN = "541155551234"  # the key of +54 9 11 5555-1234


@pytest.mark.parametrize(("typed", "e164", "key"), [
    # legacy-schema.md
    ("11-5555-1234", "+541155551234", JUAN),
    ("011 15-5555-1234", "+5491155551234", JUAN),
    ("15 5555 1234", "+5491155551234", JUAN),  # no area code: DEFAULT_AREA_CODE 11
    ("+54 9 11 5555 1234", "+5491155551234", JUAN),
    ("(011) 4555-1234", "+541145551234", "541145551234"),
    ("1155551234", "+541155551234", JUAN),
    # platform-facts.md
    ("5491155551234", "+5491155551234", JUAN),
    ("+54 11 5555-1234", "+541155551234", JUAN),
    ("11 5555-1234", "+541155551234", JUAN),
    ("0351 15 555-1234", "+5493515551234", "543515551234"),
    ("4555-1234", "+541145551234", "541145551234"),  # local number, default area 11
    # staff habits
    ("Tel: 11-5555-1234 (cel)", "+541155551234", JUAN),
    ("11.5555.1234", "+541155551234", JUAN),
    ("+52 1 55 1234 5678", "+525512345678", "525512345678"),  # Mexico's old mobile 1
    ("+55 11 98765 4321", "+5511987654321", "551187654321"),  # Brazil's ninth digit folded (old-form mobile)
    ("+55 11 91234 5678", "+5511912345678", "5511912345678"),  # a newer mobile: no 8-digit form, no fold
    ("+55 11 8765-4321", "+5511987654321", "551187654321"),  # typed in the old 8-digit form
])
def test_single_number_formats(typed: str, e164: str, key: str) -> None:
    parsed = parse_phones(typed)
    assert [(p.e164, p.key) for p in parsed.phones] == [(e164, key)]
    assert parsed.reason is None


def test_whatsapp_sender_and_all_typed_forms_share_one_key() -> None:
    sender = parse_whatsapp_id("5491155551234")
    assert sender is not None and sender.key == JUAN
    for typed in ("11 5555-1234", "011 15-5555-1234", "+54 9 11 5555 1234", "15 5555 1234"):
        assert parse_phones(typed).phones[0].key == sender.key


@pytest.mark.parametrize(("typed", "keys"), [
    ("11 5555 1234 / 4555-1234 casa", [JUAN, "541145551234"]),
    ("0351 15 555-1234 / 4555123", ["543515551234", "543514555123"]),  # second takes the first's area
    ("11 5555 1234 y 11 6666 7777", [JUAN, "541166667777"]),
    ("11 5555 1234, 011 15 5555 1234", [JUAN]),  # the same line twice is one phone
    ("11-5555-1234 - 4555-1234", [JUAN, "541145551234"]),  # " - " between numbers
    ("011 4555 1234 - 15 6666 7777", ["541145551234", "541166667777"]),
    ("1155551234 1566667777", [JUAN, "541166667777"]),  # only a space between numbers
    ("11 5555 1234 15 6666 7777", [JUAN, "541166667777"]),
])
def test_two_numbers_in_one_field(typed: str, keys: list[str]) -> None:
    assert [p.key for p in parse_phones(typed).phones] == keys


@pytest.mark.parametrize("typed", ["1234 5678 9012 3456 7890", "11-5555-1234 - 99"])
def test_numbers_run_together_are_read_whole_or_not_at_all(typed: str) -> None:
    """No partial reads: a leftover that is no valid number rejects the field's chunk."""
    assert parse_phones(typed).phones == ()


def test_default_area_code_is_a_setting() -> None:
    parsed = parse_phones("15 555 1234", area_code="351")
    assert [p.e164 for p in parsed.phones] == ["+5493515551234"]


@pytest.mark.parametrize(("typed", "reason"), [
    (None, "vacío"), ("", "vacío"), ("   ", "vacío"), ("no tiene", "no contiene un número"),
    ("1234", "no es un número de teléfono válido"), ("----", "no contiene un número"),
    ("9" * 40, "no es un número de teléfono válido"), ("1" * 300, "texto demasiado largo para ser un teléfono"),
])
def test_junk_gives_no_phone_and_a_reason(typed: str | None, reason: str) -> None:
    parsed = parse_phones(typed)
    assert parsed.phones == ()
    assert parsed.reason == reason


def test_partly_usable_field_keeps_the_number_and_says_so() -> None:
    parsed = parse_phones("11 5555 1234 / 123")
    assert [p.key for p in parsed.phones] == [JUAN]
    assert parsed.reason == "parte del texto no es un número válido"


def test_whatsapp_id_of_argentine_landline_form_gets_the_mobile_9() -> None:
    typed = parse_phones("11 5555-1234").phones[0]
    assert typed.whatsapp_id == "5491155551234"
    assert parse_phones("+54 9 11 5555 1234").phones[0].whatsapp_id == "5491155551234"


@pytest.mark.parametrize("raw", ["", None, "{sender@id}", "abc", "12", "+", "1" * 20])
def test_unusable_whatsapp_ids(raw: str | None) -> None:
    assert parse_whatsapp_id(raw) is None


def test_matching_key_folds_only_the_documented_quirks() -> None:
    assert matching_key(54, "91155551234") == "541155551234"
    assert matching_key(54, "1155551234") == "541155551234"
    assert matching_key(1, "2025550123") == "12025550123"
    assert matching_key(34, "612345678") == "34612345678"


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_never_raises(text: str) -> None:
    parsed = parse_phones(text)
    assert parsed.phones or parsed.reason
    for phone in parsed.phones:
        assert phone.e164.startswith("+") and phone.key.isdigit()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 +-()/.", max_size=40), st.sampled_from(["11", "351", "2966", "x"]))
def test_arbitrary_dialable_text_never_raises(text: str, area: str) -> None:
    parse_phones(text, area_code=area)
    parse_whatsapp_id(text)


def test_whatsapp_ids_split_like_libphonenumber_for_every_region() -> None:
    import phonenumbers

    checked = 0
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            digits = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164).lstrip("+")
            expected = matching_key(example.country_code, phonenumbers.national_significant_number(example))
            phone = parse_whatsapp_id(digits)
            assert phone is not None and phone.key == expected and phone.e164 == "+" + digits, region
            checked += 1
    assert checked > 400


# --- only ASCII digits are digits ------------------------------------------------------------------

@pytest.mark.parametrize("typed", [
    "\uff11\uff11 \uff15\uff15\uff15\uff15 \uff11\uff12\uff13\uff14",  # full-width
    "11 5555 123\u2074",  # a superscript four
    "\u0661\u0661 \u0665\u0665\u0665\u0665 \u0661\u0662\u0663\u0664",  # Arabic-Indic
    "11 5555 1234 \u00b2",  # a superscript after a good number: the field is not read at all
    "\u0967\u0967 5555 1234",  # Devanagari digits mixed with ASCII ones
])
def test_digits_of_other_scripts_are_no_phone(typed: str) -> None:
    parsed = parse_phones(typed)
    assert parsed.phones == ()
    assert parsed.reason == "tiene dígitos que no son 0-9"


@pytest.mark.parametrize("raw", ["\uff15\uff14\uff19\uff11\uff11\uff15\uff15\uff15\uff15\uff11\uff12\uff13\uff14",
                                 "549115555123\u2074", "\u00b2" * 10, "54911\u0665\u0665\u0665\u06651234"])
def test_whatsapp_ids_with_other_digits_are_no_phone(raw: str) -> None:
    assert parse_whatsapp_id(raw) is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789 +-\uff10\uff11\uff19\u00b2\u00b3\u2074\u0660\u0669\u09e6\u0e50"),
               max_size=30))
def test_text_with_any_digits_never_raises_and_non_ascii_ones_give_no_phone(text: str) -> None:
    parsed = parse_phones(text)
    phone = parse_whatsapp_id(text)
    if not text.isascii():
        assert parsed.phones == () and phone is None


# --- each fold joins one line, never two ----------------------------------------------------------

def _key(typed: str) -> str:
    phones = parse_phones(typed).phones
    assert len(phones) == 1, typed
    return phones[0].key


@pytest.mark.parametrize(("sender", "typed"), [
    ("5511987654321", "+55 11 8765-4321"),  # old 8-digit form typed, 9-digit sender
    ("551187654321", "+55 11 98765-4321"),  # the sender's WhatsApp id still in the old form
    ("5511987654321", "+55 11 98765-4321"),
    ("5521976543210", "+55 21 7654-3210"),
    ("5215512345678", "+52 55 1234 5678"),  # Mexico: WhatsApp's 521 + the 10-digit number
    ("525512345678", "+52 1 55 1234 5678"),
    ("5491155551234", "11 15 5555-1234"),  # Argentina: 9 / 15 are prefixes of one mobile
    ("541155551234", "+54 9 11 5555 1234"),
])
def test_forms_of_one_line_share_a_key(sender: str, typed: str) -> None:
    phone = parse_whatsapp_id(sender)
    assert phone is not None and phone.key == _key(typed)


@pytest.mark.parametrize(("a", "b"), [
    # Brazil: a landline (starts 2-5) and the newer mobile with the same last 8 digits are two lines
    ("+55 11 4123-4567", "+55 11 94123-4567"),
    ("+55 11 3456-7890", "+55 11 93456-7890"),
    ("+55 21 2555-1234", "+55 21 92555-1234"),
    # Brazil: another area, or a 9 that is not the ninth digit
    ("+55 11 98765-4321", "+55 21 98765-4321"),
    ("+55 11 98765-4321", "+55 11 8765-4322"),
    # Mexico: the 1 folds only in front of a 10-digit number
    ("+52 55 1234 5678", "+52 55 1234 5679"),
    ("+52 1 55 1234 5678", "+52 1 55 1234 5679"),
    ("+52 55 1234 5678", "+52 81 1234 5678"),
    # Argentina: 9 is not a wildcard: other area, other subscriber, other country
    ("+54 9 11 5555 1234", "+54 9 351 555 1234"),
    ("+54 9 11 5555 1234", "+54 11 4555 1234"),
    ("+54 9 11 5555 1234", "+55 11 5555 1234"),
    ("+54 9 11 5555 1234", "+52 1 55 5555 1234"),
])
def test_near_misses_do_not_match(a: str, b: str) -> None:
    keys = [p.key for p in parse_phones(a).phones], [p.key for p in parse_phones(b).phones]
    assert keys[0] and keys[1] and set(keys[0]).isdisjoint(keys[1]), (a, b, keys)


def test_brazilian_whatsapp_ids_keep_landline_and_new_mobile_apart() -> None:
    landline, mobile = parse_whatsapp_id("551141234567"), parse_whatsapp_id("5511941234567")
    old, new = parse_whatsapp_id("551187654321"), parse_whatsapp_id("5511987654321")
    assert landline is not None and mobile is not None and landline.key != mobile.key
    assert old is not None and new is not None and old.key == new.key


def test_runs_of_one_digit_groups_are_read_in_bounded_work() -> None:
    """The split search remembers what it read: a field of one-digit groups whose tail never reads is
    not retried split by split (counted in calls to the chunk reader, not in time)."""
    from unittest import mock

    from shared import phones

    counts = []
    for groups in (40, 80):
        text = "1 1 5 5 5 5 1 2 3 4 " * (groups // 10) + "9"
        with mock.patch.object(phones, "_parse_chunk", wraps=phones._parse_chunk) as spy:
            phones.parse_phones.__wrapped__(text)
        counts.append(spy.call_count)
    assert counts[1] <= 3 * counts[0], counts  # linear in the groups (2x), never exponential
