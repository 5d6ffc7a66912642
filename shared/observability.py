"""Logging: app log level, and a correlation id on every record of an invocation.

Personal data (phones, message text) is only ever logged at DEBUG; INFO and above
carry event ids, order ids and outcomes.
"""

from __future__ import annotations

import contextvars
import logging
import unicodedata
from typing import Any

from shared import config

correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")


class _CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        cid = correlation_id.get()
        if not getattr(record, "cid_prefixed", False):
            record.msg = f"[cid={cid}] {record.msg}"
            record.__dict__.update(correlation_id=cid, cid_prefixed=True)
        return True


_FILTER = _CorrelationFilter()


def logger(name: str) -> logging.Logger:
    """The module's logger, with the correlation id on its records."""
    log = logging.getLogger(name)
    if _FILTER not in log.filters:
        log.addFilter(_FILTER)
    return log


def configure() -> None:
    """Apply ``LOG_LEVEL`` to the app's loggers."""
    logging.getLogger("shared").setLevel(config.get("LOG_LEVEL").upper())


def bind(invocation_id: str | None) -> None:
    """Use the Functions invocation id as the correlation id of what follows."""
    correlation_id.set(invocation_id or "-")


LOGGED_ID_MAX = 80


def safe_id(value: Any) -> str:
    """An id from outside (an event id) as it may be logged: control and format characters (newlines
    that would forge a log line, ANSI escapes, bidi overrides) and lone surrogates removed, and at most
    :data:`LOGGED_ID_MAX` characters (longer ones end in "…")."""
    if value is None:
        return "-"
    text = value if isinstance(value, str) else str(value)
    if len(text) <= LOGGED_ID_MAX and text.isascii() and text.isprintable():
        return text  # the usual id (a UUID): printable ASCII has nothing to remove, no per-character look-up
    head = text[: LOGGED_ID_MAX * 4]  # bounded work whatever the id's length
    kept = "".join(ch for ch in head if unicodedata.category(ch) not in _UNLOGGABLE)
    return kept if len(kept) <= LOGGED_ID_MAX and len(text) == len(head) else kept[: LOGGED_ID_MAX - 1] + "…"


_UNLOGGABLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
