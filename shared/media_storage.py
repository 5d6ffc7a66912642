"""Blob Storage and the wake-up queue of media: clients from settings, write-once blobs, read links.

Why a module of its own: every source of media bytes (ACS downloads, staff uploads, the chat-export import
later) stores them the same way, and only this module knows the Azure Storage SDKs (imported where used:
they cost the worker's cold start).

Connection (one for the blob container and the queue, named ``MEDIA_STORAGE`` like the Functions
``connection`` property of the ``download_media`` queue trigger, so the host and this code read the same
settings):

* Azure (identity-based, Flex Consumption): ``MEDIA_STORAGE__blobServiceUri`` and
  ``MEDIA_STORAGE__queueServiceUri`` with ``MEDIA_STORAGE__credential=managedidentity`` and
  ``MEDIA_STORAGE__clientId`` (the user-assigned identity): the form the Functions host documents for
  identity-based Storage connections, so the trigger needs no key either. The storage account has shared
  keys off.
* Locally: ``MEDIA_STORAGE`` is a connection string; ``UseDevelopmentStorage=true`` (the default) is Azurite
  on its standard ports, which ``make run`` starts (tests start their own on free ports).

Write once: a blob is written only if it does not exist (``If-None-Match: *`` on the single put or on the
block-list commit), so a redelivered or concurrent download stores ONE blob; the loser reads the winner's
properties. Large files are staged block by block (2 MiB) with random block ids, so two writers of the same
name never mix blocks: each commits only its own list and the second commit is refused. Memory per write is
one block, whatever the file's size.

Read links: a SAS for one blob, read-only, minutes long. In Azure it is a *user-delegation* SAS (signed with
a key Entra ID issues to the managed identity, which needs ``Storage Blob Delegator`` at account scope to ask
for it; the SAS can never grant more than the identity's own data role). Locally Azurite's well-known
development account key signs it (Azurite's user-delegation keys need its OAuth mode over HTTPS).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from shared import config

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient, ContainerClient
    from azure.storage.queue import QueueClient

# peak allocation per write is about three blocks (bench_media: 4 MiB blocks peaked at 12.3 MiB)
BLOCK_BYTES: Final = 2 * 1024 * 1024
_CLIENT_OPTIONS: Final[dict[str, Any]] = {"connection_timeout": 5, "read_timeout": 60}


def _retry() -> Any:
    """One retry after about a second: the Storage SDK's default (15 s, then 18 s, ... up to 10 retries) held an
    upload 45 s with Storage down; a download's own retries are the row's backoff."""
    from azure.storage.blob import ExponentialRetry

    return ExponentialRetry(initial_backoff=1, increment_base=2, retry_total=1)


class StorageUnavailable(Exception):
    """Blob or queue storage did not answer (network, 5xx, throttling): try again later."""


class TooLarge(Exception):
    """More bytes than the limit arrived; nothing was stored."""


@dataclass(frozen=True)
class StoredBlob:
    name: str
    size: int
    content_type: str
    sha256: str
    created: bool
    """``False`` when the blob already existed (an earlier or concurrent writer stored it)."""


_lock = threading.Lock()
_clients: dict[tuple[str, ...], Any] = {}


def _settings() -> tuple[str, str, str, str]:
    return (config.get("MEDIA_STORAGE__blobServiceUri"), config.get("MEDIA_STORAGE__queueServiceUri"),
            config.get("MEDIA_STORAGE"), config.get("MEDIA_STORAGE__clientId") or config.get("AZURE_CLIENT_ID"))


def identity_based() -> bool:
    return bool(config.get("MEDIA_STORAGE__blobServiceUri"))


def _credential(client_id: str) -> Any:
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(managed_identity_client_id=client_id or None)


def _cached(kind: str, build: Callable[[], Any]) -> Any:
    key = (kind, *_settings())
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = build()
        return client


def blob_service() -> BlobServiceClient:
    def build() -> BlobServiceClient:
        from azure.storage.blob import BlobServiceClient

        blob_uri, _, connection, client_id = _settings()
        if blob_uri:
            return BlobServiceClient(blob_uri, credential=_credential(client_id), retry_policy=_retry(),
                                     **_CLIENT_OPTIONS)
        return BlobServiceClient.from_connection_string(connection, retry_policy=_retry(), **_CLIENT_OPTIONS)
    client: BlobServiceClient = _cached("blob", build)
    return client


def container() -> ContainerClient:
    return blob_service().get_container_client(config.get("MEDIA_CONTAINER"))


def queue() -> QueueClient:
    def build() -> QueueClient:
        from azure.storage.queue import QueueClient, TextBase64EncodePolicy

        _, queue_uri, connection, client_id = _settings()
        name = config.get("MEDIA_QUEUE")
        # base64: the Functions host's queue trigger decodes messages as base64 by default (messageEncoding)
        options: dict[str, Any] = {"retry_total": 0, "connection_timeout": 3, "read_timeout": 10,
                                   "message_encode_policy": TextBase64EncodePolicy()}
        if queue_uri:
            return QueueClient(queue_uri, name, credential=_credential(client_id), **options)
        return QueueClient.from_connection_string(connection, name, **options)
    client: QueueClient = _cached("queue", build)
    return client


def reset_clients() -> None:
    """Forget cached clients (tests change the settings between cases)."""
    with _lock:
        _clients.clear()
        _delegation.clear()


def is_unavailable(exc: Exception) -> bool:
    """Whether a Storage SDK error is transient (network, 408/429/5xx): worth trying again later."""
    from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

    if isinstance(exc, (ServiceRequestError, ServiceResponseError, ConnectionError, TimeoutError)):
        return True
    return isinstance(exc, HttpResponseError) and (exc.status_code or 0) in (408, 429, 500, 502, 503, 504)


def ensure_created() -> None:
    """Create the container and the queue when missing (local development; in Azure the Bicep creates them)."""
    from azure.core.exceptions import ResourceExistsError

    try:
        with contextlib.suppress(ResourceExistsError):
            container().create_container()
        with contextlib.suppress(ResourceExistsError):
            queue().create_queue()
    except Exception as exc:
        if is_unavailable(exc):
            raise StorageUnavailable(type(exc).__name__) from exc
        raise


def _blocks(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """The stream re-cut into pieces of ``size`` bytes (the last may be shorter); holds one piece."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            with memoryview(buffer) as view:
                piece = bytes(view[:size])  # one copy, no intermediate slice
            del buffer[:size]
            yield piece
            del piece
    if buffer:
        yield bytes(buffer)


