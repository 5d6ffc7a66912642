"""sql/ (what production runs) agrees with shared/schema.py (what the app queries and SQLite creates)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mssql

from shared import schema
from tests.conftest import ROOT, example, example_names

SQL = ROOT / "sql"
_CREATE_TABLE = re.compile(r"CREATE TABLE \[dbo\]\.\[(\w+)\] \((.*?)\n    \);", re.S)
_COLUMN = re.compile(r"^\s*\[(\w+)\] ([A-Za-z0-9_(), ]+?)( IDENTITY\(1,1\))? (NOT NULL|NULL),?$")
_PK = re.compile(r"CONSTRAINT \[PK_(\w+)\] PRIMARY KEY \(([^)]*)\)")
_ADD_COLUMN = re.compile(r"ALTER TABLE \[dbo\]\.\[(\w+)\] ADD "
                         r"(\[\w+\] [A-Za-z0-9(), ]+?(?: NOT NULL| NULL)(?: CONSTRAINT \[\w+\] DEFAULT [^;]+)?);")
_ALTER_COLUMN = re.compile(r"ALTER TABLE \[dbo\]\.\[(\w+)\] ALTER COLUMN "
                           r"(\[\w+\] [A-Za-z0-9_(), ]+? (?:NOT NULL|NULL));")
_INDEX = re.compile(r"CREATE (UNIQUE )?INDEX \[(\w+)\] ON \[dbo\]\.\[(\w+)\] \(([^)]*)\)(?: WHERE ([^;]+))?;")


def _names(text: str) -> list[str]:
    return re.findall(r"\[(\w+)\]", text)


def parse_scripts() -> dict[str, dict[str, Any]]:
    tables: dict[str, dict[str, Any]] = {}
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SQL.glob("0*.sql")))
    for name, body in _CREATE_TABLE.findall(text):
        columns = {}
        for line in body.splitlines():
            if m := _COLUMN.match(line):
                columns[m.group(1)] = (m.group(2).strip(), m.group(4) == "NULL", bool(m.group(3)))
        pk = _PK.search(body)
        tables[name] = {"columns": columns, "pk": _names(pk.group(2)) if pk else [], "indexes": {}}
    for table, definition in _ADD_COLUMN.findall(text):  # columns added by a later migration
        m = _COLUMN.match(re.sub(r" CONSTRAINT \[\w+\] DEFAULT .*$", "", definition))
        assert m, definition
        tables[table]["columns"][m.group(1)] = (m.group(2).strip(), m.group(4) == "NULL", bool(m.group(3)))
    for table, definition in _ALTER_COLUMN.findall(text):  # a later migration's new type or collation
        m = _COLUMN.match(definition)
        assert m and m.group(1) in tables[table]["columns"], definition
        tables[table]["columns"][m.group(1)] = (m.group(2).strip(), m.group(4) == "NULL", bool(m.group(3)))
    for unique, index, table, cols, where in _INDEX.findall(text):
        tables[table]["indexes"][index] = (bool(unique), _names(cols), where or None)
    return tables


def test_scripts_create_exactly_the_whatsapp_tables() -> None:
    assert set(parse_scripts()) == {t.name for t in schema.metadata.sorted_tables}
    legacy_names = {t.name for t in schema.legacy.sorted_tables}
    for script in SQL.glob("0*.sql"):
        text = script.read_text(encoding="utf-8")
        for name in legacy_names:
            assert not re.search(rf"(ALTER|DROP|CREATE) TABLE \[dbo\]\.\[{name}\]", text), script.name


@pytest.mark.parametrize("table", schema.metadata.sorted_tables, ids=lambda t: t.name)
def test_columns_types_nullability_keys_and_indexes_agree(table: sa.Table) -> None:
    scripted = parse_scripts()[table.name]
    dialect = mssql.dialect()
    expected = {c.name: (c.type.compile(dialect=dialect), c.nullable,
                         bool(c.primary_key and c.autoincrement is True)) for c in table.columns}
    assert scripted["columns"] == expected
    assert scripted["pk"] == [c.name for c in table.primary_key.columns]
    assert scripted["indexes"] == {i.name: (bool(i.unique), [c.name for c in i.columns], _where(i))
                                   for i in table.indexes}


def _where(index: sa.Index) -> str | None:
    """A filtered index's condition as SQL Server reads it (the script must say the same; SQLite gets the
    same condition from shared/schema.py)."""
    where = index.dialect_options["mssql"]["where"]
    if where is None:
        return None
    assert index.dialect_options["sqlite"]["where"] is where  # one condition for both engines
    return str(where.compile(dialect=mssql.dialect(), compile_kwargs={"include_table": False}))


_GUARDS = ("IF OBJECT_ID", "IF NOT EXISTS", "IF COL_LENGTH", "IF EXISTS (SELECT 1 FROM sys.")


def test_scripts_are_idempotent_by_construction() -> None:
    """Every CREATE and INSERT is guarded by an existence check, so a second run changes nothing."""
    for script in SQL.glob("0*.sql"):
        lines = script.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if re.match(r"\s*(CREATE|INSERT|ALTER TABLE)", line):
                guard = lines[i - 1].strip()
                assert guard.startswith(_GUARDS), f"{script.name}:{i + 1}"


def test_the_embedded_migration_adds_columns_a_later_script_adds(db_url: str) -> None:
    """A database created before a column existed gets it from ``migrate`` (SQL Server: ALTER TABLE ADD)."""
    from shared import db, migrate

    db.write(lambda c: c.exec_driver_sql('ALTER TABLE "WhatsAppSyncLog" DROP COLUMN "ErrorMessage"'), db_url)
    migrate.migrate(db_url)
    columns = db.read(lambda c: [col["name"] for col in sa.inspect(c).get_columns("WhatsAppSyncLog")], db_url)
    assert "ErrorMessage" in columns
    assert db.read(migrate.add_missing_columns, db_url) == []  # nothing left to add


def test_whatsapp_resumen_row_script() -> None:
    text = (SQL / "002_tiponovedad_whatsapp_resumen.sql").read_text(encoding="utf-8")
    assert f"N'{schema.WHATSAPP_RESUMEN}'" in text
    assert f"N'{schema.WHATSAPP_RESUMEN_DESCRIPCION}'" in text


def test_every_statement_the_app_issues_compiles_for_sql_server(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMMARY_QUIET_MINUTES", "0")
    from devkit import acs_events, demo
    from shared import (
        agent_tools,
        conversation,
        db,
        health,
        history_import,
        identity,
        ingest,
        message_store,
        order_view,
        summaries,
        sync,
    )
    from shared.errors import NoUsablePhone
    export = ROOT / "tests" / "data" / "chat-exports" / "import" / "Chat de WhatsApp con +54 9 11 5555-1234.txt"

    issued: list[Any] = []

    def record(conn: Any, clauseelement: Any, multiparams: Any, params: Any, execution_options: Any) -> None:
        issued.append(clauseelement)

    sa.event.listen(sa.engine.Engine, "before_execute", record)
    try:
        demo.load(db_url)
        for name in example_names():
            ingest.ingest_event(example(name), db_url)
        identity.reindex_all(db_url)
        health.check(db_url)
        sync.sync_order(5, db_url)
        with pytest.raises(NoUsablePhone):
            sync.sync_order(11, db_url)
        first = conversation.order_messages(1, 2, None, db_url)
        conversation.order_messages(1, 2, first["nextCursor"], db_url)
        order_view.order_whatsapp(1, db_url)
        summaries.run_batch(db_url)  # candidates, leases, novedades, watermarks
        agent_tools.get_messages(phone_number="11-5555-1234", url=db_url)
        agent_tools.get_messages(customer_id=1, url=db_url)
        agent_tools.orders_awaiting_reply(url=db_url)
        ingest.ingest_event(acs_events.status("wamid.compile", "Sent", to="5491155551234"), db_url)
        db.write(lambda c: message_store.record_outbound(c, message_id="wamid.compile", phone_e164=None, phone_key=None,
                                                         customer_id=None, order_id=None, content="listo"), db_url)
        ingest.reprocess_quarantined(url=db_url)
        _send_paths(db_url, monkeypatch)
        _inbox_statements(db_url)
        history_import.preview(export.name, export.read_bytes(), url=db_url)
        history_import.import_export(export.name, export.read_bytes(), shop_participant="FastService", order_id=1,
                                     url=db_url)
        history_import.import_export(export.name, export.read_bytes(), shop_participant="FastService", url=db_url)
        ingest.ingest_event(acs_events.received("5491155551234", content="Hola, tengo una tele que no prende",
                                                when=datetime(2024, 2, 1, 13, 0)), db_url)  # an imported twin
    finally:
        sa.event.remove(sa.engine.Engine, "before_execute", record)
    statements = [s for s in issued if isinstance(s, sa.sql.ClauseElement)]
    assert len(statements) > 50
    dialect = mssql.dialect()
    kinds = set()
    for statement in statements:
        compiled = str(statement.compile(dialect=dialect))
        kinds.add(compiled.split(maxsplit=1)[0])
        assert "LIMIT" not in compiled  # SQL Server has TOP / OFFSET FETCH, not LIMIT
        assert not re.search(r" IS (NOT )?(1|0|true|false)\b", compiled)  # no boolean IS on SQL Server
    assert {"SELECT", "INSERT", "UPDATE", "DELETE"} <= kinds



def _send_paths(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every statement of sending (issue 15): templates sync and filling, sends and their outcomes,
    reconciliation, the timer, proposals."""
    import json

    from devkit import acs_events
    from shared import acs_client, ingest, outbox, proposals, replies, templates
    from shared.staff import Staff

    body = [{"type": "BODY", "text": "Hola {{1}}, tu equipo (orden {{2}}) está listo."}]
    monkeypatch.setattr(acs_client, "list_templates", lambda channel: iter([
        acs_client.ListedTemplate("equipo_listo_para_retirar", "es_AR", "approved", body)]))
    templates.sync(url)
    templates.sync(url)  # the update path
    staff = Staff("s", "S")
    outcomes = iter([acs_client.Accepted("wamid.c1"), acs_client.Unknown("t"), acs_client.RetryLater(60, 429),
                     acs_client.Rejected("131026"), acs_client.Accepted("wamid.c3")])
    for n in range(4):
        request = replies.parse_send_body(json.dumps({"clientRequestId": f"c{n}", "text": "hola"}).encode())
        replies.send(2, request, staff, url, sender=lambda row: next(outcomes))
    replies.send(2, replies.parse_send_body(b'{"clientRequestId": "c0", "text": "hola"}'), staff, url)
    ingest.ingest_event(acs_events.status("wamid.c2", "Sent", to="5491144445678"), url)
    replies.order_templates(1, url)
    replies.order_outbox(2, url)
    outbox.drain(url, sender=lambda row: next(outcomes))
    made = proposals.propose(2, "borrador", None, url)
    proposals.pending(2, url)
    proposals.send(2, made["id"], {"clientRequestId": "p1"}, staff, url,
                   sender=lambda row: acs_client.Accepted("wamid.p1"))
    proposals.discard(2, proposals.propose(2, None, "saludo", url)["id"], staff, url)


