"""The local ACS fake, driven only through the real azure-communication-messages 1.1.0 clients.

What these prove is that the fake is faithful enough to test the sending feature against: TLS trusted through
``connection_verify``, HMAC signatures checked (a tampered body, a wrong key, a stale date or a bearer token
is refused), the SDK's own retry behaviour on 429/503, idempotency by ``Repeatability-Request-ID``, template
paging, media streams, and delivery reports reaching an Event Grid webhook in the vendor's shape.
"""

from __future__ import annotations

import base64
import json
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from azure.communication.messages import MessageTemplateClient, NotificationMessagesClient
from azure.communication.messages.models import (
    AudioNotificationContent,
    DocumentNotificationContent,
    ImageNotificationContent,
    MessageTemplate,
    MessageTemplateText,
    TemplateNotificationContent,
    TextNotificationContent,
    VideoNotificationContent,
    WhatsAppMessageTemplateBindings,
    WhatsAppMessageTemplateBindingsComponent,
)
from azure.core.credentials import AccessToken
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceResponseError,
)

from devkit import fake_acs
from devkit.fake_acs import FakeAcs, running_fake
from tests.conftest import ROOT, example

OPEN = "5491112345678"  # wrote to the shop a minute ago
CLOSED = "5491187654321"  # last wrote 25 hours ago
NEVER = "5493511234567"  # never wrote
FAST = (0.01, 0.01, 0.01)


class Webhook:
    """A stand-in Event Grid endpoint that records what it is sent (path, headers, events)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str], list[dict[str, Any]]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.calls.append((self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = (f"http://127.0.0.1:{self.server.server_address[1]}"
                    "/runtime/webhooks/EventGrid?functionName=ingest_whatsapp_event&code=k")
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict[str, Any]]:
        return [event for _, _, events in self.calls for event in events]

    def statuses(self, message_id: str, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.events() if e["data"].get("messageId") == message_id]
            if len(found) >= count:
                return found
            time.sleep(0.01)
        raise AssertionError(f"expected {count} status events for {message_id}, got {self.events()}")


@pytest.fixture(scope="module")
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.server.shutdown()


@pytest.fixture(scope="module")
def running(webhook: Webhook) -> Iterator[FakeAcs]:
    with running_fake(webhook_url=webhook.url, status_delays=FAST) as fake:
        yield fake


@pytest.fixture
def fake(running: FakeAcs, webhook: Webhook) -> FakeAcs:
    running.reset()
    webhook.calls.clear()
    running.inbound(OPEN, at=datetime.now(UTC) - timedelta(minutes=1))
    running.inbound(CLOSED, at=datetime.now(UTC) - timedelta(hours=25))
    return running


def client(fake: FakeAcs, **kwargs: Any) -> NotificationMessagesClient:
    return NotificationMessagesClient.from_connection_string(
        fake.connection_string, connection_verify=str(fake.ca_path), retry_backoff_factor=0.01, **kwargs)


def text(fake: FakeAcs, to: str = OPEN, content: str = "Hola, tu equipo está listo") -> TextNotificationContent:
    return TextNotificationContent(channel_registration_id=fake.channel_id, to=[to], content=content)


def template(fake: FakeAcs, name: str, params: list[str], to: str = NEVER) -> TemplateNotificationContent:
    values = [MessageTemplateText(name=f"p{i}", text=value) for i, value in enumerate(params)]
    bindings = WhatsAppMessageTemplateBindings(
        body=[WhatsAppMessageTemplateBindingsComponent(ref_value=v.name) for v in values])
    return TemplateNotificationContent(channel_registration_id=fake.channel_id, to=[to], template=MessageTemplate(
        name=name, language="es_AR", template_values=values, bindings=bindings))


# ------------------------------------------------------------------------------------------- sending + auth

FILE = b"%PDF-1.7 the file behind the link"


@pytest.fixture(scope="module")
def files() -> Iterator[str]:
    """A local HTTP server for media links: ``/ok/...`` answers FILE, anything else 403 (a SAS that does not work)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok = self.path.startswith("/ok/")
            self.send_response(200 if ok else 403)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(len(FILE) if ok else 0))
            self.end_headers()
            if ok:
                self.wfile.write(FILE)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("make", [
    lambda f, _: text(f),
    lambda f, files: ImageNotificationContent(channel_registration_id=f.channel_id, to=[OPEN],
                                              media_uri=f"{files}/ok/a.jpg", content="foto"),
    lambda f, files: DocumentNotificationContent(channel_registration_id=f.channel_id, to=[OPEN],
                                                 media_uri=f"{files}/ok/p.pdf", file_name="presupuesto.pdf"),
    lambda f, files: VideoNotificationContent(channel_registration_id=f.channel_id, to=[OPEN],
                                              media_uri=f"{files}/ok/v.mp4"),
    lambda f, files: AudioNotificationContent(channel_registration_id=f.channel_id, to=[OPEN],
                                              media_uri=f"{files}/ok/a.ogg"),
], ids=["text", "image", "document", "video", "audio"])
def test_signed_send_is_accepted_and_recorded(fake: FakeAcs, files: str, make: Any) -> None:
    content = make(fake, files)
    result = client(fake).send(content)
    [receipt] = result.receipts
    assert receipt.to == OPEN
    [message] = fake.messages()
    assert (message.message_id, message.kind, message.outcome) == (receipt.message_id, content.kind, "delivered")
    assert message.body["channelRegistrationId"] == fake.channel_id
    if content.kind != "text":  # the fake fetched the link, as WhatsApp does behind ACS
        import hashlib

        assert message.media == {"kind": content.kind, "status": 200, "size": len(FILE),
                                 "sha256": hashlib.sha256(FILE).hexdigest(), "contentType": "application/pdf"}
    [request] = fake.requests()
    assert request.status == 202 and request.repeatability_request_id


