"""Which repair order a message belongs to."""

from __future__ import annotations

import sqlalchemy as sa

from shared import schema

_rep = schema.reparacion


def only_open_order(cliente_id: sa.ColumnElement[int]) -> sa.ScalarSelect[int]:
    """The order a new message joins on arrival: the customer's only open order, if exactly one.

    A correlated scalar (NULL with none or several open orders: then the message waits,
    unlinked, for a sync of the order staff are looking at), so matching can fetch it in
    the same round trip as the customer.
    """
    inner = _rep.alias("open_order")
    return (sa.select(sa.case((sa.func.count() == 1, sa.func.min(inner.c.ReparacionId))))
            .where(inner.c.ClienteId == cliente_id, inner.c.FechaEntrega.is_(None))
            .scalar_subquery())