def _inbox_statements(url: str) -> None:
    """Every statement of the inbox and its decisions (issue 17), on the demo data."""
    from devkit import acs_events
    from shared import inbox, ingest, triage

    for tab in inbox.TABS:
        first = inbox.listing(tab, None, 1, url)
        if first["nextCursor"]:
            inbox.listing(tab, first["nextCursor"], 1, url)
    inbox.counts(url)
    (ambiguous,) = inbox.listing("ambiguous", url=url)["items"]
    decision = triage.assign(ambiguous["sender"], customer_id=ambiguous["candidates"][0]["customerId"], url=url)
    ingest.ingest_event(acs_events.received("5491122223333", content="de nuevo"), url)
    inbox.messages(customer_id=decision["customerId"], url=url)
    triage.history(sender=ambiguous["sender"], url=url)
    triage.undo(decision["id"], None, url)
    unassigned = inbox.listing("unassigned", url=url)["items"][0]
    inbox.messages(sender=unassigned["sender"], url=url)
    proposal = triage.propose(unassigned["sender"], 1, None, "x", url)
    triage.confirm_proposal(proposal["id"], None, url)
    ingest.ingest_event(acs_events.received("5491133332222", content="¿y la tablet?"), url)  # two open orders
    customer = next(i for i in inbox.listing("multiple_orders", url=url)["items"] if i["openOrders"])
    orders = [o["orderId"] for o in customer["openOrders"]]
    moved = triage.move(customer["customerId"], orders[0], customer["lastMessage"]["id"], url=url)
    triage.undo(moved["id"], None, url)


