"""Data access: SQLite settings, transient-fault retry, the typed 'retry later' error, Entra tokens."""

from __future__ import annotations

import sqlite3
import struct
import threading
import time
from typing import Any

import pyodbc
import pytest
import sqlalchemy as sa

from shared import db, migrate, schema


def test_sqlite_runs_wal_with_foreign_keys_and_busy_timeout(db_url: str) -> None:
    def pragmas(conn: sa.Connection) -> tuple[Any, ...]:
        return tuple(conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in
                     ("journal_mode", "foreign_keys", "busy_timeout"))
    assert db.read(pragmas, db_url) == ("wal", 1, 2000)


def test_migrate_is_idempotent_and_creates_everything(db_url: str) -> None:
    assert migrate.migrate(db_url) == schema.SCHEMA_VERSION
    names = set(sa.inspect(db.engine(db_url)).get_table_names())
    assert {t.name for t in schema.legacy.sorted_tables} <= names
    assert {t.name for t in schema.metadata.sorted_tables} <= names
    count = db.read(lambda c: c.execute(sa.select(sa.func.count()).select_from(schema.tipo_novedad)
                                        .where(schema.tipo_novedad.c.nombre == "WhatsApp Resumen")).scalar(),
                    db_url)
    assert count == 1


def _hold_write_lock(path: str, seconds: float, locked: threading.Event) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    locked.set()
    time.sleep(seconds)
    conn.execute("ROLLBACK")
    conn.close()


def _insert_state(conn: sa.Connection) -> None:
    conn.execute(schema.state.insert().values(Name="x", Value="1", UpdatedAt=db.utcnow()))


def test_migrate_brings_an_earlier_embedded_database_to_todays_indexes(db_url: str) -> None:
    """A database made before the summary watermark became (last id, count) gets the new unique index."""
    db.write(lambda c: (c.exec_driver_sql('DROP INDEX "UX_WhatsAppSummary_Watermark"'),
                        c.exec_driver_sql('CREATE UNIQUE INDEX "UX_WhatsAppSummary_ReparacionId_LastMessageId" '
                                          'ON "WhatsAppSummary" ("ReparacionId", "LastMessageId")')), db_url)
    migrate.migrate(db_url)
    indexes = db.read(lambda c: {i["name"]: i["column_names"] for i in sa.inspect(c).get_indexes("WhatsAppSummary")},
                      db_url)
    assert indexes == {"UX_WhatsAppSummary_Watermark": ["ReparacionId", "LastMessageId", "MessageCount"]}


def test_locked_database_is_retried_until_it_frees(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_RETRY_SECONDS", "8")
    locked = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(db_url.removeprefix("sqlite:///"), 2.5, locked))
    holder.start()
    locked.wait()
    db.write(_insert_state, db_url)  # busy_timeout (2 s) expires once, the retry then succeeds
    holder.join()
    assert db.read(lambda c: c.execute(sa.select(schema.state.c.Value)).scalar(), db_url) == "1"


def test_locked_past_the_budget_raises_database_unavailable(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_RETRY_SECONDS", "0.5")
    locked = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(db_url.removeprefix("sqlite:///"), 4, locked))
    holder.start()
    locked.wait()
    with pytest.raises(db.DatabaseUnavailable) as info:
        db.write(_insert_state, db_url)
    holder.join()
    assert info.value.retry_after >= 1


def test_unreachable_database_is_unavailable_not_a_crash(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_RETRY_SECONDS", "0.2")
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    url = f"sqlite:///{blocker}/db.sqlite"  # the parent is a file: sqlite cannot open it
    with pytest.raises((db.DatabaseUnavailable, OSError)):
        db.read(lambda c: c.execute(sa.text("select 1")).scalar(), url)
    db.dispose_all()


def test_programming_errors_are_not_retried(db_url: str) -> None:
    calls = 0

    def broken(conn: sa.Connection) -> None:
        nonlocal calls
        calls += 1
        conn.execute(sa.text("select * from NoSuchTable"))

    with pytest.raises(sa.exc.OperationalError):
        db.write(broken, db_url)
    assert calls == 1


@pytest.mark.parametrize(("error", "transient"), [
    (pyodbc.OperationalError("08S01", "[08S01] [Microsoft][ODBC Driver 18] Communication link failure (10054)"), True),
    (pyodbc.ProgrammingError("42000", "[42000] Database 'fs' on server is not currently available (40613)"), True),
    (pyodbc.Error("40001", "[40001] Transaction was deadlocked (1205) (SQLExecDirectW)"), True),
    (pyodbc.OperationalError("HYT00", "[HYT00] Login timeout expired (0)"), True),
    (pyodbc.IntegrityError("23000", "[23000] Cannot insert duplicate key row (2601)"), False),
    (pyodbc.ProgrammingError("42S02", "[42S02] Invalid object name 'X'. (208)"), False),
    (sqlite3.OperationalError("database is locked"), True),
    (sqlite3.OperationalError("no such table: X"), False),
    (ValueError("database is locked"), False),
])
def test_transient_classification(error: Exception, transient: bool) -> None:
    assert db.is_transient(error) is transient
    wrapped = sa.exc.OperationalError("stmt", {}, error)
    assert db.is_transient(wrapped) is transient


def test_an_exhausted_connection_pool_is_transient() -> None:
    """Every pooled connection busy (a burst of deliveries): retry, never quarantine the event."""
    assert db.is_transient(sa.exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"))


def test_sql_server_connections_carry_an_entra_token(monkeypatch: pytest.MonkeyPatch) -> None:
    class Credential:
        def __init__(self) -> None:
            self.scopes: list[str] = []

        def get_token(self, scope: str) -> Any:
            self.scopes.append(scope)
            return type("T", (), {"token": "eyJ.token"})()

    credential = Credential()
    monkeypatch.setattr(db, "_credential", lambda: credential)
    monkeypatch.setenv("DATABASE_AUTH", "auto")
    eng = db._create_engine("mssql+pyodbc://@srv.database.windows.net/fs?driver=ODBC+Driver+18+for+SQL+Server")
    cparams: dict[str, Any] = {"user": "u", "password": "p"}
    eng.dialect.dispatch.do_connect(eng.dialect, None, [], cparams)
    token = "eyJ.token".encode("utf-16-le")
    assert cparams["attrs_before"][1256] == struct.pack(f"<I{len(token)}s", len(token), token)
    assert "user" not in cparams and "password" not in cparams
    assert credential.scopes == ["https://database.windows.net/.default"]


def test_sql_server_url_with_password_uses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "_credential", lambda: pytest.fail("no token wanted"))
    monkeypatch.setenv("DATABASE_AUTH", "auto")
    eng = db._create_engine("mssql+pyodbc://sa:secret@localhost/fs?driver=ODBC+Driver+18+for+SQL+Server")
    cparams: dict[str, Any] = {}
    eng.dialect.dispatch.do_connect(eng.dialect, None, [], cparams)
    assert "attrs_before" not in cparams
