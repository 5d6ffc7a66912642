"""Which repair order a message belongs to."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import schema

_rep = schema.reparacion


_OPEN_ORDERS = (
    sa.select(_rep.c.ReparacionId)
    .where(_rep.c.ClienteId == sa.bindparam("cliente"), _rep.c.FechaEntrega.is_(None))
    .order_by(_rep.c.ReparacionId).limit(sa.bindparam("limit", type_=sa.Integer, literal_execute=True)))


def open_orders(conn: Connection, cliente_id: int, limit: int = 2) -> list[int]:
    """Ids of the customer's open orders (``FechaEntrega`` empty), oldest first."""
    return list(conn.execute(_OPEN_ORDERS, {"cliente": cliente_id, "limit": limit}).scalars())


def order_at_ingest(conn: Connection, cliente_id: int | None) -> int | None:
    """The order a new message joins on arrival: the customer's only open order, if exactly one.

    With none or several open orders the message waits, unlinked, for a sync of the
    order staff are looking at.
    """
    if cliente_id is None:
        return None
    orders = open_orders(conn, cliente_id)
    return orders[0] if len(orders) == 1 else None