def write_once(name: str, chunks: Iterable[bytes], *, limit: int, content_type_of: Callable[[bytes], str],
               head_bytes: int = 32, metadata: dict[str, str] | None = None) -> StoredBlob:
    """Store the stream as blob ``name`` unless it exists; the content type comes from ``content_type_of``
    (called with the first ``head_bytes``, may raise to refuse the file). Raises :class:`TooLarge` past
    ``limit`` bytes, :class:`StorageUnavailable` on transient storage faults."""
    from azure.core import MatchConditions
    from azure.core.exceptions import ResourceExistsError, ResourceModifiedError
    from azure.storage.blob import BlobBlock, ContentSettings

    client = container().get_blob_client(name)
    digest = hashlib.sha256()
    size = 0
    content_type: str | None = None
    staged: list[BlobBlock] = []
    first: bytes | None = None
    try:
        for block in _blocks(chunks, BLOCK_BYTES):
            size += len(block)
            if size > limit:
                raise TooLarge(name)
            digest.update(block)
            if content_type is None:
                content_type = content_type_of(block[:head_bytes])
            if first is None:
                first = block  # held until we know whether it is the only block (one request then)
                continue
            if not staged:
                staged.append(_stage(client, first))
                first = b""  # staged: let it go
            staged.append(_stage(client, block))
            del block
        if content_type is None:
            content_type = content_type_of(b"")
        settings = ContentSettings(content_type=content_type)
        meta = {**(metadata or {}), "sha256": digest.hexdigest()}
        if not staged:
            client.upload_blob(first if first is not None else b"", overwrite=False, content_settings=settings,
                               metadata=meta)
        else:
            client.commit_block_list(staged, content_settings=settings, metadata=meta,
                                     match_condition=MatchConditions.IfMissing)
        return StoredBlob(name, size, content_type, digest.hexdigest(), True)
    except (ResourceExistsError, ResourceModifiedError):
        return existing(name)
    except (TooLarge, StorageUnavailable):
        raise
    except Exception as exc:
        if is_unavailable(exc):
            raise StorageUnavailable(type(exc).__name__) from exc
        raise


