"""Who is this? Matching WhatsApp senders to FastService customers.

FastService writes ``Cliente`` directly and tells us nothing, so the phone index
(``WhatsAppCustomerPhone``) is derived and never trusted alone:

* customers created since the last look (``ClienteId`` above a watermark) are indexed
  on every lookup, so a customer typed in a minute ago matches;
* every hit is verified against the customer's *current* ``Telefono1/2`` (a read by
  primary key), so an edited or deleted phone never matches;
* the timer re-reads all customers periodically (:func:`reindex_all`, cheap: only
  changed phone text is re-derived), which finds phones added to *existing*
  customers; the order side (sync, order view) always reads the customer's phones
  live, so a message matched late is still linked by the next sync.

Nothing here normalizes the whole table per event.

Which order a new message joins (:func:`only_open_order`: the customer's only open
order, if exactly one) is answered here too, in the same round trip as the match.

A person's decision comes first (:func:`match_sender`): when staff assigned a sender in the
inbox (``WhatsAppSenderAlias``, written by :mod:`shared.triage`), that is a certainty the phone
index cannot give, so it is consulted before the index, as long as the customer it names still
exists (a customer FastService deleted makes the alias inert, never a link to nothing).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal, NamedTuple, TypedDict

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import config, db, observability, schema, state
from shared.phones import PARSER_VERSION, ParsedPhones, Phone, parse_phones

WATERMARK: Final = "customer_index_watermark"
PhoneField = Literal["Telefono1", "Telefono2"]
PHONE_FIELDS: Final[tuple[PhoneField, PhoneField]] = ("Telefono1", "Telefono2")
MatchStatus = Literal["matched", "ambiguous", "unmatched", "no_phone", "assigned"]
"""``assigned``: linked by a person's decision in the inbox (an alias), not by the phone index."""


class FieldTried(TypedDict):
    """Why one phone field gave no usable phone (the API's ``fieldsTried``)."""

    field: str
    reason: str

log = observability.logger(__name__)
_cp = schema.customer_phone
_cl = schema.cliente
_rep = schema.reparacion


@dataclass(frozen=True)
class Match:
    """The outcome of matching one phone to customers."""

    status: MatchStatus
    """``ambiguous``: several customers share the line."""
    customer_id: int | None = None
    candidates: tuple[int, ...] = ()
    order_id: int | None = None
    """The matched customer's only open order (see :func:`only_open_order`)."""
    decision_id: int | None = None
    """The inbox decision behind an ``assigned`` match (``WhatsAppMessage.TriageDecisionId``)."""


def read_phone_field(value: str | None) -> ParsedPhones:
    """A ``Telefono1/2`` value read with the configured region and default area code."""
    return parse_phones(value, config.get("DEFAULT_REGION"), config.get("DEFAULT_AREA_CODE"))


def phones_hash(telefono1: str | None, telefono2: str | None) -> str:
    """Fingerprint of what a customer's phone index is derived from (text, settings, parser)."""
    text = "\x1f".join((PARSER_VERSION, config.get("DEFAULT_REGION"), config.get("DEFAULT_AREA_CODE"),
                        telefono1 or "", telefono2 or ""))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def fields_tried(telefono1: str | None, telefono2: str | None) -> list[FieldTried]:
    """Why each phone field gives no usable phone (asked when neither gives one)."""
    return [{"field": field, "reason": read_phone_field(value).reason or "sin número utilizable"}
            for field, value in zip(PHONE_FIELDS, (telefono1, telefono2), strict=True)]


def customer_phones(telefono1: str | None, telefono2: str | None) -> list[tuple[PhoneField, Phone]]:
    """The customer's phones as ``(field, phone)``, ``Telefono1`` first, without repeats."""
    region, area = config.get("DEFAULT_REGION"), config.get("DEFAULT_AREA_CODE")
    seen: set[str] = set()
    result: list[tuple[PhoneField, Phone]] = []
    for field, value in zip(PHONE_FIELDS, (telefono1, telefono2), strict=True):
        for phone in parse_phones(value, region, area).phones:
            if phone.key not in seen:
                seen.add(phone.key)
                result.append((field, phone))
    return result


class _CustomerRow(NamedTuple):
    ClienteId: int
    Telefono1: str | None
    Telefono2: str | None


def index_customer(conn: Connection, cliente_id: int, telefono1: str | None,
                   telefono2: str | None) -> list[tuple[PhoneField, Phone]]:
    """Bring one customer's index rows in line with their fields; their phones now."""
    index_customers(conn, [_CustomerRow(cliente_id, telefono1, telefono2)])
    return customer_phones(telefono1, telefono2)


