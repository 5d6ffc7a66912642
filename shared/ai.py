"""The summarizing model, chosen by settings, with retries inside a time budget.

* ``AZURE_OPENAI_ENDPOINT`` (+ ``AZURE_OPENAI_DEPLOYMENT``): Azure OpenAI through the
  ``openai`` package, with an Entra ID token from ``azure-identity`` (managed identity)
  or, if set, ``AZURE_OPENAI_API_KEY``;
* ``OPENAI_BASE_URL``: any OpenAI-compatible endpoint (llama.cpp, Ollama, ...);
* neither: no model; callers use the offline digest.

429, timeouts, connection errors and 5xx are retried with backoff (honouring
``Retry-After``) until ``SUMMARY_TIMEOUT_SECONDS`` is spent; anything else fails at
once. An empty or malformed answer is an error: no summary is ever written from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from shared import config, observability, retry

log = observability.logger(__name__)
_COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"


Provider = Literal["azure_openai", "openai_compatible"]
"""Where summaries are written by a model (``offline_digest``: by none)."""


class ModelError(Exception):
    """The model gave no usable answer within the budget."""


@dataclass(frozen=True)
class Model:
    client: Any
    model: str
    provider: Provider


def provider_name() -> Provider | Literal["offline_digest"]:
    if config.get("AZURE_OPENAI_ENDPOINT"):
        return "azure_openai"
    if config.get("OPENAI_BASE_URL"):
        return "openai_compatible"
    return "offline_digest"


def model() -> Model | None:
    """The configured model client, or ``None`` for the offline digest."""
    return _model(provider_name(), azure_endpoint=config.get("AZURE_OPENAI_ENDPOINT"),
                  deployment=config.get("AZURE_OPENAI_DEPLOYMENT"), api_version=config.get("AZURE_OPENAI_API_VERSION"),
                  azure_key=config.get("AZURE_OPENAI_API_KEY"), base_url=config.get("OPENAI_BASE_URL"),
                  openai_key=config.get("OPENAI_API_KEY"), openai_model=config.get("OPENAI_MODEL"))


@lru_cache(maxsize=4)
def _model(provider: Provider | Literal["offline_digest"], *, azure_endpoint: str, deployment: str,
           api_version: str, azure_key: str, base_url: str, openai_key: str, openai_model: str) -> Model | None:
    if provider == "offline_digest":
        return None
    import openai  # heavy: imported only when a model is configured

    if provider == "azure_openai":
        if not deployment:
            raise ModelError("AZURE_OPENAI_DEPLOYMENT is not set")
        if azure_key:
            client: Any = openai.AzureOpenAI(azure_endpoint=azure_endpoint, api_version=api_version,
                                             api_key=azure_key, max_retries=0)
        else:
            from azure.identity import DefaultAzureCredential, get_bearer_token_provider

            credential = DefaultAzureCredential(managed_identity_client_id=config.get("AZURE_CLIENT_ID") or None)
            client = openai.AzureOpenAI(azure_endpoint=azure_endpoint, api_version=api_version, max_retries=0,
                                        azure_ad_token_provider=get_bearer_token_provider(credential,
                                                                                          _COGNITIVE_SCOPE))
        return Model(client, deployment, provider)
    return Model(openai.OpenAI(base_url=base_url, api_key=openai_key or "not-needed", max_retries=0),
                 openai_model, provider)


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


def complete(chosen: Model, messages: list[dict[str, str]], max_tokens: int) -> str:
    """The model's answer text; :class:`ModelError` after the budget or on a permanent error."""
    import openai

    budget = config.get_float("SUMMARY_TIMEOUT_SECONDS")

    def attempt(remaining: float) -> str:
        response = chosen.client.chat.completions.create(
            model=chosen.model, messages=messages, max_tokens=max_tokens, temperature=0.2,
            timeout=max(remaining, 0.1))
        try:
            text = (response.choices[0].message.content or "").strip() if response.choices else ""
        except (AttributeError, IndexError, TypeError) as exc:
            raise ModelError(f"malformed answer ({type(exc).__name__})") from exc
        if not text:
            raise ModelError("empty answer")
        return str(text)

    def classify(exc: Exception) -> float | None:
        if isinstance(exc, (openai.RateLimitError, openai.APITimeoutError, openai.APIConnectionError,
                            openai.InternalServerError)):
            log.warning("model %s: %s, retrying", chosen.provider, type(exc).__name__)
            return _retry_after(exc) or retry.RETRY
        return None

    try:
        return retry.within_budget(attempt, classify, budget, first_delay=0.5, max_delay=8)
    except retry.BudgetSpent as spent:
        raise ModelError(f"{type(spent.__cause__).__name__} until the {budget:g} s budget ran out ({spent})"
                         ) from spent.__cause__
    except openai.APIStatusError as exc:
        raise ModelError(f"model refused the request (HTTP {exc.status_code})") from exc
    except (openai.APIResponseValidationError, ValueError) as exc:
        raise ModelError(f"malformed answer ({type(exc).__name__})") from exc
