"""The message store: writes of WhatsApp messages (both sides) and their delivery statuses.

Every write is idempotent: a unique index decides, and losing the race to an
identical concurrent write counts as success (:func:`shared.state.upsert`). Strings are
fitted to their column (SQL Server counts ``nvarchar`` length in UTF-16 units and rejects
longer values). Events that cannot become a message live in :mod:`shared.quarantine`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import db, schema
from shared.event_parsing import DeliveryStatus
from shared.state import Written, fit, upsert

if TYPE_CHECKING:
    from shared.identity import Match
    from shared.phones import Phone

_msg = schema.message
_st = schema.message_status


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
    return upsert(conn, _st, {"WhatsAppMessageId": status.message_id}, values,
                  when=_st.c.StatusRank < status.rank) != "kept"


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
                    media_caption: str | None = None, sent_by_staff_id: str | None = None,
                    sent_by_name: str | None = None, outbox_id: int | None = None) -> Written:
    """Store a message the shop sent through ACS (keyed by the id ACS returned), with who sent it and
    its outbox row when it went out from the panel. When a delivery status got there first, its
    :data:`UNRECORDED` row is completed instead (``updated``); a message already recorded is ``kept``."""
    now = db.utcnow()
    row = {"MessageKey": outbound_key(message_id), "WhatsAppMessageId": message_id, "EventId": None,
           "ReparacionId": order_id, "ClienteId": customer_id, "PhoneNumber": phone_e164, "PhoneKey": phone_key,
           "MatchStatus": "matched" if customer_id else "unmatched", "Direction": "outbound",
           "MessageType": message_type, "Content": content, "MediaFileName": media_file_name,
           "MediaMimeType": media_mime_type, "MediaCaption": media_caption, "WhatsAppTimestamp": sent_at or now,
           "ReceivedAt": now,
           "CreatedAt": now, "RawTruncated": False, "SentByStaffId": sent_by_staff_id, "SentByName": sent_by_name,
           "OutboxId": outbox_id}
    # what the sender knows (text, time, author, and whose it is when it says) beats a status's guess
    fields = ["MessageType", "Content", "MediaFileName", "MediaMimeType", "MediaCaption", "SentByStaffId",
              "SentByName", "OutboxId"]
    if sent_at is not None:
        fields.append("WhatsAppTimestamp")
    if customer_id:
        fields += ["ReparacionId", "ClienteId", "PhoneNumber", "PhoneKey", "MatchStatus"]
    known = {field: row[field] for field in fields}
    return upsert(conn, _msg, {"MessageKey": row["MessageKey"]}, known,
                  new={k: v for k, v in row.items() if k not in known and k != "MessageKey"},
                  when=_msg.c.MessageType == UNRECORDED)


def linked_to(phone: Phone | None, match: Match) -> dict[str, Any]:
    """A message row's columns saying whose it is: the phone, the match and the linked order."""
    return {"ReparacionId": match.order_id, "ClienteId": match.customer_id,
            "PhoneNumber": phone.e164 if phone else None, "PhoneKey": phone.key if phone else None,
            "MatchStatus": match.status,
            "MatchCandidates": ",".join(map(str, match.candidates)) if match.status == "ambiguous" else None,
            "TriageDecisionId": match.decision_id}


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
    # another status of the same message may store it meanwhile: then the earlier time is kept
    upsert(conn, _msg, {"MessageKey": outbound_key(status.message_id)}, {"WhatsAppTimestamp": status.timestamp},
           new={"WhatsAppMessageId": status.message_id, "EventId": status.event_id, **linked_to(phone, match),
                "Bsuid": status.recipient_bsuid, "Direction": "outbound", "MessageType": UNRECORDED,
                "ReceivedAt": now, "CreatedAt": now, "RawTruncated": False},
           when=(_msg.c.MessageType == UNRECORDED) & (_msg.c.WhatsAppTimestamp > status.timestamp))
