"""The inbox: tabs, counts and staff decisions (assign, pick a candidate, move, undo), at ingest too."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from devkit import acs_events
from shared import db, inbox, ingest, schema, triage
from shared.errors import CustomerNotFound, InvalidParameter, OrderNotFound
from shared.staff import Staff
from tests.conftest import Runner, StaffIssuer
from tests.test_ingest import add_customer

ANA, BETO = Staff("oid-ana", "Ana Staff"), Staff("oid-beto", "Beto Staff")
STRANGER = "5491170001111"  # a relative's phone: matches no customer
SENDER = "phone:541170001111"


def rows(url: str, where: sa.ColumnElement[bool] | None = None) -> list[Any]:
    m = schema.message
    query = sa.select(m.c.Id, m.c.ClienteId, m.c.ReparacionId, m.c.MatchStatus, m.c.MatchCandidates,
                      m.c.TriageDecisionId, m.c.Content).order_by(m.c.Id)
    return db.read(lambda c: c.execute(query if where is None else query.where(where)).all(), url)


def from_stranger(url: str, *texts: str) -> list[int]:
    ids = []
    for text in texts:
        result = ingest.ingest_event(acs_events.received(STRANGER, content=text), url)
        assert result.outcome == "stored" and result.message_pk is not None
        ids.append(result.message_pk)
    return ids


def state_of(url: str, ids: list[int]) -> list[tuple[Any, ...]]:
    m = schema.message
    return [(r.ClienteId, r.ReparacionId, r.MatchStatus, r.MatchCandidates, r.TriageDecisionId)
            for r in rows(url, m.c.Id.in_(ids))]


# --- assign: past and future messages -----------------------------------------------------------

def test_assign_relinks_past_messages_and_every_future_one_at_ingest(db_url: str) -> None:
    customer = add_customer(db_url, "11 4000-1000", open_orders=1)
    past = from_stranger(db_url, "Hola, soy la hija de ...", "¿Está lista la tele?")
    assert {r.MatchStatus for r in rows(db_url)} == {"unmatched"}
    (item,) = inbox.listing("unassigned", url=db_url)["items"]
    assert item["sender"] == SENDER and item["messageCount"] == 2 and item["phone"] == "+5491170001111"
    assert item["lastMessage"]["text"] == "¿Está lista la tele?"
    assert inbox.counts(db_url)["unassigned"] == 1

    decision = triage.assign(SENDER, customer_id=customer, staff=ANA, url=db_url)
    assert decision["kind"] == "assign" and decision["messageCount"] == 2
    assert decision["decidedBy"] == {"id": "oid-ana", "name": "Ana Staff"} and decision["customerExists"]
    order = db.read(lambda c: c.execute(sa.select(schema.reparacion.c.ReparacionId)).scalar_one(), db_url)
    assert state_of(db_url, past) == [(customer, order, "assigned", None, decision["id"])] * 2
    assert inbox.listing("unassigned", url=db_url)["items"] == []
    assert inbox.counts(db_url)["unassigned"] == 0

    (future,) = from_stranger(db_url, "Llego a las 18")
    assert state_of(db_url, [future]) == [(customer, order, "assigned", None, decision["id"])]
    assert db.read(lambda c: c.execute(sa.select(sa.func.count()).select_from(schema.customer_phone)).scalar(),
                   db_url) == 1  # FastService's customer was not touched: only our index of its phone
    history = triage.history(sender=SENDER, url=db_url)["decisions"]
    assert [d["id"] for d in history] == [decision["id"]]


def test_assign_to_an_order_sends_past_and_future_messages_there(db_url: str) -> None:
    customer = add_customer(db_url, "11 4000-1000", open_orders=2)
    past = from_stranger(db_url, "hola")
    orders = db.read(lambda c: list(c.execute(sa.select(schema.reparacion.c.ReparacionId)).scalars()), db_url)
    decision = triage.assign(SENDER, order_id=orders[1], staff=ANA, url=db_url)
    assert decision["customerId"] == customer and decision["orderId"] == orders[1]
    future = from_stranger(db_url, "chau")
    assert [r[1] for r in state_of(db_url, past + future)] == [orders[1], orders[1]]


def test_assign_errors(db_url: str) -> None:
    customer = add_customer(db_url, "11 4000-1000", open_orders=1)
    other = add_customer(db_url, "11 4000-2000", open_orders=1)
    from_stranger(db_url, "hola")
    with pytest.raises(CustomerNotFound):
        triage.assign(SENDER, customer_id=999, url=db_url)
    with pytest.raises(OrderNotFound):
        triage.assign(SENDER, order_id=999, url=db_url)
    other_order = db.read(lambda c: c.execute(sa.select(schema.reparacion.c.ReparacionId).where(
        schema.reparacion.c.ClienteId == other)).scalar_one(), db_url)
    with pytest.raises(InvalidParameter, match="no es del cliente"):
        triage.assign(SENDER, customer_id=customer, order_id=other_order, url=db_url)
    with pytest.raises(InvalidParameter):
        triage.assign(SENDER, url=db_url)
    for bad in ("5491170001111", "phone:12", "phone:+5491170001111", "bsuid:", "bsuid:a b", None, 5):
        with pytest.raises(InvalidParameter):
            triage.parse_sender(bad)
    assert rows(db_url)[0].MatchStatus == "unmatched"  # nothing was written by the refusals


def test_picking_a_candidate_of_a_shared_line(demo_url: str) -> None:
    (item,) = inbox.listing("ambiguous", url=demo_url)["items"]
    names = {c["name"]: c["customerId"] for c in item["candidates"]}
    assert set(names) == {"Camila Ruiz", "Pablo Ruiz"}
    decision = triage.assign(item["sender"], customer_id=names["Pablo Ruiz"], staff=ANA, url=demo_url)
    assert decision["kind"] == "pick_candidate" and decision["messageCount"] == 1
    assert inbox.listing("ambiguous", url=demo_url)["items"] == []
    result = ingest.ingest_event(acs_events.received("5491122223333", content="soy Pablo"), demo_url)
    assert result.match_status == "assigned"
    assert state_of(demo_url, [result.message_pk or 0])[0][0] == names["Pablo Ruiz"]


def test_a_hidden_number_is_assigned_by_its_bsuid(demo_url: str) -> None:
    (item,) = [i for i in inbox.listing("unassigned", url=demo_url)["items"] if i["sender"].startswith("bsuid:")]
    assert item["phone"] is None and item["bsuid"] == "AR.99999999999999999999"
    customer = add_customer(demo_url, "11 4000-1000")
    decision = triage.assign(item["sender"], customer_id=customer, staff=ANA, url=demo_url)
    assert decision["messageCount"] == 1
    result = ingest.ingest_event(acs_events.received("", bsuid=item["bsuid"], content="otra"), demo_url)
    assert result.match_status == "assigned"


# --- undo ---------------------------------------------------------------------------------------

def test_undo_unlinks_exactly_what_the_decision_linked(db_url: str) -> None:
    customer = add_customer(db_url, "11 4000-1000", open_orders=1)
    add_customer(db_url, "11 4000-3000")
    untouched = ingest.ingest_event(acs_events.received("5491140003000", content="otro cliente"), db_url).message_pk
    before_untouched = state_of(db_url, [untouched or 0])
    past = from_stranger(db_url, "uno", "dos")
    before = state_of(db_url, past)
    decision = triage.assign(SENDER, customer_id=customer, staff=ANA, url=db_url)
    future = from_stranger(db_url, "tres")
    undone = triage.undo(decision["id"], BETO, db_url)
    assert undone["undoneBy"] == {"id": "oid-beto", "name": "Beto Staff"} and undone["undoneCount"] == 3
    assert state_of(db_url, past) == before  # exactly as they were
    assert state_of(db_url, future) == [(None, None, "unmatched", None, None)]  # what matching says without it
    assert state_of(db_url, [untouched or 0]) == before_untouched
    (after,) = from_stranger(db_url, "cuatro")  # the alias no longer applies
    assert state_of(db_url, [after])[0][2] == "unmatched"
    with pytest.raises(triage.DecisionConflict) as second:
        triage.undo(decision["id"], ANA, db_url)
    assert second.value.problem()["decision"]["undoneAt"] is not None
    with pytest.raises(triage.DecisionNotFound):
        triage.undo(999, ANA, db_url)
    # decided again after the undo: a new decision, the history keeps both
    again = triage.assign(SENDER, customer_id=customer, staff=BETO, url=db_url)
    assert again["messageCount"] == 4
    assert [d["id"] for d in triage.history(sender=SENDER, url=db_url)["decisions"]] == [again["id"], decision["id"]]


def test_undo_leaves_alone_a_message_another_decision_moved_since(db_url: str) -> None:
    customer = add_customer(db_url, "11 4000-1000", open_orders=2)
    first, second, third = from_stranger(db_url, "uno", "dos", "tres")
    assigned = triage.assign(SENDER, customer_id=customer, staff=ANA, url=db_url)
    assert {r[1] for r in state_of(db_url, [first, second, third])} == {None}  # two open orders: none chosen
    assert inbox.listing("multiple_orders", url=db_url)["items"][0]["messageCount"] == 3
    orders = db.read(lambda c: list(c.execute(sa.select(schema.reparacion.c.ReparacionId)).scalars()), db_url)
    moved = triage.move(customer, orders[0], third, staff=BETO, url=db_url)  # from a point on
    assert moved["kind"] == "move" and moved["messageCount"] == 1
    triage.undo(assigned["id"], ANA, db_url)
    assert [r[2] for r in state_of(db_url, [first, second])] == ["unmatched", "unmatched"]
    assert state_of(db_url, [third]) == [(customer, orders[0], "assigned", None, moved["id"])]  # left alone
    triage.undo(moved["id"], ANA, db_url)  # back to what the (undone) assignment had made of it
    assert state_of(db_url, [third]) == [(customer, None, "assigned", None, assigned["id"])]


def test_move_a_range_and_undo_it(db_url: str) -> None:
    customer = add_customer(db_url, "11 4000-1000", open_orders=2)
    ids = [ingest.ingest_event(acs_events.received("5491140001000", content=f"m{i}"), db_url).message_pk or 0
           for i in range(5)]
    assert {r[1] for r in state_of(db_url, ids)} == {None}
    (item,) = inbox.listing("multiple_orders", url=db_url)["items"]
    assert item["customerId"] == customer and len(item["openOrders"]) == 2
    target = item["openOrders"][0]["orderId"]
    page = inbox.messages(customer_id=customer, url=db_url)
    assert [m["id"] for m in page["messages"]] == ids
    decision = triage.move(customer, target, ids[3], ids[1], staff=ANA, url=db_url)  # either end first
    assert decision["messageCount"] == 3 and (decision["fromMessageId"], decision["toMessageId"]) == (ids[1], ids[3])
    assert [r[1] for r in state_of(db_url, ids)] == [None, target, target, target, None]
    triage.undo(decision["id"], ANA, db_url)
    assert [r[1] for r in state_of(db_url, ids)] == [None] * 5
    other = add_customer(db_url, "11 4000-2000", open_orders=1)
    other_order = db.read(lambda c: c.execute(sa.select(schema.reparacion.c.ReparacionId).where(
        schema.reparacion.c.ClienteId == other)).scalar_one(), db_url)
    with pytest.raises(InvalidParameter, match="no es de este cliente"):
        triage.move(customer, other_order, ids[0], url=db_url)
    with pytest.raises(InvalidParameter, match="mensaje"):
        triage.move(other, other_order, ids[0], url=db_url)


# --- two people at once, and a customer deleted afterwards ---------------------------------------------

def test_concurrent_decisions_on_one_sender_one_wins_the_other_sees_409(db_url: str) -> None:
    first = add_customer(db_url, "11 4000-1000", open_orders=1)
    second = add_customer(db_url, "11 4000-2000", open_orders=1)
    from_stranger(db_url, *(f"m{i}" for i in range(50)))
    start = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def decide(who: Staff, customer: int) -> None:
        start.wait()
        try:
            outcomes[who.name] = triage.assign(SENDER, customer_id=customer, staff=who, url=db_url)
        except triage.DecisionConflict as exc:
            outcomes[who.name] = exc

    threads = [threading.Thread(target=decide, args=(ANA, first)), threading.Thread(target=decide, args=(BETO, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [o for o in outcomes.values() if isinstance(o, dict)]
    lost = [o for o in outcomes.values() if isinstance(o, triage.DecisionConflict)]
    assert len(won) == 1 and len(lost) == 1
    assert lost[0].status == 409 and lost[0].problem()["decision"]["id"] == won[0]["id"]
    assert {r.ClienteId for r in rows(db_url)} == {won[0]["customerId"]}  # every message, one customer
    aliases = db.read(lambda c: c.execute(sa.select(schema.sender_alias)).all(), db_url)
    assert len(aliases) == 1


def test_a_customer_deleted_by_fastservice_makes_the_alias_inert(db_url: str) -> None:
    customer = add_customer(db_url, "11 4000-1000", open_orders=1)
    add_customer(db_url, "11 4000-2000")  # (SQLite would reuse the highest id once deleted; SQL Server never does)
    past = from_stranger(db_url, "hola")
    decision = triage.assign(SENDER, customer_id=customer, staff=ANA, url=db_url)
    r, c_ = schema.reparacion, schema.cliente
    db.write(lambda c: (c.execute(r.delete().where(r.c.ClienteId == customer)),
                        c.execute(c_.delete().where(c_.c.ClienteId == customer))), db_url)
    (after,) = from_stranger(db_url, "¿hay alguien?")
    assert state_of(db_url, [after]) == [(None, None, "unmatched", None, None)]  # never linked to nothing
    (item,) = inbox.listing("unassigned", url=db_url)["items"]
    assert item["deletedCustomerId"] == customer and item["messageCount"] == 1
    assert triage.history(sender=SENDER, url=db_url)["decisions"][0]["customerExists"] is False
    # a person decides again: the inert alias gives way, and the messages left pointing at nothing come along
    replacement = add_customer(db_url, "11 4000-5000", open_orders=1)
    again = triage.assign(SENDER, customer_id=replacement, staff=BETO, url=db_url)
    assert again["messageCount"] == 2
    assert {r[0] for r in state_of(db_url, [*past, after])} == {replacement}
    assert triage.history(sender=SENDER, url=db_url)["decisions"][1]["id"] == decision["id"]


# --- proposals ---------------------------------------------------------------------------------------

def test_where_writers_overlap_ingest_locks_the_sender_and_sees_a_decision_committed_meanwhile(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQL Server: a decision may commit between ingest's first alias read and its commit. Ingest of an
    unplaced sender then takes the sender's lock row and reads the alias again (here the decision lands
    inside the same transaction, as the one that held the lock would have before ingest got it)."""
    from shared import identity

    customer = add_customer(db_url, "11 4000-1000", open_orders=1)
    monkeypatch.setattr(db, "holds_write_lock", lambda _conn: False)
    real = identity._confirm

    def meanwhile(conn: sa.Connection, key: str, candidates: list[Any]) -> Any:
        conn.execute(schema.sender_alias.insert().values(
            SenderKey=SENDER, ClienteId=customer, DecisionId=1, Source="staff", DecidedAt=db.utcnow()))
        return real(conn, key, candidates)

    monkeypatch.setattr(identity, "_confirm", meanwhile)
    (after,) = from_stranger(db_url, "hola")
    ((linked_customer, order, status, _candidates, decision),) = state_of(db_url, [after])
    assert (linked_customer, status, decision) == (customer, "assigned", 1) and order is not None
    st = schema.state
    locks = db.read(lambda c: c.execute(sa.select(sa.func.count()).select_from(st)
                                        .where(st.c.Name == identity.sender_lock_name(SENDER))).scalar_one(), db_url)
    assert locks == 1


