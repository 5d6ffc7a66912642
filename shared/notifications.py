"""Order notifications: noticing FastService's status changes, and telling the customer once.

FastService changes ``Reparacion.EstadoReparacionId`` directly and tells nobody; its tables stay
untouched (no trigger, no change tracking). So the timer ``notify_orders`` *polls* what FastService
already writes: rows whose ``ModificadoEn`` is past our watermark (minus an overlap for clock skew and
late commits), page by page in ``(ModificadoEn, ReparacionId)`` order. ``ModificadoEn`` also moves for
edits that are not a status change, so each order's last seen status is kept in ``WhatsAppOrderStatus``
and only a different status is a *change*.

**Exactly once, whoever races.** A change is claimed by a conditional update of that row (from the
status and ``ChangeSeq`` the poller read, to the new status and ``ChangeSeq + 1``): of two timers, two
instances or two engines reading the same row, only the one whose update changed it goes on, and the
notification it writes is unique on ``(order, kind, ChangeSeq, step)``. Sending goes through the outbox
of issue 15 (``shared/replies.py``), with the notification's id as the ``clientRequestId``: a retried or
raced dispatch is the same send, never a second message.

**Never wrong, never a flood.**

* First run (no watermark): every order's current status is recorded, nothing is notified.
* A change older than ``NOTIFY_MAX_AGE_MINUTES`` (by ``ModificadoEn``) is recorded, its notification
  ``skipped`` with the reason.
* A notification waits ``NOTIFY_SETTLE_MINUTES``; a newer change of the order supersedes whatever of it
  is still waiting or offered, so quick changes send only the last status.
* Quiet hours (``NOTIFY_QUIET_HOURS``, Buenos Aires time): what falls due then is held until the morning.
* Consent: only customers whose latest consent is ``opted_in`` (``shared/consent.py``); an opt-out skips.

Rules (``NOTIFY_RULES``): status name -> template purpose and ``auto`` (sent by the timer) or ``offer``
(one click for staff in the panel). ``NOTIFY_REMINDER``: a pickup reminder after N days in a status whose
purpose is ``reparado`` without ``FechaEntrega``, once per step, only for changes we saw happen (never
for the baseline of the first run).

States: ``queued`` / ``held_quiet_hours`` -> (due) -> ``sent`` (an outbox row) | ``offered`` ->
``sent`` (staff clicked, in the panel or the inbox) | ``skipped`` (reason; «No enviar» records who) |
``superseded``.
"""

from __future__ import annotations

import json
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import config, consent, db, observability, orders, outbox, params, reply_context, schema, state
from shared.errors import ApiError, NoUsablePhone
from shared.phones import parse_whatsapp_id
from shared.staff import Staff
from shared.text import iso

log = observability.logger(__name__)
_rep, _est, _os, _n = schema.reparacion, schema.estado_reparacion, schema.order_status, schema.notification
_o = schema.outbox

WATERMARK: Final = "notify:watermark"
STATUS: Final = "status"
REMINDER: Final = "reminder"
OUTDATED_QUOTE: Final = "quote_outdated"
QUEUED, HELD, OFFERED, SENT = "queued", "held_quiet_hours", "offered", "sent"
SKIPPED, SUPERSEDED = "skipped", "superseded"
WAITING: Final = (QUEUED, HELD)
OPEN: Final = (QUEUED, HELD, OFFERED)
AUTO, OFFER = "auto", "offer"
STALE_SENDING = timedelta(minutes=5)
BUENOS_AIRES = "America/Argentina/Buenos_Aires"

REASONS: Final = {
    "too_old": "El cambio de estado tiene más de {minutes} minutos cuando lo vimos: no se avisa.",
    "opted_out": "El cliente pidió no recibir más mensajes (baja).",
    "no_consent": "El cliente no dio su consentimiento para recibir avisos. Registralo en el panel para avisarle.",
    "dismissed": "Una persona del taller decidió no enviarlo.",
}


