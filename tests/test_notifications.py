"""Order notifications, consent and quote buttons (issue 18), against the local ACS fake.

The fake speaks ACS's wire protocol (TLS, HMAC, templates with quick-reply buttons, delivery statuses posted
to a webhook that ingests them) and posts a customer's button tap as ``AdvancedMessageReceived`` with
``data.button.payload``, as ACS does.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from devkit import acs_events
from devkit.fake_acs import FakeAcs
from shared import consent, db, ingest, notifications, quote_buttons, schema, templates
from shared.staff import Staff
from tests.conftest import fake_acs_for

JUAN_ORDER, MARIA_ORDER = 1, 2
JUAN, MARIA = "5491155551234", "5491144445678"
ANA = Staff("staff-1", "Ana Gómez")
PRESUPUESTADO, EN_REPARACION, REPARADO, RECHAZADO = 2, 3, 4, 6
NOON = datetime(2026, 12, 1, 15, 0)  # 12:00 in Buenos Aires: outside quiet hours
_n, _rep, _nov = schema.notification, schema.reparacion, schema.novedad


@pytest.fixture
def url(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("NOTIFY_SETTLE_MINUTES", "5")
    monkeypatch.setenv("NOTIFY_MAX_AGE_MINUTES", "120")
    monkeypatch.setenv("NOTIFY_QUIET_HOURS", "21-9")
    monkeypatch.setenv("NOTIFY_RULES", json.dumps({"Presupuestado": "presupuestado:auto", "reparado": "reparado:auto",
                                                   "Rechazado": "rechazado:offer"}))

    return demo_url


@pytest.fixture
def fake(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAcs]:
    with fake_acs_for(url, monkeypatch) as running:
        running.set_template_status("recordatorio_retiro", "approved")
        templates.sync(url)
        yield running


def set_status(url: str, order_id: int, status: int, at: datetime) -> None:
    db.write(lambda c: c.execute(_rep.update().where(_rep.c.ReparacionId == order_id)
                                 .values(EstadoReparacionId=status, ModificadoEn=at)), url)


def opt_in(url: str, order_id: int) -> None:
    notifications.record_consent(order_id, json.dumps({"state": "opted_in", "evidence": "firmó la orden"}).encode(),
                                 ANA, url)


def quote(url: str, order_id: int, amount: str, at: datetime) -> int:
    def write(c: Any) -> int:
        tipo = c.execute(sa.select(schema.tipo_novedad.c.TipoNovedadId)
                         .where(schema.tipo_novedad.c.nombre == "Presupuesto")).scalar()
        if tipo is None:
            tipo = c.execute(schema.tipo_novedad.insert().values(nombre="Presupuesto", activo=True)
                             ).inserted_primary_key[0]
        return int(c.execute(_nov.insert().values(ReparacionId=order_id, UserId=1, TipoNovedadId=tipo,
                                                  Monto=Decimal(amount), Observacion="Presupuesto",
                                                  ModificadoEn=at)).inserted_primary_key[0])
    return db.write(write, url)


def rows(url: str, order_id: int | None = None) -> list[Any]:
    query = sa.select(_n).order_by(_n.c.Id)
    if order_id is not None:
        query = query.where(_n.c.ReparacionId == order_id)
    return list(db.read(lambda c: c.execute(query).all(), url))


def template_sends(fake: FakeAcs) -> list[Any]:
    return [m for m in fake.messages() if m.kind == "template"]


# --- the opt-out rule -------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "BAJA", "baja", "Baja.", "STOP", "stop!!!", "Stop 🛑", "no quiero recibir mensajes",
    "No quiero recibir más mensajes",
    "NO ME MANDEN MÁS MENSAJES", "no me manden mas mensajes por favor", "Desuscribir", "desuscribirme",
    "Hola, quiero darme de baja. Gracias", "Por favor, no me escriban más", "dejen de escribirme",
    "¡Basta de mensajes!", "  baja  ", "Buenas tardes, BAJA por favor",
])
def test_these_messages_opt_out(text: str) -> None:
    assert consent.is_opt_out(text)


@pytest.mark.parametrize("text", [
    "¿puedo dar de baja la garantía?", "stop, ya lo retiré", "Hola, ¿está listo?", "la pantalla se da de baja sola",
    "no quiero recibir mensajes de promociones pero sí del arreglo", "bajá el precio?", "Baja la luz y se apaga",
    "no quiero que me cobren más", "STOP" + " " * 300 + "x", "", "gracias", "¿Cuándo dan de baja el presupuesto?",
    "quiero dar de baja mi pedido de repuesto", "baja" * 60,
])
def test_near_misses_do_not_opt_out(text: str) -> None:
    assert not consent.is_opt_out(text)


def test_an_opt_out_at_ingest_is_recorded_once_and_wins_over_an_earlier_opt_in(url: str) -> None:
    opt_in(url, JUAN_ORDER)
    assert notifications.order_panel(JUAN_ORDER, url)["consent"]["state"] == "opted_in"
    event = acs_events.received(JUAN, content="BAJA")
    assert ingest.ingest_event(event, url).outcome == "stored"
    assert ingest.ingest_event(event, url).outcome == "duplicate"  # Event Grid redelivers it
    panel = notifications.order_panel(JUAN_ORDER, url)
    assert panel["consent"]["state"] == "opted_out"
    assert panel["consent"]["source"] == "whatsapp" and panel["consent"]["evidence"] == "BAJA"
    outs = db.read(lambda c: c.execute(sa.select(sa.func.count()).select_from(schema.consent)
                                       .where(schema.consent.c.State == "opted_out")).scalar(), url)
    assert outs == 1
    ingest.ingest_event(acs_events.received(JUAN, content="¿puedo dar de baja la garantía?"), url)
    assert notifications.order_panel(JUAN_ORDER, url)["consent"]["state"] == "opted_out"


def test_staff_consent_needs_a_state_and_how_it_was_given(url: str) -> None:
    from shared.errors import InvalidParameter

    for body in (b"[]", b"{", json.dumps({"state": "opted_in"}).encode(),
                 json.dumps({"state": "yes", "evidence": "x"}).encode(),
                 json.dumps({"state": "opted_in", "evidence": "x", "extra": 1}).encode()):
        with pytest.raises(InvalidParameter):
            notifications.record_consent(JUAN_ORDER, body, ANA, url)
    opt_in(url, JUAN_ORDER)
    shown = notifications.order_panel(JUAN_ORDER, url)["consent"]
    assert (shown["state"], shown["source"], shown["by"], shown["evidence"]) == (
        "opted_in", "staff", "Ana Gómez", "firmó la orden")


# --- polling ---------------------------------------------------------------------------------------

def test_first_run_records_every_status_without_notifying_then_a_change_is_noticed(url: str) -> None:
    first = notifications.poll(url, now=NOON)
    assert first.baseline == 15 and first.changes == 0 and rows(url) == []
    again = notifications.poll(url, now=NOON + timedelta(minutes=1))
    assert again.baseline == 0 and again.changes == 0 and rows(url) == []
    set_status(url, MARIA_ORDER, REPARADO, NOON + timedelta(minutes=1))
    report = notifications.poll(url, now=NOON + timedelta(minutes=2))
    assert (report.changes, report.notifications) == (1, 1)
    [row] = rows(url)
    assert (row.ReparacionId, row.Purpose, row.State, row.Mode) == (MARIA_ORDER, "reparado", "queued", "auto")
    assert row.DueAt == NOON + timedelta(minutes=7)
    # an edit that is not a status change moves ModificadoEn only: nothing new
    db.write(lambda c: c.execute(_rep.update().where(_rep.c.ReparacionId == MARIA_ORDER)
                                 .values(ModificadoEn=NOON + timedelta(minutes=3))), url)
    assert notifications.poll(url, now=NOON + timedelta(minutes=4)).changes == 0
    assert len(rows(url)) == 1


def test_a_change_older_than_the_cut_off_is_recorded_not_notified(url: str) -> None:
    notifications.poll(url, now=NOON)
    set_status(url, MARIA_ORDER, REPARADO, NOON - timedelta(minutes=5))  # committed late, within the overlap
    set_status(url, JUAN_ORDER, REPARADO, NOON + timedelta(seconds=30))
    report = notifications.poll(url, now=NOON + timedelta(hours=3))
    assert report.changes == 2 and report.too_old == 2 and report.notifications == 0
    assert {r.State for r in rows(url)} == {"skipped"}
    assert all("más de 120 minutos" in r.Reason for r in rows(url))


def test_quick_changes_send_only_the_last_status(url: str, fake: FakeAcs) -> None:
    opt_in(url, MARIA_ORDER)
    quote(url, MARIA_ORDER, "85000", NOON)
    notifications.poll(url, now=NOON)
    set_status(url, MARIA_ORDER, PRESUPUESTADO, NOON + timedelta(minutes=1))
    notifications.poll(url, now=NOON + timedelta(minutes=1))
    set_status(url, MARIA_ORDER, REPARADO, NOON + timedelta(minutes=2))
    report = notifications.poll(url, now=NOON + timedelta(minutes=2))
    assert report.superseded == 1
    assert notifications.dispatch(url, now=NOON + timedelta(minutes=6)).due == 0  # still settling
    sent = notifications.dispatch(url, now=NOON + timedelta(minutes=8))
    assert sent.sent == 1
    assert [(r.Purpose, r.State) for r in rows(url)] == [("presupuestado", "superseded"), ("reparado", "sent")]
    [message] = template_sends(fake)
    assert message.body["template"]["name"] == "equipo_listo_para_retirar" and message.to == MARIA


def test_quiet_hours_hold_until_nine_in_buenos_aires(url: str, fake: FakeAcs) -> None:
    opt_in(url, MARIA_ORDER)
    night = datetime(2026, 12, 2, 0, 30)  # 21:30 in Buenos Aires
    notifications.poll(url, now=night - timedelta(minutes=1))
    set_status(url, MARIA_ORDER, REPARADO, night)
    notifications.poll(url, now=night)
    [row] = rows(url)
    assert row.State == "held_quiet_hours" and row.DueAt == datetime(2026, 12, 2, 12, 0)  # 09:00 -03
    assert notifications.dispatch(url, now=datetime(2026, 12, 2, 11, 59)).due == 0
    assert notifications.dispatch(url, now=datetime(2026, 12, 2, 12, 1)).sent == 1
    assert len(template_sends(fake)) == 1


def test_after_quiet_hours() -> None:
    ba = timedelta(hours=3)  # UTC = Buenos Aires + 3 h
    assert notifications.after_quiet_hours(datetime(2026, 12, 1, 20, 59) + ba) == datetime(2026, 12, 1, 20, 59) + ba
    assert notifications.after_quiet_hours(datetime(2026, 12, 1, 21, 0) + ba) == datetime(2026, 12, 2, 9) + ba
    assert notifications.after_quiet_hours(datetime(2026, 12, 2, 3, 0) + ba) == datetime(2026, 12, 2, 9) + ba
    assert notifications.after_quiet_hours(datetime(2026, 12, 2, 9, 0) + ba) == datetime(2026, 12, 2, 9) + ba


def test_a_late_timer_inside_quiet_hours_holds_again(url: str, fake: FakeAcs) -> None:
    opt_in(url, MARIA_ORDER)
    evening = datetime(2026, 12, 1, 23, 50)  # 20:50 in Buenos Aires: due at 20:55
    notifications.poll(url, now=evening - timedelta(minutes=1))
    set_status(url, MARIA_ORDER, REPARADO, evening)
    notifications.poll(url, now=evening)
    assert rows(url)[0].State == "queued"
    report = notifications.dispatch(url, now=datetime(2026, 12, 2, 0, 10))  # the timer ran at 21:10
    assert report.held == 1 and template_sends(fake) == []
    assert rows(url)[0].DueAt == datetime(2026, 12, 2, 12, 0)


def test_consent_decides_who_is_notified(url: str, fake: FakeAcs) -> None:
    notifications.poll(url, now=NOON)
    opt_in(url, MARIA_ORDER)
    ingest.ingest_event(acs_events.received(MARIA, content="No me manden más mensajes"), url)
    set_status(url, MARIA_ORDER, REPARADO, NOON + timedelta(minutes=1))  # opted in, then out
    set_status(url, JUAN_ORDER, REPARADO, NOON + timedelta(minutes=1))  # never agreed
    notifications.poll(url, now=NOON + timedelta(minutes=1))
    report = notifications.dispatch(url, now=NOON + timedelta(minutes=7))
    assert report.skipped == 2 and template_sends(fake) == []
    reasons = {r.ReparacionId: r.Reason for r in rows(url)}
    assert "baja" in reasons[MARIA_ORDER] and "consentimiento" in reasons[JUAN_ORDER]


def test_an_offered_notification_is_one_click_and_once(url: str, fake: FakeAcs) -> None:
    notifications.poll(url, now=NOON)
    set_status(url, JUAN_ORDER, RECHAZADO, NOON + timedelta(minutes=1))
    notifications.poll(url, now=NOON + timedelta(minutes=1))
    assert notifications.dispatch(url, now=NOON + timedelta(minutes=7)).offered == 1
    [offered] = notifications.order_panel(JUAN_ORDER, url)["notifications"]
    assert offered["state"] == "offered" and offered["mode"] == "offer"
    with pytest.raises(notifications.ConsentMissing):  # Juan never agreed: staff record it first
        notifications.send_offered(JUAN_ORDER, offered["id"], ANA, url)
    assert fake.messages() == []
    opt_in(url, JUAN_ORDER)
    results: list[Any] = []
    clicks = [threading.Thread(target=lambda: results.append(
        notifications.send_offered(JUAN_ORDER, offered["id"], ANA, url))) for _ in range(3)]
    for t in clicks:
        t.start()
    for t in clicks:
        t.join()
    assert len(template_sends(fake)) == 1
    assert {r["send"]["id"] for r in results} == {results[0]["send"]["id"]}
    shown = notifications.order_panel(JUAN_ORDER, url)["notifications"][0]
    assert shown["state"] == "sent" and shown["decidedBy"] == "Ana Gómez"


def test_exactly_once_under_concurrent_timers_with_separate_engines(url: str, fake: FakeAcs, tmp_path: Path) -> None:
    """Four timers, each with its own engine on the same file, poll and dispatch the same changes at once."""
    for order in range(1, 16):
        db.write(lambda c, o=order: c.execute(sa.insert(schema.consent).values(
            ClienteId=sa.select(_rep.c.ClienteId).where(_rep.c.ReparacionId == o).scalar_subquery(),
            State="opted_in", Source="import", At=NOON)), url)
    notifications.poll(url, now=NOON)
    changed = []
    for order in (o for o in range(1, 16) if o not in (3, 13, 14)):  # open orders
        target = REPARADO if order % 2 else PRESUPUESTADO
        if status_of_order(url, order) != target:
            changed.append(order)
        set_status(url, order, target, NOON + timedelta(minutes=1))
        quote(url, order, "1000", NOON)
    database = sa.make_url(url).database
    assert database
    urls = [f"sqlite:///{Path(database).parent}/{'./' * i}{Path(database).name}" for i in range(1, 5)]
    barrier = threading.Barrier(len(urls))
    errors: list[BaseException] = []

    def timer(worker_url: str) -> None:
        try:
            barrier.wait()
            notifications.poll(worker_url, now=NOON + timedelta(minutes=2))
            barrier.wait()
            notifications.dispatch(worker_url, now=NOON + timedelta(minutes=8))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=timer, args=(u,)) for u in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    notified = rows(url)
    assert sorted(r.ReparacionId for r in notified) == sorted(changed)  # one notification per change
    phones_with_a_send = [m.to for m in template_sends(fake)]
    sent = [r for r in notified if r.State == "sent"]
    assert len(phones_with_a_send) == len(sent) == len({r.OutboxId for r in sent})  # each sent once
    assert sent, "some customers have a usable phone"
    assert all(r.State in ("sent", "skipped") for r in notified)


def test_pickup_reminder_once_per_step_never_for_the_baseline(url: str, fake: FakeAcs,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_REMINDER", "recordatorio_retiro:offer:3,10")
    notifications.poll(url, now=NOON)  # order 8 is Reparado since the baseline: never reminded
    set_status(url, MARIA_ORDER, REPARADO, NOON + timedelta(minutes=1))
    notifications.poll(url, now=NOON + timedelta(minutes=1))
    assert notifications.poll(url, now=NOON + timedelta(days=2)).reminders == 0
    assert notifications.poll(url, now=NOON + timedelta(days=3, minutes=2)).reminders == 1
    assert notifications.poll(url, now=NOON + timedelta(days=4)).reminders == 0
    assert notifications.poll(url, now=NOON + timedelta(days=12)).reminders == 1
    assert notifications.poll(url, now=NOON + timedelta(days=13)).reminders == 0
    reminders = [r for r in rows(url) if r.Kind == "reminder"]
    assert [(r.ReparacionId, r.Step) for r in reminders] == [(MARIA_ORDER, 3), (MARIA_ORDER, 10)]


# --- quote buttons ----------------------------------------------------------------------------------

def _quote_sent(url: str, fake: FakeAcs) -> tuple[list[str], int]:
    opt_in(url, JUAN_ORDER)
    novedad = quote(url, JUAN_ORDER, "85000", NOON)
    notifications.poll(url, now=NOON)
    set_status(url, JUAN_ORDER, EN_REPARACION, NOON + timedelta(seconds=10))
    notifications.poll(url, now=NOON + timedelta(seconds=15))
    set_status(url, JUAN_ORDER, PRESUPUESTADO, NOON + timedelta(seconds=20))
    notifications.poll(url, now=NOON + timedelta(minutes=1))
    assert notifications.dispatch(url, now=NOON + timedelta(minutes=7)).sent == 1
    [message] = template_sends(fake)
    template = message.body["template"]
    assert template["name"] == "presupuesto_listo"
    buttons = [v for v in template["values"] if v["kind"] == "quickAction"]
    assert [b["subType"] for b in template["bindings"]["buttons"]] == ["quickReply", "quickReply"]
    return [b["payload"] for b in buttons], novedad


def tap(url: str, fake: FakeAcs, payload: str, text: str = "Acepto") -> dict[str, Any]:
    """The customer taps a button: the fake posts ``AdvancedMessageReceived`` (``data.button.payload``) to the
    webhook, which ingests it; then Event Grid's redelivery of the same event changes nothing."""
    before = db.read(lambda c: c.execute(sa.select(sa.func.count()).select_from(schema.quote_reply)).scalar(), url)
    event = fake.inbound(JUAN, text, button_payload=payload, post_event=True)
    assert event is not None and event["data"]["button"]["payload"] == payload
    deadline = time.monotonic() + 5
    while db.read(lambda c: c.execute(sa.select(sa.func.count()).select_from(schema.quote_reply)).scalar(),
                  url) == before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ingest.ingest_event(event, url).outcome == "duplicate"
    return event


