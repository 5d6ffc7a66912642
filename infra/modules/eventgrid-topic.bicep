// Event Grid system topic for the Communication Services resource. It is created with the
// infrastructure (before the code) so that its system-assigned identity exists, and can be
// granted the dead-letter container, before the subscription is created after deployment.

@description('Name of the system topic. An ACS resource can have only one system topic: give the existing one\'s name if it has one.')
param name string

@description('Resource id of the Communication Services resource (the event source).')
param sourceResourceId string

@description('Tags applied to the topic.')
param tags object

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  // Communication Services is global, so is its system topic.
  location: 'global'
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: sourceResourceId
    topicType: 'Microsoft.Communication.CommunicationServices'
  }
}

output name string = systemTopic.name
output id string = systemTopic.id
output principalId string = systemTopic.identity.principalId
