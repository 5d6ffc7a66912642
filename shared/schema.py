"""Table definitions: FastService's legacy tables (read-only to us) and the WhatsApp tables.

The legacy tables are declared as production has them so queries compile for both
backends; they are *created* only in the embedded SQLite copy. The WhatsApp tables
match ``sql/0*.sql`` column for column (``tests/test_sql_scripts.py`` checks).

No WhatsApp table has a foreign key to a legacy table: FastService deletes customers
and orders directly in the database, and a constraint of ours would make those
deletes fail. Joins are by id; a dangling id simply stops matching.
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from sqlalchemy.dialects import mssql

SCHEMA_VERSION = 9  # 1: sql/001; 2: sql/003 (exact identifiers, TextTruncated); 3: sql/004 (staff); 4: sql/005;
# 5: sql/006 (media, issue 16); 6: sql/007 (the inbox, issue 17); 7: sql/008 (history import);
# 8: sql/009 (order notifications, consent, quote buttons; issue 18); 9: sql/010 (media sends, issue 16)

Direction = Literal["inbound", "outbound"]
"""``WhatsAppMessage.Direction``: the customer wrote (``inbound``) or the shop did."""

metadata = sa.MetaData()
legacy = sa.MetaData()  # created only in the embedded database

# SQL Server types spelled once: datetime2 for our tables, a 64-bit identity that is
# SQLite's rowid alias locally, nvarchar(max).
DateTime2 = sa.DateTime().with_variant(mssql.DATETIME2(), "mssql")  # type: ignore[no-untyped-call]
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LongText = sa.UnicodeText().with_variant(mssql.NVARCHAR(), "mssql")  # NVARCHAR(max), not NTEXT

BINARY_COLLATION = "Latin1_General_100_BIN2"
"""Identifiers compare exactly: FastService's database collation (``Modern_Spanish_CI_AS``) is
case- and accent-insensitive, so ``wamid.ABC`` and ``wamid.abc`` would be one message key. SQLite
compares strings byte for byte already (its BINARY collation)."""


def Identifier(length: int) -> sa.types.TypeEngine[str]:
    """An identifier column: ``nvarchar(length)`` with a binary collation on SQL Server (sql/003)."""
    return sa.Unicode(length).with_variant(mssql.NVARCHAR(length, collation=BINARY_COLLATION), "mssql")

# --- legacy FastService tables (never altered) ---------------------------------------

cliente = sa.Table(
    "Cliente", legacy,
    sa.Column("ClienteId", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("Dni", sa.Integer, nullable=True),
    sa.Column("Nombre", sa.Unicode(100), nullable=False),
    sa.Column("Apellido", sa.Unicode(100), nullable=False),
    sa.Column("Mail", sa.Unicode(200), nullable=True),
    sa.Column("Telefono1", sa.Unicode(100), nullable=True),
    sa.Column("Telefono2", sa.Unicode(100), nullable=True),
    sa.Column("Direccion", sa.Unicode(200), nullable=False),
    sa.Column("DireccionId", sa.Integer, nullable=True),
    sa.Column("Localidad", sa.Unicode(100), nullable=True),
    sa.Column("Latitud", sa.Float, nullable=True),
    sa.Column("Longitud", sa.Float, nullable=True),
)

estado_reparacion = sa.Table(
    "EstadoReparacion", legacy,
    sa.Column("EstadoReparacionId", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("Nombre", sa.Unicode(100), nullable=False),
)

reparacion = sa.Table(
    "Reparacion", legacy,
    sa.Column("ReparacionId", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ClienteId", sa.Integer, sa.ForeignKey("Cliente.ClienteId"), nullable=False),
    sa.Column("EmpleadoAsignadoId", sa.Integer, nullable=False),
    sa.Column("TecnicoAsignadoId", sa.Integer, nullable=False),
    sa.Column("EstadoReparacionId", sa.Integer, sa.ForeignKey("EstadoReparacion.EstadoReparacionId"),
              nullable=False),
    sa.Column("ComercioId", sa.Integer, nullable=True),
    sa.Column("MarcaId", sa.Integer, nullable=False),
    sa.Column("TipoDispositivoId", sa.Integer, nullable=False),
    sa.Column("ReparacionDetalleId", sa.Integer, nullable=True),
    sa.Column("FechaEntrega", sa.DateTime, nullable=True),
    sa.Column("InformadoEn", sa.DateTime, nullable=True),
    sa.Column("InformadoPor", sa.Integer, nullable=True),
    sa.Column("ModificadoEn", sa.DateTime, nullable=False),
    sa.Column("ModificadoPor", sa.Integer, nullable=True),
    sa.Column("CreadoEn", sa.DateTime, nullable=False),
    sa.Column("CreadoPor", sa.Integer, nullable=True),
    sa.Index("IX_Reparacion_ClienteId", "ClienteId"),
)

tipo_novedad = sa.Table(
    "TipoNovedad", legacy,
    sa.Column("TipoNovedadId", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("nombre", sa.Unicode(100), nullable=True),
    sa.Column("descripcion", sa.Unicode(200), nullable=True),
    sa.Column("activo", sa.Boolean, nullable=True),
    sa.Column("modificadoEn", sa.DateTime, nullable=True),
    sa.Column("modificadoPor", sa.Integer, nullable=True),
)

novedad = sa.Table(
    "Novedad", legacy,
    sa.Column("NovedadId", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ReparacionId", sa.Integer, sa.ForeignKey("Reparacion.ReparacionId"), nullable=False),
    sa.Column("UserId", sa.Integer, nullable=False),
    sa.Column("TipoNovedadId", sa.Integer, sa.ForeignKey("TipoNovedad.TipoNovedadId"), nullable=False),
    sa.Column("Monto", sa.Numeric(18, 2), nullable=True),
    sa.Column("Observacion", LongText, nullable=True),
    sa.Column("ModificadoEn", sa.DateTime, nullable=False),
    sa.Column("ModificadoPor", sa.Integer, nullable=True),
    sa.Index("IX_Novedad_ReparacionId", "ReparacionId"),
)

WHATSAPP_RESUMEN = "WhatsApp Resumen"
WHATSAPP_RESUMEN_DESCRIPCION = "Resumen de conversación de WhatsApp generado por IA"
PRESUPUESTO_ACEPTADO = "WhatsApp Presupuesto aceptado"
PRESUPUESTO_RECHAZADO = "WhatsApp Presupuesto rechazado"
NOVEDAD_TYPES: dict[str, str] = {
    WHATSAPP_RESUMEN: WHATSAPP_RESUMEN_DESCRIPCION,
    PRESUPUESTO_ACEPTADO: "El cliente aceptó el presupuesto con el botón de WhatsApp",
    PRESUPUESTO_RECHAZADO: "El cliente rechazó el presupuesto con el botón de WhatsApp",
}
"""The ``TipoNovedad`` rows this app writes novedades of (sql/002 and sql/009 insert them)."""

# --- WhatsApp tables -----------------------------------------------------------------

message = sa.Table(
    "WhatsAppMessage", metadata,
    sa.Column("Id", BigId, primary_key=True, autoincrement=True),
    # identity used for exactly-once storage; see shared/event_parsing.py for how it is derived
    sa.Column("MessageKey", Identifier(200), nullable=False),
    sa.Column("WhatsAppMessageId", Identifier(100), nullable=True),
    sa.Column("EventId", Identifier(100), nullable=True),
    sa.Column("ReparacionId", sa.Integer, nullable=True),
    sa.Column("ClienteId", sa.Integer, nullable=True),
    sa.Column("PhoneNumber", sa.Unicode(20), nullable=True),
    sa.Column("PhoneKey", sa.Unicode(20), nullable=True),
    sa.Column("Bsuid", Identifier(100), nullable=True),
    sa.Column("MatchStatus", sa.Unicode(20), nullable=False),
    sa.Column("MatchCandidates", sa.Unicode(200), nullable=True),
    sa.Column("Direction", sa.Unicode(10), nullable=False),
    sa.Column("MessageType", sa.Unicode(50), nullable=False),
    sa.Column("Content", LongText, nullable=True),
    sa.Column("MediaId", Identifier(100), nullable=True),
    sa.Column("MediaMimeType", sa.Unicode(100), nullable=True),
    sa.Column("MediaFileName", sa.Unicode(255), nullable=True),
    sa.Column("MediaCaption", LongText, nullable=True),
    sa.Column("ReplyToMessageId", Identifier(100), nullable=True),
    sa.Column("ReactionEmoji", sa.Unicode(20), nullable=True),
    sa.Column("ReactionMessageId", Identifier(100), nullable=True),
    sa.Column("ChoiceTitle", sa.Unicode(255), nullable=True),
    sa.Column("ChoicePayload", sa.Unicode(1000), nullable=True),
    sa.Column("ChannelId", sa.Unicode(100), nullable=True),
    sa.Column("WhatsAppTimestamp", DateTime2, nullable=False),
    sa.Column("ReceivedAt", DateTime2, nullable=False),
    sa.Column("CreatedAt", DateTime2, nullable=False),
    sa.Column("RawPayload", LongText, nullable=True),
    sa.Column("RawTruncated", sa.Boolean, nullable=False),
    # sql/003: the text or caption was longer than WhatsApp allows (4,096 / 1,024) and was cut
    sa.Column("TextTruncated", sa.Boolean, nullable=True),
    # the shop's messages sent from the panel (sql/005 adds them): who sent it, and its outbox row
    sa.Column("SentByStaffId", sa.Unicode(100), nullable=True),
    sa.Column("SentByName", sa.Unicode(200), nullable=True),
    sa.Column("OutboxId", sa.BigInteger, nullable=True),
    # sql/007: the triage decision (shared/triage.py) that last set this message's customer or order; NULL: none
    sa.Column("TriageDecisionId", sa.BigInteger, nullable=True),
    # history imported from a chat export (sql/008 adds them): NULL for what ACS delivered, 'import' and the
    # WhatsAppImport row for what a staff member or an operator imported (shared/history_import.py)
    sa.Column("Source", sa.Unicode(20), nullable=True),
    sa.Column("ImportId", sa.BigInteger, nullable=True),
    sa.Index("UX_WhatsAppMessage_MessageKey", "MessageKey", unique=True),
    sa.Index("IX_WhatsAppMessage_PhoneKey_WhatsAppTimestamp", "PhoneKey", "WhatsAppTimestamp"),
    sa.Index("IX_WhatsAppMessage_ReparacionId_WhatsAppTimestamp", "ReparacionId", "WhatsAppTimestamp", "Id"),
    sa.Index("IX_WhatsAppMessage_Bsuid", "Bsuid"),
    sa.Index("IX_WhatsAppMessage_WhatsAppMessageId", "WhatsAppMessageId"),
)



def _filtered(name: str, *columns: sa.Column[object], where: sa.ColumnElement[bool], unique: bool = False) -> sa.Index:
    """A partial (SQLite) / filtered (SQL Server) index: it holds only the rows ``where`` keeps, so a
    query that states the same condition (with literals, never parameters, or neither engine uses it)
    reads a few thousand entries instead of a million."""
    return sa.Index(name, *columns, unique=unique, sqlite_where=where, mssql_where=where)


_mc = message.c
# The inbox's tabs (shared/inbox.py): each reads one of these and nothing else of the big table.
# (the columns of the condition are in the key too: SQLite re-checks them, and reading each row for that
# would cost a lookup per entry)
_filtered("IX_WhatsAppMessage_Unassigned_Phone", _mc.MatchStatus, _mc.PhoneKey, _mc.WhatsAppTimestamp, _mc.ClienteId,
          _mc.ReparacionId, where=_mc.ClienteId.is_(None) & _mc.ReparacionId.is_(None))
_filtered("IX_WhatsAppMessage_Unassigned_Time", _mc.WhatsAppTimestamp, _mc.MatchStatus, _mc.PhoneKey, _mc.Bsuid,
          _mc.ClienteId, _mc.ReparacionId, where=_mc.ClienteId.is_(None) & _mc.ReparacionId.is_(None))
_filtered("IX_WhatsAppMessage_Unassigned_Bsuid", _mc.Bsuid, _mc.WhatsAppTimestamp, _mc.PhoneKey, _mc.ClienteId,
          _mc.ReparacionId, where=_mc.ClienteId.is_(None) & _mc.ReparacionId.is_(None) & _mc.PhoneKey.is_(None))
# (history imported from chat exports is no one's to triage: sql/008 adds Source and remakes these two)
_filtered("IX_WhatsAppMessage_Unlinked_Time", _mc.WhatsAppTimestamp, _mc.ClienteId, _mc.ReparacionId, _mc.Source,
          where=_mc.ReparacionId.is_(None) & _mc.ClienteId.is_not(None) & _mc.Source.is_(None))
_filtered("IX_WhatsAppMessage_Unlinked_Customer", _mc.ClienteId, _mc.WhatsAppTimestamp, _mc.ReparacionId, _mc.Source,
          where=_mc.ReparacionId.is_(None) & _mc.ClienteId.is_not(None) & _mc.Source.is_(None))
_filtered("IX_WhatsAppMessage_Inbound_Linked", _mc.WhatsAppTimestamp, _mc.ReparacionId, _mc.Direction, _mc.MessageType,
          where=(_mc.Direction == sa.literal_column("'inbound'")) & _mc.ReparacionId.is_not(None))
_filtered("IX_WhatsAppMessage_TriageDecisionId", _mc.TriageDecisionId, where=_mc.TriageDecisionId.is_not(None))

message_status = sa.Table(
    "WhatsAppMessageStatus", metadata,
    # one row per outbound message id, only ever moved forward; may precede its message
    sa.Column("WhatsAppMessageId", Identifier(100), primary_key=True),
    sa.Column("Status", sa.Unicode(20), nullable=False),
    sa.Column("StatusRank", sa.SmallInteger, nullable=False),
    sa.Column("ErrorCode", sa.Unicode(20), nullable=True),
    sa.Column("ErrorMessage", sa.Unicode(500), nullable=True),
    sa.Column("StatusAt", DateTime2, nullable=False),
    sa.Column("UpdatedAt", DateTime2, nullable=False),
    sa.Column("EventId", Identifier(100), nullable=True),
)

sync_log = sa.Table(
    "WhatsAppSyncLog", metadata,
    sa.Column("Id", BigId, primary_key=True, autoincrement=True),
    sa.Column("ClienteId", sa.Integer, nullable=False),
    sa.Column("ReparacionId", sa.Integer, nullable=True),
    sa.Column("PhoneNumber", sa.Unicode(20), nullable=True),
    sa.Column("LastSyncAt", DateTime2, nullable=False),
    sa.Column("MessageCount", sa.Integer, nullable=False),
    sa.Column("LastMessageId", sa.BigInteger, nullable=True),
    sa.Column("Status", sa.Unicode(20), nullable=False),
    sa.Column("ErrorMessage", sa.Unicode(500), nullable=True),
    # the signed-in staff member who ran the sync (sql/004; NULL for syncs by the agent or without sign-in)
    sa.Column("StaffId", sa.Unicode(64), nullable=True),
    sa.Column("StaffName", sa.Unicode(200), nullable=True),
    sa.Index("IX_WhatsAppSyncLog_ReparacionId_LastSyncAt", "ReparacionId", "LastSyncAt"),
    sa.Index("IX_WhatsAppSyncLog_ClienteId_LastSyncAt", "ClienteId", "LastSyncAt"),
)

customer_phone = sa.Table(
    "WhatsAppCustomerPhone", metadata,
    # derived index of Cliente.Telefono1/2 by matching key; rebuilt from Cliente, never authoritative
    sa.Column("ClienteId", sa.Integer, primary_key=True),
    sa.Column("SourceField", sa.Unicode(20), primary_key=True),
    sa.Column("PhoneKey", sa.Unicode(20), primary_key=True),
    sa.Column("E164", sa.Unicode(20), nullable=False),
    # fingerprint of the Telefono1/2 text (and region/area settings) the row was derived from
    sa.Column("PhonesHash", sa.Unicode(16), nullable=False),
    sa.Column("IndexedAt", DateTime2, nullable=False),
    sa.Index("IX_WhatsAppCustomerPhone_PhoneKey", "PhoneKey"),
)

bsuid = sa.Table(
    "WhatsAppBsuid", metadata,
    # business-scoped user id <-> phone, learned whenever an event carries both
    sa.Column("Bsuid", Identifier(100), primary_key=True),
    sa.Column("PhoneKey", sa.Unicode(20), nullable=False),
    sa.Column("E164", sa.Unicode(20), nullable=False),
    sa.Column("FirstSeenAt", DateTime2, nullable=False),
    sa.Column("LastSeenAt", DateTime2, nullable=False),
    sa.Index("IX_WhatsAppBsuid_PhoneKey", "PhoneKey"),
)

summary = sa.Table(
    "WhatsAppSummary", metadata,
    # one row per written "WhatsApp Resumen" novedad; the unique watermark (last id, count) forbids twins
    sa.Column("Id", BigId, primary_key=True, autoincrement=True),
    sa.Column("ReparacionId", sa.Integer, nullable=False),
    sa.Column("NovedadId", sa.Integer, nullable=False),
    sa.Column("LastMessageId", sa.BigInteger, nullable=False),
    sa.Column("MessageCount", sa.Integer, nullable=False),
    sa.Column("Provider", sa.Unicode(50), nullable=False),
    sa.Column("CreatedAt", DateTime2, nullable=False),
    sa.Index("UX_WhatsAppSummary_Watermark", "ReparacionId", "LastMessageId", "MessageCount", unique=True),
)

quarantine = sa.Table(
    "WhatsAppQuarantine", metadata,
    sa.Column("Id", BigId, primary_key=True, autoincrement=True),
    sa.Column("PayloadHash", sa.Unicode(64), nullable=False),
    sa.Column("EventId", Identifier(100), nullable=True),
    sa.Column("EventType", sa.Unicode(200), nullable=True),
    sa.Column("Reason", sa.Unicode(500), nullable=False),
    sa.Column("Payload", LongText, nullable=True),
    sa.Column("PayloadTruncated", sa.Boolean, nullable=False),
    sa.Column("ReceivedAt", DateTime2, nullable=False),
    sa.Index("UX_WhatsAppQuarantine_PayloadHash", "PayloadHash", unique=True),
)

state = sa.Table(
    "WhatsAppState", metadata,
    sa.Column("Name", sa.Unicode(100), primary_key=True),
    sa.Column("Value", sa.Unicode(400), nullable=False),
    sa.Column("UpdatedAt", DateTime2, nullable=False),
)

media = sa.Table(
    "WhatsAppMedia", metadata,
    # one row per media item of a message: the source of truth of its download (shared/media.py);
    # inserted in the transaction that stores the message, so no media item is ever forgotten
    sa.Column("Id", BigId, primary_key=True, autoincrement=True),
    sa.Column("MessageId", sa.BigInteger, nullable=False),  # WhatsAppMessage.Id
    sa.Column("Source", sa.Unicode(20), nullable=False),  # acs (inbound download) | upload (sent by staff) | export
    sa.Column("Kind", sa.Unicode(20), nullable=False),  # image | audio | video | document | sticker
    sa.Column("AcsMediaId", sa.Unicode(100), nullable=True),
    sa.Column("DeclaredMimeType", sa.Unicode(100), nullable=True),
    sa.Column("FileName", sa.Unicode(255), nullable=True),
    sa.Column("State", sa.Unicode(20), nullable=False),  # pending | downloading | stored | failed | expired
    sa.Column("Reason", sa.Unicode(500), nullable=True),
    sa.Column("Attempts", sa.Integer, nullable=False),
    sa.Column("NextAttemptAt", DateTime2, nullable=True),
    sa.Column("LeaseToken", sa.Unicode(40), nullable=True),
    sa.Column("LeaseUntil", DateTime2, nullable=True),
    sa.Column("ExpiresAt", DateTime2, nullable=False),
    sa.Column("BlobName", sa.Unicode(200), nullable=False),
    sa.Column("ContentType", sa.Unicode(100), nullable=True),
    sa.Column("SizeBytes", sa.BigInteger, nullable=True),
    sa.Column("Sha256", sa.Unicode(64), nullable=True),
    sa.Column("CreatedAt", DateTime2, nullable=False),
    sa.Column("UpdatedAt", DateTime2, nullable=False),
    sa.Column("StoredAt", DateTime2, nullable=True),
    sa.Index("UX_WhatsAppMedia_MessageId_BlobName", "MessageId", "BlobName", unique=True),
    sa.Index("IX_WhatsAppMedia_State_NextAttemptAt", "State", "NextAttemptAt"),
)

schema_version = sa.Table(
    "WhatsAppSchemaVersion", metadata,
    sa.Column("Version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("Description", sa.Unicode(200), nullable=False),
    sa.Column("AppliedAt", DateTime2, nullable=False),
)

# --- sending (sql/005): the outbox, the template registry, the agent's proposals ------------

outbox = sa.Table(
    "WhatsAppOutbox", metadata,
    # one row per requested send; the caller's ClientRequestId makes a repeated request the same row,
    # the conditional claim (State pending -> sending) makes one worker the only one to call ACS
    sa.Column("Id", BigId, primary_key=True, autoincrement=True),
    sa.Column("ClientRequestId", Identifier(100), nullable=False),
    sa.Column("RequestHash", sa.Unicode(64), nullable=False),
    sa.Column("ReparacionId", sa.Integer, nullable=False),
    sa.Column("ClienteId", sa.Integer, nullable=True),
    sa.Column("PhoneNumber", sa.Unicode(20), nullable=False),
    sa.Column("PhoneKey", sa.Unicode(20), nullable=False),
    sa.Column("SendTo", sa.Unicode(20), nullable=False),
    sa.Column("Kind", sa.Unicode(20), nullable=False),
    sa.Column("Content", LongText, nullable=True),
    sa.Column("TemplateName", sa.Unicode(512), nullable=True),
    sa.Column("TemplateLanguage", sa.Unicode(20), nullable=True),
    sa.Column("TemplateValues", LongText, nullable=True),
    sa.Column("ProposalId", sa.BigInteger, nullable=True),
    sa.Column("RequestedByStaffId", sa.Unicode(100), nullable=True),
    sa.Column("RequestedByName", sa.Unicode(200), nullable=True),
    sa.Column("RepeatabilityRequestId", sa.Unicode(36), nullable=False),
    sa.Column("RepeatabilityFirstSent", sa.Unicode(40), nullable=False),
    sa.Column("State", sa.Unicode(20), nullable=False),
    sa.Column("Attempts", sa.Integer, nullable=False),
    sa.Column("NextAttemptAt", DateTime2, nullable=True),
    sa.Column("LeaseUntil", DateTime2, nullable=True),
    sa.Column("LastAttemptAt", DateTime2, nullable=True),
    sa.Column("MessageId", Identifier(100), nullable=True),
    sa.Column("ErrorCode", sa.Unicode(50), nullable=True),
    sa.Column("Reason", sa.Unicode(500), nullable=True),
    sa.Column("CreatedAt", DateTime2, nullable=False),
    sa.Column("UpdatedAt", DateTime2, nullable=False),
    # sql/009: the signed payloads of a template's quick-reply buttons (JSON list), sent on every attempt
    sa.Column("TemplateButtons", LongText, nullable=True),
    # sql/010: the upload a media send carries (Kind "media"; its caption is Content). The link ACS fetches is
    # minted on every attempt and never stored.
    sa.Column("MediaBlobRef", sa.Unicode(200), nullable=True),
    sa.Column("MediaKind", sa.Unicode(20), nullable=True),
    sa.Column("MediaContentType", sa.Unicode(100), nullable=True),
    sa.Column("MediaSizeBytes", sa.BigInteger, nullable=True),
    sa.Column("MediaFileName", sa.Unicode(255), nullable=True),
    sa.Index("UX_WhatsAppOutbox_ClientRequestId", "ClientRequestId", unique=True),
    sa.Index("IX_WhatsAppOutbox_State_NextAttemptAt", "State", "NextAttemptAt"),
    sa.Index("IX_WhatsAppOutbox_PhoneKey_State", "PhoneKey", "State"),
    sa.Index("IX_WhatsAppOutbox_ReparacionId_Id", "ReparacionId", "Id"),
    sa.Index("IX_WhatsAppOutbox_MessageId", "MessageId"),
)

template = sa.Table(
    "WhatsAppTemplate", metadata,
    # the channel's templates as ACS last listed them; one that disappeared is kept with Present = 0
    sa.Column("Name", sa.Unicode(512), primary_key=True),
    sa.Column("Language", sa.Unicode(20), primary_key=True),
    sa.Column("Status", sa.Unicode(20), nullable=False),
    sa.Column("Category", sa.Unicode(50), nullable=True),
    sa.Column("Parameters", LongText, nullable=False),
    sa.Column("Body", LongText, nullable=True),
    sa.Column("Buttons", LongText, nullable=True),
    sa.Column("Present", sa.Boolean, nullable=False),
    sa.Column("SyncedAt", DateTime2, nullable=False),
)

proposal = sa.Table(
    "WhatsAppProposal", metadata,
    # a reply the agent drafted; nothing reaches the customer until a person sends it
    sa.Column("Id", BigId, primary_key=True, autoincrement=True),
    sa.Column("ReparacionId", sa.Integer, nullable=False),
    sa.Column("Kind", sa.Unicode(20), nullable=False),
    sa.Column("Content", LongText, nullable=True),
    sa.Column("TemplatePurpose", sa.Unicode(50), nullable=True),
    sa.Column("ProposedBy", sa.Unicode(50), nullable=False),
    sa.Column("State", sa.Unicode(20), nullable=False),
    sa.Column("CreatedAt", DateTime2, nullable=False),
    sa.Column("DecidedByStaffId", sa.Unicode(100), nullable=True),
    sa.Column("DecidedByName", sa.Unicode(200), nullable=True),
    sa.Column("DecidedAt", DateTime2, nullable=True),
    sa.Column("OutboxId", sa.BigInteger, nullable=True),
    sa.Index("IX_WhatsAppProposal_ReparacionId_State", "ReparacionId", "State"),
)

# --- order notifications, consent, quote buttons (sql/009, issue 18) ---------------------------

order_status = sa.Table(
    "WhatsAppOrderStatus", metadata,
    # the last status of each order this app saw in Reparacion; a status CHANGE bumps ChangeSeq, and only the
    # writer whose conditional update moved it (from the status and sequence it read) notifies
    sa.Column("ReparacionId", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("EstadoReparacionId", sa.Integer, nullable=False),
    sa.Column("ChangeSeq", sa.Integer, nullable=False),
    sa.Column("ModificadoEn", DateTime2, nullable=False),
    sa.Column("SeenAt", DateTime2, nullable=False),
    sa.Column("ChangedAt", DateTime2, nullable=False),
    sa.Index("IX_WhatsAppOrderStatus_Estado_ChangedAt", "EstadoReparacionId", "ChangedAt"),
)

notification = sa.Table(
    "WhatsAppNotification", metadata,
    # one row per notification the rules asked for; the unique (order, kind, change, step) makes it once
    sa.Column("Id", BigId, primary_key=True, autoincrement=True),
    sa.Column("ReparacionId", sa.Integer, nullable=False),
    sa.Column("ClienteId", sa.Integer, nullable=True),
    sa.Column("Kind", sa.Unicode(20), nullable=False),
    sa.Column("ChangeSeq", sa.Integer, nullable=False),
    sa.Column("Step", sa.BigInteger, nullable=False),
    sa.Column("EstadoReparacionId", sa.Integer, nullable=True),
    sa.Column("Purpose", sa.Unicode(50), nullable=False),
    sa.Column("Mode", sa.Unicode(10), nullable=False),
    sa.Column("State", sa.Unicode(20), nullable=False),
    sa.Column("Reason", sa.Unicode(500), nullable=True),
    sa.Column("ChangedAt", DateTime2, nullable=False),
    sa.Column("DueAt", DateTime2, nullable=False),
    sa.Column("OutboxId", sa.BigInteger, nullable=True),
    sa.Column("DecidedByStaffId", sa.Unicode(100), nullable=True),
    sa.Column("DecidedByName", sa.Unicode(200), nullable=True),
    sa.Column("CreatedAt", DateTime2, nullable=False),
    sa.Column("UpdatedAt", DateTime2, nullable=False),
    sa.Index("UX_WhatsAppNotification_Change", "ReparacionId", "Kind", "ChangeSeq", "Step", unique=True),
    sa.Index("IX_WhatsAppNotification_State_DueAt", "State", "DueAt"),
)

consent = sa.Table(
    "WhatsAppConsent", metadata,
    # append-only: every opt-in and opt-out with its source, time, author and evidence; the row said last
    # (At, then Id) for the customer or the phone decides
    sa.Column("Id", BigId, primary_key=True, autoincrement=True),
    sa.Column("ClienteId", sa.Integer, nullable=True),
    sa.Column("PhoneKey", sa.Unicode(20), nullable=True),
    sa.Column("State", sa.Unicode(20), nullable=False),
    sa.Column("Source", sa.Unicode(20), nullable=False),
    sa.Column("At", DateTime2, nullable=False),
    sa.Column("ByStaffId", sa.Unicode(100), nullable=True),
    sa.Column("ByName", sa.Unicode(200), nullable=True),
    sa.Column("Evidence", sa.Unicode(500), nullable=True),
    sa.Column("MessageId", sa.BigInteger, nullable=True),
    sa.Index("IX_WhatsAppConsent_ClienteId_Id", "ClienteId", "Id"),
    sa.Index("IX_WhatsAppConsent_PhoneKey_Id", "PhoneKey", "Id"),
)

quote_reply = sa.Table(
    "WhatsAppQuoteReply", metadata,
    # what a quote button tap was: recorded (with its novedad), outdated, duplicate, forged...; DecisionKey is
    # the payload's digest for a recorded decision (so a replay is never a second novedad), else the message's
    sa.Column("Id", BigId, primary_key=True, autoincrement=True),
    sa.Column("MessageId", sa.BigInteger, nullable=False),
    sa.Column("DecisionKey", sa.Unicode(80), nullable=False),
    sa.Column("ReparacionId", sa.Integer, nullable=True),
    sa.Column("QuoteRef", sa.Integer, nullable=True),
    sa.Column("Decision", sa.Unicode(10), nullable=True),
    sa.Column("Outcome", sa.Unicode(20), nullable=False),
    sa.Column("NovedadId", sa.Integer, nullable=True),
    sa.Column("Monto", sa.Numeric(18, 2), nullable=True),
    sa.Column("CreatedAt", DateTime2, nullable=False),
    sa.Index("UX_WhatsAppQuoteReply_DecisionKey", "DecisionKey", unique=True),
    sa.Index("IX_WhatsAppQuoteReply_ReparacionId_Id", "ReparacionId", "Id"),
)

# --- the inbox's decisions (shared/triage.py): ours, never FastService's ------------------

SenderSource = Literal["staff", "agent-proposal"]
"""Who put a decision forward: staff directly, or the agent's proposal that staff confirmed."""

