"""Conversation summaries written as "WhatsApp Resumen" novedades on the order.

A summary is *rolling*: the previous summary plus the messages since its watermark.
The watermark is the pair (last message id, number of messages) of the order when it
was summarized: both only grow, and the count also catches an older message that a
sync linked to the order afterwards (its id is below the last one). It is written in
one transaction as a ``Novedad`` and a ``WhatsAppSummary`` row whose unique
``(ReparacionId, LastMessageId, MessageCount)`` forbids two summaries of one
watermark, whoever races (the timer, a sync, two workers). A
short lease in ``WhatsAppState`` keeps two of them from paying for the same model
call; a crash leaves nothing half-written, and the lease expires, so the next run
resumes.

* :func:`summarize_order`: one conversation now (used by sync, the tools and the batch).
* :func:`run_batch`: the timer's work: quiet conversations with unsummarized messages,
  in bounded batches with bounded concurrency, each on its own.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import ai, config, db, observability, orders, schema, state
from shared.conversation import message_text
from shared.summary_text import Line, bound, offline_digest, prompt

log = observability.logger(__name__)
_m, _sum, _nov, _tipo = schema.message, schema.summary, schema.novedad, schema.tipo_novedad
_rep = schema.reparacion
_MAX_LINES = 200  # at most this many new messages are read for one summary (the prompt keeps what fits)


@dataclass(frozen=True)
class Outcome:
    order_id: int
    written: bool
    reason: str | None = None
    novedad_id: int | None = None
    provider: str | None = None


@dataclass(frozen=True)
class LatestSummary:
    """An order's newest summary: its text and the watermark it covers."""

    text: str
    created_at: datetime
    last_message_id: int
    message_count: int
    provider: str


def latest(conn: Connection, order_id: int) -> LatestSummary | None:
    """The newest summary of the order with its text, or ``None``."""
    row = conn.execute(
        sa.select(_sum.c.LastMessageId, _sum.c.MessageCount, _sum.c.Provider, _sum.c.CreatedAt,
                  _nov.c.Observacion)
        .select_from(_sum.join(_nov, _nov.c.NovedadId == _sum.c.NovedadId))
        .where(_sum.c.ReparacionId == order_id)
        .order_by(_sum.c.LastMessageId.desc(), _sum.c.MessageCount.desc()).limit(1)).first()
    if row is None:
        return None
    return LatestSummary(row.Observacion or "", row.CreatedAt, row.LastMessageId, row.MessageCount, row.Provider)


@dataclass
class BatchReport:
    candidates: int = 0
    written: int = 0
    skipped: int = 0
    failed: int = 0
    failures: dict[int, str] = field(default_factory=dict)


def _lease_name(order_id: int) -> str:
    return f"summary-lease:{order_id}"


def _release(order_id: int, url: str | None) -> None:
    db.write(lambda conn: state.release(conn, _lease_name(order_id)), url)


@dataclass(frozen=True)
class _Work:
    previous: str | None
    lines: list[Line]
    last_id: int
    count: int
    unread: int = 0
    """Messages older than ``lines`` that were to be read (past ``_MAX_LINES``): not read, but said."""
    new: int = 0
    """Messages the previous summary does not cover (new ones and any linked late)."""