_IN_CHUNK = 1000  # ids per IN list: under SQL Server's 2,100 parameters


def index_customers(conn: Connection, rows: Iterable[Any]) -> int:
    """Bring the index of these ``Cliente`` rows (``ClienteId, Telefono1, Telefono2``) in line with
    their current fields, in bulk: one read of the stored fingerprints, phones re-derived only for
    customers whose text (or the region settings) changed, one delete and one insert. Returns how
    many customers changed."""
    rows = list(rows)
    stored: dict[int, set[str]] = {}
    for start in range(0, len(rows), _IN_CHUNK):
        ids = [row.ClienteId for row in rows[start:start + _IN_CHUNK]]
        for cliente_id, fingerprint in conn.execute(
                sa.select(_cp.c.ClienteId, _cp.c.PhonesHash).where(_cp.c.ClienteId.in_(ids))):
            stored.setdefault(cliente_id, set()).add(fingerprint)
    changed, fresh = [], []
    now = db.utcnow()
    for row in rows:
        fingerprint = phones_hash(row.Telefono1, row.Telefono2)
        if stored.get(row.ClienteId) == {fingerprint}:
            continue
        phones = customer_phones(row.Telefono1, row.Telefono2)
        if not phones and row.ClienteId not in stored:
            continue  # no phone before, none now
        changed.append(row.ClienteId)
        fresh += [{"ClienteId": row.ClienteId, "SourceField": field, "PhoneKey": phone.key, "E164": phone.e164,
                   "PhonesHash": fingerprint, "IndexedAt": now} for field, phone in phones]
    if changed:
        try:
            with conn.begin_nested():
                _replace(conn, changed, fresh)
        except sa.exc.IntegrityError:
            # another worker indexed some of these customers at the same moment: do them one by
            # one, so only those it wrote (with the same rows) are left to it
            for cliente_id in changed:
                try:
                    with conn.begin_nested():
                        _replace(conn, [cliente_id], [r for r in fresh if r["ClienteId"] == cliente_id])
                except sa.exc.IntegrityError:
                    pass
    return len(changed)


def _replace(conn: Connection, ids: list[int], rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(ids), _IN_CHUNK):
        conn.execute(_cp.delete().where(_cp.c.ClienteId.in_(ids[start:start + _IN_CHUNK])))
    if rows:
        conn.execute(_cp.insert(), rows)


NEW_CUSTOMERS_BATCH = 1000
"""At most this many not-yet-indexed customers are indexed while matching one event (about
0.1 s): a backlog (the first events on an existing database) is worked off over several events
and by ``refresh_phone_index``, never all inside one event."""
_WATERMARK_VALUE = state.int_value(WATERMARK)
_NEW_CUSTOMERS = (
    sa.select(_cl.c.ClienteId, _cl.c.Telefono1, _cl.c.Telefono2)
    .where(_cl.c.ClienteId > _WATERMARK_VALUE).order_by(_cl.c.ClienteId).limit(NEW_CUSTOMERS_BATCH))


def _index_new(conn: Connection, rows: list[Any]) -> None:
    """Index customers created since the last look and move the watermark past them."""
    if rows:
        index_customers(conn, rows)
        state.put(conn, WATERMARK, str(max(row.ClienteId for row in rows)))


def reindex_all(url: str | None = None, batch: int = 5000) -> int:
    """Re-read every customer's phones in batches (one transaction each); customers read.

    Only customers whose phone text changed are re-derived (``bench/bench_ingest.py``
    measures a run over 100,000 customers, up to date and from an empty index)."""

    def step(conn: Connection, after: int) -> list[int]:
        rows = conn.execute(
            sa.select(_cl.c.ClienteId, _cl.c.Telefono1, _cl.c.Telefono2)
            .where(_cl.c.ClienteId > after).order_by(_cl.c.ClienteId).limit(batch)).all()
        index_customers(conn, rows)
        if rows and rows[-1].ClienteId > int(state.value(conn, WATERMARK) or 0):
            state.put(conn, WATERMARK, str(rows[-1].ClienteId))
        return [row.ClienteId for row in rows]

    def drop_deleted(conn: Connection) -> None:
        conn.execute(_cp.delete().where(~sa.exists().where(_cl.c.ClienteId == _cp.c.ClienteId)))

    seen, after = 0, 0
    while ids := db.write(lambda conn, after=after: step(conn, after), url):  # type: ignore[misc]
        seen += len(ids)
        after = ids[-1]
    db.write(drop_deleted, url)
    return seen