sender_alias = sa.Table(
    "WhatsAppSenderAlias", metadata,
    # a person's decision that a sender (``phone:<key>`` or ``bsuid:<id>``) is this customer; consulted at
    # ingest before the phone index. At most one active (UndoneAt NULL) per sender.
    sa.Column("Id", BigId, primary_key=True, autoincrement=True),
    sa.Column("SenderKey", sa.Unicode(120), nullable=False),
    sa.Column("ClienteId", sa.Integer, nullable=False),
    sa.Column("ReparacionId", sa.Integer, nullable=True),
    sa.Column("DecisionId", sa.BigInteger, nullable=False),
    sa.Column("Source", sa.Unicode(20), nullable=False),
    sa.Column("DecidedById", sa.Unicode(100), nullable=True),
    sa.Column("DecidedByName", sa.Unicode(200), nullable=True),
    sa.Column("DecidedAt", DateTime2, nullable=False),
    sa.Column("UndoneAt", DateTime2, nullable=True),
    sa.Column("UndoneById", sa.Unicode(100), nullable=True),
    sa.Column("UndoneByName", sa.Unicode(200), nullable=True),
)
_filtered("UX_WhatsAppSenderAlias_SenderKey_Active", sender_alias.c.SenderKey,
          where=sender_alias.c.UndoneAt.is_(None), unique=True)

