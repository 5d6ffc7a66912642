"""How the shop can answer an order's customer: on which phone, and whether freely right now.

Answering needs two facts that the order screen, the agent tools and (next) sending all
ask for, so they are decided here once:

* **the phone**: the number the customer last wrote from (that line surely has WhatsApp),
  when it is one of the customer's current phones or the customer has none on file; else
  the first of ``Telefono1``, ``Telefono2`` that is not a landline, else ``Telefono1``; else
  none, and why not, per field (FastService's phone fields hold free text). Its ``kind``
  is what libphonenumber knows of the line (``phones.line_kind``): a landline from the
  customer record is no WhatsApp chat, so it is offered with a ``phone_problem`` saying to
  load the mobile, and no ``wa.me`` link;
* **the 24-hour customer-service window**: WhatsApp lets a business send free-form
  messages only until 24 hours after the customer's last message (measured on WhatsApp's
  time); after that only approved templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import db, identity, orders, schema
from shared.errors import phone_reasons
from shared.orders import OrderCustomer
from shared.phones import LineKind, line_kind, parse_whatsapp_id

WINDOW = timedelta(hours=24)  # WhatsApp's customer-service window
PhoneSource = Literal["whatsapp", "Telefono1", "Telefono2"]
_m = schema.message


@dataclass(frozen=True)
class ReplyPhone:
    e164: str
    whatsapp_id: str
    """Digits only, as ``wa.me`` and ACS take it."""
    source: PhoneSource
    """``whatsapp``: the number the customer wrote from; else the customer field it was read from."""
    kind: LineKind = "unknown"
    """``mobile``, ``landline`` or ``unknown`` (libphonenumber's number type; see ``phones.line_kind``)."""

    @property
    def chat_possible(self) -> bool:
        """Whether a WhatsApp chat can be opened on it: WhatsApp proved it, or it is not a landline."""
        return self.source == "whatsapp" or self.kind != "landline"


@dataclass(frozen=True)
class ReplyWindow:
    open: bool
    until: datetime | None
    last_inbound_at: datetime | None


@dataclass(frozen=True)
class ReplyContext:
    order_id: int
    phone: ReplyPhone | None
    fields_tried: tuple[identity.FieldTried, ...]
    """Why each phone field gave no usable phone; empty when the customer has a phone on file."""
    window: ReplyWindow
    phone_keys: tuple[str, ...]
    """The matching keys of the customer's current phones."""

    @property
    def phone_problem(self) -> str | None:
        """Why there is no phone (one clause per field) or why it is no WhatsApp chat; ``None`` when it is fine."""
        if self.phone is None:
            return phone_reasons(self.fields_tried)
        if not self.phone.chat_possible:
            return (f"El teléfono de la ficha ({self.phone.source}) es un fijo y no tiene WhatsApp. Cargá el celular "
                    "del cliente en Telefono1 o Telefono2 de la ficha en FastService.")
        return None


def reply_context(conn: Connection, order: OrderCustomer, now: datetime) -> ReplyContext:
    """The reply context of an order already read (see :func:`for_order`)."""
    phones = identity.customer_phones(order.telefono1, order.telefono2)
    keys = [phone.key for _, phone in phones]
    # only what ACS delivered (Source NULL) opens Meta's window: imported history may come from another
    # phone of the shop, and was never a message to this business number
    inbound = (_m.c.Direction == "inbound") & _m.c.Source.is_(None) & sa.or_(
        _m.c.ReparacionId == order.order_id, _m.c.PhoneKey.in_(keys) if keys else sa.false())
    last_in = conn.execute(sa.select(_m.c.WhatsAppTimestamp, _m.c.PhoneNumber).where(inbound)
                           .order_by(_m.c.WhatsAppTimestamp.desc()).limit(1)).first()
    wrote_from = parse_whatsapp_id(last_in.PhoneNumber) if last_in and last_in.PhoneNumber else None
    phone: ReplyPhone | None = None
    if wrote_from is not None and (not keys or wrote_from.key in keys):
        phone = ReplyPhone(wrote_from.e164, wrote_from.e164.lstrip("+"), "whatsapp", line_kind(wrote_from))
    elif phones:
        kinds = [line_kind(p) for _, p in phones]
        chosen = next((i for i, kind in enumerate(kinds) if kind != "landline"), 0)  # the mobile before a landline
        field, first = phones[chosen]
        phone = ReplyPhone(first.e164, first.whatsapp_id, field, kinds[chosen])
    tried = () if phones else tuple(identity.fields_tried(order.telefono1, order.telefono2))
    last_at = last_in.WhatsAppTimestamp if last_in else None
    until = last_at + WINDOW if last_at else None
    return ReplyContext(order.order_id, phone, tried, ReplyWindow(bool(until and now < until), until, last_at),
                        tuple(keys))


def for_order(order_id: int, url: str | None = None, now: datetime | None = None) -> ReplyContext:
    """Which phone to answer the order on and whether the window is open (raises ``OrderNotFound``,
    ``DatabaseUnavailable``)."""
    def read(conn: Connection) -> ReplyContext:
        order = orders.require(conn, order_id)
        return reply_context(conn, order, now or db.utcnow())

    return db.read(read, url)
