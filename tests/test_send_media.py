"""Staff send a photo or a document (issue 16): uploaded to Azurite, sent through the real ACS SDK to the local
fake, which fetches the short-lived link as WhatsApp would; exactly once, with a fresh link per attempt.

The fake's delivery statuses come back through a webhook into ``ingest.ingest_event`` (as Event Grid's would).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import httpx
import pytest
import sqlalchemy as sa

from devkit import acs_events
from devkit.fake_acs import FakeAcs
from shared import acs_client, db, ingest, media, media_storage, outbox, replies, schema
from shared.errors import InvalidParameter
from shared.staff import Staff
from tests.conftest import answer_once_sent, fake_acs_for, function

MARIA_ORDER, JUAN_ORDER = 2, 1  # María's window is open; Juan last wrote 2 days ago
MARIA = "5491144445678"
ANA = Staff("staff-1", "Ana Gómez")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n" + b"presupuesto " * 200
DEAD_STORAGE = ("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey="
                "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
                "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/x;")


@pytest.fixture
def url(demo_url: str, media_env: Any) -> str:
    return demo_url


@pytest.fixture
def fake(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAcs]:
    with fake_acs_for(url, monkeypatch) as running:
        running.inbound(MARIA)  # the fake's window is open, as ours is
        yield running


def upload(data: bytes = PNG, content_type: str = "image/png", name: str | None = "pantalla.png") -> dict[str, Any]:
    return media.upload([data], content_type, name)


def send_media(url: str, blob_ref: str, *, crid: str = "m1", caption: str | None = "Así quedó la pantalla",
               file_name: str | None = None, order: int = MARIA_ORDER,
               sender: outbox.Sender | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"blobRef": blob_ref}
    if caption is not None:
        item["caption"] = caption
    if file_name is not None:
        item["fileName"] = file_name
    body = json.dumps({"clientRequestId": crid, "media": item}).encode()
    answer, _ = replies.send(order, replies.parse_send_body(body), ANA, url, sender=sender)
    return answer


def sends(fake: FakeAcs) -> list[Any]:
    return [r for r in fake.requests() if r.path.endswith("notifications:send")]


def table(url: str, t: sa.Table) -> list[Any]:
    return db.read(lambda c: c.execute(sa.select(t)).all(), url)


def outgoing_media(url: str) -> list[Any]:
    return [r for r in table(url, schema.media) if r.Source == "upload"]


def wait_status(url: str, message_id: str, wanted: str, timeout: float = 5.0) -> str | None:
    st = schema.message_status
    deadline = time.monotonic() + timeout
    while True:
        found = db.read(lambda c: c.execute(sa.select(st.c.Status).where(st.c.WhatsAppMessageId == message_id))
                        .scalar(), url)
        if found == wanted or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def staff_get(media_pk: int) -> func.HttpResponse:
    request = func.HttpRequest(method="GET", url=f"http://localhost/api/whatsapp/media/{media_pk}", headers={},
                               params={}, route_params={"mediaId": str(media_pk)}, body=b"")
    response: func.HttpResponse = function("get_whatsapp_media")(request)
    return response


def test_a_photo_sent_twice_at_once_and_again_goes_out_once_with_a_link_that_fetches_it(
        url: str, fake: FakeAcs) -> None:
    ref = upload()["blobRef"]
    answers: list[dict[str, Any]] = []
    threads = [threading.Thread(target=lambda: answers.append(send_media(url, ref))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answers.append(send_media(url, ref))  # the retried HTTP request, later
    assert {a["id"] for a in answers} == {answers[0]["id"]}
    assert {a["state"] for a in answers} <= {"sent", "sending"} and answers[-1]["state"] == "sent"  # twins see it going
    [accepted] = fake.messages()
    assert len(sends(fake)) == 1 and accepted.kind == "image"
    assert accepted.body["caption"] == "Así quedó la pantalla" and "fileName" not in accepted.body
    assert accepted.media == {"kind": "image", "status": 200, "size": len(PNG), "contentType": "image/png",
                              "sha256": hashlib.sha256(PNG).hexdigest()}
    assert wait_status(url, accepted.message_id, "read") == "read"  # the statuses that follow add nothing
    [message] = [m for m in table(url, schema.message) if m.OutboxId == answers[0]["id"]]
    assert (message.MessageType, message.Content, message.MediaCaption, message.MediaMimeType) == (
        "image", None, "Así quedó la pantalla", "image/png")
    [stored] = outgoing_media(url)
    assert stored.MessageId == message.Id and stored.State == "stored" and stored.BlobName == ref
    shown = replies.answer(answers[0]["id"], url)["message"]
    assert shown["type"] == "image" and shown["status"]["state"] == "read"
    assert shown["media"]["url"] == f"/api/whatsapp/media/{stored.Id}" and shown["media"]["size"] == len(PNG)
    fetched = staff_get(stored.Id)
    assert fetched.status_code == 200 and fetched.get_body() == PNG
    assert fetched.headers["Content-Type"] == "image/png"
    assert len(table(url, schema.message)) == len({m.MessageKey for m in table(url, schema.message)})


def test_a_pdf_goes_out_as_a_document_with_its_name_and_caption(url: str, fake: FakeAcs) -> None:
    uploaded = upload(PDF, "application/pdf", "Presupuesto 123.pdf")
    answer = send_media(url, uploaded["blobRef"], caption="El presupuesto", file_name=uploaded["fileName"])
    assert answer["state"] == "sent"
    [accepted] = fake.messages()
    assert accepted.kind == "document" and accepted.body["fileName"] == "Presupuesto 123.pdf"
    assert accepted.body["caption"] == "El presupuesto"
    assert accepted.media is not None and accepted.media["sha256"] == hashlib.sha256(PDF).hexdigest()
    message = answer["message"]
    assert message["type"] == "document" and message["media"]["fileName"] == "Presupuesto 123.pdf"
    assert message["media"]["mimeType"] == "application/pdf" and message["media"]["caption"] == "El presupuesto"
    response = staff_get(message["media"]["id"])
    assert response.status_code == 200 and response.get_body() == PDF
    assert "Presupuesto 123.pdf" in response.headers["Content-Disposition"]
    unnamed = send_media(url, uploaded["blobRef"], crid="m2", caption=None)
    assert fake.messages()[-1].body["fileName"] == "documento.pdf" and unnamed["message"]["media"]["caption"] is None


def test_the_same_id_with_another_file_is_a_conflict(url: str, fake: FakeAcs) -> None:
    send_media(url, upload()["blobRef"])
    with pytest.raises(replies.RequestConflict):
        send_media(url, upload(PDF, "application/pdf")["blobRef"])
    with pytest.raises(replies.RequestConflict):
        send_media(url, upload()["blobRef"], caption="otro texto")
    assert len(fake.messages()) == 1 and len(outgoing_media(url)) == 1


def test_a_photo_outside_the_window_is_refused_before_anything_is_written(url: str, fake: FakeAcs) -> None:
    ref = upload()["blobRef"]
    with pytest.raises(replies.WindowClosed) as caught:
        send_media(url, ref, order=JUAN_ORDER)
    assert caught.value.status == 409 and "plantilla" in caught.value.detail
    assert table(url, schema.outbox) == [] and sends(fake) == []


def test_an_upload_that_is_not_there_or_not_sendable_is_a_422(url: str, fake: FakeAcs) -> None:
    with pytest.raises(replies.MediaNotSendable) as missing:
        send_media(url, "outgoing/" + "0" * 64)
    assert missing.value.status == 422 and "Subilo de nuevo" in missing.value.detail
    blob = media_storage.container().get_blob_client("outgoing/" + "1" * 64)  # stored by other means
    from azure.storage.blob import ContentSettings

    blob.upload_blob(b"<html></html>", content_settings=ContentSettings(content_type="text/html"),
                     metadata={"kind": "document"})
    with pytest.raises(replies.MediaNotSendable) as unsupported:
        send_media(url, "outgoing/" + "1" * 64)
    assert "solo fotos" in unsupported.value.detail
    unchecked = media_storage.container().get_blob_client("outgoing/" + "2" * 64)  # a PDF upload() never checked
    unchecked.upload_blob(PDF, content_settings=ContentSettings(content_type="application/pdf"))
    with pytest.raises(replies.MediaNotSendable):
        send_media(url, "outgoing/" + "2" * 64)
    with pytest.raises(InvalidParameter):
        send_media(url, upload()["blobRef"], caption="x" * 1025)
    assert table(url, schema.outbox) == [] and sends(fake) == []


def test_storage_down_when_asked_is_a_503_and_nothing_is_written(url: str, fake: FakeAcs,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    ref = upload()["blobRef"]
    monkeypatch.setenv("MEDIA_STORAGE", DEAD_STORAGE)
    media_storage.reset_clients()
    with pytest.raises(media.StorageDown) as caught:
        send_media(url, ref)
    assert caught.value.status == 503 and table(url, schema.outbox) == []


def test_storage_down_at_the_attempt_is_retried_then_sent_when_it_is_back(
        url: str, fake: FakeAcs, media_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ref = upload()["blobRef"]
    fake.fail_next("503", count=50, route="send")
    first = send_media(url, ref)
    assert first["state"] == "pending" and fake.messages() == []
    fake.reset()
    fake.inbound(MARIA)
    monkeypatch.setenv("MEDIA_STORAGE", DEAD_STORAGE)
    media_storage.reset_clients()
    db.write(lambda c: c.execute(schema.outbox.update().values(NextAttemptAt=db.utcnow())), url)
    assert outbox.drain(url)["attempted"] == 1
    waiting = replies.answer(first["id"], url)
    assert waiting["state"] == "pending" and waiting["errorCode"] is None  # not unknown, not failed
    assert waiting["attempts"] > first["attempts"] and sends(fake) == []  # nothing reached ACS
    assert waiting["message"]["media"]["state"] == "sending"
    assert waiting["message"]["media"]["blobRef"] == ref  # the panel can send it again after a reload
    monkeypatch.setenv("MEDIA_STORAGE", media_env.connection_string)
    media_storage.reset_clients()
    db.write(lambda c: c.execute(schema.outbox.update().values(NextAttemptAt=db.utcnow())), url)
    assert outbox.drain(url)["attempted"] == 1
    assert replies.answer(first["id"], url)["state"] == "sent"
    [accepted] = fake.messages()
    assert accepted.media is not None and accepted.media["status"] == 200 and len(outgoing_media(url)) == 1


def test_storage_down_past_the_retry_budget_fails_with_the_reason(url: str, fake: FakeAcs,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    ref = upload()["blobRef"]
    monkeypatch.setenv("SEND_RETRY_MINUTES", "0")

    def storage_gone_after_the_check(row: Any) -> acs_client.Outcome:
        monkeypatch.setenv("MEDIA_STORAGE", DEAD_STORAGE)
        media_storage.reset_clients()
        return outbox.acs_sender(row)

    answer = send_media(url, ref, sender=storage_gone_after_the_check)
    assert answer["state"] == "failed" and answer["errorCode"] == "retry_exhausted" and sends(fake) == []


def test_an_upload_gone_by_the_attempt_fails_with_the_reason(url: str, fake: FakeAcs) -> None:
    ref = upload()["blobRef"]

    def deleted_meanwhile(row: Any) -> acs_client.Outcome:
        media_storage.container().delete_blob(ref)
        return outbox.acs_sender(row)

    answer = send_media(url, ref, sender=deleted_meanwhile)
    assert answer["state"] == "failed" and "Subilo de nuevo" in answer["reason"] and sends(fake) == []


def test_acs_refusing_it_fails_with_the_spanish_reason(url: str, fake: FakeAcs) -> None:
    fake.fail_next("400", route="send", code="131053")
    answer = send_media(url, upload()["blobRef"])
    assert answer["state"] == "failed" and answer["errorCode"] == "131053" and "archivo" in answer["reason"]
    assert answer["message"]["media"]["state"] == "failed" and outgoing_media(url) == []


def test_a_link_that_does_not_fetch_is_reported_failed_by_the_fake_as_whatsapp_would(
        url: str, fake: FakeAcs, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves the fake really fetches: a link with a broken signature fails delivery with 131053."""
    real = media.media_link_for_send
    monkeypatch.setattr(media, "media_link_for_send", lambda ref: real(ref).replace("sig=", "sig=AAAA"))
    answer = send_media(url, upload()["blobRef"])
    [accepted] = fake.messages()
    assert accepted.media is not None and accepted.media["status"] == 403
    assert wait_status(url, answer["messageId"], "failed") == "failed"


