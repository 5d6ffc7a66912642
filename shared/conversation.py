"""Reading conversations: an order's messages page by page, as the API and the tools show them."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import db, schema, send_failures
from shared.errors import InvalidParameter, OrderNotFound, parse_bounded_int

_m = schema.message
_st = schema.message_status
_rep = schema.reparacion

MEDIA_TYPES = frozenset({"image", "document", "video", "audio", "sticker"})
MAX_LIMIT = 200

_COLUMNS = (_m.c.Id, _m.c.WhatsAppMessageId, _m.c.Direction, _m.c.MessageType, _m.c.Content,
            _m.c.WhatsAppTimestamp, _m.c.ReceivedAt, _m.c.MediaMimeType, _m.c.MediaFileName, _m.c.MediaCaption,
            _m.c.ReplyToMessageId, _m.c.ReactionEmoji, _m.c.ReactionMessageId, _m.c.ChoiceTitle,
            _m.c.ChoicePayload, _st.c.Status, _st.c.StatusAt, _st.c.ErrorCode, _st.c.ErrorMessage, _m.c.SentByName)
_WITH_STATUS = _m.outerjoin(_st, sa.and_(_m.c.Direction == "outbound",
                                         _st.c.WhatsAppMessageId == _m.c.WhatsAppMessageId))
_ORDER_EXISTS = sa.select(_rep.c.ReparacionId).where(_rep.c.ReparacionId == sa.bindparam("order"))


def iso(value: datetime | None) -> str | None:
    """A stored (naive UTC) time as ISO 8601 with ``Z``."""
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


def message_dto(row: Any) -> dict[str, Any]:
    """One message as the API shows it (camelCase)."""
    media = None
    if row.MessageType in MEDIA_TYPES or row.MediaMimeType or row.MediaFileName:
        media = {"kind": row.MessageType, "mimeType": row.MediaMimeType, "fileName": row.MediaFileName,
                 "caption": row.MediaCaption}
    reaction = ({"emoji": row.ReactionEmoji, "messageId": row.ReactionMessageId}
                if row.ReactionEmoji or row.ReactionMessageId else None)
    choice = ({"title": row.ChoiceTitle, "payload": row.ChoicePayload}
              if row.ChoiceTitle or row.ChoicePayload else None)
    status = None
    if row.Direction == "outbound" and row.Status:
        status = {"state": row.Status, "at": iso(row.StatusAt), "errorCode": row.ErrorCode,
                  "errorMessage": row.ErrorMessage,
                  "reason": send_failures.reason(row.ErrorCode) if row.Status == "failed" else None}
    return {"id": row.Id, "whatsappMessageId": row.WhatsAppMessageId, "direction": row.Direction,
            "type": row.MessageType, "text": row.Content, "timestamp": iso(row.WhatsAppTimestamp),
            "receivedAt": iso(row.ReceivedAt), "media": media, "replyTo": row.ReplyToMessageId,
            "reaction": reaction, "choice": choice, "status": status, "sentBy": row.SentByName}


def encode_cursor(timestamp: datetime, message_id: int) -> str:
    raw = f"{timestamp.isoformat()}|{message_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _, message_id = raw.partition("|")
        timestamp, number = datetime.fromisoformat(when), int(message_id)
        if timestamp.tzinfo is not None or not 0 <= number < 2**63:  # ours are naive UTC and BIGINT ids
            raise ValueError("not a cursor this API wrote")
        return timestamp, number
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidParameter("before", "El cursor «before» no es válido: usá el nextCursor de la página "
                                         "anterior.") from exc


def parse_limit(raw: str | None, default: int = 50, maximum: int = MAX_LIMIT) -> int:
    """A ``limit`` query parameter from 1 to ``maximum``, or :class:`InvalidParameter`."""
    return parse_bounded_int(raw, "limit", 1, maximum, default)


def page(conn: Connection, where: sa.ColumnElement[bool], limit: int, before: str | None) -> dict[str, Any]:
    """A page of messages matching ``where``: the newest ``limit`` before the cursor, oldest first."""
    query = sa.select(*_COLUMNS).select_from(_WITH_STATUS).where(where)
    if before:
        when, message_id = decode_cursor(before)
        query = query.where(sa.or_(_m.c.WhatsAppTimestamp < when,
                                   sa.and_(_m.c.WhatsAppTimestamp == when, _m.c.Id < message_id)))
    rows = conn.execute(query.order_by(_m.c.WhatsAppTimestamp.desc(), _m.c.Id.desc()).limit(limit + 1)).all()
    older = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(rows[-1].WhatsAppTimestamp, rows[-1].Id) if older and rows else None
    return {"messages": [message_dto(r) for r in reversed(rows)], "nextCursor": cursor}


def order_messages(order_id: int, limit: int = 50, before: str | None = None,
                   url: str | None = None) -> dict[str, Any]:
    """``GET /api/whatsapp/messages/{orderId}``: the order's conversation, newest page first."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidParameter("limit", f"limit debe ser un número entre 1 y {MAX_LIMIT}.")

    def read(conn: Connection) -> dict[str, Any]:
        if conn.execute(_ORDER_EXISTS, {"order": order_id}).first() is None:
            raise OrderNotFound(order_id)
        return {"orderId": order_id, **page(conn, _m.c.ReparacionId == order_id, limit, before)}

    return db.read(read, url)
