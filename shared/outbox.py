"""The outbox: every requested send is a row, and only its state machine decides who calls ACS.

States::

    pending --claim--> sending --accepted--> sent
       ^                  |----refused-----> failed (reason)
       |                  |----429/5xx-----> pending (NextAttemptAt)  ... past SEND_RETRY_MINUTES: failed
       |                  '----no answer---> unknown
       |                                       |--a delivery status confirms it--> sent (reconciled)
       '-- (never from unknown)                '--SEND_RECONCILE_MINUTES pass----> failed ("no pudimos confirmar")

Why it is exactly once:

* the caller's ``clientRequestId`` is unique (``UX_WhatsAppOutbox_ClientRequestId``): a double
  click, a retried HTTP call or two workers insert one row and get that row back;
* a row is *claimed* by a conditional ``UPDATE ... WHERE State = 'pending'``: only the worker whose
  update changed the row calls ACS, and it holds a lease while it does;
* a request that may have reached ACS (timeout after sending, or a worker that died holding the
  lease) becomes ``unknown`` and is never sent again automatically: the delivery statuses that
  follow tell whether it went out (ACS publishes them for every message it accepted), and a
  person decides if none comes.

The network call never runs inside a database transaction.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace
from typing import Any, Final, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import acs_client, config, db, message_store, observability, schema, send_failures, state
from shared.text import iso

log = observability.logger(__name__)
T = TypeVar("T")
_o = schema.outbox
_m = schema.message

PENDING: Final = "pending"
SENDING: Final = "sending"
SENT: Final = "sent"
FAILED: Final = "failed"
UNKNOWN: Final = "unknown"
LEASE_MARGIN_SECONDS: Final = 30
"""A lease outlives the send budget by this much; a lease that expires means the worker died."""
CLOCK_SKEW: Final = timedelta(minutes=2)
"""How much earlier than our attempt a status's time (ACS's clock) may be and still be attributed to it."""


def request_hash(payload: dict[str, Any]) -> str:
    """Fingerprint of what was asked: the same ``clientRequestId`` with another payload is a conflict."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


def first_sent_header(at: datetime) -> str:
    """``Repeatability-First-Sent`` (RFC 1123, GMT) for a naive UTC time."""
    return format_datetime(at.replace(tzinfo=UTC), usegmt=True)


def by_client_request_id(conn: Connection, client_request_id: str) -> Any:
    return conn.execute(sa.select(_o).where(_o.c.ClientRequestId == client_request_id)).first()


def get(conn: Connection, outbox_id: int) -> Any:
    return conn.execute(sa.select(_o).where(_o.c.Id == outbox_id)).first()


def insert(conn: Connection, row: dict[str, Any], *, claimed: bool = False, guarded: bool = True) -> Any | None:
    """Insert a new row; the row (as read back), or ``None`` when the ``ClientRequestId`` is already there.

    ``claimed``: the row is born ``sending`` with a lease, its first attempt taken by the request that
    inserted it (the unique index made it the only one), which saves a claim round trip on the hot path.
    ``guarded=False``: no savepoint; a twin's insert raises ``IntegrityError`` out of the transaction (for
    callers that looked for the id in the same transaction and handle that rare race themselves).
    """
    now = db.utcnow()
    full: dict[str, Any] = {column.name: None for column in _o.columns}
    full.update({"State": PENDING, "Attempts": 0, "CreatedAt": now, "UpdatedAt": now,
                 "RepeatabilityFirstSent": first_sent_header(now), **row})
    if claimed:
        full.update(State=SENDING, Attempts=1, LastAttemptAt=now,
                    LeaseUntil=now + timedelta(seconds=lease_seconds()))
    del full["Id"]
    fitted = state.fit(_o, full)
    if guarded:
        pk = state.insert_once(conn, _o, fitted)
    else:
        key = conn.execute(_o.insert(), fitted).inserted_primary_key
        pk = key[0] if key else None
    return None if pk is None else SimpleNamespace(Id=int(pk), **fitted)


def lease_seconds() -> float:
    return config.get_float("ACS_SEND_TIMEOUT_SECONDS") + LEASE_MARGIN_SECONDS