def test_each_attempt_mints_its_own_link_and_each_fetches_the_file(url: str, fake: FakeAcs,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    minted: list[tuple[str, bytes]] = []
    real = media.media_link_for_send

    def spy(ref: str) -> str:
        link = real(ref)
        minted.append((link, httpx.get(link).content))  # valid when minted
        return link

    monkeypatch.setattr(media, "media_link_for_send", spy)
    fake.fail_next("429", route="send", retry_after=1.1)  # the next attempt is in another second: another expiry
    answer = send_media(url, upload()["blobRef"])
    assert answer["state"] == "sent" and answer["attempts"] == 2
    assert len(minted) == 2 and minted[0][0] != minted[1][0] and {m[1] for m in minted} == {PNG}
    row = db.read(lambda c: outbox.get(c, answer["id"]), url)
    assert "sig=" not in json.dumps([str(v) for v in row._mapping.values()])  # a link is never stored


def test_a_status_before_and_after_the_acceptance_makes_one_message_and_one_media_row(url: str,
                                                                                      fake: FakeAcs) -> None:
    ref = upload()["blobRef"]

    def status_first(row: Any) -> acs_client.Outcome:
        ingest.ingest_event(acs_events.status("wamid.photo", "Sent", to=MARIA), url)
        return acs_client.Accepted("wamid.photo")

    answer = send_media(url, ref, sender=status_first)
    ingest.ingest_event(acs_events.status("wamid.photo", "Delivered", to=MARIA), url)
    [message] = [m for m in table(url, schema.message) if m.WhatsAppMessageId == "wamid.photo"]
    assert message.MessageType == "image" and message.OutboxId == answer["id"]
    [stored] = outgoing_media(url)
    assert stored.MessageId == message.Id
    assert replies.answer(answer["id"], url)["message"]["media"]["state"] == "stored"


def test_nothing_personal_is_logged_at_info(url: str, fake: FakeAcs, caplog: pytest.LogCaptureFixture,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.INFO)
    uploaded = upload(PDF, "application/pdf", "Presupuesto Gómez.pdf")
    links: list[str] = []
    real = media.media_link_for_send
    monkeypatch.setattr(media, "media_link_for_send", lambda ref: links.append(real(ref)) or links[-1])
    fake.fail_next("429", route="send", retry_after=0.1)
    answer = send_media(url, uploaded["blobRef"], caption="Av. Siempreviva 742", file_name="Presupuesto Gómez.pdf")
    wait_status(url, answer["messageId"], "read")
    text = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert links
    for secret in (MARIA, "44445678", "Siempreviva", "Presupuesto", "Gómez", "staff-1", "sig=", *links):
        assert secret not in text


def test_a_photo_whose_answer_was_lost_is_unknown_then_reconciled_once_never_resent(url: str, fake: FakeAcs) -> None:
    """The send's outcome is unknown (ACS took it, the answer never came): no second send; the delivery status
    that follows makes it the stored photo, with its media row, once."""
    fake.fail_next("drop", route="send")
    answer = send_media(url, upload()["blobRef"], crid="lost")
    assert answer["state"] in {"unknown", "sent"}  # the status may have reconciled it already
    accepted = fake.messages()
    assert len(accepted) == 1
    after = answer_once_sent(answer["id"], url)
    assert after["state"] == "sent" and after["messageId"] == accepted[0].message_id
    assert after["message"]["type"] == "image" and after["message"]["media"]["state"] == "stored"
    assert after["message"]["media"]["caption"] == "Así quedó la pantalla"
    assert outbox.drain(url)["attempted"] == 0 and len(sends(fake)) == 1  # never resent
    assert len(outgoing_media(url)) == 1
