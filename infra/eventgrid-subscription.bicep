// Event Grid subscription: ACS Advanced Messaging events -> ingest_whatsapp_event.
//
// Deployed AFTER the code (infra/hooks/postdeploy.sh, or main.bicep with
// enableEventGridSubscription=true once the code is deployed): creating a subscription with
// an AzureFunction endpoint validates that the function exists in the app, so it fails on a
// first deployment where the app is still empty.
//
// Deploy it to the resource group of the system topic (= the Communication Services one).
targetScope = 'resourceGroup'

@description('Name of the Event Grid system topic of the Communication Services resource.')
param systemTopicName string

@description('Resource id of the function app.')
param functionAppResourceId string

@description('Resource id of the storage account that holds the dead-letter container.')
param deadLetterStorageAccountId string

@description('Blob container for events that could not be delivered.')
param deadLetterContainerName string = 'eventgrid-deadletter'

@description('Name of the event subscription.')
param subscriptionName string = 'whatsapp-to-ingest-function'

// The Event Grid trigger in function_app.py; not a parameter so that it cannot drift.
var functionName = 'ingest_whatsapp_event'

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: systemTopic
  name: subscriptionName
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionAppResourceId}/functions/${functionName}'
        // One event per invocation: each message is stored (or retried) on its own.
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.Communication.AdvancedMessageReceived'
        'Microsoft.Communication.AdvancedMessageDeliveryStatusUpdated'
      ]
      enableAdvancedFilteringOnArrays: true
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    // Dead-lettering with the system topic's managed identity (no storage key or SAS).
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorageAccountId
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

output id string = subscription.id
output name string = subscription.name
