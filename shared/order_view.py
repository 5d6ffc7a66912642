"""``GET /api/whatsapp/orders/{orderId}``: what the order screen needs for its WhatsApp panel.

The panel puts together facts decided elsewhere (the order and customer, :mod:`shared.orders`;
the phone to answer on and the 24-hour window, :mod:`shared.reply_context`; the latest
summary, :mod:`shared.summaries`) and adds what only it needs: the ``wa.me`` links, and
whether anything is new since the last summary or waits for a sync. :func:`order_panel`
gives them typed (the agent tools read them), :func:`as_json` as the API answers them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import config, db, orders, schema, summaries, sync
from shared.orders import OrderCustomer
from shared.reply_context import ReplyContext, reply_context
from shared.summaries import LatestSummary
from shared.text import iso

_m, _log = schema.message, schema.sync_log


class SummaryJson(TypedDict):
    text: str
    createdAt: str | None
    messageCount: int
    provider: str


@dataclass(frozen=True)
class OrderPanel:
    order: OrderCustomer
    reply: ReplyContext
    summary: LatestSummary | None
    message_count: int
    unlinked_messages: int
    """Messages of the customer that no order holds yet (a sync of this order would take them)."""
    has_new_messages: bool
    """Messages wait for a sync, or the order holds some its latest summary does not cover."""
    last_sync_at: datetime | None

    @property
    def wa_me_url(self) -> str | None:
        """The chat link, unless there is no phone or it is a landline from the customer record."""
        phone = self.reply.phone
        return wa_me(phone.whatsapp_id) if phone and phone.chat_possible else None


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


def summary_json(summary: LatestSummary) -> SummaryJson:
    return {"text": summary.text, "createdAt": iso(summary.created_at), "messageCount": summary.message_count,
            "provider": summary.provider}


def _panel(conn: Connection, order_id: int, now: datetime) -> OrderPanel:
    order = orders.require(conn, order_id)
    reply = reply_context(conn, order, now)
    counts = conn.execute(sa.select(sa.func.count(), sa.func.max(_m.c.Id))
                          .where(_m.c.ReparacionId == order_id)).one()
    summary = summaries.latest(conn, order_id)
    # the latest summary's watermark (last id, count) does not cover what the order holds now
    uncovered = bool(counts[1]) and (summary is None or counts[1] > summary.last_message_id
                                     or counts[0] > summary.message_count)
    keys = list(reply.phone_keys)
    unlinked = conn.execute(sa.select(sa.func.count()).where(
        sync.unlinked_for(conn, keys, order.created_at))).scalar_one() if keys else 0
    last_sync = conn.execute(sa.select(sa.func.max(_log.c.LastSyncAt)).where(
        _log.c.ReparacionId == order_id, _log.c.Status != "failed")).scalar()
    return OrderPanel(order, reply, summary, int(counts[0]), int(unlinked), bool(unlinked) or uncovered, last_sync)


def order_panel(order_id: int, url: str | None = None, now: datetime | None = None) -> OrderPanel:
    """The order's WhatsApp panel, typed (raises ``OrderNotFound``, ``DatabaseUnavailable``)."""
    return db.read(lambda conn: _panel(conn, order_id, now or db.utcnow()), url)


def as_json(panel: OrderPanel) -> dict[str, Any]:
    """The panel as ``GET /api/whatsapp/orders/{orderId}`` answers it (``OrderWhatsApp`` in the OpenAPI)."""
    order, reply, phone = panel.order, panel.reply, panel.reply.phone
    return {
        "orderId": order.order_id,
        "orderOpen": order.is_open,
        "customer": {"id": order.customer_id, "name": order.customer_name},
        "phone": None if phone is None else {"e164": phone.e164, "whatsappId": phone.whatsapp_id,
                                             "source": phone.source},
        "phoneKind": None if phone is None else phone.kind,
        "phoneProblem": reply.phone_problem,
        "waMeUrl": panel.wa_me_url,
        "waMeUrlWithGreeting": wa_me(phone.whatsapp_id, greeting(order.first_name or "", order.order_id))
        if phone and phone.chat_possible else None,
        "summary": None if panel.summary is None else summary_json(panel.summary),
        "hasNewMessages": panel.has_new_messages,
        "messageCount": panel.message_count,
        "unlinkedMessages": panel.unlinked_messages,
        "lastSyncAt": iso(panel.last_sync_at),
        "customerServiceWindow": {"open": reply.window.open, "until": iso(reply.window.until),
                                  "lastInboundAt": iso(reply.window.last_inbound_at)},
    }


def order_whatsapp(order_id: int, url: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The order's WhatsApp context as the API answers it (raises ``OrderNotFound``, ``DatabaseUnavailable``)."""
    return as_json(order_panel(order_id, url, now))
