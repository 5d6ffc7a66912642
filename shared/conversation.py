"""Reading conversations: messages page by page, as the API and the tools show them.

Also the one reading of a stored message as a line of text (:func:`message_text`), which
the summaries and the agent's previews share, so both name an attachment the same way.

Answers have a size budget, so no message, however long, makes a page too big for the panel or
a tool answer too big for the agent: a text longer than the page's preview is shortened, ending
in "…" and marked ``textShortened`` (``GET /api/whatsapp/messages/{orderId}/{messageId}`` and the
``get_whatsapp_message`` tool give it whole), and a page that would still pass its byte budget
holds fewer messages (its ``nextCursor`` goes on from the oldest one it kept).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any, TypedDict

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import db, orders, params, schema, send_failures
from shared import media as shared_media
from shared.errors import ApiError, InvalidParameter, OrderNotFound
from shared.schema import Direction
from shared.text import iso

_m = schema.message
_st = schema.message_status

# "media": an imported "<Multimedia omitido>" (the export does not say which kind)
MEDIA_TYPES = frozenset({"image", "document", "video", "audio", "sticker", "media"})
MAX_LIMIT = 200
PLACEHOLDERS = {"image": "imagen", "document": "documento", "video": "video", "audio": "audio",
                "sticker": "sticker", "reaction": "reacción", "interactive": "respuesta a botones",
                "button": "respuesta a botón", "unrecorded": "mensaje sin texto registrado",
                "media": "multimedia omitido", "contacts": "contacto"}
"""How a message without text reads in one line of text (Spanish: summaries and tool previews show it)."""
DEFAULT_LIMIT = 50
PREVIEW_CHARS = 1000
"""Longest text a page of the staff API shows of one message (WhatsApp allows 4,096)."""
PAGE_BUDGET_BYTES = 1_048_576
"""Largest page of the staff API, as UTF-8 JSON; a page that would pass it holds fewer messages."""
MARKER = "…"

_COLUMNS = (_m.c.Id, _m.c.WhatsAppMessageId, _m.c.Direction, _m.c.MessageType, _m.c.Content,
            _m.c.WhatsAppTimestamp, _m.c.ReceivedAt, _m.c.MediaMimeType, _m.c.MediaFileName, _m.c.MediaCaption,
            _m.c.ReplyToMessageId, _m.c.ReactionEmoji, _m.c.ReactionMessageId, _m.c.ChoiceTitle,
            _m.c.ChoicePayload, _m.c.TextTruncated, _st.c.Status, _st.c.StatusAt, _st.c.ErrorCode,
            _st.c.ErrorMessage, _m.c.SentByName)
_WITH_STATUS = _m.outerjoin(_st, sa.and_(_m.c.Direction == "outbound",
                                         _st.c.WhatsAppMessageId == _m.c.WhatsAppMessageId))
# media of a message (issue 16): its download state, size, verified type and where staff fetch it
_COLUMNS: tuple[Any, ...] = (*_COLUMNS, *shared_media.LISTING_COLUMNS)  # type: ignore[no-redef]
_WITH_STATUS = _WITH_STATUS.outerjoin(schema.media, schema.media.c.MessageId == _m.c.Id)


def shorten(text: str | None, limit: int | None) -> tuple[str | None, bool]:
    """``text`` cut to ``limit`` characters ending in the marker, and whether it was (``None``: whole)."""
    if text is None or limit is None or len(text) <= limit:
        return text, False
    return text[:limit - len(MARKER)] + MARKER, True


def message_dto(row: Any, preview: int | None = PREVIEW_CHARS) -> MessageJson:
    """One message as the API shows it (camelCase); its text shortened to ``preview`` characters
    (``None``: whole)."""
    text, shortened = shorten(row.Content, preview)
    media = None
    if row.MessageType in MEDIA_TYPES or row.MediaMimeType or row.MediaFileName:
        media = {"kind": row.MessageType, "mimeType": row.MediaMimeType, "fileName": row.MediaFileName,
                 "caption": row.MediaCaption, **shared_media.dto_fields(row)}
    reaction = ({"emoji": row.ReactionEmoji, "messageId": row.ReactionMessageId}
                if row.ReactionEmoji or row.ReactionMessageId else None)
    choice = ({"title": row.ChoiceTitle, "payload": row.ChoicePayload}
              if row.ChoiceTitle or row.ChoicePayload else None)
    status: StatusJson | None = None
    if row.Direction == "outbound" and row.Status:
        status = {"state": row.Status, "at": iso(row.StatusAt), "errorCode": row.ErrorCode,
                  "errorMessage": row.ErrorMessage,
                  "reason": send_failures.reason(row.ErrorCode) if row.Status == "failed" else None}
    return {"id": row.Id, "whatsappMessageId": row.WhatsAppMessageId, "direction": row.Direction,
            "type": row.MessageType, "text": text, "textShortened": shortened,
            "textCutOnArrival": bool(row.TextTruncated), "timestamp": iso(row.WhatsAppTimestamp),
            "receivedAt": iso(row.ReceivedAt), "media": media, "replyTo": row.ReplyToMessageId,
            "reaction": reaction, "choice": choice, "status": status, "sentBy": row.SentByName}


class StatusJson(TypedDict):
    state: str
    at: str | None
    errorCode: str | None
    errorMessage: str | None
    reason: str | None
    """When failed: why, in Spanish, and what to do (``shared/send_failures.py``)."""


class MessageJson(TypedDict):
    id: int
    whatsappMessageId: str | None
    direction: Direction
    type: str
    text: str | None
    textShortened: bool
    """``text`` is shortened (ends in "…"); the message read alone has all of it."""
    textCutOnArrival: bool
    """The text or caption was longer than WhatsApp allows and was stored cut to it."""
    timestamp: str | None
    receivedAt: str | None
    media: dict[str, Any] | None
    replyTo: str | None
    reaction: dict[str, Any] | None
    choice: dict[str, Any] | None
    status: StatusJson | None
    sentBy: str | None
    """The staff member who sent it from the panel."""
"""One message as the API shows it (``Message`` in the OpenAPI document); the tools read it too."""


class Page(TypedDict):
    messages: list[MessageJson]
    nextCursor: str | None


class OrderPage(Page):
    orderId: int


def message_text(message_type: str, content: str | None, *, file_name: str | None = None,
                 caption: str | None = None, choice: str | None = None, emoji: str | None = None) -> str:
    """A stored message as one line of readable text, media as placeholders (``[imagen: foto.jpg] caption``).

    The summaries' lines and the agent tools' previews both read messages through this."""
    if message_type == "text" or (content and message_type not in PLACEHOLDERS):
        return content or ""
    kind = PLACEHOLDERS.get(message_type, message_type)
    if message_type == "reaction":
        return f"[{kind} {emoji or ''}]".replace(" ]", "]")
    if choice:
        return f"[{kind}: {choice}]"
    label = f"[{kind}: {file_name}]" if file_name else f"[{kind}]"
    return f"{label} {caption}" if caption else label


def encode_cursor(timestamp: datetime, message_id: int) -> str:
    raw = f"{timestamp.isoformat()}|{message_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, parameter: str = "before") -> tuple[datetime, int]:
    """A cursor :func:`encode_cursor` wrote; :class:`InvalidParameter` (naming ``parameter``) for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _, message_id = raw.partition("|")
        timestamp, number = datetime.fromisoformat(when), int(message_id)
        if timestamp.tzinfo is not None or not 0 <= number < 2**63:  # ours are naive UTC and BIGINT ids
            raise ValueError("not a cursor this API wrote")
        return timestamp, number
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidParameter(parameter, "El cursor no es válido: usá el nextCursor de la página anterior.") from exc


