// Runs in the resource group of the Communication Services resource (new or existing): gives the
// function app identity the role that lets it send WhatsApp messages through that resource only, and
// returns its id, name and endpoint.
//
// Why an Entra role and not the access key: the data plane accepts Entra tokens, and the only built-in
// role it honours for them, "Communication and Email Service Owner", can also list the resource's keys.
// The alternative, the access key as a Key Vault reference, gives the app the same power (the key *is*
// full data-plane access) plus a long-lived secret that can leak and must be rotated. With the role there
// is no secret anywhere, tokens expire within the hour, and ACS's logs name the identity. It is scoped to
// this one resource, never the resource group.

@description('Name of the Communication Services resource.')
param communicationServiceName string

@description('Principal (object) id of the function app user-assigned identity.')
param identityPrincipalId string

// Built-in role: Communication and Email Service Owner (send through ACS with an Entra token).
var communicationServiceOwnerRoleId = '09976791-48a7-449e-bb21-39d1a415f350'

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' existing = {
  name: communicationServiceName
}

resource communicationSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
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
