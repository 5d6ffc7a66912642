"""Media of messages: keep every photo, voice note and document, exactly once, and show it to staff.

Why it is built this way:

* **The database is the source of truth.** Ingest inserts a ``WhatsAppMedia`` row (state ``pending``) in
  the same transaction as the message (:func:`register_inbound`): it costs one insert, happens exactly once
  (a redelivered event never gets past the message's unique key) and cannot be lost, whatever happens to
  the queue afterwards.
* **The queue only wakes a worker.** After the commit, ingest hands the row id to :data:`wakeups`, a
  background sender, so the ingest path never waits for Queue Storage (bench/bench_media.py measures both).
  The queue-triggered ``download_media`` function calls :func:`process`. A wake-up that is lost (the
  process died first, the queue was down) costs a delay, not a file: the ``sweep_media`` timer
  (:func:`sweep`) takes every row that is due, including a backlog after an outage, and processes it.
* **One download at a time per item.** :func:`process` first *claims* the row with a conditional UPDATE
  (pending and due, or a lease that expired) that sets a lease token; only the winner downloads, and every
  later update is conditional on that token. A duplicate wake-up or a second worker finds nothing to claim.
* **One blob whatever happens.** The blob's name derives from the message key (a hash: it cannot collide
  and is the same on every attempt) and is written with ``If-None-Match: *`` (shared/media_storage.py):
  a worker that lost its lease mid-way and a second one store one blob between them.
* **Streamed, checked, bounded.** ``NotificationMessagesClient.download_media`` yields the HTTP body in
  chunks; they are cut into 2 MiB blocks and staged as they come, so a 16 MB video never sits whole in
  memory. The first bytes decide the type (shared/media_sniff.py; a mismatch with the declared type is
  refused) and the byte count is checked against WhatsApp's limit per kind as it grows.
* **Retries until the id expires.** WhatsApp media ids expire (Meta documents 7 days for webhook ids; ACS
  documents none): transient faults (429, 5xx, network, storage down) are retried with exponential backoff
  (``MEDIA_RETRY_BASE_SECONDS``, doubling, at most an hour, with jitter) until ``MEDIA_ID_LIFETIME_DAYS``
  after the message; then, or at once when ACS answers 404, the row is ``expired`` with the reason. Files
  that break the rules are ``failed`` with theirs. Reasons are Spanish: staff read them in the panel.

States: ``pending`` → ``downloading`` (leased) → ``stored`` | ``pending`` (retry later) | ``failed`` |
``expired``. Uploads staff send are stored first and recorded on the sent message as ``stored``
(:func:`register_outgoing`).
"""

from __future__ import annotations

import collections
import hashlib
import json
import random
import re
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import config, db, media_sniff, media_storage, observability, schema
from shared.errors import ApiError
from shared.media_sniff import MediaRejected

log = observability.logger(__name__)

_md = schema.media
_msg = schema.message

KINDS: Final = media_sniff.KINDS
LEASE: Final = timedelta(minutes=6)  # longer than the function timeout (5 min in host.json)
MAX_BACKOFF_SECONDS: Final = 3600
INLINE_MAX_BYTES: Final = 16 * 1024 * 1024
"""Largest file the staff route answers itself; larger ones (documents) are a redirect to a minutes-long
read link (an HTTP-triggered Python function buffers its whole response)."""

PENDING, DOWNLOADING, STORED, FAILED, EXPIRED = "pending", "downloading", "stored", "failed", "expired"


# --- the row: registering media -----------------------------------------------------------

def blob_name_for(message_key: str) -> str:
    """The blob of a message's media: a hash of the message key (unique per message, stable across attempts)."""
    digest = hashlib.sha256(message_key.encode("utf-8")).hexdigest()
    return f"inbound/{digest[:2]}/{digest}"


def register_inbound(conn: Connection, *, message_pk: int, message_key: str, kind: str, media_id: str | None,
                     declared_mime: str | None, file_name: str | None, sent_at: datetime,
                     source: str = "acs") -> int:
    """Insert the ``pending`` row of a received media item, in the caller's transaction; its id."""
    now = db.utcnow()
    expires = sent_at + timedelta(days=config.get_float("MEDIA_ID_LIFETIME_DAYS"))
    row = {"MessageId": message_pk, "Source": source, "Kind": kind, "AcsMediaId": media_id,
           "DeclaredMimeType": _clip(declared_mime, 100), "FileName": _clip(file_name, 255), "State": PENDING,
           "Attempts": 0, "NextAttemptAt": now, "ExpiresAt": max(expires, now), "BlobName": blob_name_for(message_key),
           "CreatedAt": now, "UpdatedAt": now}
    key = conn.execute(_md.insert(), row).inserted_primary_key
    assert key is not None
    return int(key[0])