def claim(conn: Connection, outbox_id: int, now: datetime) -> bool:
    """Take a due pending row for one attempt; ``True`` only for the one worker whose update won."""
    due = sa.or_(_o.c.NextAttemptAt.is_(None), _o.c.NextAttemptAt <= now)
    won = conn.execute(_o.update().where(_o.c.Id == outbox_id, _o.c.State == PENDING, due).values(
        State=SENDING, LeaseUntil=now + timedelta(seconds=lease_seconds()), LastAttemptAt=now,
        Attempts=_o.c.Attempts + 1, UpdatedAt=now)).rowcount
    return bool(won)


# --- outcomes ------------------------------------------------------------------------------

def mark_sent(conn: Connection, outbox_id: int, message_id: str, now: datetime, row: Any = None) -> bool:
    """ACS accepted the row's message: ``sent`` with its id, and the message stored in the conversation
    (completing the row a delivery status may have stored first). ``False`` if it was already sent.
    ``row``: the row as the caller holds it (its content and recipient do not change), saving a read."""
    changed = conn.execute(_o.update().where(_o.c.Id == outbox_id, _o.c.State != SENT).values(
        State=SENT, MessageId=message_id, LeaseUntil=None, NextAttemptAt=None, ErrorCode=None, Reason=None,
        UpdatedAt=now)).rowcount
    if not changed:
        return False
    row = row if row is not None else get(conn, outbox_id)
    if row.Kind == MEDIA:  # a photo or document: its caption is the media's, its file our upload
        message_store.record_outbound(
            conn, message_id=message_id, phone_e164=row.PhoneNumber, phone_key=row.PhoneKey,
            customer_id=row.ClienteId, order_id=row.ReparacionId, content=None, message_type=row.MediaKind,
            sent_at=row.LastAttemptAt, media_file_name=row.MediaFileName, media_mime_type=row.MediaContentType,
            media_caption=row.Content, sent_by_staff_id=row.RequestedByStaffId, sent_by_name=row.RequestedByName,
            outbox_id=outbox_id)
        from shared import media

        message_pk = conn.execute(sa.select(_m.c.Id).where(
            _m.c.MessageKey == message_store.outbound_key(message_id))).scalar_one()
        media.register_outgoing(conn, message_pk=int(message_pk), blob_ref=row.MediaBlobRef, kind=row.MediaKind,
                                content_type=row.MediaContentType, size=int(row.MediaSizeBytes or 0),
                                file_name=row.MediaFileName)
        return True
    message_store.record_outbound(
        conn, message_id=message_id, phone_e164=row.PhoneNumber, phone_key=row.PhoneKey, customer_id=row.ClienteId,
        order_id=row.ReparacionId, content=row.Content, message_type="text" if row.Kind == "text" else "template",
        sent_at=row.LastAttemptAt, sent_by_staff_id=row.RequestedByStaffId, sent_by_name=row.RequestedByName,
        outbox_id=outbox_id)
    return True


def mark_failed(conn: Connection, outbox_id: int, code: str | None, now: datetime,
                states: tuple[str, ...] = (SENDING,)) -> bool:
    return bool(conn.execute(_o.update().where(_o.c.Id == outbox_id, _o.c.State.in_(states)).values(
        State=FAILED, LeaseUntil=None, NextAttemptAt=None, ErrorCode=(code or "")[:50] or None,
        Reason=send_failures.reason(code), UpdatedAt=now)).rowcount)


def mark_retry(conn: Connection, outbox_id: int, wait: float, now: datetime) -> str:
    """Back to ``pending`` after ``wait`` seconds, or ``failed`` when that is past the retry budget."""
    row = get(conn, outbox_id)
    at = now + timedelta(seconds=wait)
    if row is None or at > row.CreatedAt + timedelta(minutes=config.get_float("SEND_RETRY_MINUTES")):
        mark_failed(conn, outbox_id, "retry_exhausted", now)
        return FAILED
    conn.execute(_o.update().where(_o.c.Id == outbox_id, _o.c.State == SENDING).values(
        State=PENDING, LeaseUntil=None, NextAttemptAt=at, UpdatedAt=now))
    return PENDING


