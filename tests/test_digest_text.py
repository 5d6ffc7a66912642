"""The offline digest and the prompt on hostile text: linear time, bounded reading, plain Spanish
(issue 13 item 1; issue 14's "natural Spanish")."""

from __future__ import annotations

import importlib
import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import phones
from shared.summary_text import SCAN_MAX_CHARS, Line, amounts, dates, join_es, offline_digest, prompt

AT = datetime(2026, 5, 1, 12)


def digest_of(*texts: str, last: str = "inbound") -> str:
    lines = [Line("outbound" if i % 2 else "inbound", t, AT) for i, t in enumerate(texts)]
    if last == "inbound" and lines and lines[-1].direction != "inbound":
        lines.append(Line("inbound", "ok", AT))
    return offline_digest(lines, 2000)


# --- plain Spanish ------------------------------------------------------------------------------

def test_the_pending_question_is_said_once() -> None:
    digest = offline_digest([Line("outbound", "Está listo, son $85.000.", AT),
                             Line("inbound", "¿Puedo pasar el viernes?", AT)], 1000)
    assert digest.count("¿Puedo pasar el viernes?") == 1
    assert "espera respuesta del taller" in digest


def test_an_answered_question_is_said_as_asked() -> None:
    digest = offline_digest([Line("inbound", "¿Cuánto sale?", AT), Line("outbound", "Sale $85.000.", AT)], 1000)
    assert "El cliente preguntó «¿Cuánto sale?»." in digest and "espera respuesta" not in digest


@pytest.mark.parametrize(("texts", "said"), [
    (["El presupuesto es $85.000."], "El taller mencionó $85.000."),
    (["Son $85.000, listo el viernes."], "El taller mencionó $85.000 y el viernes."),
    (["$85.000 o $90.000, el viernes o mañana."], "El taller mencionó $85.000, $90.000, el viernes y mañana."),
    (["Queda para el 12/5."], "El taller mencionó el 12/5."),
])
def test_what_each_side_mentioned_reads_as_a_sentence(texts: list[str], said: str) -> None:
    digest = offline_digest([Line("outbound", t, AT) for t in texts], 1000)
    assert said in digest
    assert "montos" not in digest and "fechas" not in digest and ", y " not in digest


def test_join_es() -> None:
    assert [join_es(x) for x in ([], ["a"], ["a", "b"], ["a", "b", "c"])] == ["", "a", "a y b", "a, b y c"]


@pytest.mark.parametrize(("text", "found"), [
    ("El presupuesto es $85.000.", ["$85.000"]),  # the sentence's full stop is not part of it
    ("ARS 1500 o 20 mil pesos", ["ARS 1500", "20 mil pesos"]),
    ("$15k, $ 3.000,50", ["$15k", "$ 3.000,50"]),
    ("modelo A123 pesos", []),  # a number inside a word is no amount
    ("código 1.2.3.4.5.6.7.8.9.0.1.2.3 pesos", []),  # too long to be money
    ("llamá al 4555-1234", []),  # no currency, no unit
])
def test_amounts(text: str, found: list[str]) -> None:
    assert amounts(text) == found


def test_dates() -> None:
    assert dates("El Viernes o el 3 de junio, si no mañana o el 12/5/2026") == [
        "viernes", "3 de junio", "mañana", "12/5/2026"]


# --- linear time, bounded reading ------------------------------------------------------------------

def _best_of(fn: Callable[[], object], runs: int = 5) -> float:
    """The fastest of ``runs`` calls: the machine's noise only ever adds time, so the minimum is the
    most repeatable measure of the work itself."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


# pieces a hostile text is made of: number runs, separators, currency, units, date words
ATOMS = ["1", "9", ".", ",", " ", "$", "ars", "mil", "pesos", "k", "/", "de ", "viernes", "?", "<", "\n", "a",
         "1.", "1,", "$1", "12/", "3 de "]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(ATOMS), min_size=1, max_size=12))
def test_scanning_customer_text_is_linear(pattern: list[str]) -> None:
    """For any repeated pattern, 16 times the text takes about 16 times as long, not 256 times.
    Compared against itself in the same run (best of 5 each), with a 4x margin over linear; the
    quadratic amount pattern this replaced took 200x (0.015 s -> 2.9 s) from 1 KiB to 16 KiB."""
    unit = "".join(pattern)
    small = (unit * (1 + 256 // len(unit)))[:256]
    large = (unit * (1 + 4096 // len(unit)))[:4096]

    def scan(text: str) -> Callable[[], object]:
        return lambda: (amounts(text), dates(text))

    ratio = _best_of(scan(large)) / max(_best_of(scan(small)), 1e-6)
    assert ratio < 64, (unit, ratio)


def test_the_digest_reads_a_bounded_part_of_each_message() -> None:
    """A message longer than WhatsApp allows (only possible through a bug or a hostile event) costs no
    more than one of WhatsApp's longest: what is past SCAN_MAX_CHARS is not read."""
    head = "$1.000 " + "1." * (SCAN_MAX_CHARS // 2)
    tail = " $999.999 el viernes"
    digest = offline_digest([Line("outbound", head + tail, AT)], 2000)
    assert "$1.000" in digest and "$999.999" not in digest
    assert amounts("x" * SCAN_MAX_CHARS + " $5") == []
    _, user = prompt(None, [Line("inbound", "a" * (SCAN_MAX_CHARS * 10), AT)], 10**6, 1000)
    assert len(user["content"]) < SCAN_MAX_CHARS + 500


def test_phone_fields_are_read_in_bounded_time() -> None:
    """Phone text is cut at 200 characters before any parsing; the dash splitter starts only at a run's
    first space, so a field of spaces is not re-scanned from each of them."""
    assert phones.parse_phones("1" + " " * 10_000 + "-").reason == "texto demasiado largo para ser un teléfono"
    assert phones._SPACED_DASH.split("1" + " " * 150 + "x") == ["1" + " " * 150 + "x"]
    assert phones._SPACED_DASH.split("11 5555 1234   -  4555 1234") == ["11 5555 1234", "4555 1234"]


def _module_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """Every compiled pattern a module of shared/ holds at module level."""
    found = []
    for path in sorted((Path(__file__).resolve().parent.parent / "shared").glob("*.py")):
        module = importlib.import_module(f"shared.{path.stem}")
        found += [(f"{path.stem}.{name}", value) for name, value in vars(module).items()
                  if isinstance(value, re.Pattern) and isinstance(value.pattern, str)]
    return found


_HOSTILE_ALPHABETS = ["1.", "1,", "1 ", " -", "$1.", "ars 1", "12/", "1 de ", "a ", "aa", "\u202f1", "[1/1/1, 1:1"]


@pytest.mark.parametrize(("name", "pattern"), _module_patterns(), ids=lambda v: v if isinstance(v, str) else "")
def test_no_pattern_in_shared_backtracks_on_hostile_text(name: str, pattern: re.Pattern[str]) -> None:
    """Every regular expression of shared/, searched over 16 times the text, takes about 16 times as long
    (best of 3, 4x margin): none re-scans a run from each of its positions."""
    for unit in _HOSTILE_ALPHABETS:
        small = unit * (512 // len(unit))
        large = unit * (8192 // len(unit))
        ratio = (_best_of(lambda t=large: list(pattern.finditer(t)), 3)  # type: ignore[misc]
                 / max(_best_of(lambda t=small: list(pattern.finditer(t)), 3), 1e-6))  # type: ignore[misc]
        assert ratio < 64, (name, unit, ratio)
