"""Reading WhatsApp "Exportar chat" files (es-AR), so history from before go-live can be imported.

No WhatsApp API returns history; the only record of years of conversations is the export a phone
writes: a ``.txt`` (or a ``.zip`` with the ``.txt`` and the media). Its format is not specified
anywhere and changes with the platform and the phone's clock setting, and the existing parsers get
it wrong in ways that matter here (Spanish "p. m." dropped, so 14:05 becomes 02:05; lines merged;
month-first guessed). So this module reads it itself, strictly:

* Every variant the shop's phones write: Android ``12/3/24, 14:05 - Juan: hola`` and its newer
  12-hour form ``12/3/24, 2:05 p. m. - …`` (U+202F before ``p.``, U+00A0 inside ``p. m.``); iOS
  ``[12/3/24, 14:05:33] Juan: …`` and ``[12/3/24, 2:05:33 p. m.] …`` with the invisible marks
  (U+200E and friends) it puts before lines, attachments and phone numbers.
* Dates are day-first, always. A file whose dates only make sense month-first (a US phone) is
  refused, never re-read another way: a wrong guess would file messages under the wrong day.
* The file carries no time zone: it is read as Buenos Aires wall-clock time and converted to UTC.
* The first line fixes the variant (bracketed or not, 12 or 24 hours, seconds or not). A later
  line that looks like a header of a *different* variant is text someone pasted into a message,
  so it stays a continuation line instead of splitting the message.
* Nothing is dropped silently: every line of the file belongs to exactly one record
  (``ChatMessage.line`` .. ``line + lines - 1``), and anything that is not an export, or is too
  large, is refused whole with a Spanish error that names a line number but never its content.

Time is linear in the input: each line is looked at a bounded number of times, and the only regular
expression runs on a prefix of at most ``_STAMP_MAX`` characters. Memory is bounded by the size caps.
This module is pure and stdlib-only (``zipfile`` for ``.zip`` exports; media are listed, never
extracted here).

Known ambiguity of the format itself: the author is what precedes the first ``": "`` after the
time, so a system line (no author) whose text contains ``": "`` is read as authored.
"""

from __future__ import annotations

import re
import stat
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from zoneinfo import ZoneInfo

TIME_ZONE = "America/Argentina/Buenos_Aires"

MAX_MESSAGES = 40_000
"""Most messages with an author one export may hold (WhatsApp itself stops at about 40,000);
system lines are not counted, the byte cap bounds them."""
MAX_TEXT_BYTES = 32 * 1024 * 1024
"""Largest chat ``.txt`` accepted (a real 40,000-message export is a few MB)."""
MAX_ZIP_MEMBERS = 20_000
"""Most files in a ``.zip`` export (WhatsApp attaches media to at most 10,000 messages)."""
MAX_ZIP_BYTES = 16 * 1024 * 1024 * 1024
"""Largest total uncompressed size declared by a ``.zip`` export's members."""
MAX_TEXT_RATIO = 200
"""Largest compression ratio accepted for the chat ``.txt`` inside a ``.zip`` (text compresses ~5-15×)."""

_STAMP_MAX = 40  # longest "date, time" stamp: "[31/12/2024, 12:59:59 p. m.]" is 28 characters
_BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
_SPACES = " \u00a0\u202f"
_STAMP = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2}),?[ \u00a0\u202f](\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"([ \u00a0\u202f]?([aApP])\.?[ \u00a0\u202f]?[mM]\.?)?"
)