def _clip(value: str | None, length: int) -> str | None:
    from shared.text import clip  # the UTF-16 cut the columns use

    return None if value is None else clip(value, length)


def register_outgoing(conn: Connection, *, message_pk: int, blob_ref: str, kind: str, content_type: str,
                      size: int, file_name: str | None) -> int | None:
    """Record on a sent message the upload it carried (``stored`` at once), in the sender's transaction.
    ``None`` when it was already recorded."""
    now = db.utcnow()
    row = {"MessageId": message_pk, "Source": "upload", "Kind": kind, "DeclaredMimeType": content_type,
           "FileName": _clip(file_name, 255), "State": STORED, "Attempts": 0, "ExpiresAt": now,
           "BlobName": _valid_ref(blob_ref), "ContentType": content_type, "SizeBytes": size,
           "Sha256": blob_ref.rsplit("/", 1)[-1], "CreatedAt": now, "UpdatedAt": now, "StoredAt": now}
    try:
        with conn.begin_nested():
            key = conn.execute(_md.insert(), row).inserted_primary_key
    except sa.exc.IntegrityError:
        return None
    return int(key[0]) if key else None


# --- wake-ups: best effort, off the ingest path ----------------------------------------------

class Wakeups:
    """Sends wake-ups from a background thread, so ingest never waits for the queue.

    Bounded: past ``capacity`` waiting ids the oldest are dropped (the sweeper finds them). A send that fails
    drops that id too, for the same reason; the failure is logged once per outage.
    """

    def __init__(self, send: Callable[[str, int], None], capacity: int = 10_000) -> None:
        self._send = send
        self._items: collections.deque[tuple[int, int]] = collections.deque(maxlen=capacity)
        self._ready = threading.Condition()
        self._busy = 0
        self._thread: threading.Thread | None = None
        self._down = False
        self.sent = 0
        self.dropped = 0

    def notify(self, media_pk: int, delay_seconds: int = 0) -> None:
        with self._ready:
            if len(self._items) == self._items.maxlen:
                self.dropped += 1
            self._items.append((media_pk, delay_seconds))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="media-wakeups", daemon=True)
                self._thread.start()
            self._ready.notify()

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._items:
                    self._ready.wait()
                media_pk, delay = self._items.popleft()
                self._busy += 1
            try:
                self._send(json.dumps({"mediaId": media_pk}), delay)
                self.sent += 1
                self._down = False
            except Exception as exc:
                self.dropped += 1
                if not self._down:
                    log.warning("media wake-up not sent (%s); the sweeper will take the item", type(exc).__name__)
                self._down = True
            finally:
                with self._ready:
                    self._busy -= 1
                    self._ready.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every waiting id was sent or dropped (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        with self._ready:
            while self._items or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._ready.wait(left)
        return True


wakeups = Wakeups(media_storage.send_wakeup)


def parse_wakeup(body: str) -> int | None:
    """The media row id of a queue message, ``None`` for anything else (acknowledged and ignored)."""
    try:
        value = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    media_pk = value.get("mediaId") if isinstance(value, dict) else None
    return media_pk if isinstance(media_pk, int) and not isinstance(media_pk, bool) and media_pk > 0 else None


# --- processing one item ---------------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    id: int
    token: str
    kind: str
    media_id: str | None
    declared: str | None
    blob_name: str
    attempts: int
    expires_at: datetime


def _claim(media_pk: int, now: datetime, source: str = "acs") -> Callable[[Connection], Claim | None]:
    def run(conn: Connection) -> Claim | None:
        token = uuid.uuid4().hex
        due = sa.or_(sa.and_(_md.c.State == PENDING, sa.or_(_md.c.NextAttemptAt.is_(None), _md.c.NextAttemptAt <= now)),
                     sa.and_(_md.c.State == DOWNLOADING, _md.c.LeaseUntil < now))
        claimed = conn.execute(_md.update().where(_md.c.Id == media_pk, _md.c.Source == source, due).values(
            State=DOWNLOADING, LeaseToken=token, LeaseUntil=now + LEASE, Attempts=_md.c.Attempts + 1,
            UpdatedAt=now)).rowcount
        if not claimed:
            return None
        row = conn.execute(sa.select(_md).where(_md.c.Id == media_pk)).one()
        return Claim(row.Id, token, row.Kind, row.AcsMediaId, row.DeclaredMimeType, row.BlobName, row.Attempts,
                     row.ExpiresAt)
    return run


def _finish(claim: Claim, **values: Any) -> Callable[[Connection], bool]:
    def run(conn: Connection) -> bool:
        values.setdefault("UpdatedAt", db.utcnow())
        return bool(conn.execute(_md.update().where(_md.c.Id == claim.id, _md.c.LeaseToken == claim.token,
                                                    _md.c.State == DOWNLOADING)
                                 .values(LeaseToken=None, LeaseUntil=None, **values)).rowcount)
    return run


def acs_client() -> Any:
    """The ACS messages client: the one :mod:`shared.acs_client` builds for sends (managed identity with
    ``ACS_ENDPOINT``, else ``ACS_CONNECTION_STRING`` with ``ACS_CA_BUNDLE`` for the local fake), so there is one
    way to reach ACS. It makes one attempt per call (``retry_total=0``): this module's backoff retries.
    ``LookupError`` when neither is set."""
    from shared import acs_client as acs

    try:
        return acs.clients().messages
    except acs.NotConfigured:
        raise LookupError("ACS_ENDPOINT / ACS_CONNECTION_STRING") from None


def _size_text(limit: int) -> str:
    return f"{limit // 1024} KB" if limit < media_sniff.MIB else f"{limit // media_sniff.MIB} MB"


_KIND_ES: Final = {"image": "imágenes", "audio": "audios", "video": "videos", "document": "documentos",
                   "sticker": "stickers"}


def process(media_pk: int, *, client: Any = None, now: datetime | None = None) -> str:
    """Download one media item if it is due and nobody else holds it; the outcome:
    ``stored`` / ``retry`` / ``failed`` / ``expired`` / ``skipped`` (not due, done, or held by another).
    Raises :class:`shared.db.DatabaseUnavailable` (the queue redelivers)."""
    now = now or db.utcnow()
    claim = db.write(_claim(media_pk, now))
    if claim is None:
        return "skipped"
    if claim.attempts > 1:  # an earlier attempt may have stored the blob and lost its database update
        try:
            found = media_storage.existing(claim.blob_name)
        except LookupError:
            found = None
        except Exception:
            found = None  # storage down or blob missing: the download below tells which
        if found is not None:
            return _stored(claim, found)
    if not claim.media_id:
        return _end(claim, FAILED, "El mensaje no trae el identificador del archivo: no hay nada que descargar.")
    limit = media_sniff.size_limit(claim.kind)
    try:
        acs = client or acs_client()
        stored = _write_checked(claim, acs.download_media(claim.media_id), limit)
    except MediaRejected as exc:
        return _end(claim, FAILED, exc.reason)
    except media_storage.TooLarge:
        kind = _KIND_ES.get(claim.kind, "archivos")
        return _end(claim, FAILED, f"El archivo supera el límite de WhatsApp para {kind} ({_size_text(limit)}): "
                                   "no se guardó.")
    except Exception as exc:
        return _after_error(claim, exc, now)
    return _stored(claim, stored)


def _write_checked(claim: Claim, chunks: Iterable[bytes], limit: int) -> media_storage.StoredBlob:
    """The item's bytes into its write-once blob, the declared type checked against the first bytes and the
    size against ``limit`` on the way (:class:`MediaRejected`, :class:`shared.media_storage.TooLarge`)."""
    return media_storage.write_once(
        claim.blob_name, chunks, limit=limit,
        content_type_of=lambda head: media_sniff.verify(claim.kind, claim.declared, head),
        metadata={"kind": claim.kind})


def _stored(claim: Claim, blob: media_storage.StoredBlob) -> str:
    done = db.write(_finish(claim, State=STORED, Reason=None, NextAttemptAt=None, ContentType=blob.content_type,
                            SizeBytes=blob.size, Sha256=blob.sha256 or None, StoredAt=db.utcnow()))
    log.info("media %s: stored (%s bytes%s)", claim.id, blob.size, "" if blob.created else ", already there")
    return "stored" if done else "skipped"


def _end(claim: Claim, state: str, reason: str) -> str:
    db.write(_finish(claim, State=state, Reason=reason[:500], NextAttemptAt=None))
    log.info("media %s: %s", claim.id, state)
    return state


def _status_of(exc: Exception) -> int | None:
    from azure.core.exceptions import HttpResponseError

    return exc.status_code if isinstance(exc, HttpResponseError) else None


def _after_error(claim: Claim, exc: Exception, now: datetime) -> str:
    status = _status_of(exc)
    if status == 404:
        return _end(claim, EXPIRED, "WhatsApp ya no tiene el archivo (el enlace del archivo venció antes de "
                                    "poder descargarlo).")
    if status is not None and 400 <= status < 500 and status not in (401, 403, 408, 429):
        return _end(claim, FAILED, f"ACS rechazó la descarga del archivo (HTTP {status}).")
    what = (f"HTTP {status}" if status else
            "almacenamiento no disponible" if isinstance(exc, media_storage.StorageUnavailable) else
            "ACS no está configurado" if isinstance(exc, LookupError) else type(exc).__name__)
    delay = min(config.get_float("MEDIA_RETRY_BASE_SECONDS") * 2 ** (claim.attempts - 1), MAX_BACKOFF_SECONDS)
    delay *= random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security
    next_at = now + timedelta(seconds=delay)
    if next_at >= claim.expires_at:
        return _end(claim, EXPIRED, f"No se pudo descargar antes de que venciera el enlace de WhatsApp "
                                    f"({claim.attempts} intentos; último error: {what}).")
    db.write(_finish(claim, State=PENDING, Reason=f"Reintentando la descarga (intento {claim.attempts}: {what}).",
                     NextAttemptAt=next_at))
    log.warning("media %s: attempt %s failed (%s); retry in %.0f s", claim.id, claim.attempts, what, delay)
    wakeups.notify(claim.id, int(delay) + 1)
    return "retry"


def store_bytes(media_pk: int, chunks: Iterable[bytes], *, source: str) -> str:
    """Store the bytes of a registered item that did not come from ACS (a chat export's attachment, demo data),
    with the same checks, the same write-once blob and the same row update as a download: ``stored``,
    ``failed`` (with the reason) or ``skipped`` (already done, or held by another worker).
    :class:`shared.media_storage.StorageUnavailable` leaves the row pending for another try."""
    claim = db.write(_claim(media_pk, db.utcnow(), source))
    if claim is None:
        return "skipped"
    limit = media_sniff.size_limit(claim.kind)
    try:
        stored = _write_checked(claim, chunks, limit)
    except MediaRejected as exc:
        return _end(claim, FAILED, exc.reason)
    except media_storage.TooLarge:
        return _end(claim, FAILED, f"El archivo supera el límite de WhatsApp ({_size_text(limit)}): no se guardó.")
    except Exception:
        db.write(_finish(claim, State=PENDING, NextAttemptAt=db.utcnow()))
        raise
    return _stored(claim, stored)


# --- the sweeper --------------------------------------------------------------------------------

def _due(now: datetime, limit: int) -> Callable[[Connection], list[int]]:
    def run(conn: Connection) -> list[int]:
        due = sa.or_(sa.and_(_md.c.State == PENDING, _md.c.NextAttemptAt <= now),
                     sa.and_(_md.c.State == DOWNLOADING, _md.c.LeaseUntil < now))
        return [int(r.Id) for r in conn.execute(sa.select(_md.c.Id).where(due, _md.c.Source == "acs")
                                                .order_by(_md.c.NextAttemptAt).limit(limit))]
    return run


def sweep(*, budget_seconds: float = 240.0, client: Any = None, concurrency: int | None = None,
          batch: int = 200) -> dict[str, int]:
    """Process every due item (lost wake-ups, retries, a backlog after an outage) for up to
    ``budget_seconds``, ``MEDIA_SWEEP_CONCURRENCY`` at a time; counts per outcome."""
    deadline = time.monotonic() + budget_seconds
    counts: collections.Counter[str] = collections.Counter()
    workers = concurrency or config.get_int("MEDIA_SWEEP_CONCURRENCY")
    seen: set[int] = set()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="media-sweep") as pool:
        while time.monotonic() < deadline:
            ids = [i for i in db.read(_due(db.utcnow(), batch)) if i not in seen]
            if not ids:
                break
            seen.update(ids)
            for outcome in pool.map(lambda i: _safe_process(i, client), ids):
                counts[outcome] += 1
    if counts:
        log.info("media sweep: %s", dict(counts))
    return dict(counts)


