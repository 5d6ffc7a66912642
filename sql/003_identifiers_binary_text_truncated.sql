-- 003: hardening (issue 13). Idempotent: every change is made only when still needed. Run with:
--   sqlcmd -S <server>.database.windows.net -d <db> -G -b -i sql/003_identifiers_binary_text_truncated.sql
--
-- 1. Identifiers compare exactly. FastService's database collation (Modern_Spanish_CI_AS) is case- and
--    accent-insensitive, so 'wamid.ABC' and 'wamid.abc' were one message key, one status row, one BSUID.
--    Message keys, WhatsApp message ids, event ids, BSUIDs and media ids get the binary collation
--    Latin1_General_100_BIN2 (shared/schema.py's Identifier type). An index or primary key on such a
--    column is dropped and created again around the change; statistics SQL Server created on them are
--    dropped (it creates them again when needed). A binary collation only tells more values apart, so
--    no unique index can fail to be created again.
-- 2. WhatsAppMessage.TextTruncated: the text or caption was longer than WhatsApp allows (4,096 / 1,024
--    characters) and was stored cut (the raw payload keeps what RAW_PAYLOAD_MAX_BYTES allows).
SET XACT_ABORT ON;
GO

-- Column statistics (auto or user created) block ALTER COLUMN ... COLLATE: drop those on the columns
-- still to change.
DECLARE @drop nvarchar(max) = N'';
SELECT @drop = @drop + N'DROP STATISTICS [dbo].' + QUOTENAME(OBJECT_NAME(s.object_id)) + N'.' + QUOTENAME(s.name) + N'; '
FROM sys.stats AS s
JOIN sys.stats_columns AS sc ON sc.object_id = s.object_id AND sc.stats_id = s.stats_id
JOIN sys.columns AS c ON c.object_id = sc.object_id AND c.column_id = sc.column_id
JOIN (VALUES
    (N'WhatsAppMessage', N'MessageKey'),
    (N'WhatsAppMessage', N'WhatsAppMessageId'),
    (N'WhatsAppMessage', N'EventId'),
    (N'WhatsAppMessage', N'Bsuid'),
    (N'WhatsAppMessage', N'MediaId'),
    (N'WhatsAppMessage', N'ReplyToMessageId'),
    (N'WhatsAppMessage', N'ReactionMessageId'),
    (N'WhatsAppMessageStatus', N'WhatsAppMessageId'),
    (N'WhatsAppMessageStatus', N'EventId'),
    (N'WhatsAppBsuid', N'Bsuid'),
    (N'WhatsAppQuarantine', N'EventId')
) AS t(TableName, ColumnName) ON s.object_id = OBJECT_ID(N'dbo.' + t.TableName) AND c.name = t.ColumnName
WHERE (s.auto_created = 1 OR s.user_created = 1) AND c.collation_name <> N'Latin1_General_100_BIN2';
IF @drop <> N''
    EXEC sp_executesql @drop;
GO

-- WhatsAppMessage.MessageKey
IF EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'dbo.WhatsAppMessage') AND name = N'MessageKey' AND collation_name <> N'Latin1_General_100_BIN2') AND EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'UX_WhatsAppMessage_MessageKey' AND object_id = OBJECT_ID(N'dbo.WhatsAppMessage'))
    DROP INDEX [UX_WhatsAppMessage_MessageKey] ON [dbo].[WhatsAppMessage];
IF EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'dbo.WhatsAppMessage') AND name = N'MessageKey' AND collation_name <> N'Latin1_General_100_BIN2')
    ALTER TABLE [dbo].[WhatsAppMessage] ALTER COLUMN [MessageKey] NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL;
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'UX_WhatsAppMessage_MessageKey' AND object_id = OBJECT_ID(N'dbo.WhatsAppMessage'))
    CREATE UNIQUE INDEX [UX_WhatsAppMessage_MessageKey] ON [dbo].[WhatsAppMessage] ([MessageKey]);
GO

-- WhatsAppMessage.WhatsAppMessageId
IF EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'dbo.WhatsAppMessage') AND name = N'WhatsAppMessageId' AND collation_name <> N'Latin1_General_100_BIN2') AND EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppMessage_WhatsAppMessageId' AND object_id = OBJECT_ID(N'dbo.WhatsAppMessage'))
    DROP INDEX [IX_WhatsAppMessage_WhatsAppMessageId] ON [dbo].[WhatsAppMessage];
IF EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'dbo.WhatsAppMessage') AND name = N'WhatsAppMessageId' AND collation_name <> N'Latin1_General_100_BIN2')
    ALTER TABLE [dbo].[WhatsAppMessage] ALTER COLUMN [WhatsAppMessageId] NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NULL;
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppMessage_WhatsAppMessageId' AND object_id = OBJECT_ID(N'dbo.WhatsAppMessage'))
    CREATE INDEX [IX_WhatsAppMessage_WhatsAppMessageId] ON [dbo].[WhatsAppMessage] ([WhatsAppMessageId]);
GO

-- WhatsAppMessage.EventId
IF EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'dbo.WhatsAppMessage') AND name = N'EventId' AND collation_name <> N'Latin1_General_100_BIN2')
    ALTER TABLE [dbo].[WhatsAppMessage] ALTER COLUMN [EventId] NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NULL;
GO

-- WhatsAppMessage.Bsuid
IF EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'dbo.WhatsAppMessage') AND name = N'Bsuid' AND collation_name <> N'Latin1_General_100_BIN2') AND EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppMessage_Bsuid' AND object_id = OBJECT_ID(N'dbo.WhatsAppMessage'))
    DROP INDEX [IX_WhatsAppMessage_Bsuid] ON [dbo].[WhatsAppMessage];
