// Media of WhatsApp messages (issue 16): a private blob container for the files, the queue that wakes
// their downloads (and its poison queue, where the Functions host moves a message after 5 failed
// deliveries), and the app identity's data roles on exactly those, in the existing storage account
// (shared keys off: every client uses Entra ID).
//
// Roles:
// - Storage Blob Data Contributor on the container only: read and write the media blobs.
// - Storage Queue Data Contributor on each of the two queues only: the trigger receives, updates and
//   deletes messages and moves poison ones; the app sends wake-ups.
// - Storage Blob Delegator on the account: Get User Delegation Key acts at account level, so this role
//   (that action and nothing else: no data access) must be assigned there. Read links (user-delegation SAS)
//   can never grant more than the identity's own data role, which is limited to the container.
// Note: the host storage roles of storage.bicep (Blob Data Owner, Queue Data Contributor at account scope)
// also reach this container and queue while media share the host's account; a separate media account would
// make these container/queue roles the only ones (README, Decisions).

@description('Storage account that holds the media (the app storage account).')
param storageAccountName string

@description('Private blob container of the media.')
param containerName string

@description('Queue of download wake-ups (the download_media trigger).')
param queueName string

@description('Principal (object) id of the function app user-assigned identity.')
param identityPrincipalId string

// Built-in roles
var storageBlobDataContributorRoleId = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
var storageQueueDataContributorRoleId = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var storageBlobDelegatorRoleId = 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: containerName
  properties: {
    publicAccess: 'None'
  }
}

resource queue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: queueName
}

resource poisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: '${queueName}-poison'
}

resource mediaBlobWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(container.id, identityPrincipalId, storageBlobDataContributorRoleId)
  scope: container
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributorRoleId)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource mediaQueueWorker 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(queue.id, identityPrincipalId, storageQueueDataContributorRoleId)
  scope: queue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributorRoleId)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource mediaPoisonQueueWorker 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(poisonQueue.id, identityPrincipalId, storageQueueDataContributorRoleId)
  scope: poisonQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributorRoleId)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource mediaLinkDelegator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identityPrincipalId, storageBlobDelegatorRoleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDelegatorRoleId)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output containerName string = container.name
output queueName string = queue.name
output blobServiceUri string = storage.properties.primaryEndpoints.blob
output queueServiceUri string = storage.properties.primaryEndpoints.queue
