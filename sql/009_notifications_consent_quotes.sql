-- 009: order notifications, consent and quote approval by button (issue 18). New tables, one new nullable
-- column on our own outbox, two TipoNovedad rows. No legacy table is altered (FastService's Reparacion is
-- only read, by polling ModificadoEn; no trigger, no change tracking). Idempotent. Run with:
--   sqlcmd -S <server>.database.windows.net -d <db> -G -b -i sql/009_notifications_consent_quotes.sql
SET XACT_ABORT ON;
GO

-- The signed payloads of a template's quick-reply buttons, sent again unchanged on every attempt.
IF COL_LENGTH(N'dbo.WhatsAppOutbox', N'TemplateButtons') IS NULL
    ALTER TABLE [dbo].[WhatsAppOutbox] ADD [TemplateButtons] NVARCHAR(max) NULL;
GO

IF OBJECT_ID(N'dbo.WhatsAppOrderStatus', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppOrderStatus] (
        [ReparacionId] INTEGER NOT NULL,
        [EstadoReparacionId] INTEGER NOT NULL,
        [ChangeSeq] INTEGER NOT NULL,
        [ModificadoEn] DATETIME2 NOT NULL,
        [SeenAt] DATETIME2 NOT NULL,
        [ChangedAt] DATETIME2 NOT NULL,
        CONSTRAINT [PK_WhatsAppOrderStatus] PRIMARY KEY ([ReparacionId])
    );
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppOrderStatus_Estado_ChangedAt' AND object_id = OBJECT_ID(N'dbo.WhatsAppOrderStatus'))
    CREATE INDEX [IX_WhatsAppOrderStatus_Estado_ChangedAt] ON [dbo].[WhatsAppOrderStatus] ([EstadoReparacionId], [ChangedAt]);
GO

IF OBJECT_ID(N'dbo.WhatsAppNotification', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppNotification] (
        [Id] BIGINT IDENTITY(1,1) NOT NULL,
        [ReparacionId] INTEGER NOT NULL,
        [ClienteId] INTEGER NULL,
        [Kind] NVARCHAR(20) NOT NULL,
        [ChangeSeq] INTEGER NOT NULL,
        [Step] BIGINT NOT NULL,
        [EstadoReparacionId] INTEGER NULL,
        [Purpose] NVARCHAR(50) NOT NULL,
        [Mode] NVARCHAR(10) NOT NULL,
        [State] NVARCHAR(20) NOT NULL,
        [Reason] NVARCHAR(500) NULL,
        [ChangedAt] DATETIME2 NOT NULL,
        [DueAt] DATETIME2 NOT NULL,
        [OutboxId] BIGINT NULL,
        [DecidedByStaffId] NVARCHAR(100) NULL,
        [DecidedByName] NVARCHAR(200) NULL,
        [CreatedAt] DATETIME2 NOT NULL,
        [UpdatedAt] DATETIME2 NOT NULL,
        CONSTRAINT [PK_WhatsAppNotification] PRIMARY KEY ([Id])
    );
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppNotification_State_DueAt' AND object_id = OBJECT_ID(N'dbo.WhatsAppNotification'))
    CREATE INDEX [IX_WhatsAppNotification_State_DueAt] ON [dbo].[WhatsAppNotification] ([State], [DueAt]);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'UX_WhatsAppNotification_Change' AND object_id = OBJECT_ID(N'dbo.WhatsAppNotification'))
    CREATE UNIQUE INDEX [UX_WhatsAppNotification_Change] ON [dbo].[WhatsAppNotification] ([ReparacionId], [Kind], [ChangeSeq], [Step]);
GO