@pytest.mark.parametrize("path", ["/expired-sas.pdf", None])
def test_a_media_link_that_does_not_fetch_is_accepted_then_fails_with_131053(fake: FakeAcs, files: str,
                                                                            path: str | None) -> None:
    uri = f"{files}{path}" if path else "http://127.0.0.1:9/nothing-listens.pdf"
    client(fake).send(DocumentNotificationContent(channel_registration_id=fake.channel_id, to=[OPEN],
                                                  media_uri=uri, file_name="p.pdf"))
    [message] = fake.messages()
    assert message.outcome == "failed" and message.error is not None
    assert message.error["channelCode"] == "131053"
    assert message.media is not None and message.media["status"] in (403, None)


def test_non_ascii_text_is_signed_over_the_bytes_sent(fake: FakeAcs) -> None:
    client(fake).send(text(fake, content="¿Retirás el jueves? 📱 Ñandú"))
    assert fake.messages()[0].body["content"] == "¿Retirás el jueves? 📱 Ñandú"


@pytest.mark.parametrize(("body", "code"), [
    ({"to": ["+5491112345678"]}, "InvalidRecipient"),
    ({"to": [OPEN, NEVER]}, "InvalidRequest"),
    ({"channelRegistrationId": "00000000-0000-0000-0000-000000000000"}, "InvalidChannelRegistrationId"),
    ({"content": ""}, "InvalidRequest"),
    ({"content": "x" * 4097}, "InvalidRequest"),
    ({"kind": "sticker"}, "InvalidRequest"),
    ({"kind": "image", "mediaUri": "ftp://example.com/a.jpg"}, "InvalidRequest"),
    ({"kind": "template", "template": {"name": "saludo", "language": "es_AR",
                                       "values": [{"kind": "text", "name": "a", "text": "x"}],
                                       "bindings": {"kind": "whatsApp", "body": [{"refValue": "b"}]}}},
     "InvalidRequest"),
], ids=["plus", "two-recipients", "other-channel", "empty-text", "too-long", "unknown-kind", "ftp-media",
        "binding-to-nothing"])
def test_invalid_bodies_are_refused_with_400(fake: FakeAcs, body: dict[str, Any], code: str) -> None:
    payload = {"channelRegistrationId": fake.channel_id, "to": [OPEN], "kind": "text", "content": "hola", **body}
    with pytest.raises(HttpResponseError) as caught:
        client(fake).send(payload)
    assert caught.value.status_code == 400
    assert caught.value.error is not None and caught.value.error.code == code
    assert fake.messages() == []


def _tamper(recompute_hash: bool) -> Any:
    def hook(request: Any) -> None:
        body = request.http_request.body.replace("Hola", "Chau")
        request.http_request.set_bytes_body(body.encode())
        if recompute_hash:
            request.http_request.headers["x-ms-content-sha256"] = fake_acs.content_hash(body.encode())
    return hook