def _safe_process(media_pk: int, client: Any) -> str:
    try:
        return process(media_pk, client=client)
    except db.DatabaseUnavailable:
        return "database_unavailable"


# --- reading: the listing, staff downloads, links ----------------------------------------------

class MediaNotFound(ApiError):
    status = 404
    type = "/problems/media-not-found"
    title = "Media not found"

    def __init__(self) -> None:
        super().__init__("No existe ese archivo. Actualizá la conversación.")


class MediaNotReady(ApiError):
    status = 409
    type = "/problems/media-not-ready"
    title = "Media not downloaded yet"

    def __init__(self) -> None:
        super().__init__("El archivo todavía se está descargando de WhatsApp. Probá de nuevo en unos minutos.")


class MediaGone(ApiError):
    status = 410
    type = "/problems/media-gone"
    title = "Media could not be kept"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)


class StorageDown(ApiError):
    status = 503
    type = "/problems/storage-unavailable"
    title = "Storage unavailable"

    def __init__(self) -> None:
        super().__init__("El almacenamiento de archivos no responde en este momento. Probá de nuevo en un minuto.")
        self.retry_after = 30


class MediaUnsupported(ApiError):
    status = 415
    type = "/problems/media-unsupported"
    title = "Unsupported media"


class MediaTooLarge(ApiError):
    status = 413
    type = "/problems/media-too-large"
    title = "Media too large"


