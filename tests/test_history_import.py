"""Importing WhatsApp chat exports: direction, customer, dedupe against ACS, idempotence, retry, orders, summaries.

The demo is loaded as of 2024-03-20 12:00 UTC, so its live conversation with Juan Pérez (order 1, created
2024-03-14 12:00 UTC, open) overlaps the fixture export ``import/Chat de WhatsApp con +54 9 11 5555-1234.txt``:
four of its nine messages are the ones ACS delivered (same direction, minute and text).
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import azure.functions as func
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings

from devkit import demo
from shared import chat_export, db, history_import, inbox, schema, summaries
from shared.errors import ApiError
from tests.conftest import StaffIssuer, function
from tests.test_chat_export import exports, safe_lines

DATA = Path(__file__).resolve().parent / "data" / "chat-exports"
JUAN_FILE = "Chat de WhatsApp con +54 9 11 5555-1234.txt"
JUAN = (DATA / "import" / JUAN_FILE).read_bytes()
NOW = datetime(2024, 3, 20, 12, 0, tzinfo=UTC)
_m, _imp = schema.message, schema.history_import


@pytest.fixture
def shop_url(db_url: str) -> str:
    assert demo.load(db_url, now=NOW)
    return db_url


def rows(url: str, *where: Any) -> list[Any]:
    return db.read(lambda c: c.execute(sa.select(_m).where(*where).order_by(_m.c.WhatsAppTimestamp, _m.c.Id)).all(),
                   url)


def imported(url: str) -> list[Any]:
    return rows(url, _m.c.Source == "import")


def count(url: str) -> int:
    return int(db.read(lambda c: c.execute(sa.select(sa.func.count()).select_from(_m)).scalar_one(), url))


def call(name: str, body: bytes, params: dict[str, str], headers: dict[str, str] | None = None
         ) -> tuple[int, dict[str, Any]]:
    req = func.HttpRequest(method="POST", url=f"http://localhost/api/whatsapp/{name}", params=params,
                           headers=headers or {}, body=body)
    resp = function({"imports": "import_whatsapp_history", "imports/preview": "preview_whatsapp_import"}[name])(req)
    return resp.status_code, json.loads(resp.get_body())


# --- the import itself --------------------------------------------------------------------------

def test_direction_customer_by_file_name_and_the_live_twins_kept_once(shop_url: str) -> None:
    before = count(shop_url)
    result = history_import.import_export(JUAN_FILE, JUAN, shop_participant="FastService", url=shop_url)
    assert result["state"] == "completed" and not result["alreadyImported"]
    assert result["customerId"] == 1 and result["customerName"] == "Juan Pérez"
    assert (result["messagesInFile"], result["addedNow"], result["duplicatesOfLive"], result["systemLines"]) == \
        (9, 5, 4, 1)
    assert count(shop_url) == before + 5
    stored = imported(shop_url)
    assert [(r.Direction, r.MessageType, r.Content) for r in stored] == [
        ("inbound", "text", "Hola, tengo una tele que no prende"),
        ("outbound", "text", "Hola Juan, traela cuando quieras"),
        ("outbound", "text", "Hola Juan, traela cuando quieras"),  # twice in one minute: both kept
        ("inbound", "media", None),
        ("inbound", "text", "Gracias!\nNos vemos"),
    ]
    assert {r.ClienteId for r in stored} == {1} and {r.PhoneKey for r in stored} == {"541155551234"}
    assert {r.ImportId for r in stored} == {result["importId"]} and len({r.MessageKey for r in stored}) == 5
    # Buenos Aires wall-clock time stored as UTC
    assert stored[0].WhatsAppTimestamp == datetime(2024, 2, 1, 13, 0)
    # the live rows are untouched and not repeated
    assert len(rows(shop_url, _m.c.Source.is_(None), _m.c.ClienteId == 1)) == 5


def test_orders_are_linked_as_live_messages_are(shop_url: str) -> None:
    result = history_import.import_export(JUAN_FILE, JUAN, shop_participant="FastService", url=shop_url)
    # only the message written while order 1 was Juan's only open order joins it; the rest waits for a sync
    assert result["orders"] == [{"orderId": 1, "messages": 1}] and result["unlinked"] == 4
    linked = imported(shop_url)
    assert [r.ReparacionId for r in linked] == [None, None, None, None, 1]


def test_imported_history_no_order_holds_is_not_inbox_work(shop_url: str) -> None:
    """Old history left unlinked (the customer had several orders, or none then) is nobody's to triage:
    «Varias órdenes» and its badge count live messages only."""
    before = inbox.counts(shop_url)
    listed = inbox.listing("multiple_orders", url=shop_url)
    result = history_import.import_export(JUAN_FILE, JUAN, shop_participant="FastService", url=shop_url)
    assert result["unlinked"] == 4  # four imported messages no order holds ...
    assert inbox.counts(shop_url)["multipleOrders"] == before["multipleOrders"]  # ... and no new inbox work
    assert inbox.listing("multiple_orders", url=shop_url) == listed


def test_importing_from_an_order_also_takes_what_its_sync_would(db_url: str) -> None:
    assert demo.load(db_url, now=NOW)
    result = history_import.import_export(JUAN_FILE, JUAN, shop_participant="FastService", order_id=1, url=db_url)
    # the attachment of 10/3, within SYNC_LOOKBACK_DAYS of the order's creation, joins it too; February does not
    assert result["orders"] == [{"orderId": 1, "messages": 2}] and result["unlinked"] == 3
    assert [r.ReparacionId for r in imported(db_url)] == [None, None, None, 1, 1]


def test_the_shop_participant_decides_direction(shop_url: str) -> None:
    history_import.import_export(JUAN_FILE, JUAN, shop_participant="Juan Pérez", customer_id=1, url=shop_url)
    directions = {r.Content: r.Direction for r in imported(shop_url) if r.Content}
    assert directions["Hola, tengo una tele que no prende"] == "outbound"
    assert directions["Hola Juan, traela cuando quieras"] == "inbound"


def test_the_same_file_twice_adds_nothing(shop_url: str) -> None:
    first = history_import.import_export(JUAN_FILE, JUAN, shop_participant="FastService", url=shop_url)
    before = count(shop_url)
    again = history_import.import_export(JUAN_FILE, JUAN, shop_participant="FastService", url=shop_url)
    assert again["alreadyImported"] is True and again["addedNow"] == 0 and again["importId"] == first["importId"]
    assert again["messagesImported"] == 5
    assert count(shop_url) == before
    assert db.read(lambda c: c.execute(sa.select(sa.func.count()).select_from(_imp)).scalar_one(), shop_url) == 1


def test_a_later_export_of_the_same_chat_adds_only_what_is_new(shop_url: str) -> None:
    history_import.import_export(JUAN_FILE, JUAN, shop_participant="FastService", url=shop_url)
    later = JUAN + "18/3/24, 11:00 - FastService: Ya está listo, Juan\n".encode()
    result = history_import.import_export("Chat de WhatsApp con +54 9 11 5555-1234 (1).txt", later,
                                          shop_participant="FastService", url=shop_url)
    assert (result["addedNow"], result["alreadyStored"], result["duplicatesOfLive"]) == (1, 5, 4)
    assert len(imported(shop_url)) == 6


def test_a_partial_failure_is_retried_and_completes(shop_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history_import, "CHUNK", 2)
    real_store, calls = history_import._store, []

    def failing(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise db.DatabaseUnavailable(3)
        return real_store(*args)

    monkeypatch.setattr(history_import, "_store", failing)
    with pytest.raises(db.DatabaseUnavailable):
        history_import.import_export(JUAN_FILE, JUAN, shop_participant="FastService", url=shop_url)
    assert len(imported(shop_url)) == 2  # the first chunk stayed
    row = db.read(lambda c: c.execute(sa.select(_imp)).one(), shop_url)
    assert (row.State, row.MessagesImported, row.ErrorMessage) == ("failed", 2, "la base de datos no respondió")
    result = history_import.import_export(JUAN_FILE, JUAN, shop_participant="FastService", url=shop_url)
    assert (result["state"], result["addedNow"], result["alreadyStored"], result["messagesImported"]) == \
        ("completed", 3, 2, 5)
    assert len(imported(shop_url)) == 5 and result["importId"] == row.Id


def test_a_retry_with_another_shop_participant_is_refused(shop_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(history_import, "_store", broken)
    with pytest.raises(RuntimeError):
        history_import.import_export(JUAN_FILE, JUAN, shop_participant="FastService", url=shop_url)
    monkeypatch.undo()
    with pytest.raises(history_import.ImportConflict):
        history_import.import_export(JUAN_FILE, JUAN, shop_participant="Juan Pérez", url=shop_url)


def test_an_import_under_way_is_not_started_twice(shop_url: str) -> None:
    digest = history_import.read(JUAN_FILE, JUAN).file_hash
    db.write(lambda c: c.execute(schema.state.insert().values(
        Name=f"import:{digest}", Value="2999-01-01T00:00:00", UpdatedAt=db.utcnow())), shop_url)
    with pytest.raises(history_import.ImportConflict, match="importando en este momento"):
        history_import.import_export(JUAN_FILE, JUAN, shop_participant="FastService", url=shop_url)
    assert imported(shop_url) == []


# --- whose chat is it -----------------------------------------------------------------------------

def test_a_saved_contact_needs_staff_to_choose_the_customer(shop_url: str) -> None:
    with pytest.raises(history_import.CustomerNotIdentified, match="Elegí el cliente"):
        history_import.import_export("Chat de WhatsApp con Juan.txt", JUAN, shop_participant="FastService",
                                     url=shop_url)
    result = history_import.import_export("Chat de WhatsApp con Juan.txt", JUAN, shop_participant="FastService",
                                          customer_id=1, url=shop_url)
    assert result["customerId"] == 1 and result["duplicatesOfLive"] == 4  # Juan's phone still finds the live twins


def test_a_line_shared_by_two_customers_is_never_guessed(shop_url: str) -> None:
    text = b"5/3/24, 10:00 - Cliente: hola\n5/3/24, 10:01 - FastService: hola!\n"
    with pytest.raises(history_import.CustomerNotIdentified) as caught:
        history_import.import_export("Chat de WhatsApp con +54 9 11 2222-3333.txt", text,
                                     shop_participant="FastService", url=shop_url)
    assert [c["customerId"] for c in caught.value.extensions["candidates"]] == [10, 11]
    assert imported(shop_url) == []


def test_an_unsaved_contact_shows_the_phone_as_its_name(shop_url: str) -> None:
    text = b"5/3/24, 10:00 - +54 9 11 4444-5678: hola\n5/3/24, 10:01 - FastService: hola!\n"
    preview = history_import.preview("Chat de WhatsApp con María.txt", text, url=shop_url)
    assert preview["customer"] is not None and preview["customer"]["customerId"] == 2
    assert preview["customer"]["matchedBy"] == "participant"
    assert preview["suggestedShopParticipant"] == "FastService"


def test_an_order_and_another_customer_disagree(shop_url: str) -> None:
    with pytest.raises(ApiError) as caught:
        history_import.import_export(JUAN_FILE, JUAN, shop_participant="FastService", order_id=1, customer_id=2,
                                     url=shop_url)
    assert caught.value.status == 400


# --- bad files import nothing ----------------------------------------------------------------------

@pytest.mark.parametrize(("name", "data", "words"), [
    ("binary.bin", (DATA / "binary.bin").read_bytes(), "binario"),
    ("not-an-export.csv", (DATA / "not-an-export.csv").read_bytes(), "no parece una exportación"),
    ("us.txt", (DATA / "us-month-first.txt").read_bytes(), "mes/día"),
    ("vacio.txt", b"", "vacío"),
    ("grupo.txt", b"1/3/24, 10:00 - Ana: hola\n1/3/24, 10:01 - Beto: hola\n1/3/24, 10:02 - Taller: hola\n",
     "grupo"),
    ("aviso.txt", "1/3/24, 10:00 - Los mensajes están cifrados.\n".encode(), "ninguna persona"),
    ("chat.zip", b"PK\x03\x04not really", "no es un .zip válido"),
])
def test_a_bad_or_foreign_file_is_a_clear_spanish_error_and_imports_nothing(
        shop_url: str, name: str, data: bytes, words: str) -> None:
    before = count(shop_url)
    status, body = call("imports", data, {"fileName": name, "customerId": "1", "shopParticipant": "Taller"})
    assert status == 422 and body["type"] == "/problems/invalid-export"
    assert words in body["detail"]
    assert count(shop_url) == before
    assert db.read(lambda c: c.execute(sa.select(sa.func.count()).select_from(_imp)).scalar_one(), shop_url) == 0


def test_too_large_an_upload_is_refused_before_reading(shop_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history_import, "MAX_UPLOAD_BYTES", len(JUAN) - 1)
    status, body = call("imports", JUAN, {"fileName": JUAN_FILE, "shopParticipant": "FastService"})
    assert status == 413 and "MB" in body["detail"]


def test_the_shop_participant_must_be_one_of_the_chat(shop_url: str) -> None:
    status, body = call("imports", JUAN, {"fileName": JUAN_FILE, "shopParticipant": "Otro"})
    assert status == 400 and body["parameter"] == "shopParticipant"
    status, body = call("imports", JUAN, {"fileName": JUAN_FILE})
    assert status == 400 and "Falta el parámetro shopParticipant" in body["detail"]
    assert imported(shop_url) == []


# --- the API, staff and the preview ---------------------------------------------------------------------

def test_preview_then_import_through_the_api_records_who_imported(shop_url: str,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    status, preview = call("imports/preview", JUAN, {"fileName": JUAN_FILE})
    assert status == 200
    assert [(p["name"], p["messages"]) for p in preview["participants"]] == [("Juan Pérez", 6), ("FastService", 3)]
    assert (preview["messages"], preview["systemLines"], preview["attachments"]) == (9, 1, 2)
    assert preview["firstMessageAt"] == "2024-02-01T13:00:00Z" and preview["lastMessageAt"] == "2024-03-17T18:10:00Z"
    assert preview["customer"]["customerId"] == 1 and preview["customer"]["matchedBy"] == "fileName"
    assert preview["previousImport"] is None
    assert imported(shop_url) == []  # a preview writes no message

    issuer = StaffIssuer(tmp_path)
    issuer.sign_in(monkeypatch)
    headers = issuer.bearer(oid="00000000-0000-0000-0000-00000000abcd", name="Ana Operadora")
    assert call("imports", JUAN, {"fileName": JUAN_FILE, "shopParticipant": "FastService"})[0] == 401
    assert imported(shop_url) == []
    status, result = call("imports", JUAN, {"fileName": JUAN_FILE, "shopParticipant": "FastService",
                                            "orderId": "1"}, headers)
    assert status == 200 and result["addedNow"] == 5
    row = db.read(lambda c: c.execute(sa.select(_imp)).one(), shop_url)
    assert (row.ImportedByStaffId, row.ImportedByName, row.Via, row.ReparacionId, row.State) == \
        ("00000000-0000-0000-0000-00000000abcd", "Ana Operadora", "panel", 1, "completed")

    status, again = call("imports/preview", JUAN, {"fileName": JUAN_FILE}, headers)
    assert again["previousImport"]["state"] == "completed" and again["previousImport"]["importedBy"] == "Ana Operadora"
    assert again["suggestedShopParticipant"] == "FastService"


def test_the_thread_shows_imported_history(shop_url: str) -> None:
    from shared import conversation

    history_import.import_export(JUAN_FILE, JUAN, shop_participant="FastService", order_id=1, url=shop_url)
    page = conversation.order_messages(1, 200, url=shop_url)
    texts = [m["text"] for m in page["messages"]]
    assert texts.count("Dale, avancen. ¿Puedo pasar el viernes a la tarde?") == 1  # the live one, once
    assert "Gracias!\nNos vemos" in texts
    omitted = next(m for m in page["messages"] if m["type"] == "media")
    assert omitted["text"] is None


def test_a_zip_export_with_media_lists_and_names_its_attachments(shop_url: str) -> None:
    chat = ("\u200e[17/3/24, 10:00:12] Juan Pérez: \u200e<adjunto: 00000002-PHOTO-2024-03-17-10-00-12.jpg>\n"
            "[17/3/24, 10:02:00] FastService: Recibido\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("_chat.txt", chat)
        archive.writestr("00000002-PHOTO-2024-03-17-10-00-12.jpg", b"\xff\xd8\xff\xe0 not a real jpeg")
    data = buffer.getvalue()
    preview = history_import.preview("Chat de WhatsApp - Juan Pérez.zip", data, customer_id=1, url=shop_url)
    assert (preview["format"], preview["platform"], preview["mediaFiles"], preview["attachments"]) == \
        ("zip", "ios", 1, 1)
    result = history_import.import_export("Chat de WhatsApp - Juan Pérez.zip", data, shop_participant="FastService",
                                          customer_id=1, url=shop_url)
    # the live photo of that minute had a caption, this one has none: not the same message
    assert result["addedNow"] == 2 and result["duplicatesOfLive"] == 0
    assert [(r.MessageType, r.MediaFileName, r.Content) for r in imported(shop_url)] == [
        ("image", "00000002-PHOTO-2024-03-17-10-00-12.jpg", None), ("text", None, "Recibido")]


# --- summaries take imported history once -------------------------------------------------------------

def test_the_next_summary_reads_imported_history_once(shop_url: str) -> None:
    first = summaries.summarize_order(1, shop_url)
    assert first.written
    assert db.read(lambda c: summaries._gather(c, 1), shop_url) is None  # up to date
    history_import.import_export(JUAN_FILE, JUAN, shop_participant="FastService", order_id=1, url=shop_url)
    work = db.read(lambda c: summaries._gather(c, 1), shop_url)
    assert work is not None and work.new == 2
    texts = [line.text for line in work.lines]
    assert "Gracias!\nNos vemos" in texts
    assert not any("buenas tardes" in t for t in texts)  # covered by the first summary: not read again
    assert summaries.summarize_order(1, shop_url).written
    assert db.read(lambda c: summaries._gather(c, 1), shop_url) is None
    history_import.import_export(JUAN_FILE, JUAN, shop_participant="FastService", order_id=1, url=shop_url)
    assert db.read(lambda c: summaries._gather(c, 1), shop_url) is None  # the same file again: nothing new


# --- pure parts ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "e164"), [
    ("Chat de WhatsApp con +54 9 11 5555-1234.txt", "+5491155551234"),
    ("Chat de WhatsApp con \u202a+54 9 11 5555-1234\u202c.zip", "+5491155551234"),
    ("WhatsApp Chat with +54 9 11 5555-1234 (2).txt", "+5491155551234"),
    ("Chat de WhatsApp con Juan.txt", None),
    ("Chat de WhatsApp con Juan 2024.txt", None),
    ("_chat.txt", None),
])
def test_phone_in_file_name(name: str, e164: str | None) -> None:
    phone = history_import.phone_in_file_name(name)
    assert (phone.e164 if phone else None) == e164


def test_normalized_text_agrees_on_what_both_ways_show() -> None:
    n = history_import.normalized
    assert n("Hola\r\n  Juan ") == n("Hola Juan") == "Hola Juan"
    assert n("\u200eListo <Se editó este mensaje.>") == "Listo"
    assert n("Cafe\u0301") == n("Café")
    assert n("Hola") != n("hola")


def test_keys_are_deterministic_and_tell_occurrences_apart() -> None:
    sig = history_import.signature("inbound", datetime(2024, 3, 1, 10, 5, 33), False, "hola")
    assert sig == history_import.signature("inbound", datetime(2024, 3, 1, 10, 5), False, " hola ")
    assert sig != history_import.signature("inbound", datetime(2024, 3, 1, 10, 5), True, "hola")  # a caption
    assert history_import.message_key("k", sig, 0) == history_import.message_key("k", sig, 0)
    assert history_import.message_key("k", sig, 0) != history_import.message_key("k", sig, 1)
    assert history_import.message_key("k", sig, 0) != history_import.message_key("j", sig, 0)
    assert len(history_import.message_key("k", sig, 0)) <= 200


def test_rendered_exports_import_every_message_once(shop_url: str) -> None:
    """Every variant the parser reads imports the same messages (keys depend on what was said, not how)."""
    messages = [chat_export.ChatMessage(1, 1, datetime(2024, 3, 1, 10, i), datetime(2024, 3, 1, 13, i, tzinfo=UTC),
                                        "Juan Pérez" if i % 2 else "FastService", f"mensaje {i}") for i in range(20)]
    keys: list[set[str]] = []
    for number, variant in enumerate((chat_export.Variant(chat_export.Platform.ANDROID, False),
                                      chat_export.Variant(chat_export.Platform.ANDROID, True),
                                      chat_export.Variant(chat_export.Platform.IOS, True, four_digit_year=True))):
        data = chat_export.render(messages, variant).encode()
        history_import.import_export(f"export-{number}.txt", data, shop_participant="FastService", customer_id=1,
                                     url=shop_url)
        keys.append({r.MessageKey for r in imported(shop_url)})
    assert keys[0] == keys[1] == keys[2] and len(keys[0]) == 20


# --- the operators' command -----------------------------------------------------------------------

def test_the_operators_command_imports_a_folder_and_reports_each_file(shop_url: str, tmp_path: Path) -> None:
    from ops.__main__ import import_chats

    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / JUAN_FILE).write_bytes(JUAN)
    (folder / "Chat de WhatsApp con +54 9 11 2222-3333.txt").write_bytes(
        b"5/3/24, 10:00 - Cliente: hola\n5/3/24, 10:01 - FastService: hola!\n")
    (folder / "Chat de WhatsApp con Lucía.txt").write_bytes(b"\x00\x01 binario")
    (folder / "notas.md").write_text("no es una exportación")
    out = io.StringIO()
    assert import_chats(folder, "FastService", by="Operador", dry_run=True, customer_id=None, url=shop_url,
                        out=out) == 2
    assert imported(shop_url) == []
    out = io.StringIO()
    assert import_chats(folder, "FastService", by="Operador", dry_run=False, customer_id=None, url=shop_url,
                        out=out) == 2
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("ERROR  Chat de WhatsApp con +54 9 11 2222-3333.txt") and "10, 11" in lines[0]
    assert lines[1].startswith(f"OK     {JUAN_FILE}: cliente #1, 5 agregados")
    assert lines[2].startswith("ERROR  Chat de WhatsApp con Lucía.txt") and "binario" in lines[2]
    assert lines[3] == "3 archivos, 2 con error, 5 mensajes agregados."
    row = db.read(lambda c: c.execute(sa.select(_imp)).one(), shop_url)
    assert (row.Via, row.ImportedByName) == ("cli", "Operador")
    out = io.StringIO()
    import_chats(folder, "FastService", by="Operador", dry_run=False, customer_id=None, url=shop_url, out=out)
    assert out.getvalue().splitlines()[1].startswith("YA ESTABA")
    out = io.StringIO()
    import_chats(folder, "Taller", by="Operador", dry_run=False, customer_id=1, url=shop_url, out=out)
    assert "--shop no es ninguno de los participantes del chat (Juan Pérez, FastService)." in out.getvalue()
    assert len(imported(shop_url)) == 5


def test_imported_history_never_opens_the_24_hour_window(db_url: str) -> None:
    """Meta's window counts messages to the business number; an export may come from another phone."""
    from shared import reply_context

    now = datetime.now(UTC)
    assert demo.load(db_url, now=now)
    local = now.astimezone(ZoneInfo(chat_export.TIME_ZONE))
    line = f"{local:%d/%m/%y, %H:%M} - Sofía Martínez: ¿está lista?\n{local:%d/%m/%y, %H:%M} - Taller: sí\n"
    history_import.import_export("Chat de WhatsApp con +54 9 11 4444-3333.txt", line.encode(),
                                 shop_participant="Taller", order_id=8, url=db_url)
    assert len(imported(db_url)) == 2
    context = reply_context.for_order(8, db_url)
    assert context.window.open is False and context.window.last_inbound_at is None