@pytest.mark.parametrize(("recompute_hash", "reason"), [
    (False, "x-ms-content-sha256 does not match the body"),
    (True, "signature mismatch"),
])
def test_a_body_changed_after_signing_is_refused(fake: FakeAcs, recompute_hash: bool, reason: str) -> None:
    with pytest.raises(ClientAuthenticationError) as caught:
        client(fake).send(text(fake), raw_request_hook=_tamper(recompute_hash))
    assert caught.value.status_code == 401
    assert caught.value.error is not None and caught.value.error.code == "Denied"
    assert [r.reason for r in fake.requests()] == [reason]
    assert fake.messages() == []


def test_a_wrong_key_is_refused(fake: FakeAcs) -> None:
    other = base64.b64encode(b"k" * 32).decode()
    wrong = NotificationMessagesClient.from_connection_string(
        f"endpoint={fake.endpoint}/;accesskey={other}", connection_verify=str(fake.ca_path))
    with pytest.raises(ClientAuthenticationError):
        wrong.send(text(fake))
    assert [r.reason for r in fake.requests()] == ["signature mismatch"]
    assert fake.messages() == []


def test_a_stale_date_is_refused(fake: FakeAcs, monkeypatch: pytest.MonkeyPatch) -> None:
    from azure.communication.messages._shared import policy

    stale = (datetime.now(UTC) - timedelta(minutes=16)).strftime(fake_acs.ACS_DATE_FORMAT)
    monkeypatch.setattr(policy, "get_current_utc_time", lambda: stale)
    with pytest.raises(ClientAuthenticationError):
        client(fake).send(text(fake))
    assert [r.reason for r in fake.requests()] == ["x-ms-date outside the accepted window"]


def test_bearer_tokens_are_refused(fake: FakeAcs) -> None:
    class Token:
        def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            return AccessToken("header.payload.signature", int(time.time()) + 3600)

    with_token = NotificationMessagesClient(fake.endpoint, Token(),  # type: ignore[arg-type]
                                            connection_verify=str(fake.ca_path))
    with pytest.raises(ClientAuthenticationError):
        with_token.send(text(fake))
    assert [r.reason for r in fake.requests()] == ["bearer tokens are not accepted by the fake"]


def test_the_certificate_must_be_trusted(fake: FakeAcs) -> None:
    untrusting = NotificationMessagesClient.from_connection_string(fake.connection_string, retry_total=0)
    with pytest.raises(AzureError, match=r"(?i)certificate"):
        untrusting.send(text(fake))
    assert fake.messages() == []


# ------------------------------------------------------------------------------------------- faults, retries

def test_429_is_retried_by_the_sdk_after_retry_after(fake: FakeAcs) -> None:
    fake.fail_next("429", retry_after=0.3)
    result = client(fake).send(text(fake))
    first, second = fake.requests()
    assert (first.status, second.status) == (429, 202)
    assert second.at - first.at >= 0.3
    assert first.repeatability_request_id == second.repeatability_request_id
    assert [m.message_id for m in fake.messages()] == [result.receipts[0].message_id]


def test_503_is_retried_by_the_sdk(fake: FakeAcs) -> None:
    fake.fail_next("503", count=2)
    client(fake).send(text(fake))
    assert [r.status for r in fake.requests()] == [503, 503, 202]
    assert len(fake.messages()) == 1


def test_400_with_a_meta_code_surfaces_that_code(fake: FakeAcs) -> None:
    fake.fail_next("400", code="131009", message="(#131009) Parameter value is not valid")
    with pytest.raises(HttpResponseError) as caught:
        client(fake).send(text(fake))
    assert caught.value.status_code == 400
    assert caught.value.error is not None and caught.value.error.code == "131009"
    assert [r.status for r in fake.requests()] == [400]  # a POST 400 is not retried
    assert fake.messages() == []


def test_scripted_401_and_faults_scoped_to_a_route(fake: FakeAcs) -> None:
    fake.fail_next("401", route="templates")
    client(fake).send(text(fake))  # the send is not affected
    templates = MessageTemplateClient.from_connection_string(fake.connection_string,
                                                             connection_verify=str(fake.ca_path))
    with pytest.raises(ClientAuthenticationError):
        list(templates.list_templates(fake.channel_id))


