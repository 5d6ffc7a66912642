"""The inbox's «Avisos»: offered notifications across orders, and the customers' quote taps.

Issue 18 offers some notifications to staff instead of sending them (``offer`` rules, pickup reminders,
the kind answer to an outdated quote) and records the customer's taps on the quote's buttons. Inside an
order the panel's Avisos block shows both; but a person who is not looking at that order would never
know an offer is waiting. So the inbox lists them across orders, the way it lists conversations no
order holds:

* **offered notifications** (``State = 'offered'``), newest first by ``(DueAt, Id)``: the order of the
  existing ``IX_WhatsAppNotification_State_DueAt`` index (on both engines the row id trails the key, so
  the keyset walk needs no new index). Each item says whether it can be sent *now*: the customer's
  consent is read with the very definition the send checks (:func:`shared.notifications.consent_of`),
  so an opted-out customer's offer is shown as "can't be sent" and only "No enviar" is left. Sending
  and dismissing are the order's endpoints (``shared/notifications.py``): one path, exactly once.
* **quote taps** that mean something to a person (``recorded`` decisions and ``outdated`` taps), newest
  first by id; forged or unsigned payloads stay in the order's panel only.

The badge counts the offered ones: each waits for a person's decision (send or dismiss). Taps need no
decision (the novedad is written already), so they are not counted.

Logs at INFO carry counts only: items hold names and message text.
"""

from __future__ import annotations

from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import consent, conversation, db, notifications, observability, params, schema, templates
from shared.errors import OrderNotFound
from shared.text import iso

log = observability.logger(__name__)
_n, _q, _rep, _cl, _est = (schema.notification, schema.quote_reply, schema.reparacion, schema.cliente,
                           schema.estado_reparacion)

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
TAP_OUTCOMES: Final = ("recorded", "outdated")
GONE_ORDER: Final = "La orden ya no existe en FastService: descartá el aviso."
NO_TEMPLATE: Final = "No hay una plantilla aprobada para este aviso: revisá las plantillas de WhatsApp."


def offered_count() -> sa.ScalarSelect[int]:
    """How many offered notifications wait for a person (the inbox badge; one range of the State index)."""
    return (sa.select(sa.func.count()).select_from(_n)
            .where(_n.c.State == sa.literal_column(f"'{notifications.OFFERED}'")).scalar_subquery())


def _first_name(name: str | None) -> str | None:
    words = (name or "").split()
    return words[0] if words else None


def _preview(conn: Connection, row: Any, first_name: str | None) -> str | None:
    if row.Kind == notifications.OUTDATED_QUOTE:
        from shared.quote_buttons import OUTDATED_TEXT

        return OUTDATED_TEXT
    filled = next((t for t in templates.usable(conn, int(row.ReparacionId), first_name)
                   if t.purpose == row.Purpose), None)
    return None if filled is None else filled.preview


def _offered_item(conn: Connection, row: Any) -> dict[str, Any]:
    first_name = _first_name(row.CustomerName)
    problem: str | None = None
    agreed = consent.Consent("unknown")
    if row.OrderCustomer is None:
        problem, preview = GONE_ORDER, None
    else:
        if row.Kind != notifications.OUTDATED_QUOTE:  # the kind answer goes inside the window the tap opened
            try:
                agreed = notifications.consent_of(conn, row)
            except OrderNotFound:
                problem = GONE_ORDER
            if problem is None and agreed.state != consent.OPTED_IN:
                problem = notifications.REASONS["opted_out" if agreed.state == consent.OPTED_OUT else "no_consent"]
        preview = _preview(conn, row, first_name)
        if preview is None and problem is None:
            problem = NO_TEMPLATE
    return {"id": row.Id, "orderId": row.ReparacionId, "customerId": row.OrderCustomer,
            "customerFirstName": first_name, "kind": row.Kind, "purpose": row.Purpose, "status": row.StatusName,
            "offeredAt": iso(row.UpdatedAt), "changedAt": iso(row.ChangedAt), "preview": preview,
            "consent": agreed.dto(), "sendable": problem is None, "problem": problem}


def offered(cursor: str | None = None, limit: int = DEFAULT_LIMIT, url: str | None = None) -> dict[str, Any]:
    """``GET /api/whatsapp/inbox/notices``: a page of the offered notifications, newest first."""
    params.in_range(limit, "limit", 1, MAX_LIMIT)
    position = conversation.optional_cursor(cursor)

    def read(conn: Connection) -> dict[str, Any]:
        query = (sa.select(_n, _rep.c.ClienteId.label("OrderCustomer"), _cl.c.Nombre.label("CustomerName"),
                           _est.c.Nombre.label("StatusName"))
                 .select_from(_n.outerjoin(_rep, _rep.c.ReparacionId == _n.c.ReparacionId)
                              .outerjoin(_cl, _cl.c.ClienteId == _rep.c.ClienteId)
                              .outerjoin(_est, _est.c.EstadoReparacionId == _n.c.EstadoReparacionId))
                 .where(_n.c.State == notifications.OFFERED))
        if position is not None:
            at, last = position
            query = query.where(sa.or_(_n.c.DueAt < at, sa.and_(_n.c.DueAt == at, _n.c.Id < last)))
        found = conn.execute(query.order_by(_n.c.DueAt.desc(), _n.c.Id.desc()).limit(limit + 1)).all()
        rows = found[:limit]
        more = len(found) > limit and rows
        return {"items": [_offered_item(conn, r) for r in rows],
                "nextCursor": conversation.encode_cursor(rows[-1].DueAt, int(rows[-1].Id)) if more else None}

    page = db.read(read, url)
    log.info("inbox notices: %d offered", len(page["items"]))
    return page


def quote_taps(cursor: str | None = None, limit: int = DEFAULT_LIMIT, url: str | None = None) -> dict[str, Any]:
    """``GET /api/whatsapp/inbox/quote-taps``: the customers' taps on quote buttons that a person should read
    (accepted, rejected, on an outdated quote), newest first."""
    params.in_range(limit, "limit", 1, MAX_LIMIT)
    position = conversation.optional_cursor(cursor)

    def read(conn: Connection) -> dict[str, Any]:
        query = (sa.select(_q, _cl.c.Nombre.label("CustomerName"))
                 .select_from(_q.outerjoin(_rep, _rep.c.ReparacionId == _q.c.ReparacionId)
                              .outerjoin(_cl, _cl.c.ClienteId == _rep.c.ClienteId))
                 .where(_q.c.Outcome.in_(TAP_OUTCOMES), _q.c.ReparacionId.is_not(None)))
        if position is not None:
            query = query.where(_q.c.Id < position[1])
        found = conn.execute(query.order_by(_q.c.Id.desc()).limit(limit + 1)).all()
        rows = found[:limit]
        items = [{"id": r.Id, "orderId": r.ReparacionId, "customerFirstName": _first_name(r.CustomerName),
                  "decision": {"a": "accepted", "r": "rejected"}.get(r.Decision or ""), "outcome": r.Outcome,
                  "amount": float(r.Monto) if r.Monto is not None else None, "novedadId": r.NovedadId,
                  "at": iso(r.CreatedAt)} for r in rows]
        more = len(found) > limit and rows
        return {"items": items,
                "nextCursor": conversation.encode_cursor(rows[-1].CreatedAt, int(rows[-1].Id)) if more else None}

    page = db.read(read, url)
    log.info("inbox quote taps: %d", len(page["items"]))
    return page
