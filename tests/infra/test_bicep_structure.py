"""Structural tests of the Bicep in infra/ (parsed with pycep; Bicep cannot be compiled here).

Each test pins a property the deployment relies on, so that a regression in the Bicep
(an HTTP endpoint, a storage key, a missing role, an Event Grid setting...) fails here.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest

from shared.config import SETTINGS

from .conftest import INFRA, REPO_ROOT, bicep_files

Bicep = dict[str, dict[str, Any]]

# Built-in role definition ids.
STORAGE_BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
STORAGE_QUEUE_DATA_CONTRIBUTOR = "974c5e8b-45b9-4653-ba55-5f855dd0fb88"
STORAGE_TABLE_DATA_CONTRIBUTOR = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"
MONITORING_METRICS_PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb"
COGNITIVE_SERVICES_OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
STORAGE_BLOB_DELEGATOR = "db58b8e5-c6ad-4a2a-8342-4190687cbf4a"
COMMUNICATION_AND_EMAIL_SERVICE_OWNER = "09976791-48a7-449e-bb21-39d1a415f350"

ADVANCED_MESSAGING_EVENTS = {
    "Microsoft.Communication.AdvancedMessageReceived",
    "Microsoft.Communication.AdvancedMessageDeliveryStatusUpdated",
}


# --------------------------------------------------------------------------------------
# Helpers over pycep's JSON
# --------------------------------------------------------------------------------------


def dotted(expr: Any) -> str | None:
    """`a.b.c` for an identifier or a property-accessor chain, None for anything else.

    pycep gives identifiers and string literals both as plain strings; callers compare
    against the names they expect.
    """
    if isinstance(expr, str):
        return expr
    if isinstance(expr, dict) and expr.get("operator", {}).get("type") == "property_accessor":
        operands = expr["operator"]["operands"]
        left, right = dotted(operands["operand_1"]), dotted(operands["operand_2"])
        if left is not None and right is not None:
            return f"{left}.{right}"
    return None


def resources(bicep: Bicep, resource_type: str, file: str | None = None) -> list[tuple[str, str, dict]]:
    """(file, symbolic name, resource) of every resource of that type (existing ones too)."""
    found = []
    for path, parsed in bicep.items():
        if file is not None and path != file:
            continue
        for name, resource in parsed.get("resources", {}).items():
            if resource["type"].lower() == resource_type.lower():
                found.append((path, name, resource))
    return found


def declared(bicep: Bicep, resource_type: str, file: str) -> dict:
    """The config of the one resource of that type declared (not `existing`) in the file."""
    matches = [r for _, _, r in resources(bicep, resource_type, file) if not r["existing"]]
    assert len(matches) == 1, f"expected one {resource_type} declared in {file}, found {len(matches)}"
    return matches[0]["config"]


def module(bicep: Bicep, name: str, file: str = "main.bicep") -> tuple[Any, dict]:
    """(condition or None, config) of a module declaration."""
    config = bicep[file]["modules"][name]["config"]
    if "condition" in config and "config" in config:
        return config["condition"], config["config"]
    return None, config


def main_params(bicep: Bicep) -> dict[str, dict]:
    return bicep["main.bicep"]["parameters"]


def variable(bicep: Bicep, file: str, name: str) -> Any:
    return bicep[file]["variables"][name]["value"]


def role_of(bicep: Bicep, file: str, assignment: dict) -> str:
    """The role definition GUID of a role assignment (through its variable)."""
    role_definition = assignment["config"]["properties"]["roleDefinitionId"]["function"]
    assert role_definition["type"] == "subscription_resource_id"
    assert role_definition["parameters"]["resource_type"] == "Microsoft.Authorization/roleDefinitions"
    return variable(bicep, file, role_definition["parameters"]["resource_name_1"])


def all_text() -> str:
    paths = [*bicep_files(), INFRA / "main.parameters.json", INFRA / "hooks" / "postdeploy.sh"]
    return "\n".join(path.read_text(encoding="utf-8") for path in paths)


# --------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------


def test_main_modules_exist_and_parse(bicep: Bicep) -> None:
    assert {"main.bicep", "eventgrid-subscription.bicep"} <= bicep.keys()
    for name, declaration in bicep["main.bicep"]["modules"].items():
        path = declaration["detail"]["path"]
        assert path in bicep, f"module {name} points to {path}, which is missing or did not parse"


def test_deploys_to_a_resource_group_in_brazil_south_by_default(bicep: Bicep) -> None:
    assert bicep["main.bicep"]["globals"]["scope"]["value"] == "resourceGroup"
    assert main_params(bicep)["location"]["default"] == "brazilsouth"


# --------------------------------------------------------------------------------------
# Function app: Flex Consumption, Python 3.11, HTTPS only, TLS 1.2, identity-based storage
# --------------------------------------------------------------------------------------

FUNCTION_APP = "modules/functionapp.bicep"


def test_plan_is_flex_consumption_on_linux(bicep: Bicep) -> None:
    plan = declared(bicep, "Microsoft.Web/serverfarms", FUNCTION_APP)
    assert plan["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    assert plan["properties"]["reserved"] is True


def test_function_app_runs_python_311_as_the_user_assigned_identity(bicep: Bicep) -> None:
    site = declared(bicep, "Microsoft.Web/sites", FUNCTION_APP)
    assert site["kind"] == "functionapp,linux"
    assert site["properties"]["functionAppConfig"]["runtime"] == {"name": "python", "version": "3.11"}
    assert site["identity"]["type"] == "UserAssigned"
    assert list(site["identity"]["userAssignedIdentities"]) == ["'${identityId}'"]
    scale = site["properties"]["functionAppConfig"]["scaleAndConcurrency"]
    assert scale["maximumInstanceCount"] == "maximumInstanceCount"


def test_function_app_is_https_only_with_tls_12_and_no_ftp(bicep: Bicep) -> None:
    site = declared(bicep, "Microsoft.Web/sites", FUNCTION_APP)
    assert site["properties"]["httpsOnly"] is True
    site_config = site["properties"]["siteConfig"]
    assert site_config["minTlsVersion"] == "1.2"
    assert site_config["scmMinTlsVersion"] == "1.2"
    assert site_config["ftpsState"] == "Disabled"


def test_azd_finds_the_function_app_by_its_service_tag(bicep: Bicep) -> None:
    site = declared(bicep, "Microsoft.Web/sites", FUNCTION_APP)
    union = site["tags"]["function"]
    assert union["type"] == "union"
    assert union["parameters"]["arg_2"] == {"'azd-service-name'": "whatsapp-functions"}


def test_deployment_package_storage_uses_the_managed_identity(bicep: Bicep) -> None:
    site = declared(bicep, "Microsoft.Web/sites", FUNCTION_APP)
    storage = site["properties"]["functionAppConfig"]["deployment"]["storage"]
    assert storage["type"] == "blobContainer"
    assert storage["value"] == "${storage.properties.primaryEndpoints.blob}${deploymentContainerName}"
    assert storage["authentication"] == {
        "type": "UserAssignedIdentity",
        "userAssignedIdentityResourceId": "identityId",
    }


def test_host_storage_and_telemetry_use_the_managed_identity(bicep: Bicep) -> None:
    platform = variable(bicep, FUNCTION_APP, "platformSettings")
    assert dotted(platform["AzureWebJobsStorage__accountName"]) == "storage.name"
    assert platform["AzureWebJobsStorage__credential"] == "managedidentity"
    assert platform["AzureWebJobsStorage__clientId"] == "identityClientId"
    assert platform["APPLICATIONINSIGHTS_CONNECTION_STRING"] == "applicationInsightsConnectionString"
    assert platform["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == "Authorization=AAD;ClientId=${identityClientId}"
    assert platform["PYTHON_ISOLATE_WORKER_DEPENDENCIES"] == "1"
    # No connection-string host storage, and nothing Flex Consumption rejects.
    for forbidden in (
        "AzureWebJobsStorage",
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
        "FUNCTIONS_EXTENSION_VERSION",
        "FUNCTIONS_WORKER_RUNTIME",
        "WEBSITE_RUN_FROM_PACKAGE",
    ):
        assert forbidden not in platform


def test_site_app_settings_are_the_config_settings_plus_the_platform_ones(bicep: Bicep) -> None:
    assert variable(bicep, FUNCTION_APP, "allSettings") == {
        "function": {"type": "union", "parameters": {"arg_1": "appSettings", "arg_2": "platformSettings"}}
    }
    site = declared(bicep, "Microsoft.Web/sites", FUNCTION_APP)
    loop = site["properties"]["siteConfig"]["appSettings"]
    assert loop["loop_type"]["detail"]["array_name"] == {
        "function": {"type": "items", "parameters": {"arg_1": "allSettings"}}
    }
    assert dotted(loop["config"]["name"]) == "setting.key"
    assert dotted(loop["config"]["value"]) == "setting.value"
    _, function_app = module(bicep, "functionApp")
    assert function_app["params"]["appSettings"] == "appSettings"


# --------------------------------------------------------------------------------------
# Every setting of shared/config.py is an app setting, with the value the deployment implies
# --------------------------------------------------------------------------------------

DEPLOYMENT_IMPLIED = {
    "DATABASE_AUTH": "entra",
    "AZURE_CLIENT_ID": "identity.properties.clientId",
    "ACS_ENDPOINT": "communicationAccess.outputs.endpoint",
    "AZURE_OPENAI_ENDPOINT": "openAiAccess.outputs.endpoint",
    "AZURE_OPENAI_DEPLOYMENT": "openAiDeploymentName",
    "STAFF_SIGN_IN": "required",  # never off in Azure: the app validates every staff token itself
    "MEDIA_STORAGE__blobServiceUri": "mediaStorage.outputs.blobServiceUri",
    "MEDIA_STORAGE__queueServiceUri": "mediaStorage.outputs.queueServiceUri",
    "MEDIA_STORAGE__credential": "managedidentity",
    "MEDIA_STORAGE__clientId": "identity.properties.clientId",
    "MEDIA_CONTAINER": "mediaStorage.outputs.containerName",
    "MEDIA_QUEUE": "mediaStorage.outputs.queueName",
    "STAFF_AUTH_TENANT_ID": "staffTenantId",
    "STAFF_AUTH_AUDIENCE": "staffAuthAudience",
    "STAFF_AUTH_ALLOWED_CLIENTS": "frontendClientId",
}
# keys stay empty (managed identity); the staff token's issuer and keys are derived from the tenant;
# media storage is identity-based (MEDIA_STORAGE__*), never a connection string
LEFT_EMPTY = {"ACS_CONNECTION_STRING", "ACS_CA_BUNDLE", "AZURE_OPENAI_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL",
              "STAFF_AUTH_ISSUER", "STAFF_AUTH_JWKS_URI", "MEDIA_STORAGE",  # media: identity-based
              "BUTTON_SIGNING_KEY"}  # issue 18: generated into the database, no secret in settings


def test_every_config_setting_is_wired_as_an_app_setting(bicep: Bicep) -> None:
    app_settings = variable(bicep, "main.bicep", "appSettings")
    assert set(app_settings) == {setting.name for setting in SETTINGS}


def test_database_url_points_at_the_existing_server_with_entra_auth(bicep: Bicep) -> None:
    app_settings = variable(bicep, "main.bicep", "appSettings")
    assert app_settings["DATABASE_URL"] == (
        "mssql+pyodbc://@${sqlServerFqdn}/${sqlDatabaseName}"
        "?driver=ODBC+Driver+18+for+SQL+Server&Encrypt=yes&TrustServerCertificate=no"
    )
    assert variable(bicep, "main.bicep", "sqlServerFqdn") == (
        "${sqlServerName}${environment().suffixes.sqlServerHostname}"
    )
    assert app_settings["DATABASE_AUTH"] == "entra"


def test_app_settings_take_the_deployment_values_or_the_app_defaults(bicep: Bicep) -> None:
    app_settings = variable(bicep, "main.bicep", "appSettings")
    params = main_params(bicep)
    for setting in SETTINGS:
        value = app_settings[setting.name]
        if setting.name in ("DATABASE_URL", "CORS_ALLOWED_ORIGINS"):
            continue  # test_database_url_points_at_the_existing_server_with_entra_auth, test_cors_...
        if setting.name in DEPLOYMENT_IMPLIED:
            assert dotted(value) == DEPLOYMENT_IMPLIED[setting.name], setting.name
        elif setting.name in LEFT_EMPTY:
            assert value == "", f"{setting.name} must stay empty (managed identity; derived from the tenant)"
        else:
            assert isinstance(value, str) and value in params, f"{setting.name} should come from a parameter"
            assert params[value]["default"] == setting.default, (
                f"default of parameter {value} ({params[value]['default']!r}) differs from "
                f"shared/config.py's default of {setting.name} ({setting.default!r})"
            )


# --------------------------------------------------------------------------------------
# Storage: no shared keys, TLS 1.2, no public blobs
# --------------------------------------------------------------------------------------


def test_storage_accounts_refuse_shared_keys_and_plain_http(bicep: Bicep) -> None:
    accounts = [r for _, _, r in resources(bicep, "Microsoft.Storage/storageAccounts") if not r["existing"]]
    assert accounts, "the function app needs its storage account"
    for account in accounts:
        properties = account["config"]["properties"]
        assert properties["allowSharedKeyAccess"] is False
        assert properties["minimumTlsVersion"] == "TLS1_2"
        assert properties["allowBlobPublicAccess"] is False
        assert properties["supportsHttpsTrafficOnly"] is True
        assert properties["defaultToOAuthAuthentication"] is True


def test_storage_account_name_is_valid_by_construction(bicep: Bicep) -> None:
    # What the CKV_AZURE_43 skip in modules/storage.bicep relies on: 5 + 13 lowercase characters.
    assert variable(bicep, "main.bicep", "storageAccountName") == "stfsw${resourceToken}"
    token = variable(bicep, "main.bicep", "resourceToken")["function"]
    assert token["type"] == "to_lower"
    assert token["parameters"]["string_to_change"]["function"]["type"] == "unique_string"
    _, storage = module(bicep, "storage")
    assert storage["params"]["storageAccountName"] == "storageAccountName"


def test_blob_containers_are_private(bicep: Bicep) -> None:
    containers = resources(bicep, "Microsoft.Storage/storageAccounts/blobServices/containers")
    declared_containers = [r for _, _, r in containers if not r["existing"]]
    assert len(declared_containers) == 3  # deployment package + Event Grid dead letters + media (issue 16)
    for container in declared_containers:
        assert container["config"]["properties"]["publicAccess"] == "None"


def test_dead_letter_container_is_eventgrid_deadletter(bicep: Bicep) -> None:
    assert variable(bicep, "main.bicep", "deadLetterContainerName") == "eventgrid-deadletter"
    _, storage = module(bicep, "storage")
    assert storage["params"]["deadLetterContainerName"] == "deadLetterContainerName"
    sub_params = bicep["eventgrid-subscription.bicep"]["parameters"]
    assert sub_params["deadLetterContainerName"]["default"] == "eventgrid-deadletter"


# --------------------------------------------------------------------------------------
# Application Insights with Entra authentication
# --------------------------------------------------------------------------------------


def test_application_insights_accepts_only_entra_authenticated_telemetry(bicep: Bicep) -> None:
    components = declared(bicep, "Microsoft.Insights/components", "modules/monitoring.bicep")
    assert components["properties"]["DisableLocalAuth"] is True
    assert dotted(components["properties"]["WorkspaceResourceId"]) == "logAnalytics.id"


# --------------------------------------------------------------------------------------
# Identity role assignments
# --------------------------------------------------------------------------------------

# (file, role, scope symbol, principal parameter): the complete list, nothing broader.
EXPECTED_ROLE_ASSIGNMENTS = {
    ("modules/storage.bicep", STORAGE_BLOB_DATA_OWNER, "storage", "identityPrincipalId"),
    ("modules/storage.bicep", STORAGE_QUEUE_DATA_CONTRIBUTOR, "storage", "identityPrincipalId"),
    ("modules/storage.bicep", STORAGE_TABLE_DATA_CONTRIBUTOR, "storage", "identityPrincipalId"),
    ("modules/monitoring.bicep", MONITORING_METRICS_PUBLISHER, "appInsights", "identityPrincipalId"),
    ("modules/openai-access.bicep", COGNITIVE_SERVICES_OPENAI_USER, "account", "identityPrincipalId"),
    # sending staff replies (issue 15); see modules/communication-access.bicep for why a role, not a key
    ("modules/communication-access.bicep", COMMUNICATION_AND_EMAIL_SERVICE_OWNER, "communication",
     "identityPrincipalId"),
    ("modules/deadletter-access.bicep", STORAGE_BLOB_DATA_CONTRIBUTOR, "container", "principalId"),
    # media (issue 16): data roles on the container and the queues only; the delegator (user-delegation
    # keys for read links, no data access) can only be assigned at account scope
    ("modules/media-storage.bicep", STORAGE_BLOB_DATA_CONTRIBUTOR, "container", "identityPrincipalId"),
    ("modules/media-storage.bicep", STORAGE_QUEUE_DATA_CONTRIBUTOR, "queue", "identityPrincipalId"),
    ("modules/media-storage.bicep", STORAGE_QUEUE_DATA_CONTRIBUTOR, "poisonQueue", "identityPrincipalId"),
    ("modules/media-storage.bicep", STORAGE_BLOB_DELEGATOR, "storage", "identityPrincipalId"),
}

SCOPE_TYPES = {
    "storage": "Microsoft.Storage/storageAccounts",
    "appInsights": "Microsoft.Insights/components",
    "account": "Microsoft.CognitiveServices/accounts",
    "container": "Microsoft.Storage/storageAccounts/blobServices/containers",
    "queue": "Microsoft.Storage/storageAccounts/queueServices/queues",
    "poisonQueue": "Microsoft.Storage/storageAccounts/queueServices/queues",
    "communication": "Microsoft.Communication/communicationServices",
}


def test_identity_role_assignments_are_exactly_the_needed_ones(bicep: Bicep) -> None:
    found = set()
    for file, _, assignment in resources(bicep, "Microsoft.Authorization/roleAssignments"):
        config = assignment["config"]
        role = role_of(bicep, file, assignment)
        scope = config["scope"]
        principal = config["properties"]["principalId"]
        found.add((file, role, scope, principal))
        assert config["properties"]["principalType"] == "ServicePrincipal"
        # Scoped to the resource itself, never the resource group or subscription.
        assert bicep[file]["resources"][scope]["type"] == SCOPE_TYPES[scope]
        # Deterministic name: scope + principal + role, so a redeployment is a no-op.
        guid = config["name"]["function"]
        assert guid["type"] == "guid"
        assert dotted(guid["parameters"]["base_string"]) == f"{scope}.id"
        assert guid["parameters"]["extra_string_1"] == principal
    assert found == EXPECTED_ROLE_ASSIGNMENTS


def test_role_modules_receive_the_right_principals(bicep: Bicep) -> None:
    for name in ("monitoring", "storage", "openAiAccess", "communicationAccess", "mediaStorage"):
        _, config = module(bicep, name)
        assert dotted(config["params"]["identityPrincipalId"]) == "identity.properties.principalId", name
    _, dead_letter = module(bicep, "deadLetterAccess")
    assert dotted(dead_letter["params"]["principalId"]) == "eventGridTopic.outputs.principalId"
    assert dotted(dead_letter["params"]["containerName"]) == "storage.outputs.deadLetterContainerName"


def test_function_app_identity_is_user_assigned(bicep: Bicep) -> None:
    identities = resources(bicep, "Microsoft.ManagedIdentity/userAssignedIdentities", "main.bicep")
    assert len(identities) == 1
    _, function_app = module(bicep, "functionApp")
    assert dotted(function_app["params"]["identityId"]) == "identity.id"
    assert dotted(function_app["params"]["identityClientId"]) == "identity.properties.clientId"


# --------------------------------------------------------------------------------------
# Azure OpenAI: keys disabled
# --------------------------------------------------------------------------------------


def test_new_openai_account_has_keys_disabled(bicep: Bicep) -> None:
    account = declared(bicep, "Microsoft.CognitiveServices/accounts", "modules/openai.bicep")
    assert account["kind"] == "OpenAI"
    assert account["properties"]["disableLocalAuth"] is True
    # Entra ID tokens need the custom subdomain endpoint.
    assert account["properties"]["customSubDomainName"] == "name"
    deployment = declared(bicep, "Microsoft.CognitiveServices/accounts/deployments", "modules/openai.bicep")
    assert deployment["parent"] == "account"
    assert deployment["name"] == "deploymentName"
    assert deployment["properties"]["model"]["format"] == "OpenAI"


def test_openai_and_acs_are_created_only_when_no_existing_one_is_given(bicep: Bicep) -> None:
    condition, _ = module(bicep, "openAi")
    assert condition == "createOpenAi"
    assert variable(bicep, "main.bicep", "createOpenAi") == {
        "function": {"type": "empty", "parameters": {"item_to_test": "existingOpenAiName"}}
    }
    condition, _ = module(bicep, "communication")
    assert condition == "createCommunication"
    assert variable(bicep, "main.bicep", "createCommunication") == {
        "function": {"type": "empty", "parameters": {"item_to_test": "existingCommunicationServiceName"}}
    }
    # The role assignments and endpoints are taken for new and existing resources alike.
    for name in ("openAiAccess", "communicationAccess", "eventGridTopic"):
        condition, _ = module(bicep, name)
        assert condition is None, name


# --------------------------------------------------------------------------------------
# Event Grid: system topic on ACS, subscription to ingest_whatsapp_event
# --------------------------------------------------------------------------------------

SUBSCRIPTION_FILE = "eventgrid-subscription.bicep"


def subscription_properties(bicep: Bicep) -> dict:
    return declared(bicep, "Microsoft.EventGrid/systemTopics/eventSubscriptions", SUBSCRIPTION_FILE)["properties"]


def test_system_topic_listens_to_the_communication_services_resource(bicep: Bicep) -> None:
    topic = declared(bicep, "Microsoft.EventGrid/systemTopics", "modules/eventgrid-topic.bicep")
    assert topic["properties"]["topicType"] == "Microsoft.Communication.CommunicationServices"
    assert topic["properties"]["source"] == "sourceResourceId"
    assert topic["location"] == "global"
    assert topic["identity"]["type"] == "SystemAssigned"
    _, topic_module = module(bicep, "eventGridTopic")
    assert dotted(topic_module["params"]["sourceResourceId"]) == "communicationAccess.outputs.id"


def test_subscription_delivers_to_ingest_whatsapp_event_one_event_at_a_time(bicep: Bicep) -> None:
    destination = subscription_properties(bicep)["destination"]
    assert destination["endpointType"] == "AzureFunction"
    assert destination["properties"]["resourceId"] == "${functionAppResourceId}/functions/${functionName}"
    assert variable(bicep, SUBSCRIPTION_FILE, "functionName") == "ingest_whatsapp_event"
    assert destination["properties"]["maxEventsPerBatch"] == 1
    assert destination["properties"]["preferredBatchSizeInKilobytes"] == 64


def test_subscription_uses_the_event_grid_schema(bicep: Bicep) -> None:
    assert subscription_properties(bicep)["eventDeliverySchema"] == "EventGridSchema"


def test_subscription_takes_both_advanced_messaging_event_types(bicep: Bicep) -> None:
    included = subscription_properties(bicep)["filter"]["includedEventTypes"]
    assert sorted(included) == sorted(ADVANCED_MESSAGING_EVENTS)


def test_subscription_retries_for_a_day(bicep: Bicep) -> None:
    assert subscription_properties(bicep)["retryPolicy"] == {
        "maxDeliveryAttempts": 30,
        "eventTimeToLiveInMinutes": 1440,
    }


def test_subscription_dead_letters_to_blob_storage_with_the_topic_identity(bicep: Bicep) -> None:
    properties = subscription_properties(bicep)
    assert "deadLetterDestination" not in properties, "use identity-based dead-lettering, not keys/SAS"
    dead_letter = properties["deadLetterWithResourceIdentity"]
    assert dead_letter["identity"] == {"type": "SystemAssigned"}
    destination = dead_letter["deadLetterDestination"]
    assert destination["endpointType"] == "StorageBlob"
    assert destination["properties"] == {
        "resourceId": "deadLetterStorageAccountId",
        "blobContainerName": "deadLetterContainerName",
    }


def test_subscription_is_created_only_after_the_code_is_deployed(bicep: Bicep) -> None:
    # In main.bicep only behind a flag that is off by default ...
    condition, config = module(bicep, "eventGridSubscription")
    assert condition == "enableEventGridSubscription"
    assert main_params(bicep)["enableEventGridSubscription"]["default"] is False
    assert bicep["main.bicep"]["modules"]["eventGridSubscription"]["detail"]["path"] == SUBSCRIPTION_FILE
    assert "deadLetterAccess" in config["dependsOn"]
    # ... and the postdeploy hook deploys it (and turns the flag on for later provisions).
    hook = (INFRA / "hooks" / "postdeploy.sh").read_text(encoding="utf-8")
    assert "eventgrid-subscription.bicep" in hook
    assert "azd env set ENABLE_EVENTGRID_SUBSCRIPTION true" in hook
    assert os.access(INFRA / "hooks" / "postdeploy.sh", os.X_OK)
    azure_yaml = (REPO_ROOT / "azure.yaml").read_text(encoding="utf-8")
    assert re.search(r"^hooks:\n  postdeploy:\n(    .*\n)*?      run: infra/hooks/postdeploy\.sh$", azure_yaml, re.M)


# --------------------------------------------------------------------------------------
# SQL: the existing database, never created nor changed
# --------------------------------------------------------------------------------------


def test_no_sql_resource_is_declared(bicep: Bicep) -> None:
    for file, parsed in bicep.items():
        for name, resource in parsed.get("resources", {}).items():
            assert not resource["type"].lower().startswith("microsoft.sql/"), f"{file}: {name}"
    params = main_params(bicep)
    for name in ("sqlServerName", "sqlDatabaseName"):
        assert params[name]["default"] is None, f"{name} must be given (the existing database)"


# --------------------------------------------------------------------------------------
# Nothing secret in parameters, outputs or app settings
# --------------------------------------------------------------------------------------

SECRET_NAME = re.compile(r"password|secret|apikey|api_key|accountkey|sas(token)?$|_key$", re.I)


def test_no_secret_parameters_outputs_or_key_lookups(bicep: Bicep) -> None:
    for file, parsed in bicep.items():
        for name, param in parsed.get("parameters", {}).items():
            assert not SECRET_NAME.search(name), f"{file}: parameter {name}"
            assert all(d["type"] != "secure" for d in param["decorators"]), f"{file}: @secure() {name}"
        for name in parsed.get("outputs", {}):
            assert not SECRET_NAME.search(name), f"{file}: output {name}"
    text = all_text()
    for pattern in (r"listKeys", r"listConnectionStrings", r"AccountKey=", r"SharedAccessKey", r"listSecrets"):
        assert not re.search(pattern, text, re.I), pattern
    # No Key Vault: no secret is left to keep.
    assert not resources(bicep, "Microsoft.KeyVault/vaults")


# --------------------------------------------------------------------------------------
# azd wiring
# --------------------------------------------------------------------------------------


def test_parameters_file_maps_main_parameters_to_azd_environment(bicep: Bicep) -> None:
    parameters = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    params = main_params(bicep)
    assert set(parameters) <= set(params), set(parameters) - set(params)
    required = {name for name, p in params.items() if p["default"] is None}
    assert required <= set(parameters), required - set(parameters)
    assert parameters["environmentName"]["value"] == "${AZURE_ENV_NAME}"
    assert parameters["location"]["value"] == "${AZURE_LOCATION=brazilsouth}"
    for name, entry in parameters.items():
        match = re.fullmatch(r"\$\{([A-Z0-9_]+)(?:=(.*))?\}", entry["value"])
        assert match, f"{name}: {entry['value']!r} is not an azd ${{VAR}} / ${{VAR=default}}"
        default = params[name]["default"]
        if default not in (None, ""):
            # azd passes an unset variable as "", which would override the Bicep default.
            assert match.group(2) is not None, f"{name}: give the Bicep default after '='"
            expected = str(default).lower() if isinstance(default, bool) else str(default)
            assert match.group(2) == expected, f"{name}: azd default {match.group(2)!r} != Bicep default {expected!r}"


def test_azure_yaml_deploys_the_function_app_service() -> None:
    azure_yaml = (REPO_ROOT / "azure.yaml").read_text(encoding="utf-8")
    service = re.search(r"^services:\n  whatsapp-functions:\n((?:    .*\n)+)", azure_yaml, re.M)
    assert service, "service whatsapp-functions missing"
    body = service.group(1)
    for line in ("project: .", "language: py", "host: function"):
        assert re.search(rf"^    {re.escape(line)}$", body, re.M), line


# --------------------------------------------------------------------------------------
# sql/900_grant_managed_identity.sql
# --------------------------------------------------------------------------------------

GRANT_SCRIPT = REPO_ROOT / "sql" / "900_grant_managed_identity.sql"
LEGACY_READ = ["Cliente", "Reparacion", "Novedad", "TipoNovedad", "EstadoReparacion"]
WHATSAPP_TABLES = [
    "WhatsAppMessage",
    "WhatsAppMedia",
    "WhatsAppSyncLog",
    "WhatsAppCustomerPhone",
    "WhatsAppBsuid",
    "WhatsAppMessageStatus",
    "WhatsAppSummary",
    "WhatsAppQuarantine",
    "WhatsAppState",
    "WhatsAppOutbox",
    "WhatsAppTemplate",
    "WhatsAppProposal",
    "WhatsAppOrderStatus",  # issue 18
    "WhatsAppNotification",
    "WhatsAppConsent",
    "WhatsAppQuoteReply",
    "WhatsAppSchemaVersion",
    "WhatsAppSenderAlias",
    "WhatsAppTriageDecision",
    "WhatsAppTriageLink",
    "WhatsAppAssignmentProposal",
    "WhatsAppImport",
]


def grant_statements() -> dict[str, set[str]]:
    """Table -> permissions granted to the identity."""
    granted: dict[str, set[str]] = {}
    pattern = r"^GRANT (.+?) ON OBJECT::dbo\.(\w+) TO \[\$\(IdentityName\)\];$"
    for permissions, table in re.findall(pattern, GRANT_SCRIPT.read_text(encoding="utf-8"), re.M):
        granted.setdefault(table, set()).update(p.strip() for p in permissions.split(","))
    return granted


def test_grant_script_creates_the_user_once() -> None:
    script = GRANT_SCRIPT.read_text(encoding="utf-8")
    assert re.search(
        r"IF NOT EXISTS \(SELECT 1 FROM sys\.database_principals WHERE name = N'\$\(IdentityName\)'\)\s*"
        r"BEGIN\s*CREATE USER \[\$\(IdentityName\)\] FROM EXTERNAL PROVIDER;\s*END;",
        script,
    )
    assert "sqlcmd" in script and "-v IdentityName=" in script


@pytest.mark.parametrize("table", LEGACY_READ)
def test_grant_script_reads_fastservice_tables(table: str) -> None:
    expected = {"SELECT", "INSERT"} if table == "Novedad" else {"SELECT"}
    assert grant_statements().get(table) == expected


def test_grant_script_covers_the_tables_the_app_uses() -> None:
    from shared import schema

    assert set(WHATSAPP_TABLES) == {table.name for table in schema.metadata.sorted_tables}
    assert set(LEGACY_READ) == {table.name for table in schema.legacy.sorted_tables}


def test_grant_script_gives_full_dml_on_whatsapp_tables_only() -> None:
    granted = grant_statements()
    assert set(granted) == set(LEGACY_READ) | set(WHATSAPP_TABLES)
    for table in WHATSAPP_TABLES:
        assert granted[table] == {"SELECT", "INSERT", "UPDATE", "DELETE"}, table
    script = GRANT_SCRIPT.read_text(encoding="utf-8")
    assert not re.search(r"ALTER ROLE|sp_addrolemember|db_owner|GRANT CONTROL|GRANT ALTER", script, re.I)
    # It refuses to run before the migrations created every table it grants.
    for table in granted:
        assert f"(N'{table}')" in script, table


# --------------------------------------------------------------------------------------
# Staff sign-in and CORS: settings of the app, which does both itself (Flex Consumption has neither)
# --------------------------------------------------------------------------------------


def test_no_app_service_authentication_nor_platform_cors_that_flex_consumption_would_not_honour(bicep: Bicep) -> None:
    assert resources(bicep, "Microsoft.Web/sites/config", FUNCTION_APP) == []
    site = declared(bicep, "Microsoft.Web/sites", FUNCTION_APP)
    assert "cors" not in site["properties"]["siteConfig"]
    text = (INFRA / "modules" / "functionapp.bicep").read_text(encoding="utf-8")
    assert "authsettingsV2" not in text and "allowedOrigins" not in text


def test_the_staff_token_settings_come_from_the_azd_inputs(bicep: Bicep) -> None:
    tenant = variable(bicep, "main.bicep", "staffTenantId")["operator"]["operands"]
    assert tenant["condition"]["function"]["parameters"]["item_to_test"] == "staffAuthTenantId"
    assert tenant["true_value"]["operator"]["operands"]["operand_1"]["function"]["type"] == "tenant"  # default
    assert tenant["false_value"] == "staffAuthTenantId"
    audience = variable(bicep, "main.bicep", "staffAuthAudience")["operator"]["operands"]
    assert audience["condition"]["function"]["parameters"]["item_to_test"] == "staffAuthClientId"
    assert audience["false_value"] == "${staffAuthClientId},api://${staffAuthClientId}"
    assert audience["true_value"] == ""  # no app registration: no audience, so every staff request is 401


def test_staff_sign_in_inputs_are_azd_parameters_without_secrets(bicep: Bicep) -> None:
    parameters = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    for name, variable_name in (("staffAuthClientId", "STAFF_AUTH_CLIENT_ID"),
                                ("staffAuthTenantId", "STAFF_AUTH_TENANT_ID"),
                                ("frontendClientId", "FRONTEND_CLIENT_ID"), ("frontendOrigins", "FRONTEND_ORIGINS")):
        assert parameters[name]["value"] == f"${{{variable_name}=}}"
        assert main_params(bicep)[name]["default"] == ""
        readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
        assert f"`{variable_name}`" in readme, f"README's deploy table must document {variable_name}"


def test_cors_allows_only_the_front_end_origins_and_none_by_default(bicep: Bicep) -> None:
    app_settings = variable(bicep, "main.bicep", "appSettings")
    cors = app_settings["CORS_ALLOWED_ORIGINS"]["function"]
    assert cors["type"] == "replace" and cors["parameters"]["original_string"] == "frontendOrigins"
    assert main_params(bicep)["frontendOrigins"]["default"] == ""
    assert "'*'" not in (INFRA / "main.bicep").read_text(encoding="utf-8")
