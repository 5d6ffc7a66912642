"""Events that can never be stored, kept with the reason until someone fixes the cause.

Poison must neither be retried forever by Event Grid nor lost: ingestion acknowledges
it after keeping it here, once per distinct payload (its digest is unique), and an
operator can replay what was kept after a fix (:func:`shared.ingest.reprocess_quarantined`).
Payloads are cut to ``RAW_PAYLOAD_MAX_BYTES``; a cut one cannot be replayed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import config, db, envelopes, schema
from shared.state import insert_once
from shared.text import bounded_raw

_q = schema.quarantine


def keep(conn: Connection, envelope: Any, reason: str) -> bool:
    """Keep an event that can never be processed; ``False`` if it was already kept.

    Digest and copy are written without recursion (:mod:`shared.envelopes`): JSON nested deeper
    than ``json.dumps`` can follow is poison to keep too, not an error to retry forever. The
    digest spells JSON as :func:`shared.text.canonical_json` does, so earlier rows still match."""
    digest = hashlib.sha256()
    for chunk in envelopes.canonical_chunks(envelope):
        digest.update(chunk.encode())
    kept = envelope if isinstance(envelope, dict) else {"payload": envelope}
    if envelopes.too_deep(kept):
        raw, truncated = envelopes.bounded_json(kept, config.get_int("RAW_PAYLOAD_MAX_BYTES"))
    else:
        raw, truncated = bounded_raw(kept)
    event = envelopes.grid_view(envelope) if isinstance(envelope, dict) else {}
    row = {"PayloadHash": digest.hexdigest(), "EventId": _str_or_none(event.get("id")),
           "EventType": _str_or_none(event.get("eventType")), "Reason": reason, "Payload": raw,
           "PayloadTruncated": truncated, "ReceivedAt": db.utcnow()}
    return insert_once(conn, _q, row) is not None


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def oldest(conn: Connection, after_id: int, limit: int) -> Sequence[Any]:
    """Up to ``limit`` kept events after ``after_id``, oldest first (``Id, Payload, PayloadTruncated``)."""
    return conn.execute(sa.select(_q.c.Id, _q.c.Payload, _q.c.PayloadTruncated).where(_q.c.Id > after_id)
                        .order_by(_q.c.Id).limit(limit)).all()


def release(conn: Connection, quarantine_id: int) -> None:
    """Forget a kept event (it was stored on replay)."""
    conn.execute(_q.delete().where(_q.c.Id == quarantine_id))
