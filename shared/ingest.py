"""Ingestion of one Event Grid event: store it exactly once, linked, or quarantine it.

Outcomes, and what the trigger answers Event Grid:

* ``stored`` / ``duplicate`` / ``status_applied`` / ``status_stale`` / ``quarantined``:
  success (acknowledged, never retried);
* :class:`shared.db.DatabaseUnavailable` raised: a transient fault; the trigger
  raises, the host answers 500 and Event Grid redelivers.

Any other error while storing an event is poison for *that* event: it is quarantined
with the error's type as the reason, so it is neither retried forever nor lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import (
    consent,
    db,
    envelopes,
    history_import,
    identity,
    message_store,
    notifications,
    observability,
    outbox,
    quarantine,
    quote_buttons,
)
from shared.event_parsing import DeliveryStatus, MalformedEvent, ReceivedMessage, parse
from shared.identity import MatchStatus
from shared.phones import Phone, parse_whatsapp_id

log = observability.logger(__name__)


Outcome = Literal["stored", "duplicate", "status_applied", "status_stale", "quarantined"]


@dataclass(frozen=True)
class IngestResult:
    outcome: Outcome
    message_pk: int | None = None
    match_status: MatchStatus | None = None
    order_id: int | None = None
    reason: str | None = None
    media_pk: int | None = None
    """The ``WhatsAppMedia`` row registered with the message (issue 16), to wake its download after commit."""


def ingest_event(envelope: dict[str, Any], url: str | None = None) -> IngestResult:
    """Store one Event Grid envelope (Event Grid schema)."""
    event_id = observability.safe_id(envelope.get("id")) if isinstance(envelope, dict) else "-"
    try:
        parsed = parse(envelope)
    except MalformedEvent as exc:
        return _quarantine(envelope, exc.reason, url)
    except Exception as exc:  # a shape parse did not foresee: still poison, never a crash
        log.error("event %s: parser failed (%s); quarantining it", event_id, type(exc).__name__)
        return _quarantine(envelope, f"no se pudo interpretar: {type(exc).__name__}", url)
    try:
        if isinstance(parsed, ReceivedMessage):
            result = _write_received(parsed, url)
        else:
            result = db.write(lambda conn: store_status(conn, parsed), url)
    except db.DatabaseUnavailable:
        log.warning("event %s: database unavailable, Event Grid will redeliver", event_id)
        raise
    except Exception as exc:  # a non-transient failure repeats on every redelivery: poison
        log.error("event %s: could not be stored (%s); quarantining it", event_id, type(exc).__name__)
        log.debug("event %s: storage error", event_id, exc_info=True)  # may quote personal data
        return _quarantine(envelope, f"error al guardar: {type(exc).__name__}", url)
    log.info("event %s: %s (match=%s, order=%s)", event_id, result.outcome, result.match_status,
             result.order_id)
    if result.media_pk is not None:  # committed: wake the download (best effort, off this path)
        from shared import media

        media.wakeups.notify(result.media_pk)
    return result


def _write_received(message: ReceivedMessage, url: str | None) -> IngestResult:
    try:
        return db.write(lambda conn: store_received(conn, message), url)
    except sa.exc.IntegrityError:
        # already stored (a redelivery) or stored this instant by another worker
        if db.read(lambda conn: message_store.message_exists(conn, message.message_key), url):
            return IngestResult("duplicate")
        raise


def _quarantine(envelope: Any, reason: str, url: str | None) -> IngestResult:
    new = db.write(lambda conn: quarantine.keep(conn, envelope, reason), url)
    event_id = observability.safe_id(envelope.get("id") if isinstance(envelope, dict) else None)
    log.warning("event %s quarantined%s: %s", event_id, "" if new else " (again)", reason)
    return IngestResult("quarantined", reason=reason)


def phone_of(conn: Connection, whatsapp_id: str | None, bsuid: str | None) -> Phone | None:
    """A sender's or recipient's phone: from the event, else from what we learned of their
    BSUID (learned whenever an event carries both)."""
    phone = parse_whatsapp_id(whatsapp_id)
    if bsuid:
        if phone is not None:
            identity.learn_bsuid(conn, bsuid, phone)
        else:
            phone = identity.phone_of_bsuid(conn, bsuid)
    return phone


def store_received(conn: Connection, message: ReceivedMessage) -> IngestResult:
    """Insert an inbound message, matched to its customer and, when unambiguous, its order.

    The unique index on the message key decides what is a duplicate: a redelivered (or
    concurrent twin) message raises ``IntegrityError``, which :func:`ingest_event` answers
    as ``duplicate``. Duplicates are rare (Event Grid redeliveries), so new messages do not
    pay for a check first.
    """
    phone = phone_of(conn, message.sender, message.sender_bsuid)
    match = identity.match_sender(conn, phone, message.sender_bsuid)
    order_id = match.order_id
    now = db.utcnow()
    pk = message_store.insert_message(conn, {
        "MessageKey": message.message_key, "WhatsAppMessageId": message.message_id,
        "EventId": message.event_id, **message_store.linked_to(phone, match), "Bsuid": message.sender_bsuid,
        "Direction": "inbound", "MessageType": message.message_type, "Content": message.content,
        "MediaId": message.media_id, "MediaMimeType": message.media_mime_type,
        "MediaFileName": message.media_file_name, "MediaCaption": message.media_caption,
        "ReplyToMessageId": message.reply_to_message_id, "ReactionEmoji": message.reaction_emoji,
        "ReactionMessageId": message.reaction_message_id, "ChoiceTitle": message.choice_title,
        "ChoicePayload": message.choice_payload, "ChannelId": message.channel_id,
        "WhatsAppTimestamp": message.timestamp, "ReceivedAt": now, "CreatedAt": now,
        "RawPayload": message.raw, "RawTruncated": message.raw_truncated, "TextTruncated": message.text_truncated,
    })
    # the same message imported from a chat export before it arrived here (issue 19): kept once, this one
    media = message.message_type != "text"
    history_import.drop_imported_twin(conn, phone_key=phone.key if phone else None, direction="inbound",
                                      at=message.timestamp, message_type=message.message_type,
                                      text=message.media_caption if media else message.content)
    _answers(conn, pk, message, phone, match)
    media_pk = _register_media(conn, pk, message)
    return IngestResult("stored", pk, match.status, order_id, media_pk=media_pk)


def _register_media(conn: Connection, message_pk: int, message: ReceivedMessage) -> int | None:
    """The media item of a media message, registered in the message's transaction (issue 16)."""
    from shared import media

    if message.media_id is None or message.message_type not in media.KINDS:
        return None
    return media.register_inbound(conn, message_pk=message_pk, message_key=message.message_key,
                                  kind=message.message_type, media_id=message.media_id,
                                  declared_mime=message.media_mime_type, file_name=message.media_file_name,
                                  sent_at=message.timestamp)