def test_long_texts_are_cut_as_live_ones_are_and_flagged(shop_url: str) -> None:
    long = "a" * 5000
    data = f"5/3/24, 10:00 - Juan Pérez: {long}\n5/3/24, 10:01 - FastService: corto\n".encode()
    history_import.import_export("chat.txt", data, shop_participant="FastService", customer_id=1, url=shop_url)
    stored = imported(shop_url)
    assert [(len(r.Content), r.TextTruncated) for r in stored] == [(4096, True), (5, False)]


# --- generated exports (hypothesis, on the parser's generator) ----------------------------------------

@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=exports(safe_lines))
def test_generated_exports_import_every_message_once_in_any_variant(
        shop_url: str, case: tuple[chat_export.Variant, list[chat_export.ChatMessage]]) -> None:
    """Every authored message is stored once, on its side, with its text; the same chat rendered by the
    other platform (another file, another hash) adds nothing; a refused file stores nothing."""
    db.write(lambda c: (c.execute(_m.delete().where(_m.c.Source == "import")), c.execute(_imp.delete())), shop_url)
    variant, messages = case
    data = chat_export.render(messages, variant).encode()
    try:
        parsed = history_import.read("chat.txt", data)
    except history_import.InvalidExport:
        event("refused whole")
        with pytest.raises(history_import.InvalidExport):
            history_import.import_export("chat.txt", data, shop_participant="x", customer_id=1, url=shop_url)
        assert imported(shop_url) == []
        return
    authored = parsed.authored
    event("imported")
    shop = authored[0].author
    result = history_import.import_export("chat.txt", data, shop_participant=shop, customer_id=1, url=shop_url)
    assert result["addedNow"] == len(authored) and result["duplicatesOfLive"] == 0
    stored = imported(shop_url)
    expected = sorted((("outbound" if m.author == shop else "inbound"), m.text or "") for m in authored)
    assert sorted((r.Direction, (r.MediaCaption if r.MessageType != "text" else r.Content) or "")
                  for r in stored) == expected
    other = (chat_export.Variant(chat_export.Platform.ANDROID, twelve_hour=False)
             if variant.platform is chat_export.Platform.IOS
             else chat_export.Variant(chat_export.Platform.IOS, twelve_hour=True, four_digit_year=True))
    again = history_import.import_export("chat-2.txt", chat_export.render(parsed.export.messages, other).encode(),
                                         shop_participant=shop, customer_id=1, url=shop_url)
    assert again["addedNow"] == 0 and again["alreadyStored"] == len(authored)
    assert len(imported(shop_url)) == len(authored)


