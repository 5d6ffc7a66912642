// A new Azure Communication Services resource (only when no existing one is given).
// The WhatsApp Business channel itself is connected in the portal (Advanced Messaging),
// which gives the channel registration id for the WHATSAPP_CHANNEL_ID setting.

@description('Name of the Communication Services resource (globally unique).')
param name string

@description('Where ACS stores data at rest (e.g. Brazil, United States, Europe).')
param dataLocation string

@description('Tags applied to the resource.')
param tags object

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: name
  // Communication Services is a global resource; dataLocation decides where data rests.
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

output id string = communication.id
output name string = communication.name