def novedades(url: str, order_id: int) -> list[Any]:
    return list(db.read(lambda c: c.execute(sa.select(_nov.c.Observacion, _nov.c.Monto).where(
        _nov.c.ReparacionId == order_id, _nov.c.Observacion.like("%por WhatsApp")).order_by(_nov.c.NovedadId)).all(),
        url))


def status_of_order(url: str, order_id: int) -> int:
    return int(db.read(lambda c: c.execute(sa.select(_rep.c.EstadoReparacionId)
                                           .where(_rep.c.ReparacionId == order_id)).scalar(), url))


def test_a_tap_on_accept_is_a_novedad_with_the_quoted_amount_once(url: str, fake: FakeAcs) -> None:
    (accept, reject), novedad = _quote_sent(url, fake)
    assert accept.startswith(f"q1.{JUAN_ORDER}.{novedad}.a.") and reject.startswith(f"q1.{JUAN_ORDER}.{novedad}.r.")
    tap(url, fake, accept)
    tap(url, fake, accept)  # the customer taps twice
    assert novedades(url, JUAN_ORDER) == [("Presupuesto aceptado por WhatsApp", Decimal("85000.00"))]
    assert status_of_order(url, JUAN_ORDER) == PRESUPUESTADO  # FastService's status is never touched
    taps = notifications.order_panel(JUAN_ORDER, url)["quoteReplies"]
    assert [(t["outcome"], t["decision"]) for t in taps] == [("duplicate", "accepted"), ("recorded", "accepted")]
    assert taps[1]["amount"] == 85000.0


