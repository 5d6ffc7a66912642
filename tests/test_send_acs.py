"""Sending through the real azure-communication-messages SDK against the local ACS fake.

The fake (devkit/fake_acs.py) speaks ACS's wire protocol (TLS, HMAC signature, 202 receipts, templates,
scripted faults) and posts the delivery statuses of what it accepted to a webhook; here the webhook is a
small HTTP server that hands each event to ``ingest.ingest_event``, as the Event Grid trigger does.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from devkit.fake_acs import FakeAcs
from shared import acs_client, db, outbox, replies, schema, templates
from shared.staff import Staff
from tests.conftest import answer_once_sent, fake_acs_for

MARIA_ORDER, JUAN_ORDER = 2, 1
MARIA, JUAN = "5491144445678", "5491155551234"
ANA = Staff("staff-1", "Ana Gómez")


@pytest.fixture
def url(demo_url: str) -> str:
    return demo_url


@pytest.fixture
def fake(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAcs]:
    with fake_acs_for(url, monkeypatch) as running:
        running.inbound(MARIA)  # María wrote just now: the fake's window is open, as ours is
        yield running


def send(url: str, text: str = "Hola María, la notebook está lista", crid: str = "r1",
         order: int = MARIA_ORDER, **template: str) -> dict[str, Any]:
    body: dict[str, Any] = {"clientRequestId": crid, **({"template": template} if template else {"text": text})}
    answer, _ = replies.send(order, replies.parse_send_body(json.dumps(body).encode()), ANA, url)
    return answer


def status_of(url: str, message_id: str) -> str | None:
    st = schema.message_status
    return db.read(lambda c: c.execute(sa.select(st.c.Status).where(st.c.WhatsAppMessageId == message_id))
                   .scalar(), url)


def wait_status(url: str, message_id: str, wanted: str, timeout: float = 5.0) -> str | None:
    deadline = time.monotonic() + timeout
    while (found := status_of(url, message_id)) != wanted and time.monotonic() < deadline:
        time.sleep(0.02)
    return found


def send_requests(fake: FakeAcs) -> list[Any]:
    return [r for r in fake.requests() if r.path.endswith("notifications:send")]


def test_a_reply_goes_out_signed_and_its_ticks_follow(url: str, fake: FakeAcs) -> None:
    answer = send(url)
    assert answer["state"] == "sent"
    accepted = fake.messages()
    assert len(accepted) == 1 and accepted[0].to == MARIA
    assert accepted[0].body["content"] == "Hola María, la notebook está lista"
    assert accepted[0].message_id == answer["messageId"]
    row = db.read(lambda c: outbox.get(c, answer["id"]), url)
    assert accepted[0].repeatability_request_id == row.RepeatabilityRequestId
    assert wait_status(url, answer["messageId"], "read") == "read"
    shown = replies.answer(answer["id"], url)["message"]
    assert shown["status"]["state"] == "read" and shown["sentBy"] == "Ana Gómez"
    assert len([m for m in fake.messages() if m.to == MARIA]) == 1


def test_a_wrong_access_key_is_refused_by_the_signature_check(url: str, fake: FakeAcs,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACS_CONNECTION_STRING", fake.connection_string.replace(fake.access_key,
                                                                               "d3Jvbmcta2V5LXdyb25nLWtleQ=="))
    acs_client.reset()
    answer = send(url)
    assert answer["state"] == "failed" and answer["errorCode"] == "unauthorized"
    assert "credencial" in answer["reason"] and fake.messages() == []


def test_429_with_retry_after_is_retried_with_the_same_repeatability_id(url: str, fake: FakeAcs) -> None:
    fake.fail_next("429", route="send", retry_after=0.2)
    answer = send(url)
    assert answer["state"] == "sent" and answer["attempts"] == 2
    requests = send_requests(fake)
    assert [r.status for r in requests] == [429, 202]
    assert len({r.repeatability_request_id for r in requests}) == 1
    assert len(fake.messages()) == 1


def test_503_past_the_budget_is_left_to_the_timer_which_sends_it_once(url: str, fake: FakeAcs) -> None:
    fake.fail_next("503", count=50, route="send")
    answer = send(url)
    assert answer["state"] == "pending" and answer["message"]["status"]["state"] == "sending"
    assert fake.messages() == []
    fake.reset()
    fake.inbound(MARIA)
    db.write(lambda c: c.execute(schema.outbox.update().values(NextAttemptAt=db.utcnow())), url)
    assert outbox.drain(url)["attempted"] == 1
    assert replies.answer(answer["id"], url)["state"] == "sent" and len(fake.messages()) == 1


def test_a_meta_code_in_a_400_becomes_the_spanish_reason(url: str, fake: FakeAcs) -> None:
    fake.fail_next("400", route="send", code="131026")
    answer = send(url)
    assert answer["state"] == "failed" and answer["errorCode"] == "131026"
    assert answer["reason"].startswith("WhatsApp no pudo entregar")


def test_a_dropped_answer_is_unknown_then_reconciled_from_the_delivery_status(url: str, fake: FakeAcs) -> None:
    fake.fail_next("drop", route="send")
    answer = send(url)
    assert answer["state"] in {"unknown", "sent"}  # the status may have reconciled it already
    accepted = fake.messages()
    assert len(accepted) == 1
    after = answer_once_sent(answer["id"], url)
    assert after["state"] == "sent" and after["messageId"] == accepted[0].message_id
    assert after["message"]["text"] == "Hola María, la notebook está lista" and after["message"]["sentBy"]
    assert outbox.drain(url)["attempted"] == 0 and len(fake.messages()) == 1  # never resent


def test_an_answer_later_than_the_read_timeout_is_unknown_not_resent(url: str, fake: FakeAcs,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACS_SEND_TIMEOUT_SECONDS", "0.5")
    acs_client.reset()
    fake.fail_next("delay", route="send", delay=1.5)
    answer = send(url)
    assert answer["state"] in {"unknown", "sent"}
    assert len(send_requests(fake)) == 1  # the SDK did not retry the POST, nor did we
    assert answer_once_sent(answer["id"], url, timeout=6)["state"] == "sent" and len(fake.messages()) == 1


@pytest.mark.parametrize("honour", [True, False], ids=["fake honours repeatability", "fake ignores it"])
def test_concurrent_double_sends_reach_acs_once(url: str, honour: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_acs_for(url, monkeypatch, send_timeout=None, honour_repeatability=honour) as running:
        running.inbound(MARIA)
        answers: list[dict[str, Any]] = []
        threads = [threading.Thread(target=lambda: answers.append(send(url, crid="double"))) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(running.messages()) == 1 and len(send_requests(running)) == 1
        assert {a["id"] for a in answers} == {answers[0]["id"]} and len(answers) == 8
        assert replies.answer(answers[0]["id"], url)["state"] == "sent"


def test_free_text_the_fake_finds_outside_its_window_fails_with_131047_explained(url: str, fake: FakeAcs) -> None:
    fake.reset()  # the fake forgets María's message: it applies the window as WhatsApp would
    answer = send(url)
    assert answer["state"] == "sent"  # ACS accepts; WhatsApp refuses afterwards
    assert wait_status(url, answer["messageId"], "failed") == "failed"
    status = replies.answer(answer["id"], url)["message"]["status"]
    assert status["errorCode"] == "131047" and status["reason"].startswith("Pasaron más de 24 horas")


def test_templates_sync_from_acs_fill_from_the_order_and_send_outside_the_window(url: str, fake: FakeAcs) -> None:
    report = db_sync(url)
    assert report == {"listed": 7, "approved": 4, "disappeared": 0}
    listed = replies.order_templates(JUAN_ORDER, url)
    assert listed["window"]["open"] is False
    by_purpose = {t["purpose"]: t for t in listed["templates"]}
    assert "recordatorio_retiro" not in by_purpose  # pending at Meta: not offered
    assert by_purpose["presupuestado"]["missing"] == ["presupuesto"]
    assert by_purpose["reparado"]["preview"].startswith("Hola Juan, tu equipo (orden 1) está reparado")
    with pytest.raises(replies.WindowClosed):
        send(url, "Hola Juan", crid="free", order=JUAN_ORDER)
    answer = send(url, crid="tpl", order=JUAN_ORDER, purpose="reparado")
    assert answer["state"] == "sent"
    assert fake.messages()[-1].rendered == by_purpose["reparado"]["preview"]
    assert wait_status(url, answer["messageId"], "read") == "read"
    fake.set_template_status("saludo", "paused")
    db_sync(url)
    assert "saludo" not in {t["purpose"] for t in replies.order_templates(JUAN_ORDER, url)["templates"]}


def db_sync(url: str) -> dict[str, int]:
    return templates.sync(url)


def test_templates_are_read_across_pages_and_a_vanished_one_is_kept_marked(url: str, fake: FakeAcs) -> None:
    listed = list(acs_client.list_templates(fake.channel_id, page_size=2))
    assert len(listed) == 7 and len({t.name for t in listed}) == 7
    templates.sync(url)
    with fake.state.lock:
        fake.state.templates = [t for t in fake.state.templates if t["name"] != "saludo"]
    assert templates.sync(url)["disappeared"] == 1
    row = db.read(lambda c: c.execute(sa.select(schema.template).where(schema.template.c.Name == "saludo")).one(),
                  url)
    assert row.Present is False or row.Present == 0


def test_nothing_personal_is_logged_at_info(url: str, fake: FakeAcs, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    fake.fail_next("429", route="send", retry_after=0.1)
    answer = send(url, "Mi dirección es Av. Siempreviva 742")
    wait_status(url, answer["messageId"], "read")
    text = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    for secret in (MARIA, "44445678", "Siempreviva", "Ana Gómez", "staff-1"):
        assert secret not in text
