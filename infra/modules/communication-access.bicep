// Runs in the resource group of the Communication Services resource (new or existing) and
// returns its id, name and endpoint.
//
// No role is assigned to the function app's identity here: the app only receives events
// (through Event Grid) and sends nothing through ACS yet. The only built-in role ACS honours
// for Entra ID callers, "Communication and Email Service Owner", also allows listing the
// resource's access keys, so it is granted when a feature needs it, not before.

@description('Name of the Communication Services resource.')
param communicationServiceName string

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' existing = {
  name: communicationServiceName
}

output id string = communication.id
output name string = communication.name
output endpoint string = 'https://${communication.properties.hostName}'
