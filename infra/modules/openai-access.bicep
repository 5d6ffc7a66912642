// Runs in the resource group of the Azure OpenAI account (new or existing): gives the
// function app identity "Cognitive Services OpenAI User" on that account only and returns
// the endpoint for AZURE_OPENAI_ENDPOINT.

@description('Name of the Azure OpenAI account.')
param openAiAccountName string

@description('Principal (object) id of the function app user-assigned identity.')
param identityPrincipalId string

// Built-in role: Cognitive Services OpenAI User (inference only, no keys, no management).
var cognitiveServicesOpenAiUserRoleId = '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = {
  name: openAiAccountName
}

resource openAiUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, identityPrincipalId, cognitiveServicesOpenAiUserRoleId)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cognitiveServicesOpenAiUserRoleId)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output id string = account.id
output endpoint string = account.properties.endpoint
