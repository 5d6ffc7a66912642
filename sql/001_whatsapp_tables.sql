-- 001: WhatsApp tables and indexes (new objects only; no legacy table is altered).
-- Idempotent: every object is created only when missing. Run with:
--   sqlcmd -S <server>.database.windows.net -d <db> -G -i sql/001_whatsapp_tables.sql
-- No foreign keys to legacy tables: FastService deletes customers/orders directly and a
-- constraint of ours would make those deletes fail.
SET XACT_ABORT ON;
GO

IF OBJECT_ID(N'dbo.WhatsAppBsuid', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppBsuid] (
        [Bsuid] NVARCHAR(100) NOT NULL,
        [PhoneKey] NVARCHAR(20) NOT NULL,
        [E164] NVARCHAR(20) NOT NULL,
        [FirstSeenAt] DATETIME2 NOT NULL,
        [LastSeenAt] DATETIME2 NOT NULL,
        CONSTRAINT [PK_WhatsAppBsuid] PRIMARY KEY ([Bsuid])
    );
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppBsuid_PhoneKey' AND object_id = OBJECT_ID(N'dbo.WhatsAppBsuid'))
    CREATE INDEX [IX_WhatsAppBsuid_PhoneKey] ON [dbo].[WhatsAppBsuid] ([PhoneKey]);
GO

IF OBJECT_ID(N'dbo.WhatsAppCustomerPhone', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppCustomerPhone] (
        [ClienteId] INTEGER NOT NULL,
        [SourceField] NVARCHAR(20) NOT NULL,
        [PhoneKey] NVARCHAR(20) NOT NULL,
        [E164] NVARCHAR(20) NOT NULL,
        [PhonesHash] NVARCHAR(16) NOT NULL,
        [IndexedAt] DATETIME2 NOT NULL,
        CONSTRAINT [PK_WhatsAppCustomerPhone] PRIMARY KEY ([ClienteId], [SourceField], [PhoneKey])
    );
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppCustomerPhone_PhoneKey' AND object_id = OBJECT_ID(N'dbo.WhatsAppCustomerPhone'))
    CREATE INDEX [IX_WhatsAppCustomerPhone_PhoneKey] ON [dbo].[WhatsAppCustomerPhone] ([PhoneKey]);
GO

IF OBJECT_ID(N'dbo.WhatsAppMessage', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppMessage] (
        [Id] BIGINT IDENTITY(1,1) NOT NULL,
        [MessageKey] NVARCHAR(200) NOT NULL,
        [WhatsAppMessageId] NVARCHAR(100) NULL,
        [EventId] NVARCHAR(100) NULL,
        [ReparacionId] INTEGER NULL,
        [ClienteId] INTEGER NULL,
        [PhoneNumber] NVARCHAR(20) NULL,
        [PhoneKey] NVARCHAR(20) NULL,
        [Bsuid] NVARCHAR(100) NULL,
        [MatchStatus] NVARCHAR(20) NOT NULL,
        [MatchCandidates] NVARCHAR(200) NULL,
        [Direction] NVARCHAR(10) NOT NULL,
        [MessageType] NVARCHAR(50) NOT NULL,
        [Content] NVARCHAR(max) NULL,
        [MediaId] NVARCHAR(100) NULL,
        [MediaMimeType] NVARCHAR(100) NULL,
        [MediaFileName] NVARCHAR(255) NULL,
        [MediaCaption] NVARCHAR(max) NULL,
        [ReplyToMessageId] NVARCHAR(100) NULL,
        [ReactionEmoji] NVARCHAR(20) NULL,
        [ReactionMessageId] NVARCHAR(100) NULL,
        [ChoiceTitle] NVARCHAR(255) NULL,
        [ChoicePayload] NVARCHAR(1000) NULL,
        [ChannelId] NVARCHAR(100) NULL,
        [WhatsAppTimestamp] DATETIME2 NOT NULL,
        [ReceivedAt] DATETIME2 NOT NULL,
        [CreatedAt] DATETIME2 NOT NULL,
        [RawPayload] NVARCHAR(max) NULL,
        [RawTruncated] BIT NOT NULL,
        CONSTRAINT [PK_WhatsAppMessage] PRIMARY KEY ([Id])
    );
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppMessage_Bsuid' AND object_id = OBJECT_ID(N'dbo.WhatsAppMessage'))
    CREATE INDEX [IX_WhatsAppMessage_Bsuid] ON [dbo].[WhatsAppMessage] ([Bsuid]);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppMessage_PhoneKey_WhatsAppTimestamp' AND object_id = OBJECT_ID(N'dbo.WhatsAppMessage'))
    CREATE INDEX [IX_WhatsAppMessage_PhoneKey_WhatsAppTimestamp] ON [dbo].[WhatsAppMessage] ([PhoneKey], [WhatsAppTimestamp]);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppMessage_ReparacionId_WhatsAppTimestamp' AND object_id = OBJECT_ID(N'dbo.WhatsAppMessage'))
    CREATE INDEX [IX_WhatsAppMessage_ReparacionId_WhatsAppTimestamp] ON [dbo].[WhatsAppMessage] ([ReparacionId], [WhatsAppTimestamp], [Id]);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppMessage_WhatsAppMessageId' AND object_id = OBJECT_ID(N'dbo.WhatsAppMessage'))
    CREATE INDEX [IX_WhatsAppMessage_WhatsAppMessageId] ON [dbo].[WhatsAppMessage] ([WhatsAppMessageId]);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'UX_WhatsAppMessage_MessageKey' AND object_id = OBJECT_ID(N'dbo.WhatsAppMessage'))
    CREATE UNIQUE INDEX [UX_WhatsAppMessage_MessageKey] ON [dbo].[WhatsAppMessage] ([MessageKey]);
