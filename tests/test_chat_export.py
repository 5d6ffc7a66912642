"""WhatsApp "Exportar chat" parsing: every variant, exact times, rejections, zip guards, round trips."""

from __future__ import annotations

import contextlib
import io
import itertools
import stat
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.chat_export import (
    MAX_MESSAGES,
    MAX_TEXT_BYTES,
    Attachment,
    AttachmentKind,
    ChatExportError,
    ChatMessage,
    Meridiem,
    Platform,
    Variant,
    kind_of,
    parse,
    parse_bytes,
    participants,
    read_zip,
    render,
)

DATA = Path(__file__).resolve().parent / "data" / "chat-exports"
N, B, L = "\u202f", "\u00a0", "\u200e"


def load(name: str) -> list[ChatMessage]:
    return list(parse_bytes((DATA / name).read_bytes()).messages)


def summary(messages: list[ChatMessage]) -> list[tuple[int, str, str | None, str]]:
    return [(m.line, m.local.isoformat(sep=" "), m.author, m.text) for m in messages]


def test_android_24_hours() -> None:
    export = parse_bytes((DATA / "android-24h.txt").read_bytes())
    assert export.variant == Variant(Platform.ANDROID, twelve_hour=False)
    m = list(export.messages)
    assert summary(m) == [
        (1, "2024-03-12 14:05:00", None, "Los mensajes y las llamadas están cifrados de extremo a extremo. Solo las "
         "personas en este chat pueden leerlos, escucharlos o compartirlos. Obtené más información."),
        (2, "2024-03-12 14:05:00", "Valeria Gómez", "Hola, ¿está listo el celular?"),
        (3, "2024-03-12 02:05:00", "Taller Ficticio", "Buen día Valeria: todavía no.\nTe avisamos mañana.\n\nSaludos"),
        (7, "2024-03-13 09:30:00", "Valeria Gómez", ""),
        (8, "2024-03-13 09:31:00", "Taller Ficticio", "Así quedó la pantalla"),
        (10, "2024-03-13 09:32:00", "Taller Ficticio", ""),
        (11, "2024-03-13 23:59:00", "Valeria Gómez",
         "[12/3/24, 14:05:33] Otra: esto es un pegado\n[12/3/24, 14:05:33] Otra: segunda línea pegada"),
        (13, "2024-04-01 00:00:00", None,
         "Cambió tu código de seguridad con Valeria Gómez. Tocá para obtener más información."),
    ]
    assert [x.lines for x in m] == [1, 1, 4, 1, 2, 1, 2, 1]
    assert [x.attachment for x in m] == [
        None, None, None, Attachment(AttachmentKind.MEDIA, None, omitted=True),
        Attachment(AttachmentKind.IMAGE, "IMG-20240313-WA0003.jpg", omitted=False),
        Attachment(AttachmentKind.AUDIO, "PTT-20240313-WA0004.opus", omitted=False), None, None]
    # Buenos Aires is UTC-3 all year since 2009
    assert m[1].utc == datetime(2024, 3, 12, 17, 5, tzinfo=UTC)
    assert m[2].utc == datetime(2024, 3, 12, 5, 5, tzinfo=UTC)
    assert m[7].utc == datetime(2024, 4, 1, 3, 0, tzinfo=UTC)
    assert participants(m) == ["Valeria Gómez", "Taller Ficticio"]


def test_android_12_hours_with_narrow_spaces_and_the_2_05_trap() -> None:
    export = parse_bytes((DATA / "android-12h.txt").read_bytes())
    assert export.variant == Variant(Platform.ANDROID, twelve_hour=True, meridiem=Meridiem.NARROW)
    m = list(export.messages)
    assert [(x.local.hour, x.local.minute) for x in m] == [(14, 5), (14, 5), (2, 5), (0, 0), (12, 30), (23, 59),
                                                           (13, 0)]
    assert m[1].text == "Hola, son las 2:05 p. m."
    assert m[1].utc == datetime(2024, 3, 12, 17, 5, tzinfo=UTC)
    assert m[3].utc == datetime(2024, 3, 12, 3, 0, tzinfo=UTC)  # 12:00 a. m. is midnight
    assert m[5].attachment == Attachment(AttachmentKind.VIDEO, "VID-20240312-WA0001.mp4", omitted=False)
    # a 24-hour header pasted into a 12-hour chat is a continuation line, not a message
    assert m[6].text == "primera\nsegunda\n12/3/24, 14:05 - Falso: un encabezado de 24 h pegado en un chat de 12 h"
    assert m[6].lines == 3