def test_a_connection_dropped_after_acceptance_leaves_the_outcome_unknown(fake: FakeAcs, webhook: Webhook) -> None:
    fake.fail_next("drop")
    with pytest.raises(AzureError):
        client(fake).send(text(fake))
    [message] = fake.messages()  # accepted all the same: it will be delivered
    assert [e["data"]["status"] for e in webhook.statuses(message.message_id, 3)] == ["Sent", "Delivered", "Read"]


def test_a_reply_slower_than_the_caller_waits_leaves_the_outcome_unknown(fake: FakeAcs) -> None:
    fake.fail_next("delay", delay=0.5)
    with pytest.raises(ServiceResponseError):
        client(fake, read_timeout=0.2).send(text(fake))
    deadline = time.monotonic() + 5  # on a loaded machine the fake may accept after the caller gave up
    while not fake.messages() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(fake.messages()) == 1
    assert len(fake.requests()) == 1  # the SDK does not retry a POST that timed out


# ------------------------------------------------------------------------------------------- repeatability

def test_the_same_repeatability_id_yields_the_same_receipt_and_one_message(fake: FakeAcs, webhook: Webhook) -> None:
    headers = {"Repeatability-Request-ID": "0f7b4c2e-1b7c-4d43-9d0a-2d7c8c9e4a11",
               "Repeatability-First-Sent": format_datetime(datetime.now(UTC) - timedelta(minutes=5), usegmt=True)}
    sdk = client(fake)
    results: list[str] = []

    def send() -> None:
        results.append(sdk.send(text(fake), headers=headers).receipts[0].message_id)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [message] = fake.messages()
    assert results == [message.message_id] * 4
    webhook.statuses(message.message_id, 3)
    time.sleep(0.1)
    assert len(webhook.events()) == 3


@pytest.mark.parametrize("first_sent", ["yesterday", format_datetime(datetime.now(UTC) - timedelta(hours=25),
                                                                    usegmt=True)])
def test_a_first_sent_outside_the_window_is_rejected(fake: FakeAcs, first_sent: str) -> None:
    headers = {"Repeatability-Request-ID": "0f7b4c2e-1b7c-4d43-9d0a-2d7c8c9e4a13",
               "Repeatability-First-Sent": first_sent}
    with pytest.raises(HttpResponseError) as caught:
        client(fake).send(text(fake), headers=headers)
    assert caught.value.status_code == 400
    assert caught.value.response is not None
    assert caught.value.response.headers["Repeatability-Result"] == "rejected"
    assert fake.messages() == []


def test_the_sdk_trusts_the_ca_through_requests_ca_bundle(fake: FakeAcs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.ca_path))
    unchanged = NotificationMessagesClient.from_connection_string(fake.connection_string)
    assert unchanged.send(text(fake)).receipts[0].to == OPEN


def test_without_repeatability_a_resend_is_a_second_message(fake: FakeAcs) -> None:
    headers = {"Repeatability-Request-ID": "0f7b4c2e-1b7c-4d43-9d0a-2d7c8c9e4a12"}
    fake.state.config.honour_repeatability = False
    try:
        first = client(fake).send(text(fake), headers=headers).receipts[0].message_id
        second = client(fake).send(text(fake), headers=headers).receipts[0].message_id
    finally:
        fake.state.config.honour_repeatability = True
    assert first != second and len(fake.messages()) == 2


# ------------------------------------------------------------------------------------------- delivery reports

def _shape(event: dict[str, Any]) -> tuple[set[str], set[str], set[str]]:
    error = event["data"].get("error") or {}
    return set(event), set(event["data"]), set(error)


def test_status_events_reach_the_webhook_in_order_in_the_vendor_shape(fake: FakeAcs, webhook: Webhook) -> None:
    message_id = client(fake).send(text(fake)).receipts[0].message_id
    events = webhook.statuses(message_id, 3)
    assert [e["data"]["status"] for e in events] == ["Sent", "Delivered", "Read"]
    for event in events:
        assert _shape(event) == _shape(example("status-sent"))
        assert event["eventType"] == "Microsoft.Communication.AdvancedMessageDeliveryStatusUpdated"
        assert event["subject"] == f"advancedMessage/{message_id}/status/{event['data']['status']}"
        assert (event["data"]["from"], event["data"]["to"]) == (fake.channel_id, OPEN)
    path, headers, body = webhook.calls[0]
    assert path.endswith("functionName=ingest_whatsapp_event&code=k")
    assert headers["aeg-event-type"] == "Notification" and len(body) == 1