IF EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'dbo.WhatsAppMessage') AND name = N'Bsuid' AND collation_name <> N'Latin1_General_100_BIN2')
    ALTER TABLE [dbo].[WhatsAppMessage] ALTER COLUMN [Bsuid] NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NULL;
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppMessage_Bsuid' AND object_id = OBJECT_ID(N'dbo.WhatsAppMessage'))
    CREATE INDEX [IX_WhatsAppMessage_Bsuid] ON [dbo].[WhatsAppMessage] ([Bsuid]);
GO

-- WhatsAppMessage.MediaId
IF EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'dbo.WhatsAppMessage') AND name = N'MediaId' AND collation_name <> N'Latin1_General_100_BIN2')
    ALTER TABLE [dbo].[WhatsAppMessage] ALTER COLUMN [MediaId] NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NULL;
GO

-- WhatsAppMessage.ReplyToMessageId
IF EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'dbo.WhatsAppMessage') AND name = N'ReplyToMessageId' AND collation_name <> N'Latin1_General_100_BIN2')
    ALTER TABLE [dbo].[WhatsAppMessage] ALTER COLUMN [ReplyToMessageId] NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NULL;
GO

-- WhatsAppMessage.ReactionMessageId
IF EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'dbo.WhatsAppMessage') AND name = N'ReactionMessageId' AND collation_name <> N'Latin1_General_100_BIN2')
    ALTER TABLE [dbo].[WhatsAppMessage] ALTER COLUMN [ReactionMessageId] NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NULL;
GO

-- WhatsAppMessageStatus.WhatsAppMessageId
IF EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'dbo.WhatsAppMessageStatus') AND name = N'WhatsAppMessageId' AND collation_name <> N'Latin1_General_100_BIN2') AND EXISTS (SELECT 1 FROM sys.key_constraints WHERE name = N'PK_WhatsAppMessageStatus' AND parent_object_id = OBJECT_ID(N'dbo.WhatsAppMessageStatus'))
    ALTER TABLE [dbo].[WhatsAppMessageStatus] DROP CONSTRAINT [PK_WhatsAppMessageStatus];
IF EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'dbo.WhatsAppMessageStatus') AND name = N'WhatsAppMessageId' AND collation_name <> N'Latin1_General_100_BIN2')
    ALTER TABLE [dbo].[WhatsAppMessageStatus] ALTER COLUMN [WhatsAppMessageId] NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NOT NULL;
IF NOT EXISTS (SELECT 1 FROM sys.key_constraints WHERE name = N'PK_WhatsAppMessageStatus' AND parent_object_id = OBJECT_ID(N'dbo.WhatsAppMessageStatus'))
    ALTER TABLE [dbo].[WhatsAppMessageStatus] ADD CONSTRAINT [PK_WhatsAppMessageStatus] PRIMARY KEY ([WhatsAppMessageId]);
GO

-- WhatsAppMessageStatus.EventId
IF EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'dbo.WhatsAppMessageStatus') AND name = N'EventId' AND collation_name <> N'Latin1_General_100_BIN2')
    ALTER TABLE [dbo].[WhatsAppMessageStatus] ALTER COLUMN [EventId] NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NULL;
GO

-- WhatsAppBsuid.Bsuid
IF EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'dbo.WhatsAppBsuid') AND name = N'Bsuid' AND collation_name <> N'Latin1_General_100_BIN2') AND EXISTS (SELECT 1 FROM sys.key_constraints WHERE name = N'PK_WhatsAppBsuid' AND parent_object_id = OBJECT_ID(N'dbo.WhatsAppBsuid'))
    ALTER TABLE [dbo].[WhatsAppBsuid] DROP CONSTRAINT [PK_WhatsAppBsuid];
IF EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'dbo.WhatsAppBsuid') AND name = N'Bsuid' AND collation_name <> N'Latin1_General_100_BIN2')
    ALTER TABLE [dbo].[WhatsAppBsuid] ALTER COLUMN [Bsuid] NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NOT NULL;
IF NOT EXISTS (SELECT 1 FROM sys.key_constraints WHERE name = N'PK_WhatsAppBsuid' AND parent_object_id = OBJECT_ID(N'dbo.WhatsAppBsuid'))
    ALTER TABLE [dbo].[WhatsAppBsuid] ADD CONSTRAINT [PK_WhatsAppBsuid] PRIMARY KEY ([Bsuid]);
GO

-- WhatsAppQuarantine.EventId
IF EXISTS (SELECT 1 FROM sys.columns WHERE object_id = OBJECT_ID(N'dbo.WhatsAppQuarantine') AND name = N'EventId' AND collation_name <> N'Latin1_General_100_BIN2')
    ALTER TABLE [dbo].[WhatsAppQuarantine] ALTER COLUMN [EventId] NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NULL;
GO

IF COL_LENGTH(N'dbo.WhatsAppMessage', N'TextTruncated') IS NULL
    ALTER TABLE [dbo].[WhatsAppMessage] ADD [TextTruncated] BIT NULL;
GO

IF NOT EXISTS (SELECT 1 FROM [dbo].[WhatsAppSchemaVersion] WHERE [Version] = 2)
    INSERT INTO [dbo].[WhatsAppSchemaVersion] ([Version], [Description], [AppliedAt])
    VALUES (2, N'Binary collation of identifiers; WhatsAppMessage.TextTruncated', SYSUTCDATETIME());
GO
