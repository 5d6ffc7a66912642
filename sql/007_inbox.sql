-- 007: the inbox (issue 17): staff decisions about who a WhatsApp sender is and which order holds which
-- messages. New objects, one new nullable column, and filtered indexes on WhatsAppMessage that each tab of the
-- inbox reads (only rows that need a person: a few thousand, not the whole table). No legacy table is altered:
-- a decision is an alias of ours (WhatsAppSenderAlias), FastService's Cliente is never written.
-- Idempotent. Run with:
--   sqlcmd -S <server>.database.windows.net -d <db> -G -b -i sql/007_inbox.sql
SET XACT_ABORT ON;
GO

-- The decision that last set a message's customer or order (an undo restores only what it still holds).
IF COL_LENGTH(N'dbo.WhatsAppMessage', N'TriageDecisionId') IS NULL
    ALTER TABLE [dbo].[WhatsAppMessage] ADD [TriageDecisionId] BIGINT NULL;
GO

-- Filtered indexes, one per tab (shared/inbox.py states the same conditions as literals).
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppMessage_Unassigned_Phone' AND object_id = OBJECT_ID(N'dbo.WhatsAppMessage'))
    CREATE INDEX [IX_WhatsAppMessage_Unassigned_Phone] ON [dbo].[WhatsAppMessage] ([MatchStatus], [PhoneKey], [WhatsAppTimestamp], [ClienteId], [ReparacionId]) WHERE [ClienteId] IS NULL AND [ReparacionId] IS NULL;
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppMessage_Unassigned_Time' AND object_id = OBJECT_ID(N'dbo.WhatsAppMessage'))
    CREATE INDEX [IX_WhatsAppMessage_Unassigned_Time] ON [dbo].[WhatsAppMessage] ([WhatsAppTimestamp], [MatchStatus], [PhoneKey], [Bsuid], [ClienteId], [ReparacionId]) WHERE [ClienteId] IS NULL AND [ReparacionId] IS NULL;
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppMessage_Unassigned_Bsuid' AND object_id = OBJECT_ID(N'dbo.WhatsAppMessage'))
    CREATE INDEX [IX_WhatsAppMessage_Unassigned_Bsuid] ON [dbo].[WhatsAppMessage] ([Bsuid], [WhatsAppTimestamp], [PhoneKey], [ClienteId], [ReparacionId]) WHERE [ClienteId] IS NULL AND [ReparacionId] IS NULL AND [PhoneKey] IS NULL;
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppMessage_Unlinked_Time' AND object_id = OBJECT_ID(N'dbo.WhatsAppMessage'))
    CREATE INDEX [IX_WhatsAppMessage_Unlinked_Time] ON [dbo].[WhatsAppMessage] ([WhatsAppTimestamp], [ClienteId], [ReparacionId]) WHERE [ReparacionId] IS NULL AND [ClienteId] IS NOT NULL;
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppMessage_Unlinked_Customer' AND object_id = OBJECT_ID(N'dbo.WhatsAppMessage'))
    CREATE INDEX [IX_WhatsAppMessage_Unlinked_Customer] ON [dbo].[WhatsAppMessage] ([ClienteId], [WhatsAppTimestamp], [ReparacionId]) WHERE [ReparacionId] IS NULL AND [ClienteId] IS NOT NULL;
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppMessage_Inbound_Linked' AND object_id = OBJECT_ID(N'dbo.WhatsAppMessage'))
    CREATE INDEX [IX_WhatsAppMessage_Inbound_Linked] ON [dbo].[WhatsAppMessage] ([WhatsAppTimestamp], [ReparacionId], [Direction], [MessageType]) WHERE [Direction] = 'inbound' AND [ReparacionId] IS NOT NULL;
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppMessage_TriageDecisionId' AND object_id = OBJECT_ID(N'dbo.WhatsAppMessage'))
    CREATE INDEX [IX_WhatsAppMessage_TriageDecisionId] ON [dbo].[WhatsAppMessage] ([TriageDecisionId]) WHERE [TriageDecisionId] IS NOT NULL;
GO

IF OBJECT_ID(N'dbo.WhatsAppSenderAlias', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppSenderAlias] (
        [Id] BIGINT IDENTITY(1,1) NOT NULL,
        [SenderKey] NVARCHAR(120) NOT NULL,
        [ClienteId] INTEGER NOT NULL,
        [ReparacionId] INTEGER NULL,
        [DecisionId] BIGINT NOT NULL,
        [Source] NVARCHAR(20) NOT NULL,
        [DecidedById] NVARCHAR(100) NULL,
        [DecidedByName] NVARCHAR(200) NULL,
        [DecidedAt] DATETIME2 NOT NULL,
        [UndoneAt] DATETIME2 NULL,
        [UndoneById] NVARCHAR(100) NULL,
        [UndoneByName] NVARCHAR(200) NULL,
        CONSTRAINT [PK_WhatsAppSenderAlias] PRIMARY KEY ([Id])
    );
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'UX_WhatsAppSenderAlias_SenderKey_Active' AND object_id = OBJECT_ID(N'dbo.WhatsAppSenderAlias'))
    CREATE UNIQUE INDEX [UX_WhatsAppSenderAlias_SenderKey_Active] ON [dbo].[WhatsAppSenderAlias] ([SenderKey]) WHERE [UndoneAt] IS NULL;
