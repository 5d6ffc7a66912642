"""Database access: one engine per URL, transactions with transient-fault retry.

SQLite (the embedded default) runs in WAL mode with a busy timeout and foreign keys
on; write transactions take the lock up front (``BEGIN IMMEDIATE``) so two writers
queue instead of failing half-way. SQL Server is reached through ``pyodbc``, with an
Entra ID token (ODBC connection attribute 1256) unless the URL carries credentials.

Callers use :func:`write` / :func:`read`; a transient fault that outlasts the retry
budget surfaces as :class:`DatabaseUnavailable`, which every trigger maps to
"retry later" (HTTP 503, Event Grid redelivery, tool error).

Two guards keep "retry later" honest:

* **The file is the file we opened.** A SQLite file deleted or replaced while the app
  runs would take acknowledged writes into an unlinked inode, gone at restart. Each
  engine remembers the file's identity (``st_dev``, ``st_ino``); a transaction whose
  file is gone or is another file fails as :class:`DatabaseFileChanged` (transient:
  Event Grid redelivers, the API answers 503) until the app is restarted on the right file.
* **The budget is per outage, not per call.** Once a write has spent its whole budget,
  writes of the next few seconds fail at once (a process-wide circuit breaker per
  database): a batch of events under a held lock answers within one budget instead of
  one budget per event, inside Event Grid's 30 s.
"""

from __future__ import annotations

import math
import os
import re
import sqlite3
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from shared import config, observability, retry

log = observability.logger(__name__)
T = TypeVar("T")

# SQL Server / Azure SQL error numbers that a retry can fix (platform-facts.md).
TRANSIENT_SQL_ERRORS = frozenset(
    {40613, 40501, 40197, 10928, 10929, 49918, 49919, 49920, 4060, 1205, 10053, 10054, 10060, 233, 64}
)
# ODBC SQLSTATEs of a lost or refused connection, timeouts and deadlock victims.
TRANSIENT_SQLSTATES = frozenset({"08S01", "08001", "08003", "08004", "HYT00", "HYT01", "40001"})
_SQLITE_TRANSIENT = ("database is locked", "database is busy", "unable to open database file",
                     "disk i/o error")
_SQL_ERROR_NUMBER = re.compile(r"\((\d{2,6})\)")
_TOKEN_SCOPE = "https://database.windows.net/.default"  # noqa: S105 - an OAuth scope, not a secret
SQL_COPT_SS_ACCESS_TOKEN = 1256
SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=2000", "foreign_keys=ON",
                  "cache_size=-16384")
"""Per-connection SQLite settings: WAL, durable at checkpoints, a 16 MiB page cache (larger caches and
mmap were measured: no faster on the 1M-message data set, and 5x the memory)."""


class DatabaseUnavailable(Exception):
    """The database could not be used within the retry budget; try again later."""

    def __init__(self, retry_after: int = 5, reason: str = "unavailable") -> None:
        super().__init__(f"database {reason}")
        self.retry_after = retry_after
        self.reason = reason


class DatabaseFileChanged(DatabaseUnavailable):
    """The SQLite file was deleted or replaced under the running app: nothing is written to it.

    Transient for callers (Event Grid redelivers; the API answers 503), but not retried here:
    only a restart on the right file (or the file put back) cures it.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(retry_after=30, reason=reason)


def utcnow() -> datetime:
    """Naive UTC (what both backends store)."""
    return datetime.now(UTC).replace(tzinfo=None)


def is_transient(exc: BaseException) -> bool:
    """Whether a database error is worth retrying."""
    if isinstance(exc, (DatabaseUnavailable, sa.exc.TimeoutError)):  # TimeoutError: every pooled connection busy
        return True
    if isinstance(exc, sa.exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig if exc.orig is not None else exc
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        return any(marker in text for marker in _SQLITE_TRANSIENT)
    args = getattr(exc, "args", ())
    if type(exc).__module__ == "pyodbc" and args:
        sqlstate = str(args[0])
        numbers = {int(n) for n in _SQL_ERROR_NUMBER.findall(" ".join(str(a) for a in args[1:]))}
        return sqlstate in TRANSIENT_SQLSTATES or bool(numbers & TRANSIENT_SQL_ERRORS)
    return False


# --- engines ------------------------------------------------------------------------

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()
FILE_MISSING = "file_missing"
FILE_REPLACED = "file_replaced"
PAUSED = "paused"


@dataclass
class _FileWatch:
    """The identity of an embedded database's file, taken when its engine was made (or when a
    first connection created the file)."""

    path: str
    identity: tuple[int, int] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:  # gone, or its directory is (or is no longer) a directory
            return None
        return st.st_dev, st.st_ino

    def problem(self) -> str | None:
        """``None`` while the path is still the file first opened; else why not."""
        current = self.now()
        with self.lock:
            if self.identity is None:  # not created yet at engine creation: the first file seen is ours
                self.identity = current
                return None
        if current is None:
            return FILE_MISSING
        return None if current == self.identity else FILE_REPLACED


@dataclass
class _Breaker:
    """Writes of a database pause after one write spent its whole retry budget."""

    open_until: float = 0.0

    def remaining(self) -> float:
        return max(0.0, self.open_until - time.monotonic())

    def trip(self, seconds: float) -> None:
        self.open_until = max(self.open_until, time.monotonic() + seconds)


_watches: dict[str, _FileWatch] = {}
_breakers: dict[str, _Breaker] = {}


def engine(url: str | None = None) -> Engine:
    """The shared engine for ``url`` (default: the ``DATABASE_URL`` setting)."""
    url = url or config.get("DATABASE_URL")
    with _engines_lock:
        if url not in _engines:
            _engines[url] = _create_engine(url)
            path = sqlite_path(url)
            if path is not None:
                watch = _FileWatch(path)
                watch.identity = watch.now()
                _watches[url] = watch
            _breakers[url] = _Breaker()
        return _engines[url]


def sqlite_path(url: str) -> str | None:
    """The file of an embedded database URL; ``None`` for SQL Server and in-memory SQLite."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return os.path.abspath(parsed.database)


