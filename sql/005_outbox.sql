-- 005: sending staff replies through ACS (issue 15): the outbox, the template registry, the agent's
-- proposals, and who sent each of the shop's messages. New objects and new nullable columns only; no
-- legacy table is altered. Identifiers compared byte for byte (client request ids, ACS message ids) use a
-- binary collation: the database default is case-insensitive. Idempotent. Run with:
--   sqlcmd -S <server>.database.windows.net -d <db> -G -b -i sql/005_outbox.sql
SET XACT_ABORT ON;
GO

-- The shop's messages sent from the panel: who sent them, and the outbox row they came from.
IF COL_LENGTH(N'dbo.WhatsAppMessage', N'SentByStaffId') IS NULL
    ALTER TABLE [dbo].[WhatsAppMessage] ADD [SentByStaffId] NVARCHAR(100) NULL;
IF COL_LENGTH(N'dbo.WhatsAppMessage', N'SentByName') IS NULL
    ALTER TABLE [dbo].[WhatsAppMessage] ADD [SentByName] NVARCHAR(200) NULL;
IF COL_LENGTH(N'dbo.WhatsAppMessage', N'OutboxId') IS NULL
    ALTER TABLE [dbo].[WhatsAppMessage] ADD [OutboxId] BIGINT NULL;
GO

IF OBJECT_ID(N'dbo.WhatsAppOutbox', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppOutbox] (
        [Id] BIGINT IDENTITY(1,1) NOT NULL,
        [ClientRequestId] NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NOT NULL,
        [RequestHash] NVARCHAR(64) NOT NULL,
        [ReparacionId] INTEGER NOT NULL,
        [ClienteId] INTEGER NULL,
        [PhoneNumber] NVARCHAR(20) NOT NULL,
        [PhoneKey] NVARCHAR(20) NOT NULL,
        [SendTo] NVARCHAR(20) NOT NULL,
        [Kind] NVARCHAR(20) NOT NULL,
        [Content] NVARCHAR(max) NULL,
        [TemplateName] NVARCHAR(512) NULL,
        [TemplateLanguage] NVARCHAR(20) NULL,
        [TemplateValues] NVARCHAR(max) NULL,
        [ProposalId] BIGINT NULL,
        [RequestedByStaffId] NVARCHAR(100) NULL,
        [RequestedByName] NVARCHAR(200) NULL,
        [RepeatabilityRequestId] NVARCHAR(36) NOT NULL,
        [RepeatabilityFirstSent] NVARCHAR(40) NOT NULL,
        [State] NVARCHAR(20) NOT NULL,
        [Attempts] INTEGER NOT NULL,
        [NextAttemptAt] DATETIME2 NULL,
        [LeaseUntil] DATETIME2 NULL,
        [LastAttemptAt] DATETIME2 NULL,
        [MessageId] NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NULL,
        [ErrorCode] NVARCHAR(50) NULL,
        [Reason] NVARCHAR(500) NULL,
        [CreatedAt] DATETIME2 NOT NULL,
        [UpdatedAt] DATETIME2 NOT NULL,
        CONSTRAINT [PK_WhatsAppOutbox] PRIMARY KEY ([Id])
    );
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppOutbox_MessageId' AND object_id = OBJECT_ID(N'dbo.WhatsAppOutbox'))
    CREATE INDEX [IX_WhatsAppOutbox_MessageId] ON [dbo].[WhatsAppOutbox] ([MessageId]);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppOutbox_PhoneKey_State' AND object_id = OBJECT_ID(N'dbo.WhatsAppOutbox'))
    CREATE INDEX [IX_WhatsAppOutbox_PhoneKey_State] ON [dbo].[WhatsAppOutbox] ([PhoneKey], [State]);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppOutbox_ReparacionId_Id' AND object_id = OBJECT_ID(N'dbo.WhatsAppOutbox'))
    CREATE INDEX [IX_WhatsAppOutbox_ReparacionId_Id] ON [dbo].[WhatsAppOutbox] ([ReparacionId], [Id]);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppOutbox_State_NextAttemptAt' AND object_id = OBJECT_ID(N'dbo.WhatsAppOutbox'))
    CREATE INDEX [IX_WhatsAppOutbox_State_NextAttemptAt] ON [dbo].[WhatsAppOutbox] ([State], [NextAttemptAt]);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'UX_WhatsAppOutbox_ClientRequestId' AND object_id = OBJECT_ID(N'dbo.WhatsAppOutbox'))
    CREATE UNIQUE INDEX [UX_WhatsAppOutbox_ClientRequestId] ON [dbo].[WhatsAppOutbox] ([ClientRequestId]);
GO

IF OBJECT_ID(N'dbo.WhatsAppProposal', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppProposal] (
        [Id] BIGINT IDENTITY(1,1) NOT NULL,
        [ReparacionId] INTEGER NOT NULL,
        [Kind] NVARCHAR(20) NOT NULL,
        [Content] NVARCHAR(max) NULL,
        [TemplatePurpose] NVARCHAR(50) NULL,
        [ProposedBy] NVARCHAR(50) NOT NULL,
        [State] NVARCHAR(20) NOT NULL,
        [CreatedAt] DATETIME2 NOT NULL,
        [DecidedByStaffId] NVARCHAR(100) NULL,
        [DecidedByName] NVARCHAR(200) NULL,
        [DecidedAt] DATETIME2 NULL,
        [OutboxId] BIGINT NULL,
        CONSTRAINT [PK_WhatsAppProposal] PRIMARY KEY ([Id])
    );
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppProposal_ReparacionId_State' AND object_id = OBJECT_ID(N'dbo.WhatsAppProposal'))
    CREATE INDEX [IX_WhatsAppProposal_ReparacionId_State] ON [dbo].[WhatsAppProposal] ([ReparacionId], [State]);
GO

IF OBJECT_ID(N'dbo.WhatsAppTemplate', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppTemplate] (
        [Name] NVARCHAR(512) NOT NULL,
        [Language] NVARCHAR(20) NOT NULL,
        [Status] NVARCHAR(20) NOT NULL,
        [Category] NVARCHAR(50) NULL,
        [Parameters] NVARCHAR(max) NOT NULL,
        [Body] NVARCHAR(max) NULL,
        [Buttons] NVARCHAR(max) NULL,
        [Present] BIT NOT NULL,
        [SyncedAt] DATETIME2 NOT NULL,
        CONSTRAINT [PK_WhatsAppTemplate] PRIMARY KEY ([Name], [Language])
    );
GO

IF NOT EXISTS (SELECT 1 FROM [dbo].[WhatsAppSchemaVersion] WHERE [Version] = 4)
    INSERT INTO [dbo].[WhatsAppSchemaVersion] ([Version], [Description], [AppliedAt])
    VALUES (4, N'Outbox, templates and proposals (sending through ACS)', SYSUTCDATETIME());
GO
