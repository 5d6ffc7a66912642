"""Faults of the database under a running app (issue 13, items 4, 5 and 8): a deleted or replaced
SQLite file, a read-only file, a lock held past the budget, and a batch under a held lock."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from devkit import acs_events
from shared import db, health, ingest, retry, schema

JUAN = "5491155551234"


def _path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def _remove(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def _stored(url: str) -> int:
    return int(db.read(lambda c: c.execute(sa.select(sa.func.count()).select_from(schema.message)).scalar_one(), url))


def test_a_deleted_database_file_fails_writes_as_transient_and_health_says_so(db_url: str) -> None:
    assert ingest.ingest_event(acs_events.received(JUAN, content="antes"), db_url).outcome == "stored"
    _remove(_path(db_url))
    with pytest.raises(db.DatabaseUnavailable) as info:  # transient: the trigger raises, Event Grid redelivers
        ingest.ingest_event(acs_events.received(JUAN, content="después"), db_url)
    assert info.value.reason == db.FILE_MISSING
    report = health.check(db_url)
    assert report["status"] == "unavailable"
    assert "deleted" in report["database"]["error"]


def test_a_replaced_database_file_is_noticed(db_url: str, tmp_path: Path) -> None:
    assert ingest.ingest_event(acs_events.received(JUAN, content="uno"), db_url).outcome == "stored"
    copy = tmp_path / "copy.db"
    shutil.copyfile(_path(db_url), copy)
    os.replace(copy, _path(db_url))  # same path, another file (a restored backup, a second setup)
    assert db.file_problem(db_url) == db.FILE_REPLACED
    with pytest.raises(db.DatabaseFileChanged):
        ingest.ingest_event(acs_events.received(JUAN, content="dos"), db_url)
    assert health.check(db_url)["database"]["write"]["error"] == db.FILE_REPLACED
    db.dispose_all()  # what a restart does: the new file is the app's file from now on
    assert ingest.ingest_event(acs_events.received(JUAN, content="dos"), db_url).outcome == "stored"


def test_a_write_to_a_file_unlinked_during_the_transaction_is_not_acknowledged(db_url: str) -> None:
    def unlink_meanwhile(conn: sa.Connection) -> None:
        conn.execute(schema.state.insert().values(Name="x", Value="1", UpdatedAt=db.utcnow()))
        _remove(_path(db_url))

    with pytest.raises(db.DatabaseFileChanged):
        db.write(unlink_meanwhile, db_url)


def test_health_reports_the_write_path_when_all_is_well(db_url: str) -> None:
    report = health.check(db_url)
    assert report["status"] == "ok"
    assert report["database"]["write"]["writable"] is True
    assert db.read(lambda c: c.execute(sa.select(sa.func.count()).select_from(schema.state)).scalar_one(),
                   db_url) == 0  # the probe wrote nothing


@contextmanager
def _write_lock_held(path: str) -> Iterator[None]:
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        locked.set()
        release.wait(60)
        conn.execute("ROLLBACK")
        conn.close()

    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait()
    try:
        yield
    finally:
        release.set()
        holder.join()


def test_health_reports_a_lock_held_past_the_budget(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_RETRY_SECONDS", "0.3")
    health.check(db_url)  # the engine and its pool exist before the lock
    with _write_lock_held(_path(db_url)):
        report = health.check(db_url)
    assert report["status"] == "unavailable"
    assert report["database"]["reachable"] is True  # reads still work under WAL: only the write path says it
    assert report["database"]["write"]["error"] == "locked"


_READ_ONLY_PROBE = """
import json, os, sys
from shared import db, health, migrate  # everything imported first: nobody cannot read the interpreter's files
import sqlalchemy.dialects.sqlite.pysqlite, encodings.idna
db.engine(sys.argv[1])
os.setgid(65534); os.setuid(65534)
print(json.dumps(health.check(sys.argv[1])))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to another user")
def test_health_reports_a_read_only_database(db_url: str, tmp_path: Path) -> None:
    """The file is read-only to the app's user (root ignores permissions, so the check runs as nobody)."""
    db.dispose_all()
    tmp_path.chmod(0o755)
    for name in os.listdir(tmp_path):
        (tmp_path / name).chmod(0o444)
    env = {**os.environ, "DATABASE_URL": db_url}
    out = subprocess.run([sys.executable, "-c", _READ_ONLY_PROBE, db_url], env=env, capture_output=True, text=True,
                         check=False, cwd=Path(__file__).resolve().parent.parent, timeout=60)
    assert out.returncode == 0, out.stderr
    import json

    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["status"] == "unavailable"
    assert report["database"]["write"]["writable"] is False


def test_a_batch_under_a_held_lock_spends_one_budget_not_one_per_event(db_url: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """8 events while another process holds the write lock: the first spends the budget (its busy
    timeouts and retries), the other 7 fail at once as 'retry later'. Counted in transactions begun."""
    monkeypatch.setenv("DB_RETRY_SECONDS", "1")
    db.engine(db_url)
    attempts: list[int] = []
    within_budget = retry.within_budget

    def counted(call: Callable[[float], Any], *args: Any, **kwargs: Any) -> Any:
        def attempt(remaining: float) -> Any:
            attempts[-1] += 1
            return call(remaining)
        return within_budget(attempt, *args, **kwargs)

    monkeypatch.setattr(retry, "within_budget", counted)
    batch = [acs_events.received(JUAN, content=f"mensaje {n}") for n in range(8)]
    outcomes, started = [], time.monotonic()
    with _write_lock_held(_path(db_url)):
        for envelope in batch:
            attempts.append(0)
            try:
                ingest.ingest_event(envelope, db_url)
                outcomes.append("stored")
            except db.DatabaseUnavailable as exc:
                outcomes.append(exc.reason)
        elapsed = time.monotonic() - started
    assert outcomes[0] == "unavailable" and set(outcomes[1:]) == {db.PAUSED}
    assert attempts[0] >= 1 and attempts[1:] == [0] * 7  # no event after the first touches the database
    assert elapsed < 15, elapsed  # was 8 budgets (8 busy timeouts of 2 s and more); one budget now
    time.sleep(db.writes_paused_for(db_url) + 0.05)  # the pause ends by itself
    assert [ingest.ingest_event(e, db_url).outcome for e in batch] == ["stored"] * 8
    assert _stored(db_url) == 8


def test_concurrent_writers_stop_retrying_once_one_spent_the_budget(db_url: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_RETRY_SECONDS", "1")
    db.engine(db_url)
    reasons: list[str] = []

    def insert(n: int) -> None:
        try:
            db.write(lambda c: c.execute(schema.state.insert().values(Name=f"x{n}", Value="1",
                                                                      UpdatedAt=db.utcnow())), db_url)
        except db.DatabaseUnavailable as exc:
            reasons.append(exc.reason)

    with _write_lock_held(_path(db_url)):
        writers = [threading.Thread(target=insert, args=(n,)) for n in range(4)]
        for w in writers:
            w.start()
        for w in writers:
            w.join()
    assert len(reasons) == 4  # all answered 'retry later' ...
    assert db.writes_paused_for(db_url) > 0  # ... and writes are paused for a moment


def test_reads_are_not_paused(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_RETRY_SECONDS", "0.2")
    with _write_lock_held(_path(db_url)), pytest.raises(db.DatabaseUnavailable):
        db.write(lambda c: c.execute(schema.state.insert().values(Name="x", Value="1", UpdatedAt=db.utcnow())),
                 db_url)
    assert db.writes_paused_for(db_url) > 0
    assert _stored(db_url) == 0  # a read goes through while writes pause