def _stage(client: Any, data: bytes) -> Any:
    from azure.storage.blob import BlobBlock

    block_id = uuid.uuid4().hex  # random: concurrent writers of one name never share a block id
    client.stage_block(block_id, data)
    return BlobBlock(block_id=block_id)


def existing(name: str) -> StoredBlob:
    """What is stored under ``name`` (another writer got there first)."""
    try:
        props = container().get_blob_client(name).get_blob_properties()
    except Exception as exc:
        if is_unavailable(exc):
            raise StorageUnavailable(type(exc).__name__) from exc
        raise
    return StoredBlob(name, int(props.size), props.content_settings.content_type or "application/octet-stream",
                      (props.metadata or {}).get("sha256", ""), False)


def read_all(name: str, max_bytes: int) -> bytes:
    """The blob's bytes (at most ``max_bytes``; a longer blob is not read). ``LookupError`` when missing."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        downloader = container().get_blob_client(name).download_blob(max_concurrency=1)
        if downloader.size > max_bytes:
            raise TooLarge(name)
        return downloader.readall()
    except ResourceNotFoundError as exc:
        raise LookupError(name) from exc
    except TooLarge:
        raise
    except Exception as exc:
        if is_unavailable(exc):
            raise StorageUnavailable(type(exc).__name__) from exc
        raise


def chunks_of(name: str) -> Iterator[bytes]:
    """The blob's bytes, chunk by chunk (bounded memory)."""
    yield from container().get_blob_client(name).download_blob(max_concurrency=1).chunks()


_delegation: dict[str, tuple[Any, datetime]] = {}


def _user_delegation_key(now: datetime) -> Any:
    """A user-delegation key valid for a day, reused for 12 hours (one Entra round trip, not one per link)."""
    with _lock:
        cached = _delegation.get("key")
        if cached and cached[1] > now:
            return cached[0]
    key = blob_service().get_user_delegation_key(now - timedelta(minutes=5), now + timedelta(days=1))
    with _lock:
        _delegation["key"] = (key, now + timedelta(hours=12))
    return key


def read_link(name: str, minutes: int, *, content_type: str | None = None,
              content_disposition: str | None = None) -> str:
    """A read-only SAS URL of one blob, valid ``minutes`` (user-delegation SAS in Azure)."""
    from azure.storage.blob import BlobSasPermissions, generate_blob_sas

    now = datetime.now(UTC)
    service = blob_service()
    container_name = config.get("MEDIA_CONTAINER")
    common: dict[str, Any] = {
        "account_name": service.account_name, "container_name": container_name, "blob_name": name,
        "permission": BlobSasPermissions(read=True), "expiry": now + timedelta(minutes=minutes),
        "start": now - timedelta(minutes=5),  # clock skew between us and the storage service
        "content_type": content_type, "content_disposition": content_disposition, "protocol": None,
    }
    try:
        if identity_based():
            sas = generate_blob_sas(user_delegation_key=_user_delegation_key(now), **common)
        else:
            sas = generate_blob_sas(account_key=service.credential.account_key, **common)
    except Exception as exc:
        if is_unavailable(exc):
            raise StorageUnavailable(type(exc).__name__) from exc
        raise
    return f"{service.get_blob_client(container_name, name).url}?{sas}"


def send_wakeup(body: str, delay_seconds: int = 0) -> None:
    """Put a wake-up on the media queue (visible after ``delay_seconds``); :class:`StorageUnavailable`."""
    try:
        queue().send_message(body, visibility_timeout=max(0, min(delay_seconds, 7 * 24 * 3600 - 1)) or None)
    except Exception as exc:
        raise StorageUnavailable(type(exc).__name__) from exc
