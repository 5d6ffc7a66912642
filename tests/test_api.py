"""Staff API: sync an order, list its messages, show its WhatsApp context (through the real functions)."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from typing import Any

import azure.functions as func
import pytest
import sqlalchemy as sa

from devkit import acs_events
from shared import db, ingest, schema
from tests.conftest import function

JUAN, MARIA, LUCIA = "5491155551234", "5491144445678", "5491133332222"


def call(name: str, method: str = "GET", route: dict[str, str] | None = None,
         params: dict[str, str] | None = None) -> tuple[int, dict[str, Any], dict[str, str]]:
    req = func.HttpRequest(method=method, url=f"http://localhost/api/{name}", params=params or {},
                           route_params=route or {}, body=b"")
    resp = function(_FUNCTIONS[name.split("/")[1]])(req)
    return resp.status_code, json.loads(resp.get_body()), dict(resp.headers)


_FUNCTIONS = {"sync": "sync_whatsapp", "messages": "list_whatsapp_messages", "orders": "order_whatsapp"}


def sync(order: int | str) -> tuple[int, dict[str, Any], dict[str, str]]:
    return call("whatsapp/sync", "POST", params={"orderId": str(order)})


def messages(order: int | str, **params: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    return call("whatsapp/messages", route={"orderId": str(order)}, params=params)


def order(order_id: int | str) -> tuple[int, dict[str, Any], dict[str, str]]:
    return call("whatsapp/orders", route={"orderId": str(order_id)})


def write_summary(url: str, order_id: int, text: str) -> None:
    """A summary as the summaries feature writes it (a Novedad plus its watermark)."""
    def write(conn: sa.Connection) -> None:
        last, count = conn.execute(sa.select(sa.func.max(schema.message.c.Id), sa.func.count())
                                   .where(schema.message.c.ReparacionId == order_id)).one()
        tipo = conn.execute(sa.select(schema.tipo_novedad.c.TipoNovedadId)
                            .where(schema.tipo_novedad.c.nombre == "WhatsApp Resumen")).scalar_one()
        novedad = conn.execute(schema.novedad.insert().values(
            ReparacionId=order_id, UserId=1, TipoNovedadId=tipo, Observacion=text, ModificadoEn=db.utcnow())
        ).inserted_primary_key
        assert novedad is not None
        conn.execute(schema.summary.insert().values(ReparacionId=order_id, NovedadId=novedad[0], LastMessageId=last,
                                                    MessageCount=count, Provider="test", CreatedAt=db.utcnow()))
    db.write(write, url)


# --- the feature's scenarios ----------------------------------------------------------------

def test_order_with_messages_shows_them_and_its_summary(demo_url: str) -> None:
    write_summary(demo_url, 1, "Juan aprobó el presupuesto de $85.000; retira el viernes.")
    status, body, _ = order(1)
    assert status == 200
    assert body["customer"] == {"id": 1, "name": "Juan Pérez"}
    assert body["summary"]["text"] == "Juan aprobó el presupuesto de $85.000; retira el viernes."
    assert body["hasNewMessages"] is False and body["messageCount"] == 5
    status, page, _ = messages(1)
    assert status == 200
    kinds = [(m["direction"], m["type"]) for m in page["messages"]]
    assert kinds == [("inbound", "text"), ("inbound", "image"), ("outbound", "text"), ("inbound", "text"),
                     ("inbound", "reaction")]
    stamps = [m["timestamp"] for m in page["messages"]]
    assert stamps == sorted(stamps)  # chronological
    shop = next(m for m in page["messages"] if m["direction"] == "outbound")
    assert shop["status"]["state"] == "read"
    image = next(m for m in page["messages"] if m["type"] == "image")
    assert image["media"] == {"kind": "image", "mimeType": "image/jpeg", "fileName": None,
                              "caption": "Así quedó la pantalla", "id": image["media"]["id"], "state": "pending",
                              "reason": None, "contentType": None, "size": None, "url": None}
    reply = next(m for m in page["messages"] if m["replyTo"])
    assert reply["replyTo"] == "demo-out-juan-1"
    reaction = next(m for m in page["messages"] if m["reaction"])
    assert reaction["reaction"] == {"emoji": "👍", "messageId": "demo-out-juan-1"}


def test_new_messages_since_the_summary_are_flagged(demo_url: str) -> None:
    write_summary(demo_url, 1, "Resumen")
    assert order(1)[1]["hasNewMessages"] is False
    ingest.ingest_event(acs_events.received(JUAN, content="¿Ya está?"), demo_url)
    assert order(1)[1]["hasNewMessages"] is True


def test_order_without_messages_shows_an_empty_conversation_and_no_summary(demo_url: str) -> None:
    status, body, _ = order(8)
    assert status == 200 and body["summary"] is None and body["hasNewMessages"] is False
    assert body["messageCount"] == 0
    assert messages(8)[1] == {"orderId": 8, "messages": [], "nextCursor": None}


def test_sync_twice_reports_only_the_new_messages_the_second_time(demo_url: str) -> None:
    status, first, _ = sync(5)  # Lucía has two open orders: her message waited for a sync
    assert status == 200 and first["messagesReceived"] == 1 and first["status"] == "success"
    assert first["summaryGenerated"] is True and first["summaryError"] is None  # the offline digest
    assert sync(5)[1]["messagesReceived"] == 0
    ingest.ingest_event(acs_events.received(LUCIA, content="¿Alguna novedad?"), demo_url)
    assert sync(5)[1]["messagesReceived"] == 1
    assert messages(6)[1]["messages"] == []  # the other open order did not take them


def test_messages_waiting_for_a_sync_are_flagged_on_every_open_order(demo_url: str) -> None:
    """Lucía has two open orders: her message is linked to neither until staff sync one of them."""
    for order_id in (5, 6):
        body = order(order_id)[1]
        assert (body["unlinkedMessages"], body["hasNewMessages"], body["messageCount"]) == (1, True, 0)
    sync(5)
    assert (order(5)[1]["unlinkedMessages"], order(5)[1]["messageCount"]) == (0, 1)
    assert (order(6)[1]["unlinkedMessages"], order(6)[1]["hasNewMessages"]) == (0, False)


def test_sync_without_messages_says_no_messages_and_is_recorded(demo_url: str) -> None:
    status, body, _ = sync(8)
    assert (status, body["status"], body["messagesReceived"]) == (200, "no_messages", 0)
    log = schema.sync_log
    row = db.read(lambda c: c.execute(sa.select(log).where(log.c.ReparacionId == 8)).one(), demo_url)
    assert (row.Status, row.MessageCount, row.PhoneNumber) == ("no_messages", 0, "+541144443333")
    assert order(8)[1]["lastSyncAt"] == body["lastSyncAt"]


def test_database_outage_gives_503_and_a_retry_then_works(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_RETRY_SECONDS", "0.3")
    holder = sqlite3.connect(demo_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    status, problem, headers = sync(5)
    assert status == 503 and headers["Retry-After"] == "1"
    assert problem["type"] == "/problems/database-unavailable" and "Probá de nuevo" in problem["detail"]
    holder.execute("ROLLBACK")
    holder.close()
    time.sleep(int(headers["Retry-After"]))  # as told: writes pause briefly after one spent the budget
    assert sync(5)[0] == 200


def test_unreachable_database_gives_503_on_reads(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{blocker}/x.db")
    monkeypatch.setenv("DB_RETRY_SECONDS", "0.2")
    for status, body, headers in (messages(1), order(1)):
        assert status == 503 and "Retry-After" in headers and body["status"] == 503
    db.dispose_all()


# --- errors -----------------------------------------------------------------------------------

def test_unknown_order_is_404_in_spanish(demo_url: str) -> None:
    for status, body, _headers in (sync(999), messages(999), order(999)):
        assert status == 404
        assert body["type"] == "/problems/order-not-found" and "No existe la orden 999" in body["detail"]


def test_customer_without_usable_phone_is_422_naming_each_field(demo_url: str) -> None:
    status, body, _ = sync(11)
    assert status == 422
    assert body["fieldsTried"] == [{"field": "Telefono1", "reason": "no contiene un número"},
                                   {"field": "Telefono2", "reason": "vacío"}]
    log = schema.sync_log
    assert db.read(lambda c: c.execute(sa.select(log.c.Status).where(log.c.ReparacionId == 11)).scalar_one(),
                   demo_url) == "failed"
    context = order(11)[1]
    assert context["phone"] is None and context["waMeUrl"] is None
    assert context["phoneProblem"] == "Telefono1: no contiene un número; Telefono2: vacío"


@pytest.mark.parametrize("bad", ["", "abc", "0", "-3", "1.5", "99999999999", "١٢"])
def test_bad_order_ids_are_400(demo_url: str, bad: str) -> None:
    for status, body, _ in (sync(bad), messages(bad), order(bad)):
        assert status == 400 and body["parameter"] == "orderId"


@pytest.mark.parametrize("limit", ["0", "201", "-1", "x", "5.0"])
def test_limit_outside_1_to_200_is_400(demo_url: str, limit: str) -> None:
    status, body, _ = messages(1, limit=limit)
    assert status == 400 and body["parameter"] == "limit"


@pytest.mark.parametrize("raw", ["not-a-cursor!", "2026-11-20T00:00:00|" + "9" * 30, "2026-11-20T00:00:00|-1",
                                 "2026-11-20T00:00:00+05:00|12", "9999-99-99|1"])
def test_bad_cursor_is_400(demo_url: str, raw: str) -> None:
    cursor = raw if raw.endswith("!") else base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    status, body, _ = messages(1, before=cursor)
    assert status == 400 and body["parameter"] == "before"


# --- listing ----------------------------------------------------------------------------------

def test_pages_walk_back_through_the_whole_conversation(demo_url: str) -> None:
    for i in range(7):
        ingest.ingest_event(acs_events.received(JUAN, content=f"mensaje {i}"), demo_url)
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": "4", **({"before": cursor} if cursor else {})}
        body = messages(1, **params)[1]
        seen = [m["id"] for m in body["messages"]] + seen
        pages += 1
        cursor = body["nextCursor"]
        if not cursor:
            break
    assert pages == 3 and len(seen) == 12 == len(set(seen))
    everything = messages(1, limit="200")[1]["messages"]
    assert [m["id"] for m in everything] == seen


def test_failed_delivery_shows_metas_reason(demo_url: str) -> None:
    shop = next(m for m in messages(10)[1]["messages"] if m["direction"] == "outbound")
    assert shop["status"]["state"] == "failed" and shop["status"]["errorCode"] == "131047"


# --- order context ----------------------------------------------------------------------------

def test_wa_me_uses_the_number_the_customer_wrote_from(demo_url: str) -> None:
    body = order(1)[1]
    assert body["phone"] == {"e164": "+5491155551234", "whatsappId": "5491155551234", "source": "whatsapp"}
    assert body["waMeUrl"] == "https://wa.me/5491155551234"
    assert body["waMeUrlWithGreeting"] == ("https://wa.me/5491155551234?text=Hola%20Juan%2C%20te%20escribimos%20de"
                                           "%20FastService%20por%20tu%20orden%20%231.")


def test_wa_me_from_the_phone_fields_when_the_customer_never_wrote(demo_url: str) -> None:
    body = order(8)[1]  # Sofía: "1144443333"
    assert body["phone"] == {"e164": "+541144443333", "whatsappId": "5491144443333", "source": "Telefono1"}
    body = order(10)[1]  # Valentina: only Telefono2, but she wrote: the number she wrote from
    assert body["phone"]["whatsappId"] == "5493515551234"


def test_customer_service_window(demo_url: str) -> None:
    maria = order(2)[1]["customerServiceWindow"]
    assert maria["open"] is True and maria["until"] > maria["lastInboundAt"]
    valentina = order(10)[1]["customerServiceWindow"]
    assert valentina["open"] is False and valentina["lastInboundAt"] is not None
    assert order(8)[1]["customerServiceWindow"] == {"open": False, "until": None, "lastInboundAt": None}


def test_greeting_template_is_a_setting_and_a_broken_one_does_not_break_the_panel(
        demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_GREETING", "Buenas {cliente}! Orden {ticket}")
    assert order(8)[1]["waMeUrlWithGreeting"].endswith("?text=Buenas%20Sof%C3%ADa%21%20Orden%208")
    monkeypatch.setenv("WHATSAPP_GREETING", "Hola {nombre}")
    assert "FastService%20por%20tu%20orden%20%238" in order(8)[1]["waMeUrlWithGreeting"]


def test_errors_carry_no_personal_data(demo_url: str) -> None:
    db.write(lambda c: c.execute(schema.cliente.update().where(schema.cliente.c.ClienteId == 9)
                                 .values(Telefono1="preguntarle a Rosalía 4-x")), demo_url)
    status, body, _ = sync(11)
    text = json.dumps(body, ensure_ascii=False)
    assert status == 422
    for personal in ("Torres", "Javier", "Rosalía", "4-x"):
        assert personal not in text


def test_unexpected_errors_are_a_500_problem_without_their_text(demo_url: str, monkeypatch: pytest.MonkeyPatch,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from shared import order_view

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise ValueError("Juan Pérez 5491155551234 dijo algo")

    monkeypatch.setattr(order_view, "order_whatsapp", broken)
    caplog.set_level(logging.INFO)
    status, body, _ = order(1)
    assert status == 500 and body["type"] == "/problems/internal"
    assert "inesperado" in body["detail"]
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "ValueError" in logged
    for private in ("Juan", "5491155551234", "dijo algo"):
        assert private not in json.dumps(body, ensure_ascii=False) and private not in logged


def test_who_is_waiting_for_an_answer_follows_the_shops_replies(db_url: str) -> None:
    """Replies are known from their delivery statuses; one that failed is no answer."""
    from shared import agent_tools
    from tests.test_ingest import add_customer

    add_customer(db_url, "11 6666-7777", open_orders=1)
    ingest.ingest_event(acs_events.received("5491166667777", content="¿Está listo?"), db_url)
    waiting = lambda: [o["orderId"] for o in agent_tools.orders_awaiting_reply(10, db_url)["orders"]]  # noqa: E731
    (order_id,) = waiting()
    ingest.ingest_event(acs_events.status("wamid.r1", "Sent", to="5491166667777"), db_url)
    ingest.ingest_event(acs_events.status("wamid.r1", "Failed", to="5491166667777",
                                          error=("131047", "Re-engagement message")), db_url)
    assert waiting() == [order_id]
    ingest.ingest_event(acs_events.status("wamid.r2", "Delivered", to="5491166667777"), db_url)
    assert waiting() == []
    status, page, _ = messages(order_id)
    assert status == 200
    assert [(m["direction"], m["type"], m["text"]) for m in page["messages"]] == [
        ("inbound", "text", "¿Está listo?"), ("outbound", "unrecorded", None), ("outbound", "unrecorded", None)]
    assert [m["status"]["state"] for m in page["messages"][1:]] == ["failed", "delivered"]


# --- the line's kind: a landline is no WhatsApp link ----------------------------------------

def _set_phones(url: str, order_id: int, telefono1: str | None, telefono2: str | None) -> None:
    rep, cl = schema.reparacion, schema.cliente
    def write(conn: sa.Connection) -> None:
        customer = conn.execute(sa.select(rep.c.ClienteId).where(rep.c.ReparacionId == order_id)).scalar_one()
        conn.execute(cl.update().where(cl.c.ClienteId == customer).values(Telefono1=telefono1, Telefono2=telefono2))
    db.write(write, url)


def test_a_landline_gets_no_wa_me_link_and_says_what_to_do(demo_url: str) -> None:
    _set_phones(demo_url, 11, "+55 11 3123 4567", None)  # a São Paulo landline, the only phone
    status, body, _ = order(11)
    assert status == 200
    assert body["phoneKind"] == "landline" and body["phone"]["source"] == "Telefono1"
    assert body["waMeUrl"] is None and body["waMeUrlWithGreeting"] is None
    assert "fijo" in body["phoneProblem"] and "celular" in body["phoneProblem"]


def test_the_customers_mobile_is_preferred_to_a_landline(demo_url: str) -> None:
    _set_phones(demo_url, 11, "+55 11 3123 4567", "+55 11 91234 5678")
    body = order(11)[1]
    assert body["phoneKind"] == "mobile" and body["phone"]["source"] == "Telefono2"
    assert body["waMeUrl"] == "https://wa.me/5511912345678" and body["phoneProblem"] is None


def test_argentine_numbers_without_the_mobile_nine_are_unknown_and_keep_their_link(demo_url: str) -> None:
    _set_phones(demo_url, 11, "(011) 4555-1234", None)  # libphonenumber cannot tell an AR mobile from a landline
    body = order(11)[1]
    assert body["phoneKind"] == "unknown" and body["waMeUrl"] == "https://wa.me/5491145551234"
    _set_phones(demo_url, 11, "11 15 4555-1234", None)
    assert order(11)[1]["phoneKind"] == "mobile"


def test_no_phone_has_no_kind(demo_url: str) -> None:
    body = order(11)[1]  # Javier Torres: "no tiene"
    assert body["phone"] is None and body["phoneKind"] is None and body["phoneProblem"]