def test_the_grant_script_covers_every_table_the_app_touches_and_nothing_more() -> None:
    """A new table must be granted (and checked for) in 900_grant_managed_identity.sql."""
    text = (SQL / "900_grant_managed_identity.sql").read_text(encoding="utf-8")
    granted = {table: rights for rights, table in
               re.findall(r"GRANT ([A-Z, ]+) ON OBJECT::dbo\.(\w+) TO \[\$\(IdentityName\)\];", text)}
    ours = {t.name for t in schema.metadata.sorted_tables}
    assert set(granted) == ours | {"Cliente", "Reparacion", "Novedad", "TipoNovedad", "EstadoReparacion"}
    assert {granted[t] for t in ours} == {"SELECT, INSERT, UPDATE, DELETE"}
    assert granted["Novedad"] == "SELECT, INSERT"  # FastService's tables: read, and write only summaries
    assert {granted[t] for t in ("Cliente", "Reparacion", "TipoNovedad", "EstadoReparacion")} == {"SELECT"}
    checked = set(re.findall(r"\(N'(\w+)'\)", text))
    assert checked == set(granted)  # the script refuses to run while any of them is missing
    # a user left by an earlier identity of the same name (another SID) is replaced
    assert "sid <> CAST(CAST(N'$(IdentityClientId)' AS uniqueidentifier) AS varbinary(16))" in text


