-- 004: who ran each sync. The signed-in staff member (the Microsoft Entra object id and display
-- name of the access token the app validated) is recorded on the WhatsAppSyncLog row of the sync.
-- Idempotent: each column is added only when missing. Run with:
--   sqlcmd -S <server>.database.windows.net -d <db> -G -b -i sql/004_whatsapp_synclog_staff.sql
SET XACT_ABORT ON;
GO

IF COL_LENGTH(N'dbo.WhatsAppSyncLog', N'StaffId') IS NULL
    ALTER TABLE [dbo].[WhatsAppSyncLog] ADD [StaffId] NVARCHAR(64) NULL;
GO

IF COL_LENGTH(N'dbo.WhatsAppSyncLog', N'StaffName') IS NULL
    ALTER TABLE [dbo].[WhatsAppSyncLog] ADD [StaffName] NVARCHAR(200) NULL;
GO

IF NOT EXISTS (SELECT 1 FROM [dbo].[WhatsAppSchemaVersion] WHERE [Version] = 3)
    INSERT INTO [dbo].[WhatsAppSchemaVersion] ([Version], [Description], [AppliedAt])
    VALUES (3, N'Staff member on WhatsAppSyncLog', SYSUTCDATETIME());
GO