def _gather(conn: Connection, order_id: int) -> _Work | None:
    if not orders.exists(conn, order_id):
        return None  # FastService deleted the order: nothing to write a novedad on
    previous = latest(conn, order_id)
    since, covered = (previous.last_message_id, previous.message_count) if previous else (0, 0)
    last_id, count, up_to_since = conn.execute(
        sa.select(sa.func.max(_m.c.Id), sa.func.count(), sa.func.sum(sa.case((_m.c.Id <= since, 1), else_=0)))
        .where(_m.c.ReparacionId == order_id)).one()
    if not last_id or (last_id <= since and count <= covered):
        return None
    # an older message linked after the last summary is not covered by it: read from the start then
    first_id = since if int(up_to_since or 0) <= covered else 0
    rows = conn.execute(
        sa.select(_m.c.Direction, _m.c.MessageType, _m.c.Content, _m.c.MediaFileName, _m.c.MediaCaption,
                  _m.c.ChoiceTitle, _m.c.ReactionEmoji, _m.c.WhatsAppTimestamp)
        .where(_m.c.ReparacionId == order_id, _m.c.Id > first_id, _m.c.Id <= last_id)
        .order_by(_m.c.WhatsAppTimestamp.desc(), _m.c.Id.desc()).limit(_MAX_LINES)).all()
    lines = [Line(r.Direction, message_text(r.MessageType, r.Content, file_name=r.MediaFileName,
                                            caption=r.MediaCaption, choice=r.ChoiceTitle, emoji=r.ReactionEmoji),
                  r.WhatsAppTimestamp)
             for r in reversed(rows)]
    in_scope = int(count) - (int(up_to_since or 0) if first_id else 0)
    return _Work(previous.text if previous else None, lines, int(last_id), int(count),
                 unread=in_scope - len(lines), new=int(count) - covered)


def compose(work: _Work) -> tuple[str, str]:
    """The summary text and the provider that wrote it (the model, or the offline digest)."""
    max_chars = config.get_int("SUMMARY_MAX_CHARS")
    chosen = ai.model()
    if chosen is None:
        return offline_digest(work.lines, max_chars, work.previous, work.new), "offline_digest"
    messages = prompt(work.previous, work.lines, config.get_int("SUMMARY_INPUT_MAX_CHARS"), max_chars, work.unread)
    text = ai.complete(chosen, messages, max_tokens=math.ceil(max_chars / 3) + 32)
    return bound(text, max_chars), chosen.provider


def _write(conn: Connection, order_id: int, work: _Work, text: str, provider: str) -> int:
    tipo = conn.execute(sa.select(_tipo.c.TipoNovedadId).where(_tipo.c.nombre == schema.WHATSAPP_RESUMEN)).scalar()
    if tipo is None:
        raise RuntimeError("TipoNovedad 'WhatsApp Resumen' is missing: run sql/002_tiponovedad_whatsapp_resumen.sql")
    now = db.utcnow()
    key = conn.execute(_nov.insert().values(ReparacionId=order_id, UserId=config.get_int("SUMMARY_USER_ID"),
                                            TipoNovedadId=tipo, Observacion=text, ModificadoEn=now)
                       ).inserted_primary_key
    assert key is not None
    conn.execute(_sum.insert().values(ReparacionId=order_id, NovedadId=key[0], LastMessageId=work.last_id,
                                      MessageCount=work.count, Provider=provider, CreatedAt=now))
    return int(key[0])


def _summarized(conn: Connection, order_id: int, work: _Work) -> bool:
    """Whether a summary of exactly this watermark exists (a twin written by a racer)."""
    return conn.execute(sa.select(_sum.c.Id).where(
        _sum.c.ReparacionId == order_id, _sum.c.LastMessageId == work.last_id,
        _sum.c.MessageCount == work.count)).first() is not None


def summarize_order(order_id: int, url: str | None = None) -> Outcome:
    """Summarize the order's conversation now if it has messages its last summary does not cover."""
    lease_seconds = 2 * config.get_float("SUMMARY_TIMEOUT_SECONDS") + 30

    def start(conn: Connection) -> _Work | str:
        work = _gather(conn, order_id)
        if work is None:
            return "sin mensajes nuevos desde el último resumen"
        if not state.claim(conn, _lease_name(order_id), db.utcnow(), lease_seconds):
            return "otro proceso está resumiendo esta conversación"
        return work

    started = db.write(start, url)
    if isinstance(started, str):
        return Outcome(order_id, False, started)
    try:
        text, provider = compose(started)
        try:
            novedad = db.write(lambda conn: _write(conn, order_id, started, text, provider), url)
        except sa.exc.IntegrityError:
            if not db.read(lambda conn: _summarized(conn, order_id, started), url):
                raise  # not a twin (e.g. FastService deleted the order meanwhile): a real failure
            return Outcome(order_id, False, "ya estaba resumida", provider=provider)  # keep the twin
    finally:
        _release(order_id, url)
    log.info("order %s: summary written (novedad %s, %s, %d messages)", order_id, novedad, provider,
             started.count)
    return Outcome(order_id, True, None, novedad, provider)