class ChatExportError(ValueError):
    """The file is not a WhatsApp export this module accepts; ``str(error)`` is for staff (Spanish),
    ``line`` the 1-based line at fault when there is one. Never carries message content."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class Platform(StrEnum):
    ANDROID = "android"  # 12/3/24, 14:05 - Juan: hola
    IOS = "ios"  # [12/3/24, 14:05:33] Juan: hola


class Meridiem(StrEnum):
    """How a 12-hour export writes "p. m." (rendering only; parsing accepts all of them)."""

    NARROW = "\u202fp.\u00a0m."  # newer Android and iOS
    SPACED = " p. m."
    COMPACT = " p.m."


@dataclass(frozen=True, slots=True)
class Variant:
    platform: Platform
    twelve_hour: bool
    four_digit_year: bool = False
    meridiem: Meridiem = Meridiem.NARROW
    seconds: bool | None = None  # None: the platform's usual (iOS yes, Android no)

    def __post_init__(self) -> None:
        if self.seconds is None:
            object.__setattr__(self, "seconds", self.platform is Platform.IOS)

    @property
    def with_seconds(self) -> bool:
        return bool(self.seconds)


class AttachmentKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    STICKER = "sticker"
    GIF = "gif"
    DOCUMENT = "document"
    CONTACT = "contact"
    MEDIA = "media"  # Android's "<Multimedia omitido>" does not say which


@dataclass(frozen=True, slots=True)
class Attachment:
    kind: AttachmentKind
    file_name: str | None  # the member of the .zip (with media) or the document's title (iOS, omitted)
    omitted: bool  # exported without media: the file is not in the export


@dataclass(frozen=True, slots=True)
class ChatMessage:
    line: int  # 1-based line of the header in the file
    lines: int  # how many lines of the file the record spans (header + continuation lines)
    local: datetime  # naive, as written: Buenos Aires wall-clock time
    utc: datetime  # aware, UTC
    author: str | None  # None: a system line ("Los mensajes y las llamadas están cifrados…")
    text: str  # continuation lines joined with "\n"; for an attachment, what follows its marker line
    attachment: Attachment | None = None


@dataclass(frozen=True, slots=True)
class ChatExport:
    variant: Variant
    messages: tuple[ChatMessage, ...]


@dataclass(frozen=True, slots=True)
class MediaMember:
    name: str
    size: int  # uncompressed, as declared by the archive
    compressed_size: int


@dataclass(frozen=True, slots=True)
class ZipExport:
    chat_name: str
    export: ChatExport
    media: tuple[MediaMember, ...]


# --- attachments ---------------------------------------------------------------------------------

_ANDROID_OMITTED = "<Multimedia omitido>"
_ANDROID_ATTACHED = " (archivo adjunto)"
_IOS_ATTACHED = "<adjunto: "
_OMITTED_WORDS: dict[str, AttachmentKind] = {
    "imagen omitida": AttachmentKind.IMAGE,
    "video omitido": AttachmentKind.VIDEO,
    "audio omitido": AttachmentKind.AUDIO,
    "sticker omitido": AttachmentKind.STICKER,
    "GIF omitido": AttachmentKind.GIF,
    "documento omitido": AttachmentKind.DOCUMENT,
    "Tarjeta de contacto omitida": AttachmentKind.CONTACT,
}
_WORD_OF_KIND = {kind: word for word, kind in _OMITTED_WORDS.items()}
_NAME_PREFIXES = {  # Android IMG-20240312-WA0003.jpg; iOS 00000003-PHOTO-2024-03-12-14-05-33.jpg
    "IMG": AttachmentKind.IMAGE, "PHOTO": AttachmentKind.IMAGE, "VID": AttachmentKind.VIDEO,
    "VIDEO": AttachmentKind.VIDEO, "PTT": AttachmentKind.AUDIO, "AUD": AttachmentKind.AUDIO,
    "AUDIO": AttachmentKind.AUDIO, "STK": AttachmentKind.STICKER, "STICKER": AttachmentKind.STICKER,
    "GIF": AttachmentKind.GIF, "DOC": AttachmentKind.DOCUMENT, "CONTACT": AttachmentKind.CONTACT,
}
_EXTENSIONS = {
    **dict.fromkeys(("jpg", "jpeg", "png", "heic", "bmp"), AttachmentKind.IMAGE),
    **dict.fromkeys(("mp4", "3gp", "mov", "avi", "mkv"), AttachmentKind.VIDEO),
    **dict.fromkeys(("opus", "ogg", "m4a", "mp3", "aac", "amr", "wav"), AttachmentKind.AUDIO),
    "webp": AttachmentKind.STICKER, "vcf": AttachmentKind.CONTACT,
}


def kind_of(file_name: str) -> AttachmentKind:
    """What an exported media file holds, from the name WhatsApp gives it."""
    parts = file_name.split("-", 2)
    for part in parts[:2]:  # iOS puts a sequence number first
        kind = _NAME_PREFIXES.get(part.upper())
        if kind is not None:
            return kind
    _, dot, extension = file_name.rpartition(".")
    return _EXTENSIONS.get(extension.lower(), AttachmentKind.DOCUMENT) if dot else AttachmentKind.DOCUMENT


def _file_name(name: str) -> bool:
    """What WhatsApp names an attached file: one path component with an extension."""
    return "." in name.strip(".") and "/" not in name and "\\" not in name


def _attachment(first: str) -> Attachment | None:
    """The attachment a message's first line stands for, if it is one of the four forms."""
    bare = first.strip(_BIDI)
    if bare == _ANDROID_OMITTED:
        return Attachment(AttachmentKind.MEDIA, None, omitted=True)
    kind = _OMITTED_WORDS.get(bare)
    if kind is not None:
        return Attachment(kind, None, omitted=True)
    # iOS marks what it wrote itself with U+200E (or a "title • pages" prefix); a customer typing
    # "te paso el documento omitido" is text
    if bare.endswith("documento omitido"):
        prefix = bare[: -len("documento omitido")]
        if prefix.endswith("\u200e") or (prefix.endswith(" ") and " • " in prefix):
            title = prefix.split(" • ", 1)[0].strip(_BIDI + _SPACES)
            if title:
                return Attachment(AttachmentKind.DOCUMENT, title, omitted=True)
    if bare.endswith(">"):
        start = bare.find(_IOS_ATTACHED)
        if start == 0 or (start > 0 and (bare[start - 1] == "\u200e" or " • " in bare[:start])):
            name = bare[start + len(_IOS_ATTACHED): -1].strip(_BIDI + _SPACES)
            if _file_name(name):
                return Attachment(kind_of(name), name, omitted=False)
    if bare.endswith(_ANDROID_ATTACHED):
        name = bare[: -len(_ANDROID_ATTACHED)].strip(_BIDI + _SPACES)
        if _file_name(name):
            return Attachment(kind_of(name), name, omitted=False)
    return None


