"""A local stand-in for the ACS Advanced Messaging REST API (2024-08-30), spoken on the real wire protocol.

Why it exists: ACS has no local emulator, and the project's rule is that a fake of a remote service must speak
its wire protocol, authentication included, so the real ``azure-communication-messages`` 1.1.0 client runs
unchanged against it. Sending, retries, idempotency, the 24-hour window and delivery reports can then be
exercised on one machine, with faults scripted instead of waited for. Development only (``devkit`` is in
``.funcignore``); nothing here is deployed.

TLS. ``NotificationMessagesClient.from_connection_string`` strips the scheme of the connection string's
endpoint and puts ``https://`` back (``_shared/utils.parse_connection_str`` then the client's ``__init__``), so
the fake must speak TLS. At set-up it makes a throw-away CA and a ``127.0.0.1``/``localhost`` server certificate
signed by it (``cryptography``). A client trusts it through azure-core's transport keyword
``connection_verify=<ca path>``: the generated client hands its ``**kwargs`` to ``PipelineClient``, whose
``RequestsTransport`` keeps them in ``ConnectionConfiguration(connection_verify=...)`` and passes it to
``requests`` as ``verify=`` on every call (``azure/core/pipeline/transport/_requests_basic.py``)::

    NotificationMessagesClient.from_connection_string(fake.connection_string, connection_verify=fake.ca_path)

Authentication. Requests must carry ACS's HMAC-SHA256 signature exactly as the SDK's ``HMACCredentialsPolicy``
makes it: ``Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<b64>``
over ``VERB\\n/path?query\\n{x-ms-date};{host[:port]};{x-ms-content-sha256}`` with the base64-decoded access
key; ``x-ms-content-sha256`` must be the base64 SHA-256 of the bytes received and ``x-ms-date`` within
``date_tolerance`` (15 minutes by default; the window ACS applies is not documented, App Configuration's is 15
minutes). Any mismatch answers 401 ``{"error":{"code":"Denied","message":"Denied by the resource provider."}}``
(Azure Core's error shape; that code and text are what ACS is commonly reported to send, unverified), which the
SDK raises as ``ClientAuthenticationError``. ``Authorization: Bearer`` is refused with the same 401: a fake
cannot validate an Entra ID token, and accepting any token would prove nothing about managed identity.

Behaviour the fake chooses where ACS documents nothing (kept visible so nobody mistakes it for ACS's word):

* Validation errors answer 400 with codes of the fake's own (``InvalidRequest``...), never a Meta code.
* ``Repeatability-Request-ID``: a repeat within ``repeatability_window`` (24 h, counted from
  ``Repeatability-First-Sent``) gets the first receipts back with ``Repeatability-Result: accepted`` and no
  second message; a ``Repeatability-First-Sent`` that is unreadable or older than the window is refused with 400
  and ``Repeatability-Result: rejected`` (the header's documented meaning; the status code is the fake's).
  ACS documents repeat protection only for Email, so ``honour_repeatability=False`` makes the fake send every
  request again, as an unprotected service would; run the app's exactly-once tests both ways.
* Window: a non-template message to a number whose last inbound message (recorded through the control API) is
  older than 24 h, or absent, is accepted (202) and then reported ``Failed`` with Meta code 131047, as
  WhatsApp does. Templates ignore the window; one not in the list in that language, or not approved, fails with
  132001 ("template does not exist": Meta's code for a name/language that does not exist or is not approved),
  a paused one with 132015, and a body/header parameter count that does not match the template with 132000.
  Those are reported asynchronously, as delivery statuses, not as HTTP errors.
* Media sends (``image``, ``document``, ``video``, ``audio``): on acceptance the fake GETs ``mediaUri`` itself,
  as WhatsApp does behind ACS (so a SAS that does not work shows up here), and records what it fetched on the
  message (``media``: kind, HTTP status, size, SHA-256, content type). A link that does not answer 200 makes
  the message ``Failed`` with Meta code 131053 ("media upload error"), reported asynchronously like the
  window's failure. The real fetch is asynchronous and its timing undocumented; the fake fetches before it
  answers 202 (at most ``MEDIA_FETCH_TIMEOUT`` seconds) so tests need not wait for it.
* Delivery reports go in order (Sent, Delivered, Read) from one thread; real Event Grid may reorder or repeat
  them, which the app's ingest tests cover separately.

Faults are scripted per request, after the signature check: the next ``count`` requests (of one ``route`` or
any) answer 401, 429 with ``Retry-After`` (the SDK retries it, even a POST), 503 (retried), or 400 with a
Meta code as ``error.code`` (not retried); ``drop`` accepts the message and then breaks the 202 answer after its
headers (the SDK raises ``IncompleteReadError``, an ``HttpResponseError`` without a usable body), ``delay``
accepts it and answers ``delay`` seconds late (past the caller's ``read_timeout`` the SDK raises
``ServiceResponseError`` and does not retry a POST). Both leave the caller not knowing whether it was sent.

Control API (no auth, loopback callers only, JSON bodies):

* ``POST /_fake/faults`` ``{"kind": "401"|"429"|"503"|"400"|"drop"|"delay", "count": 1,
  "route": "send"|"templates"|"media"|null, "retry_after": 1, "code": "131026", "message": "...", "delay": 1}``
* ``POST /_fake/inbound`` ``{"from": "549...", "text": "...", "at": "<iso>", "post_event": false,
  "media_id": null, "file_name": null, "button_payload": null}``: opens the sender's window (``at``: ISO 8601
  with offset); posts its ``AdvancedMessageReceived`` event if asked
* ``GET /_fake/messages`` (accepted sends), ``GET /_fake/events`` (posted/undelivered), ``GET /_fake/requests``
* ``POST /_fake/media`` ``{"content_type", "data_base64", "id"?}`` → ``{"id"}``; ``POST /_fake/media/{id}/expire``
* ``POST /_fake/templates/{name}/{language}`` ``{"status"}``; ``POST /_fake/latency`` ``{"seconds"}``;
  ``POST /_fake/reset``

In-process tests use the same operations as methods of :class:`FakeAcs` (from :func:`running_fake`).

Trusting the CA without touching the app: ``requests`` (azure-core's default transport) honours
``REQUESTS_CA_BUNDLE=<ca path>`` whenever ``connection_verify`` is left at ``True``, so a process started with
it talks to the fake unchanged. That replaces the trust store for every ``requests`` call of that process (not
for httpx, which the OpenAI client uses), so set it only where no real Azure endpoint is called through
``requests``.

Run: ``python -m devkit.fake_acs serve --port P --webhook URL`` prints the connection string and the CA path.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import heapq
import hmac
import ipaddress
import json
import logging
import re
import secrets
import socket
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from devkit import acs_events

log = logging.getLogger(__name__)

API_VERSIONS = frozenset({"2024-02-01", "2024-08-30"})
DEFAULT_CHANNEL_ID = acs_events.DEMO_CHANNEL_ID
WINDOW = timedelta(hours=24)
SIGNED_HEADERS = "x-ms-date;host;x-ms-content-sha256"
_AUTH_RE = re.compile(r"HMAC-SHA256 SignedHeaders=(?P<headers>[^&]+)&Signature=(?P<signature>[A-Za-z0-9+/=]+)")
_E164_NO_PLUS = re.compile(r"[1-9][0-9]{7,14}")  # always fullmatch()
_PLACEHOLDER = re.compile(r"\{\{(\d{1,3})\}\}")
_DENIED = {"error": {"code": "Denied", "message": "Denied by the resource provider."}}
TEXT_LIMIT = 4096  # WhatsApp's text body limit
CAPTION_LIMIT = 1024  # WhatsApp's media caption limit
MEDIA_CHUNK = 64 * 1024

META_ERRORS = {
    "131026": "Message Undeliverable.",
    "131047": "Re-engagement message. More than 24 hours have passed since the recipient last replied.",
    "131049": "This message was not delivered to maintain healthy ecosystem engagement.",
    "132000": "Number of parameters does not match the expected number of params.",
    "132001": "Template name does not exist in the translation.",
    "132015": "Template is paused due to low quality.",
    "131053": "Media upload error. Unable to upload the media used in the message.",
}
MEDIA_KINDS = frozenset({"image", "image_v0", "document", "video", "audio"})
MEDIA_FETCH_TIMEOUT = 5.0
MEDIA_FETCH_LIMIT = 100 * 1024 * 1024  # WhatsApp's largest (documents)


def _template(name: str, status: str, body: str, *, header: str | None = None, footer: str | None = None,
              buttons: list[str] | None = None) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if header:
        content.append({"type": "HEADER", "format": "TEXT", "text": header})
    content.append({"type": "BODY", "text": body})
    if footer:
        content.append({"type": "FOOTER", "text": footer})
    if buttons:
        content.append({"type": "BUTTONS",
                        "buttons": [{"type": "QUICK_REPLY", "text": text} for text in buttons]})
    return {"name": name, "language": "es_AR", "status": status, "kind": "whatsApp", "content": content}


def seed_templates() -> list[dict[str, Any]]:
    """es_AR templates of a repair shop, in the shape ``MessageTemplateItem`` deserialises (Meta components)."""
    return [
        _template("saludo", "approved",
                  "Hola {{1}}, te escribimos de FastService por tu orden {{2}}. Respondé este mensaje si querés "
                  "hablar con nosotros."),
        _template("presupuesto_listo", "approved",
                  "Hola {{1}}, el presupuesto de tu {{2}} (orden {{3}}) es de {{4}}. ¿Lo aceptás?",
                  header="Presupuesto listo", footer="FastService", buttons=["Acepto", "No, gracias"]),
        _template("equipo_listo_para_retirar", "approved",
                  "Hola {{1}}, tu {{2}} (orden {{3}}) está reparado y listo para retirar. Te esperamos de lunes "
                  "a viernes de 9 a 18.", footer="FastService"),
        _template("presupuesto_rechazado", "approved",
                  "Hola {{1}}, registramos que no aceptaste el presupuesto de la orden {{2}}. Podés retirar tu "
                  "equipo cuando quieras."),
        _template("recordatorio_retiro", "pending",
                  "Hola {{1}}, te recordamos que tu {{2}} (orden {{3}}) te espera desde el {{4}}."),
        _template("promo_mantenimiento", "rejected",
                  "¡Hola {{1}}! Este mes tenés 20% de descuento en mantenimiento."),
        _template("encuesta_satisfaccion", "paused",
                  "Hola {{1}}, ¿cómo fue tu experiencia con la orden {{2}}?",
                  buttons=["Muy buena", "Regular", "Mala"]),
    ]


# ---------------------------------------------------------------------------------------------- certificates

@dataclass(frozen=True)
class Certificates:
    ca_path: Path
    cert_path: Path
    key_path: Path


def make_certificates(directory: Path) -> Certificates:
    """A throw-away CA and a server certificate for 127.0.0.1 / ::1 / localhost, valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-acs local CA")])
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.IPAddress(ipaddress.ip_address("::1")),
            x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = Certificates(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    paths.ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
    paths.key_path.chmod(0o600)
    return paths


# ---------------------------------------------------------------------------------------------- signature

ACS_DATE_FORMAT = "%a, %d %b %Y %H:%M:%S GMT"


def content_hash(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def sign(access_key: str, method: str, path_and_query: str, *, date: str, host: str, body_hash: str) -> str:
    """ACS's HMAC-SHA256 signature (the SDK's ``HMACCredentialsPolicy``), base64."""
    string_to_sign = f"{method.upper()}\n{path_and_query}\n{date};{host};{body_hash}"
    digest = hmac.new(base64.b64decode(access_key), string_to_sign.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_signature(access_key: str, method: str, path_and_query: str, headers: dict[str, str], body: bytes,
                     *, now: datetime, tolerance: timedelta) -> str | None:
    """``None`` when the request is signed as ACS requires, else why not (for the fake's request log)."""
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return "bearer tokens are not accepted by the fake"
    match = _AUTH_RE.fullmatch(authorization)
    if not match:
        return "no HMAC-SHA256 Authorization header"
    if match["headers"].lower() != SIGNED_HEADERS:
        return "SignedHeaders is not x-ms-date;host;x-ms-content-sha256"
    date, host, declared_hash = headers.get("x-ms-date"), headers.get("host"), headers.get("x-ms-content-sha256")
    if not date or not host or declared_hash is None:
        return "x-ms-date, host or x-ms-content-sha256 missing"
    try:
        signed_at = datetime.strptime(date, ACS_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return "x-ms-date is not an RFC 1123 GMT date"
    if abs(now - signed_at) > tolerance:
        return "x-ms-date outside the accepted window"
    if not hmac.compare_digest(declared_hash, content_hash(body)):
        return "x-ms-content-sha256 does not match the body"
    expected = sign(access_key, method, path_and_query, date=date, host=host, body_hash=declared_hash)
    if not hmac.compare_digest(expected, match["signature"]):
        return "signature mismatch"
    return None


# ---------------------------------------------------------------------------------------------- state

class InvalidRequest(Exception):
    """A request body ACS would refuse with 400; ``code`` is the fake's own."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Fault:
    kind: str  # "401" | "429" | "503" | "400" | "drop" | "delay"
    count: int = 1
    route: str | None = None  # "send" | "templates" | "media" | None (any)
    retry_after: float = 1.0
    code: str = "131026"
    message: str | None = None
    delay: float = 1.0


FAULT_KINDS = frozenset({"401", "429", "503", "400", "drop", "delay"})


@dataclass
class AcceptedMessage:
    message_id: str
    to: str
    kind: str
    body: dict[str, Any]
    accepted_at: str
    repeatability_request_id: str | None
    outcome: str  # "delivered" | "failed"
    error: dict[str, str] | None = None
    rendered: str | None = None  # a template's body with its parameters filled in
    media: dict[str, Any] | None = None  # what the fake fetched from mediaUri (media sends)


@dataclass
class MediaItem:
    data: bytes
    content_type: str
    expired: bool = False


@dataclass
class RequestRecord:
    at: float  # time.monotonic() at arrival
    method: str
    path: str
    status: int  # 0 until answered
    repeatability_request_id: str | None = None
    reason: str | None = None


@dataclass
class FakeConfig:
    access_key: str = field(default_factory=lambda: base64.b64encode(secrets.token_bytes(32)).decode())
    channel_id: str = DEFAULT_CHANNEL_ID
    webhook_url: str | None = None
    status_delays: tuple[float, float, float] = (0.5, 1.5, 3.0)  # Sent, Delivered, Read after acceptance
    honour_repeatability: bool = True
    repeatability_window: timedelta = timedelta(hours=24)
    date_tolerance: timedelta = timedelta(minutes=15)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


class FakeState:
    """Everything the fake remembers; every method is thread-safe (one lock, held briefly)."""

    def __init__(self, config: FakeConfig) -> None:
        self.config = config
        self.lock = threading.Lock()
        self.dispatcher = EventDispatcher(config.webhook_url)
        self._initial()

    def _initial(self) -> None:
        self.templates: list[dict[str, Any]] = seed_templates()
        self.messages: list[AcceptedMessage] = []
        self.repeats: dict[str, tuple[datetime, dict[str, Any]]] = {}
        self.last_inbound: dict[str, datetime] = {}
        self.media: dict[str, MediaItem] = {}
        self.faults: deque[Fault] = deque()
        self.requests: deque[RequestRecord] = deque(maxlen=100_000)  # bounded for long `make run` sessions
        self.latency = 0.0

    def reset(self) -> None:
        with self.lock:
            self._initial()
        self.dispatcher.clear()

    # -- control operations
    def add_fault(self, fault: Fault) -> None:
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}")
        if fault.count < 1:
            raise ValueError("count must be at least 1")
        with self.lock:
            self.faults.append(fault)

    def take_fault(self, route: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.route in (None, route):
                    fault.count -= 1
                    if fault.count == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def record_inbound(self, sender: str, when: datetime | None = None) -> datetime:
        at = (when or self.config.clock()).astimezone(UTC)
        with self.lock:
            previous = self.last_inbound.get(sender)
            if previous is None or at > previous:
                self.last_inbound[sender] = at
        return at

    def add_media(self, data: bytes, content_type: str, media_id: str | None = None) -> str:
        media_id = media_id or str(uuid.uuid4())
        with self.lock:
            self.media[media_id] = MediaItem(data, content_type)
        return media_id

    def expire_media(self, media_id: str) -> bool:
        with self.lock:
            item = self.media.get(media_id)
            if item is None:
                return False
            item.expired = True
            return True

    def set_template_status(self, name: str, language: str, status: str) -> bool:
        with self.lock:
            for template in self.templates:
                if template["name"] == name and template["language"] == language:
                    template["status"] = status
                    return True
        return False

    def log_request(self, record: RequestRecord) -> None:
        with self.lock:
            self.requests.append(record)

    # -- sending
    def window_open(self, recipient: str) -> bool:
        with self.lock:
            last = self.last_inbound.get(recipient)
        return last is not None and self.config.clock() - last < WINDOW

    def accept(self, body: dict[str, Any], repeat_id: str | None, first_sent: datetime | None,
               ) -> tuple[dict[str, Any], AcceptedMessage | None]:
        """The receipts to answer and the message newly accepted (``None`` for a repeat)."""
        now = self.config.clock()
        recipient = body["to"][0]
        with self.lock:
            if self.config.honour_repeatability and repeat_id:
                seen = self.repeats.get(repeat_id)
                if seen and now - seen[0] < self.config.repeatability_window:
                    return seen[1], None
            message = AcceptedMessage(message_id=str(uuid.uuid4()), to=recipient, kind=body["kind"], body=body,
                                      accepted_at=now.isoformat(), repeatability_request_id=repeat_id,
                                      outcome="delivered")
            result = {"receipts": [{"messageId": message.message_id, "to": recipient}]}
            if self.config.honour_repeatability and repeat_id:
                self.repeats[repeat_id] = (first_sent or now, result)
            self.messages.append(message)
        self._decide_outcome(message)
        return result, message

    def _decide_outcome(self, message: AcceptedMessage) -> None:
        code: str | None = None
        if message.kind in MEDIA_KINDS:
            message.media = fetch_media(message.body["mediaUri"], message.kind)
        if message.kind == "template":
            code, message.rendered = self._template_outcome(message.body["template"])
        elif not self.window_open(message.to):
            code = "131047"
        elif message.media is not None and message.media["status"] != 200:
            code = "131053"
        if code:
            message.outcome = "failed"
            message.error = {"channelCode": code, "channelMessage": META_ERRORS[code]}

    def _template_outcome(self, sent: dict[str, Any]) -> tuple[str | None, str | None]:
        with self.lock:
            template = next((t for t in self.templates
                             if t["name"] == sent["name"] and t["language"] == sent["language"]), None)
        if template is None or template["status"] in ("pending", "rejected"):
            return "132001", None
        if template["status"] == "paused":
            return "132015", None
        values = {value["name"]: value for value in sent.get("values") or []}
        bindings = sent.get("bindings") or {}
        rendered: str | None = None
        for component in template["content"]:
            kind = component["type"].lower()
            if kind not in ("header", "body") or "text" not in component:
                continue
            wanted = len(set(_PLACEHOLDER.findall(component["text"])))
            given = [values[ref["refValue"]].get("text", "") for ref in bindings.get(kind) or []]
            if wanted != len(given):
                return "132000", None
            if kind == "body":
                rendered = _fill(component["text"], given)
        return None, rendered

    def schedule_reports(self, message: AcceptedMessage) -> None:
        if message.outcome == "failed" and message.error:
            error = (message.error["channelCode"], message.error["channelMessage"])
            self.dispatcher.schedule(self.config.status_delays[0], self._status_event(message, "Failed", error))
            return
        for delay, state in zip(self.config.status_delays, ("Sent", "Delivered", "Read"), strict=True):
            self.dispatcher.schedule(delay, self._status_event(message, state, None))

    def _status_event(self, message: AcceptedMessage, state: str,
                      error: tuple[str, str] | None) -> Callable[[], dict[str, Any]]:
        def build() -> dict[str, Any]:
            event = acs_events.status(message.message_id, state, to=message.to, error=error,
                                      when=self.config.clock(), to_bsuid=bsuid_for(message.to))
            event["data"]["from"] = self.config.channel_id
            return event
        return build

    def inbound(self, sender: str, text: str = "", *, at: datetime | None = None, post_event: bool = False,
                media_id: str | None = None, file_name: str | None = None,
                button_payload: str | None = None) -> dict[str, Any] | None:
        """Record a message from ``sender`` (opening its 24 h window); with ``post_event``, post its
        ``AdvancedMessageReceived`` event and return it: a media message when ``media_id`` names registered
        media (``text`` is then its caption), a template quick-reply tap (``messageType`` ``button``,
        ``button {text, payload}``) when ``button_payload`` is given, else a text message."""
        if not _E164_NO_PLUS.fullmatch(sender):
            raise ValueError("the sender must be an E.164 number without '+'")
        when = self.record_inbound(sender, at)
        if not post_event:
            return None
        bsuid = bsuid_for(sender)
        if button_payload is not None:
            event = acs_events.received(sender, message_type="button", when=when, bsuid=bsuid,
                                        button={"text": text, "payload": button_payload})
        elif media_id is None:
            event = acs_events.received(sender, content=text, when=when, bsuid=bsuid)
        else:
            with self.lock:
                item = self.media.get(media_id)
            if item is None:
                raise ValueError("media_id names no registered media")
            media: dict[str, Any] = {"mimeType": item.content_type, "id": media_id}
            if text:
                media["caption"] = text
            if file_name:
                media["fileName"] = file_name
            event = acs_events.received(sender, message_type=_media_type(item.content_type), when=when,
                                        bsuid=bsuid, media=media)
        event["data"]["to"] = self.config.channel_id
        event["subject"] = f"advancedMessage/sender/{sender}/recipient/{self.config.channel_id}"
        self.dispatcher.schedule(0, event)
        return event


def _media_type(content_type: str) -> str:
    major = content_type.split("/", 1)[0]
    return major if major in ("image", "video", "audio") else "document"


def fetch_media(uri: str, kind: str) -> dict[str, Any]:
    """GET a media send's link as WhatsApp would: what came back (status, size, SHA-256, content type)."""
    import urllib.error
    import urllib.request

    found: dict[str, Any] = {"kind": kind, "status": None, "size": None, "sha256": None, "contentType": None}
    try:
        with urllib.request.urlopen(uri, timeout=MEDIA_FETCH_TIMEOUT) as answer:  # noqa: S310 - http(s) checked
            data = answer.read(MEDIA_FETCH_LIMIT + 1)
            found.update(status=answer.status, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                         contentType=answer.headers.get("Content-Type"))
    except urllib.error.HTTPError as exc:
        found["status"] = exc.code
    except (OSError, ValueError) as exc:
        found["error"] = type(exc).__name__
    return found


def _fill(text: str, params: list[str]) -> str:
    """A template text with ``{{n}}`` replaced by the n-th parameter (in one pass: linear in the text)."""
    return _PLACEHOLDER.sub(lambda m: params[int(m[1]) - 1] if 0 < int(m[1]) <= len(params) else m[0], text)


def bsuid_for(phone: str) -> str:
    """A stable business-scoped user id for a number (format ``CC.<20 digits>`` as WhatsApp shows them)."""
    digits = int(hashlib.sha256(phone.encode()).hexdigest()[:16], 16) % 10**20
    return f"{'AR' if phone.startswith('54') else 'ZZ'}.{digits:020d}"


class EventDispatcher:
    """Posts events to the webhook at their due time, one at a time, in due order, as Event Grid does.

    A delivery answered with anything but 2xx (or not answered) is retried three times (0.2, 1, 3 s later), then
    kept in ``undelivered``.
    """

    RETRIES = (0.2, 1.0, 3.0)

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.posted: list[dict[str, Any]] = []
        self.undelivered: list[dict[str, Any]] = []
        self._queue: list[tuple[float, int, int, Callable[[], dict[str, Any]] | dict[str, Any]]] = []
        self._seq = 0
        self._cond = threading.Condition()
        self._delivering = threading.Lock()  # held while one event is being posted
        self._generation = 0
        self._stopped = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="fake-acs-events", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def clear(self) -> None:
        """Forget everything, after letting a delivery under way finish (so none lands after a reset)."""
        with self._cond:
            self._generation += 1  # an event popped before this is dropped, not delivered
            self._queue.clear()
        with self._delivering, self._cond:
            self._queue.clear()  # a retry the finished delivery may have scheduled
            self.posted.clear()
            self.undelivered.clear()

    def schedule(self, delay: float, event: Callable[[], dict[str, Any]] | dict[str, Any], attempt: int = 0) -> None:
        with self._cond:
            self._seq += 1
            heapq.heappush(self._queue, (time.monotonic() + delay, self._seq, attempt, event))
            self._cond.notify_all()

    def pending(self) -> int:
        with self._cond:
            return len(self._queue)

    def _run(self) -> None:
        import httpx

        with httpx.Client(timeout=10) as client:
            while True:
                with self._cond:
                    while not self._stopped and (not self._queue or self._queue[0][0] > time.monotonic()):
                        wait = self._queue[0][0] - time.monotonic() if self._queue else None
                        self._cond.wait(wait)
                    if self._stopped:
                        return
                    _, _, attempt, item = heapq.heappop(self._queue)
                    generation = self._generation
                with self._delivering:
                    with self._cond:
                        current = generation == self._generation
                    if current:
                        self._deliver(client, item() if callable(item) else item, attempt)

    def _deliver(self, client: Any, event: dict[str, Any], attempt: int) -> None:
        import httpx

        if not self.url:
            with self._cond:
                self.undelivered.append(event)
            return
        try:
            response = client.post(self.url, json=[event], headers={"aeg-event-type": "Notification"})
            delivered = 200 <= response.status_code < 300
        except httpx.HTTPError:
            delivered = False
        if delivered:
            with self._cond:
                self.posted.append(event)
        elif attempt < len(self.RETRIES):
            self.schedule(self.RETRIES[attempt], event, attempt + 1)
        else:
            log.warning("fake ACS: event %s not accepted by the webhook", event["id"])
            with self._cond:
                self.undelivered.append(event)


# ---------------------------------------------------------------------------------------------- validation

def _require_str(obj: dict[str, Any], key: str, where: str, *, limit: int | None = None,
                 optional: bool = False) -> None:
    value = obj.get(key)
    if value is None and optional:
        return
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest("InvalidRequest", f"{where}.{key} must be a non-empty string")
    if limit is not None and len(value) > limit:
        raise InvalidRequest("InvalidRequest", f"{where}.{key} is longer than {limit} characters")


def _require_uri(obj: dict[str, Any], where: str) -> None:
    _require_str(obj, "mediaUri", where)
    if not re.match(r"^https?://[^\s/]+", obj["mediaUri"]):
        raise InvalidRequest("InvalidRequest", f"{where}.mediaUri must be an absolute http(s) URI")


_VALUE_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("text",), "image": ("url",), "document": ("url",), "video": ("url",),
    "location": ("latitude", "longitude"), "quickAction": (),
}


def _validate_template(template: Any) -> None:
    if not isinstance(template, dict):
        raise InvalidRequest("InvalidRequest", "template must be an object")
    _require_str(template, "name", "template")
    _require_str(template, "language", "template")
    values = template.get("values") or []
    if not isinstance(values, list):
        raise InvalidRequest("InvalidRequest", "template.values must be a list")
    names: set[str] = set()
    for value in values:
        if not isinstance(value, dict) or value.get("kind") not in _VALUE_FIELDS:
            raise InvalidRequest("InvalidRequest", "template.values[].kind must be one of " + ", ".join(_VALUE_FIELDS))
        _require_str(value, "name", "template.values[]")
        if value["name"] in names:
            raise InvalidRequest("InvalidRequest", f"template value name {value['name']!r} is repeated")
        names.add(value["name"])
        for key in _VALUE_FIELDS[value["kind"]]:
            if value.get(key) is None or value.get(key) == "":
                raise InvalidRequest("InvalidRequest", f"template value {value['name']!r} needs {key}")
    _validate_bindings(template.get("bindings"), names)


def _validate_bindings(bindings: Any, names: set[str]) -> None:
    if bindings is None:
        return
    if not isinstance(bindings, dict) or bindings.get("kind") != "whatsApp":
        raise InvalidRequest("InvalidRequest", "template.bindings.kind must be whatsApp")
    for part in ("header", "body", "footer", "buttons"):
        refs = bindings.get(part) or []
        if not isinstance(refs, list):
            raise InvalidRequest("InvalidRequest", f"template.bindings.{part} must be a list")
        for ref in refs:
            if not isinstance(ref, dict) or ref.get("refValue") not in names:
                raise InvalidRequest("InvalidRequest", f"template.bindings.{part}[].refValue names no value")
            if part == "buttons" and ref.get("subType") not in ("quickReply", "url"):
                raise InvalidRequest("InvalidRequest", "template.bindings.buttons[].subType must be quickReply or url")


def validate_send(body: Any, channel_id: str) -> None:
    """Raise :class:`InvalidRequest` unless ``body`` is a notification ACS 2024-08-30 accepts."""
    if not isinstance(body, dict):
        raise InvalidRequest("InvalidRequest", "the body must be a JSON object")
    if body.get("channelRegistrationId") != channel_id:
        raise InvalidRequest("InvalidChannelRegistrationId", "channelRegistrationId is not a channel of this resource")
    to = body.get("to")
    if not isinstance(to, list) or len(to) != 1 or not isinstance(to[0], str):
        raise InvalidRequest("InvalidRequest", "to must be a list of exactly one recipient")
    if not _E164_NO_PLUS.fullmatch(to[0]):
        raise InvalidRequest("InvalidRecipient", "to[0] must be an E.164 number without '+'")
    kind = body.get("kind")
    if kind == "text":
        _require_str(body, "content", "text", limit=TEXT_LIMIT)
    elif kind in ("image", "video", "image_v0"):
        _require_uri(body, kind)
        _require_str(body, "content" if kind == "image_v0" else "caption", kind, limit=CAPTION_LIMIT, optional=True)
    elif kind == "document":
        _require_uri(body, kind)
        _require_str(body, "caption", kind, limit=CAPTION_LIMIT, optional=True)
        _require_str(body, "fileName", kind, optional=True)
    elif kind == "audio":
        _require_uri(body, kind)
    elif kind == "template":
        _validate_template(body.get("template"))
    else:
        raise InvalidRequest("InvalidRequest", "kind must be text, image, video, document, audio or template")


# ---------------------------------------------------------------------------------------------- HTTP app

def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status,
                        headers={"x-ms-error-code": code, **(headers or {})})


class _Dropped(Response):
    """Starts a response and closes the connection before its body: the caller cannot know the outcome."""

    def __init__(self) -> None:
        super().__init__(status_code=202)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 202,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"512")]})
        # returning without the body makes uvicorn close the transport