def request_summary(order_id: int, url: str | None = None) -> tuple[bool, str | None]:
    """For sync: whether a summary was written, and a reason a person can read when not."""
    try:
        outcome = summarize_order(order_id, url)
    except ai.ModelError as exc:
        log.warning("order %s: model failed: %s", order_id, exc)
        return False, "El servicio de resúmenes no respondió; se reintentará automáticamente."
    return outcome.written, outcome.reason


def candidates(conn: Connection, quiet_before: datetime, limit: int) -> list[int]:
    """Existing orders with messages their last summary does not cover, quiet since ``quiet_before``,
    oldest first. (Both parts of the watermark only grow, so their maxima are the latest summary's.)"""
    def covered(column: sa.Column[Any]) -> Any:
        return sa.func.coalesce(sa.select(sa.func.max(column)).where(_sum.c.ReparacionId == _m.c.ReparacionId)
                                .scalar_subquery(), 0)
    return list(conn.execute(
        sa.select(_m.c.ReparacionId).join(_rep, _rep.c.ReparacionId == _m.c.ReparacionId)
        .group_by(_m.c.ReparacionId)
        .having(sa.and_(sa.func.max(_m.c.ReceivedAt) <= quiet_before,
                        sa.or_(sa.func.max(_m.c.Id) > covered(_sum.c.LastMessageId),
                               sa.func.count() > covered(_sum.c.MessageCount))))
        .order_by(sa.func.max(_m.c.ReceivedAt)).limit(limit)).scalars())


def run_batch(url: str | None = None, time_budget: float = 240.0) -> BatchReport:
    """The timer's run: summarize quiet conversations, batch after batch, until none is left or time is up."""
    report = BatchReport()
    deadline = time.monotonic() + time_budget
    size, workers = config.get_int("SUMMARY_BATCH_SIZE"), config.get_int("SUMMARY_CONCURRENCY")
    failed: set[int] = set()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="summary") as pool:
        while time.monotonic() < deadline:
            quiet_before = db.utcnow() - timedelta(minutes=config.get_int("SUMMARY_QUIET_MINUTES"))

            def pick(conn: Connection, before: datetime = quiet_before) -> list[int]:
                return candidates(conn, before, size + len(failed))

            found = db.read(pick, url)
            batch = [o for o in found if o not in failed][:size]
            if not batch:
                break
            report.candidates += len(batch)
            for order_id, result in zip(batch, pool.map(lambda o: _one(o, url), batch), strict=True):
                if isinstance(result, Outcome):
                    report.written += result.written
                    report.skipped += not result.written
                    if not result.written:
                        failed.add(order_id)  # nothing to do for it in this run
                else:
                    report.failed += 1
                    report.failures[order_id] = result
                    failed.add(order_id)
    log.info("summary run: %d candidates, %d written, %d skipped, %d failed", report.candidates,
             report.written, report.skipped, report.failed)
    return report


def _one(order_id: int, url: str | None) -> Outcome | str:
    """One conversation on its own: an error here never stops the others."""
    try:
        return summarize_order(order_id, url)
    except Exception as exc:
        log.warning("order %s: summary failed (%s)", order_id, type(exc).__name__)
        return type(exc).__name__


def as_dict(report: BatchReport) -> dict[str, Any]:
    return {"candidates": report.candidates, "written": report.written, "skipped": report.skipped,
            "failed": report.failed}