def test_sqlite_ingest_of_an_unplaced_sender_needs_no_lock_row(db_url: str) -> None:
    """SQLite's write transaction already excludes every other writer: no per-sender row is written (one
    would be left behind for every stranger who ever wrote)."""
    from shared import identity

    from_stranger(db_url, "hola", "¿hay alguien?")
    st = schema.state
    names = db.read(lambda c: c.execute(sa.select(st.c.Name)).scalars().all(), db_url)
    assert identity.sender_lock_name(SENDER) not in names
    assert [r.MatchStatus for r in rows(db_url)] == ["unmatched", "unmatched"]


def test_an_agent_proposal_links_nothing_until_a_person_confirms(db_url: str) -> None:
    customer = add_customer(db_url, "11 4000-1000", open_orders=1)
    past = from_stranger(db_url, "hola")
    proposal = triage.propose(SENDER, customer, None, "Dice ser la hija", db_url)
    assert state_of(db_url, past)[0][2] == "unmatched"
    assert inbox.counts(db_url)["proposals"] == 1
    (item,) = inbox.listing("unassigned", url=db_url)["items"]
    assert [p["id"] for p in item["proposals"]] == [proposal["id"]]
    decision = triage.confirm_proposal(proposal["id"], ANA, db_url)
    assert decision["source"] == "agent-proposal" and decision["proposalId"] == proposal["id"]
    assert state_of(db_url, past)[0][0] == customer
    with pytest.raises(triage.DecisionConflict):
        triage.confirm_proposal(proposal["id"], BETO, db_url)
    with pytest.raises(triage.DecisionConflict):  # a person decided: the agent cannot propose over it
        triage.propose(SENDER, customer, None, None, db_url)
    triage.undo(decision["id"], ANA, db_url)
    discarded = triage.propose(SENDER, customer, None, None, db_url)
    assert triage.discard_proposal(discarded["id"], BETO, db_url)["status"] == "discarded"
    assert state_of(db_url, past)[0][2] == "unmatched" and inbox.counts(db_url)["proposals"] == 0