# --- parsing -------------------------------------------------------------------------------------

_NOT_AN_EXPORT = ("El archivo no parece una exportación de chat de WhatsApp («Exportar chat»): {why}. "
                  "Revisá que sea el .txt (o el .zip) que genera WhatsApp.")
_MONTH_FIRST = ("Las fechas del archivo están en formato mes/día (línea {line}), como las de un teléfono "
                "configurado en inglés de EE. UU.; solo se aceptan fechas día/mes. Volvé a exportar el chat "
                "desde un teléfono en español (Argentina).")


_STYLES = {style.value: style for style in Meridiem}


@dataclass(frozen=True, slots=True)
class _Stamp:
    platform: Platform
    twelve_hour: bool
    seconds: bool
    day: int
    month: int
    year: int
    hour: int
    minute: int
    second: int
    four_digit_year: bool
    meridiem: Meridiem | None  # the style, when it is one of the usual ones
    rest: str  # what follows the stamp and its separator


def _stamp(line: str) -> _Stamp | None:
    """The header stamp at the start of ``line`` (bidi marks already stripped), or None. O(1)."""
    if not line:
        return None
    if line[0] == "[":
        end = line.find("]", 1, _STAMP_MAX)
        if end < 0:
            return None
        inner, platform, rest = line[1:end], Platform.IOS, line[end + 1:]
        if rest and rest[0] in _SPACES:
            rest = rest[1:]
    elif "0" <= line[0] <= "9":
        end = line.find(" - ", 1, _STAMP_MAX)
        if end < 0:
            return None
        inner, platform, rest = line[:end], Platform.ANDROID, line[end + 3:]
    else:
        return None
    match = _STAMP.fullmatch(inner)
    if match is None:
        return None
    day, month, year, hour, minute, second, written, meridiem = match.groups()
    hours = int(hour)
    if meridiem is not None:
        if not 1 <= hours <= 12:
            return None
        hours = hours % 12 + (12 if meridiem in "pP" else 0)
    elif hours > 23:
        return None
    if int(minute) > 59 or (second is not None and int(second) > 59):
        return None
    return _Stamp(platform, meridiem is not None, second is not None, int(day), int(month),
                  int(year) + (2000 if len(year) == 2 else 0), hours, int(minute), int(second or 0),
                  len(year) == 4, _STYLES.get(written.lower().replace("a", "p")) if written else None,
                  rest.lstrip(_BIDI))


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


