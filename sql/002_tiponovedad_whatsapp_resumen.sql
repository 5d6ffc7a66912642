-- 002: the novedad type of WhatsApp summaries (one row in the existing TipoNovedad table).
-- Idempotent: inserted only when no row of that name exists. Run with:
--   sqlcmd -S <server>.database.windows.net -d <db> -G -i sql/002_tiponovedad_whatsapp_resumen.sql
SET XACT_ABORT ON;
GO

IF NOT EXISTS (SELECT 1 FROM [dbo].[TipoNovedad] WHERE [nombre] = N'WhatsApp Resumen')
    INSERT INTO [dbo].[TipoNovedad] ([nombre], [descripcion], [activo], [modificadoEn])
    VALUES (N'WhatsApp Resumen', N'Resumen de conversación de WhatsApp generado por IA', 1, GETDATE());
GO