def test_the_grant_script_refuses_to_run_while_a_migration_is_missing() -> None:
    """900 checks every version the numbered scripts insert; the highest is the app's SCHEMA_VERSION."""
    inserted = [int(v) for script in sorted(SQL.glob("0*.sql")) for v in re.findall(
        r"INSERT INTO \[dbo\]\.\[WhatsAppSchemaVersion\][^;]*?VALUES \((\d+),", script.read_text(encoding="utf-8"),
        re.S)]
    assert len(inserted) == len(set(inserted)), "two scripts insert the same version"
    assert max(inserted) == schema.SCHEMA_VERSION
    text = (SQL / "900_grant_managed_identity.sql").read_text(encoding="utf-8")
    listed = re.search(r"FROM \(VALUES\s*([\d(), \n]+?)\s*\) AS v\(Version\)", text)
    assert listed, "900 must list the schema versions it requires"
    assert sorted(int(v) for v in re.findall(r"\d+", listed.group(1))) == sorted(inserted)
    assert "THROW 50002" in text


def test_staff_columns_come_with_migration_004() -> None:
    text = (SQL / "004_whatsapp_synclog_staff.sql").read_text(encoding="utf-8")
    for column in ("StaffId", "StaffName"):
        assert f"IF COL_LENGTH(N'dbo.WhatsAppSyncLog', N'{column}') IS NULL" in text
        assert column in schema.sync_log.c


def test_identifier_columns_compare_exactly_on_sql_server() -> None:
    """Message keys, message ids, event ids and BSUIDs carry a binary collation in the DDL (sql/003 and
    schema.py agree through the column test above); FastService's own collation is case-insensitive."""
    identifiers = {("WhatsAppMessage", "MessageKey"), ("WhatsAppMessage", "WhatsAppMessageId"),
                   ("WhatsAppMessage", "EventId"), ("WhatsAppMessage", "Bsuid"), ("WhatsAppMessage", "MediaId"),
                   ("WhatsAppMessage", "ReplyToMessageId"), ("WhatsAppMessage", "ReactionMessageId"),
                   ("WhatsAppMessageStatus", "WhatsAppMessageId"), ("WhatsAppMessageStatus", "EventId"),
                   ("WhatsAppBsuid", "Bsuid"), ("WhatsAppQuarantine", "EventId")}
    scripted = parse_scripts()
    for table, column in identifiers:
        assert scripted[table]["columns"][column][0].endswith(f"COLLATE {schema.BINARY_COLLATION}"), (table, column)
    text = (SQL / "003_identifiers_binary_text_truncated.sql").read_text(encoding="utf-8")
    for table, column in identifiers:  # statistics on each are dropped before its ALTER COLUMN
        assert f"(N'{table}', N'{column}')" in text
    # every index or key on a changed column is dropped first and made again after
    for index in ("UX_WhatsAppMessage_MessageKey", "IX_WhatsAppMessage_WhatsAppMessageId", "IX_WhatsAppMessage_Bsuid"):
        assert text.index(f"DROP INDEX [{index}]") < text.index(f"CREATE UNIQUE INDEX [{index}]" if index[0] == "U"
                                                                 else f"CREATE INDEX [{index}]")
    for key in ("PK_WhatsAppMessageStatus", "PK_WhatsAppBsuid"):
        assert text.index(f"DROP CONSTRAINT [{key}]") < text.index(f"ADD CONSTRAINT [{key}] PRIMARY KEY")


def test_media_send_columns_come_with_migration_010() -> None:
    """The outbox's media columns are added to an existing table, each guarded, with their own version (9)."""
    text = (SQL / "010_outbox_media.sql").read_text(encoding="utf-8")
    media_columns = [c.name for c in schema.outbox.columns if c.name.startswith("Media")]
    assert len(media_columns) == 5
    for column in media_columns:
        assert f"IF COL_LENGTH(N'dbo.WhatsAppOutbox', N'{column}') IS NULL" in text
        assert column not in (SQL / "005_outbox.sql").read_text(encoding="utf-8")
    assert re.search(r"WHERE \[Version\] = 9\)", text)
