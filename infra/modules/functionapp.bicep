// Function App on the Flex Consumption plan (Linux, Python 3.11) running as a
// user-assigned managed identity. Deployment package and host storage are reached with
// that identity (no storage keys); telemetry goes to Application Insights with Entra auth.
// Staff sign in with Microsoft Entra ID through App Service Authentication (Easy Auth v2):
// the staff routes answer 401 without a valid token; the Event Grid webhook, the MCP
// endpoint, the admin API and /api/health are excluded and keep their keys.

@description('Name of the function app.')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region of the plan and the app.')
param location string

@description('Tags applied to the plan and the app (the app also gets azd-service-name).')
param tags object

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of the user-assigned identity.')
param identityClientId string

@description('Storage account of the host (AzureWebJobsStorage) and the deployment package.')
param storageAccountName string

@description('Blob container of the deployment package.')
param deploymentContainerName string

@description('Application Insights connection string (not a secret: local auth is disabled).')
param applicationInsightsConnectionString string

@description('Most instances the app scales out to (each holds its own SQL connections).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of each instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('The application settings of shared/config.py (name to value).')
param appSettings object

@description('Application (client) id of the Entra app registration of this API. Staff tokens must be issued for it (audience api://<id> or <id>). Empty: App Service Authentication is not configured and the staff routes answer 401 (STAFF_SIGN_IN=required).')
param staffAuthClientId string = ''

@description('Entra tenant of the staff accounts; empty means the deployment\'s tenant.')
param staffAuthTenantId string = ''

@description('Client id of FastService\'s front-end app registration (its MSAL). When set, only tokens issued to that application are accepted.')
param frontendClientId string = ''

@description('Origins of the FastService front end allowed to call the API from a browser (CORS). None by default.')
param corsAllowedOrigins array = []

// Paths App Service Authentication lets through without a token (localrunner/easyauth.py
// excludes the same). Each keeps its own key: Event Grid's eventgrid_extension system key,
// the agent's mcp_extension key, the master key for the admin API and the operators' route.
var authExcludedPaths = [
  '/api/health'
  '/api/openapi.json'
  '/api/whatsapp/quarantine/reprocess'
  '/runtime/webhooks/eventgrid'
  '/runtime/webhooks/mcp'
  '/admin/functions/refresh_phone_index'
  '/admin/functions/summarize_conversations'
  '/admin/functions/ingest_whatsapp_event'
]
var staffTenantId = empty(staffAuthTenantId) ? tenant().tenantId : staffAuthTenantId

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

// Platform settings. On Flex Consumption FUNCTIONS_EXTENSION_VERSION and
// FUNCTIONS_WORKER_RUNTIME are not used (functionAppConfig.runtime replaces them).
var platformSettings = {
  // Host storage with the user-assigned identity, no connection string.
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // Telemetry with Entra ID (Application Insights has local auth disabled).
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identityClientId}'
  PYTHON_ISOLATE_WORKER_DEPENDENCIES: '1'
}

// Platform settings come last so that appSettings cannot override them.
var allSettings = union(appSettings, platformSettings)

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225:Zone redundancy of Flex Consumption is offered only in some regions and fixed at plan creation; for this small event-driven app Event Grid retrying for 24 h covers the loss of a zone.
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    // reserved = Linux, required by Flex Consumption.
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_17:Client certificates cannot be presented by Event Grid push delivery nor by the MCP clients; callers are authenticated over HTTPS (TLS 1.2) with system/master keys (webhooks, admin) or, staff, with Entra tokens through App Service Authentication.
  // checkov:skip=CKV_AZURE_222:Event Grid push delivery and the MCP clients reach the functions over the public endpoint; private endpoints need a VNet, out of scope for this Flex Consumption deployment. Staff routes need an Entra sign-in (App Service Authentication), the webhooks and admin API their keys; /api/health reports status only.
  // checkov:skip=CKV_AZURE_212:numberOfWorkers does not apply to Flex Consumption, which adds instances per execution on its own (up to maximumInstanceCount).
  // checkov:skip=CKV_AZURE_213:The platform health check (healthCheckPath) is not available on Flex Consumption, which manages its instances itself; the anonymous /api/health endpoint is checked from outside instead (README, Deploy).
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'whatsapp-functions'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    publicNetworkAccess: 'Enabled'
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      // Only FastService's front end may call the API from a browser; no credentials (bearer tokens only).
      cors: {
        allowedOrigins: corsAllowedOrigins
        supportCredentials: false
      }
      appSettings: [for setting in items(allSettings): {
        name: setting.key
        value: setting.value
      }]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

// App Service Authentication (Easy Auth v2) with Microsoft Entra ID, for the staff routes.
// checkov reads every Microsoft.Web/sites/config as the site's "web" configuration; this one holds only the
// authentication settings, so the site-configuration checks skipped inside do not apply to it.
resource staffAuth 'Microsoft.Web/sites/config@2024-04-01' = if (!empty(staffAuthClientId)) {
  // checkov:skip=CKV_AZURE_13:This resource IS App Service Authentication (authsettingsV2: platform enabled, authentication required, Return401); checkov looks for the v1 siteAuthSettings.
  // checkov:skip=CKV_AZURE_63:HTTP logging is a setting of the site's logs configuration, not of its authentication settings; telemetry goes to Application Insights.
  // checkov:skip=CKV_AZURE_65:Detailed error messages are a setting of the site's logs configuration, not of its authentication settings.
  // checkov:skip=CKV_AZURE_66:Failed request tracing is a setting of the site's logs configuration, not of its authentication settings.
  // checkov:skip=CKV_AZURE_80:.NET Framework version is a site setting, and this is a Python app.
  // checkov:skip=CKV_AZURE_88:Azure Files mounts are a site setting; Flex Consumption deploys from a blob container.
  // checkov:skip=CKV_AZURE_222:Public network access is a property of the site (see its justification), not of its authentication settings.
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: authExcludedPaths
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: staffAuthClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${staffTenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${staffAuthClientId}'
            staffAuthClientId
          ]
          defaultAuthorizationPolicy: {
            allowedApplications: empty(frontendClientId) ? [] : [
              frontendClientId
            ]
          }
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
    httpSettings: {
      requireHttps: true
    }
  }
}

output name string = site.name
output id string = site.id
output defaultHostName string = site.properties.defaultHostName
