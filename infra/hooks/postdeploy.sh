#!/bin/sh
# azd postdeploy hook: creates (or updates) the Event Grid subscription
#   ACS system topic -> function ingest_whatsapp_event
# once the code is deployed. It cannot be created with the rest of the infrastructure on a
# first `azd up`: an AzureFunction endpoint is validated when the subscription is created,
# and the function only exists after `azd deploy`.
#
# azd runs this with the environment's values (the outputs of infra/main.bicep) exported.
# With the Azure CLI logged in it deploys infra/eventgrid-subscription.bicep directly (fast);
# otherwise it turns ENABLE_EVENTGRID_SUBSCRIPTION on and re-runs `azd provision`, which
# deploys the same file as a module of main.bicep. Either way, ENABLE_EVENTGRID_SUBSCRIPTION
# stays true so later provisions keep the subscription as declared.
#
# Run it by hand with:  azd hooks run postdeploy
set -eu

require() {
    eval "value=\${$1:-}"
    if [ -z "$value" ]; then
        echo "postdeploy: $1 is not set; run 'azd provision' first." >&2
        exit 1
    fi
}

require AZURE_RESOURCE_GROUP
require AZURE_FUNCTION_APP_NAME
require AZURE_FUNCTION_APP_ID
require EVENTGRID_RESOURCE_GROUP
require EVENTGRID_SYSTEM_TOPIC_NAME
require EVENTGRID_DEADLETTER_STORAGE_ID
require EVENTGRID_DEADLETTER_CONTAINER

script_dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
template="$script_dir/../eventgrid-subscription.bicep"
attempts=${EVENTGRID_SUBSCRIPTION_ATTEMPTS:-10}
delay=${EVENTGRID_SUBSCRIPTION_DELAY_SECONDS:-30}

if command -v az >/dev/null 2>&1 && az account show >/dev/null 2>&1; then
    if [ -n "${AZURE_SUBSCRIPTION_ID:-}" ]; then
        az account set --subscription "$AZURE_SUBSCRIPTION_ID"
    fi
    # The function is indexed a little after the package is deployed: wait for it.
    i=1
    until az functionapp function show \
            --resource-group "$AZURE_RESOURCE_GROUP" \
            --name "$AZURE_FUNCTION_APP_NAME" \
            --function-name ingest_whatsapp_event \
            --query id --output tsv >/dev/null 2>&1; do
        if [ "$i" -ge "$attempts" ]; then
            echo "postdeploy: function ingest_whatsapp_event not found in $AZURE_FUNCTION_APP_NAME" >&2
            echo "postdeploy: check the deployment logs, then run 'azd hooks run postdeploy'." >&2
            exit 1
        fi
        echo "postdeploy: waiting for ingest_whatsapp_event to be indexed ($i/$attempts)..."
        i=$((i + 1))
        sleep "$delay"
    done
    az deployment group create \
        --name "fsw-eventgrid-subscription" \
        --resource-group "$EVENTGRID_RESOURCE_GROUP" \
        --template-file "$template" \
        --parameters \
            systemTopicName="$EVENTGRID_SYSTEM_TOPIC_NAME" \
            functionAppResourceId="$AZURE_FUNCTION_APP_ID" \
            deadLetterStorageAccountId="$EVENTGRID_DEADLETTER_STORAGE_ID" \
            deadLetterContainerName="$EVENTGRID_DEADLETTER_CONTAINER" \
        --output none
    azd env set ENABLE_EVENTGRID_SUBSCRIPTION true
else
    echo "postdeploy: Azure CLI not logged in; creating the subscription with 'azd provision'."
    azd env set ENABLE_EVENTGRID_SUBSCRIPTION true
    i=1
    until azd provision --no-prompt; do
        if [ "$i" -ge "$attempts" ]; then
            echo "postdeploy: could not create the Event Grid subscription; run 'azd provision' again." >&2
            exit 1
        fi
        echo "postdeploy: retrying in ${delay}s (the function may not be indexed yet) ($i/$attempts)..."
        i=$((i + 1))
        sleep "$delay"
    done
fi

echo "postdeploy: Event Grid subscription to ingest_whatsapp_event is in place."
