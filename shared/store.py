"""Writes of messages, delivery statuses and quarantined events.

Every write is idempotent: a unique index decides, and losing the race to an
identical concurrent write counts as success. Strings are fitted to their column
(SQL Server counts ``nvarchar`` length in UTF-16 units and rejects longer values).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import db, schema
from shared.events import DeliveryStatus, bounded_raw, canonical_json, clean_text

if TYPE_CHECKING:
    from shared.identity import Match
    from shared.phones import Phone

_msg = schema.message
_st = schema.message_status


def clip(value: str, units: int) -> str:
    """``value`` cut to at most ``units`` UTF-16 code units (how nvarchar counts)."""
    if len(value) * 2 <= units:  # fast path: even all-astral text fits
        return value
    encoded = value.encode("utf-16-le")
    if len(encoded) <= units * 2:
        return value
    cut = encoded[: (units - 1) * 2].decode("utf-16-le", "ignore")
    return cut + "…"


@cache
def _lengths(table: sa.Table) -> dict[str, int | None]:
    return {c.name: getattr(c.type, "length", None) for c in table.columns}


def fit(table: sa.Table, row: dict[str, Any]) -> dict[str, Any]:
    """The row with every string cleaned and clipped to its column's declared length."""
    lengths = _lengths(table)
    fitted = {}
    for name, value in row.items():
        if isinstance(value, str):
            length = lengths[name]
            text = clean_text(value)
            fitted[name] = clip(text, length) if length else text
        else:
            fitted[name] = value
    return fitted


def insert_once(conn: Connection, table: sa.Table, row: dict[str, Any]) -> Any | None:
    """Insert ``row``; its primary key (first column), or ``None`` when a unique index says it exists."""
    try:
        with conn.begin_nested():
            result = conn.execute(table.insert(), fit(table, row))
    except sa.exc.IntegrityError:
        return None
    key = result.inserted_primary_key
    return key[0] if key else None


_MESSAGE_BY_KEY = sa.select(_msg.c.Id).where(_msg.c.MessageKey == sa.bindparam("key"))
_INSERT_MESSAGE = _msg.insert()


def message_exists(conn: Connection, message_key: str) -> bool:
    return conn.execute(_MESSAGE_BY_KEY, {"key": message_key}).first() is not None


def insert_message(conn: Connection, row: dict[str, Any]) -> int:
    """Insert a message row; ``IntegrityError`` when its key is already stored."""
    key = conn.execute(_INSERT_MESSAGE, fit(_msg, row)).inserted_primary_key
    assert key is not None
    return int(key[0])


def apply_status(conn: Connection, status: DeliveryStatus) -> bool:
    """Move a message's delivery status forward; ``False`` when it was not newer.

    Kept even when the message is not stored yet: readers join on the message id, so
    it applies the moment the message appears.
    """
    values = {"Status": status.status, "StatusRank": status.rank, "ErrorCode": status.error_code,
              "ErrorMessage": status.error_message, "StatusAt": status.timestamp,
              "UpdatedAt": db.utcnow(), "EventId": status.event_id}
    values = fit(_st, values)
    forward = _st.update().where(_st.c.WhatsAppMessageId == status.message_id,
                                 _st.c.StatusRank < status.rank).values(**values)
    if conn.execute(forward).rowcount:
        return True
    exists = conn.execute(sa.select(_st.c.StatusRank).where(_st.c.WhatsAppMessageId == status.message_id))
    if exists.first() is not None:
        return False
    if insert_once(conn, _st, {"WhatsAppMessageId": status.message_id, **values}) is not None:
        return True
    return bool(conn.execute(forward).rowcount)  # lost an insert race: compare with the winner


def quarantine(conn: Connection, envelope: Any, reason: str) -> bool:
    """Keep an event that can never be processed; ``False`` if it was already kept."""
    payload_hash = hashlib.sha256(canonical_json(envelope).encode()).hexdigest()
    raw, truncated = bounded_raw(envelope if isinstance(envelope, dict) else {"payload": envelope})
    event = envelope if isinstance(envelope, dict) else {}
    row = {"PayloadHash": payload_hash, "EventId": _str_or_none(event.get("id")),
           "EventType": _str_or_none(event.get("eventType")), "Reason": reason, "Payload": raw,
           "PayloadTruncated": truncated, "ReceivedAt": db.utcnow()}
    return insert_once(conn, schema.quarantine, row) is not None


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


UNRECORDED: Final = "unrecorded"
"""``MessageType`` of a message the shop sent that we know only from its delivery status:
ACS publishes statuses, not the sent content, so who, when and how it went are known, the
text is not (until whoever sent it records it with :func:`record_outbound`)."""


