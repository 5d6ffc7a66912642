-- 010: staff send a photo or a document from the panel (issue 16). Five nullable columns on our own outbox:
-- the upload a media send carries (its blob in the media container, kind, content type, size, file name;
-- the caption is Content). The read link ACS fetches is minted on each attempt and never stored.
-- No legacy table is altered. Idempotent. Run with:
--   sqlcmd -S <server>.database.windows.net -d <db> -G -b -i sql/010_outbox_media.sql
SET XACT_ABORT ON;
GO

IF COL_LENGTH(N'dbo.WhatsAppOutbox', N'MediaBlobRef') IS NULL
    ALTER TABLE [dbo].[WhatsAppOutbox] ADD [MediaBlobRef] NVARCHAR(200) NULL;
IF COL_LENGTH(N'dbo.WhatsAppOutbox', N'MediaKind') IS NULL
    ALTER TABLE [dbo].[WhatsAppOutbox] ADD [MediaKind] NVARCHAR(20) NULL;
IF COL_LENGTH(N'dbo.WhatsAppOutbox', N'MediaContentType') IS NULL
    ALTER TABLE [dbo].[WhatsAppOutbox] ADD [MediaContentType] NVARCHAR(100) NULL;
IF COL_LENGTH(N'dbo.WhatsAppOutbox', N'MediaSizeBytes') IS NULL
    ALTER TABLE [dbo].[WhatsAppOutbox] ADD [MediaSizeBytes] BIGINT NULL;
IF COL_LENGTH(N'dbo.WhatsAppOutbox', N'MediaFileName') IS NULL
    ALTER TABLE [dbo].[WhatsAppOutbox] ADD [MediaFileName] NVARCHAR(255) NULL;
GO

IF NOT EXISTS (SELECT 1 FROM [dbo].[WhatsAppSchemaVersion] WHERE [Version] = 9)
    INSERT INTO [dbo].[WhatsAppSchemaVersion] ([Version], [Description], [AppliedAt])
    VALUES (9, N'Media sends from the panel', SYSUTCDATETIME());
GO
