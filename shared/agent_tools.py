"""What FastService's AI agent can ask about WhatsApp: the MCP tools' logic.

The same rules, errors and code paths as the HTTP API (``sync``, ``conversation``, ``reply_context``,
``order_view``); results are compact (no nulls) so they cost the model few tokens.
Arguments arrive as the model wrote them (JSON values); each is read as the API reads it (``params``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

from shared import conversation, db, identity, inbox, order_view, orders, params, summaries, sync, triage
from shared.conversation import MessageJson
from shared.errors import CustomerNotFound, InvalidParameter, NoUsablePhone
from shared.text import iso

MAX_TOOL_LIMIT = 100
TOOL_PREVIEW_CHARS = 500
"""Longest text a tool's list shows of one message; ``get_whatsapp_message`` gives it whole."""
TOOL_BUDGET_BYTES = 65_536
"""Largest list of messages a tool answers, as UTF-8 JSON (fewer, newest kept, when more would not fit)."""
SHORTENED = " [recortado: get_whatsapp_message con su id lo trae completo]"


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def compact(value: Mapping[str, Any]) -> dict[str, Any]:
    """``value`` without null fields, recursively."""
    return {k: _drop_nulls(v) for k, v in value.items() if v is not None}


def _tool_message(message: MessageJson) -> dict[str, Any]:
    status = message["status"]
    text = message["text"]
    if text is not None and message["textShortened"]:
        text += SHORTENED
    return compact({"id": message["id"], "at": message["timestamp"],
                    "from": "cliente" if message["direction"] == "inbound" else "taller",
                    "type": message["type"], "text": text, "media": message["media"],
                    "cutOnArrival": message["textCutOnArrival"] or None,
                    "replyTo": message["replyTo"], "reaction": message["reaction"], "choice": message["choice"],
                    "delivery": status and {"state": status["state"], "errorCode": status["errorCode"]}})


def _phone_text(value: Any) -> str | None:
    """The ``phoneNumber`` argument: text (or a whole number, as a model may write digits), else an error."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise InvalidParameter("phoneNumber", "phoneNumber no es un número de teléfono válido: mandalo como texto, "
                                              "por ejemplo \"11 5555-1234\".")
    return value.strip() or None


def _limit(value: Any) -> int:
    return params.parse_limit(value, 20, MAX_TOOL_LIMIT)


def get_messages(phone_number: Any = None, order_id: Any = None, customer_id: Any = None,
                 limit: Any = None, url: str | None = None) -> dict[str, Any]:
    """The newest messages of a phone (any format), an order or a customer, oldest first."""
    count = _limit(limit)
    order = params.optional_id(order_id, "orderId", "número de ticket")
    customer = params.optional_id(customer_id, "customerId", "número de cliente")
    phone = _phone_text(phone_number)
    if sum(x is not None for x in (phone, order, customer)) != 1:
        raise InvalidParameter("phoneNumber", "Indicá exactamente uno: phoneNumber, orderId o customerId.")
    if order is not None:
        page = conversation.order_messages(order, count, None, url, preview=TOOL_PREVIEW_CHARS,
                                           budget=TOOL_BUDGET_BYTES)
        return {"orderId": order, "messages": [_tool_message(m) for m in page["messages"]],
                "olderMessages": page["nextCursor"] is not None}

    def read(conn: Connection) -> dict[str, Any]:
        if customer is not None:
            found = orders.customer_phones(conn, customer)
            if found is None:
                raise CustomerNotFound(customer)
            keys = [p.key for _, p in identity.customer_phones(found.telefono1, found.telefono2)]
            if not keys:
                raise NoUsablePhone(identity.fields_tried(found.telefono1, found.telefono2))
        else:
            keys = [p.key for p in identity.read_phone_field(phone).phones]
            if not keys:
                raise InvalidParameter("phoneNumber", "phoneNumber no es un número de teléfono válido; "
                                                      "incluí el código de área (por ejemplo 11 5555-1234).")
        page = conversation.page(conn, identity.messages_of(conn, keys), count, None, preview=TOOL_PREVIEW_CHARS,
                                 budget=TOOL_BUDGET_BYTES)
        return {"messages": [_tool_message(m) for m in page["messages"]],
                "olderMessages": page["nextCursor"] is not None}

    return db.read(read, url)


def get_message(message_id: Any, url: str | None = None) -> dict[str, Any]:
    """One message with its whole text (a list shows at most ``TOOL_PREVIEW_CHARS`` of each)."""
    number = params.parse_order_id(None if message_id is None else str(message_id), "messageId", "id de mensaje")
    whole = conversation.message_whole(number, None, url)["message"]
    return _tool_message(whole)


def sync_order(order_id: Any, url: str | None = None) -> dict[str, Any]:
    """Sync an order (as the staff's button does), summary included."""
    return compact(sync.sync_order(params.parse_order_id(None if order_id is None else str(order_id)), url,
                                   request_summary=summaries.request_summary))


def get_summary(order_id: Any, url: str | None = None) -> dict[str, Any]:
    """The order's latest WhatsApp summary and what happened since."""
    panel = order_view.order_panel(params.parse_order_id(None if order_id is None else str(order_id)), url)
    window = panel.reply.window
    return compact({"orderId": panel.order.order_id, "customer": panel.order.customer_name,
                    "summary": panel.summary and order_view.summary_json(panel.summary),
                    "hasNewMessages": panel.has_new_messages, "messageCount": panel.message_count,
                    "unlinkedMessages": panel.unlinked_messages or None, "lastSyncAt": iso(panel.last_sync_at),
                    "canReplyFreely": window.open, "replyWindowUntil": iso(window.until),
                    "waMeUrl": panel.wa_me_url})


def orders_awaiting_reply(limit: Any = None, url: str | None = None) -> dict[str, Any]:
    """Orders whose customer wrote last (reactions aside) and got no answer, open windows first: the inbox's
    "Esperan respuesta" (one definition, :func:`shared.inbox.awaiting`)."""
    count = _limit(limit)
    found, _cursor = db.read(lambda conn: inbox.awaiting(conn, count), url)
    return {"orders": [compact({"orderId": o["orderId"], "customer": o["customer"], "waitingSince": o["waitingSince"],
                                "canReplyFreely": o["windowOpen"], "orderOpen": o["orderOpen"],
                                "lastMessage": o["lastMessage"]["text"]}) for o in found]}


def list_triage(tab: Any = None, limit: Any = None, url: str | None = None) -> dict[str, Any]:
    """What needs a person in the inbox: the counts, and one tab's first page (``unassigned`` by default)."""
    count = _limit(limit)
    chosen = inbox.parse_tab(str(tab).strip() if tab not in (None, "") else "unassigned")
    page = inbox.listing(chosen, None, count, url)
    return compact({"counts": inbox.counts(url), "tab": chosen, "items": page["items"],
                    "more": page["nextCursor"] is not None})


def propose_assignment(sender: Any = None, customer_id: Any = None, order_id: Any = None, reason: Any = None,
                       url: str | None = None) -> dict[str, Any]:
    """Propose that a sender is a customer (and optionally an order); staff confirm or discard it in the inbox.
    Nothing is linked by the proposal itself."""
    who = triage.parse_sender(sender)
    customer = params.optional_id(customer_id, "customerId", "número de cliente")
    order = params.optional_id(order_id, "orderId", "número de ticket")
    text = str(reason) if isinstance(reason, (str, int, float)) else None
    proposal = triage.propose(who, customer, order, text, url)
    return compact({"proposal": proposal, "note": "Queda pendiente hasta que una persona la confirme en la bandeja."})