def test_android_12_hours_compact_meridiem_and_four_digit_year() -> None:
    export = parse_bytes((DATA / "android-12h-compact.txt").read_bytes())
    assert export.variant.four_digit_year and export.variant.twelve_hour
    assert export.variant.meridiem is Meridiem.COMPACT
    m = list(export.messages)
    assert summary(m) == [
        (1, "2023-11-05 09:15:00", "+54 9 11 5555-0101", "¿Abren el sábado?"),
        (2, "2023-11-05 09:16:00", "Taller Ficticio", "Sí, de 9 a 13."),
        (3, "2023-11-05 15:40:00", "+54 9 11 5555-0101", ""),
        (4, "2023-11-05 00:01:00", "+54 9 11 5555-0101", ""),
    ]
    assert m[2].attachment == Attachment(AttachmentKind.DOCUMENT, "Presupuesto.pdf", omitted=False)
    assert m[3].attachment == Attachment(AttachmentKind.STICKER, "STK-20231105-WA0002.webp", omitted=False)


def test_ios_24_hours_marks_and_attachments() -> None:
    export = parse_bytes((DATA / "ios-24h.txt").read_bytes())
    assert export.variant == Variant(Platform.IOS, twelve_hour=False)
    m = list(export.messages)
    assert [(x.line, x.local.strftime("%H:%M:%S")) for x in m[:4]] == [
        (1, "14:05:33"), (2, "14:05:33"), (4, "02:05:09"), (5, "14:06:00")]
    assert m[0].author == "Taller Ficticio"
    assert m[0].text == "Los mensajes y las llamadas están cifrados de extremo a extremo."
    assert (m[1].text, m[1].lines) == ("Hola\n¿cuánto sale?", 2)
    assert m[2].text == "Son $ 25.000: incluye repuesto"
    assert [x.attachment for x in m[3:12]] == [
        Attachment(AttachmentKind.IMAGE, None, omitted=True),
        Attachment(AttachmentKind.IMAGE, "00000003-PHOTO-2024-03-12-14-06-01.jpg", omitted=False),
        Attachment(AttachmentKind.AUDIO, None, omitted=True),
        Attachment(AttachmentKind.STICKER, None, omitted=True),
        Attachment(AttachmentKind.GIF, None, omitted=True),
        Attachment(AttachmentKind.VIDEO, None, omitted=True),
        Attachment(AttachmentKind.DOCUMENT, "Garantía.pdf", omitted=True),
        Attachment(AttachmentKind.DOCUMENT, "00000009-Factura.pdf", omitted=False),
        Attachment(AttachmentKind.AUDIO, "00000010-AUDIO-2024-03-12-14-07-00.opus", omitted=False),
    ]
    assert all(x.text == "" for x in m[3:12])
    assert m[11].author == f"+54{B}9{B}11{B}5555\u20110101"  # the embedding marks around the phone are gone
    assert (m[12].author, m[12].text) == (None, "Valeria Gómez cambió su número de teléfono.")
    assert participants(m) == ["Taller Ficticio", "Valeria Gómez", f"+54{B}9{B}11{B}5555\u20110101"]


def test_ios_12_hours_every_meridiem_spelling_and_crlf() -> None:
    m = load("ios-12h.txt")
    assert [x.local.strftime("%H:%M:%S") for x in m] == [
        "14:05:33", "02:05:33", "00:00:00", "12:00:00", "12:59:59", "14:05:33", "14:05:34"]
    assert [x.text for x in m] == ["tarde", "madrugada", "medianoche", "mediodía", "Mirá el video",
                                   "con espacios comunes", "sin espacios"]
    assert m[4].attachment == Attachment(AttachmentKind.VIDEO, "00000005-VIDEO-2024-03-12-12-59-59.mp4", False)
    assert m[0].local.year == 2024


