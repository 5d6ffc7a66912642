"""Importing history from WhatsApp chat exports: what was said before go-live, stored once.

No WhatsApp API returns history, so on go-live every conversation starts empty while the shop's
phones hold years of it. WhatsApp's "Exportar chat" writes it as a ``.txt`` (or a ``.zip`` with the
media); :mod:`shared.chat_export` reads those strictly, and this module stores them. Why it works
the way it does:

* **A preview first** (:func:`preview`): staff see the participants, how many messages each wrote and
  the dates before anything is written, and say which participant is the shop. That choice gives
  every message its direction; nothing guesses it.
* **The customer is never guessed**: the phone in the file's name ("Chat de WhatsApp con +54 9 11
  5555-1234.txt", or an unsaved contact's number as the participant's name) matched through the
  phone index like a live sender, or the customer (or order) staff chose. Several customers on that
  line is an answer listing them, not a pick.
* **Deterministic identity**: an imported message's ``MessageKey`` is ``imp:`` plus a digest of the
  conversation (the customer's phone key), its direction, its minute, its normalized text and its
  occurrence among identical messages of that minute. So the same file twice, a later export of the
  same chat (which repeats everything the first held) and a retry after a failure half-way all add
  nothing the unique index already holds. The file's hash also names a ``WhatsAppImport`` row (who,
  when, counts, state): a completed file answers "ya importado" at once.
* **Never twice with ACS**: a message ACS delivered and the export repeats (same direction, same
  minute, same normalized text) is kept once, the live one: before inserting, the live rows of the
  customer's phones in the file's time range are counted by that signature, and that many
  occurrences of the signature in the file are skipped.
* **Chunks**: rows are written ``CHUNK`` at a time, each chunk one transaction that first looks up
  which keys exist; a failure leaves whole chunks behind and the import ``failed``; importing the file
  again resumes (a lease in ``WhatsAppState`` keeps two workers off one file).
* **Orders as live messages get them**: a message joins the order that was the customer's only open
  one at its time (what ingest does on arrival), and, when staff imported from an order, the rest
  since that order's creation minus ``SYNC_LOOKBACK_DAYS`` join it (what its sync would take). The
  rest stays linked to the customer only, for a later sync. Summaries see the imported rows as
  messages their watermark does not cover (new ids), so the next summary reads them once.
* **Media**: the export's attachments are stored as what they are (kind, file name, caption); files
  inside a ``.zip`` are listed in the preview. On import, each attachment whose file the ``.zip``
  holds gets a ``WhatsAppMedia`` row (``Source`` ``export``) in the transaction that inserts its
  message, and its bytes are then streamed from the zip member into Blob Storage through
  :func:`shared.media.store_bytes` (the type and size checks of a live download), so imported photos
  show in the thread. Storage down leaves the rows pending: importing the file again stores them.

Personal data (names, phones, text) never reaches the logs above DEBUG nor an error's text.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, TypedDict

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import chat_export, config, consent, db, identity, observability, orders, phones, schema, state
from shared.chat_export import AttachmentKind, ChatExport, ChatExportError, ChatMessage, MediaMember
from shared.errors import ApiError, CustomerNotFound, InvalidParameter
from shared.event_parsing import CAPTION_MAX_CHARS, TEXT_MAX_CHARS
from shared.schema import Direction
from shared.text import clip, iso

if TYPE_CHECKING:
    from shared.staff import Staff

log = observability.logger(__name__)
_m, _imp, _rep, _cl = schema.message, schema.history_import, schema.reparacion, schema.cliente

MAX_UPLOAD_BYTES: Final = 64 * 1024 * 1024
"""Largest upload the staff API takes (a 40,000-message ``.txt`` is a few MB; a ``.zip`` with all its
media can be far larger: import it with ``python -m ops import-chats`` or export it without media)."""
CHUNK: Final = 2000
"""Messages written per transaction."""
LEASE_SECONDS: Final = 300
_IN: Final = 1000  # keys per IN list: under SQL Server's 2,100 parameters
_MAX_PARTICIPANTS: Final = 2
Via = Literal["panel", "cli"]
COMPLETED, RUNNING, FAILED = "completed", "running", "failed"


# --- errors (Spanish, never quoting the file) ------------------------------------------------------

class InvalidExport(ApiError):
    status = 422
    type = "/problems/invalid-export"
    title = "Not a WhatsApp chat export this app imports"

    def __init__(self, detail: str, line: int | None = None) -> None:
        super().__init__(detail, **({"line": line} if line is not None else {}))


class UploadTooLarge(ApiError):
    status = 413
    type = "/problems/upload-too-large"
    title = "Upload too large"

    def __init__(self) -> None:
        super().__init__(f"El archivo supera los {MAX_UPLOAD_BYTES // (1024 * 1024)} MB que se pueden subir desde el "
                         "panel. Exportá el chat «sin archivos» (solo el .txt) o pedile a un operador que lo importe "
                         "desde la línea de comandos.")


class CustomerCandidate(TypedDict):
    customerId: int
    name: str


class CustomerNotIdentified(ApiError):
    status = 422
    type = "/problems/customer-not-identified"
    title = "Customer not identified"

    def __init__(self, detail: str, candidates: list[CustomerCandidate]) -> None:
        super().__init__(detail, candidates=candidates)


class ImportConflict(ApiError):
    status = 409
    type = "/problems/import-conflict"
    title = "Import conflict"


# --- reading the upload ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Parsed:
    """An export read and checked: its messages, the media files of a ``.zip``, the file's hash."""

    file_name: str
    kind: Literal["txt", "zip"]
    export: ChatExport
    media: tuple[MediaMember, ...]
    file_hash: str

    @property
    def authored(self) -> list[ChatMessage]:
        return [m for m in self.export.messages if m.author is not None]