def only_open_order(cliente_id: sa.ColumnElement[int]) -> sa.ScalarSelect[int]:
    """The order a new message joins on arrival: the customer's only open order, if exactly one.

    A correlated scalar (NULL with none or several open orders: then the message waits,
    unlinked, for a sync of the order staff are looking at), so matching can fetch it in
    the same round trip as the customer.
    """
    inner = _rep.alias("open_order")
    return (sa.select(sa.case((sa.func.count() == 1, sa.func.min(inner.c.ReparacionId))))
            .where(inner.c.ClienteId == cliente_id, inner.c.FechaEntrega.is_(None))
            .scalar_subquery())


# One round trip: the indexed candidates for a key, any customer created since the last look
# (PhonesHash NULL marks those: they are not indexed yet), and the active inbox aliases of the
# sender's keys ``k1``/``k2`` (AliasKey set marks those). Every event asks all three and almost
# always finds no alias, so the alias lookup rides in the same statement rather than costing one
# of its own (it was 13% of an event's time as a separate statement).
_new = _NEW_CUSTOMERS.subquery()
_al = schema.sender_alias
_alias_order = _rep.alias("alias_order")
_live = _cl.alias("alias_customer")
_NO_KEY = sa.null().cast(sa.Unicode(100))
_NO_ID = sa.null().cast(sa.BigInteger)
_LOOKUP = sa.union_all(
    sa.select(_cp.c.ClienteId, _cp.c.PhonesHash, _cl.c.ClienteId.label("Live"), _cl.c.Telefono1, _cl.c.Telefono2,
              only_open_order(_cp.c.ClienteId).label("OpenOrder"), _NO_KEY.label("AliasKey"),
              _NO_ID.label("DecisionId"))
    .select_from(_cp.outerjoin(_cl, _cl.c.ClienteId == _cp.c.ClienteId))
    .where(_cp.c.PhoneKey == sa.bindparam("key")),
    sa.select(_new.c.ClienteId, sa.null(), _new.c.ClienteId, _new.c.Telefono1, _new.c.Telefono2,
              only_open_order(_new.c.ClienteId), _NO_KEY, _NO_ID),
    # an alias's order while it is open and still the customer's; else the customer's only open order
    sa.select(_al.c.ClienteId, sa.null(),
              sa.select(_live.c.ClienteId).where(_live.c.ClienteId == _al.c.ClienteId).scalar_subquery(),
              sa.null(), sa.null(),
              sa.func.coalesce(
                  sa.select(_alias_order.c.ReparacionId)
                  .where(_alias_order.c.ReparacionId == _al.c.ReparacionId,
                         _alias_order.c.ClienteId == _al.c.ClienteId, _alias_order.c.FechaEntrega.is_(None))
                  .scalar_subquery(),
                  only_open_order(_al.c.ClienteId)),
              _al.c.SenderKey, _al.c.DecisionId)
    .where(sa.or_(_al.c.SenderKey == sa.bindparam("k1"), _al.c.SenderKey == sa.bindparam("k2")),
           _al.c.UndoneAt.is_(None)))


def _lookup(conn: Connection, key: str | None, keys: list[str]) -> tuple[list[Any], Match | None]:
    """The phone-index candidates for ``key`` and the alias match of the first of ``keys`` that has a
    live one (a deleted customer makes the alias inert), in one statement."""
    rows = conn.execute(_LOOKUP, {"key": key, "k1": keys[0] if keys else None,
                                  "k2": keys[-1] if keys else None}).all()
    aliases = {row.AliasKey: row for row in rows if row.AliasKey is not None}
    for sender in keys:
        row = aliases.get(sender)
        if row is not None and row.Live is not None:
            return ([], Match("assigned", row.ClienteId, (row.ClienteId,), row.OpenOrder, row.DecisionId))
    return [row for row in rows if row.AliasKey is None], None


def match_key(conn: Connection, key: str) -> Match:
    """Match a WhatsApp key to the customers whose *current* phones include it.

    Several customers is ``ambiguous``, never a guess. A candidate whose phone text
    changed since it was indexed (edited by FastService) is re-read and kept only if it
    still gives the key; a deleted one is dropped.
    """
    return _confirm(conn, key, _lookup(conn, key, [])[0])


