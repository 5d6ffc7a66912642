"""Media (issue 16): registered with the message, downloaded once through the real ACS SDK from the local fake
into Azurite, checked, retried, expired with a reason, served to staff with safe headers, uploaded for sending."""

from __future__ import annotations

import base64
import json
import threading
import tracemalloc
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import azure.functions as func
import httpx
import pytest
import sqlalchemy as sa

from devkit import acs_events, demo
from devkit.fake_acs import FakeAcs, running_fake
from shared import db, ingest, media, media_sniff, media_storage, schema
from shared.media_sniff import MediaRejected, sniff, verify
from tests.conftest import function

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 500
PDF = b"%PDF-1.7\n" + b"x" * 2000
OGG = b"OggS\x00\x02" + b"\x00" * 1000
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 1000
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 200
HTML = b"<html><script>alert(1)</script></html>"


# --- sniffing and rules (no storage) ---------------------------------------------------------------

@pytest.mark.parametrize(("head", "mime"), [
    (JPEG, "image/jpeg"), (PNG, "image/png"), (b"GIF89a....", "image/gif"), (WEBP, "image/webp"),
    (MP4, "video/mp4"), (b"\x00\x00\x00\x14ftyp3gp4", "video/3gpp"), (b"\x00\x00\x00\x20ftypM4A ", "audio/mp4"),
    (OGG, "audio/ogg"), (b"#!AMR\n", "audio/amr"), (b"ID3\x04\x00", "audio/mpeg"), (b"\xff\xfb\x90\x00", "audio/mpeg"),
    (b"\xff\xf1\x50\x80", "audio/aac"), (PDF, "application/pdf"), (b"PK\x03\x04\x14\x00", "application/zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "application/x-ole-storage"),
])
def test_sniff_recognises_the_types_whatsapp_carries(head: bytes, mime: str) -> None:
    found = sniff(head[:media_sniff.HEAD_BYTES])
    assert found is not None and found.mime == mime


@pytest.mark.parametrize("head", [HTML, b"", b"hello world", b"\x00" * 32, b"RIFF\x00\x00\x00\x00WAVE"])
def test_sniff_recognises_nothing_else(head: bytes) -> None:
    assert sniff(head) is None


@pytest.mark.parametrize(("kind", "declared", "head", "served"), [
    ("image", "image/jpeg", JPEG, "image/jpeg"),
    ("image", "image/jpg", JPEG, "image/jpeg"),
    ("audio", "audio/ogg; codecs=opus", OGG, "audio/ogg"),
    ("video", "video/mp4", MP4, "video/mp4"),
    ("sticker", "image/webp", WEBP, "image/webp"),
    ("document", "application/pdf", PDF, "application/pdf"),
    ("document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("document", "text/plain", b"hola, te paso el presupuesto", "application/octet-stream"),
    ("document", None, HTML, "application/octet-stream"),
])
def test_verify_serves_the_type_the_bytes_prove(kind: str, declared: str | None, head: bytes, served: str) -> None:
    assert verify(kind, declared, head) == served


@pytest.mark.parametrize(("kind", "declared", "head"), [
    ("image", "image/jpeg", HTML),  # a "photo" that is a web page
    ("image", "image/jpeg", PDF),
    ("image", "image/png", JPEG),  # declared PNG, bytes JPEG
    ("audio", "audio/ogg", JPEG),
    ("document", "application/pdf", b"PK\x03\x04"),  # a zip declared as PDF
    ("document", "application/pdf", HTML),
    ("sticker", "image/webp", PNG),
])
def test_verify_refuses_bytes_that_contradict_the_kind_or_the_declared_type(kind: str, declared: str,
                                                                             head: bytes) -> None:
    with pytest.raises(MediaRejected) as refused:
        verify(kind, declared, head)
    assert "no se guardó" in refused.value.reason


def test_safe_filename_and_disposition() -> None:
    assert media.safe_filename('../../etc/"pass\r\nwd".pdf', "application/pdf", 7) == "pass_wd_.pdf"
    assert media.safe_filename(None, "image/jpeg", 7) == "whatsapp-7.jpg"
    header = media.content_disposition("Presupuesto año 2026.pdf", "application/pdf", 3)
    assert header.startswith('attachment; filename="Presupuesto ano 2026.pdf"; filename*=UTF-8\'\'Presupuesto%20a')
    assert media.content_disposition("foto.jpg", "image/jpeg", 3) == 'inline; filename="foto.jpg"'


# --- with Azurite and the fake ----------------------------------------------------------------------

@pytest.fixture
def fake() -> Iterator[FakeAcs]:
    with running_fake() as running:
        yield running


@pytest.fixture
def acs(fake: FakeAcs) -> Any:
    from azure.communication.messages import NotificationMessagesClient

    return NotificationMessagesClient.from_connection_string(  # type: ignore[attr-defined]
        fake.connection_string, connection_verify=str(fake.ca_path), retry_total=2, retry_backoff_factor=0.01)


def _media_event(fake: FakeAcs, data: bytes, mime: str, message_type: str, *, declared: str | None = None,
                 caption: str | None = None, file_name: str | None = None) -> dict[str, Any]:
    media_id = fake.add_media(data, mime)
    payload: dict[str, Any] = {"id": media_id, "mimeType": declared or mime}
    if caption:
        payload["caption"] = caption
    if file_name:
        payload["fileName"] = file_name
    return acs_events.received(demo.demo_phone("Juan"), message_type=message_type, media=payload)


def _ingest(event: dict[str, Any]) -> int:
    result = ingest.ingest_event(event)
    assert result.outcome == "stored" and result.media_pk is not None
    return result.media_pk


def _row(media_pk: int) -> Any:
    return db.read(lambda conn: conn.execute(sa.select(schema.media).where(schema.media.c.Id == media_pk)).one())


def _blob_names() -> list[str]:
    return [b.name for b in media_storage.container().list_blobs()]


def _stream_gets(fake: FakeAcs) -> int:
    return sum(1 for r in fake.requests() if r.path.startswith("/messages/streams/"))


def test_ingest_registers_one_pending_item_with_the_message_even_when_redelivered(demo_url: str, media_env: Any,
                                                                                  fake: FakeAcs) -> None:
    event = _media_event(fake, JPEG, "image/jpeg", "image", caption="pantalla")
    media_pk = _ingest(event)
    assert ingest.ingest_event(event).outcome == "duplicate"
    message_pk = _row(media_pk).MessageId
    rows = db.read(lambda conn: conn.execute(sa.select(schema.media).where(schema.media.c.MessageId == message_pk))
                   .all())
    assert [r.Id for r in rows] == [media_pk]
    row = rows[0]
    assert (row.State, row.Kind, row.Attempts, row.Source) == ("pending", "image", 0, "acs")
    assert row.ExpiresAt - row.CreatedAt > timedelta(days=6)
    text = ingest.ingest_event(acs_events.received(demo.demo_phone("Juan"), content="hola"))
    assert text.media_pk is None


def test_download_stores_one_blob_with_the_verified_type(demo_url: str, media_env: Any, fake: FakeAcs,
                                                         acs: Any) -> None:
    media_pk = _ingest(_media_event(fake, JPEG, "image/jpeg", "image"))
    assert media.process(media_pk, client=acs) == "stored"
    row = _row(media_pk)
    assert (row.State, row.ContentType, row.SizeBytes, row.Reason) == ("stored", "image/jpeg", len(JPEG), None)
    assert media_storage.read_all(row.BlobName, 10**6) == JPEG
    assert media.process(media_pk, client=acs) == "skipped"  # a redelivered wake-up
    assert _blob_names() == [row.BlobName] and _stream_gets(fake) == 1


def test_concurrent_wakeups_download_once(demo_url: str, media_env: Any, fake: FakeAcs, acs: Any) -> None:
    media_pk = _ingest(_media_event(fake, MP4 * 100, "video/mp4", "video"))
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def worker() -> None:
        barrier.wait()
        outcomes.append(media.process(media_pk, client=acs))
    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["skipped"] * 5 + ["stored"]
    assert _stream_gets(fake) == 1 and len(_blob_names()) == 1


def test_concurrent_writers_of_one_name_store_one_complete_blob(media_env: Any) -> None:
    """Two writers past the lease (the first one slow) race on the blob: one wins whole, none mixes blocks."""
    block = media_storage.BLOCK_BYTES
    payloads = [bytes([n]) * (2 * block + 123) for n in (1, 2, 3)]
    results: list[media_storage.StoredBlob] = []

    def write(data: bytes) -> None:
        pieces = (data[i:i + 65536] for i in range(0, len(data), 65536))
        results.append(media_storage.write_once("inbound/xx/race", pieces, limit=10 * block,
                                                content_type_of=lambda _h: "video/mp4"))
    threads = [threading.Thread(target=write, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = media_storage.read_all("inbound/xx/race", 10 * block)
    assert stored in payloads
    assert sum(r.created for r in results) == 1
    assert {r.sha256 for r in results} == {results[0].sha256}


def test_an_item_whose_blob_was_stored_before_its_worker_died_is_completed_without_downloading(
        demo_url: str, media_env: Any, fake: FakeAcs, acs: Any) -> None:
    event = _media_event(fake, PNG, "image/png", "image")
    media_pk = _ingest(event)
    row = _row(media_pk)
    media_storage.write_once(row.BlobName, [PNG], limit=10**6, content_type_of=lambda _h: "image/png")
    past = db.utcnow() - timedelta(minutes=1)
    db.write(lambda conn: conn.execute(schema.media.update().where(schema.media.c.Id == media_pk).values(
        State="downloading", LeaseToken="dead-worker", LeaseUntil=past, Attempts=1)))
    fake.expire_media(event["data"]["media"]["id"])  # the id is gone by now: only the blob can save it
    assert media.process(media_pk, client=acs) == "stored"
    assert _row(media_pk).SizeBytes == len(PNG) and _stream_gets(fake) == 0


def test_transient_failures_are_retried_with_backoff_then_stored(demo_url: str, media_env: Any, fake: FakeAcs,
                                                                  acs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIA_RETRY_BASE_SECONDS", "60")
    media_pk = _ingest(_media_event(fake, OGG, "audio/ogg", "audio"))
    fake.fail_next("503", count=3, route="media")  # the SDK's own retries (2) and ours
    assert media.process(media_pk, client=acs) == "retry"
    row = _row(media_pk)
    assert row.State == "pending" and "HTTP 503" in row.Reason and row.Attempts == 1
    assert timedelta(seconds=47) < row.NextAttemptAt - row.UpdatedAt < timedelta(seconds=73)
    assert media.process(media_pk, client=acs) == "skipped"  # not due yet
    later = row.NextAttemptAt + timedelta(seconds=1)
    fake.fail_next("429", count=3, route="media", retry_after=0)
    assert media.process(media_pk, client=acs, now=later) == "retry"
    second = _row(media_pk)
    assert second.NextAttemptAt - later > timedelta(seconds=95)  # doubled
    assert media.process(media_pk, client=acs, now=second.NextAttemptAt) == "stored"
    assert _row(media_pk).Attempts == 3


def test_a_media_id_acs_no_longer_has_is_expired_with_the_reason(demo_url: str, media_env: Any, fake: FakeAcs,
                                                                 acs: Any) -> None:
    event = _media_event(fake, JPEG, "image/jpeg", "image")
    media_pk = _ingest(event)
    fake.expire_media(event["data"]["media"]["id"])
    assert media.process(media_pk, client=acs) == "expired"
    row = _row(media_pk)
    assert row.State == "expired" and "venció" in row.Reason and _blob_names() == []


def test_retries_stop_at_the_media_ids_likely_expiry(demo_url: str, media_env: Any, fake: FakeAcs, acs: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIA_ID_LIFETIME_DAYS", "0.0001")  # ~9 s
    monkeypatch.setenv("MEDIA_RETRY_BASE_SECONDS", "30")
    media_pk = _ingest(_media_event(fake, JPEG, "image/jpeg", "image"))
    fake.fail_next("503", count=3, route="media")
    assert media.process(media_pk, client=acs) == "expired"
    row = _row(media_pk)
    assert row.State == "expired" and "último error: HTTP 503" in row.Reason and "1 intentos" in row.Reason


def test_storage_down_is_retried_not_lost(demo_url: str, media_env: Any, fake: FakeAcs, acs: Any,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    media_pk = _ingest(_media_event(fake, JPEG, "image/jpeg", "image"))
    monkeypatch.setenv("MEDIA_STORAGE", "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey="
                       "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
                       "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/x;")
    media_storage.reset_clients()
    assert media.process(media_pk, client=acs) == "retry"
    assert "almacenamiento no disponible" in _row(media_pk).Reason
    monkeypatch.setenv("MEDIA_STORAGE", media_env.connection_string)
    media_storage.reset_clients()
    assert media.process(media_pk, client=acs, now=_row(media_pk).NextAttemptAt) == "stored"


@pytest.mark.parametrize(("data", "mime", "kind", "declared", "reason"), [
    (JPEG + b"\x00" * (5 * 1024 * 1024), "image/jpeg", "image", None, "límite de WhatsApp para imágenes (5 MB)"),
    (WEBP + b"\x00" * 600 * 1024, "image/webp", "sticker", None, "stickers (500 KB)"),
    (PDF, "image/jpeg", "image", None, "no corresponde a una imagen"),
    (HTML, "image/png", "image", None, "no es de un tipo reconocible"),
    (PNG, "image/png", "image", "image/jpeg", "no coincide con el tipo declarado"),
])
def test_files_breaking_the_rules_fail_with_the_reason_and_store_nothing(  # noqa: PLR0917
        demo_url: str, media_env: Any, fake: FakeAcs, acs: Any, data: bytes, mime: str, kind: str,
        declared: str | None, reason: str) -> None:
    media_pk = _ingest(_media_event(fake, data, mime, kind, declared=declared))
    assert media.process(media_pk, client=acs) == "failed"
    assert reason in _row(media_pk).Reason
    assert _blob_names() == []


def test_download_memory_stays_bounded_for_a_large_file(demo_url: str, media_env: Any, fake: FakeAcs,
                                                        acs: Any) -> None:
    size = 40 * 1024 * 1024
    media_pk = _ingest(_media_event(fake, PDF + b"\x00" * (size - len(PDF)), "application/pdf", "document",
                                    file_name="manual.pdf"))
    tracemalloc.start()
    try:
        assert media.process(media_pk, client=acs) == "stored"
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert _row(media_pk).SizeBytes == size
    assert peak < size / 2, f"peak {peak / 2**20:.1f} MiB for a {size / 2**20:.0f} MiB file"


def test_sweeper_drains_a_backlog_whose_wakeups_were_lost(demo_url: str, media_env: Any, fake: FakeAcs,
                                                          acs: Any) -> None:
    pks = [_ingest(_media_event(fake, JPEG + bytes([n]), "image/jpeg", "image")) for n in range(12)]
    demo_items = db.read(lambda conn: conn.execute(sa.select(sa.func.count()).select_from(schema.media)).scalar())
    assert media.sweep(client=acs, concurrency=3, budget_seconds=60) == {
        "stored": 12, "expired": demo_items - 12}  # the demo's media ids are unknown to the fake: 404
    assert {_row(pk).State for pk in pks} == {"stored"}
    assert media.sweep(client=acs, budget_seconds=5) == {}


def _queue_messages(name: str) -> list[str]:
    from azure.storage.queue import QueueClient

    client = QueueClient.from_connection_string(media_storage_conn(), name)
    return [m.content for m in client.peek_messages(max_messages=32)]


def media_storage_conn() -> str:
    from shared import config

    return config.get("MEDIA_STORAGE")


def test_the_wakeup_travels_through_the_queue_to_the_queue_trigger(demo_url: str, media_env: Any, fake: FakeAcs,
                                                                   acs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from localrunner import queues
    from localrunner.host import invoke, resolve_setting
    from shared import config

    monkeypatch.setattr(media, "acs_client", lambda: acs)
    assert media.wakeups.flush(30)  # what earlier tests left
    media_storage.queue().clear_messages()
    media_pk = _ingest(_media_event(fake, PNG, "image/png", "image"))
    assert media.wakeups.flush(10)
    bodies = [json.loads(base64.b64decode(b)) for b in _queue_messages(config.get("MEDIA_QUEUE"))]
    assert {"mediaId": media_pk} in bodies  # base64, as the host decodes
    import function_app

    info = queues.function_info(function_app.download_media)
    assert info.trigger == {"type": "queueTrigger", "direction": "IN", "name": "msg", "queueName": "%MEDIA_QUEUE%",
                            "connection": "MEDIA_STORAGE"}
    poller = queues.QueuePoller(info, invoke, resolve_setting)
    assert asyncio.run(poller.run_once()) == len(bodies)
    assert _row(media_pk).State == "stored"
    assert _queue_messages(config.get("MEDIA_QUEUE")) == []  # deleted after success


def test_a_message_failing_five_deliveries_moves_to_the_poison_queue(media_env: Any) -> None:
    import asyncio

    from localrunner import queues
    from localrunner.host import FunctionInfo
    from shared import config

    calls: list[int] = []

    async def failing(_info: Any, message: Any) -> None:
        calls.append(message.dequeue_count)
        raise RuntimeError("boom")
    info = FunctionInfo("download_media", {"type": "queueTrigger", "queueName": "%MEDIA_QUEUE%",
                                           "connection": "MEDIA_STORAGE", "name": "msg"}, lambda msg: None)
    poller = queues.QueuePoller(info, failing, lambda v: config.get("MEDIA_QUEUE"))
    media_storage.send_wakeup(json.dumps({"mediaId": 1}))
    for _ in range(5):
        assert asyncio.run(poller.run_once()) == 1
    assert calls == [1, 2, 3, 4, 5]
    assert asyncio.run(poller.run_once()) == 0
    assert len(_queue_messages(config.get("MEDIA_QUEUE") + "-poison")) == 1


# --- staff: listing, fetching, uploading; the agent ---------------------------------------------------

def _get(media_pk: int | str, headers: dict[str, str] | None = None) -> func.HttpResponse:
    request = func.HttpRequest(method="GET", url=f"http://localhost/api/whatsapp/media/{media_pk}",
                               headers=headers or {}, params={}, route_params={"mediaId": str(media_pk)}, body=b"")
    response: func.HttpResponse = function("get_whatsapp_media")(request)
    return response


def test_listing_and_staff_route_serve_the_stored_file_with_safe_headers(demo_url: str, media_env: Any,
                                                                          fake: FakeAcs, acs: Any) -> None:
    media_pk = _ingest(_media_event(fake, JPEG, "image/jpeg", "image", caption="pantalla"))
    pending = _get(media_pk)
    assert pending.status_code == 409 and "descargando" in json.loads(pending.get_body())["detail"]
    media.process(media_pk, client=acs)
    from shared import conversation

    [item] = [m for m in conversation.order_messages(1, 200)["messages"] if m["media"] and m["media"].get("id") ==
              media_pk]
    assert item["media"] | {} == {"kind": "image", "mimeType": "image/jpeg", "fileName": None, "caption": "pantalla",
                                  "id": media_pk, "state": "stored", "reason": None, "contentType": "image/jpeg",
                                  "size": len(JPEG), "url": f"/api/whatsapp/media/{media_pk}"}
    response = _get(media_pk)
    assert response.status_code == 200 and response.get_body() == JPEG
    headers = response.headers
    assert headers["Content-Type"] == "image/jpeg" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Disposition"] == f'inline; filename="whatsapp-{media_pk}.jpg"'
    assert headers["Cache-Control"].startswith("private") and "sandbox" in headers["Content-Security-Policy"]
    assert _get(media_pk, {"if-none-match": headers["ETag"]}).status_code == 304
    assert _get(media_pk, {"if-none-match": f'"other", W/{headers["ETag"]}'}).status_code == 304  # RFC 9110 list
    assert _get(media_pk, {"if-none-match": '"other"'}).status_code == 200
    assert _get(987654).status_code == 404
    assert _get("abc").status_code == 400


def test_an_expired_item_answers_gone_with_its_reason(demo_url: str, media_env: Any, fake: FakeAcs,
                                                      acs: Any) -> None:
    event = _media_event(fake, JPEG, "image/jpeg", "image")
    media_pk = _ingest(event)
    fake.expire_media(event["data"]["media"]["id"])
    media.process(media_pk, client=acs)
    gone = _get(media_pk)
    assert gone.status_code == 410 and "venció" in json.loads(gone.get_body())["detail"]


def _upload(body: bytes, content_type: str, file_name: str = "x") -> func.HttpResponse:
    request = func.HttpRequest(method="POST", url="http://localhost/api/whatsapp/media",
                               headers={"content-type": content_type}, params={"fileName": file_name},
                               route_params={}, body=body)
    response: func.HttpResponse = function("upload_whatsapp_media")(request)
    return response


def test_upload_for_sending_gives_a_short_lived_link_acs_can_fetch(media_env: Any) -> None:
    created = _upload(PDF, "application/pdf", "Presupuesto 123.pdf")
    assert created.status_code == 201
    body = json.loads(created.get_body())
    assert body["kind"] == "document" and body["size"] == len(PDF) and body["fileName"] == "Presupuesto 123.pdf"
    assert json.loads(_upload(PDF, "application/pdf").get_body())["blobRef"] == body["blobRef"]  # same file, one blob
    link = media.media_link_for_send(body["blobRef"])
    query = parse_qs(urlparse(link).query)
    assert query["sp"] == ["r"] and "sig" in query
    fetched = httpx.get(link)
    assert fetched.status_code == 200 and fetched.content == PDF
    assert httpx.put(link, content=b"x", headers={"x-ms-blob-type": "BlockBlob"}).status_code == 403  # read only
    with pytest.raises(ValueError):
        media.media_link_for_send("inbound/ab/" + "0" * 64)  # only uploads leave through send links


@pytest.mark.parametrize(("body", "content_type", "status"), [
    (HTML, "image/jpeg", 415), (PDF, "text/html", 415), (JPEG, "image/png", 415),
    (JPEG + b"\x00" * (5 * 1024 * 1024), "image/jpeg", 413),
])
def test_upload_refuses_what_whatsapp_would_not_carry(media_env: Any, body: bytes, content_type: str,
                                                      status: int) -> None:
    response = _upload(body, content_type)
    assert response.status_code == status
    assert json.loads(response.get_body())["detail"]
    assert _blob_names() == []


def test_agent_lists_an_orders_media_with_short_lived_links(demo_url: str, media_env: Any, fake: FakeAcs,
                                                            acs: Any) -> None:
    good = _ingest(_media_event(fake, JPEG, "image/jpeg", "image", caption="pantalla rota"))
    gone_event = _media_event(fake, OGG, "audio/ogg", "audio")
    gone = _ingest(gone_event)
    fake.expire_media(gone_event["data"]["media"]["id"])
    media.process(good, client=acs)
    media.process(gone, client=acs)
    listed = {item["id"]: item for item in media.order_media(1)["media"]}
    assert listed[good]["type"] == "image" and listed[good]["caption"] == "pantalla rota"
    assert httpx.get(listed[good]["link"]).content == JPEG
    assert listed[gone]["state"] == "expired" and "link" not in listed[gone] and listed[gone]["reason"]


def test_media_routes_require_a_signed_in_staff_member(demo_url: str, media_env: Any, tmp_path: Any) -> None:
    from tests.conftest import Runner, StaffIssuer

    issuer = StaffIssuer(tmp_path)
    runner = Runner(tmp_path, {**issuer.env, "MEDIA_STORAGE": media_env.connection_string,
                               "MEDIA_CONTAINER": media_storage_container()})
    try:
        anonymous = httpx.get(f"{runner.base}/api/whatsapp/media/1")
        assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")
        assert httpx.post(f"{runner.base}/api/whatsapp/media", content=JPEG,
                          headers={"content-type": "image/jpeg"}).status_code == 401
        assert httpx.get(f"{runner.base}/api/whatsapp/media/1", headers=issuer.bearer(exp=1)).status_code == 401
        uploaded = httpx.post(f"{runner.base}/api/whatsapp/media?fileName=a.jpg", content=JPEG,
                              headers={"content-type": "image/jpeg", **issuer.bearer()})
        assert uploaded.status_code == 201
        assert httpx.get(f"{runner.base}/api/whatsapp/media/999", headers=issuer.bearer()).status_code == 404
    finally:
        runner.stop()


def media_storage_container() -> str:
    from shared import config

    return config.get("MEDIA_CONTAINER")


def test_bytes_from_elsewhere_are_stored_with_the_same_checks(demo_url: str, media_env: Any) -> None:
    """Demo data (and, later, a chat export's attachments) go through ``store_bytes``: same rules, one blob."""
    from devkit import demo_media

    assert demo_media.store() == {"demo-media-1": "stored", "demo-media-2": "stored"}
    assert demo_media.store() == {}  # nothing pending any more
    rows = db.read(lambda conn: conn.execute(sa.select(schema.media).where(
        schema.media.c.AcsMediaId.in_(["demo-media-1", "demo-media-2"]))).all())
    assert {(r.ContentType, r.SizeBytes) for r in rows} == {("image/jpeg", len(demo_media.CRACKED_SCREEN_JPEG)),
                                                           ("application/pdf", len(demo_media.INVOICE_PDF))}
    bad = _ingest(acs_events.received(demo.demo_phone("Juan"), message_type="image",
                                      media={"id": "export-1", "mimeType": "image/jpeg"}))
    assert media.store_bytes(bad, [HTML], source="acs") == "failed"
    assert "no es de un tipo reconocible" in _row(bad).Reason