def optional_cursor(raw: str | None, parameter: str = "cursor") -> tuple[datetime, int] | None:
    """``None`` for no cursor (the first page), else :func:`decode_cursor`."""
    return decode_cursor(raw, parameter) if raw else None


def json_size(value: Any) -> int:
    """Bytes of ``value`` as UTF-8 JSON, as the answers are written (``function_app._json``: the default
    separators, with their spaces; compact ones undercounted a page by 2 bytes a key)."""
    return len(json.dumps(value, ensure_ascii=False).encode())


def page(conn: Connection, where: sa.ColumnElement[bool], limit: int, before: str | None, *,
         preview: int = PREVIEW_CHARS, budget: int = PAGE_BUDGET_BYTES) -> Page:
    """A page of messages matching ``where``: the newest ``limit`` before the cursor, oldest first,
    each text shortened to ``preview``, the whole within ``budget`` bytes (fewer messages if need be)."""
    query = sa.select(*_COLUMNS).select_from(_WITH_STATUS).where(where)
    if before:
        when, message_id = decode_cursor(before)
        query = query.where(sa.or_(_m.c.WhatsAppTimestamp < when,
                                   sa.and_(_m.c.WhatsAppTimestamp == when, _m.c.Id < message_id)))
    rows = conn.execute(query.order_by(_m.c.WhatsAppTimestamp.desc(), _m.c.Id.desc()).limit(limit + 1)).all()
    older = len(rows) > limit
    rows = rows[:limit]
    messages: list[MessageJson] = []
    spent = 200  # room for the page's other fields
    for row in rows:  # newest first: what does not fit is the oldest, left to the next page
        dto = message_dto(row, preview)
        spent += json_size(dto) + 1
        if spent > budget and messages:
            older = True
            break
        messages.append(dto)
    kept = rows[:len(messages)]
    cursor = encode_cursor(kept[-1].WhatsAppTimestamp, kept[-1].Id) if older and kept else None
    return {"messages": messages[::-1], "nextCursor": cursor}