class _Builder:
    """Accumulates one record's lines; knows nothing of the other records."""

    __slots__ = ("attachment", "author", "first", "line", "local", "rest", "utc")

    def __init__(self, line: int, local: datetime, utc: datetime, author: str | None, first: str) -> None:
        self.line, self.local, self.utc, self.author = line, local, utc, author
        self.attachment = _attachment(first)
        self.first = first
        self.rest: list[str] = []

    def build(self) -> ChatMessage:
        if self.attachment is not None:
            text = "\n".join(self.rest)
        elif self.rest:
            text = self.first + "\n" + "\n".join(self.rest)
        else:
            text = self.first
        return ChatMessage(self.line, 1 + len(self.rest), self.local, self.utc, self.author, text, self.attachment)


class _DateOrder:
    """Day-first dates that only make sense month-first: either a date that is valid only
    month-first, or a day-first sequence that goes back more than a day where the month-first one
    never does (exports are in chronological order)."""

    __slots__ = ("back_df", "back_df_line", "back_mf", "month_first_possible", "previous_df", "previous_mf")
    _DAY = timedelta(days=1)

    def __init__(self) -> None:
        self.previous_df: date | None = None
        self.previous_mf: date | None = None
        self.back_df = self.back_mf = False
        self.back_df_line = 0
        self.month_first_possible = True

    def see(self, stamp: _Stamp, number: int) -> None:
        df = _valid_date(stamp.year, stamp.month, stamp.day)
        mf = _valid_date(stamp.year, stamp.day, stamp.month) if self.month_first_possible else None
        if df is None:
            if mf is not None and stamp.month > 12:
                raise ChatExportError(_MONTH_FIRST.format(line=number), number)
            raise ChatExportError(f"La fecha de la línea {number} no es válida (día/mes/año).", number)
        if mf is None:
            self.month_first_possible = False
        else:
            self.back_mf = self.back_mf or (self.previous_mf is not None and mf < self.previous_mf - self._DAY)
            self.previous_mf = mf
        if not self.back_df and self.previous_df is not None and df < self.previous_df - self._DAY:
            self.back_df, self.back_df_line = True, number
        self.previous_df = df

    def check(self) -> None:
        if self.back_df and self.month_first_possible and not self.back_mf:
            raise ChatExportError(_MONTH_FIRST.format(line=self.back_df_line), self.back_df_line)


def _lines(text: str) -> list[str]:
    if len(text) > MAX_TEXT_BYTES:  # characters <= bytes, so this never refuses an accepted file
        raise ChatExportError(f"El archivo supera el máximo de {MAX_TEXT_BYTES // (1024 * 1024)} MB por exportación.")
    if "\x00" in text:
        raise ChatExportError(_NOT_AN_EXPORT.format(why="es un archivo binario, no texto"))
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    if not lines:
        raise ChatExportError("El archivo está vacío.")
    return lines


