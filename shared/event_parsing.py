"""Typed ACS Advanced Messaging events, parsed from Event Grid envelopes.

:func:`parse` turns an envelope (Event Grid schema, as a dict) into a
:class:`ReceivedMessage` or a :class:`DeliveryStatus`, or raises
:class:`MalformedEvent` with a reason when the event can never be stored (poison).

Message identity (what makes storage exactly-once): ``data.messageId`` when ACS sends
it, else the Event Grid ``id`` plus a digest of ``data``. Event Grid redelivers an
event byte for byte, so both forms are stable across retries; the digest keeps two
different events that reuse an id (the vendor's own examples all use the zero GUID)
from being merged into one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from shared import config, envelopes
from shared.text import bounded_raw, canonical_json, clean_text

# The event types as azure-eventgrid's ``SystemEventNames`` spells them (tests/test_ingest.py
# checks they agree); written out because importing that SDK cost the worker's cold start
# about 37 ms (python -X importtime), a tenth of it, for three strings. It is now a dev
# dependency only (devkit/acs_events.py builds events with it), so it is not deployed at all.
RECEIVED: Final = "Microsoft.Communication.AdvancedMessageReceived"
STATUS_UPDATED: Final = "Microsoft.Communication.AdvancedMessageDeliveryStatusUpdated"
SUBSCRIPTION_VALIDATION: Final = "Microsoft.EventGrid.SubscriptionValidationEvent"

STATUS_RANK: Final[dict[str, int]] = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}
"""Delivery statuses only move forward; ``Failed`` is final and keeps Meta's error."""

_MAX_ID = 90  # longer ids are replaced by their digest so keys fit their columns
TEXT_MAX_CHARS: Final = 4096
"""WhatsApp's longest text message; a longer ``content`` is stored cut to it (and flagged)."""
CAPTION_MAX_CHARS: Final = 1024
"""WhatsApp's longest media caption; likewise."""


class MalformedEvent(Exception):
    """The event can never be stored as a message or status; quarantine it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ReceivedMessage:
    """A WhatsApp message a customer sent to the shop."""

    event_id: str
    message_key: str
    message_id: str | None
    channel_id: str | None
    sender: str | None
    """The sender's WhatsApp id (phone digits), ``None`` when hidden."""
    sender_bsuid: str | None
    message_type: str
    content: str | None
    media_id: str | None
    media_mime_type: str | None
    media_file_name: str | None
    media_caption: str | None
    reply_to_message_id: str | None
    reaction_emoji: str | None
    reaction_message_id: str | None
    choice_title: str | None
    choice_payload: str | None
    timestamp: datetime
    raw: str
    raw_truncated: bool
    text_truncated: bool = False
    """``content`` or ``media_caption`` was longer than WhatsApp allows and was cut to it."""


@dataclass(frozen=True)
class DeliveryStatus:
    """What happened to a message the shop sent."""

    event_id: str
    message_id: str
    status: str
    rank: int
    error_code: str | None
    error_message: str | None
    recipient: str | None
    recipient_bsuid: str | None
    timestamp: datetime


def _text(obj: Any, field: str) -> str | None:
    if not isinstance(obj, dict):
        return None
    value = obj.get(field)
    if value is None or isinstance(value, (dict, list)):
        return None
    text = clean_text(str(value) if not isinstance(value, str) else value)
    return text if text.strip() else None


def _identifier(value: str | None) -> str | None:
    """An identifier kept exactly: as sent when it fits its column and every database accepts it,
    else a digest of all of it. Never cleaned: ids that differ only in lone UTF-16 surrogates (which
    :func:`clean_text` would turn into the same U+FFFD) stay two ids."""
    if value is None:
        return None
    try:
        encoded = value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: no database stores them, so the digest stands in
        encoded = value.encode("utf-8", "surrogatepass")
        return "sha256:" + hashlib.sha256(encoded).hexdigest()
    return value if len(value) <= _MAX_ID else "sha256:" + hashlib.sha256(encoded).hexdigest()


def _id(obj: Any, field: str) -> str | None:
    """An identifier field (see :func:`_identifier`): a string or number, not blank."""
    if not isinstance(obj, dict):
        return None
    value = obj.get(field)
    if value is None or isinstance(value, (dict, list)):
        return None
    text = value if isinstance(value, str) else str(value)
    return _identifier(text) if text.strip() else None


def _timestamp(*candidates: Any) -> datetime:
    for candidate in candidates:
        if isinstance(candidate, datetime):
            parsed = candidate
        elif isinstance(candidate, str) and candidate:
            try:
                parsed = datetime.fromisoformat(candidate.replace("Z", "+00:00"))
            except ValueError:
                continue
        else:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        try:
            return parsed.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00: no such instant in UTC
            continue
    raise MalformedEvent("sin fecha válida (data.receivedTimestamp / eventTime)")