def order_messages(order_id: int, limit: int = DEFAULT_LIMIT, before: str | None = None,
                   url: str | None = None, *, preview: int = PREVIEW_CHARS,
                   budget: int = PAGE_BUDGET_BYTES) -> OrderPage:
    """``GET /api/whatsapp/messages/{orderId}``: the order's conversation, newest page first."""
    params.in_range(limit, "limit", 1, MAX_LIMIT)

    def read(conn: Connection) -> OrderPage:
        if not orders.exists(conn, order_id):
            raise OrderNotFound(order_id)
        found = page(conn, _m.c.ReparacionId == order_id, limit, before, preview=preview, budget=budget)
        return {"orderId": order_id, "messages": found["messages"], "nextCursor": found["nextCursor"]}

    return db.read(read, url)


class MessageNotFound(ApiError):
    status = 404
    type = "/problems/message-not-found"
    title = "Message not found"

    def __init__(self, order_id: int | None, message_id: int) -> None:
        where = f" en la orden {order_id}" if order_id is not None else ""
        super().__init__(f"No existe el mensaje {message_id}{where}. Revisá el id que vino en la lista de mensajes.")


class OneMessage(TypedDict):
    orderId: int | None
    message: MessageJson


def message_whole(message_id: int, order_id: int | None = None, url: str | None = None) -> OneMessage:
    """One message with its whole text (``GET /api/whatsapp/messages/{orderId}/{messageId}``, the
    ``get_whatsapp_message`` tool): how a text shortened in a page is read. ``order_id`` scopes it."""

    def read(conn: Connection) -> OneMessage:
        if order_id is not None and not orders.exists(conn, order_id):
            raise OrderNotFound(order_id)
        where = _m.c.Id == message_id
        if order_id is not None:
            where = sa.and_(where, _m.c.ReparacionId == order_id)
        row = conn.execute(sa.select(*_COLUMNS).select_from(_WITH_STATUS).where(where)).first()
        if row is None:
            raise MessageNotFound(order_id, message_id)
        return {"orderId": order_id, "message": message_dto(row, None)}

    return db.read(read, url)
