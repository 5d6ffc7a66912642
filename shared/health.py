"""``GET /api/health``: what is configured and whether the database answers. No secrets, no personal data."""

from __future__ import annotations

from typing import Any

from shared import config, db, migrate, schema


def ai_provider() -> str:
    """Which summarizer the settings select."""
    if config.get("AZURE_OPENAI_ENDPOINT"):
        return "azure_openai_key" if config.get("AZURE_OPENAI_API_KEY") else "azure_openai_entra"
    if config.get("OPENAI_BASE_URL"):
        return "openai_compatible"
    return "offline_digest"


def messaging_client() -> str:
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
        "aiProvider": ai_provider(),
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
