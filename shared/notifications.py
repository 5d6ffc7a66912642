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
``sent`` (staff clicked) | ``skipped`` (reason) | ``superseded``.
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

from shared import config, consent, db, observability, orders, outbox, reply_context, schema, state
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
    parts = raw.split(":") if raw else []
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
    if not raw:
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


def changed_orders(conn: Connection, since: datetime | None, after: tuple[datetime, int] | None,
                   limit: int) -> list[Any]:
    """A page of orders modified after ``since``, in (ModificadoEn, ReparacionId) order after ``after``."""
    query = sa.select(_rep.c.ReparacionId, _rep.c.ClienteId, _rep.c.EstadoReparacionId, _rep.c.ModificadoEn)
    if since is not None:
        query = query.where(_rep.c.ModificadoEn > since)
    if after is not None:
        query = query.where(sa.or_(_rep.c.ModificadoEn > after[0],
                                   sa.and_(_rep.c.ModificadoEn == after[0], _rep.c.ReparacionId > after[1])))
    return list(conn.execute(query.order_by(_rep.c.ModificadoEn, _rep.c.ReparacionId).limit(limit)).all())


def _supersede(conn: Connection, order_id: int, below_seq: int, now: datetime) -> int:
    return int(conn.execute(_n.update().where(
        _n.c.ReparacionId == order_id, _n.c.State.in_(OPEN), _n.c.ChangeSeq < below_seq,
        _n.c.Kind.in_((STATUS, REMINDER))).values(
        State=SUPERSEDED, Reason="Un cambio de estado posterior lo reemplazó.", UpdatedAt=now)).rowcount)


def _queue(conn: Connection, row: dict[str, Any], now: datetime, settle: bool = True) -> int | None:
    """Insert a notification (once: ``None`` when its unique key exists), due after the settle time and
    outside quiet hours."""
    due = now + timedelta(minutes=config.get_float("NOTIFY_SETTLE_MINUTES")) if settle else now
    held = after_quiet_hours(due) if row["Mode"] == AUTO else due  # staff choose when to send an offer
    full = {"State": HELD if held != due else QUEUED, "DueAt": held, "CreatedAt": now, "UpdatedAt": now,
            "Reason": None, "OutboxId": None, **row}
    return state.insert_once(conn, _n, full)