def _is_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Api:
    """The three ACS operations behind one gate: latency, signature, api-version, scripted faults."""

    def __init__(self, state: FakeState) -> None:
        self.state = state
        self.config = state.config

    async def guarded(self, request: Request, route: str, handler: Callable[[Request, bytes], Response]) -> Response:
        body = await request.body()
        record = RequestRecord(time.monotonic(), request.method, request.url.path, 0,
                               request.headers.get("repeatability-request-id"))
        self.state.log_request(record)  # at arrival; the status is filled in when the answer is known
        response = await self._gate(request, route=route, body=body, handler=handler, record=record)
        record.status = response.status_code
        return response

    async def _gate(self, request: Request, *, route: str, body: bytes,
                    handler: Callable[[Request, bytes], Response], record: RequestRecord) -> Response:
        if self.state.latency:
            await asyncio.sleep(self.state.latency)
        path_and_query = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        if request.scope.get("query_string"):
            path_and_query += "?" + request.scope["query_string"].decode("latin-1")
        reason = verify_signature(self.config.access_key, request.method, path_and_query,
                                  {k.lower(): v for k, v in request.headers.items()}, body,
                                  now=self.config.clock(), tolerance=self.config.date_tolerance)
        if reason:
            record.reason = reason
            return JSONResponse(_DENIED, status_code=401, headers={"x-ms-error-code": "Denied"})
        version = request.query_params.get("api-version")
        if not version:
            return _error(400, "MissingApiVersionParameter", "The api-version query parameter is required.")
        if version not in API_VERSIONS:
            return _error(400, "UnsupportedApiVersion", f"The api-version '{version}' is not supported.")
        fault = self.state.take_fault(route)
        kind = fault.kind if fault else None
        if fault and kind == "401":
            record.reason = "scripted"
            return JSONResponse(_DENIED, status_code=401, headers={"x-ms-error-code": "Denied"})
        if fault and kind == "429":
            return _error(429, "TooManyRequests", "Rate limit exceeded. Try again later.",
                          {"Retry-After": f"{fault.retry_after:g}"})
        if fault and kind == "503":
            return _error(503, "ServiceUnavailable", "The service is temporarily unavailable.")
        if fault and kind == "400":
            return _error(400, fault.code, fault.message or f"(#{fault.code}) {META_ERRORS.get(fault.code, '')}")
        response = handler(request, body)
        if fault and kind == "delay":
            await asyncio.sleep(fault.delay)
        return _Dropped() if kind == "drop" else response

    def send(self, request: Request, body: bytes) -> Response:
        try:
            payload = json.loads(body)
            validate_send(payload, self.config.channel_id)
        except json.JSONDecodeError:
            return _error(400, "InvalidRequest", "The body is not JSON.")
        except InvalidRequest as exc:
            return _error(400, exc.code, exc.message)
        repeat_id = request.headers.get("repeatability-request-id")
        sent_header = request.headers.get("repeatability-first-sent")
        first_sent = _rfc1123(sent_header)
        honoured = self.config.honour_repeatability and bool(repeat_id)
        if honoured and sent_header is not None and (
                first_sent is None or self.config.clock() - first_sent > self.config.repeatability_window):
            return _error(400, "InvalidRepeatabilityHeaders",
                          "Repeatability-First-Sent is not a date within the window this service keeps.",
                          {"Repeatability-Result": "rejected"})
        result, message = self.state.accept(payload, repeat_id, first_sent)
        if message is not None:
            self.state.schedule_reports(message)
        headers = {"Repeatability-Result": "accepted"} if honoured else {}
        client_request_id = request.headers.get("x-ms-client-request-id")
        if client_request_id:
            headers["x-ms-client-request-id"] = client_request_id
        return JSONResponse(result, status_code=202, headers=headers)

    def templates(self, request: Request, _: bytes) -> Response:
        if request.path_params["channel_id"] != self.config.channel_id:
            return _error(404, "NotFound", "The channel was not found.")
        try:
            size = int(request.query_params.get("maxpagesize", "100"))
            start = int(request.query_params.get("skipToken", "0"))
        except ValueError:
            return _error(400, "InvalidRequest", "maxpagesize and skipToken must be integers.")
        if size < 1 or start < 0:
            return _error(400, "InvalidRequest", "maxpagesize must be positive.")
        with self.state.lock:
            page = [dict(t) for t in self.state.templates[start:start + size]]
            more = start + size < len(self.state.templates)
        next_link = None
        if more:  # absolute, as ACS gives it; the SDK re-adds its api-version
            base = str(request.url.replace(query=""))
            next_link = f"{base}?api-version={request.query_params['api-version']}&maxpagesize={size}" \
                        f"&skipToken={start + size}"
        return JSONResponse({"value": page, "nextLink": next_link})

    def stream(self, request: Request, _: bytes) -> Response:
        with self.state.lock:
            item = self.state.media.get(request.path_params["media_id"])
        if item is None or item.expired:
            return _error(404, "NotFound", "The media was not found or has expired.")
        data = item.data

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(data), MEDIA_CHUNK):
                yield data[start:start + MEDIA_CHUNK]
        return StreamingResponse(chunks(), media_type=item.content_type, headers={"content-length": str(len(data))})


