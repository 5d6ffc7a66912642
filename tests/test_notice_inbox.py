"""The inbox's «Avisos»: offered notifications across orders (sent or dismissed once), and quote taps."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from typing import Any

import azure.functions as func
import pytest
import sqlalchemy as sa

from devkit import acs_events, demo
from devkit.fake_acs import FakeAcs
from shared import db, inbox, ingest, notice_inbox, notifications, quote_buttons, schema
from shared.errors import InvalidParameter
from shared.staff import Staff
from tests import test_notifications
from tests.conftest import function
from tests.test_notifications import (
    ANA,
    JUAN,
    JUAN_ORDER,
    MARIA,
    MARIA_ORDER,
    NOON,
    RECHAZADO,
    opt_in,
    rows,
    set_status,
    template_sends,
)

url, fake = test_notifications.url, test_notifications.fake  # the same fixtures: demo data, the ACS fake

BRUNO = Staff("staff-2", "Bruno Díaz")
OPEN_ORDERS = (1, 2, 4, 5, 6, 7, 8, 9)  # open orders of customers with a phone


def offer(url: str, orders: tuple[int, ...], at: datetime = NOON) -> list[int]:
    """Each order moves to «Rechazado» (an ``offer`` rule) a second apart; the dispatcher offers them."""
    notifications.poll(url, now=at)
    for i, order in enumerate(orders):
        set_status(url, order, RECHAZADO, at + timedelta(seconds=1 + i))
    notifications.poll(url, now=at + timedelta(minutes=1))
    assert notifications.dispatch(url, now=at + timedelta(minutes=7)).offered == len(orders)
    return [r.Id for r in rows(url) if r.State == "offered"]


def walk(url: str, limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = notice_inbox.offered(cursor, limit, url)
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["nextCursor"]
        if cursor is None:
            return items


def test_offered_notifications_are_listed_across_orders_newest_first_page_by_page(url: str, fake: FakeAcs) -> None:
    offered = offer(url, OPEN_ORDERS)
    opt_in(url, JUAN_ORDER)
    assert inbox.counts(url)["notices"] == len(OPEN_ORDERS)
    items = walk(url, 3)
    assert sorted(i["id"] for i in items) == sorted(offered) and len(items) == len(OPEN_ORDERS)  # each once
    assert [i["orderId"] for i in items] == list(reversed(OPEN_ORDERS))  # the newest change first
    assert walk(url, 100) == items
    juan = next(i for i in items if i["orderId"] == JUAN_ORDER)
    assert juan["customerFirstName"] == "Juan" and juan["status"] == "Rechazado" and juan["purpose"] == "rechazado"
    assert juan["preview"] and "Juan" in juan["preview"] and juan["sendable"] and juan["problem"] is None
    assert juan["consent"]["state"] == "opted_in" and juan["consent"]["by"] == "Ana Gómez"
    maria = next(i for i in items if i["orderId"] == MARIA_ORDER)  # never agreed: shown, not sendable
    assert not maria["sendable"] and "consentimiento" in maria["problem"]
    with pytest.raises(InvalidParameter):
        notice_inbox.offered("not-a-cursor", 3, url)
    with pytest.raises(InvalidParameter):
        notice_inbox.offered(None, 0, url)


def test_two_staff_clicking_send_in_the_inbox_send_once(url: str, fake: FakeAcs) -> None:
    [offered] = offer(url, (JUAN_ORDER,))
    opt_in(url, JUAN_ORDER)
    barrier = threading.Barrier(2)
    answers: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def click(who: Staff) -> None:
        try:
            barrier.wait()
            answers.append(notifications.send_offered(JUAN_ORDER, offered, who, url))
        except BaseException as exc:  # reported below
            errors.append(exc)

    clicks = [threading.Thread(target=click, args=(who,)) for who in (ANA, BRUNO)]
    for t in clicks:
        t.start()
    for t in clicks:
        t.join()
    assert errors == []
    assert len(template_sends(fake)) == 1  # one message reached ACS
    assert len({a["send"]["id"] for a in answers}) == 1  # the second click sees the same send
    assert all(a["notification"]["state"] == "sent" for a in answers)
    assert sorted(a["alreadySent"] for a in answers) == [False, True]  # the second press is told
    assert notice_inbox.offered(None, 20, url)["items"] == [] and inbox.counts(url)["notices"] == 0
    with pytest.raises(notifications.NotificationGone):  # too late for «No enviar»
        notifications.dismiss_offered(JUAN_ORDER, offered, BRUNO, url)


def test_dismissed_once_never_sent_never_offered_again(url: str, fake: FakeAcs) -> None:
    [offered] = offer(url, (JUAN_ORDER,))
    opt_in(url, JUAN_ORDER)
    first = notifications.dismiss_offered(JUAN_ORDER, offered, ANA, url)["notification"]
    again = notifications.dismiss_offered(JUAN_ORDER, offered, BRUNO, url)["notification"]  # a colleague, later
    assert first == again and first["state"] == "skipped" and first["decidedBy"] == "Ana Gómez"
    with pytest.raises(notifications.NotificationGone):
        notifications.send_offered(JUAN_ORDER, offered, BRUNO, url)
    assert template_sends(fake) == []
    with pytest.raises(notifications.NotificationGone):  # not this order's notification
        notifications.dismiss_offered(MARIA_ORDER, offered, ANA, url)
    # FastService touches the order again without changing its status: nothing new is offered
    db.write(lambda c: c.execute(schema.reparacion.update().where(schema.reparacion.c.ReparacionId == JUAN_ORDER)
                                 .values(ModificadoEn=NOON + timedelta(minutes=20))), url)
    notifications.poll(url, now=NOON + timedelta(minutes=21))
    notifications.dispatch(url, now=NOON + timedelta(minutes=30))
    assert [(r.Id, r.State) for r in rows(url)] == [(offered, "skipped")]
    assert inbox.counts(url)["notices"] == 0
    [shown] = notifications.order_panel(JUAN_ORDER, url)["notifications"]
    assert shown["reason"] == notifications.REASONS["dismissed"]


def test_send_and_dismiss_at_once_one_wins(url: str, fake: FakeAcs) -> None:
    [offered] = offer(url, (JUAN_ORDER,))
    opt_in(url, JUAN_ORDER)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(action: Any) -> None:
        barrier.wait()
        try:
            action()
            outcomes.append("ok")
        except notifications.NotificationGone:
            outcomes.append("gone")

    threads = [threading.Thread(target=run, args=(lambda: notifications.send_offered(JUAN_ORDER, offered, ANA,
                                                                                      url),)),
               threading.Thread(target=run, args=(lambda: notifications.dismiss_offered(JUAN_ORDER, offered, BRUNO,
                                                                                         url),))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["gone", "ok"]
    [row] = rows(url)
    assert len(template_sends(fake)) == (1 if row.State == "sent" else 0)
    assert row.State in ("sent", "skipped")


def test_an_opted_out_customer_s_offer_is_marked_refused_and_can_be_dismissed(url: str, fake: FakeAcs) -> None:
    [offered] = offer(url, (JUAN_ORDER,))
    opt_in(url, JUAN_ORDER)
    ingest.ingest_event(acs_events.received(JUAN, content="BAJA"), url)
    [item] = notice_inbox.offered(None, 20, url)["items"]
    assert item["consent"]["state"] == "opted_out" and not item["sendable"]
    assert item["problem"] == notifications.REASONS["opted_out"]
    with pytest.raises(notifications.ConsentMissing):
        notifications.send_offered(JUAN_ORDER, offered, ANA, url)
    assert template_sends(fake) == [] and inbox.counts(url)["notices"] == 1  # still waits for a person
    notifications.dismiss_offered(JUAN_ORDER, offered, ANA, url)
    assert inbox.counts(url)["notices"] == 0


def test_staff_record_an_opt_out_from_the_panel_with_who_and_when(url: str) -> None:
    body = json.dumps({"state": "opted_out", "evidence": "Lo pidió por teléfono"}).encode()
    panel = notifications.record_consent(MARIA_ORDER, body, BRUNO, url)
    assert panel["consent"]["state"] == "opted_out" and panel["consent"]["source"] == "staff"
    assert panel["consent"]["by"] == "Bruno Díaz" and panel["consent"]["at"]


def test_quote_taps_newest_first_with_the_amount_forged_ones_left_out(url: str) -> None:
    order = demo.quote_tap(url, NOON)
    ingest.ingest_event(acs_events.received(MARIA, message_type="button",
                                            button={"text": "Acepto", "payload": "q1.2.1.a.AAAAAAAAAAAAAAAA"}), url)
    stale = db.write(lambda c: quote_buttons.sign(c, order, 999_999, quote_buttons.REJECT), url)  # not its quote
    ingest.ingest_event(acs_events.received(demo.demo_phone("Agustín"), message_type="button",
                                            button={"text": "No, gracias", "payload": stale}), url)
    page = notice_inbox.quote_taps(None, 1, url)
    [newest] = page["items"]
    assert newest["outcome"] == "outdated" and newest["decision"] == "rejected" and newest["orderId"] == order
    [accepted] = notice_inbox.quote_taps(page["nextCursor"], 1, url)["items"]
    assert accepted["outcome"] == "recorded" and accepted["decision"] == "accepted"
    assert accepted["amount"] == 45000 and accepted["customerFirstName"] == "Agustín" and accepted["novedadId"]
    assert [t["id"] for t in notice_inbox.quote_taps(None, 20, url)["items"]] == [newest["id"], accepted["id"]]
    forged = db.read(lambda c: c.execute(sa.select(sa.func.count()).select_from(schema.quote_reply)
                                         .where(schema.quote_reply.c.Outcome == "forged")).scalar(), url)
    assert forged == 1  # recorded for the order's panel, not listed in the inbox


def _get(name: str, params: dict[str, str], etag: str | None = None) -> func.HttpResponse:
    route = {"whatsapp_inbox_notices": "notices", "whatsapp_inbox_quote_taps": "quote-taps"}[name]
    req = func.HttpRequest(method="GET", url=f"http://localhost/api/whatsapp/inbox/{route}", params=params,
                           route_params={}, headers={"If-None-Match": etag} if etag else {}, body=b"")
    response: func.HttpResponse = function(name)(req)
    return response


def test_the_routes_answer_an_etag_and_304_and_a_bad_cursor_is_a_400(url: str, fake: FakeAcs) -> None:
    offer(url, (JUAN_ORDER,))
    demo.quote_tap(url, NOON)
    for name in ("whatsapp_inbox_notices", "whatsapp_inbox_quote_taps"):
        first = _get(name, {})
        assert first.status_code == 200 and len(json.loads(first.get_body())["items"]) == 1
        assert _get(name, {}, first.headers["ETag"]).status_code == 304
        bad = _get(name, {"cursor": "%%%"})
        assert bad.status_code == 400 and "cursor" in json.loads(bad.get_body())["detail"]
        assert _get(name, {"limit": "101"}).status_code == 400
    notifications.dismiss_offered(JUAN_ORDER, rows(url)[0].Id, ANA, url)
    assert json.loads(_get("whatsapp_inbox_notices", {}).get_body())["items"] == []


def test_the_agent_sees_the_count_and_has_no_way_to_send(url: str, fake: FakeAcs) -> None:
    from shared import agent_tools
    from tests.conftest import indexed_functions

    offer(url, (JUAN_ORDER,))
    assert agent_tools.list_triage(None, None, url)["counts"]["notices"] == 1
    tools = [name for name, fn in indexed_functions().items()
             if json.loads(fn.get_function_json())["bindings"][0]["type"].lower().startswith("mcp")]
    assert "list_whatsapp_triage" in tools
    assert not [t for t in tools if "notif" in t or "consent" in t]  # the agent proposes; a person sends


def test_the_demo_has_an_offer_and_a_tap_for_the_inbox(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_RULES", raising=False)
    assert demo.load(db_url, notifications=True)
    assert [i["orderId"] for i in notice_inbox.offered(None, 20, db_url)["items"]] == [demo.QUOTE_ORDER]
    [tap] = notice_inbox.quote_taps(None, 20, db_url)["items"]
    assert tap["decision"] == "accepted" and tap["amount"] == 45000
    assert inbox.counts(db_url)["notices"] == 1