# --- the tabs -------------------------------------------------------------------------------------

def test_tabs_page_with_a_cursor_newest_first(db_url: str) -> None:
    now = db.utcnow()
    for i in range(5):
        ingest.ingest_event(acs_events.received(f"54911700022{i:02d}", content=f"s{i}",
                                                when=now - timedelta(minutes=10 - i)), db_url)
    first = inbox.listing("unassigned", limit=2, url=db_url)
    assert [i["lastMessage"]["text"] for i in first["items"]] == ["s4", "s3"] and first["nextCursor"]
    rest = inbox.listing("unassigned", first["nextCursor"], limit=10, url=db_url)
    assert [i["lastMessage"]["text"] for i in rest["items"]] == ["s2", "s1", "s0"] and rest["nextCursor"] is None
    with pytest.raises(InvalidParameter, match="cursor"):
        inbox.listing("unassigned", "nope", url=db_url)
    with pytest.raises(InvalidParameter):
        inbox.parse_tab("todo")


def test_awaiting_reply_open_windows_soonest_first_then_closed_and_counts_the_open_ones(db_url: str) -> None:
    now = db.utcnow()
    late = add_customer(db_url, "11 4000-1000", open_orders=1)
    soon = add_customer(db_url, "11 4000-2000", open_orders=1)
    answered = add_customer(db_url, "11 4000-3000", open_orders=1)
    ingest.ingest_event(acs_events.received("5491140001000", content="hace dos días",
                                            when=now - timedelta(days=2)), db_url)
    ingest.ingest_event(acs_events.received("5491140002000", content="hace 20 h",
                                            when=now - timedelta(hours=20)), db_url)
    ingest.ingest_event(acs_events.received("5491140003000", content="hola", when=now - timedelta(hours=3)), db_url)
    ingest.ingest_event(acs_events.status("wamid.ans", "Delivered", to="5491140003000",
                                          when=now - timedelta(hours=2)), db_url)
    ingest.ingest_event(acs_events.received("5491140003000", message_type="reaction", when=now - timedelta(hours=1),
                                            reaction={"messageId": "wamid.ans", "emoji": "👍"}), db_url)
    items = inbox.listing("awaiting_reply", url=db_url)["items"]
    assert [i["customerId"] for i in items] == [soon, late]  # the reaction after the answer is no question
    assert [i["windowOpen"] for i in items] == [True, False]
    assert 3.9 * 3600 < items[0]["secondsLeft"] <= 4 * 3600 and items[1]["secondsLeft"] == 0
    assert inbox.counts(db_url)["awaitingReply"] == 1
    assert answered not in [i["customerId"] for i in items]


