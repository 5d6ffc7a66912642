// A new Azure OpenAI account (only when no existing one is given) with one model deployment.
// Keys are disabled: callers authenticate with Entra ID ("Cognitive Services OpenAI User").

@description('Name of the account; also its custom subdomain (needed for Entra ID tokens).')
param name string

@description('Azure region of the account (the model must be offered there).')
param location string

@description('Tags applied to the account.')
param tags object

@description('Name of the model deployment (AZURE_OPENAI_DEPLOYMENT).')
param deploymentName string

@description('Model name, e.g. gpt-4o-mini.')
param modelName string

@description('Model version, e.g. 2024-07-18.')
param modelVersion string

@description('Deployment type: GlobalStandard, DataZoneStandard or Standard.')
@allowed([
  'GlobalStandard'
  'DataZoneStandard'
  'Standard'
])
param deploymentSkuName string

@description('Deployment capacity in thousands of tokens per minute.')
@minValue(1)
param deploymentCapacity int

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  // checkov:skip=CKV_AZURE_134:The function app runs on Flex Consumption without VNet integration, so it reaches Azure OpenAI over the public endpoint; keys are disabled and every call needs an Entra token of the app identity.
  name: name
  location: location
  tags: tags
  kind: 'OpenAI'
  sku: {
    name: 'S0'
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    customSubDomainName: name
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
    }
  }
}

resource deployment 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = {
  parent: account
  name: deploymentName
  sku: {
    name: deploymentSkuName
    capacity: deploymentCapacity
  }
  properties: {
    model: {
      format: 'OpenAI'
      name: modelName
      version: modelVersion
    }
    versionUpgradeOption: 'OnceNewDefaultVersionAvailable'
  }
}

output name string = account.name
output deploymentName string = deployment.name
