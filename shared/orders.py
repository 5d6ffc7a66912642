"""FastService's repair orders and their customers, as this app reads them (never writes them).

``Reparacion`` and ``Cliente`` belong to FastService, which edits and deletes rows without
telling us: an order can outlive its customer, and a customer's phones change at any
time. So every reader takes the order and its customer together, live, in one query,
and says whether the customer still exists. Sync, the order view and the agent tools
used to write that query each their own way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import schema
from shared.errors import OrderNotFound

_rep, _cl = schema.reparacion, schema.cliente
_ORDER_EXISTS: Final = sa.select(_rep.c.ReparacionId).where(_rep.c.ReparacionId == sa.bindparam("order"))
_ORDER_WITH_CUSTOMER: Final = (
    sa.select(_rep.c.ReparacionId, _rep.c.ClienteId, _rep.c.CreadoEn, _rep.c.FechaEntrega,
              _cl.c.ClienteId.label("Live"), _cl.c.Nombre, _cl.c.Apellido, _cl.c.Telefono1, _cl.c.Telefono2)
    .select_from(_rep.outerjoin(_cl, _cl.c.ClienteId == _rep.c.ClienteId))
    .where(_rep.c.ReparacionId == sa.bindparam("order")))


@dataclass(frozen=True)
class OrderCustomer:
    """An order and its customer's current name and phone fields (``None`` when the customer was deleted)."""

    order_id: int
    customer_id: int
    customer_exists: bool
    created_at: datetime
    is_open: bool
    """Not delivered yet (``FechaEntrega`` is empty)."""
    first_name: str | None
    last_name: str | None
    telefono1: str | None
    telefono2: str | None

    @property
    def customer_name(self) -> str:
        return full_name(self.first_name, self.last_name)


@dataclass(frozen=True)
class CustomerPhones:
    customer_id: int
    telefono1: str | None
    telefono2: str | None


def full_name(first_name: str | None, last_name: str | None) -> str:
    """A customer's name as staff read it (``Nombre Apellido``; either may be empty)."""
    return f"{first_name or ''} {last_name or ''}".strip()


def exists(conn: Connection, order_id: int) -> bool:
    """Whether FastService still has the order."""
    return conn.execute(_ORDER_EXISTS, {"order": order_id}).first() is not None


def order_with_customer(conn: Connection, order_id: int) -> OrderCustomer | None:
    """The order with its customer, or ``None`` when there is no such order."""
    row = conn.execute(_ORDER_WITH_CUSTOMER, {"order": order_id}).first()
    if row is None:
        return None
    return OrderCustomer(order_id=row.ReparacionId, customer_id=row.ClienteId, customer_exists=row.Live is not None,
                         created_at=row.CreadoEn, is_open=row.FechaEntrega is None, first_name=row.Nombre,
                         last_name=row.Apellido, telefono1=row.Telefono1, telefono2=row.Telefono2)


def require(conn: Connection, order_id: int) -> OrderCustomer:
    """The order with its customer, or :class:`~shared.errors.OrderNotFound`."""
    order = order_with_customer(conn, order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order


def customer_phones(conn: Connection, customer_id: int) -> CustomerPhones | None:
    """A customer's phone fields, or ``None`` when there is no such customer."""
    row = conn.execute(sa.select(_cl.c.Telefono1, _cl.c.Telefono2).where(_cl.c.ClienteId == customer_id)).first()
    return None if row is None else CustomerPhones(customer_id, row.Telefono1, row.Telefono2)