triage_decision = sa.Table(
    "WhatsAppTriageDecision", metadata,
    # every inbox decision: who, when, what (assign / pick_candidate / move), how many messages it moved;
    # an undo is written on the row it undoes
    sa.Column("Id", BigId, primary_key=True, autoincrement=True),
    sa.Column("Kind", sa.Unicode(20), nullable=False),
    sa.Column("SenderKey", sa.Unicode(120), nullable=True),
    sa.Column("ClienteId", sa.Integer, nullable=False),
    sa.Column("ReparacionId", sa.Integer, nullable=True),
    sa.Column("FromMessageId", sa.BigInteger, nullable=True),
    sa.Column("ToMessageId", sa.BigInteger, nullable=True),
    sa.Column("MessageCount", sa.Integer, nullable=False),
    sa.Column("Source", sa.Unicode(20), nullable=False),
    sa.Column("ProposalId", sa.BigInteger, nullable=True),
    sa.Column("DecidedById", sa.Unicode(100), nullable=True),
    sa.Column("DecidedByName", sa.Unicode(200), nullable=True),
    sa.Column("DecidedAt", DateTime2, nullable=False),
    sa.Column("UndoneAt", DateTime2, nullable=True),
    sa.Column("UndoneById", sa.Unicode(100), nullable=True),
    sa.Column("UndoneByName", sa.Unicode(200), nullable=True),
    sa.Column("UndoneCount", sa.Integer, nullable=True),
    sa.Index("IX_WhatsAppTriageDecision_SenderKey_DecidedAt", "SenderKey", "DecidedAt"),
    sa.Index("IX_WhatsAppTriageDecision_ClienteId_DecidedAt", "ClienteId", "DecidedAt"),
)