def parse(text: str) -> ChatExport:
    """Every record of an export's text, in file order. Raises ``ChatExportError``."""
    zone = ZoneInfo(TIME_ZONE)
    variant: Variant | None = None
    records: list[ChatMessage] = []
    current: _Builder | None = None
    authored = 0
    order = _DateOrder()
    for number, raw in enumerate(_lines(text), 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        stamp = _stamp(line.lstrip(_BIDI))
        if stamp is not None and variant is not None and (
                stamp.platform is not variant.platform or stamp.twelve_hour != variant.twelve_hour
                or stamp.seconds != variant.with_seconds):
            stamp = None  # a pasted header of another variant: text of the current message
        if stamp is None:
            if current is None:
                raise ChatExportError(_NOT_AN_EXPORT.format(why="la primera línea no empieza con fecha y hora"),
                                      number)
            current.rest.append(line)
            continue
        order.see(stamp, number)
        if variant is None:
            variant = Variant(stamp.platform, stamp.twelve_hour, stamp.four_digit_year,
                              stamp.meridiem or Meridiem.NARROW, stamp.seconds)
        if current is not None:
            records.append(current.build())
        local = datetime(stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
        colon = stamp.rest.find(": ")
        author = stamp.rest[:colon].strip(_BIDI) if colon > 0 else ""
        if author:
            authored += 1
            if authored > MAX_MESSAGES:
                raise ChatExportError(f"La exportación tiene más de {MAX_MESSAGES:,} mensajes: es más de lo que "
                                      "WhatsApp exporta de un chat. Revisá el archivo.".replace(",", "."), number)
            first = stamp.rest[colon + 2:].lstrip(_BIDI)
        else:
            first = stamp.rest
        current = _Builder(number, local, local.replace(tzinfo=zone).astimezone(UTC), author or None, first)
    assert current is not None and variant is not None
    records.append(current.build())
    order.check()
    return ChatExport(variant, tuple(records))


def parse_bytes(data: bytes) -> ChatExport:
    """An export's raw bytes (UTF-8, with or without BOM). Raises ``ChatExportError``."""
    if len(data) > MAX_TEXT_BYTES:
        raise ChatExportError(f"El archivo supera el máximo de {MAX_TEXT_BYTES // (1024 * 1024)} MB por exportación.")
    if b"\x00" in data:
        raise ChatExportError(_NOT_AN_EXPORT.format(why="es un archivo binario, no texto"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ChatExportError(_NOT_AN_EXPORT.format(why="no es texto UTF-8")) from error
    return parse(text)


def participants(messages: Iterable[ChatMessage]) -> list[str]:
    """The authors, in order of first appearance (system lines have none)."""
    seen: dict[str, None] = {}
    for message in messages:
        if message.author is not None:
            seen.setdefault(message.author, None)
    return list(seen)


# --- rendering -----------------------------------------------------------------------------------

def _render_stamp(local: datetime, variant: Variant) -> str:
    year = f"{local.year:04d}" if variant.four_digit_year else f"{local.year % 100:02d}"
    stamp = f"{local.day}/{local.month}/{year}, "
    seconds = f":{local.second:02d}" if variant.with_seconds else ""
    if variant.twelve_hour:
        hour = local.hour % 12 or 12
        meridiem = variant.meridiem.value if local.hour >= 12 else variant.meridiem.value.replace("p", "a")
        stamp += f"{hour}:{local.minute:02d}{seconds}{meridiem}"
    else:
        stamp += f"{local.hour:02d}:{local.minute:02d}{seconds}"
    return f"[{stamp}] " if variant.platform is Platform.IOS else f"{stamp} - "


def _render_attachment(attachment: Attachment, platform: Platform) -> str:
    if not attachment.omitted and attachment.file_name:
        if platform is Platform.IOS:
            return f"\u200e<adjunto: {attachment.file_name}>"
        return f"\u200e{attachment.file_name}{_ANDROID_ATTACHED}"
    if attachment.kind is AttachmentKind.DOCUMENT and attachment.file_name:
        return f"{attachment.file_name} \u200edocumento omitido"
    if platform is Platform.ANDROID or attachment.kind is AttachmentKind.MEDIA:
        return _ANDROID_OMITTED
    return "\u200e" + _WORD_OF_KIND[attachment.kind]


def render(messages: Iterable[ChatMessage], variant: Variant) -> str:
    """The export text WhatsApp would write for ``messages`` in ``variant`` (canonical spacing and
    marks). ``parse(render(m, v)).messages`` equals ``m`` for records ``parse`` can produce in ``v``."""
    out: list[str] = []
    for message in messages:
        head = _render_stamp(message.local, variant)
        if message.author is None:
            first = message.text if message.attachment is None else _render_attachment(message.attachment,
                                                                                        variant.platform)
            mark = "\u200e" if variant.platform is Platform.IOS else ""
            out.append(f"{mark}{head}{first}")
        else:
            lead = "\u200e" if variant.platform is Platform.IOS and message.attachment is not None else ""
            first = (message.text if message.attachment is None
                     else _render_attachment(message.attachment, variant.platform))
            out.append(f"{lead}{head}{message.author}: {first}")
        if message.attachment is not None and message.lines > 1:
            out.append(message.text)
    return "\n".join(out) + "\n" if out else ""


# --- .zip exports --------------------------------------------------------------------------------

def _safe_member(name: str) -> bool:
    if not name or "\x00" in name or "\\" in name or name.startswith("/") or ":" in name.split("/", 1)[0]:
        return False
    return ".." not in PurePosixPath(name).parts


def _chat_member(infos: Sequence[zipfile.ZipInfo]) -> zipfile.ZipInfo:
    root_texts = [i for i in infos if "/" not in i.filename and i.filename.lower().endswith(".txt")]
    for rule in (lambda n: n == "_chat.txt", lambda n: n.startswith("Chat de WhatsApp con "), lambda _n: True):
        chosen = [i for i in root_texts if rule(i.filename)]
        if len(chosen) == 1:
            return chosen[0]
        if len(chosen) > 1:
            break
    raise ChatExportError(_NOT_AN_EXPORT.format(
        why="el .zip no tiene un único chat (.txt) en su carpeta principal"))


def read_zip(source: str | Path | BinaryIO) -> ZipExport:
    """The chat of a ``.zip`` export, parsed, and its media members listed (not extracted).

    Refuses, whole, an archive that is not a zip, is encrypted, holds unsafe names (absolute, ``..``,
    backslashes, drive letters, symlinks), more than ``MAX_ZIP_MEMBERS`` members, declares more than
    ``MAX_ZIP_BYTES`` in total, or whose chat exceeds ``MAX_TEXT_BYTES`` or ``MAX_TEXT_RATIO``; the chat is
    read with a hard cap, so an archive that lies about sizes cannot make it read more."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as error:
        raise ChatExportError(_NOT_AN_EXPORT.format(why="no es un .zip válido")) from error
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise ChatExportError(f"El .zip tiene más de {MAX_ZIP_MEMBERS:,} archivos.".replace(",", "."))
        total = 0
        for info in infos:
            if not _safe_member(info.filename) or stat.S_ISLNK(info.external_attr >> 16):
                raise ChatExportError("El .zip tiene archivos con rutas no permitidas; no se importa nada.")
            if info.flag_bits & 0x1:
                raise ChatExportError("El .zip está cifrado con contraseña; exportá el chat de nuevo sin cifrar.")
            total += info.file_size
        if total > MAX_ZIP_BYTES:
            raise ChatExportError(f"El .zip declara más de {MAX_ZIP_BYTES // 1024 ** 3} GB descomprimidos.")
        chat = _chat_member(infos)
        if chat.file_size > MAX_TEXT_BYTES or chat.file_size > MAX_TEXT_RATIO * max(chat.compress_size, 1):
            raise ChatExportError(f"El chat del .zip supera el máximo de {MAX_TEXT_BYTES // (1024 * 1024)} MB "
                                  "o está comprimido de forma sospechosa; no se importa nada.")
        try:
            with archive.open(chat) as stream:
                data = stream.read(MAX_TEXT_BYTES + 1)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
            raise ChatExportError(_NOT_AN_EXPORT.format(why="el .zip está dañado")) from error
        export = parse_bytes(data)
        media = tuple(MediaMember(i.filename, i.file_size, i.compress_size) for i in infos
                      if i is not chat and not i.is_dir())
    return ZipExport(chat.filename, export, media)
