// Function App on the Flex Consumption plan (Linux, Python 3.11) running as a
// user-assigned managed identity. Deployment package and host storage are reached with
// that identity (no storage keys); telemetry goes to Application Insights with Entra auth.
// Staff sign in with Microsoft Entra ID: the app validates their bearer tokens and answers CORS
// itself (shared/staff.py, shared/cors.py; settings STAFF_AUTH_*, CORS_ALLOWED_ORIGINS in
// appSettings). Flex Consumption supports neither App Service Authentication ("unauthenticated
// callers aren't blocked") nor the platform's CORS settings, so neither is configured here.

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
  // checkov:skip=CKV_AZURE_17:Client certificates cannot be presented by Event Grid push delivery nor by the MCP clients; callers are authenticated over HTTPS (TLS 1.2) with system/master keys (webhooks, admin) or, staff, with Entra bearer tokens the app validates itself (shared/staff.py).
  // checkov:skip=CKV_AZURE_222:Event Grid push delivery and the MCP clients reach the functions over the public endpoint; private endpoints need a VNet, out of scope for this Flex Consumption deployment. Staff routes need an Entra bearer token the app validates, the webhooks and admin API their keys; /api/health reports status only.
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

output name string = site.name
output id string = site.id
output defaultHostName string = site.properties.defaultHostName