triage_link = sa.Table(
    "WhatsAppTriageLink", metadata,
    # what a decision changed, message by message, and what each message was before: an undo restores
    # exactly these (those no later decision moved again)
    sa.Column("DecisionId", sa.BigInteger, primary_key=True),
    sa.Column("MessageId", sa.BigInteger, primary_key=True),
    sa.Column("PrevClienteId", sa.Integer, nullable=True),
    sa.Column("PrevReparacionId", sa.Integer, nullable=True),
    sa.Column("PrevMatchStatus", sa.Unicode(20), nullable=False),
    sa.Column("PrevMatchCandidates", sa.Unicode(200), nullable=True),
    sa.Column("PrevDecisionId", sa.BigInteger, nullable=True),
)

assignment_proposal = sa.Table(
    "WhatsAppAssignmentProposal", metadata,
    # the agent's suggestion that a sender is a customer: nothing is linked until staff confirm it
    sa.Column("Id", BigId, primary_key=True, autoincrement=True),
    sa.Column("SenderKey", sa.Unicode(120), nullable=False),
    sa.Column("ClienteId", sa.Integer, nullable=False),
    sa.Column("ReparacionId", sa.Integer, nullable=True),
    sa.Column("Reason", sa.Unicode(500), nullable=True),
    sa.Column("Status", sa.Unicode(20), nullable=False),
    sa.Column("ProposedAt", DateTime2, nullable=False),
    sa.Column("DecidedAt", DateTime2, nullable=True),
    sa.Column("DecidedById", sa.Unicode(100), nullable=True),
    sa.Column("DecidedByName", sa.Unicode(200), nullable=True),
    sa.Column("DecisionId", sa.BigInteger, nullable=True),
    sa.Index("IX_WhatsAppAssignmentProposal_SenderKey_Status", "SenderKey", "Status"),
    sa.Index("IX_WhatsAppAssignmentProposal_Status_ProposedAt", "Status", "ProposedAt"),
)