def test_awaiting_reply_pages_through_open_then_closed_windows(db_url: str) -> None:
    now = db.utcnow()
    hours = [1, 5, 9, 30, 50, 70, 24 * 8]  # the last is past INBOX_AWAITING_DAYS (7)
    for i, h in enumerate(hours):
        add_customer(db_url, f"11 4100-1{i:03d}", open_orders=1)
        ingest.ingest_event(acs_events.received(f"5491141001{i:03d}", content=f"hace {h} h",
                                                when=now - timedelta(hours=h)), db_url)
    seen, cursor = [], None
    while True:
        page = inbox.listing("awaiting_reply", cursor, 2, db_url, now)
        seen += [i["lastMessage"]["text"] for i in page["items"]]
        if not (cursor := page["nextCursor"]):
            break
    assert seen == ["hace 9 h", "hace 5 h", "hace 1 h", "hace 30 h", "hace 50 h", "hace 70 h"]
    with pytest.raises(InvalidParameter, match="cursor"):
        inbox.listing("awaiting_reply", "x.nope", url=db_url)


# --- privacy and the HTTP API -----------------------------------------------------------------------

def test_listing_and_decisions_log_ids_and_counts_only_at_info(demo_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    customer = add_customer(demo_url, "11 4000-1000", open_orders=1)
    for tab in inbox.TABS:
        inbox.listing(tab, url=demo_url)
    inbox.counts(demo_url)
    ingest.ingest_event(acs_events.received(STRANGER, content="Soy Rosa, la vecina"), demo_url)
    proposal = triage.propose(SENDER, customer, None, "La vecina de Juan", demo_url)
    decision = triage.confirm_proposal(proposal["id"], ANA, demo_url)
    triage.undo(decision["id"], BETO, demo_url)
    (ambiguous,) = inbox.listing("ambiguous", url=demo_url)["items"]
    triage.assign(ambiguous["sender"], customer_id=ambiguous["candidates"][0]["customerId"], staff=ANA, url=demo_url)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "inbox" in logged and "triage decision" in logged
    for private in (STRANGER, "541170001111", "1170001111", "5491122223333", "541122223333", "Rosa", "vecina",
                    "Ana Staff", "oid-ana", "Beto", "Ruiz", "AR.99999999999999999999"):
        assert private not in logged, private


@pytest.fixture(scope="module")
def signed_runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runner, StaffIssuer]]:
    """A runner that requires a signed-in staff member, as production does."""
    issuer = StaffIssuer(tmp_path_factory.mktemp("inbox-issuer"))
    r = Runner(tmp_path_factory.mktemp("inbox-runner"), issuer.env)
    yield r, issuer
    r.stop()


