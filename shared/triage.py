"""The inbox's decisions: who a sender is, which order holds which messages, and undoing either.

"Never guess" stores a sender no customer matches (or several do) as ``unmatched`` /
``ambiguous``; this is where a person decides instead. Every decision is ours, never
FastService's (``Cliente`` is not written):

* **assign** (or **pick_candidate** for a line several customers share): an alias
  ``WhatsAppSenderAlias`` sender → customer (and optionally an order), which
  :func:`shared.identity.match_sender` consults at ingest *before* the phone index, and which
  relinks the sender's past messages now;
* **move**: a customer's messages, a range or from a point on, to one of their orders.

Each is a ``WhatsAppTriageDecision`` row (who, when, what, how many), and each message it changed
gets a ``WhatsAppTriageLink`` row with what the message was before; the message itself carries
the decision that last set it (``TriageDecisionId``). Undo restores exactly the messages whose
``TriageDecisionId`` is still that decision, from their link rows: a message another decision
moved since is left alone. Messages an alias linked at ingest have no link row (nothing was there
before); undoing the alias gives them what matching says without it.

Decisions on one sender serialize on its lock row in ``WhatsAppState`` (ingest takes the same row
for messages the phone index cannot place, see :func:`shared.identity.match_sender`), moves on
one customer on the customer's. A second person deciding on a sender that already has an active
alias gets :class:`DecisionConflict` (409) with the decision in force.

The agent proposes (:func:`propose`, a ``WhatsAppAssignmentProposal`` row) and a person
confirms (:func:`confirm_proposal`, the same :func:`assign`) or discards it.

Logs carry decision ids and counts only: a sender key holds a phone number.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal, TypedDict

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import db, identity, observability, orders, schema, state
from shared.errors import ApiError, CustomerNotFound, InvalidParameter
from shared.identity import Match
from shared.staff import Staff
from shared.text import iso

log = observability.logger(__name__)
_m, _al, _d, _l, _p = (schema.message, schema.sender_alias, schema.triage_decision, schema.triage_link,
                       schema.assignment_proposal)
_cl, _rep = schema.cliente, schema.reparacion

DecisionKind = Literal["assign", "pick_candidate", "move"]
MAX_SENDER = 120
SENDER = re.compile(r"phone:[0-9]{6,20}|bsuid:[!-~]{1,114}")
"""A sender as the inbox names it (the OpenAPI document's pattern): a phone's matching key, or a BSUID
(printable ASCII, as WhatsApp issues them)."""
MAX_REASON = 500


class DecisionConflict(ApiError):
    """Someone else decided first (or the decision was already undone): the current state comes along."""

    status = 409
    type = "/problems/decision-conflict"
    title = "Decision conflict"

    def __init__(self, detail: str, decision: DecisionJson | None = None) -> None:
        super().__init__(detail, decision=decision)


class DecisionNotFound(ApiError):
    status = 404
    type = "/problems/decision-not-found"
    title = "Decision not found"

    def __init__(self, what: str, number: int) -> None:
        super().__init__(f"No existe {what} {number}. Actualizá la bandeja.")


class StaffJson(TypedDict):
    id: str | None
    name: str | None


class DecisionJson(TypedDict):
    """A decision as the API shows it (``TriageDecision`` in the OpenAPI document)."""

    id: int
    kind: str
    sender: str | None
    customerId: int
    customerName: str | None
    customerExists: bool
    orderId: int | None
    messageCount: int
    fromMessageId: int | None
    toMessageId: int | None
    source: str
    proposalId: int | None
    decidedBy: StaffJson | None
    decidedAt: str | None
    undoneAt: str | None
    undoneBy: StaffJson | None
    undoneCount: int | None


# --- senders --------------------------------------------------------------------------------

def parse_sender(raw: Any, parameter: str = "sender") -> str:
    """A sender as the inbox names it (``phone:<digits>`` or ``bsuid:<id>``), or :class:`InvalidParameter`."""
    text = raw if isinstance(raw, str) else ""
    if SENDER.fullmatch(text):
        return text
    raise InvalidParameter(parameter, f"{parameter} debe ser «phone:<número>» o «bsuid:<id>», como lo da la bandeja.")


def sender_messages(conn: Connection, sender: str) -> sa.ColumnElement[bool]:
    """Every stored message from or to this sender: its phone (and the BSUIDs learned for it), or its
    BSUID (and the phone learned for it)."""
    kind, _, value = sender.partition(":")
    if kind == "phone":
        return identity.messages_of(conn, [value])
    phone = identity.phone_of_bsuid(conn, value)
    return sa.or_(_m.c.Bsuid == value, _m.c.PhoneKey == phone.key) if phone else _m.c.Bsuid == value


def _rematch(conn: Connection, sender: str) -> Match:
    """What matching says of a sender without any alias (after an undo)."""
    kind, _, value = sender.partition(":")
    if kind == "phone":
        return identity.match_key(conn, value)
    phone = identity.phone_of_bsuid(conn, value)
    return identity.match_key(conn, phone.key) if phone else Match("no_phone")


def _staff_json(staff_id: str | None, name: str | None) -> StaffJson | None:
    return None if staff_id is None and name is None else {"id": staff_id, "name": name}


def _who(staff: Staff | None) -> tuple[str | None, str | None]:
    return (staff.id, staff.name) if staff else (None, None)


_DECISION = (sa.select(_d, _cl.c.Nombre, _cl.c.Apellido, _cl.c.ClienteId.label("Live"))
             .select_from(_d.outerjoin(_cl, _cl.c.ClienteId == _d.c.ClienteId)))


def decision_json(row: Any) -> DecisionJson:
    return {"id": row.Id, "kind": row.Kind, "sender": row.SenderKey, "customerId": row.ClienteId,
            "customerName": orders.full_name(row.Nombre, row.Apellido) if row.Live is not None else None,
            "customerExists": row.Live is not None, "orderId": row.ReparacionId, "messageCount": row.MessageCount,
            "fromMessageId": row.FromMessageId, "toMessageId": row.ToMessageId, "source": row.Source,
            "proposalId": row.ProposalId, "decidedBy": _staff_json(row.DecidedById, row.DecidedByName),
            "decidedAt": iso(row.DecidedAt), "undoneAt": iso(row.UndoneAt),
            "undoneBy": _staff_json(row.UndoneById, row.UndoneByName), "undoneCount": row.UndoneCount}


def _decision(conn: Connection, decision_id: int) -> DecisionJson | None:
    row = conn.execute(_DECISION.where(_d.c.Id == decision_id)).first()
    return decision_json(row) if row else None


def _active_alias(conn: Connection, sender: str) -> Any:
    """The sender's active alias with whether its customer still exists (``Live``), or ``None``."""
    return conn.execute(
        sa.select(_al.c.Id, _al.c.DecisionId, _cl.c.ClienteId.label("Live"))
        .select_from(_al.outerjoin(_cl, _cl.c.ClienteId == _al.c.ClienteId))
        .where(_al.c.SenderKey == sender, _al.c.UndoneAt.is_(None))).first()


# --- assign -----------------------------------------------------------------------------------

def _customer_and_order(conn: Connection, customer_id: int | None, order_id: int | None) -> tuple[int, int | None]:
    if order_id is not None:
        order = orders.require(conn, order_id)
        if customer_id is not None and customer_id != order.customer_id:
            raise InvalidParameter("orderId", f"La orden {order_id} no es del cliente {customer_id}.")
        if not order.customer_exists:
            raise CustomerNotFound(order.customer_id)
        return order.customer_id, order_id
    if customer_id is None:
        raise InvalidParameter("customerId", "Indicá el cliente (customerId) o una orden suya (orderId).")
    if orders.customer_phones(conn, customer_id) is None:
        raise CustomerNotFound(customer_id)
    return customer_id, None


def _record(conn: Connection, values: dict[str, Any]) -> int:
    key = conn.execute(_d.insert().values(**state.fit(_d, values))).inserted_primary_key
    assert key is not None
    return int(key[0])


def _relink(conn: Connection, decision_id: int, where: sa.ColumnElement[bool], values: dict[str, Any]) -> int:
    """Record what the messages ``where`` are now (link rows), then set ``values`` on exactly those."""
    conn.execute(_l.insert().from_select(
        ["DecisionId", "MessageId", "PrevClienteId", "PrevReparacionId", "PrevMatchStatus", "PrevMatchCandidates",
         "PrevDecisionId"],
        sa.select(sa.literal(decision_id, sa.BigInteger), _m.c.Id, _m.c.ClienteId, _m.c.ReparacionId,
                  _m.c.MatchStatus, _m.c.MatchCandidates, _m.c.TriageDecisionId).where(where)))
    linked = sa.select(_l.c.MessageId).where(_l.c.DecisionId == decision_id)
    return int(conn.execute(_m.update().where(_m.c.Id.in_(linked))
                            .values(**values, TriageDecisionId=decision_id)).rowcount)


def _assign(conn: Connection, sender: str, customer_id: int | None, order_id: int | None, *, staff: Staff | None,
            source: str, proposal_id: int | None, now: datetime) -> DecisionJson:
    state.lock(conn, identity.sender_lock_name(sender), iso(now) or "")
    current = _active_alias(conn, sender)
    if current is not None and current.Live is not None:
        raise DecisionConflict("Otra persona ya asignó este remitente. Mirá la decisión vigente; si no es "
                               "correcta, deshacela primero.", _decision(conn, current.DecisionId))
    customer, order = _customer_and_order(conn, customer_id, order_id)
    who_id, who_name = _who(staff)
    if current is not None:  # its customer was deleted: the inert alias gives way
        conn.execute(_al.update().where(_al.c.Id == current.Id)
                     .values(**state.fit(_al, {"UndoneAt": now, "UndoneById": who_id, "UndoneByName": who_name})))
    mine = sender_messages(conn, sender)
    ambiguous = conn.execute(sa.select(_m.c.MatchCandidates).where(
        mine, _m.c.MatchStatus == sa.literal_column("'ambiguous'"), _m.c.ClienteId.is_(None),
        _m.c.ReparacionId.is_(None)).order_by(_m.c.Id.desc()).limit(1)).scalar()
    kind: DecisionKind = ("pick_candidate" if ambiguous and str(customer) in ambiguous.split(",") else "assign")
    decision_id = _record(conn, {"Kind": kind, "SenderKey": sender, "ClienteId": customer, "ReparacionId": order,
                                 "MessageCount": 0, "Source": source, "ProposalId": proposal_id,
                                 "DecidedById": who_id, "DecidedByName": who_name, "DecidedAt": now})
    conn.execute(_al.insert().values(**state.fit(_al, {
        "SenderKey": sender, "ClienteId": customer, "ReparacionId": order, "DecisionId": decision_id,
        "Source": source, "DecidedById": who_id, "DecidedByName": who_name, "DecidedAt": now})))
    target = order if order is not None else conn.execute(
        sa.select(identity.only_open_order(sa.literal(customer, sa.Integer)))).scalar()
    dangling = (_m.c.MatchStatus == sa.literal_column("'assigned'")) & ~sa.exists().where(
        _cl.c.ClienteId == _m.c.ClienteId)
    # only the columns that change are set (each set column rewrites its indexes' entries: at 10,000
    # messages, setting ReparacionId to the NULL it already was doubled the time); the candidates of a
    # shared line stay on the message for the record
    values: dict[str, Any] = {"ClienteId": customer, "MatchStatus": "assigned"}
    if target is not None:
        values["ReparacionId"] = target
    count = _relink(conn, decision_id, mine & sa.or_(_m.c.ClienteId.is_(None) & _m.c.ReparacionId.is_(None),
                                                     dangling), values)
    if target is None:  # messages of a deleted customer's order come along without it
        conn.execute(_m.update().where(_m.c.TriageDecisionId == decision_id, _m.c.ReparacionId.is_not(None))
                     .values(ReparacionId=None))
    conn.execute(_d.update().where(_d.c.Id == decision_id).values(MessageCount=count))
    found = _decision(conn, decision_id)
    assert found is not None
    return found


def assign(sender: str, customer_id: int | None = None, order_id: int | None = None, staff: Staff | None = None,
           url: str | None = None) -> DecisionJson:
    """Decide that ``sender`` is the customer (of ``order_id``, when given): the alias, and the sender's
    unassigned past messages relinked to it (to ``order_id``, else to the customer's only open order).
    Raises ``DecisionConflict`` (an alias is in force), ``OrderNotFound``, ``CustomerNotFound``,
    ``InvalidParameter``."""
    now = db.utcnow()
    decision = db.write(lambda conn: _assign(conn, sender, customer_id, order_id, staff=staff, source="staff",
                                                  proposal_id=None, now=now), url)
    log.info("triage decision %s: %s, %d messages", decision["id"], decision["kind"], decision["messageCount"])
    return decision


# --- move -----------------------------------------------------------------------------------

def _message_of(conn: Connection, message_id: int, customer: int, parameter: str) -> Any:
    row = conn.execute(sa.select(_m.c.Id, _m.c.WhatsAppTimestamp, _m.c.ClienteId, _m.c.ReparacionId)
                       .where(_m.c.Id == message_id)).first()
    owned = row is not None and (row.ClienteId == customer or (row.ReparacionId is not None and conn.execute(
        sa.select(_rep.c.ClienteId).where(_rep.c.ReparacionId == row.ReparacionId)).scalar() == customer))
    if not owned:
        raise InvalidParameter(parameter, f"El mensaje {message_id} no es de este cliente. Actualizá la bandeja.")
    return row


def _after_or_at(row: Any) -> sa.ColumnElement[bool]:
    return sa.or_(_m.c.WhatsAppTimestamp > row.WhatsAppTimestamp,
                  sa.and_(_m.c.WhatsAppTimestamp == row.WhatsAppTimestamp, _m.c.Id >= row.Id))


def _before_or_at(row: Any) -> sa.ColumnElement[bool]:
    return sa.or_(_m.c.WhatsAppTimestamp < row.WhatsAppTimestamp,
                  sa.and_(_m.c.WhatsAppTimestamp == row.WhatsAppTimestamp, _m.c.Id <= row.Id))


def move(customer_id: int, order_id: int, from_message_id: int, to_message_id: int | None = None, *,
         staff: Staff | None = None, url: str | None = None) -> DecisionJson:
    """Move the customer's messages from ``from_message_id`` (to ``to_message_id``, else to the newest) to
    the order, which must be theirs. Raises ``OrderNotFound``, ``InvalidParameter``."""
    now = db.utcnow()

    def write(conn: Connection) -> DecisionJson:
        state.lock(conn, f"triage-customer:{customer_id}", iso(now) or "")
        order = orders.require(conn, order_id)
        if order.customer_id != customer_id:
            raise InvalidParameter("orderId", f"La orden {order_id} no es de este cliente. Elegí una de sus órdenes.")
        first = _message_of(conn, from_message_id, customer_id, "fromMessageId")
        last = _message_of(conn, to_message_id, customer_id, "toMessageId") if to_message_id is not None else None
        if last is not None and (last.WhatsAppTimestamp, last.Id) < (first.WhatsAppTimestamp, first.Id):
            first, last = last, first
        theirs = sa.or_(_m.c.ClienteId == customer_id,
                        _m.c.ReparacionId.in_(sa.select(_rep.c.ReparacionId).where(_rep.c.ClienteId == customer_id)))
        where = sa.and_(theirs, _after_or_at(first), *([_before_or_at(last)] if last is not None else []),
                        sa.or_(_m.c.ReparacionId.is_(None), _m.c.ReparacionId != order_id))
        who_id, who_name = _who(staff)
        decision_id = _record(conn, {"Kind": "move", "ClienteId": customer_id, "ReparacionId": order_id,
                                     "FromMessageId": first.Id, "ToMessageId": last.Id if last is not None else None,
                                     "MessageCount": 0, "Source": "staff", "DecidedById": who_id,
                                     "DecidedByName": who_name, "DecidedAt": now})
        count = _relink(conn, decision_id, where, {"ReparacionId": order_id})
        conn.execute(_d.update().where(_d.c.Id == decision_id).values(MessageCount=count))
        found = _decision(conn, decision_id)
        assert found is not None
        return found

    decision = db.write(write, url)
    log.info("triage decision %s: move, %d messages", decision["id"], decision["messageCount"])
    return decision


# --- undo -----------------------------------------------------------------------------------

_PREV = ("PrevClienteId", "PrevReparacionId", "PrevMatchStatus", "PrevMatchCandidates", "PrevDecisionId")
_RESTORES = ("ClienteId", "ReparacionId", "MatchStatus", "MatchCandidates", "TriageDecisionId")
_MAX_STATES = 50


def _restore(conn: Connection, decision_id: int, still_mine: sa.ColumnElement[bool]) -> int:
    """Put back what the decision's link rows say each message was, on the messages it still holds.

    The messages of one decision were in a handful of states before it (unmatched, ambiguous with these
    candidates...): one set-based update per state. Only past that many states, one correlated update
    reads each message's own link row (five lookups per message, several times slower)."""
    states = conn.execute(sa.select(*(_l.c[c] for c in _PREV)).where(_l.c.DecisionId == decision_id)
                          .distinct().limit(_MAX_STATES + 1)).all()
    linked = sa.select(_l.c.MessageId).where(_l.c.DecisionId == decision_id)
    if len(states) > _MAX_STATES:
        def prev(column: str) -> Any:
            return (sa.select(_l.c[column]).where(_l.c.DecisionId == decision_id, _l.c.MessageId == _m.c.Id)
                    .correlate(_m).scalar_subquery())

        return int(conn.execute(_m.update().where(still_mine, _m.c.Id.in_(linked)).values(
            **{column: prev(p) for column, p in zip(_RESTORES, _PREV, strict=True)})).rowcount)
    restored = 0
    for was in states:
        same = [_l.c[p].is_(None) if v is None else _l.c[p] == v for p, v in zip(_PREV, was, strict=True)]
        restored += int(conn.execute(_m.update().where(still_mine, _m.c.Id.in_(linked.where(*same))).values(
            **dict(zip(_RESTORES, was, strict=True)))).rowcount)
    return restored


def undo(decision_id: int, staff: Staff | None = None, url: str | None = None) -> DecisionJson:
    """Undo a decision: exactly the messages it set and no later decision moved are put back as they
    were; an assignment's alias stops applying. Raises ``DecisionNotFound``, ``DecisionConflict``
    (already undone)."""
    now = db.utcnow()

    def write(conn: Connection) -> DecisionJson:
        row = conn.execute(sa.select(_d).where(_d.c.Id == decision_id)).first()
        if row is None:
            raise DecisionNotFound("la decisión", decision_id)
        lock = (identity.sender_lock_name(row.SenderKey) if row.SenderKey else f"triage-customer:{row.ClienteId}")
        state.lock(conn, lock, iso(now) or "")
        row = conn.execute(sa.select(_d).where(_d.c.Id == decision_id)).one()  # as it is once we hold the lock
        if row.UndoneAt is not None:
            raise DecisionConflict("Esta decisión ya se deshizo.", _decision(conn, decision_id))
        still_mine = _m.c.TriageDecisionId == decision_id
        restored = _restore(conn, decision_id, still_mine)
        who_id, who_name = _who(staff)
        if row.Kind != "move":
            conn.execute(_al.update().where(_al.c.DecisionId == decision_id, _al.c.UndoneAt.is_(None)).values(
                **state.fit(_al, {"UndoneAt": now, "UndoneById": who_id, "UndoneByName": who_name})))
            # linked at ingest through the alias: what matching says without it
            match = _rematch(conn, row.SenderKey)
            restored += int(conn.execute(_m.update().where(still_mine).values(
                ClienteId=match.customer_id, ReparacionId=match.order_id, MatchStatus=match.status,
                MatchCandidates=",".join(map(str, match.candidates)) if match.status == "ambiguous" else None,
                TriageDecisionId=None)).rowcount)
        conn.execute(_d.update().where(_d.c.Id == decision_id).values(**state.fit(_d, {
            "UndoneAt": now, "UndoneById": who_id, "UndoneByName": who_name, "UndoneCount": restored})))
        found = _decision(conn, decision_id)
        assert found is not None
        return found

    decision = db.write(write, url)
    log.info("triage decision %s undone: %d messages restored", decision_id, decision["undoneCount"])
    return decision


# --- history --------------------------------------------------------------------------------

MAX_HISTORY = 100


def history(sender: str | None = None, customer_id: int | None = None, limit: int = 50,
            url: str | None = None) -> dict[str, list[DecisionJson]]:
    """The decisions about a sender or a customer, newest first (who, when, what changed)."""
    if (sender is None) == (customer_id is None):
        raise InvalidParameter("sender", "Indicá exactamente uno: sender o customerId.")
    where = _d.c.SenderKey == sender if sender is not None else _d.c.ClienteId == customer_id

    def read(conn: Connection) -> dict[str, list[DecisionJson]]:
        rows = conn.execute(_DECISION.where(where).order_by(_d.c.DecidedAt.desc(), _d.c.Id.desc()).limit(limit))
        return {"decisions": [decision_json(r) for r in rows]}

    return db.read(read, url)


# --- the agent proposes, a person decides ---------------------------------------------------------

class ProposalJson(TypedDict):
    id: int
    sender: str
    customerId: int
    customerName: str | None
    orderId: int | None
    reason: str | None
    status: str
    proposedAt: str | None
    decidedAt: str | None
    decidedBy: StaffJson | None
    decisionId: int | None


_PROPOSAL = (sa.select(_p, _cl.c.Nombre, _cl.c.Apellido, _cl.c.ClienteId.label("Live"))
             .select_from(_p.outerjoin(_cl, _cl.c.ClienteId == _p.c.ClienteId)))


def proposal_json(row: Any) -> ProposalJson:
    return {"id": row.Id, "sender": row.SenderKey, "customerId": row.ClienteId,
            "customerName": orders.full_name(row.Nombre, row.Apellido) if row.Live is not None else None,
            "orderId": row.ReparacionId, "reason": row.Reason, "status": row.Status,
            "proposedAt": iso(row.ProposedAt), "decidedAt": iso(row.DecidedAt),
            "decidedBy": _staff_json(row.DecidedById, row.DecidedByName), "decisionId": row.DecisionId}


def _proposal(conn: Connection, proposal_id: int) -> ProposalJson:
    row = conn.execute(_PROPOSAL.where(_p.c.Id == proposal_id)).first()
    if row is None:
        raise DecisionNotFound("la propuesta", proposal_id)
    return proposal_json(row)


def propose(sender: str, customer_id: int | None, order_id: int | None, reason: str | None,
            url: str | None = None) -> ProposalJson:
    """The agent's proposal that ``sender`` is this customer; nothing is linked until a person confirms.
    The same pending proposal again is answered with the one already there."""
    now = db.utcnow()

    def write(conn: Connection) -> ProposalJson:
        state.lock(conn, identity.sender_lock_name(sender), iso(now) or "")
        current = _active_alias(conn, sender)
        if current is not None and current.Live is not None:
            raise DecisionConflict("Este remitente ya está asignado por una persona; no hace falta proponerlo.",
                                   _decision(conn, current.DecisionId))
        customer, order = _customer_and_order(conn, customer_id, order_id)
        same = conn.execute(sa.select(_p.c.Id).where(
            _p.c.SenderKey == sender, _p.c.Status == sa.literal_column("'pending'"), _p.c.ClienteId == customer,
            _p.c.ReparacionId.is_(None) if order is None else _p.c.ReparacionId == order)).scalar()
        if same is not None:
            return _proposal(conn, same)
        key = conn.execute(_p.insert().values(**state.fit(_p, {
            "SenderKey": sender, "ClienteId": customer, "ReparacionId": order,
            "Reason": (reason or "").strip()[:MAX_REASON] or None, "Status": "pending",
            "ProposedAt": now}))).inserted_primary_key
        assert key is not None
        return _proposal(conn, int(key[0]))

    found = db.write(write, url)
    log.info("assignment proposal %s: %s", found["id"], found["status"])
    return found


def _pending(conn: Connection, proposal_id: int) -> Any:
    row = conn.execute(sa.select(_p).where(_p.c.Id == proposal_id)).first()
    if row is None:
        raise DecisionNotFound("la propuesta", proposal_id)
    if row.Status != "pending":
        raise DecisionConflict("Esta propuesta ya se resolvió.",
                               _decision(conn, row.DecisionId) if row.DecisionId else None)
    return row


def confirm_proposal(proposal_id: int, staff: Staff | None = None, url: str | None = None) -> DecisionJson:
    """A person confirms the agent's proposal: the same assignment as :func:`assign`, recorded as proposed."""
    now = db.utcnow()

    def write(conn: Connection) -> DecisionJson:
        row = _pending(conn, proposal_id)
        state.lock(conn, identity.sender_lock_name(row.SenderKey), iso(now) or "")
        row = _pending(conn, proposal_id)
        decision = _assign(conn, row.SenderKey, row.ClienteId, row.ReparacionId, staff=staff,
                           source="agent-proposal", proposal_id=proposal_id, now=now)
        who_id, who_name = _who(staff)
        conn.execute(_p.update().where(_p.c.Id == proposal_id).values(**state.fit(_p, {
            "Status": "confirmed", "DecidedAt": now, "DecidedById": who_id, "DecidedByName": who_name,
            "DecisionId": decision["id"]})))
        return decision

    decision = db.write(write, url)
    log.info("assignment proposal %s confirmed: decision %s, %d messages", proposal_id, decision["id"],
             decision["messageCount"])
    return decision


def discard_proposal(proposal_id: int, staff: Staff | None = None, url: str | None = None) -> ProposalJson:
    """A person discards the agent's proposal; nothing is linked."""
    now = db.utcnow()

    def write(conn: Connection) -> ProposalJson:
        _pending(conn, proposal_id)
        who_id, who_name = _who(staff)
        conn.execute(_p.update().where(_p.c.Id == proposal_id, _p.c.Status == "pending").values(**state.fit(_p, {
            "Status": "discarded", "DecidedAt": now, "DecidedById": who_id, "DecidedByName": who_name})))
        return _proposal(conn, proposal_id)

    found = db.write(write, url)
    log.info("assignment proposal %s discarded", proposal_id)
    return found