def media_url(media_pk: int) -> str:
    """Where staff fetch a media item (same sign-in as the rest of the API)."""
    return f"/api/whatsapp/media/{media_pk}"


def dto_fields(row: Any) -> dict[str, Any]:
    """What the message listing adds to ``media`` (columns ``MediaRowId``, ``MediaState``, ``MediaReason``,
    ``MediaContentType``, ``MediaSize``)."""
    if row.MediaRowId is None:
        return {}
    stored = row.MediaState == STORED
    return {"id": row.MediaRowId, "state": row.MediaState, "reason": None if stored else row.MediaReason,
            "contentType": row.MediaContentType if stored else None, "size": row.MediaSize if stored else None,
            "url": media_url(row.MediaRowId) if stored else None}


LISTING_COLUMNS: Final = (_md.c.Id.label("MediaRowId"), _md.c.State.label("MediaState"),
                          _md.c.Reason.label("MediaReason"), _md.c.ContentType.label("MediaContentType"),
                          _md.c.SizeBytes.label("MediaSize"))


@dataclass(frozen=True)
class Download:
    """What the staff route answers: the bytes, or a redirect to a short-lived link for a large file."""

    body: bytes | None
    redirect: str | None
    headers: dict[str, str]


_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
_EXTENSIONS: Final = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
                      "video/mp4": ".mp4", "video/3gpp": ".3gp", "audio/ogg": ".ogg", "audio/mpeg": ".mp3",
                      "audio/amr": ".amr", "audio/aac": ".aac", "audio/mp4": ".m4a", "application/pdf": ".pdf",
                      "application/msword": ".doc", "application/vnd.ms-excel": ".xls",
                      "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx"}


