"""What a media file really is: its type read from its first bytes, and the limits WhatsApp sets per kind.

Why: the type a customer's phone declares (``media.mimeType`` in the event) and the name of a document are
claims; staff open these files in a browser, so the type the app serves must be the one the bytes prove.
Staff media are served with that type, ``X-Content-Type-Options: nosniff`` and, for anything that is not
an image, audio or video we recognised, as an attachment (shared/media.py).

The check is a small table of signatures read from at most :data:`HEAD_BYTES` bytes at the start of the
file: constant work whatever the file's size, no parsing of the content. It recognises the types WhatsApp
lets customers send (Meta's "Supported media types" of the Cloud API): JPEG, PNG, WEBP (stickers), GIF,
MP4/3GPP (video, and AAC audio in an MP4 box), OGG (Opus voice notes), MP3, AMR, AAC (ADTS), PDF, and the
ZIP container of Office documents (docx/xlsx/pptx) and the OLE2 container of the old ones (doc/xls/ppt).

Rules (:func:`verify`): image, audio, video and sticker bytes must be a recognised type of that kind (a
"photo" that is really HTML or a PDF is refused); a declared type of a recognised family must match the
family found (a PDF declared as a Word document is refused). Documents of types nobody can recognise by
their first bytes (plain text, CSV...) are kept as ``application/octet-stream`` and served as a download,
never rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

HEAD_BYTES: Final = 32
"""How many first bytes :func:`sniff` reads."""

MIB: Final = 1024 * 1024

SIZE_LIMITS: Final[dict[str, int]] = {
    # Meta's documented limits for WhatsApp Cloud API media ("MB" taken as MiB, the more lenient reading)
    "image": 5 * MIB,
    "audio": 16 * MIB,
    "video": 16 * MIB,
    "document": 100 * MIB,
    "sticker": 500 * 1024,  # animated stickers 500 KB, static 100 KB
}

OCTET_STREAM: Final = "application/octet-stream"

_OFFICE_ZIP: Final = frozenset({
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/zip",
})
_OFFICE_OLE: Final = frozenset({"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"})

KINDS: Final = frozenset(SIZE_LIMITS)


@dataclass(frozen=True)
class Sniffed:
    """A recognised type: its MIME type and the kinds of WhatsApp media it may be."""

    mime: str
    kinds: frozenset[str]


def _kinds(*names: str) -> frozenset[str]:
    return frozenset(names)


_PREFIXES: Final[tuple[tuple[bytes, Sniffed], ...]] = (
    (b"\xff\xd8\xff", Sniffed("image/jpeg", _kinds("image"))),
    (b"\x89PNG\r\n\x1a\n", Sniffed("image/png", _kinds("image"))),
    (b"GIF87a", Sniffed("image/gif", _kinds("image"))),
    (b"GIF89a", Sniffed("image/gif", _kinds("image"))),
    (b"OggS", Sniffed("audio/ogg", _kinds("audio"))),
    (b"#!AMR", Sniffed("audio/amr", _kinds("audio"))),
    (b"ID3", Sniffed("audio/mpeg", _kinds("audio"))),
    (b"%PDF-", Sniffed("application/pdf", _kinds("document"))),
    (b"PK\x03\x04", Sniffed("application/zip", _kinds("document"))),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", Sniffed("application/x-ole-storage", _kinds("document"))),
)


def sniff(head: bytes) -> Sniffed | None:
    """The type the first bytes prove, or ``None`` when they match no known signature."""
    for prefix, found in _PREFIXES:
        if head.startswith(prefix):
            return found
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image/webp", _kinds("sticker", "image"))
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand.startswith(b"3g"):
            return Sniffed("video/3gpp", _kinds("video", "audio"))
        if brand in (b"M4A ", b"M4B "):
            return Sniffed("audio/mp4", _kinds("audio"))
        return Sniffed("video/mp4", _kinds("video", "audio"))
    if len(head) >= 2 and head[0] == 0xFF:
        if head[1] & 0xE6 == 0xE2:  # an MPEG-1/2 layer III frame sync (an MP3 without an ID3 tag)
            return Sniffed("audio/mpeg", _kinds("audio"))
        if head[1] & 0xF6 == 0xF0:  # an ADTS frame sync, layer 0
            return Sniffed("audio/aac", _kinds("audio"))
    return None


def _family(mime: str) -> str:
    """What a declared type must match: the sniffed MIME type's family."""
    base = mime.split(";", 1)[0].strip().lower()
    if base in _OFFICE_ZIP:
        return "application/zip"
    if base in _OFFICE_OLE:
        return "application/x-ole-storage"
    if base in ("audio/opus",):
        return "audio/ogg"
    if base in ("audio/mp3", "audio/mpeg3", "audio/x-mp3"):
        return "audio/mpeg"
    if base in ("audio/x-m4a", "audio/m4a", "audio/aac-adts", "audio/x-aac"):
        return "audio/mp4" if base != "audio/x-aac" else "audio/aac"
    if base == "image/jpg":
        return "image/jpeg"
    if base == "video/3gp":
        return "video/3gpp"
    return base


