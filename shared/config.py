"""Settings, read once from environment variables (Azure app settings in production).

Every setting is listed in ``SETTINGS`` with its default and meaning; the README's
configuration table and ``local.settings.json.example`` are checked against it by
``tests/test_config.py``, so the three never drift apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    meaning: str


DEFAULT_TEMPLATES: Final = (
    '{"presupuestado": "presupuesto_listo:es_AR:cliente,=equipo,ticket,presupuesto", '
    '"reparado": "equipo_listo_para_retirar:es_AR:cliente,=equipo,ticket", '
    '"rechazado": "presupuesto_rechazado:es_AR:cliente,ticket", '
    '"recordatorio_retiro": "recordatorio_retiro:es_AR:cliente,=equipo,ticket", '
    '"saludo": "saludo:es_AR:cliente,ticket"}')
"""FastService's hand-written texts as WhatsApp templates (names to create in WhatsApp Manager)."""

DEFAULT_NOTIFY_RULES: Final = (
    '{"Presupuestado": "presupuestado:offer", "Reparado": "reparado:auto", "Rechazado": "rechazado:offer"}')
"""Which status changes notify the customer, and how (issue 18)."""

SETTINGS: Final[tuple[Setting, ...]] = (
    Setting("DATABASE_URL", "sqlite:///.data/fastservice.db",
            "SQLAlchemy URL: SQLite file (embedded default) or "
            "`mssql+pyodbc://@SERVER.database.windows.net/DB"
            "?driver=ODBC+Driver+18+for+SQL+Server`."),
    Setting("DATABASE_AUTH", "auto",
            "`entra`: Entra ID token from azure-identity (ODBC attribute 1256); `url`: credentials in the URL; "
            "`auto`: `entra` for SQL Server URLs without a password."),
    Setting("AZURE_CLIENT_ID", "",
            "Client id of the user-assigned managed identity (used by azure-identity for SQL, OpenAI, ACS)."),
    Setting("DB_RETRY_SECONDS", "4",
            "Time budget for retrying transient database faults before answering 'retry later'."),
    Setting("DEFAULT_REGION", "AR", "Region for phone numbers typed without a country code."),
    Setting("DEFAULT_AREA_CODE", "11", "Area code for numbers typed without one (e.g. `15 5555 1234`)."),
    Setting("WHATSAPP_CHANNEL_ID", "",
            "ACS channel registration id of the shop's number: replies are sent from it, and when set, events for "
            "other channels are quarantined."),
    Setting("ACS_ENDPOINT", "",
            "Azure Communication Services endpoint: staff replies are sent through it with the managed identity "
            "(role *Communication and Email Service Owner* on that resource). Reported by /api/health."),
    Setting("ACS_CONNECTION_STRING", "",
            "ACS connection string, instead of ACS_ENDPOINT (local development and the local ACS fake only; "
            "never a real key in app settings)."),
    Setting("ACS_CA_BUNDLE", "",
            "Development only: CA certificate file the ACS client trusts (the local ACS fake's self-signed "
            "certificate, written by `make run`)."),
    Setting("ACS_SEND_TIMEOUT_SECONDS", "10",
            "Time budget of one send to ACS, its retries of 429/5xx inside the request included; what is still "
            "retryable after it is left to the `drain_outbox` timer."),
    Setting("WHATSAPP_SEND_FORMAT", "549",
            "How Argentine mobiles are addressed when sending: `549` (as WhatsApp reports them, `5491155551234`) "
            "or `54` (without the mobile 9, `541155551234`)."),
    Setting("SEND_RETRY_MINUTES", "15",
            "A send ACS answered with 429/5xx (or could not be reached) is retried for this long, then failed "
            "with a reason."),
    Setting("SEND_RECONCILE_MINUTES", "10",
            "A send whose outcome is unknown (timeout after the request left) waits this long for a delivery "
            "status that confirms it; then it is failed, never resent automatically."),
    Setting("OUTBOX_SCHEDULE", "0 * * * * *",
            "NCRONTAB schedule of `drain_outbox`: retries due sends, settles expired and unknown attempts."),
    Setting("WHATSAPP_TEMPLATES", DEFAULT_TEMPLATES,
            "JSON: FastService purpose -> `name:language[:field,field...]` of its WhatsApp template; the fields "
            "(`cliente`, `ticket`, `presupuesto`, or `=text` for a fixed text) fill the positional parameters "
            "`{{1}}`, `{{2}}`... in order (named parameters `{{cliente}}` fill by name)."),
    Setting("TEMPLATE_SYNC_SCHEDULE", "0 0 * * * *",
            "NCRONTAB schedule of `sync_templates`, which refreshes the template registry from ACS."),
    Setting("NOTIFY_SCHEDULE", "0 * * * * *",
            "NCRONTAB schedule of `notify_orders`: polls `Reparacion` for status changes, then sends or offers the "
            "notifications that are due."),
    Setting("NOTIFY_RULES", DEFAULT_NOTIFY_RULES,
            "JSON: FastService status name (`EstadoReparacion.Nombre`, case and accents ignored) -> "
            "`purpose:auto|offer`: the template purpose (`WHATSAPP_TEMPLATES`) sent when an order enters that "
            "status, automatically (`auto`) or offered to staff as one click (`offer`). Statuses not listed notify "
            "nothing."),
    Setting("NOTIFY_REMINDER", "recordatorio_retiro:offer:3,10",
            "`purpose:auto|offer:days,...`: pickup reminder for orders still in a `reparado` status without "
            "`FechaEntrega` after each number of days (once per step, only the highest step reached); `off`: none."),
    Setting("NOTIFY_MAX_AGE_MINUTES", "120",
            "A status change older than this (by `Reparacion.ModificadoEn`) when first seen is recorded but not "
            "notified."),
    Setting("NOTIFY_SETTLE_MINUTES", "5",
            "A notification waits this long after its change; a newer change of the order supersedes it (only the "
            "last status is sent)."),
    Setting("NOTIFY_OVERLAP_MINUTES", "10",
            "Each poll re-reads changes this far behind its watermark (clock skew, late commits); our own status "
            "table removes the repeats."),
    Setting("NOTIFY_QUIET_HOURS", "21-9",
            "Local hours (America/Argentina/Buenos_Aires) `from-to` in which nothing is sent automatically; "
            "notifications due then wait until `to` o'clock. `off`: no quiet hours."),
    Setting("NOTIFY_BATCH_SIZE", "5000", "Orders read per page while polling; a run reads page after page."),
    Setting("NOTIFY_OUTDATED_QUOTE", "offer",
            "What answers a tap on an outdated quote's button (\"Ese presupuesto ya no está vigente...\"): "
            "`auto` (sent), `offer` (offered to staff) or `off`."),
    Setting("BUTTON_SIGNING_KEY", "",
            "Secret (32+ characters) that signs quote buttons' payloads. Empty (the default, also in Azure): a random "
            "key generated once into `WhatsAppState` on first use, readable only by the app's identity and the "
            "database's admins."),
    Setting("RAW_PAYLOAD_MAX_BYTES", "16384", "Largest raw event kept for audit and reprocessing; larger are cut."),
    Setting("SYNC_LOOKBACK_DAYS", "7", "Sync also takes messages this many days before the order was created."),
    Setting("INBOX_AWAITING_DAYS", "7",
            "The inbox's \"Esperan respuesta\" looks back this many days for orders whose customer wrote last."),
    Setting("PHONE_INDEX_SCHEDULE", "0 */10 * * * *",
            "NCRONTAB schedule of `refresh_phone_index`, which re-reads every customer's phones "
            "(catches phones FastService edits on existing customers)."),
    Setting("WHATSAPP_GREETING", "Hola {cliente}, te escribimos de FastService por tu orden #{ticket}.",
            "Text pre-filled in the `wa.me` link (`{cliente}`, `{ticket}`)."),
    Setting("AZURE_OPENAI_ENDPOINT", "", "Azure OpenAI endpoint; set it to summarize with Azure OpenAI."),
    Setting("AZURE_OPENAI_DEPLOYMENT", "", "Azure OpenAI model deployment name."),
    Setting("AZURE_OPENAI_API_VERSION", "2024-10-21", "Azure OpenAI API version."),
    Setting("AZURE_OPENAI_API_KEY", "", "Key for Azure OpenAI; empty means Entra ID (managed identity)."),
    Setting("OPENAI_BASE_URL", "", "Any OpenAI-compatible endpoint (llama.cpp, Ollama, ...), when not using Azure."),
    Setting("OPENAI_API_KEY", "", "Key for OPENAI_BASE_URL, if it needs one."),
    Setting("OPENAI_MODEL", "gpt-4o-mini", "Model name sent to OPENAI_BASE_URL."),
    Setting("SUMMARY_SCHEDULE", "0 */5 * * * *", "NCRONTAB schedule of `summarize_conversations` (seconds first)."),
    Setting("SUMMARY_QUIET_MINUTES", "10", "A conversation is summarized once quiet this long."),
    Setting("SUMMARY_MAX_CHARS", "1000", "Longest summary written to `Novedad.Observacion`."),
    Setting("SUMMARY_INPUT_MAX_CHARS", "6000", "Budget of conversation text sent to the model per summary."),
    Setting("SUMMARY_USER_ID", "1", "`Novedad.UserId` of summaries (FastService's system user)."),
    Setting("SUMMARY_BATCH_SIZE", "50",
            "Conversations per batch; a timer run takes batch after batch until none is left or 4 minutes pass."),
    Setting("SUMMARY_CONCURRENCY", "4", "Conversations summarized at once."),
    Setting("SUMMARY_TIMEOUT_SECONDS", "30", "Time budget for one summary, retries included."),
    Setting("MEDIA_STORAGE", "UseDevelopmentStorage=true",
            "Connection string of the media blob container and queue when not identity-based: locally "
            "Azurite (`make run` starts it on the standard ports). Ignored when "
            "`MEDIA_STORAGE__blobServiceUri` is set."),
    Setting("MEDIA_STORAGE__blobServiceUri", "",
            "Azure: blob endpoint of the media storage account (identity-based connection, as the Functions "
            "host reads it for the queue trigger's `MEDIA_STORAGE` connection)."),
    Setting("MEDIA_STORAGE__queueServiceUri", "",
            "Azure: queue endpoint of the same account (the `download_media` trigger and the wake-ups)."),
    Setting("MEDIA_STORAGE__credential", "",
            "Azure: `managedidentity` (the host's identity-based connection)."),
    Setting("MEDIA_STORAGE__clientId", "",
            "Azure: client id of the user-assigned identity for the media connection (empty: `AZURE_CLIENT_ID`)."),
    Setting("MEDIA_CONTAINER", "whatsapp-media",
            "Private blob container of message media (inbound downloads and staff uploads)."),
    Setting("MEDIA_QUEUE", "media-downloads",
            "Queue of download wake-ups (`download_media` trigger); failures past 5 deliveries go to `<name>-poison`."),
    Setting("MEDIA_ID_LIFETIME_DAYS", "7",
            "How long a WhatsApp media id is assumed downloadable (Meta documents 7 days); past it a failing "
            "download is `expired`."),
    Setting("MEDIA_RETRY_BASE_SECONDS", "30",
            "First retry delay of a failed download; doubles per attempt, at most an hour."),
    Setting("MEDIA_SWEEP_SCHEDULE", "30 * * * * *",
            "NCRONTAB schedule of `sweep_media`, which downloads every due item (lost wake-ups, retries, backlog)."),
    Setting("MEDIA_SWEEP_CONCURRENCY", "4",
            "Downloads at once in a sweep."),
    Setting("MEDIA_LINK_MINUTES", "10",
            "Lifetime of the read links (SAS) given to ACS for outgoing media and to the agent."),
    Setting("LOG_LEVEL", "INFO", "Log level of the app's loggers. Personal data is logged only at DEBUG."),
    Setting("STAFF_SIGN_IN", "required",
            "`required`: the staff routes answer 401 unless the request carries a Microsoft Entra access token "
            "this app validates itself (`shared/staff.py`; no platform header is trusted). `off`: no sign-in "
            "(tests, local experiments; never in Azure)."),
    Setting("STAFF_AUTH_TENANT_ID", "",
            "Entra tenant (directory) id of the staff accounts; tokens must carry it as `tid`. Empty with sign-in "
            "required: every staff request is 401 (the local runner sets its demo issuer's)."),
    Setting("STAFF_AUTH_AUDIENCE", "",
            "Comma-separated audiences (`aud`) a staff token may carry: the API app registration's client id "
            "and/or `api://<client id>`."),
    Setting("STAFF_AUTH_ISSUER", "",
            "Issuer (`iss`) of staff tokens. Empty: Entra v2, `https://login.microsoftonline.com/<tenant>/v2.0`."),
    Setting("STAFF_AUTH_JWKS_URI", "",
            "Where the issuer's signing keys (JWKS) are. Empty: "
            "`https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys`; a `file:` URL works locally."),
    Setting("STAFF_AUTH_ALLOWED_CLIENTS", "",
            "Comma-separated client ids of the applications whose tokens are accepted (`azp`), e.g. FastService's "
            "front end; empty: any application the tenant let ask for this API."),
    Setting("CORS_ALLOWED_ORIGINS", "",
            "Comma-separated origins (e.g. `https://fastservice.example.com`) whose pages may call the staff "
            "routes from a browser; exact match, no wildcard; none by default. The app answers CORS itself."),
)

_DEFAULTS: Final[dict[str, str]] = {s.name: s.default for s in SETTINGS}


def get(name: str) -> str:
    """The value of a documented setting (environment first, then its default)."""
    if name not in _DEFAULTS:
        raise KeyError(f"undocumented setting {name}")
    value = os.environ.get(name)
    return _DEFAULTS[name] if value is None or value.strip() == "" else value.strip()


def get_int(name: str) -> int:
    raw = get(name)
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"setting {name} must be a whole number, got {raw!r}") from exc


def get_float(name: str) -> float:
    raw = get(name)
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"setting {name} must be a number, got {raw!r}") from exc