def _answers(conn: Connection, pk: int, message: ReceivedMessage, phone: Phone | None, match: identity.Match) -> None:
    """What a customer's message says to us besides its text (issue 18), in the transaction that stores it, so a
    redelivery changes nothing: a quote button tap (``shared/quote_buttons.py``) or an opt-out
    (``shared/consent.py``)."""
    if message.message_type == "button" and message.choice_payload:
        tap = quote_buttons.on_tap(conn, pk, message.choice_payload)
        if tap.outcome == "outdated" and tap.order_id is not None:
            notifications.offer_outdated_quote(conn, tap.order_id, match.customer_id, pk)
    elif message.message_type == "text":
        customers = list(match.candidates) if match.status == "ambiguous" else (
            [match.customer_id] if match.customer_id is not None else [])
        consent.on_inbound(conn, pk, message.content, customers, phone.key if phone else None)


def store_status(conn: Connection, status: DeliveryStatus) -> IngestResult:
    """Apply a delivery status (forward only) and keep the shop's message it speaks of.

    ACS publishes no event for what the shop sends, only these statuses: the first one
    of a message not stored yet records that the shop wrote to this customer, and when
    (:func:`shared.message_store.record_sent`), so the conversation and "who is waiting for an
    answer" see the shop's side too; when it is the answer we missed to one of our own sends
    (an ``unknown`` outbox row of that recipient), :func:`shared.outbox.reconcile` settles it.
    """
    applied = message_store.apply_status(conn, status)
    outcome: Outcome = "status_applied" if applied else "status_stale"
    phone = phone_of(conn, status.recipient, status.recipient_bsuid)
    if message_store.sent_message_known(conn, status):
        return IngestResult(outcome)
    match = identity.match_sender(conn, phone, status.recipient_bsuid)
    message_store.record_sent(conn, status, phone, match)
    if phone is not None:  # one of our sends whose answer was lost may be this one
        outbox.reconcile(conn, phone.key, db.utcnow())
    return IngestResult(outcome, match_status=match.status, order_id=match.order_id)


MAX_REPROCESS = 1000


def reprocess_quarantined(limit: int = MAX_REPROCESS, after_id: int = 0, url: str | None = None) -> dict[str, Any]:
    """Run quarantined events through ingestion again, oldest first from ``after_id``: after a fix
    is deployed or a setting corrected (e.g. ``WHATSAPP_CHANNEL_ID``). An event that now succeeds
    leaves the quarantine; one that fails again stays, once. A payload that was cut when it was
    kept cannot be replayed and is left alone. ``nextAfterId`` continues past what stayed, when
    ``limit`` rows were examined. Raises ``DatabaseUnavailable``."""
    rows = db.read(lambda conn: quarantine.oldest(conn, after_id, limit), url)
    report: dict[str, Any] = {"examined": len(rows), "released": 0, "stillQuarantined": 0, "notReplayable": 0,
                              "nextAfterId": rows[-1].Id if len(rows) == limit else None}
    for row in rows:
        envelope = envelopes.loads(row.Payload) if row.Payload and not row.PayloadTruncated else None
        if not envelopes.is_event(envelope):  # cut, or never an event of either schema
            report["notReplayable"] += 1
        elif ingest_event(envelope, url).outcome == "quarantined":
            report["stillQuarantined"] += 1
        else:
            db.write(_release(row.Id), url)
            report["released"] += 1
    log.info("quarantine reprocessed: %s", report)
    return report


def _release(quarantine_id: int) -> Callable[[Connection], None]:
    return lambda conn: quarantine.release(conn, quarantine_id)
