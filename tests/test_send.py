"""Staff replies: validation, window rules, templates, the outbox state machine and exactly-once.

ACS is replaced here by a scripted ``sender`` (the outbox's seam), so every outcome can be forced;
tests/test_send_acs.py runs the same paths through the real SDK against the local ACS fake.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from devkit import acs_events
from shared import acs_client, db, ingest, outbox, proposals, replies, schema, templates
from shared.errors import InvalidParameter, NoUsablePhone, OrderNotFound
from shared.staff import Staff

MARIA_ORDER = 2  # María wrote 5 hours ago: window open
JUAN_ORDER = 1  # Juan last wrote 2 days ago: window closed
MARIA = "5491144445678"
ANA = Staff("staff-1", "Ana Gómez")


class ScriptedAcs:
    """Answers each send with the next scripted outcome (the last one repeats); records every call."""

    def __init__(self, *outcomes: acs_client.Outcome | Callable[[Any], acs_client.Outcome]) -> None:
        self.outcomes = list(outcomes) or [acs_client.Accepted("wamid.1")]
        self.calls: list[Any] = []
        self.lock = threading.Lock()

    def __call__(self, row: Any) -> acs_client.Outcome:
        with self.lock:
            self.calls.append(row)
            outcome = self.outcomes[min(len(self.calls), len(self.outcomes)) - 1]
        return outcome(row) if callable(outcome) else outcome


def request(text: str | None = "Hola María, ya está lista", crid: str = "req-1", **template: str) -> Any:
    body: dict[str, Any] = {"clientRequestId": crid}
    if template:
        body["template"] = template
    else:
        body["text"] = text
    return replies.parse_send_body(json.dumps(body).encode())


def rows(url: str, table: sa.Table) -> list[Any]:
    return db.read(lambda c: c.execute(sa.select(table)).all(), url)


def set_templates(url: str, *items: tuple[str, str, str, str]) -> None:
    """Registry rows as a sync would write them: (name, language, status, body)."""
    def write(conn: Any) -> None:
        for name, language, status, body in items:
            conn.execute(schema.template.insert().values(
                Name=name, Language=language, Status=status, Parameters=json.dumps(templates.parameters(body)),
                Body=body, Present=True, SyncedAt=db.utcnow()))
    db.write(write, url)


@pytest.fixture
def url(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("ACS_SEND_TIMEOUT_SECONDS", "1")
    yield demo_url


# --- the request body ------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "parameter"), [
    (b"not json", "body"), (b"[]", "body"), (b'{"text": "hola"}', "clientRequestId"),
    (b'{"clientRequestId": "", "text": "hola"}', "clientRequestId"),
    (b'{"clientRequestId": "a b", "text": "hola"}', "clientRequestId"),
    (b'{"clientRequestId": "x"}', "body"), (b'{"clientRequestId": "x", "text": "  "}', "text"),
    (b'{"clientRequestId": "x", "text": 5}', "text"),
    (b'{"clientRequestId": "x", "text": "hola", "template": {"purpose": "saludo"}}', "body"),
    (b'{"clientRequestId": "x", "template": {}}', "template"),
    (b'{"clientRequestId": "x", "template": {"name": "n"}}', "template"),
    (b'{"clientRequestId": "x", "template": "saludo"}', "template"),
])
def test_a_malformed_body_is_a_400_naming_the_parameter(body: bytes, parameter: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        replies.parse_send_body(body)
    assert caught.value.extensions["parameter"] == parameter


def test_text_longer_than_whatsapp_accepts_is_refused() -> None:
    with pytest.raises(InvalidParameter):
        request("x" * (replies.MAX_TEXT + 1))
    assert request("x" * replies.MAX_TEXT).text


REF = "outgoing/" + "a" * 64


@pytest.mark.parametrize("media", [{}, {"blobRef": "inbound/ab/" + "a" * 64}, {"blobRef": 5},
                                   {"blobRef": "outgoing/../x"}, {"blobRef": "outgoing/" + "A" * 64}])
def test_media_that_is_not_an_upload_is_a_clear_422(media: dict[str, Any]) -> None:
    with pytest.raises(replies.MediaNotSendable) as caught:
        replies.parse_send_body(json.dumps({"clientRequestId": "x", "media": media}).encode())
    assert caught.value.status == 422 and "Subí el archivo" in caught.value.detail


@pytest.mark.parametrize(("media", "parameter"), [
    ("foto", "media"), ({"blobRef": REF, "url": "u"}, "media"), ({"blobRef": REF, "caption": 5}, "media.caption"),
    ({"blobRef": REF, "caption": "x" * (replies.MAX_CAPTION + 1)}, "media.caption"),
    ({"blobRef": REF, "fileName": []}, "media.fileName"),
])
def test_a_malformed_media_body_is_a_400_naming_the_parameter(media: Any, parameter: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        replies.parse_send_body(json.dumps({"clientRequestId": "x", "media": media}).encode())
    assert caught.value.extensions["parameter"] == parameter


def test_a_media_body_keeps_a_plain_caption_and_a_bare_file_name() -> None:
    parsed = replies.parse_send_body(json.dumps({"clientRequestId": "x", "media": {
        "blobRef": REF, "caption": "x" * replies.MAX_CAPTION, "fileName": "C:\\tmp\\Presupuesto Nº 7.pdf"}}).encode())
    assert parsed.media == replies.MediaRequest(REF, "x" * replies.MAX_CAPTION, "Presupuesto Nº 7.pdf")
    blank = replies.parse_send_body(json.dumps({"clientRequestId": "x", "media": {
        "blobRef": REF, "caption": " \n"}}).encode())
    assert blank.media == replies.MediaRequest(REF, None, None)
    with pytest.raises(InvalidParameter):
        replies.parse_send_body(json.dumps({"clientRequestId": "x", "text": "a", "media": {"blobRef": REF}}).encode())


def test_the_request_fingerprint_covers_the_media_and_leaves_text_sends_as_they_were() -> None:
    text = request("hola", crid="a")
    assert "media" not in text.payload(2, None)
    one = replies.SendRequest("a", media=replies.MediaRequest(REF, "c", None))
    other = replies.SendRequest("a", media=replies.MediaRequest("outgoing/" + "b" * 64, "c", None))
    renamed = replies.SendRequest("a", media=replies.MediaRequest(REF, "c", "x.pdf"))
    digests = {outbox.request_hash(r.payload(2, None)) for r in (one, other, renamed)}
    assert len(digests) == 3


# --- window and target -------------------------------------------------------------------------

def test_a_text_inside_the_window_is_sent_once_and_joins_the_conversation(url: str) -> None:
    acs = ScriptedAcs(acs_client.Accepted("wamid.maria-1"))
    answer, created = replies.send(MARIA_ORDER, request(), ANA, url, sender=acs)
    assert created and answer["state"] == "sent" and answer["messageId"] == "wamid.maria-1"
    message = answer["message"]
    assert message["id"] and message["text"] == "Hola María, ya está lista" and message["sentBy"] == "Ana Gómez"
    assert message["direction"] == "outbound" and message["type"] == "text"
    assert acs.calls[0].SendTo == MARIA
    stored = [m for m in rows(url, schema.message) if m.WhatsAppMessageId == "wamid.maria-1"]
    assert len(stored) == 1 and stored[0].ReparacionId == MARIA_ORDER and stored[0].SentByStaffId == "staff-1"
    assert stored[0].OutboxId == answer["id"]


def test_the_same_request_again_is_the_same_send(url: str) -> None:
    acs = ScriptedAcs()
    first, created = replies.send(MARIA_ORDER, request(), ANA, url, sender=acs)
    again, created_again = replies.send(MARIA_ORDER, request(), ANA, url, sender=acs)
    assert created and not created_again and again == first and len(acs.calls) == 1


def test_the_same_client_request_id_with_another_text_is_a_conflict(url: str) -> None:
    replies.send(MARIA_ORDER, request(), ANA, url, sender=ScriptedAcs())
    with pytest.raises(replies.RequestConflict) as caught:
        replies.send(MARIA_ORDER, request("otro texto"), ANA, url, sender=ScriptedAcs())
    assert caught.value.status == 409


def test_concurrent_double_sends_call_acs_once(url: str) -> None:
    acs = ScriptedAcs(lambda row: (time.sleep(0.05), acs_client.Accepted("wamid.once"))[1])
    answers: list[Any] = []

    def press() -> None:
        answers.append(replies.send(MARIA_ORDER, request(), ANA, url, sender=acs))

    threads = [threading.Thread(target=press) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(acs.calls) == 1
    assert sum(created for _, created in answers) == 1
    assert len(rows(url, schema.outbox)) == 1
    assert len([m for m in rows(url, schema.message) if m.WhatsAppMessageId == "wamid.once"]) == 1


def test_free_text_outside_the_window_is_refused_before_anything_is_written(url: str) -> None:
    acs = ScriptedAcs()
    with pytest.raises(replies.WindowClosed) as caught:
        replies.send(JUAN_ORDER, request("Hola Juan"), ANA, url, sender=acs)
    assert caught.value.status == 409 and "plantilla" in caught.value.detail
    assert caught.value.extensions["lastInboundAt"]
    assert acs.calls == [] and rows(url, schema.outbox) == []


def test_unknown_order_and_customer_without_phone(url: str) -> None:
    with pytest.raises(OrderNotFound):
        replies.send(9999, request(), ANA, url, sender=ScriptedAcs())
    with pytest.raises(NoUsablePhone):
        replies.send(11, request(), ANA, url, sender=ScriptedAcs())  # Javier: "no tiene"


def test_argentine_mobiles_are_addressed_as_the_setting_says(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_SEND_FORMAT", "54")
    acs = ScriptedAcs()
    replies.send(MARIA_ORDER, request(), ANA, url, sender=acs)
    assert acs.calls[0].SendTo == "541144445678"


# --- templates -----------------------------------------------------------------------------------

def test_positional_parameters_are_ordered_by_number_and_money_is_written_the_argentine_way() -> None:
    assert templates.parameters("{{2}} y {{1}} y {{2}} y {{10}}") == ["1", "2", "10"]
    assert templates.parameters("Hola {{cliente}}, orden {{ticket}}") == ["cliente", "ticket"]
    assert templates.money(Decimal("85000")) == "$ 85.000"
    assert templates.money(Decimal("1234567.5")) == "$ 1.234.567,50"


def test_templates_fill_from_the_order_and_say_what_is_missing(url: str) -> None:
    set_templates(url, ("presupuesto_listo", "es_AR", "approved",
                        "Hola {{1}}, el presupuesto de tu {{2}} (orden #{{3}}) es {{4}}."),
                  ("equipo_listo_para_retirar", "es_AR", "approved", "Hola {{1}}, tu {{2}} (orden #{{3}}) está listo."),
                  ("saludo", "es_AR", "rejected", "Hola {{1}}"),
                  ("promo_sin_mapa", "es_AR", "approved", "Oferta {{1}}"))
    listed = replies.order_templates(JUAN_ORDER, url)
    assert listed["window"]["open"] is False
    by_name = {t["name"]: t for t in listed["templates"]}
    assert "saludo" not in by_name  # only approved ones are offered
    assert by_name["equipo_listo_para_retirar"]["preview"] == "Hola Juan, tu equipo (orden #1) está listo."
    assert by_name["equipo_listo_para_retirar"]["purpose"] == "reparado"
    assert by_name["presupuesto_listo"]["missing"] == ["presupuesto"]
    assert by_name["presupuesto_listo"]["preview"].endswith("es «presupuesto».")  # named, not «4»
    assert not by_name["presupuesto_listo"]["sendable"]
    assert by_name["promo_sin_mapa"]["missing"] == ["{{1}}"] and by_name["promo_sin_mapa"]["purpose"] is None
    with pytest.raises(replies.TemplateValueMissing) as caught:
        replies.send(JUAN_ORDER, request(crid="t1", purpose="presupuestado"), ANA, url, sender=ScriptedAcs())
    assert caught.value.status == 422 and "presupuesto" in caught.value.detail
    db.write(lambda c: c.execute(schema.novedad.insert().values(
        ReparacionId=JUAN_ORDER, UserId=1, TipoNovedadId=1, Monto=Decimal("85000"), Observacion="Presupuesto",
        ModificadoEn=db.utcnow())), url)
    acs = ScriptedAcs(acs_client.Accepted("wamid.tpl"))
    answer, _ = replies.send(JUAN_ORDER, request(crid="t2", purpose="presupuestado"), ANA, url, sender=acs)
    assert answer["state"] == "sent" and answer["message"]["type"] == "template"
    assert answer["message"]["text"] == "Hola Juan, el presupuesto de tu equipo (orden #1) es $ 85.000."
    content = outbox.content_of(acs.calls[0])
    assert content == acs_client.TemplateContent("presupuesto_listo", "es_AR", ("Juan", "equipo", "1", "$ 85.000"))
    with pytest.raises(replies.TemplateNotAvailable):
        replies.send(JUAN_ORDER, request(crid="t3", purpose="saludo"), ANA, url, sender=ScriptedAcs())
    with pytest.raises(replies.TemplateNotAvailable):
        replies.send(JUAN_ORDER, request(crid="t4", name="nope", language="es_AR"), ANA, url, sender=ScriptedAcs())


# --- outcomes --------------------------------------------------------------------------------------

def test_permanent_refusals_fail_with_a_spanish_reason(url: str) -> None:
    answer, _ = replies.send(MARIA_ORDER, request(), ANA, url, sender=ScriptedAcs(acs_client.Rejected("131026")))
    assert answer["state"] == "failed" and answer["errorCode"] == "131026"
    assert "no pudo entregar" in answer["reason"]
    assert answer["message"]["id"] is None and answer["message"]["status"]["state"] == "failed"
    assert [m for m in rows(url, schema.message) if m.OutboxId is not None] == []
    assert replies.order_outbox(MARIA_ORDER, url)["sends"][0]["reason"] == answer["reason"]


def test_429_is_retried_within_the_call_when_it_fits(url: str) -> None:
    acs = ScriptedAcs(acs_client.RetryLater(0.01, 429), acs_client.RetryLater(None, 503), acs_client.Accepted("w2"))
    answer, _ = replies.send(MARIA_ORDER, request(), ANA, url, sender=acs)
    assert answer["state"] == "sent" and len(acs.calls) == 3 and answer["attempts"] == 3
    assert len({c.RepeatabilityRequestId for c in acs.calls}) == 1  # the same id on every attempt
    assert len({c.RepeatabilityFirstSent for c in acs.calls}) == 1


def test_a_retry_that_does_not_fit_is_left_pending_and_the_timer_sends_it(url: str) -> None:
    acs = ScriptedAcs(acs_client.RetryLater(30, 429), acs_client.Accepted("w-later"))
    answer, _ = replies.send(MARIA_ORDER, request(), ANA, url, sender=acs)
    assert answer["state"] == "pending" and answer["nextAttemptAt"] and len(acs.calls) == 1
    assert answer["message"]["status"]["state"] == "sending"
    assert outbox.drain(url, sender=acs)["attempted"] == 0  # not due yet
    db.write(lambda c: c.execute(schema.outbox.update().values(NextAttemptAt=db.utcnow() - timedelta(seconds=1))), url)
    assert outbox.drain(url, sender=acs)["attempted"] == 1
    assert replies.answer(answer["id"], url)["state"] == "sent"


def test_retries_end_in_failure_past_the_retry_budget(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEND_RETRY_MINUTES", "0")
    answer, _ = replies.send(MARIA_ORDER, request(), ANA, url, sender=ScriptedAcs(acs_client.RetryLater(5, 503)))
    assert answer["state"] == "failed" and answer["errorCode"] == "retry_exhausted" and answer["reason"]


def _unknown_send(url: str, acs: ScriptedAcs) -> dict[str, Any]:
    answer, _ = replies.send(MARIA_ORDER, request(), ANA, url, sender=acs)
    assert answer["state"] == "unknown"
    return answer


def test_an_unknown_outcome_is_reconciled_from_the_status_that_follows(url: str) -> None:
    acs = ScriptedAcs(acs_client.Unknown("timeout"))
    answer = _unknown_send(url, acs)
    ingest.ingest_event(acs_events.status("wamid.lost", "Sent", to=MARIA), url)
    after = replies.answer(answer["id"], url)
    assert after["state"] == "sent" and after["messageId"] == "wamid.lost"
    assert after["message"]["text"] == "Hola María, ya está lista" and after["message"]["sentBy"] == "Ana Gómez"
    assert after["message"]["status"]["state"] == "sent"
    assert outbox.drain(url, sender=acs)["attempted"] == 0 and len(acs.calls) == 1  # never resent


def test_a_status_that_came_before_the_timeout_reconciles_it_too(url: str) -> None:
    def accepted_then_lost(row: Any) -> acs_client.Outcome:
        ingest.ingest_event(acs_events.status("wamid.early", "Delivered", to=MARIA), url)
        return acs_client.Unknown("timeout")

    answer = _unknown_send_with(url, ScriptedAcs(accepted_then_lost))
    after = replies.answer(answer["id"], url)
    assert after["state"] == "sent" and after["messageId"] == "wamid.early"


def _unknown_send_with(url: str, acs: ScriptedAcs) -> dict[str, Any]:
    answer, _ = replies.send(MARIA_ORDER, request(), ANA, url, sender=acs)
    return answer


def test_two_unknown_sends_to_one_customer_are_left_to_a_person(url: str) -> None:
    acs = ScriptedAcs(acs_client.Unknown("timeout"))
    first, _ = replies.send(MARIA_ORDER, request(crid="a"), ANA, url, sender=acs)
    second, _ = replies.send(MARIA_ORDER, request("otra", crid="b"), ANA, url, sender=acs)
    ingest.ingest_event(acs_events.status("wamid.which", "Sent", to=MARIA), url)
    assert {replies.answer(i, url)["state"] for i in (first["id"], second["id"])} == {"unknown"}


def test_an_unconfirmed_send_fails_after_the_reconcile_window_and_is_never_resent(
        url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    acs = ScriptedAcs(acs_client.Unknown("timeout"))
    answer = _unknown_send(url, acs)
    outbox.drain(url, sender=acs)
    assert replies.answer(answer["id"], url)["state"] == "unknown"
    monkeypatch.setenv("SEND_RECONCILE_MINUTES", "0")
    time.sleep(0.01)
    assert outbox.drain(url, sender=acs)["unconfirmed"] == 1
    after = replies.answer(answer["id"], url)
    assert after["state"] == "failed" and after["reason"].startswith("No pudimos confirmar")
    assert len(acs.calls) == 1


def test_a_worker_that_died_mid_send_leaves_an_unknown_row_not_a_resend(url: str) -> None:
    now = db.utcnow()
    crid = "died"
    db.write(lambda c: outbox.insert(c, {
        "ClientRequestId": crid, "RequestHash": "h", "ReparacionId": MARIA_ORDER, "ClienteId": 2,
        "PhoneNumber": "+" + MARIA, "PhoneKey": "541144445678", "SendTo": "+" + MARIA, "Kind": "text",
        "Content": "hola", "RepeatabilityRequestId": "r"}), url)
    db.write(lambda c: c.execute(schema.outbox.update().values(
        State="sending", LeaseUntil=now - timedelta(seconds=1), LastAttemptAt=now)), url)
    acs = ScriptedAcs()
    assert outbox.drain(url, sender=acs)["expired"] == 1
    assert rows(url, schema.outbox)[0].State == "unknown" and acs.calls == []


def test_only_one_claim_wins(url: str) -> None:
    db.write(lambda c: outbox.insert(c, {
        "ClientRequestId": "claim", "RequestHash": "h", "ReparacionId": MARIA_ORDER, "PhoneNumber": "+1",
        "PhoneKey": "1", "SendTo": "+1", "Kind": "text", "Content": "x", "RepeatabilityRequestId": "r"}), url)
    outbox_id = rows(url, schema.outbox)[0].Id
    wins = [db.write(lambda c: outbox.claim(c, outbox_id, db.utcnow()), url) for _ in range(3)]
    assert wins == [True, False, False]


def test_a_delivery_failure_shows_its_spanish_reason_in_the_conversation(url: str) -> None:
    answer, _ = replies.send(MARIA_ORDER, request(), ANA, url, sender=ScriptedAcs(acs_client.Accepted("w-f")))
    ingest.ingest_event(acs_events.status("w-f", "Failed", to=MARIA, error=("131047", "Re-engagement")), url)
    status = replies.answer(answer["id"], url)["message"]["status"]
    assert status["state"] == "failed" and status["reason"].startswith("Pasaron más de 24 horas")


# --- proposals --------------------------------------------------------------------------------------

def test_the_agent_proposes_and_a_person_sends_once(url: str) -> None:
    before = [p["id"] for p in proposals.pending(MARIA_ORDER, url)["proposals"]]  # the demo's draft
    assert len(before) == 1
    made = proposals.propose_from_agent(MARIA_ORDER, text="Hola María, la notebook sale el lunes.", url=url)
    assert made["state"] == "proposed" and made["kind"] == "text"
    assert rows(url, schema.outbox) == []  # nothing sent by proposing
    assert [p["id"] for p in proposals.pending(MARIA_ORDER, url)["proposals"]] == [*before, made["id"]]
    acs = ScriptedAcs(acs_client.Accepted("w-prop"))
    answer, created = proposals.send(MARIA_ORDER, made["id"], {"clientRequestId": "p1", "text": "Editado"}, ANA,
                                     url, sender=acs)
    assert created and answer["state"] == "sent" and answer["message"]["text"] == "Editado"
    assert answer["proposalId"] == made["id"]
    with pytest.raises(proposals.ProposalDecided):
        proposals.send(MARIA_ORDER, made["id"], {"clientRequestId": "p2"}, ANA, url, sender=acs)
    again, created_again = proposals.send(MARIA_ORDER, made["id"], {"clientRequestId": "p1", "text": "Editado"},
                                          ANA, url, sender=acs)
    assert not created_again and again["id"] == answer["id"] and len(acs.calls) == 1
    assert [p["id"] for p in proposals.pending(MARIA_ORDER, url)["proposals"]] == before


def test_proposals_are_discarded_and_checked(url: str) -> None:
    made = proposals.propose_from_agent(str(MARIA_ORDER), template_purpose="reparado", url=url)
    assert made["kind"] == "template"
    assert proposals.discard(MARIA_ORDER, made["id"], ANA, url)["state"] == "discarded"
    with pytest.raises(proposals.ProposalDecided):
        proposals.discard(MARIA_ORDER, made["id"], ANA, url)
    with pytest.raises(proposals.ProposalNotFound):
        proposals.discard(JUAN_ORDER, made["id"], ANA, url)
    with pytest.raises(InvalidParameter):
        proposals.propose_from_agent(MARIA_ORDER, text="a", template_purpose="saludo", url=url)
    with pytest.raises(InvalidParameter):
        proposals.propose_from_agent(MARIA_ORDER, template_purpose="inventado", url=url)
    with pytest.raises(OrderNotFound):
        proposals.propose_from_agent(9999, text="hola", url=url)


# --- through the trigger surface --------------------------------------------------------------------

def http(name: str, route: dict[str, str], body: Any = None, headers: dict[str, str] | None = None) -> tuple[
        int, dict[str, Any]]:
    import azure.functions as func

    from tests.conftest import function

    raw = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
    req = func.HttpRequest(method="POST", url="http://localhost/api/x", route_params=route, body=raw,
                           headers=headers or {})
    resp = function(name)(req)
    return resp.status_code, json.loads(resp.get_body())


def test_the_send_endpoint_answers_201_then_200_and_problems_in_spanish(
        url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without ACS configured the send is recorded and fails with its reason (never a 500); the author is
    the staff member whose token the app validated, and without one the route answers 401."""
    from tests.conftest import StaffIssuer

    issuer = StaffIssuer(tmp_path)
    issuer.sign_in(monkeypatch)
    headers = {"Authorization": "Bearer " + issuer.token(oid="staff-9", name="Beto")}
    status, problem = http("send_whatsapp_reply", {"orderId": str(MARIA_ORDER)},
                           {"clientRequestId": "anon", "text": "Hola"})
    assert status == 401 and problem["type"] == "/problems/sign-in-required"
    body = {"clientRequestId": "http-1", "text": "Hola"}
    status, first = http("send_whatsapp_reply", {"orderId": str(MARIA_ORDER)}, body, headers)
    assert status == 201 and first["state"] == "failed" and first["errorCode"] == "not_configured"
    assert first["message"]["sentBy"] == "Beto" and first["reason"]
    status, again = http("send_whatsapp_reply", {"orderId": str(MARIA_ORDER)}, body, headers)
    assert status == 200 and again == first
    status, problem = http("send_whatsapp_reply", {"orderId": str(JUAN_ORDER)}, {**body, "clientRequestId": "h2"},
                           headers)
    assert status == 409 and problem["type"] == "/problems/window-closed"
    status, problem = http("send_whatsapp_reply", {"orderId": "x"}, body, headers)
    assert status == 400 and problem["parameter"] == "orderId"
    status, problem = http("send_whatsapp_reply", {"orderId": "2"}, b"{", headers)
    assert status == 400 and problem["parameter"] == "body"
    status, problem = http("sync_whatsapp_templates", {}, None)
    assert status == 409 and problem["type"] == "/problems/messaging-not-configured"


