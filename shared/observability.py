"""Logging: app log level, and a correlation id on every record of an invocation.

Personal data (phones, message text) is only ever logged at DEBUG; INFO and above
carry event ids, order ids and outcomes.
"""

from __future__ import annotations

import contextvars
import logging

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
