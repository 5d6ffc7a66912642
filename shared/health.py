"""``GET /api/health``: what is configured, whether the database answers and whether it can be written.

Reading is not enough: a read-only file, a file deleted or replaced under the running app, or
a lock held past the retry budget all answer reads while every event would fail to be stored.
The write probe takes the write lock and rolls back a throwaway row, so it writes nothing
(personal data least of all). No secrets, no personal data.
"""

from __future__ import annotations

from typing import Any, Literal

from shared import ai, config, db, migrate, schema


def messaging_client() -> Literal["acs_managed_identity", "acs_connection_string", "none"]:
    """Which ACS messaging client the settings select."""
    if config.get("ACS_ENDPOINT"):
        return "acs_managed_identity"
    if config.get("ACS_CONNECTION_STRING"):
        return "acs_connection_string"
    return "none"


def odbc_drivers() -> list[str] | None:
    try:
        import pyodbc  # only meaningful (and only loaded) for SQL Server
    except ImportError:
        return None
    return list(pyodbc.drivers())


def check(url: str | None = None) -> dict[str, Any]:
    """Health report; ``status`` is ``ok`` only when the database answers with the expected schema and
    can be written now."""
    backend = db.backend(url)
    report: dict[str, Any] = {
        "status": "ok",
        "database": {"backend": backend, "reachable": False, "schemaVersion": None,
                     "expectedSchemaVersion": schema.SCHEMA_VERSION},
        "aiProvider": ai.provider_name(),
        "messagingClient": messaging_client(),
    }
    if backend == "mssql":
        report["odbcDrivers"] = odbc_drivers()
    try:
        version = db.read(migrate.schema_version, url)
    except Exception as exc:  # report, never raise: this is the page operators look at
        reason = str(getattr(exc, "reason", "")) or type(exc).__name__
        report["status"] = "unavailable"
        report["database"]["error"] = _WRITE_ERRORS.get(reason, type(exc).__name__)
        report["database"]["write"] = {"writable": False, "error": reason, "ms": None}
        return report
    report["database"].update(reachable=True, schemaVersion=version)
    if version < schema.SCHEMA_VERSION:
        report["status"] = "degraded"
        report["database"]["error"] = "schema older than expected: run the sql/ migration scripts"
    write = db.probe_write(url)
    report["database"]["write"] = write
    if not write["writable"]:
        report["status"] = "unavailable"
        report["database"]["error"] = _WRITE_ERRORS.get(write["error"], "cannot write: " + str(write["error"]))
    return report


_WRITE_ERRORS = {
    db.FILE_MISSING: "the database file was deleted while the app runs: restore it and restart the app",
    db.FILE_REPLACED: "the database file was replaced while the app runs: restart the app to use the new file",
    db.PAUSED: "writes are paused for a few seconds after one spent the retry budget",
    "locked": "the write lock is held longer than the retry budget",
    "read_only": "the database is read-only",
}