def _page(conn: Connection, rows: list[Any], baseline: bool, now: datetime, report: PollReport) -> None:
    ids = [int(r.ReparacionId) for r in rows]
    seen = {int(r.ReparacionId): r for r in conn.execute(sa.select(_os).where(_os.c.ReparacionId.in_(ids))).all()}
    by_status = status_rules(conn) if not baseline else {}
    max_age = timedelta(minutes=config.get_float("NOTIFY_MAX_AGE_MINUTES"))
    fresh = []
    for r in rows:
        order_id, status = int(r.ReparacionId), int(r.EstadoReparacionId)
        before = seen.get(order_id)
        if before is None:
            fresh.append({"ReparacionId": order_id, "EstadoReparacionId": status, "ChangeSeq": 0,
                          "ModificadoEn": r.ModificadoEn, "SeenAt": now, "ChangedAt": r.ModificadoEn})
            continue
        if int(before.EstadoReparacionId) == status:
            continue
        seq = int(before.ChangeSeq) + 1
        won = conn.execute(_os.update().where(
            _os.c.ReparacionId == order_id, _os.c.EstadoReparacionId == before.EstadoReparacionId,
            _os.c.ChangeSeq == before.ChangeSeq).values(
            EstadoReparacionId=status, ChangeSeq=seq, ModificadoEn=r.ModificadoEn, SeenAt=now,
            ChangedAt=r.ModificadoEn)).rowcount
        if not won:
            continue  # another poller took this change
        report.changes += 1
        report.superseded += _supersede(conn, order_id, seq, now)
        rule = by_status.get(status)
        if rule is None:
            continue
        row = {"ReparacionId": order_id, "ClienteId": int(r.ClienteId), "Kind": STATUS, "ChangeSeq": seq, "Step": 0,
               "EstadoReparacionId": status, "Purpose": rule.purpose, "Mode": rule.mode, "ChangedAt": r.ModificadoEn}
        if r.ModificadoEn < now - max_age:
            report.too_old += 1
            reason = REASONS["too_old"].format(minutes=int(max_age.total_seconds() // 60))
            state.insert_once(conn, _n, {**row, "State": SKIPPED, "DueAt": now, "CreatedAt": now, "UpdatedAt": now,
                                         "Reason": reason})
            continue
        if _queue(conn, row, now) is not None:
            report.notifications += 1
    for row in fresh:  # first sight of an order: a new order, or the first run's baseline
        if state.insert_once(conn, _os, row) is None:
            continue  # another poller recorded it
        report.baseline += 1
        if baseline:
            continue
        rule = by_status.get(int(row["EstadoReparacionId"]))
        if rule is not None and row["ModificadoEn"] >= now - max_age:
            order = next(r for r in rows if int(r.ReparacionId) == row["ReparacionId"])
            if _queue(conn, {"ReparacionId": row["ReparacionId"], "ClienteId": int(order.ClienteId), "Kind": STATUS,
                             "ChangeSeq": 0, "Step": 0, "EstadoReparacionId": row["EstadoReparacionId"],
                             "Purpose": rule.purpose, "Mode": rule.mode, "ChangedAt": row["ModificadoEn"]},
                      now) is not None:
                report.notifications += 1


def poll(url: str | None = None, now: datetime | None = None, time_budget: float = 120.0) -> PollReport:
    """One polling run: page after page of orders changed since the watermark (minus the overlap)."""
    report = PollReport()
    size = config.get_int("NOTIFY_BATCH_SIZE")
    overlap = timedelta(minutes=config.get_float("NOTIFY_OVERLAP_MINUTES"))
    deadline = time.monotonic() + time_budget
    started = db.read(lambda conn: _parse_watermark(state.value(conn, WATERMARK)), url)
    baseline = started is None
    since = None if started is None else started - overlap
    after: tuple[datetime, int] | None = None
    while time.monotonic() < deadline:
        at = now or db.utcnow()

        def step(conn: Connection, at: datetime = at, after: tuple[datetime, int] | None = after) -> list[Any]:
            rows = changed_orders(conn, since, after, size)
            if rows:
                _page(conn, rows, baseline, at, report)
                last = rows[-1].ModificadoEn
                state.upsert(conn, schema.state, {"Name": WATERMARK}, {"Value": last.isoformat(), "UpdatedAt": at},
                             when=schema.state.c.Value < last.isoformat())
            elif baseline:  # an empty FastService: the baseline is done all the same
                state.upsert(conn, schema.state, {"Name": WATERMARK}, {"Value": at.isoformat(), "UpdatedAt": at},
                             when=schema.state.c.Value < "")
            return rows

        rows = db.write(step, url)
        report.read += len(rows)
        report.pages += 1
        if len(rows) < size:
            break
        after = (rows[-1].ModificadoEn, int(rows[-1].ReparacionId))
    report.reminders = db.write(lambda conn: _reminders(conn, now or db.utcnow()), url)
    log.info("notify poll: %s", report.as_dict())
    return report


def _reminders(conn: Connection, now: datetime) -> int:
    """Pickup reminders due: orders we saw enter a ``reparado`` status, still in it, not delivered."""
    spec = reminder()
    if spec is None:
        return 0
    ready = [s for s, r in status_rules(conn).items() if r.purpose == "reparado"]
    if not ready:
        return 0
    rows = conn.execute(sa.select(_os.c.ReparacionId, _os.c.ChangeSeq, _os.c.ChangedAt, _os.c.EstadoReparacionId,
                                  _rep.c.ClienteId)
                        .join(_rep, _rep.c.ReparacionId == _os.c.ReparacionId)
                        .where(_os.c.EstadoReparacionId.in_(ready), _os.c.ChangeSeq > 0,
                               _rep.c.EstadoReparacionId == _os.c.EstadoReparacionId, _rep.c.FechaEntrega.is_(None),
                               _os.c.ChangedAt <= now - timedelta(days=spec.days[0]))).all()
    written = 0
    for r in rows:
        step = max(d for d in spec.days if r.ChangedAt <= now - timedelta(days=d))
        done = conn.execute(sa.select(_n.c.Id).where(
            _n.c.ReparacionId == r.ReparacionId, _n.c.Kind == REMINDER, _n.c.ChangeSeq == r.ChangeSeq,
            _n.c.Step >= step).limit(1)).first()
        if done is not None:
            continue
        if _queue(conn, {"ReparacionId": r.ReparacionId, "ClienteId": r.ClienteId, "Kind": REMINDER,
                         "ChangeSeq": r.ChangeSeq, "Step": step, "EstadoReparacionId": r.EstadoReparacionId,
                         "Purpose": spec.purpose, "Mode": spec.mode, "ChangedAt": r.ChangedAt},
                  now, settle=False) is not None:
            written += 1
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


def _consent_of(conn: Connection, row: Any) -> consent.Consent:
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
          sender: outbox.Sender | None) -> dict[str, Any]:
    """Send the notification through the staff replies' path (the outbox); the notification becomes ``sent``
    in the very transaction that writes the outbox row, only if it is still in ``from_states`` and the
    customer still agrees (checked again there)."""
    from shared import replies

    def mark(conn: Connection, outbox_id: int) -> None:
        if row.Kind != OUTDATED_QUOTE:
            agreed = _consent_of(conn, row)
            if agreed.state != consent.OPTED_IN:
                raise ConsentMissing(agreed.state)
        moved = conn.execute(_n.update().where(_n.c.Id == row.Id, _n.c.State.in_(from_states)).values(
            State=SENT, OutboxId=outbox_id, DecidedByStaffId=staff.id if staff else None,
            DecidedByName=staff.name if staff else None, Reason=None, UpdatedAt=db.utcnow())).rowcount
        if not moved:
            raise NotificationGone()

    answer, _ = replies.send(int(row.ReparacionId), _request(row), staff, url, sender=sender, on_insert=mark)
    return answer


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
                    agreed = _consent_of(conn, row)
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
    ``clientRequestId``: a double click answers the same send)."""
    row = db.read(lambda conn: conn.execute(sa.select(_n).where(_n.c.Id == notification_id,
                                                                _n.c.ReparacionId == order_id)).first(), url)
    if row is None:
        raise NotificationGone()
    if row.State == SENT and row.OutboxId is not None:
        from shared import replies

        return {"notification": _dto(row, None), "send": replies.answer(int(row.OutboxId), url)}
    answer = _send(row, staff, (OFFERED,), url, sender)
    fresh = db.read(lambda conn: conn.execute(sa.select(_n).where(_n.c.Id == notification_id)).first(), url)
    return {"notification": _dto(fresh, None), "send": answer}


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

    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidParameter("body", "El cuerpo del pedido no es JSON válido.") from exc
    if not isinstance(body, dict):
        raise InvalidParameter("body", "El cuerpo del pedido debe ser un objeto JSON: {state, evidence}.")
    wanted = body.get("state")
    if wanted not in (consent.OPTED_IN, consent.OPTED_OUT):
        raise InvalidParameter("state", "state debe ser opted_in u opted_out.")
    evidence = body.get("evidence")
    if not isinstance(evidence, str) or not evidence.strip() or len(evidence) > 500:
        raise InvalidParameter("evidence", "Contá cómo dio (o retiró) el consentimiento, por ejemplo: «lo firmó en "
                                           "la orden de ingreso» (hasta 500 caracteres).")
    unknown = sorted(set(body) - {"state", "evidence"})
    if unknown:
        raise InvalidParameter(unknown[0], f"Campo desconocido: {unknown[0][:40]}.")

    def write(conn: Connection) -> None:
        order = orders.require(conn, order_id)
        context = reply_context.reply_context(conn, order, db.utcnow())
        phone = parse_whatsapp_id(context.phone.whatsapp_id) if context.phone else None
        consent.record(conn, state_=wanted, source="staff", customer_id=order.customer_id,
                       phone_key=phone.key if phone else None, staff=staff, evidence=evidence.strip())

    db.write(write, url)
    return order_panel(order_id, url)
