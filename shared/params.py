"""Reading request parameters: whole numbers within bounds, or a Spanish error naming the parameter.

The staff API reads them from query strings and routes, the MCP tools from JSON the model
wrote (a number, a string, or ``0``/``""`` for "not given"); both must accept and refuse
the same values with the same words. Only ASCII digits count: ``int()`` would also take
``"١٢"``, ``"+5"`` or ``" 5_0"``.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from shared.errors import InvalidParameter

MAX_ID = 2**31 - 1  # FastService ids are INT


def _whole_number(raw: str, minimum: int, maximum: int) -> int | None:
    """``raw`` as a whole number from ``minimum`` to ``maximum`` (ASCII digits only), else ``None``."""
    text = raw.strip()
    return int(text) if text.isascii() and text.isdigit() and minimum <= int(text) <= maximum else None


def _required_id(raw: str | None, parameter: str, what: str, maximum: int) -> int:
    if raw is None or not raw.strip():
        raise InvalidParameter(parameter, f"Falta el parámetro {parameter} ({what}).")
    number = _whole_number(raw, 1, maximum)
    if number is None:
        raise InvalidParameter(parameter, f"{parameter} debe ser un {what} entero positivo.")
    return number


def parse_order_id(raw: str | None, parameter: str = "orderId", what: str = "número de ticket") -> int:
    """An order (or, with ``what``, another) id from a request, or :class:`InvalidParameter`."""
    return _required_id(raw, parameter, what, MAX_ID)


def optional_id(value: Any, parameter: str, what: str) -> int | None:
    """An id a tool may leave out (``None``, ``""`` or ``0``), else as :func:`parse_order_id` reads it."""
    if value is None or (isinstance(value, (str, int)) and value in {"", 0}):
        return None
    return parse_order_id(str(value), parameter, what)


def in_range(number: int | None, parameter: str, minimum: int, maximum: int) -> int:
    """``number`` when it is from ``minimum`` to ``maximum``, else (``None`` included: not a whole
    number) :class:`InvalidParameter`."""
    if number is None or not minimum <= number <= maximum:
        raise InvalidParameter(parameter, f"{parameter} debe ser un número entre {minimum} y {maximum}.")
    return number


def parse_bounded_int(raw: str | None, parameter: str, minimum: int, maximum: int, default: int) -> int:
    """An optional whole-number parameter from ``minimum`` to ``maximum``, or :class:`InvalidParameter`."""
    if raw is None or raw == "":
        return default
    return in_range(_whole_number(raw, minimum, maximum), parameter, minimum, maximum)


def parse_limit(raw: Any, default: int, maximum: int) -> int:
    """A ``limit`` from 1 to ``maximum`` (``default`` when not given), or :class:`InvalidParameter`."""
    return parse_bounded_int(None if raw is None else str(raw), "limit", 1, maximum, default)


MAX_BIG_ID = 2**63 - 1  # our own BIGINT ids (messages, decisions, proposals)


def parse_big_id(raw: str | None, parameter: str, what: str) -> int:
    """One of our BIGINT ids (a message, a decision) from a request, or :class:`InvalidParameter`."""
    return _required_id(raw, parameter, what, MAX_BIG_ID)


def optional_big_id(raw: str | None, parameter: str, what: str) -> int | None:
    """:func:`parse_big_id` for a parameter that may be left out."""
    return None if raw is None or raw == "" else parse_big_id(raw, parameter, what)


def optional_order_id(raw: str | None, parameter: str, what: str) -> int | None:
    """:func:`parse_order_id` for a parameter that may be left out."""
    return None if raw is None or raw == "" else parse_order_id(raw, parameter, what)


def json_object(raw: bytes, shape: str = "") -> dict[str, Any]:
    """A request body that must be a JSON object (``shape``, e.g. ``": {state, evidence}"``, tells what one),
    or :class:`InvalidParameter` naming ``body``."""
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidParameter("body", "El cuerpo del pedido no es JSON válido.") from exc
    if not isinstance(body, dict):
        raise InvalidParameter("body", f"El cuerpo del pedido debe ser un objeto JSON{shape}.")
    return body


def reject_unknown(body: dict[str, Any], allowed: Collection[str]) -> None:
    """:class:`InvalidParameter` naming the first field of ``body`` (in sorted order) that is not ``allowed``."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise InvalidParameter(unknown[0], f"Campo desconocido: {unknown[0][:40]}.")