def clean_file_name(raw: str | None) -> str:
    """The upload's file name (its last path component), or :class:`InvalidParameter`."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    if not name:
        raise InvalidParameter("fileName", "Falta el parámetro fileName (el nombre del archivo exportado).")
    if len(name) > 255:
        raise InvalidParameter("fileName", "fileName es demasiado largo (máximo 255 caracteres).")
    return name


Upload = bytes | Path
"""The export: its bytes (an upload), or its path (the operators' command, which never loads a
``.zip``'s media into memory)."""


def _file_hash(data: Upload) -> str:
    if isinstance(data, bytes):
        return hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256()
    with data.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def read(file_name: str, data: Upload, max_bytes: int | None = None) -> Parsed:
    """Parse an export (``.txt`` or ``.zip``); :class:`InvalidExport` for anything else."""
    size = len(data) if isinstance(data, bytes) else data.stat().st_size
    if size > (max_bytes or MAX_UPLOAD_BYTES):
        raise UploadTooLarge()
    if not size:
        raise InvalidExport("El archivo está vacío.")
    if isinstance(data, bytes):
        head = data[:4]
    else:
        with data.open("rb") as stream:
            head = stream.read(4)
    try:
        if head == b"PK\x03\x04" or file_name.lower().endswith(".zip"):
            zipped = chat_export.read_zip(io.BytesIO(data) if isinstance(data, bytes) else data)
            parsed = Parsed(file_name, "zip", zipped.export, zipped.media, _file_hash(data))
        else:
            text = data if isinstance(data, bytes) else data.read_bytes()
            parsed = Parsed(file_name, "txt", chat_export.parse_bytes(text), (), _file_hash(data))
    except ChatExportError as error:
        raise InvalidExport(str(error), error.line) from error
    authors = chat_export.participants(parsed.export.messages)
    if not authors:
        raise InvalidExport("La exportación no tiene mensajes de ninguna persona (solo avisos de WhatsApp); "
                            "no hay nada para importar.")
    if len(authors) > _MAX_PARTICIPANTS:
        raise InvalidExport(f"El chat tiene {len(authors)} participantes: parece un grupo. Solo se importan chats "
                            "entre el taller y un cliente.")
    return parsed


_CHAT_PREFIXES = ("chat de whatsapp con ", "whatsapp chat with ", "chat de whatsapp - ", "whatsapp chat - ")
_PHONE_CHARS = frozenset("+0123456789 -().\u00a0\u202f")
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"))


def _as_phone(text: str) -> phones.Phone | None:
    """``text`` as one phone line, when it is only a phone number (a contact's name is not)."""
    bare = text.translate(_INVISIBLE).strip()
    if not bare or not set(bare) <= _PHONE_CHARS or sum(ch.isdigit() for ch in bare) < 8:
        return None
    found = phones.parse_phones(bare, config.get("DEFAULT_REGION"), config.get("DEFAULT_AREA_CODE")).phones
    return found[0] if len(found) == 1 else None


def phone_in_file_name(file_name: str) -> phones.Phone | None:
    """The phone WhatsApp puts in an export's name ("Chat de WhatsApp con +54 9 11 5555-1234.txt")."""
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    lowered = stem.translate(_INVISIBLE).lower()
    for prefix in _CHAT_PREFIXES:
        if lowered.startswith(prefix):
            rest = stem.translate(_INVISIBLE)[len(prefix):]
            rest = rest.split(" (", 1)[0]  # "… (1).txt" when the browser renamed a second download
            return _as_phone(rest)
    return None


# --- whose chat is it ---------------------------------------------------------------------------------

MatchedBy = Literal["fileName", "participant", "customer", "order"]


@dataclass(frozen=True)
class Customer:
    customer_id: int
    name: str
    matched_by: MatchedBy
    phone: phones.Phone | None
    """The line the chat was on: the file's phone, else the customer's first usable phone."""
    keys: tuple[str, ...]
    """Every phone key of the conversation (the customer's phones and the file's)."""
    file_phone_is_customers: bool | None
    """Whether the file's phone is one of the customer's phones (``None``: the file names none)."""


def _names(conn: Connection, ids: Iterable[int]) -> dict[int, str]:
    ids = list(ids)
    rows = conn.execute(sa.select(_cl.c.ClienteId, _cl.c.Nombre, _cl.c.Apellido).where(_cl.c.ClienteId.in_(ids)))
    return {row.ClienteId: orders.full_name(row.Nombre, row.Apellido) for row in rows}


def _file_phone(parsed: Parsed) -> tuple[phones.Phone | None, MatchedBy]:
    phone = phone_in_file_name(parsed.file_name)
    if phone is not None:
        return phone, "fileName"
    found = [p for p in map(_as_phone, chat_export.participants(parsed.export.messages)) if p is not None]
    return (found[0], "participant") if len(found) == 1 else (None, "fileName")


def resolve_customer(conn: Connection, parsed: Parsed, order_id: int | None, customer_id: int | None) -> Customer:
    """Whose chat this is: the order's or chosen customer, else the one the file's phone belongs to.
    Raises ``OrderNotFound``, ``CustomerNotFound``, :class:`CustomerNotIdentified`, ``InvalidParameter``."""
    file_phone, found_by = _file_phone(parsed)
    matched_by: MatchedBy
    if order_id is not None:
        order = orders.require(conn, order_id)
        if customer_id is not None and customer_id != order.customer_id:
            raise InvalidParameter("customerId", f"El cliente {customer_id} no es el de la orden {order_id}.")
        if not order.customer_exists:
            raise CustomerNotFound(order.customer_id)
        customer_id, matched_by = order.customer_id, "order"
    elif customer_id is not None:
        matched_by = "customer"
    else:
        if file_phone is None:
            raise CustomerNotIdentified("El nombre del archivo no tiene el teléfono del cliente (el contacto estaba "
                                        "agendado). Elegí el cliente o importalo desde su orden.", [])
        match = identity.match_sender(conn, file_phone, None)  # a person's decision (inbox alias) first
        if match.status == "ambiguous":
            names = _names(conn, match.candidates)
            raise CustomerNotIdentified(
                "Ese teléfono es de varios clientes; elegí de cuál es el chat.",
                [{"customerId": c, "name": names.get(c, "")} for c in match.candidates])
        if match.customer_id is None or match.status not in ("matched", "assigned"):
            raise CustomerNotIdentified("Ningún cliente tiene el teléfono del chat. Elegí el cliente o importalo "
                                        "desde su orden.", [])
        customer_id, matched_by = match.customer_id, found_by
    fields = orders.customer_phones(conn, customer_id)
    if fields is None:
        raise CustomerNotFound(customer_id)
    own = [phone for _, phone in identity.index_customer(conn, customer_id, fields.telefono1, fields.telefono2)]
    keys = [p.key for p in own]
    if file_phone is not None and file_phone.key not in keys:
        keys.append(file_phone.key)
    return Customer(customer_id, _names(conn, [customer_id]).get(customer_id, ""), matched_by,
                    file_phone or (own[0] if own else None), tuple(keys),
                    None if file_phone is None else any(p.key == file_phone.key for p in own))


# --- planning rows ------------------------------------------------------------------------------------

_EDITED = ("<Se editó este mensaje.>", "<Se editó este mensaje>", "<This message was edited>")
_MEDIA_TYPES = frozenset({"image", "video", "audio", "sticker", "document"})
_TYPE_OF_KIND: Final[dict[AttachmentKind, str]] = {
    AttachmentKind.IMAGE: "image", AttachmentKind.VIDEO: "video", AttachmentKind.GIF: "video",
    AttachmentKind.AUDIO: "audio", AttachmentKind.STICKER: "sticker", AttachmentKind.DOCUMENT: "document",
    AttachmentKind.CONTACT: "contacts", AttachmentKind.MEDIA: "media"}


def normalized(text: str | None) -> str:
    """Text as both ways of seeing a message agree on it: NFC, no invisible marks, no "edited" tag,
    whitespace runs as one space. Linear in the text."""
    flat = unicodedata.normalize("NFC", text or "").translate(_INVISIBLE).strip()
    for tag in _EDITED:
        if flat.endswith(tag):
            flat = flat[: -len(tag)]
            break
    return " ".join(flat.split())


def signature(direction: str, at: datetime, attachment: bool, text: str | None) -> tuple[str, datetime, str]:
    """What makes two sightings of a message the same one: direction, minute, normalized text (an
    attachment by its caption, whatever its kind: the export often does not say which)."""
    return direction, at.replace(second=0, microsecond=0), ("\x00media\x00" if attachment else "") + normalized(text)


def message_key(conversation: str, sig: tuple[str, datetime, str], occurrence: int) -> str:
    direction, minute, body = sig
    raw = "\x1f".join((conversation, direction, minute.isoformat(), body, str(occurrence)))
    return "imp:" + hashlib.blake2b(raw.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


@dataclass(frozen=True)
class _Order:
    order_id: int
    created: datetime
    delivered: datetime | None


@dataclass
class Plan:
    rows: list[dict[str, Any]] = field(default_factory=list)
    duplicates_of_live: int = 0
    system_lines: int = 0


def _order_at(history: Sequence[_Order], at: datetime) -> int | None:
    """The customer's only order open at ``at``, if exactly one (what ingest links on arrival)."""
    found = [o.order_id for o in history if o.created <= at and (o.delivered is None or at <= o.delivered)]
    return found[0] if len(found) == 1 else None


_FILE_NAME = _m.c.MediaFileName.type.length  # type: ignore[attr-defined]


def plan(parsed: Parsed, shop: str, customer: Customer, *, live: Counter[tuple[str, datetime, str]],
         history: Sequence[_Order], chosen: _Order | None, import_id: int, now: datetime) -> Plan:
    """The rows to store, in file order, each with its key and order; live twins left out. Only the
    columns an import fills: the text was decoded from UTF-8, so it holds no lone surrogates, and the
    file name is the one bounded column it fills (rows go to the database as they are)."""
    conversation = customer.phone.key if customer.phone else f"c{customer.customer_id}"
    lookback = timedelta(days=config.get_int("SYNC_LOOKBACK_DAYS"))
    seen: Counter[tuple[str, datetime, str]] = Counter()
    result = Plan()
    for message in parsed.export.messages:
        if message.author is None:
            result.system_lines += 1
            continue
        direction: Direction = "outbound" if message.author == shop else "inbound"
        at = message.utc.replace(tzinfo=None)
        attachment = message.attachment
        message_type = "text" if attachment is None else _TYPE_OF_KIND[attachment.kind]
        limit = TEXT_MAX_CHARS if attachment is None else CAPTION_MAX_CHARS  # cut as live ones are
        text = message.text[:limit] or None
        cut = len(message.text) > limit
        sig = signature(direction, at, attachment is not None, text)
        occurrence = seen[sig]
        seen[sig] += 1
        if occurrence < live[sig]:
            result.duplicates_of_live += 1
            continue
        order_id = _order_at(history, at)
        if order_id is None and chosen is not None and at >= chosen.created - lookback:
            order_id = chosen.order_id
        phone = customer.phone
        result.rows.append({
            "MessageKey": message_key(conversation, sig, occurrence), "ReparacionId": order_id,
            "ClienteId": customer.customer_id, "PhoneNumber": phone.e164 if phone else None,
            "PhoneKey": phone.key if phone else None, "MatchStatus": "matched", "Direction": direction,
            "MessageType": message_type, "Content": None if attachment else text,
            "MediaFileName": clip(attachment.file_name, _FILE_NAME) if attachment and attachment.file_name else None,
            "MediaCaption": text if attachment else None, "WhatsAppTimestamp": at, "ReceivedAt": now,
            "CreatedAt": now, "RawTruncated": False, "TextTruncated": cut, "Source": schema.IMPORT_SOURCE,
            "ImportId": import_id})
    return result


def _live(conn: Connection, customer: Customer, first: datetime, last: datetime) -> Counter[tuple[str, datetime, str]]:
    """How many live (ACS) messages of this conversation carry each signature, in the file's time range."""
    whose = identity.messages_of(conn, list(customer.keys)) if customer.keys else \
        _m.c.ClienteId == customer.customer_id
    rows = conn.execute(sa.select(_m.c.Direction, _m.c.MessageType, _m.c.Content, _m.c.MediaCaption,
                                  _m.c.WhatsAppTimestamp)
                        .where(whose, _m.c.Source.is_(None),
                               _m.c.WhatsAppTimestamp >= first.replace(second=0, microsecond=0),
                               _m.c.WhatsAppTimestamp < last.replace(second=0, microsecond=0) + timedelta(minutes=1)))
    counts: Counter[tuple[str, datetime, str]] = Counter()
    for row in rows:
        if row.MessageType == "text" or row.MessageType in _MEDIA_TYPES:
            text = row.MediaCaption if row.MessageType in _MEDIA_TYPES else row.Content
            counts[signature(row.Direction, row.WhatsAppTimestamp, row.MessageType in _MEDIA_TYPES, text)] += 1
    return counts


def _orders_of(conn: Connection, customer_id: int) -> list[_Order]:
    rows = conn.execute(sa.select(_rep.c.ReparacionId, _rep.c.CreadoEn, _rep.c.FechaEntrega)
                        .where(_rep.c.ClienteId == customer_id).order_by(_rep.c.ReparacionId))
    return [_Order(r.ReparacionId, r.CreadoEn, r.FechaEntrega) for r in rows]


# --- the answers ------------------------------------------------------------------------------------

class ParticipantJson(TypedDict):
    name: str
    messages: int
    firstMessageAt: str | None
    lastMessageAt: str | None
    looksLikePhone: bool


class CustomerJson(TypedDict):
    customerId: int
    name: str
    matchedBy: MatchedBy
    phone: str | None
    filePhoneIsCustomers: bool | None


class PreviousImportJson(TypedDict):
    importId: int
    state: str
    customerId: int
    shopParticipant: str
    messagesImported: int
    importedBy: str | None
    startedAt: str | None
    completedAt: str | None


class PreviewJson(TypedDict):
    fileName: str
    format: Literal["txt", "zip"]
    platform: str
    participants: list[ParticipantJson]
    messages: int
    systemLines: int
    attachments: int
    mediaFiles: int
    firstMessageAt: str | None
    lastMessageAt: str | None
    customer: CustomerJson | None
    customerProblem: str | None
    candidates: list[CustomerCandidate]
    suggestedShopParticipant: str | None
    previousImport: PreviousImportJson | None
    maxMessages: int


class OrderCount(TypedDict):
    orderId: int
    messages: int


class AttachmentsJson(TypedDict):
    """The import's media files (a ``.zip``'s) by state, after this request: ``pending`` ones wait for storage
    (importing the same file again stores them)."""

    stored: int
    failed: int
    pending: int


class ImportJson(TypedDict):
    importId: int
    state: str
    alreadyImported: bool
    fileName: str
    customerId: int
    customerName: str
    shopParticipant: str
    messagesInFile: int
    messagesImported: int
    addedNow: int
    alreadyStored: int
    duplicatesOfLive: int
    systemLines: int
    orders: list[OrderCount]
    unlinked: int
    firstMessageAt: str | None
    lastMessageAt: str | None
    completedAt: str | None
    attachments: AttachmentsJson


def _previous(conn: Connection, file_hash: str) -> Any:
    return conn.execute(sa.select(_imp).where(_imp.c.FileHash == file_hash)).first()


def _previous_json(row: Any) -> PreviousImportJson | None:
    if row is None:
        return None
    return {"importId": row.Id, "state": row.State, "customerId": row.ClienteId, "shopParticipant": row.ShopParticipant,
            "messagesImported": row.MessagesImported, "importedBy": row.ImportedByName,
            "startedAt": iso(row.StartedAt), "completedAt": iso(row.CompletedAt)}


def _participants(parsed: Parsed) -> list[ParticipantJson]:
    stats: dict[str, list[Any]] = {}
    for message in parsed.authored:
        assert message.author is not None
        entry = stats.setdefault(message.author, [0, message.utc, message.utc])
        entry[0] += 1
        entry[2] = message.utc
    return [{"name": name, "messages": count, "firstMessageAt": iso(first.replace(tzinfo=None)),
             "lastMessageAt": iso(last.replace(tzinfo=None)), "looksLikePhone": _as_phone(name) is not None}
            for name, (count, first, last) in stats.items()]


def preview(file_name: str | None, data: Upload, *, order_id: int | None = None, customer_id: int | None = None,
            url: str | None = None, max_bytes: int | None = None) -> PreviewJson:
    """``POST /api/whatsapp/imports/preview``: what the file holds and whose chat it is; writes nothing
    but the phone index (as any lookup does)."""
    parsed = read(clean_file_name(file_name), data, max_bytes)
    authored = parsed.authored
    participants = _participants(parsed)

    def look(conn: Connection) -> tuple[Customer | None, str | None, list[CustomerCandidate], Any, str | None]:
        try:
            customer: Customer | None = resolve_customer(conn, parsed, order_id, customer_id)
            problem, candidates = None, []
        except CustomerNotIdentified as error:
            customer, problem, candidates = None, error.detail, error.extensions["candidates"]
        last_shop = conn.execute(sa.select(_imp.c.ShopParticipant).where(_imp.c.State == COMPLETED)
                                 .order_by(_imp.c.Id.desc()).limit(1)).scalar()
        return customer, problem, candidates, _previous(conn, parsed.file_hash), last_shop

    customer, problem, candidates, previous, last_shop = db.write(look, url)
    names = [p["name"] for p in participants]
    suggested = previous.ShopParticipant if previous is not None and previous.ShopParticipant in names else None
    if suggested is None and last_shop in names:
        suggested = last_shop
    if suggested is None and len(names) == 2 and sum(p["looksLikePhone"] for p in participants) == 1:
        suggested = next(p["name"] for p in participants if not p["looksLikePhone"])
    return {"fileName": parsed.file_name, "format": parsed.kind, "platform": parsed.export.variant.platform.value,
            "participants": participants, "messages": len(authored),
            "systemLines": len(parsed.export.messages) - len(authored),
            "attachments": sum(1 for m in authored if m.attachment is not None), "mediaFiles": len(parsed.media),
            "firstMessageAt": iso(authored[0].utc.replace(tzinfo=None)),
            "lastMessageAt": iso(authored[-1].utc.replace(tzinfo=None)),
            "customer": None if customer is None else {
                "customerId": customer.customer_id, "name": customer.name, "matchedBy": customer.matched_by,
                "phone": customer.phone.e164 if customer.phone else None,
                "filePhoneIsCustomers": customer.file_phone_is_customers},
            "customerProblem": problem, "candidates": candidates, "suggestedShopParticipant": suggested,
            "previousImport": _previous_json(previous), "maxMessages": chat_export.MAX_MESSAGES}


@dataclass(frozen=True)
class _Started:
    import_id: int
    customer: Customer
    history: list[_Order]
    chosen: _Order | None
    live: Counter[tuple[str, datetime, str]]
    previous: Any = None  # the completed import of this file, when there is one


def _lease(file_hash: str) -> str:
    return f"import:{file_hash}"


def _start(parsed: Parsed, shop: str, *, order_id: int | None, customer_id: int | None, staff: Staff | None,
           via: Via, now: datetime) -> Callable[[Connection], _Started]:
    authored = parsed.authored
    first, last = authored[0].utc.replace(tzinfo=None), authored[-1].utc.replace(tzinfo=None)

    def start(conn: Connection) -> _Started:
        customer = resolve_customer(conn, parsed, order_id, customer_id)
        previous = _previous(conn, parsed.file_hash)
        if previous is not None:
            if previous.ClienteId != customer.customer_id:
                raise ImportConflict(f"Este archivo ya se importó para otro cliente (#{previous.ClienteId}); no se "
                                     "importa de nuevo.")
            if previous.State == COMPLETED:
                return _Started(previous.Id, customer, [], None, Counter(), previous)
            if previous.ShopParticipant != shop:
                raise ImportConflict("Este archivo empezó a importarse con otro participante como el taller; "
                                     "reintentá eligiendo el mismo para completar la importación.")
        if not state.claim(conn, _lease(parsed.file_hash), now, LEASE_SECONDS):
            raise ImportConflict("Este archivo se está importando en este momento. Esperá unos minutos y revisá el "
                                 "resultado.")
        counts = {"State": RUNNING, "ErrorMessage": None, "ReparacionId": order_id, "Via": via,
                  "ImportedByStaffId": staff.id if staff else None, "ImportedByName": staff.name if staff else None}
        if previous is None:
            import_id = state.insert_once(conn, _imp, {
                "FileHash": parsed.file_hash, "FileName": parsed.file_name, "ClienteId": customer.customer_id,
                "PhoneNumber": customer.phone.e164 if customer.phone else None, "ShopParticipant": shop,
                "MessagesInFile": len(authored), "MessagesImported": 0, "MessagesAlreadyStored": 0,
                "DuplicatesOfLive": 0, "FirstMessageAt": first, "LastMessageAt": last, "StartedAt": now, **counts})
            if import_id is None:  # the same file, started this instant by someone else
                raise ImportConflict("Este archivo se está importando en este momento. Esperá unos minutos y revisá "
                                     "el resultado.")
        else:
            import_id = previous.Id
            conn.execute(_imp.update().where(_imp.c.Id == import_id).values(**state.fit(_imp, counts)))
        history = _orders_of(conn, customer.customer_id)
        chosen = next((o for o in history if o.order_id == order_id), None)
        return _Started(int(import_id), customer, history, chosen, _live(conn, customer, first, last))

    return start


def _existing(conn: Connection, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), _IN):
        found.update(conn.execute(sa.select(_m.c.MessageKey).where(_m.c.MessageKey.in_(keys[start:start + _IN])))
                     .scalars())
    return found


def _store(rows: list[dict[str, Any]], import_id: int, file_hash: str,
           members: frozenset[str] = frozenset()) -> Callable[[Connection], list[dict[str, Any]]]:
    """One chunk: insert the rows whose key is not stored yet, and the media rows of their attachments whose
    file is one of the zip's ``members``; the rows inserted."""

    def store(conn: Connection) -> list[dict[str, Any]]:
        existing = _existing(conn, [row["MessageKey"] for row in rows])
        fresh = [row for row in rows if row["MessageKey"] not in existing]
        if fresh:
            try:
                with conn.begin_nested():
                    conn.execute(_m.insert(), fresh)
            except sa.exc.IntegrityError:  # an overlapping export of this chat, imported this instant
                fresh = [row for row in fresh if state.insert_once(conn, _m, row) is not None]
            _register_attachments(conn, fresh, members)
            _record_opt_outs(conn, fresh)
        conn.execute(_imp.update().where(_imp.c.Id == import_id).values(
            MessagesImported=_imp.c.MessagesImported + len(fresh),
            MessagesAlreadyStored=_imp.c.MessagesAlreadyStored + len(rows) - len(fresh)))
        state.put(conn, _lease(file_hash), (db.utcnow() + timedelta(seconds=LEASE_SECONDS)).isoformat())  # renewed
        return fresh

    return store


def _ids_of(conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """The stored ids, by message key, of rows this transaction just inserted (a chunk's opt-outs or attachments)."""
    return {r.MessageKey: int(r.Id) for r in conn.execute(sa.select(_m.c.MessageKey, _m.c.Id).where(
        _m.c.MessageKey.in_([row["MessageKey"] for row in rows])))}


def _record_opt_outs(conn: Connection, fresh: list[dict[str, Any]]) -> None:
    """A customer's "BAJA" in the imported history is an opt-out as much as a live one, dated when it was
    written (so a later opt-in still outranks it); only messages stored now, so a re-import records none."""
    wanted = [row for row in fresh if row["Direction"] == "inbound" and consent.is_opt_out(row["Content"])]
    if not wanted:
        return
    ids = _ids_of(conn, wanted)
    for row in wanted:
        consent.on_inbound(conn, int(ids[row["MessageKey"]]), row["Content"],
                           [row["ClienteId"]] if row["ClienteId"] is not None else [], row["PhoneKey"],
                           source="import", at=row["WhatsAppTimestamp"])


def _member_names(parsed: Parsed) -> dict[str, str]:
    """The zip's media files by the name the chat gives them (the member's last path component)."""
    names: dict[str, str] = {}
    for member in parsed.media:
        names.setdefault(member.name.rsplit("/", 1)[-1], member.name)
    return names


def _register_attachments(conn: Connection, fresh: list[dict[str, Any]], members: frozenset[str]) -> None:
    from shared import media

    wanted = [row for row in fresh if row["MessageType"] in media.KINDS and row["MediaFileName"] in members]
    if not wanted:
        return
    ids = _ids_of(conn, wanted)
    for row in wanted:
        media.register_inbound(conn, message_pk=int(ids[row["MessageKey"]]), message_key=row["MessageKey"],
                               kind=row["MessageType"], media_id=None, declared_mime=None,
                               file_name=row["MediaFileName"], sent_at=row["WhatsAppTimestamp"], source="export")


def _store_attachments(import_id: int, parsed: Parsed, data: Upload) -> dict[str, int]:
    """Stream the pending attachments of an import from the zip into Blob Storage; outcomes counted.
    Storage down stops here and leaves the rest pending (importing the file again resumes)."""
    from shared import media

    md = schema.media
    pending = db.read(lambda conn: conn.execute(
        sa.select(md.c.Id, md.c.FileName).join(_m, _m.c.Id == md.c.MessageId)
        .where(_m.c.ImportId == import_id, md.c.Source == "export", md.c.State == media.PENDING)
        .order_by(md.c.Id)).all())
    names = _member_names(parsed)
    outcomes: Counter[str] = Counter()
    if not pending:
        return dict(outcomes)
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data) as archive:
        for item in pending:
            member = names.get(item.FileName or "")
            if member is None:
                continue

            def chunks(name: str = member) -> Iterable[bytes]:
                with archive.open(name) as stream:
                    while block := stream.read(1 << 20):
                        yield block

            try:
                outcomes[media.store_bytes(int(item.Id), chunks(), source="export")] += 1
            except Exception as exc:  # storage down or not configured: the row is pending again
                log.warning("import %s: attachments not stored (%s); importing the file again stores them",
                            import_id, type(exc).__name__)
                outcomes["pending"] += len(pending) - sum(outcomes.values())
                break
    return dict(outcomes)


def _with_attachments(import_id: int, parsed: Parsed, data: Upload, stores: bool, url: str | None) -> AttachmentsJson:
    if stores:
        outcomes = _store_attachments(import_id, parsed, data)
        if outcomes:
            log.info("import %s: attachments %s", import_id, outcomes)
    return _attachment_states(import_id, url)


def _attachment_states(import_id: int, url: str | None) -> AttachmentsJson:
    """How the import's media rows stand now (what the panel tells staff after an import)."""
    from shared import media

    md = schema.media
    counts: dict[str, int] = dict(db.read(lambda conn: conn.execute(
        sa.select(md.c.State, sa.func.count()).join(_m, _m.c.Id == md.c.MessageId)
        .where(_m.c.ImportId == import_id, md.c.Source == "export").group_by(md.c.State)).all(), url))
    return {"stored": int(counts.get(media.STORED, 0)),
            "failed": int(counts.get(media.FAILED, 0)) + int(counts.get(media.EXPIRED, 0)),
            "pending": int(counts.get(media.PENDING, 0)) + int(counts.get(media.DOWNLOADING, 0))}


def import_export(file_name: str | None, data: Upload, *, shop_participant: str | None,
                  order_id: int | None = None, customer_id: int | None = None, staff: Staff | None = None,
                  via: Via = "panel", url: str | None = None, max_bytes: int | None = None) -> ImportJson:
    """``POST /api/whatsapp/imports``: store the export's messages once, linked like live ones.

    Raises :class:`InvalidExport`, :class:`UploadTooLarge`, :class:`CustomerNotIdentified`,
    :class:`ImportConflict`, ``InvalidParameter``, ``OrderNotFound``, ``CustomerNotFound``,
    ``DatabaseUnavailable`` (nothing half-done is lost: import the file again to resume)."""
    parsed = read(clean_file_name(file_name), data, max_bytes)
    shop = (shop_participant or "").strip()
    names = chat_export.participants(parsed.export.messages)
    if not shop:
        raise InvalidParameter("shopParticipant", "Falta el parámetro shopParticipant: decí cuál de los "
                                                  "participantes del chat es el taller.")
    if shop not in names:
        raise InvalidParameter("shopParticipant", "shopParticipant no es ninguno de los participantes del chat; "
                                                  "usá uno de los nombres que muestra la vista previa.")
    now = db.utcnow()
    started = db.write(_start(parsed, shop, order_id=order_id, customer_id=customer_id, staff=staff, via=via,
                              now=now), url)
    # attachments go to Blob Storage through shared.media, which writes to the app's own database
    stores = parsed.kind == "zip" and bool(parsed.media) and url in (None, config.get("DATABASE_URL"))
    members = frozenset(_member_names(parsed)) if stores else frozenset()
    if started.previous is not None:
        attachments = _with_attachments(int(started.previous.Id), parsed, data, stores, url)  # what storage missed
        return _done_json(started.previous, started.customer, already=True, inserted=[], already_stored=0,
                          parsed=parsed, attachments=attachments)
    work = plan(parsed, shop, started.customer, live=started.live, history=started.history, chosen=started.chosen,
                import_id=started.import_id, now=now)
    inserted: list[dict[str, Any]] = []
    try:
        for start in range(0, len(work.rows), CHUNK):
            inserted += db.write(_store(work.rows[start:start + CHUNK], started.import_id, parsed.file_hash,
                                        members), url)
    except Exception as exc:
        _fail(started.import_id, parsed.file_hash, exc, url)
        raise

    def finish(conn: Connection) -> Any:
        conn.execute(_imp.update().where(_imp.c.Id == started.import_id).values(
            State=COMPLETED, CompletedAt=db.utcnow(), DuplicatesOfLive=work.duplicates_of_live,
            MessagesInFile=len(parsed.authored)))
        state.release(conn, _lease(parsed.file_hash))
        return conn.execute(sa.select(_imp).where(_imp.c.Id == started.import_id)).one()

    row = db.write(finish, url)
    _forget_horizon()
    attachments = _with_attachments(started.import_id, parsed, data, stores, url)
    log.info("import %s: %d messages added, %d already stored, %d seen live", started.import_id, len(inserted),
             len(work.rows) - len(inserted), work.duplicates_of_live)
    return _done_json(row, started.customer, already=False, inserted=inserted,
                      already_stored=len(work.rows) - len(inserted), parsed=parsed, attachments=attachments)


def _fail(import_id: int, file_hash: str, exc: Exception, url: str | None) -> None:
    """Mark the import failed (resumable) and free its lease; best effort, the original error is raised."""
    reason = ("la base de datos no respondió" if isinstance(exc, db.DatabaseUnavailable)
              else f"error al guardar: {type(exc).__name__}")
    log.warning("import %s failed (%s); importing the file again resumes it", import_id, type(exc).__name__)

    def mark(conn: Connection) -> None:
        conn.execute(_imp.update().where(_imp.c.Id == import_id).values(State=FAILED, ErrorMessage=reason))
        state.release(conn, _lease(file_hash))

    try:
        db.write(mark, url)
    except Exception:  # the database may be the reason; the lease then expires on its own
        log.debug("import %s: could not mark it failed", import_id, exc_info=True)


def _done_json(row: Any, customer: Customer, *, already: bool, inserted: list[dict[str, Any]],
               already_stored: int, parsed: Parsed, attachments: AttachmentsJson) -> ImportJson:
    per_order = Counter(r["ReparacionId"] for r in inserted if r["ReparacionId"] is not None)
    return {"importId": row.Id, "state": row.State, "alreadyImported": already, "fileName": row.FileName,
            "customerId": row.ClienteId, "customerName": customer.name, "shopParticipant": row.ShopParticipant,
            "messagesInFile": row.MessagesInFile, "messagesImported": row.MessagesImported,
            "addedNow": len(inserted), "alreadyStored": already_stored, "duplicatesOfLive": row.DuplicatesOfLive,
            "systemLines": len(parsed.export.messages) - len(parsed.authored),
            "orders": [{"orderId": o, "messages": n} for o, n in sorted(per_order.items())],
            "unlinked": sum(1 for r in inserted if r["ReparacionId"] is None),
            "firstMessageAt": iso(row.FirstMessageAt), "lastMessageAt": iso(row.LastMessageAt),
            "completedAt": iso(row.CompletedAt), "attachments": attachments}


# --- the other order of arrival: ACS delivers a message an import already holds ----------------------

TWIN_CHECK_SECONDS: Final = 30
"""How long a process trusts what it read of the imports' newest message (see :func:`drop_imported_twin`)."""
_horizons: dict[str, tuple[float, datetime | None]] = {}
_horizons_lock = threading.Lock()


def _forget_horizon() -> None:
    with _horizons_lock:
        _horizons.clear()


def _horizon(conn: Connection) -> datetime | None:
    """The newest message time any import holds (``None``: no import yet), re-read every
    ``TWIN_CHECK_SECONDS`` per database, so ingestion pays no query for it in the common case."""
    key = str(conn.engine.url)
    now = time.monotonic()
    with _horizons_lock:
        known = _horizons.get(key)
    if known is not None and now - known[0] < TWIN_CHECK_SECONDS:
        return known[1]
    newest = conn.execute(sa.select(sa.func.max(_imp.c.LastMessageAt))).scalar()
    with _horizons_lock:
        _horizons[key] = (now, newest)
    return newest


def drop_imported_twin(conn: Connection, *, phone_key: str | None, direction: Direction, at: datetime,
                       message_type: str, text: str | None) -> bool:
    """Called by ingestion after storing a live message: an imported message with the same signature
    (same phone, direction, minute, normalized text) is the same message seen first in an export (an
    export taken while Event Grid was still redelivering), so the imported copy goes and the live one,
    which carries WhatsApp's id, stays. Only messages no newer than the newest imported one can have a
    twin; for the others this costs no query (:func:`_horizon`)."""
    horizon = _horizon(conn)
    if phone_key is None or horizon is None or at >= horizon + timedelta(minutes=1):
        return False
    if message_type != "text" and message_type not in _MEDIA_TYPES:
        return False
    sig = signature(direction, at, message_type in _MEDIA_TYPES, text)
    minute = sig[1]
    rows = conn.execute(sa.select(_m.c.Id, _m.c.ImportId, _m.c.MessageType, _m.c.Content, _m.c.MediaCaption,
                                  _m.c.WhatsAppTimestamp)
                        .where(_m.c.PhoneKey == phone_key, _m.c.WhatsAppTimestamp >= minute,
                               _m.c.WhatsAppTimestamp < minute + timedelta(minutes=1),
                               _m.c.Source == schema.IMPORT_SOURCE, _m.c.Direction == direction)
                        .order_by(_m.c.Id)).all()
    for row in rows:
        media = row.MessageType != "text"
        if signature(direction, row.WhatsAppTimestamp, media, row.MediaCaption if media else row.Content) == sig:
            conn.execute(schema.media.delete().where(schema.media.c.MessageId == row.Id))
            conn.execute(_m.delete().where(_m.c.Id == row.Id))
            conn.execute(_imp.update().where(_imp.c.Id == row.ImportId).values(
                MessagesImported=_imp.c.MessagesImported - 1, DuplicatesOfLive=_imp.c.DuplicatesOfLive + 1))
            log.info("imported message %s was also delivered live: kept once, the live one", row.Id)
            return True
    return False