def test_buenos_aires_time_without_the_system_time_zone_database() -> None:
    # a host without /usr/share/zoneinfo: zoneinfo falls back to the pinned tzdata package
    import zoneinfo

    zoneinfo.reset_tzpath(to=[])
    try:
        zoneinfo.ZoneInfo.clear_cache()
        m = parse("12/3/24, 2:05 p. m. - Juan: hola\n1/1/08, 10:00 a. m. - Juan: en horario de verano\n")
        assert [x.utc for x in m.messages] == [datetime(2024, 3, 12, 17, 5, tzinfo=UTC),
                                               datetime(2008, 1, 1, 12, 0, tzinfo=UTC)]  # UTC-2 in the 2007-08 summer
    finally:
        zoneinfo.reset_tzpath()
        zoneinfo.ZoneInfo.clear_cache()


def test_every_line_of_every_fixture_belongs_to_one_record() -> None:
    for path in sorted(DATA.glob("*.txt")):
        if path.name.startswith("us-"):
            continue
        lines = path.read_text(encoding="utf-8").replace("\r\n", "\n").count("\n")
        messages = load(path.name)
        assert sum(x.lines for x in messages) == lines, path.name
        assert [x.line for x in messages] == sorted(x.line for x in messages)
        assert all(b.line == a.line + a.lines for a, b in itertools.pairwise(messages)), path.name


@pytest.mark.parametrize("name", ["android-24h.txt", "android-12h.txt", "android-12h-compact.txt", "ios-24h.txt",
                                  "ios-12h.txt"])
def test_fixtures_survive_render_and_parse(name: str) -> None:
    export = parse_bytes((DATA / name).read_bytes())
    again = parse(render(export.messages, export.variant))
    assert again == export


@pytest.mark.parametrize(("content", "fragment", "line"), [
    ((DATA / "us-month-first.txt").read_bytes(), "mes/día (línea 2)", 2),
    ((DATA / "not-an-export.csv").read_bytes(), "no parece una exportación", 1),
    ((DATA / "binary.bin").read_bytes(), "binario", None),
    (b"\xff\xfe1\x002\x00", "binario", None),
    ("hola".encode("latin-1") + b"\xe1", "no es texto UTF-8", None),
    (b"", "vacío", None),
    (b"\n", "no parece", 1),
    (b"Hola\n12/3/24, 14:05 - Juan: hola\n", "no parece", 1),
    (b"31/2/24, 14:05 - Juan: hola\n", "línea 1 no es válida", 1),
    (b"12/3/24, 14:05 - Juan: hola\n12/13/24, 14:05 - Juan: chau\n", "mes/día (línea 2)", 2),
    (b"13/3/24, 14:05 - Juan: hola\n12/13/24, 14:05 - Juan: chau\n", "línea 2 no es válida", 2),
    # only month-first reads these in order: 12 Jan, 2 Feb, 5 Mar (day-first: 1 Dec, 2 Feb, 3 May, back, ...)
    (b"1/12/24, 10:00 - Juan: a\n2/1/24, 10:00 - Juan: b\n3/5/24, 10:00 - Juan: c\n", "mes/día (línea 2)", 2),
])
def test_foreign_files_are_refused_in_spanish(content: bytes, fragment: str, line: int | None) -> None:
    with pytest.raises(ChatExportError) as caught:
        parse_bytes(content)
    assert fragment in str(caught.value)
    assert caught.value.line == line
    assert "Juan" not in str(caught.value) and "John" not in str(caught.value)  # no content in errors


def test_dates_out_of_order_both_ways_are_kept_day_first() -> None:
    # a phone whose clock was wrong for a while: back in time read either way, so it is not month-first
    m = parse("5/6/24, 10:00 - Juan: a\n3/4/24, 10:00 - Juan: b\n")
    assert [x.local.date().isoformat() for x in m.messages] == ["2024-06-05", "2024-04-03"]


