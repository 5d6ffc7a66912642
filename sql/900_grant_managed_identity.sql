-- Grants the function app's user-assigned managed identity least-privilege access to the
-- FastService database. Idempotent: safe to run again (after every new migration, too).
--
-- Run it AFTER the numbered migrations (sql/001_*.sql ...), as an Entra admin of the server
-- (CREATE USER ... FROM EXTERNAL PROVIDER needs an Entra-authenticated connection):
--
--   sqlcmd -S <server>.database.windows.net -d <database> -G \
--          -v IdentityName="<AZURE_MANAGED_IDENTITY_NAME>" \
--             IdentityClientId="<AZURE_MANAGED_IDENTITY_CLIENT_ID>" \
--          -i sql/900_grant_managed_identity.sql
--
-- IdentityName is the managed identity's resource name (azd output
-- AZURE_MANAGED_IDENTITY_NAME, e.g. id-fsw-abc123...), which is also its Entra display name;
-- IdentityClientId its client id (AZURE_MANAGED_IDENTITY_CLIENT_ID), which is the SID of its
-- database user: a user of that name left by an identity that was deleted and created again
-- (azd down, then azd up) has another SID, and is replaced so the new identity gets the grants.
--
-- What it grants (no db_datareader/db_datawriter, no DDL):
--   * FastService's tables: SELECT on Cliente, Reparacion, Novedad, TipoNovedad,
--     EstadoReparacion; INSERT on Novedad (the AI summaries and quote decisions by button).
--   * The WhatsApp* tables of this project: SELECT, INSERT, UPDATE, DELETE.

:on error exit
SET NOCOUNT ON;
SET XACT_ABORT ON;

-- Every table granted below must exist: stop (and grant nothing) otherwise.
-- (Plain concatenation rather than STRING_AGG: FastService's database may run at an old
-- compatibility level.)
DECLARE @missing nvarchar(max);
SELECT @missing = COALESCE(@missing + N', ', N'') + t.TableName
FROM (VALUES
    (N'Cliente'), (N'Reparacion'), (N'Novedad'), (N'TipoNovedad'), (N'EstadoReparacion'),
    (N'WhatsAppMessage'), (N'WhatsAppSyncLog'), (N'WhatsAppCustomerPhone'), (N'WhatsAppBsuid'),
    (N'WhatsAppMessageStatus'), (N'WhatsAppSummary'), (N'WhatsAppQuarantine'),
    (N'WhatsAppState'), (N'WhatsAppSchemaVersion'),
    (N'WhatsAppOutbox'), (N'WhatsAppTemplate'), (N'WhatsAppProposal'),
    (N'WhatsAppOrderStatus'), (N'WhatsAppNotification'), (N'WhatsAppConsent'), (N'WhatsAppQuoteReply'),
    (N'WhatsAppSenderAlias'), (N'WhatsAppTriageDecision'), (N'WhatsAppTriageLink'), (N'WhatsAppAssignmentProposal'), (N'WhatsAppImport'), (N'WhatsAppMedia')
) AS t(TableName)
WHERE OBJECT_ID(N'dbo.' + t.TableName, N'U') IS NULL;

IF @missing IS NOT NULL
BEGIN
    DECLARE @message nvarchar(2048) =
        N'Missing tables: ' + @missing + N'. Run the sql/0*.sql migrations first.';
    THROW 50001, @message, 1;
END;
GO

-- Every numbered migration must have run: each inserts its version into WhatsAppSchemaVersion.
DECLARE @missingVersions nvarchar(max);
SELECT @missingVersions = COALESCE(@missingVersions + N', ', N'') + CAST(v.Version AS nvarchar(10))
FROM (VALUES
    (1), (2), (3), (4), (5), (6), (7), (8), (9)
) AS v(Version)
WHERE NOT EXISTS (SELECT 1 FROM [dbo].[WhatsAppSchemaVersion] AS s WHERE s.[Version] = v.Version);

IF @missingVersions IS NOT NULL
BEGIN
    DECLARE @versionMessage nvarchar(2048) =
        N'Missing schema versions: ' + @missingVersions + N'. Run every sql/0*.sql migration first.';
    THROW 50002, @versionMessage, 1;
END;
GO

-- A user of this name whose SID is not this identity's belongs to a deleted identity of the same
-- name: drop it (its grants go with it and are given again below).
IF EXISTS (SELECT 1 FROM sys.database_principals WHERE name = N'$(IdentityName)'
           AND sid <> CAST(CAST(N'$(IdentityClientId)' AS uniqueidentifier) AS varbinary(16)))
BEGIN
    PRINT N'Replacing the user $(IdentityName): it belonged to an earlier identity of that name.';
    DROP USER [$(IdentityName)];
END;
GO

-- The database user of the managed identity (contained user, no login, no password).
IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = N'$(IdentityName)')
BEGIN
    CREATE USER [$(IdentityName)] FROM EXTERNAL PROVIDER;
END;
GO

BEGIN TRANSACTION;

-- FastService's own tables: read what the sync needs, write only the summaries.
GRANT SELECT ON OBJECT::dbo.Cliente TO [$(IdentityName)];
GRANT SELECT ON OBJECT::dbo.Reparacion TO [$(IdentityName)];
GRANT SELECT ON OBJECT::dbo.TipoNovedad TO [$(IdentityName)];
GRANT SELECT ON OBJECT::dbo.EstadoReparacion TO [$(IdentityName)];
GRANT SELECT, INSERT ON OBJECT::dbo.Novedad TO [$(IdentityName)];

-- This project's tables.
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppMessage TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppSyncLog TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppCustomerPhone TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppBsuid TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppMessageStatus TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppSummary TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppQuarantine TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppState TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppSchemaVersion TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppMedia TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppOutbox TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppTemplate TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppProposal TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppOrderStatus TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppNotification TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppConsent TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppQuoteReply TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppSenderAlias TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppTriageDecision TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppTriageLink TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppAssignmentProposal TO [$(IdentityName)];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::dbo.WhatsAppImport TO [$(IdentityName)];

COMMIT TRANSACTION;
GO

PRINT N'Granted $(IdentityName) access to the FastService WhatsApp tables.';
GO