def mark_unknown(conn: Connection, outbox_id: int, now: datetime) -> None:
    conn.execute(_o.update().where(_o.c.Id == outbox_id, _o.c.State == SENDING).values(
        State=UNKNOWN, LeaseUntil=None, ErrorCode="not_confirmed", Reason=None, UpdatedAt=now))
    reconcile(conn, get(conn, outbox_id).PhoneKey, now)


def backoff(attempt: int) -> float:
    """Seconds before the ``attempt``-th retry: 2, 4, 8 ... up to 5 minutes."""
    return float(min(300, 2 ** max(1, attempt)))


# --- one attempt ---------------------------------------------------------------------------

Sender = Callable[[Any], acs_client.Outcome]
"""What calls ACS for a claimed row (tests and the benchmark may pass their own)."""


MEDIA: Final = "media"
"""``Kind`` of a photo or document send (its caption is ``Content``, the upload the ``Media*`` columns)."""


def content_of(row: Any) -> acs_client.Content:
    """What one attempt sends. A media row gets a read link minted now (never stored; each attempt its own):
    :class:`shared.media_storage.StorageUnavailable` when storage does not answer, ``LookupError`` when the
    upload is gone."""
    if row.Kind == MEDIA:
        from shared import media

        return acs_client.MediaContent(row.MediaKind, media.fresh_send_link(row.MediaBlobRef), row.Content,
                                       row.MediaFileName if row.MediaKind == "document" else None)
    if row.Kind == "template":
        values = tuple(str(v) for v in json.loads(row.TemplateValues or "[]"))
        buttons = tuple(str(v) for v in json.loads(getattr(row, "TemplateButtons", None) or "[]"))
        return acs_client.TemplateContent(row.TemplateName, row.TemplateLanguage, values, buttons)
    return acs_client.TextContent(row.Content or "")


def acs_sender(row: Any) -> acs_client.Outcome:
    """Send a claimed row through the real SDK; an error we cannot classify counts as unknown."""
    channel = config.get("WHATSAPP_CHANNEL_ID")
    if not channel:
        return acs_client.Rejected("not_configured")
    from shared import media_storage

    try:
        content = content_of(row)
    except media_storage.StorageUnavailable:  # the link could not be had: nothing reached ACS
        log.warning("outbox %s: media storage unavailable; the send waits for it", row.Id)
        return acs_client.RetryLater(None, None)
    except LookupError:
        return acs_client.Rejected("media_missing")
    try:
        return acs_client.send(content, row.SendTo, row.RepeatabilityRequestId,
                               row.RepeatabilityFirstSent, channel)
    except acs_client.NotConfigured:
        return acs_client.Rejected("not_configured")
    except Exception as exc:  # it may have left: never resend it blindly
        log.error("outbox send failed unexpectedly: %s", type(exc).__name__)
        return acs_client.Unknown(type(exc).__name__)


def attempt(outbox_id: int, url: str | None = None, sender: Sender | None = None,
            budget: float | None = None) -> str:
    """Claim a pending row and send it (see :func:`send_claimed`); the row's state afterwards. When
    another worker holds the row, or it is not due, nothing is done."""
    if not db.write(lambda conn: claim(conn, outbox_id, db.utcnow()), url):
        return str(db.read(lambda conn: get(conn, outbox_id).State, url))
    row = db.read(lambda conn: get(conn, outbox_id), url)
    return send_claimed(row, url, sender, budget)[0]


def send_claimed(row: Any, url: str | None = None, sender: Sender | None = None, budget: float | None = None, *,
                 then: Callable[[Connection], T] | None = None) -> tuple[str, T | None]:
    """Send a row this worker claimed, retrying 429/5xx within ``budget`` seconds (``ACS_SEND_TIMEOUT_SECONDS``),
    then settle it; ``then`` runs in the settling transaction (the API's answer is read there)."""
    send = sender or acs_sender
    budget = config.get_float("ACS_SEND_TIMEOUT_SECONDS") if budget is None else budget
    deadline = time.monotonic() + budget
    tries = 0
    while True:
        tries += 1
        outcome = send(row)
        if not isinstance(outcome, acs_client.RetryLater):
            break
        wait = outcome.retry_after if outcome.retry_after is not None else 0.25 * 2 ** (tries - 1)
        if time.monotonic() + wait >= deadline:
            break
        log.info("outbox %s: ACS asked to retry (status %s); again in %.2f s", row.Id, outcome.status, wait)
        time.sleep(wait)
    return settle(int(row.Id), outcome, url, tries - 1, then=then, row=row)