def _confirm(conn: Connection, key: str, rows: list[Any]) -> Match:
    new = [row for row in rows if row.PhonesHash is None]
    _index_new(conn, new)
    if len(new) == NEW_CUSTOMERS_BATCH:
        log.warning("phone index backlog: %d customers indexed by this event; run refresh_phone_index",
                    len(new))
    confirmed: dict[int, int | None] = {}
    for row in rows:
        if row.PhonesHash is None or row.PhonesHash == phones_hash(row.Telefono1, row.Telefono2):
            current = row.PhonesHash is not None or any(
                phone.key == key for _, phone in customer_phones(row.Telefono1, row.Telefono2))
        elif row.Live is None:
            conn.execute(_cp.delete().where(_cp.c.ClienteId == row.ClienteId))
            current = False
        else:
            current = any(phone.key == key for _, phone in index_customer(
                conn, row.ClienteId, row.Telefono1, row.Telefono2))
        if current:
            confirmed[row.ClienteId] = row.OpenOrder
    if not confirmed:
        return Match("unmatched")
    if len(confirmed) == 1:
        ((customer, order),) = confirmed.items()
        return Match("matched", customer, (customer,), order)
    return Match("ambiguous", None, tuple(sorted(confirmed)))


def learn_bsuid(conn: Connection, bsuid: str, phone: Phone) -> None:
    """Remember that a business-scoped user id belongs to a phone."""
    now = db.utcnow()
    state.upsert(conn, schema.bsuid, {"Bsuid": bsuid}, {"PhoneKey": phone.key, "E164": phone.e164, "LastSeenAt": now},
                 new={"FirstSeenAt": now})


def phone_of_bsuid(conn: Connection, bsuid: str) -> Phone | None:
    b = schema.bsuid
    row = conn.execute(sa.select(b.c.E164, b.c.PhoneKey).where(b.c.Bsuid == bsuid)).first()
    return Phone(e164=row.E164, key=row.PhoneKey) if row else None


def bsuids_of_keys(conn: Connection, keys: Iterable[str]) -> list[str]:
    keys = list(keys)
    if not keys:
        return []
    b = schema.bsuid
    return [r[0] for r in conn.execute(sa.select(b.c.Bsuid).where(b.c.PhoneKey.in_(keys)))]


def messages_of(conn: Connection, keys: list[str]) -> sa.ColumnElement[bool]:
    """This customer's messages: those from or to their phones (matching ``keys``) or from the BSUIDs
    learned for those phones (a sender who hides the number)."""
    m = schema.message
    bsuids = bsuids_of_keys(conn, keys)
    return sa.or_(m.c.PhoneKey.in_(keys), m.c.Bsuid.in_(bsuids)) if bsuids else m.c.PhoneKey.in_(keys)


# --- a person's decision first: sender aliases ------------------------------------------

def sender_key(phone_key: str | None, bsuid: str | None) -> str | None:
    """The inbox's name for a sender: ``phone:<matching key>``, else ``bsuid:<id>`` (a hidden number)."""
    if phone_key:
        return f"phone:{phone_key}"
    return f"bsuid:{bsuid}" if bsuid else None


def sender_lock_name(key: str) -> str:
    """The ``WhatsAppState`` row that serializes decisions on one sender (and ingest of its unknown messages)."""
    return "triage:" + hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def alias_match(conn: Connection, keys: list[str]) -> Match | None:
    """The active alias of the first of ``keys`` that has one, as a match; ``None`` when there is none or
    its customer no longer exists (a deleted customer makes the alias inert)."""
    return _lookup(conn, None, keys)[1] if keys else None


def match_sender(conn: Connection, phone: Phone | None, bsuid: str | None) -> Match:
    """Who sent (or received) a message: a person's decision (alias) for its phone or BSUID first, else
    the phone index.

    When the index does not give one customer, the sender's lock row is taken and the alias read
    again: a staff decision committed meanwhile (it holds the same lock while it relinks the past
    messages) is then seen, so no message slips in unassigned between the decision's relink and
    its commit. Known senders (one customer) never take the lock, and neither does a transaction
    that already excludes every other writer (SQLite's): no decision can commit meanwhile there.
    """
    keys = [k for k in (sender_key(phone.key if phone else None, None), sender_key(None, bsuid)) if k]
    if phone is None:
        found = alias_match(conn, keys)
        if found is not None:
            return found
        match = Match("no_phone")
    else:
        rows, found = _lookup(conn, phone.key, keys)
        if found is not None:
            return found
        match = _confirm(conn, phone.key, rows)
    if match.status == "matched" or not keys or not state.lock(conn, sender_lock_name(keys[0]), "ingest"):
        return match
    return alias_match(conn, keys) or match
