// Lets the Event Grid system topic's managed identity write dead-lettered events to one
// blob container (Storage Blob Data Contributor scoped to that container only), so the
// subscription can use identity-based dead-lettering (deadLetterWithResourceIdentity).

@description('Storage account that holds the dead-letter container.')
param storageAccountName string

@description('Dead-letter blob container.')
param containerName string

@description('Principal (object) id of the Event Grid system topic identity.')
param principalId string

// Built-in role: Storage Blob Data Contributor
var storageBlobDataContributorRoleId = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobService
  name: containerName
}

resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(container.id, principalId, storageBlobDataContributorRoleId)
  scope: container
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributorRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output roleAssignmentId string = deadLetterWriter.id