def settle(outbox_id: int, outcome: acs_client.Outcome, url: str | None = None, extra_tries: int = 0, *,
           then: Callable[[Connection], T] | None = None, row: Any = None) -> tuple[str, T | None]:
    """Write what an attempt's (last) outcome means for the row: its state after, and ``then``'s result.
    ``extra_tries``: requests made within the attempt besides the first (429/5xx retried in the call)."""

    def write(conn: Connection) -> tuple[str, T | None]:
        now = db.utcnow()
        if extra_tries:
            conn.execute(_o.update().where(_o.c.Id == outbox_id).values(Attempts=_o.c.Attempts + extra_tries))
        if isinstance(outcome, acs_client.Accepted):
            mark_sent(conn, outbox_id, outcome.message_id, now, row)
            state = SENT
        elif isinstance(outcome, acs_client.Rejected):  # ACS's word, even if the lease ran out meanwhile
            mark_failed(conn, outbox_id, outcome.code, now, states=(SENDING, UNKNOWN))
            state = FAILED
        elif isinstance(outcome, acs_client.RetryLater):
            wait = outcome.retry_after if outcome.retry_after is not None else backoff(get(conn, outbox_id).Attempts)
            state = mark_retry(conn, outbox_id, wait, now)
        else:
            mark_unknown(conn, outbox_id, now)
            state = str(get(conn, outbox_id).State)
        return state, then(conn) if then is not None else None

    state, result = db.write(write, url)
    log.info("outbox %s: %s (%s)", outbox_id, state, type(outcome).__name__)
    return state, result


# --- unknown outcomes ----------------------------------------------------------------------

def reconcile(conn: Connection, phone_key: str | None, now: datetime) -> int | None:
    """Attribute the shop's message to an ``unknown`` row of the same recipient, when it is unambiguous.

    The candidates are messages to that phone we know only from a delivery status (``unrecorded``,
    no outbox row), timed from :data:`CLOCK_SKEW` before the attempt to ``SEND_RECONCILE_MINUTES``
    after it. Exactly one unknown row and exactly one such message, and no send to that customer under
    way (its own status may be the candidate, arriving before its answer): it is that row's message (the
    row becomes ``sent``, the message gets its text and author). Anything else is left to a person; the
    timer tries again while the window lasts.
    Returns the row's id when one was reconciled.
    """
    if not phone_key:
        return None
    if conn.execute(sa.select(_o.c.Id).where(_o.c.PhoneKey == phone_key, _o.c.State == SENDING).limit(1)).first():
        return None  # a send under way to this customer may own that status: wait until it settles
    window = timedelta(minutes=config.get_float("SEND_RECONCILE_MINUTES"))
    rows = conn.execute(sa.select(_o.c.Id, _o.c.LastAttemptAt).where(
        _o.c.PhoneKey == phone_key, _o.c.State == UNKNOWN).limit(2)).all()
    if len(rows) != 1 or rows[0].LastAttemptAt is None:
        return None
    row = rows[0]
    candidates = conn.execute(sa.select(_m.c.WhatsAppMessageId).where(
        _m.c.PhoneKey == phone_key, _m.c.Direction == "outbound", _m.c.MessageType == message_store.UNRECORDED,
        _m.c.OutboxId.is_(None), _m.c.WhatsAppTimestamp >= row.LastAttemptAt - CLOCK_SKEW,
        _m.c.WhatsAppTimestamp <= row.LastAttemptAt + window).limit(2)).all()
    if len(candidates) != 1 or not candidates[0].WhatsAppMessageId:
        return None
    mark_sent(conn, row.Id, candidates[0].WhatsAppMessageId, now)
    log.info("outbox %s: reconciled from a delivery status", row.Id)
    return int(row.Id)


# --- the timer -----------------------------------------------------------------------------