def outbound_key(message_id: str) -> str:
    return f"msg:{message_id}"


def record_outbound(conn: Connection, *, message_id: str, phone_e164: str | None, phone_key: str | None,
                    customer_id: int | None, order_id: int | None, content: str | None,
                    message_type: str = "text", sent_at: datetime | None = None,
                    media_file_name: str | None = None, media_mime_type: str | None = None,
                    sent_by_staff_id: str | None = None, sent_by_name: str | None = None,
                    outbox_id: int | None = None) -> Any | None:
    """Store a message the shop sent through ACS (keyed by the id ACS returned), with who sent it and
    its outbox row when it went out from the panel. When a delivery status got there first, its
    :data:`UNRECORDED` row is completed instead."""
    now = db.utcnow()
    row = {"MessageKey": outbound_key(message_id), "WhatsAppMessageId": message_id, "EventId": None,
           "ReparacionId": order_id, "ClienteId": customer_id, "PhoneNumber": phone_e164, "PhoneKey": phone_key,
           "MatchStatus": "matched" if customer_id else "unmatched", "Direction": "outbound",
           "MessageType": message_type, "Content": content, "MediaFileName": media_file_name,
           "MediaMimeType": media_mime_type, "WhatsAppTimestamp": sent_at or now, "ReceivedAt": now,
           "CreatedAt": now, "RawTruncated": False, "SentByStaffId": sent_by_staff_id, "SentByName": sent_by_name,
           "OutboxId": outbox_id}
    pk = insert_once(conn, _msg, row)
    if pk is None:  # what the sender knows (text, time, and whose it is when it says) beats the status's guess
        fields = ["MessageType", "Content", "MediaFileName", "MediaMimeType", "SentByStaffId", "SentByName",
                  "OutboxId"]
        if sent_at is not None:
            fields.append("WhatsAppTimestamp")
        if customer_id:
            fields += ["ReparacionId", "ClienteId", "PhoneNumber", "PhoneKey", "MatchStatus"]
        known = {field: row[field] for field in fields}
        conn.execute(_msg.update().where(_msg.c.MessageKey == row["MessageKey"], _msg.c.MessageType == UNRECORDED)
                     .values(**fit(_msg, known)))
    return pk


def linked_to(phone: Phone | None, match: Match) -> dict[str, Any]:
    """A message row's columns saying whose it is: the phone, the match and the linked order."""
    return {"ReparacionId": match.order_id, "ClienteId": match.customer_id,
            "PhoneNumber": phone.e164 if phone else None, "PhoneKey": phone.key if phone else None,
            "MatchStatus": match.status,
            "MatchCandidates": ",".join(map(str, match.candidates)) if match.status == "ambiguous" else None}


def sent_message_known(conn: Connection, status: DeliveryStatus) -> bool:
    """Whether the shop's message behind ``status`` is stored; an :data:`UNRECORDED` one takes the
    earliest status time seen (statuses arrive in any order; the earliest is nearest the sending)."""
    key = outbound_key(status.message_id)
    row = conn.execute(sa.select(_msg.c.MessageType, _msg.c.WhatsAppTimestamp).where(_msg.c.MessageKey == key)).first()
    if row is not None and row.MessageType == UNRECORDED and row.WhatsAppTimestamp > status.timestamp:
        _keep_earliest(conn, key, status.timestamp)
    return row is not None


def _keep_earliest(conn: Connection, key: str, at: datetime) -> None:
    conn.execute(_msg.update().where(_msg.c.MessageKey == key, _msg.c.MessageType == UNRECORDED,
                                     _msg.c.WhatsAppTimestamp > at).values(WhatsAppTimestamp=at))


def record_sent(conn: Connection, status: DeliveryStatus, phone: Phone | None, match: Match) -> None:
    """Keep the shop's message behind a delivery status, as :data:`UNRECORDED`."""
    now = db.utcnow()
    key = outbound_key(status.message_id)
    added = insert_once(conn, _msg, {
        "MessageKey": key, "WhatsAppMessageId": status.message_id,
        "EventId": status.event_id, **linked_to(phone, match), "Bsuid": status.recipient_bsuid,
        "Direction": "outbound", "MessageType": UNRECORDED, "WhatsAppTimestamp": status.timestamp,
        "ReceivedAt": now, "CreatedAt": now, "RawTruncated": False})
    if added is None:  # another status of the same message stored it meanwhile: keep the earlier time
        _keep_earliest(conn, key, status.timestamp)
