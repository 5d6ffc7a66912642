"""What FastService's AI agent can ask about WhatsApp: the MCP tools' logic.

The same rules, errors and code paths as the HTTP API (``sync``, ``conversation``,
``order_view``); results are compact (no nulls) so they cost the model few tokens.
Arguments arrive as the model wrote them (JSON values), so each is validated here.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import conversation, db, identity, order_view, schema, summaries, sync
from shared.errors import ApiError, InvalidParameter, NoUsablePhone, parse_order_id
from shared.events import STATUS_RANK

_m, _rep, _cl, _st = schema.message, schema.reparacion, schema.cliente, schema.message_status
MAX_TOOL_LIMIT = 100
TOOL_PREVIEW_CHARS = 500
"""Longest text a tool's list shows of one message; ``get_whatsapp_message`` gives it whole."""
TOOL_BUDGET_BYTES = 65_536
"""Largest list of messages a tool answers, as UTF-8 JSON (fewer, newest kept, when more would not fit)."""
SHORTENED = " [recortado: get_whatsapp_message con su id lo trae completo]"


class CustomerNotFound(ApiError):
    status = 404
    type = "/problems/customer-not-found"
    title = "Customer not found"

    def __init__(self, customer_id: int) -> None:
        super().__init__(f"No existe el cliente {customer_id}.")


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def compact(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` without null fields, recursively."""
    return {k: _drop_nulls(v) for k, v in value.items() if v is not None}


def _tool_message(message: dict[str, Any]) -> dict[str, Any]:
    status = message["status"]
    text = message["text"] + SHORTENED if message["textShortened"] else message["text"]
    return compact({"id": message["id"], "at": message["timestamp"],
                    "from": "cliente" if message["direction"] == "inbound" else "taller",
                    "type": message["type"], "text": text, "media": message["media"],
                    "cutOnArrival": message["textCutOnArrival"] or None,
                    "replyTo": message["replyTo"], "reaction": message["reaction"], "choice": message["choice"],
                    "delivery": status and {"state": status["state"], "errorCode": status["errorCode"]}})


def _int(value: Any, name: str, what: str) -> int | None:
    if value is None or (isinstance(value, (str, int)) and value in {"", 0}):
        return None
    return parse_order_id(str(value), name, what)


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


def _limit(value: Any, default: int = 20) -> int:
    return conversation.parse_limit(None if value is None else str(value), default, MAX_TOOL_LIMIT)


def get_messages(phone_number: Any = None, order_id: Any = None, customer_id: Any = None,
                 limit: Any = None, url: str | None = None) -> dict[str, Any]:
    """The newest messages of a phone (any format), an order or a customer, oldest first."""
    count = _limit(limit)
    order = _int(order_id, "orderId", "número de ticket")
    customer = _int(customer_id, "customerId", "número de cliente")
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
            row = conn.execute(sa.select(_cl.c.Telefono1, _cl.c.Telefono2).where(_cl.c.ClienteId == customer)).first()
            if row is None:
                raise CustomerNotFound(customer)
            keys = [p.key for _, p in identity.customer_phones(row.Telefono1, row.Telefono2)]
            if not keys:
                raise NoUsablePhone(sync.fields_tried(row.Telefono1, row.Telefono2))
        else:
            keys = [p.key for p in identity.read_phone_field(phone).phones]
            if not keys:
                raise InvalidParameter("phoneNumber", "phoneNumber no es un número de teléfono válido; "
                                                      "incluí el código de área (por ejemplo 11 5555-1234).")
        bsuids = identity.bsuids_of_keys(conn, keys)
        whose = sa.or_(_m.c.PhoneKey.in_(keys), _m.c.Bsuid.in_(bsuids)) if bsuids else _m.c.PhoneKey.in_(keys)
        page = conversation.page(conn, whose, count, None, preview=TOOL_PREVIEW_CHARS, budget=TOOL_BUDGET_BYTES)
        return {"messages": [_tool_message(m) for m in page["messages"]],
                "olderMessages": page["nextCursor"] is not None}

    return db.read(read, url)


def get_message(message_id: Any, url: str | None = None) -> dict[str, Any]:
    """One message with its whole text (a list shows at most ``TOOL_PREVIEW_CHARS`` of each)."""
    number = parse_order_id(str(message_id) if message_id is not None else None, "messageId", "id de mensaje")
    whole = conversation.message_whole(number, None, url)["message"]
    return _tool_message(whole)


def sync_order(order_id: Any, url: str | None = None) -> dict[str, Any]:
    """Sync an order (as the staff's button does), summary included."""
    return compact(sync.sync_order(parse_order_id(str(order_id) if order_id is not None else None), url,
                                   request_summary=summaries.request_summary))


def get_summary(order_id: Any, url: str | None = None) -> dict[str, Any]:
    """The order's latest WhatsApp summary and what happened since."""
    view = order_view.order_whatsapp(parse_order_id(str(order_id) if order_id is not None else None), url)
    return compact({"orderId": view["orderId"], "customer": view["customer"]["name"], "summary": view["summary"],
                    "hasNewMessages": view["hasNewMessages"], "messageCount": view["messageCount"],
                    "unlinkedMessages": view["unlinkedMessages"] or None,
                    "lastSyncAt": view["lastSyncAt"], "canReplyFreely": view["customerServiceWindow"]["open"],
                    "replyWindowUntil": view["customerServiceWindow"]["until"], "waMeUrl": view["waMeUrl"]})


def _awaiting(conn: Connection, limit: int) -> list[dict[str, Any]]:
    # each order's latest message by WhatsApp's time (arrival order can differ), reactions aside;
    # a reply of the shop's that failed to reach the customer is no answer
    failed = (_m.c.Direction == "outbound") & sa.exists().where(
        _st.c.WhatsAppMessageId == _m.c.WhatsAppMessageId, _st.c.StatusRank == STATUS_RANK["failed"])
    ranked = (sa.select(_m.c.ReparacionId, _m.c.Id, _m.c.Direction, _m.c.WhatsAppTimestamp, _m.c.MessageType,
                        _m.c.Content, _m.c.MediaFileName,
                        sa.func.row_number().over(partition_by=_m.c.ReparacionId,
                                                  order_by=(_m.c.WhatsAppTimestamp.desc(), _m.c.Id.desc()))
                        .label("Recency"))
              .where(_m.c.ReparacionId.is_not(None), _m.c.MessageType != "reaction", ~failed).subquery())
    rows = conn.execute(
        sa.select(ranked.c.ReparacionId, ranked.c.WhatsAppTimestamp, ranked.c.MessageType, ranked.c.Content,
                  ranked.c.MediaFileName, _cl.c.Nombre, _cl.c.Apellido, _rep.c.FechaEntrega)
        .select_from(ranked.join(_rep, _rep.c.ReparacionId == ranked.c.ReparacionId)
                     .outerjoin(_cl, _cl.c.ClienteId == _rep.c.ClienteId))
        .where(ranked.c.Recency == 1, ranked.c.Direction == "inbound")
        .order_by(ranked.c.WhatsAppTimestamp, ranked.c.Id).limit(limit)).all()
    return [compact({"orderId": r.ReparacionId, "customer": f"{r.Nombre or ''} {r.Apellido or ''}".strip(),
                     "waitingSince": conversation.iso(r.WhatsAppTimestamp), "orderOpen": r.FechaEntrega is None,
                     "lastMessage": _preview(r.MessageType, r.Content, r.MediaFileName)}) for r in rows]


def _preview(message_type: str, content: str | None, file_name: str | None) -> str:
    if content:
        return content[:200]
    return f"[{message_type}: {file_name}]" if file_name else f"[{message_type}]"


def orders_awaiting_reply(limit: Any = None, url: str | None = None) -> dict[str, Any]:
    """Orders whose customer wrote last (reactions aside) and got no answer, longest waiting first."""
    count = _limit(limit)
    return {"orders": db.read(lambda conn: _awaiting(conn, count), url)}
