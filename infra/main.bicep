// FastService WhatsApp: Azure Functions (Flex Consumption, Python 3.11) that ingest WhatsApp
// messages from Azure Communication Services through Event Grid, store them in FastService's
// EXISTING Azure SQL database and summarize conversations with Azure OpenAI.
//
// `azd up` deploys this file to a resource group of its own in Brazil South (not
// fastservice-app: `azd down` deletes the whole group). No keys anywhere: every service is
// reached with the function app's user-assigned managed identity and Entra ID.
// See the README, section Deploy.
targetScope = 'resourceGroup'

// ---------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; it seeds the unique suffix of every resource name.')
param environmentName string

@description('Region of the resources. FastService runs in Brazil South.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string = 'brazilsouth'

// ---------------------------------------------------------------------------------------
// FastService's existing Azure SQL database: referenced by name only. This template never
// declares a Microsoft.Sql resource, not even as `existing`, so it cannot create, replace or
// reconfigure the server or the database. (An `existing` reference would not change them
// either, but checkov's SQL graph checks flag such references and cannot be suppressed.)
// Prerequisites on the server, done by its owner: an Entra admin, network access for Azure
// services, and preferably Entra-only authentication. See the README, section Deploy.
// ---------------------------------------------------------------------------------------

@minLength(1)
@description('Name of the existing Azure SQL logical server (without .database.windows.net).')
param sqlServerName string

@minLength(1)
@description('Name of the existing FastService database on that server.')
param sqlDatabaseName string

// ---------------------------------------------------------------------------------------
// Azure Communication Services (new, or an existing one by name)
// ---------------------------------------------------------------------------------------

@description('Name of an existing Communication Services resource; empty creates a new one.')
param existingCommunicationServiceName string = ''

@description('Resource group of the Communication Services resource; empty means this one.')
param communicationServiceResourceGroupName string = ''

@description('Data location of a NEW Communication Services resource.')
param communicationDataLocation string = 'Brazil'

@description('Name of the Event Grid system topic of the ACS resource; give the existing topic\'s name if the ACS resource already has one (an ACS resource has at most one).')
param eventGridSystemTopicName string = ''

@description('Create the Event Grid subscription to ingest_whatsapp_event. Leave false on the first deployment (the function must exist first); infra/hooks/postdeploy.sh sets it after the code is deployed.')
param enableEventGridSubscription bool = false

// ---------------------------------------------------------------------------------------
// Azure OpenAI (new, or an existing one by name)
// ---------------------------------------------------------------------------------------

@description('Name of an existing Azure OpenAI account; empty creates a new one.')
param existingOpenAiName string = ''

@description('Resource group of the Azure OpenAI account; empty means this one.')
param openAiResourceGroupName string = ''

@description('Region of a NEW Azure OpenAI account; empty means the main location.')
param openAiLocation string = ''

@description('Model deployment used for summaries (created in a new account; must already exist in an existing one).')
param openAiDeploymentName string = 'gpt-4o-mini'

@description('Model of a new deployment.')
param openAiModelName string = 'gpt-4o-mini'

@description('Model version of a new deployment.')
param openAiModelVersion string = '2024-07-18'

@description('Deployment type of a new deployment. GlobalStandard may process prompts outside the account\'s region; DataZoneStandard or Standard keep them closer where offered.')
@allowed([
  'GlobalStandard'
  'DataZoneStandard'
  'Standard'
])
param openAiDeploymentSkuName string = 'GlobalStandard'

@description('Capacity of a new deployment, in thousands of tokens per minute.')
@minValue(1)
param openAiDeploymentCapacity int = 10

// ---------------------------------------------------------------------------------------
// Function app
// ---------------------------------------------------------------------------------------

@description('Most instances the function app scales out to. Each holds SQL connections: keep it within what the database tier allows.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

// Staff sign-in (Microsoft Entra ID bearer tokens, validated by the app) and the front end's origins.

@description('STAFF_AUTH_CLIENT_ID: application (client) id of the Entra app registration of this API (the staff tokens\' audience). Empty: the staff routes answer 401.')
param staffAuthClientId string = ''

@description('STAFF_AUTH_TENANT_ID: Entra tenant of the staff accounts; empty means this deployment\'s tenant.')
param staffAuthTenantId string = ''

@description('FRONTEND_CLIENT_ID: client id of FastService\'s front-end app registration; when set, only tokens issued to it are accepted.')
param frontendClientId string = ''

@description('FRONTEND_ORIGINS: comma-separated origins of the FastService front end allowed by CORS (e.g. https://fastservice.example.com). None by default.')
param frontendOrigins string = ''

// Application settings (shared/config.py). Defaults are the app's own defaults.

@description('WHATSAPP_CHANNEL_ID: ACS channel registration id of the shop\'s WhatsApp number (empty: accept every channel).')
param whatsappChannelId string = ''

@description('DB_RETRY_SECONDS')
param dbRetrySeconds string = '4'

@description('DEFAULT_REGION: region of phone numbers typed without a country code.')
param defaultRegion string = 'AR'

@description('DEFAULT_AREA_CODE: area code of numbers typed without one.')
param defaultAreaCode string = '11'

@description('RAW_PAYLOAD_MAX_BYTES')
param rawPayloadMaxBytes string = '16384'

@description('SYNC_LOOKBACK_DAYS')
param syncLookbackDays string = '7'

@description('INBOX_AWAITING_DAYS: how far back the inbox looks for orders waiting for an answer.')
param inboxAwaitingDays string = '7'

@description('PHONE_INDEX_SCHEDULE: NCRONTAB schedule of refresh_phone_index (seconds first).')
param phoneIndexSchedule string = '0 */10 * * * *'

@description('ACS_SEND_TIMEOUT_SECONDS: time budget of one send to ACS, its in-call retries included.')
param acsSendTimeoutSeconds string = '10'

@description('WHATSAPP_SEND_FORMAT: Argentine mobiles addressed as 549... (as WhatsApp reports them) or 54...')
@allowed([
  '549'
  '54'
])
param whatsappSendFormat string = '549'

@description('SEND_RETRY_MINUTES: how long a send refused with 429/5xx is retried.')
param sendRetryMinutes string = '15'

@description('SEND_RECONCILE_MINUTES: how long a send with an unknown outcome waits for a delivery status.')
param sendReconcileMinutes string = '10'

@description('OUTBOX_SCHEDULE: NCRONTAB schedule of drain_outbox (seconds first).')
param outboxSchedule string = '0 * * * * *'

@description('WHATSAPP_TEMPLATES: JSON, FastService purpose -> name:language[:fields] of its WhatsApp template.')
param whatsappTemplates string = '{"presupuestado": "presupuesto_listo:es_AR:cliente,=equipo,ticket,presupuesto", "reparado": "equipo_listo_para_retirar:es_AR:cliente,=equipo,ticket", "rechazado": "presupuesto_rechazado:es_AR:cliente,ticket", "recordatorio_retiro": "recordatorio_retiro:es_AR:cliente,=equipo,ticket", "saludo": "saludo:es_AR:cliente,ticket"}'

@description('TEMPLATE_SYNC_SCHEDULE: NCRONTAB schedule of sync_templates (seconds first).')
param templateSyncSchedule string = '0 0 * * * *'

@description('NOTIFY_SCHEDULE: NCRONTAB schedule of notify_orders (seconds first).')
param notifySchedule string = '0 * * * * *'

@description('NOTIFY_RULES: JSON, FastService status name -> purpose:auto|offer of its notification.')
param notifyRules string = '{"Presupuestado": "presupuestado:offer", "Reparado": "reparado:auto", "Rechazado": "rechazado:offer"}'

@description('NOTIFY_REMINDER: purpose:auto|offer:days,... of the pickup reminder (off: none).')
param notifyReminder string = 'recordatorio_retiro:offer:3,10'

@description('NOTIFY_MAX_AGE_MINUTES: a status change older than this when first seen is not notified.')
param notifyMaxAgeMinutes string = '120'

@description('NOTIFY_SETTLE_MINUTES: a notification waits this long; a newer change supersedes it.')
param notifySettleMinutes string = '5'

@description('NOTIFY_OVERLAP_MINUTES: each poll re-reads this far behind its watermark.')
param notifyOverlapMinutes string = '10'

@description('NOTIFY_QUIET_HOURS: Buenos Aires hours from-to without automatic sends (off: none).')
param notifyQuietHours string = '21-9'

@description('NOTIFY_BATCH_SIZE: orders read per page while polling.')
param notifyBatchSize string = '5000'

@description('NOTIFY_OUTDATED_QUOTE: answer to a tap on an outdated quote: auto, offer or off.')
param notifyOutdatedQuote string = 'offer'

@description('WHATSAPP_GREETING: text pre-filled in the wa.me link.')
param whatsappGreeting string = 'Hola {cliente}, te escribimos de FastService por tu orden #{ticket}.'

@description('AZURE_OPENAI_API_VERSION')
param openAiApiVersion string = '2024-10-21'

@description('OPENAI_MODEL (only used with OPENAI_BASE_URL, which this deployment leaves empty).')
param openAiCompatibleModel string = 'gpt-4o-mini'

@description('SUMMARY_SCHEDULE: NCRONTAB schedule of summarize_conversations (seconds first).')
param summarySchedule string = '0 */5 * * * *'

@description('SUMMARY_QUIET_MINUTES')
param summaryQuietMinutes string = '10'

@description('SUMMARY_MAX_CHARS')
param summaryMaxChars string = '1000'

@description('SUMMARY_INPUT_MAX_CHARS')
param summaryInputMaxChars string = '6000'

@description('SUMMARY_USER_ID: Novedad.UserId of summaries (FastService\'s system user).')
param summaryUserId string = '1'

@description('SUMMARY_BATCH_SIZE')
param summaryBatchSize string = '50'

@description('MEDIA_CONTAINER')
param mediaContainer string = 'whatsapp-media'

@description('MEDIA_QUEUE')
param mediaQueue string = 'media-downloads'

@description('MEDIA_ID_LIFETIME_DAYS')
param mediaIdLifetimeDays string = '7'

@description('MEDIA_RETRY_BASE_SECONDS')
param mediaRetryBaseSeconds string = '30'

@description('MEDIA_SWEEP_SCHEDULE')
param mediaSweepSchedule string = '30 * * * * *'

@description('MEDIA_SWEEP_CONCURRENCY')
param mediaSweepConcurrency string = '4'

@description('MEDIA_LINK_MINUTES')
param mediaLinkMinutes string = '10'

@description('SUMMARY_CONCURRENCY')
param summaryConcurrency string = '4'

@description('SUMMARY_TIMEOUT_SECONDS')
param summaryTimeoutSeconds string = '30'

@description('LOG_LEVEL: personal data is logged only at DEBUG.')
@allowed([
  'DEBUG'
  'INFO'
  'WARNING'
  'ERROR'
])
param logLevel string = 'INFO'

// ---------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = {
  'azd-env-name': environmentName
  application: 'fastservice-whatsapp'
}
// Prefix of nested deployment names (also used in the ACS / OpenAI resource groups, which
// may be shared with FastService).
var deploymentPrefix = 'fsw-${resourceToken}'

var identityName = 'id-fsw-${resourceToken}'
var storageAccountName = 'stfsw${resourceToken}'
var deploymentContainerName = 'app-package-${resourceToken}'
var deadLetterContainerName = 'eventgrid-deadletter'
var functionAppName = 'func-fsw-${resourceToken}'
var planName = 'plan-fsw-${resourceToken}'
var logAnalyticsName = 'log-fsw-${resourceToken}'
var applicationInsightsName = 'appi-fsw-${resourceToken}'

var sqlServerFqdn = '${sqlServerName}${environment().suffixes.sqlServerHostname}'

var createCommunication = empty(existingCommunicationServiceName)
var communicationName = createCommunication ? 'acs-fsw-${resourceToken}' : existingCommunicationServiceName
var communicationResourceGroup = empty(communicationServiceResourceGroupName) ? resourceGroup().name : communicationServiceResourceGroupName
var systemTopicName = empty(eventGridSystemTopicName) ? 'evgt-fsw-${resourceToken}' : eventGridSystemTopicName

var createOpenAi = empty(existingOpenAiName)
var openAiName = createOpenAi ? 'oai-fsw-${resourceToken}' : existingOpenAiName
var openAiResourceGroup = empty(openAiResourceGroupName) ? resourceGroup().name : openAiResourceGroupName
var openAiAccountLocation = empty(openAiLocation) ? location : openAiLocation

// ---------------------------------------------------------------------------------------
// Identity, monitoring, storage
// ---------------------------------------------------------------------------------------

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: identityName
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  name: '${deploymentPrefix}-monitoring'
  params: {
    location: location
    tags: tags
    logAnalyticsName: logAnalyticsName
    applicationInsightsName: applicationInsightsName
    identityPrincipalId: identity.properties.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: '${deploymentPrefix}-storage'
  params: {
    location: location
    tags: tags
    storageAccountName: storageAccountName
    deploymentContainerName: deploymentContainerName
    deadLetterContainerName: deadLetterContainerName
    identityPrincipalId: identity.properties.principalId
  }
}

// Media of messages (issue 16): private container, wake-up queue, the identity's roles on them
module mediaStorage 'modules/media-storage.bicep' = {
  name: '${deploymentPrefix}-media-storage'
  params: {
    storageAccountName: storage.outputs.name
    containerName: mediaContainer
    queueName: mediaQueue
    identityPrincipalId: identity.properties.principalId
  }
}

// ---------------------------------------------------------------------------------------
// Communication Services + Event Grid system topic
// ---------------------------------------------------------------------------------------

module communication 'modules/communication.bicep' = if (createCommunication) {
  name: '${deploymentPrefix}-communication'
  scope: resourceGroup(communicationResourceGroup)
  params: {
    name: communicationName
    dataLocation: communicationDataLocation
    tags: tags
  }
}

module communicationAccess 'modules/communication-access.bicep' = {
  name: '${deploymentPrefix}-communication-access'
  scope: resourceGroup(communicationResourceGroup)
  params: {
    communicationServiceName: communicationName
    identityPrincipalId: identity.properties.principalId
  }
  dependsOn: [
    communication
  ]
}

module eventGridTopic 'modules/eventgrid-topic.bicep' = {
  name: '${deploymentPrefix}-eventgrid-topic'
  scope: resourceGroup(communicationResourceGroup)
  params: {
    name: systemTopicName
    sourceResourceId: communicationAccess.outputs.id
    tags: tags
  }
}

module deadLetterAccess 'modules/deadletter-access.bicep' = {
  name: '${deploymentPrefix}-deadletter-access'
  params: {
    storageAccountName: storage.outputs.name
    containerName: storage.outputs.deadLetterContainerName
    principalId: eventGridTopic.outputs.principalId
  }
}

// ---------------------------------------------------------------------------------------
// Azure OpenAI
// ---------------------------------------------------------------------------------------

module openAi 'modules/openai.bicep' = if (createOpenAi) {
  name: '${deploymentPrefix}-openai'
  scope: resourceGroup(openAiResourceGroup)
  params: {
    name: openAiName
    location: openAiAccountLocation
    tags: tags
    deploymentName: openAiDeploymentName
    modelName: openAiModelName
    modelVersion: openAiModelVersion
    deploymentSkuName: openAiDeploymentSkuName
    deploymentCapacity: openAiDeploymentCapacity
  }
}

module openAiAccess 'modules/openai-access.bicep' = {
  name: '${deploymentPrefix}-openai-access'
  scope: resourceGroup(openAiResourceGroup)
  params: {
    openAiAccountName: openAiName
    identityPrincipalId: identity.properties.principalId
  }
  dependsOn: [
    openAi
  ]
}

// ---------------------------------------------------------------------------------------
// Function app
// ---------------------------------------------------------------------------------------

var staffTenantId = empty(staffAuthTenantId) ? tenant().tenantId : staffAuthTenantId
// v2 tokens carry the client id as aud; api://<client id> is what v1 tokens and some clients use.
var staffAuthAudience = empty(staffAuthClientId) ? '' : '${staffAuthClientId},api://${staffAuthClientId}'

// Every setting of shared/config.py (SETTINGS), with the value this deployment implies.
// Keys stay empty: SQL, Azure OpenAI and ACS are reached with the managed identity.
var appSettings = {
  DATABASE_URL: 'mssql+pyodbc://@${sqlServerFqdn}/${sqlDatabaseName}?driver=ODBC+Driver+18+for+SQL+Server&Encrypt=yes&TrustServerCertificate=no'
  DATABASE_AUTH: 'entra'
  AZURE_CLIENT_ID: identity.properties.clientId
  DB_RETRY_SECONDS: dbRetrySeconds
  DEFAULT_REGION: defaultRegion
  DEFAULT_AREA_CODE: defaultAreaCode
  WHATSAPP_CHANNEL_ID: whatsappChannelId
  ACS_ENDPOINT: communicationAccess.outputs.endpoint
  ACS_CONNECTION_STRING: ''
  ACS_CA_BUNDLE: ''
  ACS_SEND_TIMEOUT_SECONDS: acsSendTimeoutSeconds
  WHATSAPP_SEND_FORMAT: whatsappSendFormat
  SEND_RETRY_MINUTES: sendRetryMinutes
  SEND_RECONCILE_MINUTES: sendReconcileMinutes
  OUTBOX_SCHEDULE: outboxSchedule
  WHATSAPP_TEMPLATES: whatsappTemplates
  TEMPLATE_SYNC_SCHEDULE: templateSyncSchedule
  NOTIFY_SCHEDULE: notifySchedule
  NOTIFY_RULES: notifyRules
  NOTIFY_REMINDER: notifyReminder
  NOTIFY_MAX_AGE_MINUTES: notifyMaxAgeMinutes
  NOTIFY_SETTLE_MINUTES: notifySettleMinutes
  NOTIFY_OVERLAP_MINUTES: notifyOverlapMinutes
  NOTIFY_QUIET_HOURS: notifyQuietHours
  NOTIFY_BATCH_SIZE: notifyBatchSize
  NOTIFY_OUTDATED_QUOTE: notifyOutdatedQuote
  BUTTON_SIGNING_KEY: '' // the key is generated into the database on first use (no secret in settings)
  RAW_PAYLOAD_MAX_BYTES: rawPayloadMaxBytes
  SYNC_LOOKBACK_DAYS: syncLookbackDays
  INBOX_AWAITING_DAYS: inboxAwaitingDays
  PHONE_INDEX_SCHEDULE: phoneIndexSchedule
  WHATSAPP_GREETING: whatsappGreeting
  AZURE_OPENAI_ENDPOINT: openAiAccess.outputs.endpoint
  AZURE_OPENAI_DEPLOYMENT: openAiDeploymentName
  AZURE_OPENAI_API_VERSION: openAiApiVersion
  AZURE_OPENAI_API_KEY: ''
  OPENAI_BASE_URL: ''
  OPENAI_API_KEY: ''
  OPENAI_MODEL: openAiCompatibleModel
  SUMMARY_SCHEDULE: summarySchedule
  SUMMARY_QUIET_MINUTES: summaryQuietMinutes
  SUMMARY_MAX_CHARS: summaryMaxChars
  SUMMARY_INPUT_MAX_CHARS: summaryInputMaxChars
  SUMMARY_USER_ID: summaryUserId
  SUMMARY_BATCH_SIZE: summaryBatchSize
  SUMMARY_CONCURRENCY: summaryConcurrency
  SUMMARY_TIMEOUT_SECONDS: summaryTimeoutSeconds
  // media storage: identity-based connection (the host's form for the download_media trigger, read by the app too)
  MEDIA_STORAGE: ''
  MEDIA_STORAGE__blobServiceUri: mediaStorage.outputs.blobServiceUri
  MEDIA_STORAGE__queueServiceUri: mediaStorage.outputs.queueServiceUri
  MEDIA_STORAGE__credential: 'managedidentity'
  MEDIA_STORAGE__clientId: identity.properties.clientId
  MEDIA_CONTAINER: mediaStorage.outputs.containerName
  MEDIA_QUEUE: mediaStorage.outputs.queueName
  MEDIA_ID_LIFETIME_DAYS: mediaIdLifetimeDays
  MEDIA_RETRY_BASE_SECONDS: mediaRetryBaseSeconds
  MEDIA_SWEEP_SCHEDULE: mediaSweepSchedule
  MEDIA_SWEEP_CONCURRENCY: mediaSweepConcurrency
  MEDIA_LINK_MINUTES: mediaLinkMinutes
  LOG_LEVEL: logLevel
  // Staff routes need a signed-in staff member, always: the app validates their Entra token itself
  // (Flex Consumption has no App Service Authentication nor platform CORS).
  STAFF_SIGN_IN: 'required'
  STAFF_AUTH_TENANT_ID: staffTenantId
  STAFF_AUTH_AUDIENCE: staffAuthAudience
  STAFF_AUTH_ISSUER: '' // derived from the tenant: Entra v2
  STAFF_AUTH_JWKS_URI: '' // derived from the tenant: Entra's published keys
  STAFF_AUTH_ALLOWED_CLIENTS: frontendClientId
  CORS_ALLOWED_ORIGINS: replace(frontendOrigins, ' ', '')
}

module functionApp 'modules/functionapp.bicep' = {
  name: '${deploymentPrefix}-functionapp'
  params: {
    name: functionAppName
    planName: planName
    location: location
    tags: tags
    identityId: identity.id
    identityClientId: identity.properties.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    maximumInstanceCount: maximumInstanceCount
    appSettings: appSettings
  }
}

// Created only after the code is deployed (see infra/hooks/postdeploy.sh).
module eventGridSubscription 'eventgrid-subscription.bicep' = if (enableEventGridSubscription) {
  name: '${deploymentPrefix}-eventgrid-subscription'
  scope: resourceGroup(communicationResourceGroup)
  params: {
    systemTopicName: eventGridTopic.outputs.name
    functionAppResourceId: functionApp.outputs.id
    deadLetterStorageAccountId: storage.outputs.id
    deadLetterContainerName: storage.outputs.deadLetterContainerName
  }
  dependsOn: [
    deadLetterAccess
  ]
}

// ---------------------------------------------------------------------------------------
// Outputs (azd stores them in the environment; none is a secret)
// ---------------------------------------------------------------------------------------

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_ID string = functionApp.outputs.id
output AZURE_FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}'
output AZURE_MANAGED_IDENTITY_NAME string = identity.name
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.properties.clientId
output AZURE_SQL_SERVER_FQDN string = sqlServerFqdn
output AZURE_SQL_DATABASE_NAME string = sqlDatabaseName
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output ACS_ENDPOINT string = communicationAccess.outputs.endpoint
output AZURE_COMMUNICATION_SERVICE_RESOURCE string = communicationAccess.outputs.name
output AZURE_OPENAI_ENDPOINT string = openAiAccess.outputs.endpoint
output AZURE_OPENAI_DEPLOYMENT string = openAiDeploymentName
output EVENTGRID_SYSTEM_TOPIC_NAME string = eventGridTopic.outputs.name
output EVENTGRID_RESOURCE_GROUP string = communicationResourceGroup
output EVENTGRID_DEADLETTER_STORAGE_ID string = storage.outputs.id
output EVENTGRID_DEADLETTER_CONTAINER string = storage.outputs.deadLetterContainerName