@pytest.mark.parametrize("recipient", [CLOSED, NEVER])
def test_free_text_outside_the_window_is_accepted_then_fails_131047(fake: FakeAcs, webhook: Webhook,
                                                                   recipient: str) -> None:
    message_id = client(fake).send(text(fake, to=recipient)).receipts[0].message_id
    [event] = webhook.statuses(message_id, 1)
    assert _shape(event) == _shape(example("status-failed"))
    assert event["data"]["status"] == "Failed"
    assert event["data"]["error"]["channelCode"] == "131047"
    time.sleep(0.1)
    assert len(webhook.events()) == 1  # no Sent/Delivered after a failure


def test_an_inbound_message_opens_the_window(fake: FakeAcs, webhook: Webhook) -> None:
    fake.inbound(NEVER, "hola")
    message_id = client(fake).send(text(fake, to=NEVER)).receipts[0].message_id
    assert [e["data"]["status"] for e in webhook.statuses(message_id, 3)] == ["Sent", "Delivered", "Read"]


@pytest.mark.parametrize(("name", "params", "code"), [
    ("equipo_listo_para_retirar", ["Juan", "celular", "1234"], None),
    ("recordatorio_retiro", ["Juan", "celular", "1234", "lunes"], "132001"),  # pending
    ("promo_mantenimiento", ["Juan"], "132001"),  # rejected
    ("no_existe", ["Juan"], "132001"),
    ("encuesta_satisfaccion", ["Juan", "1234"], "132015"),  # paused
    ("equipo_listo_para_retirar", ["Juan", "celular"], "132000"),  # one parameter short
])
def test_templates_outside_the_window(fake: FakeAcs, webhook: Webhook, name: str, params: list[str],
                                      code: str | None) -> None:
    message_id = client(fake).send(template(fake, name, params)).receipts[0].message_id
    [message] = fake.messages()
    if code is None:
        assert [e["data"]["status"] for e in webhook.statuses(message_id, 3)] == ["Sent", "Delivered", "Read"]
        assert message.rendered is not None and message.rendered.startswith("Hola Juan, tu celular (orden 1234)")
    else:
        [event] = webhook.statuses(message_id, 1)
        assert (event["data"]["status"], event["data"]["error"]["channelCode"]) == ("Failed", code)
        assert message.outcome == "failed"


def test_a_template_status_can_change(fake: FakeAcs, webhook: Webhook) -> None:
    assert fake.set_template_status("recordatorio_retiro", "approved")
    message_id = client(fake).send(template(fake, "recordatorio_retiro", ["Juan", "celular", "1", "lunes"]))\
        .receipts[0].message_id
    assert webhook.statuses(message_id, 3)[-1]["data"]["status"] == "Read"


# ------------------------------------------------------------------------------------------- templates, media

def test_list_templates_pages_through_next_link(fake: FakeAcs) -> None:
    templates = MessageTemplateClient.from_connection_string(fake.connection_string,
                                                             connection_verify=str(fake.ca_path))
    pages = [list(page) for page in templates.list_templates(fake.channel_id, maxpagesize=2).by_page()]
    seeded = fake_acs.seed_templates()
    assert [len(page) for page in pages] == [2, 2, 2, 1][: len(pages)] and len(pages) == (len(seeded) + 1) // 2
    items = [item for page in pages for item in page]
    assert [(i.name, i.language, i.status) for i in items] == [(t["name"], "es_AR", t["status"]) for t in seeded]
    assert {"pending", "rejected", "approved"} <= {i.status for i in items}
    quote = next(i for i in items if i.name == "presupuesto_listo")
    buttons = next(c for c in quote.content if c["type"] == "BUTTONS")["buttons"]
    assert [b["text"] for b in buttons] == ["Acepto", "No, gracias"]
    assert all(r.status == 200 for r in fake.requests()) and len(fake.requests()) == len(pages)
    with pytest.raises(ResourceNotFoundError):
        list(templates.list_templates("22222222-2222-2222-2222-222222222222"))


def test_media_downloads_then_404_once_expired(fake: FakeAcs) -> None:
    data = bytes(range(256)) * 1000
    media_id = fake.add_media(data, "image/jpeg")
    sdk = client(fake)
    content_type: list[str] = []
    chunks = sdk.download_media(media_id, cls=lambda _r, body, headers: content_type.append(headers["content-type"])
                                or body)
    assert b"".join(chunks) == data
    assert content_type == ["image/jpeg"]
    assert fake.expire_media(media_id)
    with pytest.raises(ResourceNotFoundError):
        b"".join(sdk.download_media(media_id))
    with pytest.raises(ResourceNotFoundError):
        b"".join(sdk.download_media("never-registered"))