def test_dates_up_to_the_12th_are_read_day_first() -> None:
    m = parse("3/4/24, 10:00 - Juan: a\n4/4/24, 10:00 - Juan: b\n")
    assert [x.local.date().isoformat() for x in m.messages] == ["2024-04-03", "2024-04-04"]


def test_impossible_hours_are_not_headers() -> None:
    with pytest.raises(ChatExportError, match="no parece"):
        parse("12/3/24, 24:05 - Juan: hola\n")
    with pytest.raises(ChatExportError, match="no parece"):
        parse("12/3/24, 0:05 p. m. - Juan: hola\n")
    m = parse("12/3/24, 14:05 - Juan: hola\n12/3/24, 14:60 - Juan: no es un encabezado\n")
    assert m.messages[0].text == "hola\n12/3/24, 14:60 - Juan: no es un encabezado"


def test_message_limit_is_enforced() -> None:
    line = "12/3/24, 14:05 - Juan: hola\n"
    assert len(parse(line * MAX_MESSAGES).messages) == MAX_MESSAGES
    with pytest.raises(ChatExportError, match=r"más de 40\.000 mensajes") as caught:
        parse(line * (MAX_MESSAGES + 1))
    assert caught.value.line == MAX_MESSAGES + 1
    assert len(parse(line + "12/3/24, 14:05 - Aviso del sistema\n" * 100).messages) == 101


def test_size_limit_is_enforced() -> None:
    with pytest.raises(ChatExportError, match="32 MB"):
        parse_bytes(b"12/3/24, 14:05 - Juan: " + b"a" * MAX_TEXT_BYTES)


@pytest.mark.parametrize("hostile", [
    "1" * 200_000, "12/3/24, " + "1" * 200_000, "12/3/24, 14:05" + " " * 200_000 + "x",
    "[" + "1/" * 100_000, "12/3/24, 14:05 - " + ":" * 200_000, "12/3/24, 14:05 - Juan: " + "<adjunto: " * 20_000,
    "[12/3/24, 2:05:33" + "\u202f" * 100_000 + "]", "12/3/24, 14:05 - " + "a" * 200_000 + " (archivo adjunto)",
])
def test_hostile_long_lines_take_linear_time(hostile: str) -> None:
    # compare the hostile line with a plain line of the same length: a backtracking parser would take
    # seconds here; this one takes about the same as the plain line
    def cost(line: str) -> float:
        text = "12/3/24, 14:05 - Juan: hola\n" + (line + "\n") * 20
        started = time.perf_counter()
        with contextlib.suppress(ChatExportError):
            parse(text)
        return time.perf_counter() - started

    plain = min(cost("x" * len(hostile)) for _ in range(3))
    assert min(cost(hostile) for _ in range(3)) < plain * 20 + 0.05


@pytest.mark.parametrize("text", [
    "te paso el documento omitido", "mirá <adjunto: esto>", "esto (archivo adjunto)", "../x.jpg (archivo adjunto)",
    "imagen omitida, creo", "<Multimedia omitido> jaja",
])
def test_text_that_only_resembles_an_attachment_is_text(text: str) -> None:
    for variant in ("12/3/24, 14:05 - ", "[12/3/24, 14:05:33] "):
        message = parse(f"{variant}Juan: {text}\n").messages[0]
        assert (message.attachment, message.text) == (None, text)


def test_kind_of_file_names() -> None:
    assert [kind_of(n) for n in ["IMG-20240312-WA0003.jpg", "00000012-PHOTO-2024-03-12-14-05-33.jpg",
                                 "VID-1.mp4", "PTT-20240312-WA0004.opus", "00000004-AUDIO-x.opus",
                                 "STK-1.webp", "00000006-GIF-x.mp4", "Presupuesto.pdf", "foto.JPG", "sin-extension"]
            ] == [AttachmentKind.IMAGE, AttachmentKind.IMAGE, AttachmentKind.VIDEO, AttachmentKind.AUDIO,
                  AttachmentKind.AUDIO, AttachmentKind.STICKER, AttachmentKind.GIF, AttachmentKind.DOCUMENT,
                  AttachmentKind.IMAGE, AttachmentKind.DOCUMENT]


