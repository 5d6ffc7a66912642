// Runs in the resource group of the Communication Services resource (new or existing):
// gives the function app identity access to ACS with Entra ID (ACS_ENDPOINT + managed
// identity, no connection string) and returns the endpoint.

@description('Name of the Communication Services resource.')
param communicationServiceName string

@description('Principal (object) id of the function app user-assigned identity.')
param identityPrincipalId string

// Built-in role: Communication and Email Service Owner. ACS honours only built-in roles for
// Entra ID callers and has no narrower data-plane role; the scope is this one resource.
var communicationServiceOwnerRoleId = '09976791-48a7-449e-bb21-39d1a415f350'

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' existing = {
  name: communicationServiceName
}

resource communicationAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communication.id, identityPrincipalId, communicationServiceOwnerRoleId)
  scope: communication
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', communicationServiceOwnerRoleId)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output id string = communication.id
output name string = communication.name
output endpoint string = 'https://${communication.properties.hostName}'