def test_http_decisions_record_the_signed_in_staff_and_answer_409_with_the_decision(
        signed_runner: tuple[Runner, StaffIssuer]) -> None:
    runner, issuer = signed_runner
    base = f"{runner.base}/api/whatsapp/inbox"
    ana = issuer.bearer(oid="oid-ana", name="Ana Staff")
    beto = issuer.bearer(oid="oid-beto", name="Beto Staff")
    assert httpx.get(f"{base}/counts").status_code == 401  # no staff member, no inbox
    counts = httpx.get(f"{base}/counts", headers=ana).json()
    assert set(counts) == {"unassigned", "ambiguous", "multipleOrders", "awaitingReply", "proposals", "notices"}
    listed = httpx.get(base, params={"tab": "ambiguous"}, headers=ana).json()
    (item,) = [i for i in listed["items"] if "Ruiz" in i["lastMessage"]["text"]]
    sender, candidates = item["sender"], [c["customerId"] for c in item["candidates"]]
    r = httpx.post(f"{base}/assign", params={"sender": sender, "customerId": candidates[0]}, headers=ana)
    assert r.status_code == 200 and r.json()["decidedBy"] == {"id": "oid-ana", "name": "Ana Staff"}
    r2 = httpx.post(f"{base}/assign", params={"sender": sender, "customerId": candidates[1]}, headers=beto)
    assert r2.status_code == 409 and r2.headers["content-type"].startswith("application/problem+json")
    assert r2.json()["decision"]["id"] == r.json()["id"] and "deshacela" in r2.json()["detail"]
    history = httpx.get(f"{base}/decisions", params={"sender": sender}, headers=beto).json()["decisions"]
    assert [d["id"] for d in history] == [r.json()["id"]]
    undone = httpx.post(f"{base}/decisions/{r.json()['id']}/undo", headers=beto)
    assert undone.status_code == 200 and undone.json()["undoneCount"] == 1
    assert undone.json()["undoneBy"] == {"id": "oid-beto", "name": "Beto Staff"}
    bad = httpx.post(f"{base}/assign", params={"sender": "11 2222 3333", "customerId": candidates[0]}, headers=ana)
    assert bad.status_code == 400 and bad.json()["parameter"] == "sender"
    assert json.dumps(bad.json()).find("2222") == -1  # the refusal does not echo the number