def test_a_status_of_a_send_under_way_is_not_taken_by_an_unknown_one(url: str) -> None:
    """Found by make chaos: B's status arrived before B's answer and was attributed to A (unknown)."""
    first = _unknown_send(url, ScriptedAcs(acs_client.Unknown("timeout")))
    b = db.write(lambda c: outbox.insert(c, {
        "ClientRequestId": "b", "RequestHash": "h", "ReparacionId": MARIA_ORDER, "ClienteId": 2,
        "PhoneNumber": "+" + MARIA, "PhoneKey": "541144445678", "SendTo": MARIA, "Kind": "text",
        "Content": "B", "RepeatabilityRequestId": "rb"}, claimed=True), url)
    ingest.ingest_event(acs_events.status("wamid.b", "Sent", to=MARIA), url)
    assert replies.answer(first["id"], url)["state"] == "unknown"
    outbox.settle(b.Id, acs_client.Accepted("wamid.b"), url)
    assert replies.answer(b.Id, url)["message"]["text"] == "B"
    outbox.drain(url, sender=ScriptedAcs())
    assert replies.answer(first["id"], url)["state"] == "unknown"  # nothing of its own came back


def test_a_twin_that_inserts_between_our_check_and_our_insert_is_answered_as_a_repeat(
        url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQL Server can interleave two requests there (SQLite's write lock cannot): the unique index decides."""
    acs = ScriptedAcs()
    first, _ = replies.send(MARIA_ORDER, request(), ANA, url, sender=acs)
    real = outbox.by_client_request_id
    calls = iter([None])
    monkeypatch.setattr(outbox, "by_client_request_id", lambda conn, crid: next(calls, real(conn, crid)))
    again, created = replies.send(MARIA_ORDER, request(), ANA, url, sender=acs)
    assert not created and again["id"] == first["id"] and len(acs.calls) == 1