# --- rules -------------------------------------------------------------------------------------

def fold(name: str) -> str:
    """A status name compared as staff mean it: case, accents and spacing ignored."""
    text = unicodedata.normalize("NFKD", name.casefold())
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


@dataclass(frozen=True)
class Rule:
    purpose: str
    mode: str


def _rule(text: str) -> Rule | None:
    purpose, _, mode = str(text).partition(":")
    mode = mode.strip() or OFFER
    if not purpose.strip() or mode not in (AUTO, OFFER):
        return None
    return Rule(purpose.strip(), mode)


def rules() -> dict[str, Rule]:
    """``NOTIFY_RULES`` read: folded status name -> rule; malformed entries are left out (and logged)."""
    try:
        spec = json.loads(config.get("NOTIFY_RULES"))
    except ValueError:
        log.error("NOTIFY_RULES is not JSON; no status notifies")
        return {}
    if not isinstance(spec, dict):
        log.error("NOTIFY_RULES must be a JSON object")
        return {}
    result = {}
    for name, value in spec.items():
        rule = _rule(str(value))
        if rule is None:
            log.error("NOTIFY_RULES: the entry for a status is not purpose:auto|offer")
            continue
        result[fold(str(name))] = rule
    return result


@dataclass(frozen=True)
class Reminder:
    purpose: str
    mode: str
    days: tuple[int, ...]


def reminder() -> Reminder | None:
    raw = config.get("NOTIFY_REMINDER")
    if raw.lower() == "off":
        return None
    parts = raw.split(":")
    try:
        days = tuple(sorted({int(d) for d in parts[2].split(",") if d.strip()})) if len(parts) == 3 else ()
    except ValueError:
        days = ()
    if len(parts) != 3 or parts[1] not in (AUTO, OFFER) or not days or min(days) < 1:
        if raw:
            log.error("NOTIFY_REMINDER is not purpose:auto|offer:days,...; no pickup reminders")
        return None
    return Reminder(parts[0], parts[1], days)


def status_rules(conn: Connection) -> dict[int, Rule]:
    """Status id -> rule, through FastService's status names."""
    by_name = rules()
    return {int(r.EstadoReparacionId): by_name[fold(r.Nombre)]
            for r in conn.execute(sa.select(_est.c.EstadoReparacionId, _est.c.Nombre)).all()
            if fold(r.Nombre or "") in by_name}


# --- quiet hours -------------------------------------------------------------------------------

def _zone() -> Any:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(BUENOS_AIRES)
    except Exception:  # no tz database on the machine: Argentina keeps UTC-3 all year
        return timezone(timedelta(hours=-3))


def quiet_hours() -> tuple[int, int] | None:
    raw = config.get("NOTIFY_QUIET_HOURS")
    if raw.lower() == "off":
        return None
    start, _, end = raw.partition("-")
    try:
        hours = int(start), int(end)
    except ValueError:
        log.error("NOTIFY_QUIET_HOURS is not from-to in whole hours; no quiet hours")
        return None
    if not all(0 <= h <= 23 for h in hours) or hours[0] == hours[1]:
        log.error("NOTIFY_QUIET_HOURS is not from-to in hours 0-23; no quiet hours")
        return None
    return hours


def after_quiet_hours(at: datetime) -> datetime:
    """``at`` (naive UTC), or the end of the quiet hours it falls in (naive UTC)."""
    hours = quiet_hours()
    if hours is None:
        return at
    start, end = hours
    local = at.replace(tzinfo=UTC).astimezone(_zone())
    h = local.hour
    quiet = (start <= h or h < end) if start > end else (start <= h < end)
    if not quiet:
        return at
    morning = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if morning <= local:
        morning = (local + timedelta(days=1)).replace(hour=end, minute=0, second=0, microsecond=0)
    return morning.astimezone(UTC).replace(tzinfo=None)


# --- polling -----------------------------------------------------------------------------------