def parse(envelope: dict[str, Any]) -> ReceivedMessage | DeliveryStatus:
    """Read one envelope (Event Grid schema or CloudEvents 1.0); raise :class:`MalformedEvent` for poison.
    The raw payload kept is the envelope as it arrived."""
    if not isinstance(envelope, dict):
        raise MalformedEvent("el evento no es un objeto JSON")
    if envelopes.too_deep(envelope):
        raise MalformedEvent(f"JSON anidado a más de {envelopes.MAX_DEPTH} niveles")
    raw_envelope, envelope = envelope, envelopes.grid_view(envelope)
    event_type = envelope.get("eventType")
    data = envelope.get("data")
    if not isinstance(data, dict):
        raise MalformedEvent("data no es un objeto JSON")
    channel = _text(data, "channelType")
    if channel is not None and channel.lower() != "whatsapp":
        raise MalformedEvent("canal no soportado (channelType distinto de whatsapp)")
    event_id = _id(envelope, "id")
    if event_type == RECEIVED:
        return _received(envelope, data, event_id, raw_envelope)
    if event_type == STATUS_UPDATED:
        return _status(envelope, data, event_id)
    raise MalformedEvent("tipo de evento no soportado")


def _check_channel(channel_id: str | None, field: str) -> None:
    """Events of another channel registration (another business number) are not ours."""
    expected_channel = config.get("WHATSAPP_CHANNEL_ID")
    if expected_channel and channel_id and channel_id.lower() != expected_channel.lower():
        raise MalformedEvent(f"evento de otro canal (data.{field} no es WHATSAPP_CHANNEL_ID)")


def _received(envelope: dict[str, Any], data: dict[str, Any], event_id: str | None,
              raw_envelope: dict[str, Any]) -> ReceivedMessage:
    channel_id = _id(data, "to")
    _check_channel(channel_id, "to")
    sender = _text(data, "from")
    sender_bsuid = _id(data, "fromBSUID")
    if sender is None and sender_bsuid is None:
        raise MalformedEvent("sin remitente (data.from y data.fromBSUID vacíos)")
    message_id = _id(data, "messageId")
    if message_id:
        key = f"msg:{message_id}"
    elif event_id:
        key = f"evt:{event_id}:{hashlib.sha256(canonical_json(data).encode()).hexdigest()[:16]}"
    else:
        raise MalformedEvent("sin identidad (ni id del evento ni data.messageId)")
    media = data.get("media") if isinstance(data.get("media"), dict) else {}
    context = data.get("context") if isinstance(data.get("context"), dict) else {}
    reaction = data.get("reaction") if isinstance(data.get("reaction"), dict) else {}
    title, payload = _choice(data)
    content, content_cut = _cut(_text(data, "content"), TEXT_MAX_CHARS)
    caption, caption_cut = _cut(_text(media, "caption"), CAPTION_MAX_CHARS)
    raw, truncated = bounded_raw(raw_envelope)
    return ReceivedMessage(
        event_id=event_id or "",
        message_key=key,
        message_id=message_id,
        channel_id=channel_id,
        sender=sender,
        sender_bsuid=sender_bsuid,
        message_type=(_text(data, "messageType") or "unknown").lower()[:50],
        content=content,
        media_id=_id(media, "id"),
        media_mime_type=_text(media, "mimeType"),
        media_file_name=_text(media, "fileName"),
        media_caption=caption,
        reply_to_message_id=_id(context, "id"),
        reaction_emoji=_text(reaction, "emoji"),
        reaction_message_id=_id(reaction, "messageId"),
        choice_title=title,
        choice_payload=payload,
        timestamp=_timestamp(data.get("receivedTimestamp"), envelope.get("eventTime")),
        raw=raw,
        raw_truncated=truncated,
        text_truncated=content_cut or caption_cut,
    )


def _cut(text: str | None, limit: int) -> tuple[str | None, bool]:
    """``text`` cut to ``limit`` characters (WhatsApp counts characters), and whether it was."""
    if text is None or len(text) <= limit:
        return text, False
    return text[:limit], True


def _choice(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """Title and payload of a quick-reply button or an interactive (button/list) reply."""
    button = data.get("button")
    if isinstance(button, dict):
        return _text(button, "text"), _text(button, "payload")
    interactive = data.get("interactive")
    if isinstance(interactive, dict):
        for kind in ("buttonReply", "listReply"):
            reply = interactive.get(kind)
            if isinstance(reply, dict):
                return _text(reply, "title"), _text(reply, "id")
    return None, None


def _status(envelope: dict[str, Any], data: dict[str, Any], event_id: str | None) -> DeliveryStatus:
    _check_channel(_id(data, "from"), "from")  # a status comes *from* the shop's channel
    message_id = _id(data, "messageId")
    if message_id is None:
        raise MalformedEvent("estado sin data.messageId")
    status = _text(data, "status")
    if status is None:
        raise MalformedEvent("estado sin data.status")
    error = data.get("error") if isinstance(data.get("error"), dict) else {}
    return DeliveryStatus(
        event_id=event_id or "",
        message_id=message_id,
        status=status.lower()[:20],
        rank=STATUS_RANK.get(status.lower(), 0),
        error_code=_text(error, "channelCode"),
        error_message=_text(error, "channelMessage"),
        recipient=_text(data, "to"),
        recipient_bsuid=_id(data, "toBSUID"),
        timestamp=_timestamp(data.get("receivedTimestamp"), envelope.get("eventTime")),
    )
