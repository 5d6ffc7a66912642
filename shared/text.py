"""Text as every column, payload and answer of this app needs it: the bottom layer, pure.

SQL Server counts ``nvarchar`` lengths in UTF-16 code units and rejects longer values
(an emoji counts two), and no database accepts the lone surrogates that JSON can carry;
digests and the audit copy of an event need one JSON spelling of a value; the API and
the tools write stored times one way. These rules were spread over the event parser,
the message store and the summary text, so a pure text helper made its callers import
the database layer. Here they import only the standard library and the settings.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from shared import config


def clean_text(value: str) -> str:
    """The string with lone UTF-16 surrogates replaced, so every database accepts it."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def text_length(text: str) -> int:
    """Length as SQL Server's ``nvarchar`` counts it: UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def clip(value: str, units: int) -> str:
    """``value`` cut to at most ``units`` UTF-16 code units (how nvarchar counts), ending in "…" when cut."""
    if len(value) * 2 <= units:  # fast path: even all-astral text fits
        return value
    encoded = value.encode("utf-16-le")
    if len(encoded) <= units * 2:
        return value
    cut = encoded[: (units - 1) * 2].decode("utf-16-le", "ignore")
    return cut + "…"


def canonical_json(value: Any) -> str:
    """One JSON spelling of ``value`` (sorted keys, no spaces, ASCII), for digests."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


def bounded_raw(envelope: dict[str, Any]) -> tuple[str, bool]:
    """The envelope as JSON, cut to ``RAW_PAYLOAD_MAX_BYTES``; whether it was cut."""
    limit = config.get_int("RAW_PAYLOAD_MAX_BYTES")
    raw = json.dumps(envelope, ensure_ascii=True, default=str)  # ASCII: bytes == characters
    return (raw, False) if len(raw) <= limit else (raw[:limit], True)


def iso(value: datetime | None) -> str | None:
    """A stored (naive UTC) time as ISO 8601 with ``Z``."""
    return None if value is None else value.isoformat(timespec="seconds") + "Z"