def test_forged_and_outdated_taps_are_never_recorded(url: str, fake: FakeAcs) -> None:
    (accept, _reject), novedad = _quote_sent(url, fake)
    body, mac = accept.rsplit(".", 1)
    other_order = f"q1.{MARIA_ORDER}.{novedad}.a.{mac}"  # an approval for another order with this MAC
    flipped = body + "." + ("A" if mac[0] != "A" else "B") + mac[1:]
    for payload in (other_order, flipped, "q1.1.2.a.short", "Acepto", "q1." + "9" * 200):
        tap(url, fake, payload)
    assert novedades(url, JUAN_ORDER) == [] and novedades(url, MARIA_ORDER) == []
    outcomes = [t["outcome"] for t in notifications.order_panel(JUAN_ORDER, url)["quoteReplies"]]
    assert outcomes == []  # forged payloads are not attributed to any order
    kept = db.read(lambda c: [r.Outcome for r in c.execute(sa.select(schema.quote_reply)).all()], url)
    assert kept == ["forged", "forged", "forged", "unsigned", "unsigned"]
    # a newer quote makes the old buttons outdated: answered kindly, not recorded
    quote(url, JUAN_ORDER, "92000", NOON + timedelta(hours=1))
    tap(url, fake, accept)
    assert novedades(url, JUAN_ORDER) == []
    panel = notifications.order_panel(JUAN_ORDER, url)
    assert panel["quoteReplies"][0]["outcome"] == "outdated"
    offered = [n for n in panel["notifications"] if n["kind"] == "quote_outdated"]
    assert [n["state"] for n in offered] == ["queued"]  # offered to staff at the next dispatch
    notifications.dispatch(url)
    sent = notifications.send_offered(JUAN_ORDER, offered[0]["id"], ANA, url)
    assert sent["send"]["state"] == "sent"
    assert fake.messages()[-1].body["content"] == quote_buttons.OUTDATED_TEXT