IF OBJECT_ID(N'dbo.WhatsAppConsent', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppConsent] (
        [Id] BIGINT IDENTITY(1,1) NOT NULL,
        [ClienteId] INTEGER NULL,
        [PhoneKey] NVARCHAR(20) NULL,
        [State] NVARCHAR(20) NOT NULL,
        [Source] NVARCHAR(20) NOT NULL,
        [At] DATETIME2 NOT NULL,
        [ByStaffId] NVARCHAR(100) NULL,
        [ByName] NVARCHAR(200) NULL,
        [Evidence] NVARCHAR(500) NULL,
        [MessageId] BIGINT NULL,
        CONSTRAINT [PK_WhatsAppConsent] PRIMARY KEY ([Id])
    );
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppConsent_ClienteId_Id' AND object_id = OBJECT_ID(N'dbo.WhatsAppConsent'))
    CREATE INDEX [IX_WhatsAppConsent_ClienteId_Id] ON [dbo].[WhatsAppConsent] ([ClienteId], [Id]);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppConsent_PhoneKey_Id' AND object_id = OBJECT_ID(N'dbo.WhatsAppConsent'))
    CREATE INDEX [IX_WhatsAppConsent_PhoneKey_Id] ON [dbo].[WhatsAppConsent] ([PhoneKey], [Id]);
GO

IF OBJECT_ID(N'dbo.WhatsAppQuoteReply', N'U') IS NULL
    CREATE TABLE [dbo].[WhatsAppQuoteReply] (
        [Id] BIGINT IDENTITY(1,1) NOT NULL,
        [MessageId] BIGINT NOT NULL,
        [DecisionKey] NVARCHAR(80) NOT NULL,
        [ReparacionId] INTEGER NULL,
        [QuoteRef] INTEGER NULL,
        [Decision] NVARCHAR(10) NULL,
        [Outcome] NVARCHAR(20) NOT NULL,
        [NovedadId] INTEGER NULL,
        [Monto] NUMERIC(18, 2) NULL,
        [CreatedAt] DATETIME2 NOT NULL,
        CONSTRAINT [PK_WhatsAppQuoteReply] PRIMARY KEY ([Id])
    );
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_WhatsAppQuoteReply_ReparacionId_Id' AND object_id = OBJECT_ID(N'dbo.WhatsAppQuoteReply'))
    CREATE INDEX [IX_WhatsAppQuoteReply_ReparacionId_Id] ON [dbo].[WhatsAppQuoteReply] ([ReparacionId], [Id]);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'UX_WhatsAppQuoteReply_DecisionKey' AND object_id = OBJECT_ID(N'dbo.WhatsAppQuoteReply'))
    CREATE UNIQUE INDEX [UX_WhatsAppQuoteReply_DecisionKey] ON [dbo].[WhatsAppQuoteReply] ([DecisionKey]);
GO

-- The novedad types of a quote decided by button (rows in FastService's TipoNovedad, like 'WhatsApp Resumen').
IF NOT EXISTS (SELECT 1 FROM [dbo].[TipoNovedad] WHERE [nombre] = N'WhatsApp Presupuesto aceptado')
    INSERT INTO [dbo].[TipoNovedad] ([nombre], [descripcion], [activo], [modificadoEn])
    VALUES (N'WhatsApp Presupuesto aceptado', N'El cliente aceptó el presupuesto con el botón de WhatsApp', 1, GETDATE());
IF NOT EXISTS (SELECT 1 FROM [dbo].[TipoNovedad] WHERE [nombre] = N'WhatsApp Presupuesto rechazado')
    INSERT INTO [dbo].[TipoNovedad] ([nombre], [descripcion], [activo], [modificadoEn])
    VALUES (N'WhatsApp Presupuesto rechazado', N'El cliente rechazó el presupuesto con el botón de WhatsApp', 1, GETDATE());
GO

IF NOT EXISTS (SELECT 1 FROM [dbo].[WhatsAppSchemaVersion] WHERE [Version] = 8)
    INSERT INTO [dbo].[WhatsAppSchemaVersion] ([Version], [Description], [AppliedAt])
    VALUES (8, N'Order notifications, consent and quote buttons', SYSUTCDATETIME());
GO