# --- .zip ----------------------------------------------------------------------------------------

def make_zip(members: dict[str, bytes], *, symlink: str | None = None) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if symlink is not None:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "../../etc/passwd")
    buffer.seek(0)
    return buffer


def test_zip_export_finds_the_chat_and_lists_media() -> None:
    chat = (DATA / "ios-24h.txt").read_bytes()
    media = {"00000003-PHOTO-2024-03-12-14-06-01.jpg": b"\xff\xd8" + b"j" * 1000, "00000009-Factura.pdf": b"%PDF"}
    result = read_zip(make_zip({"_chat.txt": chat, **media, "notas.txt": b"un documento adjunto"}))
    assert result.chat_name == "_chat.txt"
    assert result.export == parse_bytes(chat)
    assert {m.name: m.size for m in result.media} == {**{k: len(v) for k, v in media.items()}, "notas.txt": 20}


def test_zip_export_android_name(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    path.write_bytes(make_zip({"Chat de WhatsApp con Valeria Gómez.txt": (DATA / "android-24h.txt").read_bytes(),
                               "IMG-20240313-WA0003.jpg": b"x", "Presupuesto.txt": b"y"}).getvalue())
    result = read_zip(path)
    assert result.chat_name == "Chat de WhatsApp con Valeria Gómez.txt"
    assert [m.name for m in result.media] == ["IMG-20240313-WA0003.jpg", "Presupuesto.txt"]


@pytest.mark.parametrize(("members", "fragment"), [
    ({"_chat.txt": b"12/3/24, 14:05 - Juan: hola\n", "../evil.jpg": b"x"}, "rutas no permitidas"),
    ({"_chat.txt": b"12/3/24, 14:05 - Juan: hola\n", "/etc/evil.jpg": b"x"}, "rutas no permitidas"),
    ({"_chat.txt": b"12/3/24, 14:05 - Juan: hola\n", "a\\..\\evil.jpg": b"x"}, "rutas no permitidas"),
    ({"_chat.txt": b"12/3/24, 14:05 - Juan: hola\n", "C:/evil.jpg": b"x"}, "rutas no permitidas"),
    ({"foto.jpg": b"x"}, "único chat"),
    ({"a.txt": b"x", "b.txt": b"y"}, "único chat"),
    ({"_chat.txt": b"12/3/24, 14:05 - Juan: " + b"a" * (MAX_TEXT_BYTES + 10)}, "32 MB"),
    ({"_chat.txt": b"12/3/24, 14:05 - Juan: " + b"a" * 10_000_000}, "sospechosa"),
    ({"_chat.txt": (DATA / "us-month-first.txt").read_bytes()}, "mes/día"),
])
def test_zip_guards(members: dict[str, bytes], fragment: str) -> None:
    with pytest.raises(ChatExportError, match=fragment):
        read_zip(make_zip(members))


def test_zip_symlink_and_garbage_are_refused() -> None:
    with pytest.raises(ChatExportError, match="rutas no permitidas"):
        read_zip(make_zip({"_chat.txt": b"12/3/24, 14:05 - Juan: hola\n"}, symlink="link.jpg"))
    with pytest.raises(ChatExportError, match=r"no es un \.zip"):
        read_zip(io.BytesIO((DATA / "binary.bin").read_bytes()))


def test_zip_that_lies_about_its_size_cannot_make_it_read_more() -> None:
    buffer = make_zip({"_chat.txt": b"12/3/24, 14:05 - Juan: hola\n" * 1000})
    raw = bytearray(buffer.getvalue())
    # shrink the declared size in the central directory: reading stops at the real data or errors
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24:central + 28] = (10).to_bytes(4, "little")
    with pytest.raises(ChatExportError):
        read_zip(io.BytesIO(bytes(raw)))


# --- generated exports ---------------------------------------------------------------------------

