"""``GET /api/health``: what is configured and whether the database answers. No secrets, no personal data."""

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
    """Health report; ``status`` is ``ok`` only when the database answers with the expected schema."""
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
        report["status"] = "unavailable"
        report["database"]["error"] = type(exc).__name__
        return report
    report["database"].update(reachable=True, schemaVersion=version)
    if version < schema.SCHEMA_VERSION:
        report["status"] = "degraded"
        report["database"]["error"] = "schema older than expected: run the sql/ migration scripts"
    return report
