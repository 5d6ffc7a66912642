-- 006: WhatsAppMedia, one row per media item of a message (issue 16): where its bytes are in Blob
-- Storage, or why they are not (pending download, failed, expired). New objects only.
-- Idempotent: every object is created only when missing. Run with:
--   sqlcmd -S <server>.database.windows.net -d <db> -G -i sql/006_media.sql
SET XACT_ABORT ON;
GO

IF OBJECT_ID(N'dbo.WhatsAppMedia', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppMedia] (
        [Id] BIGINT IDENTITY(1,1) NOT NULL,
        [MessageId] BIGINT NOT NULL,
        [Source] NVARCHAR(20) NOT NULL,
        [Kind] NVARCHAR(20) NOT NULL,
        [AcsMediaId] NVARCHAR(100) NULL,
        [DeclaredMimeType] NVARCHAR(100) NULL,
        [FileName] NVARCHAR(255) NULL,
        [State] NVARCHAR(20) NOT NULL,
        [Reason] NVARCHAR(500) NULL,
        [Attempts] INTEGER NOT NULL,
        [NextAttemptAt] DATETIME2 NULL,
        [LeaseToken] NVARCHAR(40) NULL,
        [LeaseUntil] DATETIME2 NULL,
        [ExpiresAt] DATETIME2 NOT NULL,
        [BlobName] NVARCHAR(200) NOT NULL,
        [ContentType] NVARCHAR(100) NULL,
        [SizeBytes] BIGINT NULL,
        [Sha256] NVARCHAR(64) NULL,
        [CreatedAt] DATETIME2 NOT NULL,
        [UpdatedAt] DATETIME2 NOT NULL,
        [StoredAt] DATETIME2 NULL,
        CONSTRAINT [PK_WhatsAppMedia] PRIMARY KEY ([Id])
    );
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppMedia_State_NextAttemptAt' AND object_id = OBJECT_ID(N'dbo.WhatsAppMedia'))
    CREATE INDEX [IX_WhatsAppMedia_State_NextAttemptAt] ON [dbo].[WhatsAppMedia] ([State], [NextAttemptAt]);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'UX_WhatsAppMedia_MessageId_BlobName' AND object_id = OBJECT_ID(N'dbo.WhatsAppMedia'))
    CREATE UNIQUE INDEX [UX_WhatsAppMedia_MessageId_BlobName] ON [dbo].[WhatsAppMedia] ([MessageId], [BlobName]);
GO

IF NOT EXISTS (SELECT 1 FROM [dbo].[WhatsAppSchemaVersion] WHERE [Version] = 5)
    INSERT INTO [dbo].[WhatsAppSchemaVersion] ([Version], [Description], [AppliedAt])
    VALUES (5, N'WhatsApp media', SYSUTCDATETIME());
GO
