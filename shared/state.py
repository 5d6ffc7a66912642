"""Rows written once or moved forward, and the app's own key-value rows (``WhatsAppState``).

Several writers race for the same row: Event Grid redelivers while the first delivery
is still running, two workers learn the same BSUID, the timer and a sync want the same
summary. Each write here is decided by a unique index, never by a read-then-write that
a concurrent writer can slip between: :func:`upsert` updates the row or inserts it, and
when another writer inserted it in between, updates it as if it had been there all along.
It used to be written out by hand four times (message statuses, state rows, the BSUID map,
the summary lease), each with its own way of losing a race.

``WhatsAppState`` holds what is neither a message nor a customer: the phone index's
watermark, the per-order sync lock (a row written first, so a second sync of the order
waits for the first to commit) and the summary leases (a time until which one worker
owns an order's summary; a crash just lets it expire).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import db, schema
from shared.text import clean_text, clip, iso

Written = Literal["inserted", "updated", "kept"]
"""What :func:`upsert` did: inserted the row, updated it, or kept it as it was (``when`` did not hold)."""

_st = schema.state


@cache
def _lengths(table: sa.Table) -> dict[str, int | None]:
    return {c.name: getattr(c.type, "length", None) for c in table.columns}


def fit(table: sa.Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """The row with every string cleaned and clipped to its column's declared length."""
    lengths = _lengths(table)
    fitted = {}
    for name, value in row.items():
        if isinstance(value, str):
            length = lengths[name]
            text = clean_text(value)
            fitted[name] = clip(text, length) if length else text
        else:
            fitted[name] = value
    return fitted


def insert_once(conn: Connection, table: sa.Table, row: Mapping[str, Any]) -> Any | None:
    """Insert ``row``; its primary key (first column), or ``None`` when a unique index says it exists."""
    try:
        with conn.begin_nested():
            result = conn.execute(table.insert(), fit(table, row))
    except sa.exc.IntegrityError:
        return None
    key = result.inserted_primary_key
    return key[0] if key else None


def upsert(conn: Connection, table: sa.Table, key: Mapping[str, Any], values: Mapping[str, Any], *,
           new: Mapping[str, Any] | None = None, when: sa.ColumnElement[bool] | None = None) -> Written:
    """Set ``values`` on the row whose columns equal ``key`` (only if ``when`` holds for it), or insert
    ``key``, ``values`` and ``new`` (the columns only a new row gets) when there is none.

    The unique index on ``key`` decides a race: if another writer inserts the row between our
    update and our insert, the update runs again against its row, so the outcome is the one
    of the two writes in sequence.
    """
    match = [table.c[name] == value for name, value in key.items()]
    update = table.update().where(*match, *([] if when is None else [when])).values(**fit(table, values))
    if conn.execute(update).rowcount:
        return "updated"
    if when is not None and conn.execute(sa.select(sa.literal(1)).select_from(table).where(*match)).first():
        return "kept"  # the row is there and ``when`` does not hold for it
    if insert_once(conn, table, {**key, **values, **(new or {})}) is not None:
        return "inserted"
    return "updated" if conn.execute(update).rowcount else "kept"


# --- WhatsAppState ----------------------------------------------------------------------

def value(conn: Connection, name: str) -> str | None:
    """The state row's value, or ``None``."""
    return conn.execute(sa.select(_st.c.Value).where(_st.c.Name == name)).scalar()


def int_value(name: str) -> sa.ColumnElement[int]:
    """The state row's value as an integer (0 when absent), to use inside a query."""
    return sa.func.coalesce(sa.select(sa.cast(_st.c.Value, sa.Integer)).where(_st.c.Name == name)
                            .scalar_subquery(), 0)


def put(conn: Connection, name: str, text: str) -> None:
    """Set the state row ``name`` to ``text``."""
    upsert(conn, _st, {"Name": name}, {"Value": text, "UpdatedAt": db.utcnow()})


def lock(conn: Connection, name: str, note: str) -> bool:
    """Serialize this transaction with any other that locks ``name``: its row is written first, so the
    second writer waits for the first to commit. Whether a row was needed: a transaction that already
    excludes every other writer (SQLite's ``BEGIN IMMEDIATE``, :func:`shared.db.holds_write_lock`) takes
    none, since nothing can commit meanwhile (and leaves no row behind per sender or order)."""
    if db.holds_write_lock(conn):
        return False
    put(conn, name, note)
    return True


def lock_order(conn: Connection, order_id: int) -> None:
    """:func:`lock` on one order (its sync)."""
    lock(conn, f"sync:{order_id}", iso(db.utcnow()) or "")


def claim(conn: Connection, name: str, now: datetime, seconds: float) -> bool:
    """Take the lease ``name`` for ``seconds`` unless someone else holds an unexpired one."""
    until = (now + timedelta(seconds=seconds)).isoformat()
    return upsert(conn, _st, {"Name": name}, {"Value": until, "UpdatedAt": now},
                  when=_st.c.Value < now.isoformat()) != "kept"


def release(conn: Connection, name: str) -> None:
    """Give the lease ``name`` back (it is free at once)."""
    conn.execute(_st.update().where(_st.c.Name == name).values(Value="", UpdatedAt=db.utcnow()))