VARIANTS = [Variant(p, twelve, year4, meridiem)
            for p in Platform for twelve in (False, True) for year4 in (False, True)
            for meridiem in (Meridiem if twelve else [Meridiem.NARROW])]

_safe_chars = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp", "Cf"))
names = st.text(_safe_chars, min_size=1, max_size=20).map(str.strip).filter(
    lambda s: s != "" and ": " not in s and not s.endswith(":"))
free_lines = st.text(st.characters(codec="utf-8", exclude_characters="\n\r\x00"), max_size=40)
# text that cannot be mistaken for a header or an attachment marker: no line starts with a digit or "["
safe_lines = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cf")), max_size=40).map(
    lambda s: "x" + s.rstrip() if s else s).filter(
    lambda s: "(archivo adjunto)" not in s and "omitid" not in s and "<adjunto" not in s)
moments = st.datetimes(datetime(2010, 1, 1), datetime(2099, 12, 31)).map(lambda d: d.replace(microsecond=0))


def attachments(variant: Variant) -> st.SearchStrategy[Attachment | None]:
    file_names = st.sampled_from(["IMG-20240312-WA0003.jpg", "PTT-20240312-WA0004.opus", "Presupuesto.pdf",
                                  "00000003-PHOTO-2024-03-12-14-05-33.jpg", "STK-20240101-WA0001.webp"])
    attached = file_names.map(lambda n: Attachment(kind_of(n), n, omitted=False))
    if variant.platform is Platform.ANDROID:
        omitted = st.just(Attachment(AttachmentKind.MEDIA, None, omitted=True))
    else:
        omitted = st.sampled_from([k for k in AttachmentKind if k is not AttachmentKind.MEDIA]).map(
            lambda k: Attachment(k, None, omitted=True))
    return st.none() | attached | omitted


@st.composite
def exports(draw: st.DrawFn, lines: st.SearchStrategy[str]) -> tuple[Variant, list[ChatMessage]]:
    variant = draw(st.sampled_from(VARIANTS))
    times = sorted(draw(st.lists(moments, min_size=1, max_size=12)))
    people = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    messages, line = [], 1
    for index, moment in enumerate(times):
        local = moment if variant.with_seconds else moment.replace(second=0)
        author = None if index == 0 and draw(st.booleans()) else draw(st.sampled_from(people))
        attachment = draw(attachments(variant)) if author is not None else None
        body = draw(st.lists(lines, min_size=1, max_size=4))
        if attachment is None:
            first = body[0].lstrip("\u200e\ufeff") if author is not None else body[0]
            if author is None:  # a system line has no ": " and does not start with a mark
                first = "y" + first.replace(": ", " ")
            text, count = "\n".join([first, *body[1:]]), len(body)
        else:
            extra = draw(st.lists(lines, max_size=3))
            text, count = "\n".join(extra), 1 + len(extra)
        if attachment is None and author is not None and count == 1 and not text.strip():
            text = "z"
        messages.append(ChatMessage(line, count, local, local.replace(tzinfo=UTC), author, text, attachment))
        line += count
    return variant, messages


def without_utc(messages: tuple[ChatMessage, ...] | list[ChatMessage]) -> list[tuple[object, ...]]:
    return [(m.line, m.lines, m.local, m.author, m.text, m.attachment) for m in messages]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exports(safe_lines))
def test_generated_exports_parse_back_to_what_was_rendered(case: tuple[Variant, list[ChatMessage]]) -> None:
    variant, messages = case
    export = parse(render(messages, variant))
    assert without_utc(export.messages) == without_utc(messages)
    assert export.variant == variant


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exports(free_lines))
def test_parse_render_parse_is_stable_and_loses_no_line(case: tuple[Variant, list[ChatMessage]]) -> None:
    variant, messages = case
    text = render(messages, variant)
    try:
        first = parse(text)
    except ChatExportError:
        return  # free text may forge a header with an impossible date: refused whole, nothing half-read
    assert sum(m.lines for m in first.messages) == text.count("\n")
    second = parse(render(first.messages, first.variant))
    assert second == first