def drain(url: str | None = None, sender: Sender | None = None, limit: int = 50,
          seconds: float = 240.0) -> dict[str, int]:
    """What ``drain_outbox`` does each minute: expired leases become ``unknown`` (never resent), unknown
    rows past the reconcile window fail with a reason, due ``pending`` rows are attempted."""
    report = {"expired": 0, "unconfirmed": 0, "attempted": 0}
    started = time.monotonic()

    def settle_stale(conn: Connection) -> None:
        now = db.utcnow()
        expired = conn.execute(sa.select(_o.c.Id, _o.c.PhoneKey).where(
            _o.c.State == SENDING, _o.c.LeaseUntil < now)).all()
        for row in expired:
            conn.execute(_o.update().where(_o.c.Id == row.Id, _o.c.State == SENDING, _o.c.LeaseUntil < now)
                         .values(State=UNKNOWN, LeaseUntil=None, ErrorCode="not_confirmed", UpdatedAt=now))
            reconcile(conn, row.PhoneKey, now)
        report["expired"] = len(expired)
        for (phone_key,) in conn.execute(sa.select(_o.c.PhoneKey).where(_o.c.State == UNKNOWN).distinct()).all():
            reconcile(conn, phone_key, now)  # a send that was under way then has settled since
        cutoff = now - timedelta(minutes=config.get_float("SEND_RECONCILE_MINUTES"))
        stale = conn.execute(sa.select(_o.c.Id).where(_o.c.State == UNKNOWN, _o.c.LastAttemptAt < cutoff)).all()
        for row in stale:
            mark_failed(conn, row.Id, "not_confirmed", now, states=(UNKNOWN,))
        report["unconfirmed"] = len(stale)

    db.write(settle_stale, url)
    while time.monotonic() - started < seconds:
        due = db.read(lambda conn: _due(conn, db.utcnow(), limit), url)
        if not due:
            break
        for outbox_id in due:
            attempt(outbox_id, url, sender)
            report["attempted"] += 1
        if len(due) < limit:
            break
    if any(report.values()):
        log.info("outbox drained: %s", report)
    return report


def _due(conn: Connection, now: datetime, limit: int) -> list[int]:
    return [int(r.Id) for r in conn.execute(sa.select(_o.c.Id).where(
        _o.c.State == PENDING, sa.or_(_o.c.NextAttemptAt.is_(None), _o.c.NextAttemptAt <= now))
        .order_by(_o.c.Id).limit(limit)).all()]


# --- what the panel sees -------------------------------------------------------------------

def dto(row: Any, message: Mapping[str, Any] | None) -> dict[str, Any]:
    """An outbox row as the API answers it; ``message`` is the stored message, or a stand-in bubble
    (``id`` null, status ``sending``/``failed``/``unknown``) until ACS accepted it."""
    bubble = message
    if bubble is None:
        state = {PENDING: "sending", SENDING: "sending"}.get(row.State, row.State)
        kind = getattr(row, "MediaKind", None) if row.Kind == MEDIA else None
        media = None if kind is None else {
            "kind": kind, "mimeType": row.MediaContentType, "fileName": row.MediaFileName, "caption": row.Content,
            "state": state, "contentType": row.MediaContentType,
            "size": row.MediaSizeBytes, "url": None,
            "blobRef": row.MediaBlobRef}  # the upload, so "Reenviar" works after a reload without the file
        bubble = {"id": None, "whatsappMessageId": row.MessageId, "direction": "outbound",
                  "type": kind or ("text" if row.Kind == "text" else "template"),
                  "text": None if kind else row.Content,
                  "textShortened": False, "textCutOnArrival": False,
                  "timestamp": iso(row.LastAttemptAt or row.CreatedAt), "receivedAt": None, "media": media,
                  "replyTo": None, "reaction": None, "choice": None,
                  "status": {"state": state, "at": iso(row.UpdatedAt), "errorCode": row.ErrorCode,
                             "errorMessage": None, "reason": row.Reason},
                  "sentBy": row.RequestedByName}
    return {"id": row.Id, "clientRequestId": row.ClientRequestId, "orderId": row.ReparacionId,
            "state": row.State, "kind": row.Kind, "messageId": row.MessageId, "attempts": row.Attempts,
            "nextAttemptAt": iso(row.NextAttemptAt), "errorCode": row.ErrorCode, "reason": row.Reason,
            "createdAt": iso(row.CreatedAt), "proposalId": row.ProposalId, "message": bubble}
