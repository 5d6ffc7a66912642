"""``GET /api/whatsapp/orders/{orderId}``: what the order screen needs for its WhatsApp panel."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import config, db, identity, schema, sync
from shared.errors import OrderNotFound
from shared.phones import parse_whatsapp_id
from shared.text import iso

_m, _rep, _cl = schema.message, schema.reparacion, schema.cliente
_sum, _nov, _log = schema.summary, schema.novedad, schema.sync_log
WINDOW = timedelta(hours=24)  # WhatsApp's customer-service window


def wa_me(whatsapp_id: str, text: str | None = None) -> str:
    """A ``wa.me`` link: digits only, optional pre-filled text."""
    link = f"https://wa.me/{''.join(ch for ch in whatsapp_id if ch.isdigit())}"
    return f"{link}?text={quote(text, safe='')}" if text else link


def greeting(first_name: str, order_id: int) -> str:
    template = config.get("WHATSAPP_GREETING")
    try:
        return template.format(cliente=first_name.strip(), ticket=order_id)
    except (KeyError, IndexError, ValueError):  # a mistyped template must not break the panel
        return f"Hola {first_name.strip()}, te escribimos de FastService por tu orden #{order_id}."


def latest_summary(conn: Connection, order_id: int) -> Any:
    """The newest summary of the order with its text, or ``None``."""
    return conn.execute(
        sa.select(_sum.c.LastMessageId, _sum.c.MessageCount, _sum.c.Provider, _sum.c.CreatedAt,
                  _nov.c.Observacion)
        .select_from(_sum.join(_nov, _nov.c.NovedadId == _sum.c.NovedadId))
        .where(_sum.c.ReparacionId == order_id)
        .order_by(_sum.c.LastMessageId.desc(), _sum.c.MessageCount.desc()).limit(1)).first()


def _context(conn: Connection, order_id: int, now: datetime) -> dict[str, Any]:
    order = conn.execute(
        sa.select(_rep.c.ReparacionId, _rep.c.ClienteId, _rep.c.FechaEntrega, _rep.c.CreadoEn, _cl.c.Nombre,
                  _cl.c.Apellido, _cl.c.Telefono1, _cl.c.Telefono2)
        .select_from(_rep.outerjoin(_cl, _cl.c.ClienteId == _rep.c.ClienteId))
        .where(_rep.c.ReparacionId == order_id)).first()
    if order is None:
        raise OrderNotFound(order_id)
    phones = identity.customer_phones(order.Telefono1, order.Telefono2)
    keys = [phone.key for _, phone in phones]
    inbound = (_m.c.Direction == "inbound") & sa.or_(_m.c.ReparacionId == order_id,
                                                      _m.c.PhoneKey.in_(keys) if keys else sa.false())
    last_in = conn.execute(sa.select(_m.c.WhatsAppTimestamp, _m.c.PhoneNumber).where(inbound)
                           .order_by(_m.c.WhatsAppTimestamp.desc()).limit(1)).first()
    phone, problem = None, None
    wrote_from = parse_whatsapp_id(last_in.PhoneNumber) if last_in and last_in.PhoneNumber else None
    if wrote_from is not None and (not keys or wrote_from.key in keys):
        phone = {"e164": wrote_from.e164, "whatsappId": wrote_from.e164.lstrip("+"), "source": "whatsapp"}
    elif phones:
        field, first = phones[0]
        phone = {"e164": first.e164, "whatsappId": first.whatsapp_id, "source": field}
    else:
        problem = "; ".join(f"{f}: {identity.read_phone_field(v).reason or 'sin número'}"
                            for f, v in zip(identity.PHONE_FIELDS, (order.Telefono1, order.Telefono2), strict=True))
    counts = conn.execute(sa.select(sa.func.count(), sa.func.max(_m.c.Id))
                          .where(_m.c.ReparacionId == order_id)).one()
    summary = latest_summary(conn, order_id)
    # the latest summary's watermark (last id, count) does not cover what the order holds now
    uncovered = bool(counts[1]) and (summary is None or counts[1] > summary.LastMessageId
                                     or counts[0] > summary.MessageCount)
    unlinked = conn.execute(sa.select(sa.func.count()).where(
        sync.unlinked_for(conn, keys, order.CreadoEn))).scalar_one() if keys else 0
    last_sync = conn.execute(sa.select(sa.func.max(_log.c.LastSyncAt)).where(
        _log.c.ReparacionId == order_id, _log.c.Status != "failed")).scalar()
    until = last_in.WhatsAppTimestamp + WINDOW if last_in else None
    name = f"{order.Nombre or ''} {order.Apellido or ''}".strip()
    return {
        "orderId": order_id,
        "orderOpen": order.FechaEntrega is None,
        "customer": {"id": order.ClienteId, "name": name},
        "phone": phone,
        "phoneProblem": problem,
        "waMeUrl": wa_me(phone["whatsappId"]) if phone else None,
        "waMeUrlWithGreeting": wa_me(phone["whatsappId"], greeting(order.Nombre or "", order_id)) if phone else None,
        "summary": None if summary is None else {
            "text": summary.Observacion or "", "createdAt": iso(summary.CreatedAt),
            "messageCount": summary.MessageCount, "provider": summary.Provider},
        "hasNewMessages": bool(unlinked) or uncovered,
        "messageCount": int(counts[0]),
        "unlinkedMessages": int(unlinked),
        "lastSyncAt": iso(last_sync),
        "customerServiceWindow": {"open": bool(until and now < until), "until": iso(until),
                                  "lastInboundAt": iso(last_in.WhatsAppTimestamp) if last_in else None},
    }


def order_whatsapp(order_id: int, url: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The order's WhatsApp context (raises ``OrderNotFound``, ``DatabaseUnavailable``)."""
    return db.read(lambda conn: _context(conn, order_id, now or db.utcnow()), url)