# --- history imported from chat exports (sql/008) ----------------------------------------------

IMPORT_SOURCE = "import"
"""``WhatsAppMessage.Source`` of a message imported from a WhatsApp chat export."""

history_import = sa.Table(
    "WhatsAppImport", metadata,
    # one row per imported export file; the unique hash makes the same file twice one import
    sa.Column("Id", BigId, primary_key=True, autoincrement=True),
    sa.Column("FileHash", sa.Unicode(64), nullable=False),
    sa.Column("FileName", sa.Unicode(255), nullable=False),
    sa.Column("ClienteId", sa.Integer, nullable=False),
    sa.Column("ReparacionId", sa.Integer, nullable=True),
    sa.Column("PhoneNumber", sa.Unicode(20), nullable=True),
    sa.Column("ShopParticipant", sa.Unicode(200), nullable=False),
    sa.Column("State", sa.Unicode(20), nullable=False),
    sa.Column("Via", sa.Unicode(20), nullable=False),
    sa.Column("ImportedByStaffId", sa.Unicode(100), nullable=True),
    sa.Column("ImportedByName", sa.Unicode(200), nullable=True),
    sa.Column("MessagesInFile", sa.Integer, nullable=False),
    sa.Column("MessagesImported", sa.Integer, nullable=False),
    sa.Column("MessagesAlreadyStored", sa.Integer, nullable=False),
    sa.Column("DuplicatesOfLive", sa.Integer, nullable=False),
    sa.Column("FirstMessageAt", DateTime2, nullable=True),
    sa.Column("LastMessageAt", DateTime2, nullable=True),
    sa.Column("StartedAt", DateTime2, nullable=False),
    sa.Column("CompletedAt", DateTime2, nullable=True),
    sa.Column("ErrorMessage", sa.Unicode(500), nullable=True),
    sa.Index("UX_WhatsAppImport_FileHash", "FileHash", unique=True),
    sa.Index("IX_WhatsAppImport_ClienteId", "ClienteId"),
)