_RECOGNISED_FAMILIES: Final = frozenset({
    "image/jpeg", "image/png", "image/gif", "image/webp", "video/3gpp", "video/mp4", "audio/mp4", "audio/ogg",
    "audio/amr", "audio/mpeg", "audio/aac", "application/pdf", "application/zip", "application/x-ole-storage",
})
# Containers that legitimately carry another declared family (an MP4 box holds AAC audio, a 3GPP file AMR)
_COMPATIBLE: Final[dict[str, frozenset[str]]] = {
    "video/mp4": frozenset({"audio/mp4", "audio/aac", "video/3gpp"}),
    "video/3gpp": frozenset({"video/mp4", "audio/amr", "audio/aac", "audio/mp4"}),
    "audio/mp4": frozenset({"audio/aac", "video/mp4"}),
}


class MediaRejected(Exception):
    """The bytes are not acceptable for this kind of media; ``reason`` is Spanish, for staff."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def size_limit(kind: str) -> int:
    return SIZE_LIMITS.get(kind, SIZE_LIMITS["document"])


def verify(kind: str, declared: str | None, head: bytes) -> str:
    """The content type to store and serve for a file of ``kind`` whose type was declared as ``declared``
    and whose first bytes are ``head``; :class:`MediaRejected` when they disagree."""
    found = sniff(head[:HEAD_BYTES])
    declared_family = _family(declared) if declared else None
    if found is None:
        if kind != "document":
            raise MediaRejected("El archivo no es de un tipo reconocible como "
                                f"{_SPANISH_KIND.get(kind, kind)}: no se guardó.")
        if declared_family in _RECOGNISED_FAMILIES:
            raise MediaRejected("El contenido del documento no coincide con el tipo declarado: no se guardó.")
        return OCTET_STREAM
    if kind not in found.kinds:
        raise MediaRejected(f"El contenido no corresponde a {_SPANISH_KIND.get(kind, kind)} "
                            "(el tipo real es otro): no se guardó.")
    if declared_family and declared_family in _RECOGNISED_FAMILIES and declared_family != found.mime \
            and declared_family not in _COMPATIBLE.get(found.mime, frozenset()):
        raise MediaRejected("El contenido no coincide con el tipo declarado: no se guardó.")
    if found.mime in ("application/zip", "application/x-ole-storage"):
        # an Office document: serve the declared (more precise) type; it is downloaded, never rendered
        return declared.split(";", 1)[0].strip().lower() if declared else OCTET_STREAM
    if found.mime == "audio/ogg":
        return "audio/ogg"
    return found.mime


_SPANISH_KIND: Final = {"image": "una imagen", "audio": "un audio", "video": "un video",
                        "sticker": "un sticker", "document": "un documento"}


def inline_viewable(content_type: str) -> bool:
    """Whether the browser may show it in place (images, audio, video); everything else (PDF too: it can carry
    scripts) is served as a download."""
    return content_type.startswith(("image/", "audio/", "video/"))
