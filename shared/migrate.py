"""Creating and upgrading the database.

SQLite (embedded): created here from ``shared/schema.py``, legacy copy included.
SQL Server (production): the DBA runs ``sql/0*.sql``; the app never issues DDL there
and only reads the schema version it finds.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import config, db, schema


def migrate(url: str | None = None) -> int:
    """Bring the embedded database to ``SCHEMA_VERSION``; return the version found after."""
    if db.backend(url) != "sqlite":
        return db.read(schema_version, url)
    path = sa.make_url(url or config.get("DATABASE_URL")).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)

    def apply(conn: Connection) -> int:
        schema.legacy.create_all(conn, checkfirst=True)
        schema.metadata.create_all(conn, checkfirst=True)
        add_missing_columns(conn)
        for name in _DROPPED_INDEXES:
            conn.exec_driver_sql(f'DROP INDEX IF EXISTS "{name}"')
        for table in schema.metadata.sorted_tables:  # indexes added to tables that already existed
            for index in table.indexes:
                index.create(conn, checkfirst=True)
        for name in schema.NOVEDAD_TYPES:
            ensure_tipo_novedad(conn, name)
        current = schema_version(conn)
        if current < schema.SCHEMA_VERSION:
            conn.execute(schema.schema_version.insert().values(
                Version=schema.SCHEMA_VERSION, Description="WhatsApp tables", AppliedAt=db.utcnow()))
        return schema.SCHEMA_VERSION

    return db.write(apply, url)


def add_missing_columns(conn: Connection) -> list[str]:
    """Add the columns ``schema.py`` declares that an existing embedded table lacks.

    ``create_all`` creates missing tables only; a column added by a later migration
    (``ALTER TABLE ... ADD`` in ``sql/0NN``) must reach a database created before it.
    Such columns are nullable or carry a server default, as SQL Server requires for an
    ``ADD`` to a table with rows. Returns ``table.column`` of each column added.
    """
    added = []
    inspector = sa.inspect(conn)
    for table in schema.metadata.sorted_tables:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            if not column.nullable and column.server_default is None:
                raise RuntimeError(f"{table.name}.{column.name} is added later, so it must be nullable or have a "
                                   "server default")
            ddl = sa.schema.CreateColumn(column).compile(dialect=conn.dialect)
            conn.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN {ddl}')
            added.append(f"{table.name}.{column.name}")
    return added


_DROPPED_INDEXES = ("UX_WhatsAppSummary_ReparacionId_LastMessageId",)  # as sql/001 drops them


def schema_version(conn: Connection) -> int:
    """The highest applied version, 0 when the WhatsApp tables are missing."""
    if not sa.inspect(conn).has_table(schema.schema_version.name):
        return 0
    found = conn.execute(sa.select(sa.func.max(schema.schema_version.c.Version))).scalar()
    return int(found or 0)


def ensure_whatsapp_resumen(conn: Connection) -> int:
    """The id of the ``WhatsApp Resumen`` novedad type, inserting it if missing (embedded only)."""
    return ensure_tipo_novedad(conn, schema.WHATSAPP_RESUMEN)


def ensure_tipo_novedad(conn: Connection, name: str) -> int:
    """The id of one of this app's novedad types (``schema.NOVEDAD_TYPES``), inserting it if missing (embedded
    only; sql/002 and sql/009 insert them on SQL Server)."""
    t = schema.tipo_novedad
    found = conn.execute(sa.select(t.c.TipoNovedadId).where(t.c.nombre == name)).scalar()
    if found is not None:
        return int(found)
    result = conn.execute(t.insert().values(
        nombre=name, descripcion=schema.NOVEDAD_TYPES[name], activo=True, modificadoEn=db.utcnow()))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