def test_a_message_acs_delivers_after_it_was_imported_is_kept_once_the_live_one(shop_url: str) -> None:
    """Event Grid redelivers for 24 hours: an export taken meanwhile may hold a message before ACS's copy
    is stored. The live copy (with WhatsApp's id) stays; the imported one goes; importing again adds nothing."""
    from devkit import acs_events
    from shared import ingest

    first = history_import.import_export(JUAN_FILE, JUAN, shop_participant="FastService", url=shop_url)
    assert first["addedNow"] == 5
    late = acs_events.received("5491155551234", content="Hola,  tengo una tele que no prende",
                               when=datetime(2024, 2, 1, 13, 0, 41))
    assert ingest.ingest_event(late, shop_url).outcome == "stored"
    texts = [r.Content for r in rows(shop_url, _m.c.ClienteId == 1, _m.c.WhatsAppTimestamp < datetime(2024, 3, 1))]
    assert texts.count("Hola, tengo una tele que no prende") == 0  # the imported copy is gone
    assert texts.count("Hola,  tengo una tele que no prende") == 1  # the live one stays
    row = db.read(lambda c: c.execute(sa.select(_imp)).one(), shop_url)
    assert (row.MessagesImported, row.DuplicatesOfLive) == (4, 5)
    other = "Chat de WhatsApp con +54 9 11 5555-1234 (1).txt"
    again = history_import.import_export(other, JUAN + b"\n", shop_participant="FastService", url=shop_url)
    assert again["addedNow"] == 0 and again["duplicatesOfLive"] == 5
    # a live message newer than anything imported costs no look-up and drops nothing
    fresh = acs_events.received("5491155551234", content="Hola, tengo una tele que no prende")
    assert ingest.ingest_event(fresh, shop_url).outcome == "stored"
    assert len(imported(shop_url)) == 4


