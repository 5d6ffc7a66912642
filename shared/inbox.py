"""The inbox: the conversations that need a person, by tab, and the counts for FastService's menu badge.

Everything staff saw before was inside one order; what no order holds was visible nowhere. Tabs:

* ``unassigned`` (*Sin asignar*): senders no customer matches (``unmatched``, or a hidden number
  we know only by BSUID: ``no_phone``), grouped by sender;
* ``ambiguous`` (*Ambiguos*): senders whose line several customers share, with the candidates;
* ``multiple_orders`` (*Varias órdenes*): customers with messages no order holds (several open
  orders, or none, when they wrote), with their open orders;
* ``awaiting_reply`` (*Esperan respuesta*): orders whose customer wrote last and got no answer
  (reactions aside; a reply that failed to reach them is no answer), over the last
  ``INBOX_AWAITING_DAYS`` days, the 24-hour window's end first (closed ones, then soonest to close).
  This is the one definition: the agent's ``list_orders_awaiting_reply`` reads it too.
* *Avisos*: offered notifications and quote taps across orders (``shared/notice_inbox.py``, its own
  routes: they are rows of issue 18's tables, not messages); its count is in :func:`counts`.

Each tab is one query over one filtered index of ``WhatsAppMessage`` (``shared/schema.py``): the
conditions are written here with literals, never parameters, because neither SQLite nor SQL Server
uses a partial/filtered index for a condition it cannot check when the statement is compiled.
Pages go newest first (awaiting: window end first) with an opaque cursor. ``bench/bench_inbox.py``
measures each tab and the counts at 1,000,000 messages.

Logs at INFO carry the tab and counts only: a sender key holds a phone number.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Final, Literal, TypedDict

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import Alias

from shared import config, conversation, db, notice_inbox, observability, orders, params, schema, triage
from shared.errors import InvalidParameter
from shared.event_parsing import STATUS_RANK
from shared.reply_context import WINDOW
from shared.text import iso

log = observability.logger(__name__)
_m, _st, _cl, _rep = schema.message, schema.message_status, schema.cliente, schema.reparacion
_al, _p = schema.sender_alias, schema.assignment_proposal

Tab = Literal["unassigned", "ambiguous", "multiple_orders", "awaiting_reply"]
TABS: Final[tuple[Tab, ...]] = ("unassigned", "ambiguous", "multiple_orders", "awaiting_reply")
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
PREVIEW_CHARS = 200


def _lit(text: str) -> sa.ColumnElement[Any]:
    """A string constant written into the statement (so a filtered index can be matched to it)."""
    assert text.isidentifier()
    return sa.literal_column(f"'{text}'")


class IndexedBy(Alias):
    """``WhatsAppMessage`` read through one named (filtered) index.

    SQLite's planner estimates ``ReparacionId IS NULL`` or ``PhoneKey IS NULL`` from its average rows per
    key (about 67 and 11 here), not knowing that NULL is the most common value, and then prefers those
    full indexes to the small filtered one: 700 ms instead of 2 on the 1,000,000-message data set. So on
    SQLite the tab names its index (``INDEXED BY``, which also fails loudly should the query ever stop
    matching the index's condition). SQL Server's histograms count NULLs; it chooses on its own.
    """

    inherit_cache = True


@compiles(IndexedBy, "sqlite")
def _indexed_by_sqlite(element: IndexedBy, compiler: Any, **kw: Any) -> str:
    text: str = compiler.visit_alias(element, **kw)
    return f'{text} INDEXED BY "{element.name}"' if kw.get("asfrom") else text


def _via(index: str) -> sa.Alias:
    return IndexedBy._construct(_m, name=index)


def unassigned(t: sa.Table | sa.Alias) -> sa.ColumnElement[bool]:
    """No customer and no order: the rows of IX_WhatsAppMessage_Unassigned_Phone / _Bsuid."""
    return t.c.ClienteId.is_(None) & t.c.ReparacionId.is_(None)


UNASSIGNED = unassigned(_m)
_PHONE, _BSUID, _UNLINKED = (_via("IX_WhatsAppMessage_Unassigned_Phone"), _via("IX_WhatsAppMessage_Unassigned_Bsuid"),
                             _via("IX_WhatsAppMessage_Unlinked_Customer"))


def _by_phone(status: str) -> sa.ColumnElement[bool]:
    return unassigned(_PHONE) & _PHONE.c.PhoneKey.is_not(None) & (_PHONE.c.MatchStatus == _lit(status))


_BY_BSUID = unassigned(_BSUID) & _BSUID.c.PhoneKey.is_(None) & _BSUID.c.Bsuid.is_not(None)
_IS_UNLINKED = (_UNLINKED.c.ReparacionId.is_(None) & _UNLINKED.c.ClienteId.is_not(None)
                & _UNLINKED.c.Source.is_(None))
"""A customer's live messages no order holds (imported history is not triage): the rows of
IX_WhatsAppMessage_Unlinked_Customer."""
_INBOUND_LINKED = (_m.c.Direction == _lit("inbound")) & _m.c.ReparacionId.is_not(None)
"""The rows of IX_WhatsAppMessage_Inbound_Linked."""


def parse_tab(raw: str | None) -> Tab:
    for tab in TABS:
        if raw == tab:
            return tab
    raise InvalidParameter("tab", "tab debe ser unassigned, ambiguous, multiple_orders o awaiting_reply.")


class MessagePreview(TypedDict):
    id: int
    direction: str
    at: str | None
    text: str


def _preview(row: Any) -> MessagePreview:
    text = conversation.message_text(row.MessageType, row.Content, file_name=row.MediaFileName,
                                     caption=row.MediaCaption, choice=row.ChoiceTitle, emoji=row.ReactionEmoji)
    return {"id": row.Id, "direction": row.Direction, "at": iso(row.WhatsAppTimestamp),
            "text": text[:PREVIEW_CHARS]}


def _messages(conn: Connection, ids: list[int]) -> dict[int, Any]:
    if not ids:
        return {}
    rows = conn.execute(sa.select(_m.c.Id, _m.c.Direction, _m.c.WhatsAppTimestamp, _m.c.MessageType, _m.c.Content,
                                  _m.c.MediaFileName, _m.c.MediaCaption, _m.c.ChoiceTitle, _m.c.ReactionEmoji,
                                  _m.c.PhoneNumber, _m.c.MatchCandidates).where(_m.c.Id.in_(ids)))
    return {row.Id: row for row in rows}


def _names(conn: Connection, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = conn.execute(sa.select(_cl.c.ClienteId, _cl.c.Nombre, _cl.c.Apellido).where(_cl.c.ClienteId.in_(ids)))
    return {r.ClienteId: orders.full_name(r.Nombre, r.Apellido) for r in rows}


def _page_of(rows: Sequence[Any], limit: int) -> tuple[list[Any], str | None]:
    page = list(rows[:limit])
    more = len(rows) > limit
    return page, (conversation.encode_cursor(page[-1].LastAt, page[-1].LastId) if more and page else None)


# --- senders: unassigned and ambiguous --------------------------------------------------------

_TIME = _via("IX_WhatsAppMessage_Unassigned_Time")
STATUSES: Final[dict[str, tuple[str, ...]]] = {"unassigned": ("unmatched", "no_phone"), "ambiguous": ("ambiguous",)}


def _newer(t: sa.Alias, same_sender: sa.ColumnElement[bool]) -> sa.Exists:
    """A newer unassigned message of the same sender than the row of ``_TIME`` being read."""
    return sa.exists().where(unassigned(t), same_sender, t.c.WhatsAppTimestamp >= _TIME.c.WhatsAppTimestamp,
                             sa.or_(t.c.WhatsAppTimestamp > _TIME.c.WhatsAppTimestamp, t.c.Id > _TIME.c.Id))


_AT = sa.bindparam("at", type_=schema.DateTime2)
_LAST = sa.bindparam("last", type_=sa.BigInteger)
_N = sa.bindparam("n", type_=sa.Integer)


@cache
def _latest_per_sender(statuses: tuple[str, ...], with_cursor: bool) -> Any:
    """Each sender's newest unassigned message, newest first: the walk down the time index stops after
    ``n`` senders (each row costs one probe for a newer message of its sender), instead of grouping every
    unassigned message to sort the groups. Built once per shape (parameters ``at``, ``last``, ``n``):
    rebuilding a statement this size costs more than running it."""
    u, p, b = _TIME, _PHONE, _BSUID
    newest_of_phone = ~_newer(p, (p.c.MatchStatus == u.c.MatchStatus) & (p.c.PhoneKey == u.c.PhoneKey))
    newest_of_bsuid = ~_newer(b, b.c.PhoneKey.is_(None) & (b.c.Bsuid == u.c.Bsuid))
    # each listed sender's count, over its own range of the index (a grouped count over an IN list would
    # sort every entry first): the select list is computed only for the rows the walk keeps
    of_phone = (sa.select(sa.func.count()).select_from(p)
                .where(unassigned(p), p.c.MatchStatus == u.c.MatchStatus, p.c.PhoneKey == u.c.PhoneKey)
                .scalar_subquery())
    of_bsuid = (sa.select(sa.func.count()).select_from(b)
                .where(unassigned(b), b.c.PhoneKey.is_(None), b.c.Bsuid == u.c.Bsuid).scalar_subquery())
    messages = sa.case((u.c.PhoneKey.is_not(None), of_phone), else_=of_bsuid).label("Messages")
    query = (sa.select(u.c.Id, u.c.WhatsAppTimestamp, u.c.MatchStatus, u.c.PhoneKey, u.c.Bsuid, messages)
             .where(unassigned(u), u.c.MatchStatus.in_([_lit(x) for x in statuses]),
                    sa.or_(u.c.PhoneKey.is_not(None) & newest_of_phone,
                           u.c.PhoneKey.is_(None) & u.c.Bsuid.is_not(None) & newest_of_bsuid)))
    if with_cursor:
        query = query.where(sa.or_(u.c.WhatsAppTimestamp < _AT, sa.and_(u.c.WhatsAppTimestamp == _AT, u.c.Id < _LAST)))
    return query.order_by(u.c.WhatsAppTimestamp.desc(), u.c.Id.desc()).limit(_N)


def _position(cursor: tuple[datetime, int] | None, count: int) -> dict[str, Any]:
    return {"n": count, **({"at": cursor[0], "last": cursor[1]} if cursor is not None else {})}


def _sender_extras(conn: Connection, senders: list[str]) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Each sender's alias whose customer FastService deleted (the inbox says so), and pending proposals."""
    if not senders:
        return {}, {}
    inert = {r.SenderKey: r for r in conn.execute(
        sa.select(_al.c.SenderKey, _al.c.ClienteId, _al.c.DecisionId)
        .where(_al.c.SenderKey.in_(senders), _al.c.UndoneAt.is_(None),
               ~sa.exists().where(_cl.c.ClienteId == _al.c.ClienteId)))}
    proposals: dict[str, list[Any]] = {}
    for r in conn.execute(sa.select(_p.c.Id, _p.c.SenderKey, _p.c.ClienteId, _p.c.ReparacionId, _p.c.Reason,
                                    _p.c.ProposedAt)
                          .where(_p.c.SenderKey.in_(senders), _p.c.Status == _lit("pending"))
                          .order_by(_p.c.Id)):
        proposals.setdefault(r.SenderKey, []).append(r)
    return inert, proposals


def _senders(conn: Connection, tab: Tab, cursor: tuple[datetime, int] | None, limit: int) -> dict[str, Any]:
    statuses = STATUSES[tab]
    found = conn.execute(_latest_per_sender(statuses, cursor is not None), _position(cursor, limit + 1)).all()
    rows = list(found[:limit])
    next_cursor = (conversation.encode_cursor(rows[-1].WhatsAppTimestamp, rows[-1].Id)
                   if len(found) > limit and rows else None)
    last = _messages(conn, [r.Id for r in rows])
    keys = [f"phone:{r.PhoneKey}" if r.PhoneKey else f"bsuid:{r.Bsuid}" for r in rows]
    inert, proposals = _sender_extras(conn, keys)
    candidates = {r.Id: [int(c) for c in (last[r.Id].MatchCandidates or "").split(",") if c.isdigit()]
                  for r in rows}
    names = _names(conn, {c for ids in candidates.values() for c in ids}
                   | {p.ClienteId for ps in proposals.values() for p in ps})
    items = []
    for row, key in zip(rows, keys, strict=True):
        message = last[row.Id]
        item: dict[str, Any] = {
            "sender": key, "phone": message.PhoneNumber if row.PhoneKey else None,
            "bsuid": None if row.PhoneKey else row.Bsuid, "messageCount": int(row.Messages),
            "lastMessage": _preview(message),
            "deletedCustomerId": inert[key].ClienteId if key in inert else None,
            "proposals": [{"id": p.Id, "customerId": p.ClienteId, "customerName": names.get(p.ClienteId),
                           "orderId": p.ReparacionId, "reason": p.Reason, "proposedAt": iso(p.ProposedAt)}
                          for p in proposals.get(key, [])]}
        if tab == "ambiguous":
            item["candidates"] = [{"customerId": c, "name": names.get(c), "exists": c in names}
                                  for c in candidates[row.Id]]
        items.append(item)
    return {"tab": tab, "items": items, "nextCursor": next_cursor}


# --- customers with messages no order holds ------------------------------------------------------

_UNLINKED_TIME = _via("IX_WhatsAppMessage_Unlinked_Time")


@cache
def _customer_groups(with_cursor: bool) -> Any:
    """Each customer's newest message no order holds, newest first, with their count (parameters ``at``,
    ``last``, ``n``): the same walk as the senders' (:func:`_latest_per_sender`)."""
    u, t = _UNLINKED_TIME, _UNLINKED
    unlinked = u.c.ReparacionId.is_(None) & u.c.ClienteId.is_not(None) & u.c.Source.is_(None)
    newer = sa.exists().where(_IS_UNLINKED, t.c.ClienteId == u.c.ClienteId,
                              t.c.WhatsAppTimestamp >= u.c.WhatsAppTimestamp,
                              sa.or_(t.c.WhatsAppTimestamp > u.c.WhatsAppTimestamp, t.c.Id > u.c.Id))
    count = (sa.select(sa.func.count()).select_from(t).where(_IS_UNLINKED, t.c.ClienteId == u.c.ClienteId)
             .scalar_subquery())
    query = (sa.select(u.c.ClienteId, u.c.WhatsAppTimestamp.label("LastAt"), u.c.Id.label("LastId"),
                       count.label("Messages"))
             .where(unlinked, ~newer))
    if with_cursor:
        query = query.where(sa.or_(u.c.WhatsAppTimestamp < _AT, sa.and_(u.c.WhatsAppTimestamp == _AT, u.c.Id < _LAST)))
    return query.order_by(u.c.WhatsAppTimestamp.desc(), u.c.Id.desc()).limit(_N)


def _customers(conn: Connection, cursor: tuple[datetime, int] | None, limit: int) -> dict[str, Any]:
    found = conn.execute(_customer_groups(cursor is not None), _position(cursor, limit + 1)).all()
    rows, next_cursor = _page_of(found, limit)
    ids = [r.ClienteId for r in rows]
    last = _messages(conn, [r.LastId for r in rows])
    names = _names(conn, set(ids))
    open_orders: dict[int, list[dict[str, Any]]] = {}
    if ids:
        for r in conn.execute(sa.select(_rep.c.ReparacionId, _rep.c.ClienteId, _rep.c.CreadoEn)
                              .where(_rep.c.ClienteId.in_(ids), _rep.c.FechaEntrega.is_(None))
                              .order_by(_rep.c.CreadoEn.desc(), _rep.c.ReparacionId.desc())):
            open_orders.setdefault(r.ClienteId, []).append({"orderId": r.ReparacionId, "createdAt": iso(r.CreadoEn)})
    items = [{"customerId": r.ClienteId, "customerName": names.get(r.ClienteId),
              "customerExists": r.ClienteId in names, "messageCount": r.Messages,
              "lastMessage": _preview(last[r.LastId]), "openOrders": open_orders.get(r.ClienteId, [])}
             for r in rows]
    return {"tab": "multiple_orders", "items": items, "nextCursor": next_cursor}


# --- orders whose customer wrote last --------------------------------------------------------------

def _answered_later() -> sa.Exists:
    """A later message in the same order that counts: not a reaction, not a reply that failed."""
    later = _m.alias("later")
    failed = (later.c.Direction == _lit("outbound")) & sa.exists().where(
        _st.c.WhatsAppMessageId == later.c.WhatsAppMessageId, _st.c.StatusRank == STATUS_RANK["failed"])
    return sa.exists().where(
        later.c.ReparacionId == _m.c.ReparacionId, later.c.WhatsAppTimestamp >= _m.c.WhatsAppTimestamp,
        sa.or_(later.c.WhatsAppTimestamp > _m.c.WhatsAppTimestamp, later.c.Id > _m.c.Id),  # one range, not two
        later.c.MessageType != _lit("reaction"), ~failed)


def awaiting_where(since: datetime | sa.BindParameter[datetime]) -> sa.ColumnElement[bool]:
    """Each order's last message, when the customer wrote it (since ``since``) and nothing answered it."""
    return sa.and_(_INBOUND_LINKED, _m.c.WhatsAppTimestamp >= since, _m.c.MessageType != _lit("reaction"),
                   ~_answered_later())


def _awaiting_cursor(raw: str | None) -> tuple[str, datetime, int] | None:
    """``o.<cursor>`` while in the open windows, ``c.<cursor>`` in the closed ones."""
    if not raw:
        return None
    phase, _, rest = raw.partition(".")
    if phase not in ("o", "c"):
        raise InvalidParameter("cursor", "El cursor no es válido: usá el nextCursor de la página anterior.")
    position = conversation.optional_cursor(rest)
    assert position is not None
    return phase, *position


_AWAITING_COLUMNS = (_m.c.Id, _m.c.ReparacionId, _m.c.WhatsAppTimestamp, _m.c.MessageType, _m.c.Content,
                     _m.c.MediaFileName, _m.c.MediaCaption, _m.c.ChoiceTitle, _m.c.ReactionEmoji, _m.c.Direction,
                     _cl.c.Nombre, _cl.c.Apellido, _rep.c.FechaEntrega, _rep.c.ClienteId)


_SINCE = sa.bindparam("since", type_=schema.DateTime2)
_UNTIL = sa.bindparam("until", type_=schema.DateTime2)


@cache
def _awaiting_walk(phase: str, with_cursor: bool) -> Any:
    """One walk of :func:`awaiting` (parameters ``since``, ``until`` for the closed walk, ``at``, ``last``,
    ``n``), built once per shape."""
    query = (sa.select(*_AWAITING_COLUMNS)
             .select_from(_m.join(_rep, _rep.c.ReparacionId == _m.c.ReparacionId)
                          .outerjoin(_cl, _cl.c.ClienteId == _rep.c.ClienteId))
             .where(awaiting_where(_SINCE), *([] if phase == "o" else [_m.c.WhatsAppTimestamp < _UNTIL])))
    ts, ident = _m.c.WhatsAppTimestamp, _m.c.Id
    if phase == "o":  # soonest to close first
        if with_cursor:
            query = query.where(sa.or_(ts > _AT, sa.and_(ts == _AT, ident > _LAST)))
        query = query.order_by(ts, ident)
    else:  # closed: the most recent first
        if with_cursor:
            query = query.where(sa.or_(ts < _AT, sa.and_(ts == _AT, ident < _LAST)))
        query = query.order_by(ts.desc(), ident.desc())
    return query.limit(_N)


def _awaiting_phase(conn: Connection, phase: str, since: datetime, until: datetime | None, *,
                    after: tuple[datetime, int] | None, count: int) -> list[Any]:
    values = {"since": since, **({} if until is None else {"until": until}), **_position(after, count)}
    return list(conn.execute(_awaiting_walk(phase, after is not None), values).all())


def awaiting(conn: Connection, limit: int, cursor: str | None = None,
             now: datetime | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Orders waiting for the shop's answer: those whose 24-hour window is open, soonest to close first,
    then those whose window closed (only templates now), the most recent first, back to
    ``INBOX_AWAITING_DAYS``. The inbox's tab and the agent's tool.

    Two walks down one index: the open windows are the last 24 hours' inbound messages (each checked
    for a later answer), so the first page costs that day, never the whole look-back."""
    now = now or db.utcnow()
    opened = now - WINDOW
    horizon = now - timedelta(days=config.get_int("INBOX_AWAITING_DAYS"))
    position = _awaiting_cursor(cursor)
    rows: list[tuple[str, Any]] = []
    if position is None or position[0] == "o":
        after = None if position is None else position[1:]
        rows += [("o", r) for r in _awaiting_phase(conn, "o", opened, None, after=after, count=limit + 1)]
    if len(rows) <= limit and horizon < opened:
        after = position[1:] if position is not None and position[0] == "c" else None
        rows += [("c", r) for r in _awaiting_phase(conn, "c", horizon, opened, after=after,
                                                         count=limit + 1 - len(rows))]
    more = len(rows) > limit
    rows = rows[:limit]
    items = []
    for _phase, r in rows:
        closes = r.WhatsAppTimestamp + WINDOW
        items.append({"orderId": r.ReparacionId, "customerId": r.ClienteId,
                      "customer": orders.full_name(r.Nombre, r.Apellido), "waitingSince": iso(r.WhatsAppTimestamp),
                      "windowClosesAt": iso(closes), "windowOpen": now < closes,
                      "secondsLeft": max(0, int((closes - now).total_seconds())), "orderOpen": r.FechaEntrega is None,
                      "lastMessage": _preview(r)})
    next_cursor = None
    if more and rows:
        phase, last = rows[-1]
        next_cursor = f"{phase}.{conversation.encode_cursor(last.WhatsAppTimestamp, last.Id)}"
    return items, next_cursor


# --- the API ---------------------------------------------------------------------------------

def listing(tab: Tab, cursor: str | None = None, limit: int = DEFAULT_LIMIT, url: str | None = None,
            now: datetime | None = None) -> dict[str, Any]:
    """``GET /api/whatsapp/inbox``: one page of a tab."""
    params.in_range(limit, "limit", 1, MAX_LIMIT)
    if tab == "awaiting_reply":
        _awaiting_cursor(cursor)  # a bad cursor is a 400 before the database is asked
        position = None
    else:
        position = conversation.optional_cursor(cursor)

    def read(conn: Connection) -> dict[str, Any]:
        if tab in ("unassigned", "ambiguous"):
            return _senders(conn, tab, position, limit)
        if tab == "multiple_orders":
            return _customers(conn, position, limit)
        items, next_cursor = awaiting(conn, limit, cursor, now)
        return {"tab": tab, "items": items, "nextCursor": next_cursor}

    page = db.read(read, url)
    log.info("inbox %s: %d items", tab, len(page["items"]))
    return page


def _distinct(column: sa.ColumnElement[Any], where: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
    return sa.select(sa.func.count(sa.distinct(column))).where(where).scalar_subquery()


class Counts(TypedDict):
    unassigned: int
    ambiguous: int
    multipleOrders: int
    awaitingReply: int
    proposals: int
    notices: int


@cache
def counts_query() -> sa.Select[Any]:
    """The badge counts in one statement: senders, customers and orders, each from its filtered index.
    ``awaitingReply`` counts the orders whose window is still open (those staff can answer freely now):
    parameter ``since``, 24 hours ago."""
    awaiting_open = (sa.select(sa.func.count()).select_from(_m).where(awaiting_where(_SINCE))
                     .scalar_subquery())
    return sa.select(
        (_distinct(_PHONE.c.PhoneKey, _by_phone("unmatched"))
         + _distinct(_BSUID.c.Bsuid, _BY_BSUID)).label("unassigned"),
        _distinct(_PHONE.c.PhoneKey, _by_phone("ambiguous")).label("ambiguous"),
        _distinct(_UNLINKED.c.ClienteId, _IS_UNLINKED).label("multipleOrders"),
        awaiting_open.label("awaitingReply"),
        sa.select(sa.func.count()).select_from(_p).where(_p.c.Status == _lit("pending")).scalar_subquery()
        .label("proposals"),
        notice_inbox.offered_count().label("notices"))


def counts(url: str | None = None, now: datetime | None = None) -> Counts:
    """``GET /api/whatsapp/inbox/counts``: how many need a person per tab (FastService's menu badge)."""
    since = (now or db.utcnow()) - WINDOW
    row = db.read(lambda conn: conn.execute(counts_query(), {"since": since}).one(), url)
    found: Counts = {"unassigned": int(row.unassigned), "ambiguous": int(row.ambiguous),
                     "multipleOrders": int(row.multipleOrders), "awaitingReply": int(row.awaitingReply),
                     "proposals": int(row.proposals), "notices": int(row.notices)}
    log.info("inbox counts: %s", found)
    return found


# --- a sender's or a customer's messages that wait for a decision ------------------------------------

def messages(sender: str | None = None, customer_id: int | None = None, limit: int = conversation.DEFAULT_LIMIT,
             before: str | None = None, url: str | None = None) -> conversation.Page:
    """``GET /api/whatsapp/inbox/messages``: a sender's messages no customer holds, or a customer's no
    order holds, newest page first (what staff read before deciding)."""
    params.in_range(limit, "limit", 1, conversation.MAX_LIMIT)
    if (sender is None) == (customer_id is None):
        raise InvalidParameter("sender", "Indicá exactamente uno: sender o customerId.")

    def read(conn: Connection) -> conversation.Page:
        if sender is not None:
            where = triage.sender_messages(conn, sender) & UNASSIGNED
        else:
            where = (_m.c.ClienteId == customer_id) & _m.c.ReparacionId.is_(None)
        return conversation.page(conn, where, limit, before)

    return db.read(read, url)