GO

IF OBJECT_ID(N'dbo.WhatsAppMessageStatus', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppMessageStatus] (
        [WhatsAppMessageId] NVARCHAR(100) NOT NULL,
        [Status] NVARCHAR(20) NOT NULL,
        [StatusRank] SMALLINT NOT NULL,
        [ErrorCode] NVARCHAR(20) NULL,
        [ErrorMessage] NVARCHAR(500) NULL,
        [StatusAt] DATETIME2 NOT NULL,
        [UpdatedAt] DATETIME2 NOT NULL,
        [EventId] NVARCHAR(100) NULL,
        CONSTRAINT [PK_WhatsAppMessageStatus] PRIMARY KEY ([WhatsAppMessageId])
    );
GO

IF OBJECT_ID(N'dbo.WhatsAppQuarantine', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppQuarantine] (
        [Id] BIGINT IDENTITY(1,1) NOT NULL,
        [PayloadHash] NVARCHAR(64) NOT NULL,
        [EventId] NVARCHAR(100) NULL,
        [EventType] NVARCHAR(200) NULL,
        [Reason] NVARCHAR(500) NOT NULL,
        [Payload] NVARCHAR(max) NULL,
        [PayloadTruncated] BIT NOT NULL,
        [ReceivedAt] DATETIME2 NOT NULL,
        CONSTRAINT [PK_WhatsAppQuarantine] PRIMARY KEY ([Id])
    );
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'UX_WhatsAppQuarantine_PayloadHash' AND object_id = OBJECT_ID(N'dbo.WhatsAppQuarantine'))
    CREATE UNIQUE INDEX [UX_WhatsAppQuarantine_PayloadHash] ON [dbo].[WhatsAppQuarantine] ([PayloadHash]);
GO

IF OBJECT_ID(N'dbo.WhatsAppSchemaVersion', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppSchemaVersion] (
        [Version] INTEGER NOT NULL,
        [Description] NVARCHAR(200) NOT NULL,
        [AppliedAt] DATETIME2 NOT NULL,
        CONSTRAINT [PK_WhatsAppSchemaVersion] PRIMARY KEY ([Version])
    );
GO

IF OBJECT_ID(N'dbo.WhatsAppState', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppState] (
        [Name] NVARCHAR(100) NOT NULL,
        [Value] NVARCHAR(400) NOT NULL,
        [UpdatedAt] DATETIME2 NOT NULL,
        CONSTRAINT [PK_WhatsAppState] PRIMARY KEY ([Name])
    );
GO

IF OBJECT_ID(N'dbo.WhatsAppSummary', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppSummary] (
        [Id] BIGINT IDENTITY(1,1) NOT NULL,
        [ReparacionId] INTEGER NOT NULL,
        [NovedadId] INTEGER NOT NULL,
        [LastMessageId] BIGINT NOT NULL,
        [MessageCount] INTEGER NOT NULL,
        [Provider] NVARCHAR(50) NOT NULL,
        [CreatedAt] DATETIME2 NOT NULL,
        CONSTRAINT [PK_WhatsAppSummary] PRIMARY KEY ([Id])
    );
-- An earlier draft of this script (never released) made (ReparacionId, LastMessageId) alone unique.
IF EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'UX_WhatsAppSummary_ReparacionId_LastMessageId' AND object_id = OBJECT_ID(N'dbo.WhatsAppSummary'))
    DROP INDEX [UX_WhatsAppSummary_ReparacionId_LastMessageId] ON [dbo].[WhatsAppSummary];
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'UX_WhatsAppSummary_Watermark' AND object_id = OBJECT_ID(N'dbo.WhatsAppSummary'))
    CREATE UNIQUE INDEX [UX_WhatsAppSummary_Watermark] ON [dbo].[WhatsAppSummary] ([ReparacionId], [LastMessageId], [MessageCount]);
GO

IF OBJECT_ID(N'dbo.WhatsAppSyncLog', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppSyncLog] (
        [Id] BIGINT IDENTITY(1,1) NOT NULL,
        [ClienteId] INTEGER NOT NULL,
        [ReparacionId] INTEGER NULL,
        [PhoneNumber] NVARCHAR(20) NULL,
        [LastSyncAt] DATETIME2 NOT NULL,
        [MessageCount] INTEGER NOT NULL,
        [LastMessageId] BIGINT NULL,
        [Status] NVARCHAR(20) NOT NULL,
        [ErrorMessage] NVARCHAR(500) NULL,
        CONSTRAINT [PK_WhatsAppSyncLog] PRIMARY KEY ([Id])
    );
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppSyncLog_ClienteId_LastSyncAt' AND object_id = OBJECT_ID(N'dbo.WhatsAppSyncLog'))
    CREATE INDEX [IX_WhatsAppSyncLog_ClienteId_LastSyncAt] ON [dbo].[WhatsAppSyncLog] ([ClienteId], [LastSyncAt]);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppSyncLog_ReparacionId_LastSyncAt' AND object_id = OBJECT_ID(N'dbo.WhatsAppSyncLog'))
    CREATE INDEX [IX_WhatsAppSyncLog_ReparacionId_LastSyncAt] ON [dbo].[WhatsAppSyncLog] ([ReparacionId], [LastSyncAt]);
GO

IF NOT EXISTS (SELECT 1 FROM [dbo].[WhatsAppSchemaVersion] WHERE [Version] = 1)
    INSERT INTO [dbo].[WhatsAppSchemaVersion] ([Version], [Description], [AppliedAt])
    VALUES (1, N'WhatsApp tables', SYSUTCDATETIME());
GO
