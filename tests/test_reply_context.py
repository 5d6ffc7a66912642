"""shared/reply_context.py: which phone an order's customer is answered on, and whether the window is open."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from devkit import acs_events
from shared import db, ingest, reply_context, schema
from shared.errors import OrderNotFound
from tests.test_ingest import add_customer


def _order_of(url: str, customer: int) -> int:
    rep = schema.reparacion
    return int(db.read(lambda c: c.execute(sa.select(rep.c.ReparacionId).where(rep.c.ClienteId == customer)
                                           ).scalar_one(), url))


def test_without_messages_the_first_usable_field_is_the_phone_and_the_window_is_closed(db_url: str) -> None:
    order = _order_of(db_url, add_customer(db_url, "no tiene", "11 6666-7777", open_orders=1))
    context = reply_context.for_order(order, db_url)
    assert context.phone is not None
    assert (context.phone.e164, context.phone.whatsapp_id, context.phone.source) == (
        "+541166667777", "5491166667777", "Telefono2")
    assert context.fields_tried == () and context.phone_problem is None
    assert (context.window.open, context.window.until, context.window.last_inbound_at) == (False, None, None)


def test_the_number_the_customer_wrote_from_wins_and_opens_the_window_for_24_hours(db_url: str) -> None:
    order = _order_of(db_url, add_customer(db_url, "11 2222-3333", "11 6666-7777", open_orders=1))
    wrote_at = datetime(2026, 3, 1, 12, 0)
    ingest.ingest_event(acs_events.received("5491166667777", content="hola", when=wrote_at), db_url)
    during = reply_context.for_order(order, db_url, now=wrote_at + timedelta(hours=23, minutes=59))
    assert during.phone is not None and (during.phone.e164, during.phone.source) == ("+5491166667777", "whatsapp")
    assert during.window.open and during.window.until == wrote_at + timedelta(hours=24)
    assert during.window.last_inbound_at == wrote_at
    after = reply_context.for_order(order, db_url, now=wrote_at + timedelta(hours=24))
    assert not after.window.open and after.window.until == wrote_at + timedelta(hours=24)


def test_a_number_that_is_no_longer_the_customers_is_not_answered_on(db_url: str) -> None:
    customer = add_customer(db_url, "11 6666-7777", open_orders=1)
    order = _order_of(db_url, customer)
    ingest.ingest_event(acs_events.received("5491166667777", content="hola"), db_url)
    db.write(lambda c: c.execute(schema.cliente.update().where(schema.cliente.c.ClienteId == customer)
                                 .values(Telefono1="11 2222-3333")), db_url)  # FastService edits the phone
    context = reply_context.for_order(order, db_url)
    assert context.phone is not None and (context.phone.e164, context.phone.source) == ("+541122223333",
                                                                                       "Telefono1")


def test_no_usable_phone_says_why_per_field(db_url: str) -> None:
    order = _order_of(db_url, add_customer(db_url, "no tiene", None, open_orders=1))
    context = reply_context.for_order(order, db_url)
    assert context.phone is None
    assert context.fields_tried == ({"field": "Telefono1", "reason": "no contiene un número"},
                                    {"field": "Telefono2", "reason": "vacío"})
    assert context.phone_problem == "Telefono1: no contiene un número; Telefono2: vacío"


def test_an_unknown_order_is_not_found(db_url: str) -> None:
    with pytest.raises(OrderNotFound):
        reply_context.for_order(999, db_url)