@dataclass
class PollReport:
    read: int = 0
    baseline: int = 0
    changes: int = 0
    notifications: int = 0
    too_old: int = 0
    superseded: int = 0
    reminders: int = 0
    pages: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _parse_watermark(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def changed_orders(conn: Connection, since: datetime | None, upper: datetime, after: tuple[datetime, int] | None,
                   limit: int) -> list[Any]:
    """A page of orders modified in (``since``, ``upper``] whose status is not the one we last saw (or that we
    never saw), in (ModificadoEn, ReparacionId) order after ``after``, with what we saw."""
    query = (sa.select(_rep.c.ReparacionId, _rep.c.ClienteId, _rep.c.EstadoReparacionId, _rep.c.ModificadoEn,
                       _os.c.EstadoReparacionId.label("SeenStatus"), _os.c.ChangeSeq.label("SeenSeq"))
             .select_from(_rep.outerjoin(_os, _os.c.ReparacionId == _rep.c.ReparacionId))
             .where(_rep.c.ModificadoEn <= upper,
                    sa.or_(_os.c.ReparacionId.is_(None), _os.c.EstadoReparacionId != _rep.c.EstadoReparacionId)))
    if since is not None:
        query = query.where(_rep.c.ModificadoEn > since)
    if after is not None:
        query = query.where(sa.or_(_rep.c.ModificadoEn > after[0],
                                   sa.and_(_rep.c.ModificadoEn == after[0], _rep.c.ReparacionId > after[1])))
    return list(conn.execute(query.order_by(_rep.c.ModificadoEn, _rep.c.ReparacionId).limit(limit)).all())


def _supersede(conn: Connection, order_ids: list[int], now: datetime) -> int:
    """Each of these orders just changed status (once per page): its open notifications are of older changes."""
    return int(conn.execute(_n.update().where(
        _n.c.ReparacionId.in_(order_ids), _n.c.State.in_(OPEN), _n.c.Kind.in_((STATUS, REMINDER))).values(
        State=SUPERSEDED, Reason="Un cambio de estado posterior lo reemplazó.", UpdatedAt=now)).rowcount)


def _new(row: dict[str, Any], now: datetime, state_: str | None = None, reason: str | None = None,
         settle: bool = True) -> dict[str, Any]:
    """A notification row, due after the settle time and, for automatic ones, outside quiet hours."""
    due = now + timedelta(minutes=config.get_float("NOTIFY_SETTLE_MINUTES")) if settle else now
    held = after_quiet_hours(due) if row["Mode"] == AUTO and state_ is None else due  # staff choose for offers
    return {"State": state_ or (HELD if held != due else QUEUED), "DueAt": held, "CreatedAt": now, "UpdatedAt": now,
            "Reason": reason, "OutboxId": None, "DecidedByStaffId": None, "DecidedByName": None, **row}


def _queue(conn: Connection, row: dict[str, Any], now: datetime, settle: bool = True) -> int | None:
    """Insert a notification once (``None`` when its unique key exists)."""
    return state.insert_once(conn, _n, _new(row, now, settle=settle))


_CLAIM: Final = _os.update().where(
    _os.c.ReparacionId == sa.bindparam("order"), _os.c.EstadoReparacionId == sa.bindparam("was"),
    _os.c.ChangeSeq == sa.bindparam("seq")).values(
    EstadoReparacionId=sa.bindparam("status"), ChangeSeq=sa.bindparam("next"), ModificadoEn=sa.bindparam("modified"),
    SeenAt=sa.bindparam("seen"), ChangedAt=sa.bindparam("modified"))
"""A change is claimed by moving the row from what the poller read; only one poller's update matches."""


def _insert_all(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert ``rows`` in one statement; when a unique index refuses one (a racing poller wrote it), one by one.
    The rows this call inserted."""
    if not rows:
        return []
    try:
        with conn.begin_nested():
            conn.execute(table.insert(), rows)
        return rows
    except sa.exc.IntegrityError:
        return [row for row in rows if state.insert_once(conn, table, row) is not None]


def _page(conn: Connection, rows: list[Any], baseline: bool, now: datetime, report: PollReport) -> None:
    by_status = status_rules(conn) if not baseline else {}
    max_age = timedelta(minutes=config.get_float("NOTIFY_MAX_AGE_MINUTES"))
    too_old = REASONS["too_old"].format(minutes=int(max_age.total_seconds() // 60))
    fresh: list[dict[str, Any]] = []
    candidates: list[tuple[Any, dict[str, Any]]] = []
    for r in rows:
        order_id, status = int(r.ReparacionId), int(r.EstadoReparacionId)
        before = None if r.SeenStatus is None else (int(r.SeenStatus), int(r.SeenSeq))
        if before is None:
            fresh.append({"ReparacionId": order_id, "EstadoReparacionId": status, "ChangeSeq": 0,
                          "ModificadoEn": r.ModificadoEn, "SeenAt": now, "ChangedAt": r.ModificadoEn})
        elif before[0] != status:
            candidates.append((r, {"order": order_id, "was": before[0], "seq": before[1], "status": status,
                                   "next": before[1] + 1, "modified": r.ModificadoEn, "seen": now}))
    claimed: list[tuple[Any, int]] = []
    if candidates:  # one statement for all; then which rows this poller moved (the others' updates matched none)
        conn.execute(_CLAIM, [c for _, c in candidates])
        after = {int(x.ReparacionId): (int(x.EstadoReparacionId), int(x.ChangeSeq), x.SeenAt) for x in conn.execute(
            sa.select(_os.c.ReparacionId, _os.c.EstadoReparacionId, _os.c.ChangeSeq, _os.c.SeenAt)
            .where(_os.c.ReparacionId.in_([c["order"] for _, c in candidates])))}
        # a racer that moved the same row with the same ``now`` is caught by the notification's unique key
        claimed = [(r, c["next"]) for r, c in candidates if after.get(c["order"]) == (c["status"], c["next"], now)]
    report.changes += len(claimed)
    if claimed:  # what of these orders still waits or is offered belongs to an older change: superseded
        report.superseded += _supersede(conn, [int(r.ReparacionId) for r, _ in claimed], now)
    inserted = _insert_all(conn, _os, fresh)  # first sight: a new order, or the first run's baseline
    report.baseline += len(inserted)
    if not baseline and inserted:
        first_seen = {f["ReparacionId"] for f in inserted}
        claimed += [(r, 0) for r in rows if int(r.ReparacionId) in first_seen]
    queued: list[dict[str, Any]] = []
    for r, seq in claimed:
        rule = by_status.get(int(r.EstadoReparacionId))
        if rule is None:
            continue
        row = {"ReparacionId": int(r.ReparacionId), "ClienteId": int(r.ClienteId), "Kind": STATUS, "ChangeSeq": seq,
               "Step": 0, "EstadoReparacionId": int(r.EstadoReparacionId), "Purpose": rule.purpose,
               "Mode": rule.mode, "ChangedAt": r.ModificadoEn}
        if r.ModificadoEn < now - max_age:
            report.too_old += 1
            queued.append(_new(row, now, SKIPPED, too_old, settle=False))
        else:
            queued.append(_new(row, now))
    report.notifications += sum(1 for q in _insert_all(conn, _n, queued) if q["State"] != SKIPPED)


def poll(url: str | None = None, now: datetime | None = None, time_budget: float = 120.0) -> PollReport:
    """One polling run: the newest ``ModificadoEn`` now (the run's upper bound), then page after page of the
    orders modified since the watermark (minus the overlap) whose status differs from ours; the watermark
    moves to the upper bound once every page is done (a run cut short is simply done again)."""
    report = PollReport()
    size = config.get_int("NOTIFY_BATCH_SIZE")
    overlap = timedelta(minutes=config.get_float("NOTIFY_OVERLAP_MINUTES"))
    deadline = time.monotonic() + time_budget

    def bounds(conn: Connection) -> tuple[datetime | None, Any]:
        return _parse_watermark(state.value(conn, WATERMARK)), conn.execute(
            sa.select(sa.func.max(_rep.c.ModificadoEn))).scalar()

    started, upper = db.read(bounds, url)
    baseline = started is None
    since = None if started is None else started - overlap
    after: tuple[datetime, int] | None = None
    done = upper is None
    while not done and time.monotonic() < deadline:
        at = now or db.utcnow()

        def step(conn: Connection, at: datetime = at, after: tuple[datetime, int] | None = after) -> list[Any]:
            rows = changed_orders(conn, since, upper, after, size)
            if rows:
                _page(conn, rows, baseline, at, report)
            if len(rows) < size:  # the last page: the watermark moves, and the reminders, in its transaction
                _finish(conn, upper, at, report)
            return rows

        rows = db.write(step, url)
        report.read += len(rows)
        report.pages += 1
        done = len(rows) < size
        if rows:
            after = (rows[-1].ModificadoEn, int(rows[-1].ReparacionId))
    if upper is None:  # an empty FastService: the baseline is done all the same
        db.write(lambda conn: _finish(conn, None, now or db.utcnow(), report), url)
    log.info("notify poll: %s", report.as_dict())
    return report


def _finish(conn: Connection, upper: datetime | None, now: datetime, report: PollReport) -> None:
    mark = (upper or now).isoformat()
    state.upsert(conn, schema.state, {"Name": WATERMARK}, {"Value": mark, "UpdatedAt": now},
                 when=schema.state.c.Value < mark)
    report.reminders = _reminders(conn, now)


def _reminders(conn: Connection, now: datetime) -> int:
    """Pickup reminders due: orders we saw enter a ``reparado`` status, still in it, not delivered; for each, the
    highest step reached, once (a step is skipped when a higher one was already written)."""
    spec = reminder()
    if spec is None:
        return 0
    ready = [s for s, r in status_rules(conn).items() if r.purpose == "reparado"]
    if not ready:
        return 0
    written = 0
    for step in sorted(spec.days, reverse=True):
        done = sa.select(_n.c.Id).where(_n.c.ReparacionId == _os.c.ReparacionId, _n.c.Kind == REMINDER,
                                        _n.c.ChangeSeq == _os.c.ChangeSeq, _n.c.Step >= step).exists()
        rows = conn.execute(sa.select(_os.c.ReparacionId, _os.c.ChangeSeq, _os.c.ChangedAt, _os.c.EstadoReparacionId,
                                      _rep.c.ClienteId)
                            .join(_rep, _rep.c.ReparacionId == _os.c.ReparacionId)
                            .where(_os.c.EstadoReparacionId.in_(ready), _os.c.ChangeSeq > 0,
                                   _os.c.ChangedAt <= now - timedelta(days=step), ~done,
                                   _rep.c.EstadoReparacionId == _os.c.EstadoReparacionId,
                                   _rep.c.FechaEntrega.is_(None))).all()
        new = [_new({"ReparacionId": r.ReparacionId, "ClienteId": r.ClienteId, "Kind": REMINDER,
                     "ChangeSeq": r.ChangeSeq, "Step": step, "EstadoReparacionId": r.EstadoReparacionId,
                     "Purpose": spec.purpose, "Mode": spec.mode, "ChangedAt": r.ChangedAt}, now, settle=False)
               for r in rows]
        written += len(_insert_all(conn, _n, new))
    return written


def offer_outdated_quote(conn: Connection, order_id: int, customer_id: int | None, message_pk: int) -> int | None:
    """At ingest, for a tap on an outdated quote: the kind answer, offered or sent as ``NOTIFY_OUTDATED_QUOTE``
    says (a text: the tap opened the customer-service window)."""
    mode = config.get("NOTIFY_OUTDATED_QUOTE")
    if mode not in (AUTO, OFFER):
        return None
    now = db.utcnow()
    return _queue(conn, {"ReparacionId": order_id, "ClienteId": customer_id, "Kind": OUTDATED_QUOTE, "ChangeSeq": 0,
                         "Step": message_pk, "EstadoReparacionId": None, "Purpose": "presupuesto_vencido",
                         "Mode": mode, "ChangedAt": now}, now, settle=False)


# --- dispatching -------------------------------------------------------------------------------

class NotificationGone(ApiError):
    status = 409
    type = "/problems/notification-not-offered"
    title = "Notification no longer offered"

    def __init__(self) -> None:
        super().__init__("Este aviso ya no está disponible: se envió, se descartó o lo reemplazó un cambio de "
                         "estado posterior. Actualizá el panel.")


class ConsentMissing(ApiError):
    status = 409
    type = "/problems/consent-missing"
    title = "The customer has not agreed to notifications"

    def __init__(self, state_: str) -> None:
        detail = (REASONS["opted_out"] if state_ == consent.OPTED_OUT else REASONS["no_consent"])
        super().__init__(detail, consent=state_)


def client_request_id(notification_id: int) -> str:
    return f"notification-{notification_id}"


def consent_of(conn: Connection, row: Any) -> consent.Consent:
    """The consent that decides whether the notification ``row`` may go (what the send checks, and what the
    panel and the inbox show): the latest for the order's customer or the phone it would go to."""
    order = orders.require(conn, int(row.ReparacionId))
    context = reply_context.reply_context(conn, order, db.utcnow())
    phone = parse_whatsapp_id(context.phone.whatsapp_id) if context.phone else None
    return consent.current(conn, order.customer_id, phone.key if phone else None)


def _request(row: Any) -> Any:
    from shared import replies

    if row.Kind == OUTDATED_QUOTE:
        from shared.quote_buttons import OUTDATED_TEXT

        return replies.SendRequest(client_request_id(int(row.Id)), text=OUTDATED_TEXT)
    return replies.SendRequest(client_request_id(int(row.Id)), template_purpose=row.Purpose)


def _send(row: Any, staff: Staff | None, from_states: tuple[str, ...], url: str | None,
          sender: outbox.Sender | None) -> tuple[dict[str, Any], bool]:
    """Send the notification through the staff replies' path (the outbox); the notification becomes ``sent``
    in the very transaction that writes the outbox row, only if it is still in ``from_states`` and the
    customer still agrees (checked again there)."""
    from shared import replies

    def mark(conn: Connection, outbox_id: int) -> None:
        if row.Kind != OUTDATED_QUOTE:
            agreed = consent_of(conn, row)
            if agreed.state != consent.OPTED_IN:
                raise ConsentMissing(agreed.state)
        moved = conn.execute(_n.update().where(_n.c.Id == row.Id, _n.c.State.in_(from_states)).values(
            State=SENT, OutboxId=outbox_id, DecidedByStaffId=staff.id if staff else None,
            DecidedByName=staff.name if staff else None, Reason=None, UpdatedAt=db.utcnow())).rowcount
        if not moved:
            raise NotificationGone()

    return replies.send(int(row.ReparacionId), _request(row), staff, url, sender=sender, on_insert=mark)


def _skip(conn: Connection, notification_id: int, reason: str, states: tuple[str, ...]) -> None:
    conn.execute(_n.update().where(_n.c.Id == notification_id, _n.c.State.in_(states)).values(
        State=SKIPPED, Reason=reason[:500], UpdatedAt=db.utcnow()))


def _skip_now(notification_id: int, reason: str, url: str | None) -> None:
    db.write(lambda conn: _skip(conn, notification_id, reason, WAITING), url)


@dataclass
class DispatchReport:
    due: int = 0
    sent: int = 0
    offered: int = 0
    held: int = 0
    skipped: int = 0
    failed: int = 0


def dispatch(url: str | None = None, now: datetime | None = None, sender: outbox.Sender | None = None,
             limit: int = 100) -> DispatchReport:
    """Due notifications: ``offer`` ones become ``offered``; ``auto`` ones are sent when the customer agreed,
    outside quiet hours (held again otherwise), else skipped with the reason."""
    report = DispatchReport()
    at = now or db.utcnow()
    rows = db.read(lambda conn: conn.execute(sa.select(_n).where(_n.c.State.in_(WAITING), _n.c.DueAt <= at)
                                             .order_by(_n.c.DueAt, _n.c.Id).limit(limit)).all(), url)
    for row in rows:
        report.due += 1

        def decide(conn: Connection, row: Any = row) -> str:
            if row.Mode == OFFER:
                moved = conn.execute(_n.update().where(_n.c.Id == row.Id, _n.c.State.in_(WAITING)).values(
                    State=OFFERED, UpdatedAt=db.utcnow())).rowcount
                return "offered" if moved else "gone"
            later = after_quiet_hours(at)
            if later != at:
                conn.execute(_n.update().where(_n.c.Id == row.Id, _n.c.State.in_(WAITING)).values(
                    State=HELD, DueAt=later, UpdatedAt=db.utcnow()))
                return "held"
            if row.Kind != OUTDATED_QUOTE:
                try:
                    agreed = consent_of(conn, row)
                except ApiError as exc:
                    _skip(conn, row.Id, exc.detail, WAITING)
                    return "skipped"
                if agreed.state != consent.OPTED_IN:
                    _skip(conn, row.Id, REASONS["opted_out" if agreed.state == consent.OPTED_OUT else "no_consent"],
                          WAITING)
                    return "skipped"
            return "send"

        decision = db.write(decide, url)
        if decision == "send":
            try:
                _send(row, None, WAITING, url, sender)
                report.sent += 1
            except (NotificationGone, ConsentMissing):
                report.skipped += 1
            except NoUsablePhone as exc:
                _skip_now(int(row.Id), exc.detail, url)
                report.skipped += 1
            except ApiError as exc:  # template not approved, a value missing...: a person must look
                _skip_now(int(row.Id), exc.detail, url)
                report.failed += 1
        elif decision in ("offered", "held", "skipped"):
            setattr(report, decision, getattr(report, decision) + 1)
    log.info("notify dispatch: %s", report.__dict__)
    return report


def run(url: str | None = None) -> dict[str, Any]:
    """What ``notify_orders`` does each minute: poll, then dispatch what is due."""
    polled = poll(url)
    sent = dispatch(url)
    return {**polled.as_dict(), **{f"dispatch_{k}": v for k, v in sent.__dict__.items()}}


# --- staff -------------------------------------------------------------------------------------

def send_offered(order_id: int, notification_id: int, staff: Staff | None, url: str | None = None,
                 sender: outbox.Sender | None = None) -> dict[str, Any]:
    """Staff's one click on an offered notification: sent through the outbox, once (the notification's
    ``clientRequestId``: a double click answers the same send, ``alreadySent`` saying it was not this click)."""
    row = db.read(lambda conn: conn.execute(sa.select(_n).where(_n.c.Id == notification_id,
                                                                _n.c.ReparacionId == order_id)).first(), url)
    if row is None:
        raise NotificationGone()
    if row.State == SENT and row.OutboxId is not None:
        from shared import replies

        return {"notification": _dto(row, None), "send": replies.answer(int(row.OutboxId), url), "alreadySent": True}
    answer, created = _send(row, staff, (OFFERED,), url, sender)
    fresh = db.read(lambda conn: conn.execute(sa.select(_n).where(_n.c.Id == notification_id)).first(), url)
    return {"notification": _dto(fresh, None), "send": answer, "alreadySent": not created}


def dismiss_offered(order_id: int, notification_id: int, staff: Staff | None,
                    url: str | None = None) -> dict[str, Any]:
    """Staff's «No enviar» on an offered notification: ``skipped`` with who and when, once. A second press
    (or a colleague's) answers the same dismissal; a notification sent, superseded or skipped otherwise
    meanwhile is :class:`NotificationGone`. Its unique key keeps that change from ever being offered again."""
    def write(conn: Connection) -> Any:
        moved = conn.execute(_n.update().where(
            _n.c.Id == notification_id, _n.c.ReparacionId == order_id, _n.c.State == OFFERED).values(
            State=SKIPPED, Reason=REASONS["dismissed"], DecidedByStaffId=staff.id if staff else None,
            DecidedByName=staff.name if staff else None, UpdatedAt=db.utcnow())).rowcount
        row = conn.execute(sa.select(_n).where(_n.c.Id == notification_id, _n.c.ReparacionId == order_id)).first()
        if row is None or not (moved or (row.State == SKIPPED and row.Reason == REASONS["dismissed"])):
            raise NotificationGone()
        return row

    row = db.write(write, url)
    log.info("notification %s dismissed", notification_id)
    return {"notification": _dto(row, None)}


def _dto(row: Any, send_state: str | None) -> dict[str, Any]:
    return {"id": row.Id, "orderId": row.ReparacionId, "kind": row.Kind, "purpose": row.Purpose, "mode": row.Mode,
            "state": row.State, "reason": row.Reason, "changedAt": iso(row.ChangedAt), "dueAt": iso(row.DueAt),
            "outboxId": row.OutboxId, "sendState": send_state, "decidedBy": row.DecidedByName,
            "createdAt": iso(row.CreatedAt)}


def order_notifications(conn: Connection, order_id: int, limit: int = 20) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(_n, _o.c.State.label("SendState"))
                        .select_from(_n.outerjoin(_o, _o.c.Id == _n.c.OutboxId))
                        .where(_n.c.ReparacionId == order_id).order_by(_n.c.Id.desc()).limit(limit)).all()
    return [_dto(r, r.SendState) for r in rows]


def order_panel(order_id: int, url: str | None = None) -> dict[str, Any]:
    """``GET /api/whatsapp/orders/{orderId}/notifications``: consent, notifications (offered ones can be sent
    with one click), quote taps."""
    from shared import quote_buttons

    def read(conn: Connection) -> dict[str, Any]:
        order = orders.require(conn, order_id)
        context = reply_context.reply_context(conn, order, db.utcnow())
        phone = parse_whatsapp_id(context.phone.whatsapp_id) if context.phone else None
        agreed = consent.current(conn, order.customer_id, phone.key if phone else None)
        return {"orderId": order_id, "consent": agreed.dto(),
                "notifications": order_notifications(conn, order_id),
                "quoteReplies": quote_buttons.order_replies(conn, order_id)}

    return db.read(read, url)


def record_consent(order_id: int, raw: bytes, staff: Staff | None, url: str | None = None) -> dict[str, Any]:
    """Staff record the order's customer's opt-in (or opt-out) with how they got it (``evidence``):
    ``{state: opted_in|opted_out, evidence}``."""
    from shared.errors import InvalidParameter

    body = params.json_object(raw, ": {state, evidence}")
    wanted = body.get("state")
    if wanted not in (consent.OPTED_IN, consent.OPTED_OUT):
        raise InvalidParameter("state", "state debe ser opted_in u opted_out.")
    evidence = body.get("evidence")
    if not isinstance(evidence, str) or not evidence.strip() or len(evidence) > 500:
        raise InvalidParameter("evidence", "Contá cómo dio (o retiró) el consentimiento, por ejemplo: «lo firmó en "
                                           "la orden de ingreso» (hasta 500 caracteres).")
    params.reject_unknown(body, {"state", "evidence"})

    def write(conn: Connection) -> None:
        order = orders.require(conn, order_id)
        context = reply_context.reply_context(conn, order, db.utcnow())
        phone = parse_whatsapp_id(context.phone.whatsapp_id) if context.phone else None
        consent.record(conn, state_=wanted, source="staff", customer_id=order.customer_id,
                       phone_key=phone.key if phone else None, staff=staff, evidence=evidence.strip())

    db.write(write, url)
    return order_panel(order_id, url)