def test_payloads_are_bound_to_order_quote_and_decision(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def check(conn: Any) -> None:
        payload = quote_buttons.sign(conn, 12, 34, "a")
        verified = quote_buttons.verify(conn, payload)
        assert isinstance(verified, quote_buttons.Verified) and (verified.order_id, verified.quote_ref) == (12, 34)
        assert len(payload.rsplit(".", 1)[1]) * 6 >= 96
        for tampered in (payload.replace(".12.", ".13."), payload.replace(".34.", ".35."),
                         payload.replace(".a.", ".r.")):
            assert quote_buttons.verify(conn, tampered) == "forged"

    db.write(check, url)
    generated = db.write(quote_buttons.key, url)
    assert len(generated) >= 32 and db.read(quote_buttons.key, url) == generated  # generated once
    monkeypatch.setenv("BUTTON_SIGNING_KEY", "k" * 40)  # a configured key: the generated one's payloads fail
    signed_before = db.write(lambda c: quote_buttons.sign(c, 1, 2, "r"), url)
    monkeypatch.delenv("BUTTON_SIGNING_KEY")
    assert db.read(lambda c: quote_buttons.verify(c, signed_before), url) == "forged"


def test_the_demo_offers_diegos_quote(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from devkit import demo

    monkeypatch.delenv("NOTIFY_RULES", raising=False)
    assert demo.load(db_url, notifications=True)
    panel = notifications.order_panel(demo.QUOTE_ORDER, db_url)
    assert panel["consent"]["state"] == "opted_in"
    assert [(n["purpose"], n["state"]) for n in panel["notifications"]] == [("presupuestado", "offered")]
