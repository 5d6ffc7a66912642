"""Staff replies from the order: ``POST /api/whatsapp/orders/{orderId}/messages`` and what the composer reads.

The rules, in the order they are checked:

1. the same ``clientRequestId`` again is the same send: its row is answered (200), never a second
   message; the same id with another payload is a conflict (409);
2. the order must exist (404) and its customer have a phone WhatsApp can use (422);
3. free text, and a photo or document, only while the customer-service window is open (the customer
   wrote in the last 24 hours); outside it only an approved template (409 ``/problems/window-closed``),
   and a template needs every value it names (422 ``/problems/template-value-missing``);
   a photo or document names an upload (``POST /api/whatsapp/media``) by its ``blobRef``: its kind,
   type and size are read from storage, never taken from the request (422 ``/problems/media-not-sendable``
   when there is no such upload or its type is not one WhatsApp carries; 503 when storage does not answer);
4. the outbox row is written, then one attempt is made at once (``shared/outbox.py``); the answer
   is the row with the message as the panel shows it (a stand-in bubble while it is not accepted).

Reply phone and window come from ``shared/reply_context.py``: the same choice the order screen and
the agent tools show.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import (
    config,
    conversation,
    db,
    media,
    media_storage,
    orders,
    outbox,
    params,
    quote_buttons,
    reply_context,
    schema,
    templates,
)
from shared.errors import ApiError, InvalidParameter, NoUsablePhone, OrderNotFound
from shared.orders import OrderCustomer
from shared.phones import Phone, parse_whatsapp_id
from shared.staff import Staff
from shared.text import iso

_m, _o = schema.message, schema.outbox
MAX_TEXT: Final = 4096  # WhatsApp's limit for a text message body
MAX_CAPTION: Final = 1024  # WhatsApp's limit for a photo's or document's caption
MAX_FILE_NAME: Final = 240
QUOTE_PURPOSE: Final = "presupuestado"  # its template's first two quick replies accept / reject the quote
_CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
# blank as JSON Schema's (ECMAScript's) \s sees it, so the OpenAPI pattern "\S" and this check agree
_BLANK = re.compile("[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*")


class WindowClosed(ApiError):
    status = 409
    type = "/problems/window-closed"
    title = "Customer-service window closed"

    def __init__(self, last_inbound: str | None) -> None:
        super().__init__("Pasaron más de 24 horas desde el último mensaje del cliente (o nunca escribió): WhatsApp "
                         "solo permite enviarle una plantilla aprobada. Elegí una plantilla.",
                         lastInboundAt=last_inbound)


class RequestConflict(ApiError):
    status = 409
    type = "/problems/client-request-conflict"
    title = "clientRequestId already used for another request"

    def __init__(self) -> None:
        super().__init__("Ese clientRequestId ya se usó para otro envío. Generá uno nuevo para cada mensaje.")


class TemplateNotAvailable(ApiError):
    status = 409  # the request is well formed; the registry (what Meta approved) says no, for now
    type = "/problems/template-not-available"
    title = "Template not available"

    def __init__(self, what: str) -> None:
        super().__init__(f"La plantilla {what} no existe o no está aprobada. Sincronizá las plantillas y elegí "
                         "una de la lista.")


class TemplateValueMissing(ApiError):
    status = 422
    type = "/problems/template-value-missing"
    title = "Template needs a value the order lacks"

    def __init__(self, missing: list[str]) -> None:
        named = ", ".join(templates.FIELDS.get(m, f"el parámetro {m}") for m in missing)
        super().__init__(f"La plantilla necesita {named}, y la orden no lo tiene. Completalo en la orden "
                         "(o elegí otra plantilla).", missing=missing)


class MediaNotSendable(ApiError):
    status = 422
    type = "/problems/media-not-sendable"
    title = "The attachment cannot be sent"


@dataclass(frozen=True)
class MediaRequest:
    blob_ref: str
    caption: str | None = None
    file_name: str | None = None


@dataclass(frozen=True)
class SendRequest:
    client_request_id: str
    text: str | None = None
    template_purpose: str | None = None
    template_name: str | None = None
    template_language: str | None = None
    media: MediaRequest | None = None

    def payload(self, order_id: int, proposal_id: int | None) -> dict[str, Any]:
        payload: dict[str, Any] = {"orderId": order_id, "text": self.text, "purpose": self.template_purpose,
                                   "name": self.template_name, "language": self.template_language,
                                   "proposalId": proposal_id}
        if self.media is not None:  # only then: the fingerprints of text and template sends stay as they were
            payload["media"] = {"blobRef": self.media.blob_ref, "caption": self.media.caption,
                                "fileName": self.media.file_name}
        return payload


def _string(body: dict[str, Any], name: str, parameter: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidParameter(parameter, f"{parameter} debe ser un texto.")
    return value


def parse_client_request_id(value: Any) -> str:
    if not isinstance(value, str) or not _CLIENT_ID.fullmatch(value):
        raise InvalidParameter("clientRequestId", "Falta clientRequestId (un identificador nuevo por mensaje, por "
                                                  "ejemplo un UUID; letras, números, '.', '_', ':' o '-').")
    return value


def parse_text(value: Any) -> str:
    if not isinstance(value, str) or _BLANK.fullmatch(value):
        raise InvalidParameter("text", "El mensaje está vacío. Escribí un texto.")
    if len(value) > MAX_TEXT:
        raise InvalidParameter("text", f"El mensaje es demasiado largo: WhatsApp acepta hasta {MAX_TEXT} caracteres.")
    return value


def parse_media(value: Any) -> MediaRequest:
    """``media: {blobRef, caption?, fileName?}``: the upload's ref (its form only; whether it exists is asked
    of storage when sending), a plain-text caption of at most 1,024 characters, a file name for documents."""
    if not isinstance(value, dict):
        raise InvalidParameter("media", "media debe ser un objeto: {blobRef, caption, fileName}.")
    unknown = sorted(set(value) - {"blobRef", "caption", "fileName"})
    if unknown:
        raise InvalidParameter("media", f"Campo desconocido en media: {unknown[0][:40]}.")
    blob_ref = value.get("blobRef")
    if not isinstance(blob_ref, str) or not media.is_upload_ref(blob_ref):
        raise MediaNotSendable("media.blobRef no es un archivo subido con POST /api/whatsapp/media. Subí el "
                               "archivo de nuevo y usá el blobRef que devuelve.")
    caption = _string(value, "caption", "media.caption")
    if caption is not None and _BLANK.fullmatch(caption):
        caption = None
    if caption is not None and len(caption) > MAX_CAPTION:
        raise InvalidParameter("media.caption", f"El texto que acompaña al archivo es demasiado largo: WhatsApp "
                                                f"acepta hasta {MAX_CAPTION} caracteres.")
    file_name = _string(value, "fileName", "media.fileName")
    if file_name is not None:
        file_name = "".join(ch for ch in file_name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] if ch.isprintable())
        file_name = file_name.strip()[:MAX_FILE_NAME] or None
    return MediaRequest(blob_ref, caption, file_name)


def parse_send_body(raw: bytes) -> SendRequest:
    """The body of a send: ``{clientRequestId, text}``, ``{clientRequestId, template: {purpose} |
    {name, language}}`` or ``{clientRequestId, media: {blobRef, caption?, fileName?}}``; anything else is
    :class:`InvalidParameter` (or :class:`MediaNotSendable`)."""
    body = params.json_object(raw)
    params.reject_unknown(body, {"clientRequestId", "text", "template", "media"})
    client_request_id = parse_client_request_id(body.get("clientRequestId"))
    kinds = [k for k in ("text", "template", "media") if body.get(k) is not None]
    if len(kinds) != 1:
        raise InvalidParameter("body", "Indicá exactamente uno: text, template o media.")
    if kinds[0] == "media":
        return SendRequest(client_request_id, media=parse_media(body["media"]))
    if kinds[0] == "text":
        return SendRequest(client_request_id, text=parse_text(body["text"]))
    template = body["template"]
    if not isinstance(template, dict):
        raise InvalidParameter("template", "template debe ser un objeto: {purpose} o {name, language}.")
    unknown = sorted(set(template) - {"purpose", "name", "language"})
    if unknown:
        raise InvalidParameter("template", f"Campo desconocido en template: {unknown[0][:40]}.")
    purpose = _string(template, "purpose", "template.purpose")
    name = _string(template, "name", "template.name")
    language = _string(template, "language", "template.language")
    if bool(purpose) == bool(name) or (name and not language) or (purpose and language):
        raise InvalidParameter("template", "Indicá template.purpose, o template.name con template.language.")
    return SendRequest(client_request_id, template_purpose=purpose, template_name=name,
                       template_language=language)


# --- whom to write ----------------------------------------------------------------------------

def send_address(phone: Phone) -> str:
    """The ``to`` of a send: the WhatsApp id, digits without ``+`` (as ACS's own events write recipients);
    Argentine mobiles with or without the mobile 9 as ``WHATSAPP_SEND_FORMAT`` says."""
    if phone.key.startswith("54") and config.get("WHATSAPP_SEND_FORMAT") == "54":
        return phone.key
    return phone.whatsapp_id


# --- sending ---------------------------------------------------------------------------------

OnInsert = Callable[[Connection, int], None]


def send(order_id: int, request: SendRequest, staff: Staff | None, url: str | None = None, *,
         sender: outbox.Sender | None = None, proposal_id: int | None = None,
         on_insert: OnInsert | None = None) -> tuple[dict[str, Any], bool]:
    """Queue and attempt a reply; ``(answer, created)``: ``created`` is ``False`` for a repeated request.

    ``on_insert`` runs in the transaction that writes the row (a proposal is marked sent there)."""
    digest = outbox.request_hash(request.payload(order_id, proposal_id))
    upload: media.Upload | None = None
    if request.media is not None:  # storage is asked outside the transaction, and not for a repeat
        earlier = db.read(lambda conn: outbox.by_client_request_id(conn, request.client_request_id), url)
        if earlier is not None:
            return _repeat(earlier, digest, url), False
        upload = sendable_upload(request.media.blob_ref)

    def write(conn: Connection) -> tuple[bool, Any]:
        existing = outbox.by_client_request_id(conn, request.client_request_id)
        if existing is not None:
            return False, existing
        order = orders.require(conn, order_id)
        context = reply_context.reply_context(conn, order, db.utcnow())
        phone = parse_whatsapp_id(context.phone.whatsapp_id) if context.phone else None
        if context.phone is None or phone is None:
            raise NoUsablePhone(list(context.fields_tried))
        row: dict[str, Any] = {
            "ClientRequestId": request.client_request_id, "RequestHash": digest, "ReparacionId": order_id,
            "ClienteId": order.customer_id, "PhoneNumber": context.phone.e164, "PhoneKey": phone.key,
            "SendTo": send_address(phone), "ProposalId": proposal_id,
            "RequestedByStaffId": staff.id if staff else None, "RequestedByName": staff.name if staff else None,
            "RepeatabilityRequestId": str(uuid.uuid4())}
        if request.text is not None:
            if not context.window.open:
                raise WindowClosed(iso(context.window.last_inbound_at))
            row.update(Kind="text", Content=request.text)
        elif upload is not None and request.media is not None:
            if not context.window.open:
                raise WindowClosed(iso(context.window.last_inbound_at))
            row.update(Kind="media", Content=request.media.caption, MediaBlobRef=upload.blob_ref,
                       MediaKind=upload.kind, MediaContentType=upload.content_type, MediaSizeBytes=upload.size,
                       MediaFileName=request.media.file_name or _default_name(upload))
        else:
            row.update(_template_row(conn, order, request))
        inserted = outbox.insert(conn, row, claimed=True, guarded=False)
        assert inserted is not None  # unguarded: a twin raises instead
        if on_insert is not None:
            on_insert(conn, inserted.Id)
        return True, inserted

    try:
        created, row = db.write(write, url)
    except sa.exc.IntegrityError:  # a twin request inserted it between our check and our insert
        raced = db.read(lambda conn: outbox.by_client_request_id(conn, request.client_request_id), url)
        if raced is None:
            raise
        return _repeat(raced, digest, url), False
    if not created:
        return _repeat(row, digest, url), False
    _, shown = outbox.send_claimed(row, url, sender, then=lambda conn: _answer(conn, row.Id))
    assert shown is not None
    return shown, True


def sendable_upload(blob_ref: str) -> media.Upload:
    """The upload a media send names, as storage describes it; :class:`MediaNotSendable` when it is missing or
    of a type WhatsApp does not carry from us, :class:`shared.media.StorageDown` when storage does not answer."""
    try:
        upload = media.describe_upload(blob_ref)
    except LookupError:
        raise MediaNotSendable("No encontramos ese archivo subido (puede haberse borrado). Subilo de nuevo.") from None
    except media_storage.StorageUnavailable as exc:
        raise media.StorageDown() from exc
    if upload.kind is None:
        raise MediaNotSendable("Ese archivo no se puede enviar por WhatsApp: solo fotos (JPG o PNG) y documentos "
                               "(PDF, Word o Excel).")
    return upload


def _default_name(upload: media.Upload) -> str | None:
    """Documents travel with a name (WhatsApp shows it); one the staff member did not give is generic."""
    if upload.kind != "document":
        return None
    return "documento" + media.extension(upload.content_type)


def _template_row(conn: Connection, order: OrderCustomer, request: SendRequest) -> dict[str, Any]:
    usable = templates.usable(conn, order.order_id, order.first_name)
    if request.template_purpose:
        chosen = next((t for t in usable if t.purpose == request.template_purpose), None)
        what = f"para «{request.template_purpose}»"
    else:
        chosen = next((t for t in usable if (t.name, t.language) == (request.template_name,
                                                                      request.template_language)), None)
        what = f"«{request.template_name}» ({request.template_language})"
    if chosen is None:
        raise TemplateNotAvailable(what)
    if chosen.missing:
        raise TemplateValueMissing(chosen.missing)
    row = {"Kind": "template", "Content": chosen.preview, "TemplateName": chosen.name,
           "TemplateLanguage": chosen.language, "TemplateValues": json.dumps(chosen.values, ensure_ascii=False)}
    if chosen.purpose == QUOTE_PURPOSE and templates.quick_replies(conn, chosen.name, chosen.language) >= 2:
        signed = quote_buttons.payloads(conn, order.order_id)  # "Acepto", "No, gracias": signed (issue 18)
        if signed is not None:
            row["TemplateButtons"] = json.dumps(signed)
    return row


def _repeat(row: Any, digest: str, url: str | None) -> dict[str, Any]:
    if row.RequestHash != digest:
        raise RequestConflict()
    return answer(int(row.Id), url)


def _answer(conn: Connection, outbox_id: int) -> dict[str, Any]:
    row = outbox.get(conn, outbox_id)
    page = conversation.page(conn, _m.c.OutboxId == outbox_id, 1, None)["messages"] if row.State == "sent" else []
    return outbox.dto(row, page[0] if page else None)


def answer(outbox_id: int, url: str | None = None) -> dict[str, Any]:
    """The outbox row as the API answers it, with its message."""
    return db.read(lambda conn: _answer(conn, outbox_id), url)


def order_outbox(order_id: int, url: str | None = None, limit: int = 50) -> dict[str, Any]:
    """The order's sends not (yet) in the conversation: pending, sending, unknown and failed, newest first."""

    def read(conn: Connection) -> dict[str, Any]:
        if not orders.exists(conn, order_id):
            raise OrderNotFound(order_id)
        rows = conn.execute(sa.select(_o).where(_o.c.ReparacionId == order_id, _o.c.State != "sent")
                            .order_by(_o.c.Id.desc()).limit(limit)).all()
        return {"orderId": order_id, "sends": [outbox.dto(r, None) for r in rows]}

    return db.read(read, url)


def order_templates(order_id: int, url: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """``GET .../templates``: the approved templates filled for the order, and whether free text is possible."""

    def read(conn: Connection) -> dict[str, Any]:
        order = orders.require(conn, order_id)
        window = reply_context.reply_context(conn, order, now or db.utcnow()).window
        return {"orderId": order_id,
                "window": {"open": window.open, "until": iso(window.until),
                           "lastInboundAt": iso(window.last_inbound_at)},
                "templates": [templates.dto(t) for t in templates.usable(conn, order_id, order.first_name)]}

    return db.read(read, url)