def extension(content_type: str) -> str:
    """The usual file extension of a content type (``.pdf``), empty when unknown."""
    return _EXTENSIONS.get(content_type, "")


def safe_filename(name: str | None, content_type: str, media_pk: int) -> str:
    """An ASCII file name safe in a header (no quotes, separators or control characters), bounded."""
    base = (name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    ascii_name = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    cleaned = _UNSAFE.sub("_", ascii_name).strip(" ._")[:100]
    return cleaned or f"whatsapp-{media_pk}{_EXTENSIONS.get(content_type, '')}"


def content_disposition(name: str | None, content_type: str, media_pk: int) -> str:
    disposition = "inline" if media_sniff.inline_viewable(content_type) else "attachment"
    fallback = safe_filename(name, content_type, media_pk)
    header = f'{disposition}; filename="{fallback}"'
    if name and name.strip():
        original = "".join(ch for ch in name.rsplit("/", 1)[-1] if ch.isprintable())[:150]
        if original and original != fallback:
            header += f"; filename*=UTF-8''{quote(original, safe='')}"
    return header


def fetch_for_staff(media_pk: int) -> Download:
    """``GET /api/whatsapp/media/{mediaId}``: the stored file with safe headers."""
    row = db.read(lambda conn: conn.execute(sa.select(_md).where(_md.c.Id == media_pk)).first())
    if row is None:
        raise MediaNotFound()
    if row.State in (PENDING, DOWNLOADING):
        raise MediaNotReady()
    if row.State != STORED:
        raise MediaGone(row.Reason or "El archivo no se pudo guardar.")
    content_type = row.ContentType or media_sniff.OCTET_STREAM
    headers = {"Content-Type": content_type,
               "Content-Disposition": content_disposition(row.FileName, content_type, row.Id),
               "X-Content-Type-Options": "nosniff",
               "Content-Security-Policy": "default-src 'none'; sandbox",
               # never changes for an id; private: no shared cache keeps customer files
               "Cache-Control": "private, max-age=86400, immutable"}
    if row.Sha256:
        headers["ETag"] = f'"{row.Sha256}"'
    try:
        if (row.SizeBytes or 0) > INLINE_MAX_BYTES:
            link = media_storage.read_link(row.BlobName, 5, content_type=content_type,
                                           content_disposition=headers["Content-Disposition"])
            return Download(None, link, {"Cache-Control": "no-store"})
        return Download(media_storage.read_all(row.BlobName, INLINE_MAX_BYTES), None, headers)
    except media_storage.StorageUnavailable as exc:
        raise StorageDown() from exc
    except LookupError as exc:
        raise MediaGone("El archivo ya no está en el almacenamiento.") from exc


# --- outgoing media: staff uploads, and the link ACS fetches ----------------------------------

OUTGOING_TYPES: Final = {
    "image/jpeg": "image", "image/png": "image", "application/pdf": "document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "document",
    "application/msword": "document", "application/vnd.ms-excel": "document",
}
_REF = re.compile(r"outgoing/[0-9a-f]{64}")


def upload(chunks: Iterable[bytes], declared: str | None, file_name: str | None) -> dict[str, Any]:
    """``POST /api/whatsapp/media``: store a file staff will send (content-addressed: the same file twice is one
    blob); what the composer passes on to the send request."""
    base = (declared or "").split(";", 1)[0].strip().lower()
    kind = OUTGOING_TYPES.get(base)
    if kind is None:
        raise MediaUnsupported("Solo se pueden enviar fotos (JPG o PNG) y documentos (PDF, Word o Excel).")
    data = b"".join(chunks)  # the HTTP body is already whole in memory
    limit = media_sniff.size_limit(kind)
    if len(data) > limit:
        raise MediaTooLarge(f"El archivo supera el límite de WhatsApp para {_KIND_ES[kind]} ({_size_text(limit)}).")
    try:
        content_type = media_sniff.verify(kind, base, data[:media_sniff.HEAD_BYTES])
    except MediaRejected as exc:
        raise MediaUnsupported(exc.reason) from exc
    if content_type == media_sniff.OCTET_STREAM:
        raise MediaUnsupported("No pudimos reconocer el contenido del archivo: no se guardó.")
    ref = f"outgoing/{hashlib.sha256(data).hexdigest()}"
    try:
        stored = media_storage.write_once(ref, [data], limit=limit, content_type_of=lambda _head: content_type,
                                          metadata={"kind": kind})
    except media_storage.StorageUnavailable as exc:
        raise StorageDown() from exc
    name = safe_filename(file_name, content_type, 0) if file_name else None
    return {"blobRef": ref, "kind": kind, "contentType": stored.content_type, "size": stored.size, "fileName": name}


def _valid_ref(blob_ref: str) -> str:
    if not _REF.fullmatch(blob_ref):
        raise ValueError("not a blob reference of an upload")
    return blob_ref


def is_upload_ref(blob_ref: str) -> bool:
    """Whether ``blob_ref`` has the form :func:`upload` answers (``outgoing/<sha-256>``)."""
    return bool(_REF.fullmatch(blob_ref))


@dataclass(frozen=True)
class Upload:
    """An uploaded file as storage describes it (never as the client says)."""

    blob_ref: str
    kind: str | None
    """``image`` / ``document``; ``None`` when the stored type is not one WhatsApp can carry from us."""
    content_type: str
    size: int


def describe_upload(blob_ref: str) -> Upload:
    """What is stored under an upload's ref: its kind from the blob's stored content type (and the ``kind``
    metadata :func:`upload` wrote, which must agree). ``LookupError`` when there is no such blob;
    :class:`shared.media_storage.StorageUnavailable` when storage does not answer."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        props = media_storage.container().get_blob_client(_valid_ref(blob_ref)).get_blob_properties()
    except ResourceNotFoundError as exc:
        raise LookupError(blob_ref) from exc
    except Exception as exc:
        if media_storage.is_unavailable(exc):
            raise media_storage.StorageUnavailable(type(exc).__name__) from exc
        raise
    content_type = (props.content_settings.content_type or "").split(";", 1)[0].strip().lower()
    kind = OUTGOING_TYPES.get(content_type)
    if kind is not None and (props.metadata or {}).get("kind") != kind:
        kind = None  # not written by upload(): its checks did not run
    if kind is not None and int(props.size) > media_sniff.size_limit(kind):
        kind = None
    return Upload(blob_ref, kind, content_type, int(props.size))


def media_link_for_send(blob_ref: str) -> str:
    """A read-only link to an uploaded file that ACS (and WhatsApp behind it) can fetch, valid
    ``MEDIA_LINK_MINUTES``. Call it for each send attempt. :class:`shared.media_storage.StorageUnavailable`."""
    return media_storage.read_link(_valid_ref(blob_ref), config.get_int("MEDIA_LINK_MINUTES"))


def fresh_send_link(blob_ref: str) -> str:
    """The link of one send attempt, after asking storage for the blob: a link is signed locally with the
    account key (no round trip), so without this question storage being down would show up only as ACS
    failing to fetch the file after accepting the send. :class:`shared.media_storage.StorageUnavailable`
    (try again later; nothing reached ACS), ``LookupError`` (the upload is gone)."""
    describe_upload(blob_ref)
    return media_link_for_send(blob_ref)


# --- the agent's view ---------------------------------------------------------------------------

def order_media(order_id: int, limit: int = 50) -> dict[str, Any]:
    """The media of an order's conversation, newest first, each with a short-lived link when stored."""
    from shared import orders
    from shared.errors import InvalidParameter, OrderNotFound
    from shared.text import iso

    if not isinstance(order_id, int) or isinstance(order_id, bool) or not 1 <= order_id < 2**31:
        raise InvalidParameter("orderId", "orderId debe ser un número de ticket entero positivo.")

    def read(conn: Connection) -> list[Any]:
        if not orders.exists(conn, order_id):
            raise OrderNotFound(order_id)
        query = (sa.select(_md.c.Id, _md.c.Kind, _md.c.State, _md.c.Reason, _md.c.ContentType, _md.c.SizeBytes,
                           _md.c.FileName, _md.c.BlobName, _msg.c.MediaCaption, _msg.c.Direction,
                           _msg.c.WhatsAppTimestamp)
                 .select_from(_md.join(_msg, _msg.c.Id == _md.c.MessageId))
                 .where(_msg.c.ReparacionId == order_id)
                 .order_by(_msg.c.WhatsAppTimestamp.desc(), _md.c.Id.desc()).limit(limit))
        return list(conn.execute(query))

    rows = db.read(read)
    minutes = config.get_int("MEDIA_LINK_MINUTES")
    items = []
    for row in rows:
        item: dict[str, Any] = {"id": row.Id, "type": row.Kind, "at": iso(row.WhatsAppTimestamp),
                                "from": "cliente" if row.Direction == "inbound" else "taller",
                                "caption": row.MediaCaption, "fileName": row.FileName, "state": row.State}
        if row.State == STORED:
            item.update(contentType=row.ContentType, size=row.SizeBytes)
            try:
                item["link"] = media_storage.read_link(
                    row.BlobName, minutes, content_type=row.ContentType,
                    content_disposition=content_disposition(row.FileName, row.ContentType or "", row.Id))
                item["linkExpiresInMinutes"] = minutes
            except media_storage.StorageUnavailable:
                item["linkError"] = "El almacenamiento no responde; probá de nuevo en un minuto."
        else:
            item["reason"] = row.Reason
        items.append({k: v for k, v in item.items() if v is not None})
    return {"orderId": order_id, "media": items}