GO

IF OBJECT_ID(N'dbo.WhatsAppTriageDecision', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppTriageDecision] (
        [Id] BIGINT IDENTITY(1,1) NOT NULL,
        [Kind] NVARCHAR(20) NOT NULL,
        [SenderKey] NVARCHAR(120) NULL,
        [ClienteId] INTEGER NOT NULL,
        [ReparacionId] INTEGER NULL,
        [FromMessageId] BIGINT NULL,
        [ToMessageId] BIGINT NULL,
        [MessageCount] INTEGER NOT NULL,
        [Source] NVARCHAR(20) NOT NULL,
        [ProposalId] BIGINT NULL,
        [DecidedById] NVARCHAR(100) NULL,
        [DecidedByName] NVARCHAR(200) NULL,
        [DecidedAt] DATETIME2 NOT NULL,
        [UndoneAt] DATETIME2 NULL,
        [UndoneById] NVARCHAR(100) NULL,
        [UndoneByName] NVARCHAR(200) NULL,
        [UndoneCount] INTEGER NULL,
        CONSTRAINT [PK_WhatsAppTriageDecision] PRIMARY KEY ([Id])
    );
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppTriageDecision_ClienteId_DecidedAt' AND object_id = OBJECT_ID(N'dbo.WhatsAppTriageDecision'))
    CREATE INDEX [IX_WhatsAppTriageDecision_ClienteId_DecidedAt] ON [dbo].[WhatsAppTriageDecision] ([ClienteId], [DecidedAt]);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppTriageDecision_SenderKey_DecidedAt' AND object_id = OBJECT_ID(N'dbo.WhatsAppTriageDecision'))
    CREATE INDEX [IX_WhatsAppTriageDecision_SenderKey_DecidedAt] ON [dbo].[WhatsAppTriageDecision] ([SenderKey], [DecidedAt]);
GO

IF OBJECT_ID(N'dbo.WhatsAppTriageLink', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppTriageLink] (
        [DecisionId] BIGINT NOT NULL,
        [MessageId] BIGINT NOT NULL,
        [PrevClienteId] INTEGER NULL,
        [PrevReparacionId] INTEGER NULL,
        [PrevMatchStatus] NVARCHAR(20) NOT NULL,
        [PrevMatchCandidates] NVARCHAR(200) NULL,
        [PrevDecisionId] BIGINT NULL,
        CONSTRAINT [PK_WhatsAppTriageLink] PRIMARY KEY ([DecisionId], [MessageId])
    );
GO

IF OBJECT_ID(N'dbo.WhatsAppAssignmentProposal', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppAssignmentProposal] (
        [Id] BIGINT IDENTITY(1,1) NOT NULL,
        [SenderKey] NVARCHAR(120) NOT NULL,
        [ClienteId] INTEGER NOT NULL,
        [ReparacionId] INTEGER NULL,
        [Reason] NVARCHAR(500) NULL,
        [Status] NVARCHAR(20) NOT NULL,
        [ProposedAt] DATETIME2 NOT NULL,
        [DecidedAt] DATETIME2 NULL,
        [DecidedById] NVARCHAR(100) NULL,
        [DecidedByName] NVARCHAR(200) NULL,
        [DecisionId] BIGINT NULL,
        CONSTRAINT [PK_WhatsAppAssignmentProposal] PRIMARY KEY ([Id])
    );
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppAssignmentProposal_SenderKey_Status' AND object_id = OBJECT_ID(N'dbo.WhatsAppAssignmentProposal'))
    CREATE INDEX [IX_WhatsAppAssignmentProposal_SenderKey_Status] ON [dbo].[WhatsAppAssignmentProposal] ([SenderKey], [Status]);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppAssignmentProposal_Status_ProposedAt' AND object_id = OBJECT_ID(N'dbo.WhatsAppAssignmentProposal'))
    CREATE INDEX [IX_WhatsAppAssignmentProposal_Status_ProposedAt] ON [dbo].[WhatsAppAssignmentProposal] ([Status], [ProposedAt]);
GO

IF NOT EXISTS (SELECT 1 FROM [dbo].[WhatsAppSchemaVersion] WHERE [Version] = 6)
    INSERT INTO [dbo].[WhatsAppSchemaVersion] ([Version], [Description], [AppliedAt])
    VALUES (6, N'Inbox: sender aliases, triage decisions, assignment proposals', SYSUTCDATETIME());
GO