def test_an_inbound_media_message_is_posted_and_downloadable(fake: FakeAcs, webhook: Webhook) -> None:
    media_id = fake.add_media(b"\xff\xd8\xff\xe0 jpeg", "image/jpeg")
    event = fake.inbound(NEVER, "la pantalla", post_event=True, media_id=media_id)
    assert event is not None
    deadline = time.monotonic() + 5
    while not webhook.events() and time.monotonic() < deadline:
        time.sleep(0.01)
    [posted] = webhook.events()
    reference = example("image-received")
    assert set(posted) == set(reference)
    assert set(reference["data"]) <= set(posted["data"])
    assert posted["data"]["messageType"] == "image"
    assert posted["data"]["media"] == {"mimeType": "image/jpeg", "id": media_id, "caption": "la pantalla"}
    assert b"".join(client(fake).download_media(posted["data"]["media"]["id"])) == b"\xff\xd8\xff\xe0 jpeg"
    with pytest.raises(ValueError, match="no registered media"):
        fake.inbound(NEVER, post_event=True, media_id="nope")


def test_a_quick_reply_tap_is_posted_as_a_button_message(fake: FakeAcs, webhook: Webhook) -> None:
    fake.inbound(NEVER, "Acepto", post_event=True, button_payload="presupuesto:1234:si")
    deadline = time.monotonic() + 5
    while not webhook.events() and time.monotonic() < deadline:
        time.sleep(0.01)
    [posted] = webhook.events()
    assert posted["data"]["messageType"] == "button"
    assert posted["data"]["button"] == {"text": "Acepto", "payload": "presupuesto:1234:si"}
    assert "content" not in posted["data"]


# ------------------------------------------------------------------------------------------- control API, CLI

def test_control_api_over_http(fake: FakeAcs, webhook: Webhook) -> None:
    with httpx.Client(base_url=fake.endpoint, verify=ssl.create_default_context(cafile=fake.ca_path)) as http:
        answer = http.post("/_fake/inbound", json={"from": NEVER, "text": "¿Está listo?", "post_event": True})
        assert answer.status_code == 200
        media = http.post("/_fake/media", json={"content_type": "application/pdf",
                                                "data_base64": base64.b64encode(b"%PDF-1.4").decode()}).json()
        assert http.post("/_fake/faults", json={"kind": "503", "count": 1}).status_code == 200
        assert http.post("/_fake/faults", json={"kind": "teapot"}).status_code == 400
        assert http.post("/_fake/inbound", json={"from": "+54 9 11"}).status_code == 400
        client(fake).send(text(fake, to=NEVER))
        [message] = http.get("/_fake/messages").json()
        assert message["to"] == NEVER and message["outcome"] == "delivered"
        assert [r["status"] for r in http.get("/_fake/requests").json()] == [503, 202]
        assert b"".join(client(fake).download_media(media["id"])) == b"%PDF-1.4"
        assert http.post(f"/_fake/media/{media['id']}/expire").status_code == 200
        assert http.post("/_fake/reset").status_code == 200
        assert http.get("/_fake/messages").json() == []
    received = next(e for e in webhook.events() if e["eventType"].endswith("AdvancedMessageReceived"))
    assert _shape(received)[0] == _shape(example("text-received"))[0]
    assert (received["data"]["from"], received["data"]["content"]) == (NEVER, "¿Está listo?")
    assert received["data"]["to"] == fake.channel_id


def test_serve_prints_what_a_client_needs(tmp_path: Any) -> None:
    process = subprocess.Popen([sys.executable, "-m", "devkit.fake_acs", "serve", "--cert-dir", str(tmp_path)],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        connection_string = lines[1].split(":", 1)[1].strip()
        ca_path = lines[2].split(":", 1)[1].split()[0]
        templates = MessageTemplateClient.from_connection_string(connection_string, connection_verify=ca_path)
        assert len(list(templates.list_templates(fake_acs.DEFAULT_CHANNEL_ID))) == len(fake_acs.seed_templates())
    finally:
        process.terminate()
        process.wait(timeout=10)
