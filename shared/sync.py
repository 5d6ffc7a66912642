"""``POST /api/whatsapp/sync``: bring an order's conversation up to date.

ACS cannot pull history: every message arrives through Event Grid and is already
stored. Sync therefore *gathers* the stored messages of the order's customer (their
phones in ``Telefono1``, then ``Telefono2``, and the BSUIDs learned for those phones)
since the order was created minus ``SYNC_LOOKBACK_DAYS``, links the unlinked ones to
the order, counts those new since the last sync, records a ``WhatsAppSyncLog`` row
and, when something is new, asks for a fresh summary. The row also records who ran the
sync (the signed-in staff member, ``shared/staff.py``; none for the agent's tool), never
logged above DEBUG.

Two syncs of one order are serialized (a per-order row in ``WhatsAppState`` is
written first, so the second waits for the first to commit): pressing the button
twice, or two staff at once, counts each message once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, TypedDict

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from shared import config, db, identity, observability, orders, schema, state
from shared.errors import NoUsablePhone
from shared.staff import Staff
from shared.text import iso

log = observability.logger(__name__)
_m, _log = schema.message, schema.sync_log
_CHUNK = 500  # ids per IN list: well under SQL Server's 2,100 parameters

SyncStatus = Literal["success", "no_messages", "failed"]
"""A ``WhatsAppSyncLog.Status``; the API answers the first two (``failed`` is logged, then raised as 422)."""


class SyncResult(TypedDict):
    """``POST /api/whatsapp/sync``'s answer (``SyncResult`` in the OpenAPI document)."""

    orderId: int
    messagesReceived: int
    lastSyncAt: str | None
    summaryGenerated: bool
    summaryError: str | None
    status: Literal["success", "no_messages"]


SummaryRequest = Callable[[int], tuple[bool, str | None]]
"""Asked with an order id; answers whether a summary was written, and why not."""


@dataclass(frozen=True)
class _Gathered:
    customer_id: int
    phone: str | None
    received: int
    total: int
    last_message_id: int | None
    fields_tried: list[identity.FieldTried] | None = None


def unlinked_for(conn: Connection, keys: list[str], created: datetime) -> ColumnElement[bool]:
    """The messages a sync of an order created at ``created`` takes: not linked to any order, from
    the customer's phones (matching ``keys``) or their BSUIDs, since ``created`` minus the look-back."""
    since = created - timedelta(days=config.get_int("SYNC_LOOKBACK_DAYS"))
    return sa.and_(_m.c.ReparacionId.is_(None), identity.messages_of(conn, keys), _m.c.WhatsAppTimestamp >= since)


def _gather(conn: Connection, order_id: int, now: datetime, staff: Staff | None = None) -> _Gathered:
    state.lock_order(conn, order_id)
    order = orders.require(conn, order_id)
    phones = (identity.index_customer(conn, order.customer_id, order.telefono1, order.telefono2)
              if order.customer_exists else [])
    if not phones:
        _record(conn, cliente_id=order.customer_id, order_id=order_id, phone=None, now=now, count=0, last_id=None,
                status="failed", error="sin teléfono utilizable", staff=staff)
        if order.customer_exists:
            tried = identity.fields_tried(order.telefono1, order.telefono2)
        else:
            tried = [{"field": f, "reason": "el cliente no existe"} for f in identity.PHONE_FIELDS]
        return _Gathered(order.customer_id, None, 0, 0, None, tried)
    unlinked = list(conn.execute(sa.select(_m.c.Id).where(
        unlinked_for(conn, [phone.key for _, phone in phones], order.created_at))).scalars())
    for start in range(0, len(unlinked), _CHUNK):
        conn.execute(_m.update().where(_m.c.Id.in_(unlinked[start:start + _CHUNK]), _m.c.ReparacionId.is_(None))
                     .values(ReparacionId=order_id))
    watermark = conn.execute(sa.select(sa.func.max(_log.c.LastMessageId)).where(
        _log.c.ReparacionId == order_id, _log.c.Status != "failed")).scalar() or 0
    counts = conn.execute(sa.select(sa.func.count(), sa.func.max(_m.c.Id),
                                    sa.func.sum(sa.case((_m.c.Id > watermark, 1), else_=0)))
                          .where(_m.c.ReparacionId == order_id)).one()
    total, last_id, after_watermark = int(counts[0]), counts[1], int(counts[2] or 0)
    received = after_watermark + sum(1 for message_id in unlinked if message_id <= watermark)
    status: SyncStatus = "success" if total else "no_messages"
    phone = phones[0][1].e164
    _record(conn, cliente_id=order.customer_id, order_id=order_id, phone=phone, now=now, count=received,
            last_id=last_id, status=status, staff=staff)
    return _Gathered(order.customer_id, phone, received, total, last_id)


def _record(conn: Connection, *, cliente_id: int, order_id: int, phone: str | None, now: datetime, count: int,
            last_id: int | None, status: SyncStatus, error: str | None = None, staff: Staff | None = None) -> None:
    conn.execute(_log.insert().values(ClienteId=cliente_id, ReparacionId=order_id, PhoneNumber=phone,
                                      LastSyncAt=now, MessageCount=count, LastMessageId=last_id, Status=status,
                                      ErrorMessage=error, StaffId=staff.id if staff else None,
                                      StaffName=staff.name if staff else None))


def sync_order(order_id: int, url: str | None = None, request_summary: SummaryRequest | None = None,
               staff: Staff | None = None) -> SyncResult:
    """Sync one order for ``staff`` (who pressed the button; ``None`` for the agent); the API's
    ``SyncResult``. Raises ``OrderNotFound``, ``NoUsablePhone``, ``DatabaseUnavailable``."""
    now = db.utcnow()
    gathered = db.write(lambda conn: _gather(conn, order_id, now, staff), url)
    if staff is not None:
        log.debug("sync of order %s by staff %s", order_id, staff.id)  # who: personal data, DEBUG only
    if gathered.fields_tried is not None:
        log.info("sync of order %s: customer has no usable phone", order_id)
        raise NoUsablePhone(gathered.fields_tried)
    summary_generated, summary_error = False, None
    if gathered.received and request_summary is not None:
        try:
            summary_generated, summary_error = request_summary(order_id)
        except Exception as exc:  # the sync itself succeeded; the summary is best effort
            log.warning("sync of order %s: summary failed (%s)", order_id, type(exc).__name__)
            summary_generated, summary_error = False, "No se pudo generar el resumen; se reintentará solo."
    elif gathered.received:
        summary_error = "No hay un servicio de resúmenes configurado."
    log.info("sync of order %s: %d new of %d, summary=%s", order_id, gathered.received, gathered.total,
             summary_generated)
    return {"orderId": order_id, "messagesReceived": gathered.received, "lastSyncAt": iso(now),
            "summaryGenerated": summary_generated, "summaryError": summary_error,
            "status": "success" if gathered.total else "no_messages"}