def file_problem(url: str | None = None) -> str | None:
    """Whether the embedded database's file is gone (``file_missing``) or another file
    (``file_replaced``) since this process opened it; ``None`` when it is the same (or not a file)."""
    url = url or config.get("DATABASE_URL")
    engine(url)
    watch = _watches.get(url)
    return watch.problem() if watch is not None else None


def writes_paused_for(url: str | None = None) -> float:
    """Seconds writes still fail fast after one spent its retry budget (0 when they do not)."""
    breaker = _breakers.get(url or config.get("DATABASE_URL"))
    return breaker.remaining() if breaker is not None else 0.0


def dispose_all() -> None:
    """Close every pooled connection, forget file identities and paused writes (tests and shutdown)."""
    with _engines_lock:
        for eng in _engines.values():
            eng.dispose()
        _engines.clear()
        _watches.clear()
        _breakers.clear()


def _create_engine(url: str) -> Engine:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.get_backend_name() == "mssql":
        return _mssql_engine(parsed)
    raise ValueError(f"unsupported database backend: {parsed.get_backend_name()}")


def _sqlite_engine(url: sa.URL) -> Engine:
    # no pre-ping: a local file does not drop connections (SQL Server's pool pings, below)
    # no reset-on-return rollback either: every transaction ends in write()/read()'s own commit or rollback
    eng = sa.create_engine(url, hide_parameters=True, pool_reset_on_return=None,
                           connect_args={"timeout": 2.0, "check_same_thread": False})

    @event.listens_for(eng, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(eng, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.connection.driver_connection.execute(f"BEGIN {mode}")  # type: ignore[union-attr]

    return eng


def holds_write_lock(conn: Connection) -> bool:
    """Whether this write transaction already excludes every other writer until it ends: on SQLite
    it does (``BEGIN IMMEDIATE`` takes the database's one write lock), so nothing another writer
    commits can appear between two reads of it; on SQL Server it does not, and a caller that must
    see a concurrent decision takes a lock row of its own."""
    return conn.dialect.name == "sqlite" and conn.get_execution_options().get("sqlite_begin") != "DEFERRED"


def _mssql_engine(url: sa.URL) -> Engine:
    auth = config.get("DATABASE_AUTH")
    use_token = auth == "entra" or (auth == "auto" and not url.password)
    eng = sa.create_engine(url, pool_pre_ping=True, hide_parameters=True, pool_recycle=1800, pool_size=5,
                           max_overflow=5, fast_executemany=True)
    if use_token:
        credential = _credential()

        @event.listens_for(eng, "do_connect")
        def _inject_token(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
            token = credential.get_token(_TOKEN_SCOPE).token.encode("utf-16-le")
            cparams.setdefault("attrs_before", {})[SQL_COPT_SS_ACCESS_TOKEN] = struct.pack(
                f"<I{len(token)}s", len(token), token)
            cparams.pop("user", None)
            cparams.pop("password", None)

    return eng


def _credential() -> Any:
    from azure.identity import DefaultAzureCredential  # heavy: imported only for SQL Server

    client_id = config.get("AZURE_CLIENT_ID") or None
    return DefaultAzureCredential(managed_identity_client_id=client_id)


# --- transactions -------------------------------------------------------------------

def _check_file(url: str) -> None:
    watch = _watches.get(url)
    problem = watch.problem() if watch is not None else None
    if problem is not None:
        raise DatabaseFileChanged(problem)


def _run(fn: Callable[[Connection], T], url: str | None, readonly: bool) -> T:
    url = url or config.get("DATABASE_URL")
    budget = config.get_float("DB_RETRY_SECONDS")
    eng = engine(url)
    breaker = _breakers[url]
    if not readonly and (paused := breaker.remaining()):
        raise DatabaseUnavailable(retry_after=max(1, math.ceil(paused)), reason=PAUSED)

    def attempt(_remaining: float) -> T:
        with eng.connect() as raw_conn:
            conn = raw_conn.execution_options(sqlite_begin="DEFERRED") if readonly else raw_conn
            with conn.begin():
                _check_file(url)  # the connection is open: the file exists if it ever will
                result = fn(conn)
                if not readonly:
                    _check_file(url)  # again just before COMMIT: never acknowledge a write to a lost file
                return result

    def classify(exc: Exception) -> float | None:
        if isinstance(exc, DatabaseFileChanged) or not is_transient(exc):
            return None
        log.debug("transient database fault: %s", exc)
        if not readonly and (paused := breaker.remaining()):  # another write spent the budget meanwhile
            raise DatabaseUnavailable(retry_after=max(1, math.ceil(paused)), reason=PAUSED) from exc
        return retry.RETRY

    try:
        return retry.within_budget(attempt, classify, budget, first_delay=0.02, max_delay=0.5)
    except retry.BudgetSpent as spent:
        log.warning("database unavailable after %d attempts: %s", spent.attempts, type(spent.__cause__).__name__)
        if not readonly:
            breaker.trip(pause_seconds(budget))
        raise DatabaseUnavailable(retry_after=max(1, math.ceil(budget))) from spent.__cause__


def pause_seconds(budget: float) -> float:
    """How long writes fail fast after one spent ``budget``: one budget, from 1 to 5 seconds."""
    return min(5.0, max(1.0, budget))


def write(fn: Callable[[Connection], T], url: str | None = None) -> T:
    """Run ``fn`` in a write transaction, retrying transient faults within the budget."""
    return _run(fn, url, readonly=False)


def read(fn: Callable[[Connection], T], url: str | None = None) -> T:
    """Run ``fn`` in a read transaction (no write lock on SQLite), with the same retry."""
    return _run(fn, url, readonly=True)


def backend(url: str | None = None) -> str:
    """``sqlite`` or ``mssql``."""
    return engine(url).dialect.name


# --- the write path, for health ----------------------------------------------------------

def probe_write(url: str | None = None) -> dict[str, Any]:
    """Whether a write can be made now, within the budget, without writing anything.

    A fresh connection (a pooled one keeps a file handle that a ``chmod`` or an unlink does not
    affect) takes the write lock, inserts a throwaway ``WhatsAppState`` row (no personal data)
    and rolls back. ``{"writable", "error", "ms"}``; ``error`` is ``file_missing``,
    ``file_replaced``, ``paused``, ``locked``, ``read_only`` or the error's type.
    """
    url = url or config.get("DATABASE_URL")
    timeout = min(2.0, max(0.05, config.get_float("DB_RETRY_SECONDS")))
    started = time.perf_counter()
    error = file_problem(url) or (PAUSED if writes_paused_for(url) else None)
    if error is None:
        try:
            path = sqlite_path(url)
            if path is not None:
                _probe_sqlite(path, timeout)
            elif backend(url) == "mssql":
                _probe_mssql(url, timeout)
        except Exception as exc:  # reported, never raised: health is what operators look at
            error = _probe_error(exc)
    return {"writable": error is None, "error": error, "ms": round((time.perf_counter() - started) * 1e3, 1)}


_PROBE_ROW = ("__health_probe__", "", "2000-01-01 00:00:00")


def _probe_sqlite(path: str, timeout: float) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=timeout, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute('INSERT INTO "WhatsAppState" ("Name", "Value", "UpdatedAt") VALUES (?, ?, ?)', _PROBE_ROW)
        finally:
            conn.execute("ROLLBACK")
    finally:
        conn.close()


def _probe_mssql(url: str, timeout: float) -> None:
    with engine(url).connect() as conn:
        conn.exec_driver_sql(f"SET LOCK_TIMEOUT {int(timeout * 1000)}")
        transaction = conn.begin()
        try:
            conn.exec_driver_sql("INSERT INTO [dbo].[WhatsAppState] ([Name], [Value], [UpdatedAt]) VALUES (?, ?, ?)",
                                 _PROBE_ROW)
        finally:
            transaction.rollback()


def _probe_error(exc: BaseException) -> str:
    text = str(exc.orig if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None else exc).lower()
    if "readonly" in text or "read-only" in text or "read only" in text:
        return "read_only"
    if "locked" in text or "busy" in text or "(1222)" in text:  # 1222: SQL Server's lock request time out
        return "locked"
    if "unable to open" in text:
        return FILE_MISSING
    return type(exc).__name__