def test_a_phone_staff_assigned_in_the_inbox_finds_its_customer(shop_url: str) -> None:
    """The chat's phone is nobody's in FastService, but a person decided in the inbox whose it is."""
    from shared import triage

    data = b"5/3/24, 10:00 - Cliente: hola\n5/3/24, 10:01 - FastService: hola!\n"
    name = "Chat de WhatsApp con +54 9 11 8765-4321.txt"
    with pytest.raises(history_import.CustomerNotIdentified):
        history_import.import_export(name, data, shop_participant="FastService", url=shop_url)
    triage.assign("phone:541187654321", customer_id=3, url=shop_url)  # the matching key (Argentina: no 9)
    result = history_import.import_export(name, data, shop_participant="FastService", url=shop_url)
    assert result["customerId"] == 3 and result["addedNow"] == 2


def test_a_zip_exports_photo_is_stored_and_shown_in_the_thread(shop_url: str, media_env: Any) -> None:
    """Issue 16 + 19: the photo in the .zip streams into Blob Storage (checked as a download is); a fake "photo"
    is refused with its reason; an attachment the zip lacks gets no media row."""
    from devkit.demo_media import CRACKED_SCREEN_JPEG
    from shared import conversation, media_storage

    chat = ("\u200e[17/3/24, 10:00:12] Juan Pérez: \u200e<adjunto: 00000002-PHOTO-2024-03-17-10-00-12.jpg>\n"
            "\u200e[17/3/24, 10:01:12] Juan Pérez: \u200e<adjunto: 00000003-PHOTO-2024-03-17-10-01-12.jpg>\n"
            "\u200e[17/3/24, 10:01:30] Juan Pérez: \u200e<adjunto: 00000004-PHOTO-2024-03-17-10-01-30.jpg>\n"
            "[17/3/24, 10:02:00] FastService: Recibido\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("_chat.txt", chat)
        archive.writestr("00000002-PHOTO-2024-03-17-10-00-12.jpg", CRACKED_SCREEN_JPEG)
        archive.writestr("00000003-PHOTO-2024-03-17-10-01-12.jpg", b"<html>not a photo</html>")
    name = "Chat de WhatsApp - Juan Pérez.zip"
    first = history_import.import_export(name, buffer.getvalue(), shop_participant="FastService", order_id=1,
                                         url=shop_url)
    assert first["attachments"] == {"stored": 1, "failed": 1, "pending": 0}  # what the panel tells staff
    md = schema.media
    stored = db.read(lambda c: c.execute(sa.select(md, _m.c.MediaFileName).join(_m, _m.c.Id == md.c.MessageId)
                                         .where(md.c.Source == "export").order_by(md.c.Id)).all(), shop_url)
    assert [(r.MediaFileName, r.State, r.Kind) for r in stored] == [
        ("00000002-PHOTO-2024-03-17-10-00-12.jpg", "stored", "image"),
        ("00000003-PHOTO-2024-03-17-10-01-12.jpg", "failed", "image")]
    photo, fake = stored
    assert photo.ContentType == "image/jpeg" and photo.SizeBytes == len(CRACKED_SCREEN_JPEG)
    assert fake.Reason and not fake.SizeBytes
    assert media_storage.existing(photo.BlobName) is not None
    thread = conversation.order_messages(1, limit=100, url=shop_url)
    [shown] = [m for m in thread["messages"] if m.get("media") and m["media"].get("id") == photo.Id]
    assert shown["media"]["state"] == "stored" and shown["media"]["url"] == f"/api/whatsapp/media/{photo.Id}"
    again = history_import.import_export(name, buffer.getvalue(), shop_participant="FastService", order_id=1,
                                         url=shop_url)
    assert again["alreadyImported"] and len(db.read(lambda c: c.execute(
        sa.select(md.c.Id).where(md.c.Source == "export")).all(), shop_url)) == 2  # once
    assert again["attachments"] == first["attachments"]


def test_attachments_storage_could_not_take_are_reported_pending_and_stored_by_importing_again(
        shop_url: str, media_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from devkit.demo_media import CRACKED_SCREEN_JPEG
    from shared import media_storage

    chat = ("\u200e[17/3/24, 10:00:12] Juan Pérez: \u200e<adjunto: 00000002-PHOTO-2024-03-17-10-00-12.jpg>\n"
            "[17/3/24, 10:02:00] FastService: Recibido\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("_chat.txt", chat)
        archive.writestr("00000002-PHOTO-2024-03-17-10-00-12.jpg", CRACKED_SCREEN_JPEG)
    name = "Chat de WhatsApp - Juan Pérez.zip"
    monkeypatch.setenv("MEDIA_STORAGE", "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey="
                       "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
                       "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;")
    media_storage.reset_clients()
    down = history_import.import_export(name, buffer.getvalue(), shop_participant="FastService", order_id=1,
                                        url=shop_url)
    assert down["addedNow"] == 2 and down["attachments"] == {"stored": 0, "failed": 0, "pending": 1}
    monkeypatch.setenv("MEDIA_STORAGE", media_env.connection_string)
    media_storage.reset_clients()
    again = history_import.import_export(name, buffer.getvalue(), shop_participant="FastService", order_id=1,
                                         url=shop_url)
    assert again["alreadyImported"] and again["attachments"] == {"stored": 1, "failed": 0, "pending": 0}


# --- opt-outs in the imported history -----------------------------------------------------------

def _export(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_a_baja_in_the_imported_history_is_an_opt_out_dated_when_it_was_written(shop_url: str) -> None:
    from shared import consent

    c = schema.consent
    consent_rows = lambda: db.read(lambda conn: conn.execute(sa.select(c).order_by(c.c.Id)).all(), shop_url)  # noqa: E731
    current = lambda: db.read(lambda conn: consent.current(conn, 1, "541155551234"), shop_url)  # noqa: E731
    # staff recorded an opt-in on 2024-02-15; the chat has an older "BAJA" (2024-02-01) that must not outrank it
    db.write(lambda conn: consent.record(conn, state_=consent.OPTED_IN, source="staff", customer_id=1,
                                         phone_key="541155551234", evidence="firmó la orden",
                                         at=datetime(2024, 2, 15, 12, 0)), shop_url)
    older = _export("1/2/24, 10:00 - Juan Pérez: Hola, por favor BAJA", "1/2/24, 10:05 - FastService: Listo Juan",
                    "2/2/24, 11:00 - Juan Pérez: ¿puedo dar de baja la garantía?")
    history_import.import_export(JUAN_FILE, older, shop_participant="FastService", url=shop_url)
    recorded = consent_rows()
    assert [(r.State, r.Source, r.Evidence) for r in recorded] == [
        ("opted_in", "staff", "firmó la orden"), ("opted_out", "import", "Hola, por favor BAJA")]  # not the question
    assert recorded[1].At == datetime(2024, 2, 1, 13, 0) and recorded[1].MessageId is not None
    assert current().state == "opted_in"  # the later opt-in still decides
    # the same file again stores nothing and records nothing
    history_import.import_export(JUAN_FILE, older, shop_participant="FastService", url=shop_url)
    assert len(consent_rows()) == 2
    # a "BAJA" written after the opt-in stops notifications
    later = _export("1/3/24, 08:00 - FastService: Juan, tu tele está lista",
                    "1/3/24, 09:00 - Juan Pérez: No me manden más mensajes, gracias")
    history_import.import_export(JUAN_FILE, later, shop_participant="FastService", url=shop_url)
    now = current()
    assert (now.state, now.source, now.at) == ("opted_out", "import", datetime(2024, 3, 1, 12, 0))
