-- 008: history imported from WhatsApp chat exports ("Exportar chat"): the messages say where they came from,
-- and one WhatsAppImport row per imported file (who, when, counts, state). No legacy table is altered.
-- Idempotent: every object is created only when missing. Run with:
--   sqlcmd -S <server>.database.windows.net -d <db> -G -b -i sql/008_history_import.sql
SET XACT_ABORT ON;
GO

IF COL_LENGTH(N'dbo.WhatsAppMessage', N'Source') IS NULL
    ALTER TABLE [dbo].[WhatsAppMessage] ADD [Source] NVARCHAR(20) NULL;
IF COL_LENGTH(N'dbo.WhatsAppMessage', N'ImportId') IS NULL
    ALTER TABLE [dbo].[WhatsAppMessage] ADD [ImportId] BIGINT NULL;
GO

IF OBJECT_ID(N'dbo.WhatsAppImport', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppImport] (
        [Id] BIGINT IDENTITY(1,1) NOT NULL,
        [FileHash] NVARCHAR(64) NOT NULL,
        [FileName] NVARCHAR(255) NOT NULL,
        [ClienteId] INTEGER NOT NULL,
        [ReparacionId] INTEGER NULL,
        [PhoneNumber] NVARCHAR(20) NULL,
        [ShopParticipant] NVARCHAR(200) NOT NULL,
        [State] NVARCHAR(20) NOT NULL,
        [Via] NVARCHAR(20) NOT NULL,
        [ImportedByStaffId] NVARCHAR(100) NULL,
        [ImportedByName] NVARCHAR(200) NULL,
        [MessagesInFile] INTEGER NOT NULL,
        [MessagesImported] INTEGER NOT NULL,
        [MessagesAlreadyStored] INTEGER NOT NULL,
        [DuplicatesOfLive] INTEGER NOT NULL,
        [FirstMessageAt] DATETIME2 NULL,
        [LastMessageAt] DATETIME2 NULL,
        [StartedAt] DATETIME2 NOT NULL,
        [CompletedAt] DATETIME2 NULL,
        [ErrorMessage] NVARCHAR(500) NULL,
        CONSTRAINT [PK_WhatsAppImport] PRIMARY KEY ([Id])
    );
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'UX_WhatsAppImport_FileHash' AND object_id = OBJECT_ID(N'dbo.WhatsAppImport'))
    CREATE UNIQUE INDEX [UX_WhatsAppImport_FileHash] ON [dbo].[WhatsAppImport] ([FileHash]);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppImport_ClienteId' AND object_id = OBJECT_ID(N'dbo.WhatsAppImport'))
    CREATE INDEX [IX_WhatsAppImport_ClienteId] ON [dbo].[WhatsAppImport] ([ClienteId]);
GO

IF NOT EXISTS (SELECT 1 FROM [dbo].[WhatsAppSchemaVersion] WHERE [Version] = 7)
    INSERT INTO [dbo].[WhatsAppSchemaVersion] ([Version], [Description], [AppliedAt])
    VALUES (7, N'History imported from chat exports', SYSUTCDATETIME());
GO