def build_app(state: FakeState) -> Starlette:
    """The fake's ASGI app: the ACS routes plus the ``/_fake`` control routes."""
    api = _Api(state)

    async def send(request: Request) -> Response:
        return await api.guarded(request, "send", api.send)

    async def templates(request: Request) -> Response:
        return await api.guarded(request, "templates", api.templates)

    async def stream(request: Request) -> Response:
        return await api.guarded(request, "media", api.stream)

    return Starlette(routes=[
        Route("/messages/notifications:send", send, methods=["POST"]),
        Route("/messages/channels/{channel_id}/templates", templates, methods=["GET"]),
        Route("/messages/streams/{media_id}", stream, methods=["GET"]),
        *control_routes(state),
    ])


def _rfc1123(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def control_routes(state: FakeState) -> list[Route]:
    """``/_fake/...``: the scripting surface, loopback callers only."""

    def loopback(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def wrapped(request: Request) -> Response:
            if not _is_loopback(request):
                return JSONResponse({"error": "loopback only"}, status_code=403)
            try:
                result: Response = await handler(request)
            except (ValueError, KeyError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            return result
        return wrapped

    async def json_body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        value = json.loads(raw) if raw else {}
        if not isinstance(value, dict):
            raise ValueError("the body must be a JSON object")
        return value

    async def faults(request: Request) -> Response:
        body = await json_body(request)
        allowed = {"kind", "count", "route", "retry_after", "code", "message", "delay"}
        state.add_fault(Fault(**{k: v for k, v in body.items() if k in allowed}))
        return JSONResponse({"queued": len(state.faults)})

    async def inbound(request: Request) -> Response:
        body = await json_body(request)
        sender = body["from"]
        if not isinstance(sender, str):
            raise ValueError("from must be an E.164 number without '+'")
        event = state.inbound(sender, str(body.get("text", "")),
                              at=datetime.fromisoformat(body["at"]) if body.get("at") else None,
                              post_event=bool(body.get("post_event")), media_id=body.get("media_id"),
                              file_name=body.get("file_name"), button_payload=body.get("button_payload"))
        return JSONResponse({"from": sender, "event_id": event["id"] if event else None})

    async def messages(_: Request) -> Response:
        with state.lock:
            return JSONResponse([asdict(m) for m in state.messages])

    async def events(_: Request) -> Response:
        return JSONResponse({"posted": list(state.dispatcher.posted),
                             "undelivered": list(state.dispatcher.undelivered)})

    async def requests(_: Request) -> Response:
        with state.lock:
            return JSONResponse([asdict(r) for r in state.requests])

    async def media(request: Request) -> Response:
        body = await json_body(request)
        media_id = state.add_media(base64.b64decode(body["data_base64"], validate=True), str(body["content_type"]),
                                   body.get("id"))
        return JSONResponse({"id": media_id})

    async def expire(request: Request) -> Response:
        found = state.expire_media(request.path_params["media_id"])
        return JSONResponse({"expired": found}, status_code=200 if found else 404)

    async def template_status(request: Request) -> Response:
        body = await json_body(request)
        if body.get("status") not in ("approved", "rejected", "pending", "paused"):
            raise ValueError("status must be approved, rejected, pending or paused")
        found = state.set_template_status(request.path_params["name"], request.path_params["language"],
                                          body["status"])
        return JSONResponse({"updated": found}, status_code=200 if found else 404)

    async def latency(request: Request) -> Response:
        state.latency = float((await json_body(request))["seconds"])
        return JSONResponse({"seconds": state.latency})

    async def reset(_: Request) -> Response:
        state.reset()
        return JSONResponse({"reset": True})

    return [
        Route("/_fake/faults", loopback(faults), methods=["POST"]),
        Route("/_fake/inbound", loopback(inbound), methods=["POST"]),
        Route("/_fake/messages", loopback(messages), methods=["GET"]),
        Route("/_fake/events", loopback(events), methods=["GET"]),
        Route("/_fake/requests", loopback(requests), methods=["GET"]),
        Route("/_fake/media", loopback(media), methods=["POST"]),
        Route("/_fake/media/{media_id}/expire", loopback(expire), methods=["POST"]),
        Route("/_fake/templates/{name}/{language}", loopback(template_status), methods=["POST"]),
        Route("/_fake/latency", loopback(latency), methods=["POST"]),
        Route("/_fake/reset", loopback(reset), methods=["POST"]),
    ]


# ---------------------------------------------------------------------------------------------- running

@dataclass
class FakeAcs:
    """A running fake: where it is, how to reach it, and the control operations as methods."""

    endpoint: str
    connection_string: str
    ca_path: Path
    state: FakeState

    @property
    def channel_id(self) -> str:
        return self.state.config.channel_id

    @property
    def access_key(self) -> str:
        return self.state.config.access_key

    def fail_next(self, kind: str, count: int = 1, **options: Any) -> None:
        """Script the next ``count`` matching requests: see :class:`Fault` for ``options``."""
        self.state.add_fault(Fault(kind=kind, count=count, **options))

    def inbound(self, sender: str, text: str = "", *, at: datetime | None = None, post_event: bool = False,
                media_id: str | None = None, file_name: str | None = None,
                button_payload: str | None = None) -> dict[str, Any] | None:
        """See :meth:`FakeState.inbound`."""
        return self.state.inbound(sender, text, at=at, post_event=post_event, media_id=media_id,
                                  file_name=file_name, button_payload=button_payload)

    def add_media(self, data: bytes, content_type: str, media_id: str | None = None) -> str:
        return self.state.add_media(data, content_type, media_id)

    def expire_media(self, media_id: str) -> bool:
        return self.state.expire_media(media_id)

    def set_template_status(self, name: str, status: str, language: str = "es_AR") -> bool:
        return self.state.set_template_status(name, language, status)

    def set_latency(self, seconds: float) -> None:
        self.state.latency = seconds

    def messages(self) -> list[AcceptedMessage]:
        with self.state.lock:
            return list(self.state.messages)

    def requests(self) -> list[RequestRecord]:
        with self.state.lock:
            return list(self.state.requests)

    def posted_events(self) -> list[dict[str, Any]]:
        return list(self.state.dispatcher.posted)

    def wait_for_events(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until ``count`` events were posted (or the timeout passes); returns what was posted."""
        deadline = time.monotonic() + timeout
        while len(self.state.dispatcher.posted) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.posted_events()

    def reset(self) -> None:
        self.state.reset()


def _free_socket(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # inherited by accepted connections (Linux): without it, a response written in two segments waits for the
    # client's delayed ACK, and every request took ~44 ms instead of ~2 ms (measured by bench/bench_send.py)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@contextlib.contextmanager
def running_fake(*, webhook_url: str | None = None, port: int = 0, cert_dir: Path | None = None,
                 **config: Any) -> Iterator[FakeAcs]:
    """Start the fake on 127.0.0.1 (a free port unless given) in a thread; stop it on exit.

    ``config`` sets :class:`FakeConfig` fields (``status_delays``, ``channel_id``, ``access_key``,
    ``honour_repeatability``, ``clock``...).
    """
    import uvicorn

    with contextlib.ExitStack() as stack:
        directory = cert_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fake-acs-")))
        certs = make_certificates(directory)
        state = FakeState(FakeConfig(webhook_url=webhook_url, **config))
        sock = _free_socket(port)
        bound = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(
            build_app(state), ssl_certfile=str(certs.cert_path), ssl_keyfile=str(certs.key_path), http="h11",
            log_level="warning", lifespan="off",
            timeout_graceful_shutdown=0))  # idle TLS clients would hold the shutdown: a fake need not wait
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="fake-acs", daemon=True)
        thread.start()
        state.dispatcher.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake ACS did not start")
            time.sleep(0.01)
        endpoint = f"https://127.0.0.1:{bound}"
        try:
            yield FakeAcs(endpoint, f"endpoint={endpoint}/;accesskey={state.config.access_key}", certs.ca_path,
                          state)
        finally:
            server.should_exit = True
            thread.join(timeout=5)
            state.dispatcher.stop()
            sock.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devkit.fake_acs", description="Local fake of ACS messaging.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the fake on 127.0.0.1 until interrupted")
    serve.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    serve.add_argument("--webhook", help="Event Grid webhook URL for delivery reports")
    serve.add_argument("--cert-dir", type=Path, default=Path(".data/fake-acs"), help="where the CA is written")
    serve.add_argument("--access-key", help="base64 access key (default: a new random one)")
    serve.add_argument("--channel-id", default=DEFAULT_CHANNEL_ID)
    serve.add_argument("--status-delays", default="0.5,1.5,3",
                       help="seconds after acceptance for Sent,Delivered,Read (default 0.5,1.5,3)")
    args = parser.parse_args(argv)
    delays = tuple(float(part) for part in args.status_delays.split(","))
    if len(delays) != 3:
        parser.error("--status-delays needs three numbers")
    options: dict[str, Any] = {"channel_id": args.channel_id, "status_delays": delays}
    if args.access_key:
        options["access_key"] = args.access_key
    with running_fake(webhook_url=args.webhook, port=args.port, cert_dir=args.cert_dir, **options) as fake:
        print(f"fake ACS on {fake.endpoint} (channel {fake.channel_id})\n"
              f"  connection string: {fake.connection_string}\n"
              f"  CA certificate:    {fake.ca_path.resolve()}  (clients: connection_verify=<this path>)\n"
              f"  webhook:           {args.webhook or '(none: delivery reports kept at /_fake/events)'}",
              flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


if __name__ == "__main__":
    main()
