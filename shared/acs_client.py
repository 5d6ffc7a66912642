"""Talking to ACS Advanced Messaging with the real SDK: one send, one template listing.

Why this module decides retries itself: azure-core's ``RetryPolicy`` (1.41) retries a POST
on 500/503/504, and on *any* status >= 400 that carries ``Retry-After``, sleeping as long as
the server asks; it never retries a POST after a connection error or a timeout. Its sleeps
ignore our budget, and its attempts are invisible to the outbox. So the clients are built
with ``retry_total=0`` and :func:`send` reports exactly one attempt as one of:

* :class:`Accepted` (202 with a ``messageId``);
* :class:`Rejected`: a permanent refusal (4xx other than 408/429, or 401), with Meta's code
  when the error body carries one;
* :class:`RetryLater`: 408/429/5xx (``Retry-After`` honoured), or the request never left
  (connection refused, TLS or token failure: ``ServiceRequestError``);
* :class:`Unknown`: the request may have reached ACS and we did not hear back (a timeout or
  a connection dropped after sending: ``ServiceResponseError``, an unreadable 202). Such a
  send is never repeated blindly (see ``shared/outbox.py``).

Every attempt of one outbox row carries the same ``Repeatability-Request-ID`` and
``Repeatability-First-Sent``, so a service that honours them can discard a repeat.
The SDK and azure-identity are imported inside functions (cold start).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from shared import config, observability

log = observability.logger(__name__)
_META_CODE = re.compile(r"(?<!\d)(1[0-9]{5}|470)(?!\d)")


@dataclass(frozen=True)
class TextContent:
    text: str


@dataclass(frozen=True)
class TemplateContent:
    name: str
    language: str
    body_values: tuple[str, ...] = ()
    """Values for the body's parameters, in order (``{{1}}``, ``{{2}}``, ...)."""
    button_payloads: tuple[str, ...] = ()
    """Payloads of the template's quick-reply buttons, in order (issue 18: signed quote decisions)."""


@dataclass(frozen=True)
class MediaContent:
    """A photo (``image``: ImageNotificationContent) or a document (``document``: DocumentNotificationContent)
    that ACS fetches from ``media_uri``, a read link minted for this attempt."""

    kind: str
    media_uri: str
    caption: str | None = None
    file_name: str | None = None


Content = TextContent | TemplateContent | MediaContent


@dataclass(frozen=True)
class Accepted:
    message_id: str


@dataclass(frozen=True)
class Rejected:
    code: str | None
    status: int | None = None


@dataclass(frozen=True)
class RetryLater:
    retry_after: float | None = None
    status: int | None = None


@dataclass(frozen=True)
class Unknown:
    cause: str = ""


Outcome = Accepted | Rejected | RetryLater | Unknown


class NotConfigured(Exception):
    """Neither ACS_ENDPOINT nor ACS_CONNECTION_STRING is set."""


def mode() -> str:
    """``managed_identity``, ``connection_string`` or ``none`` (what /api/health reports)."""
    if config.get("ACS_ENDPOINT"):
        return "managed_identity"
    if config.get("ACS_CONNECTION_STRING"):
        return "connection_string"
    return "none"


@dataclass
class _Clients:
    key: tuple[str, ...]
    messages: Any
    templates: Any
    lock: threading.Lock = field(default_factory=threading.Lock)


_cache: dict[str, _Clients] = {}
_cache_lock = threading.Lock()


def _options(timeout: float) -> dict[str, Any]:
    options: dict[str, Any] = {"retry_total": 0, "connection_timeout": min(timeout, 5.0),
                               "read_timeout": timeout}
    bundle = config.get("ACS_CA_BUNDLE")
    if bundle:
        options["connection_verify"] = bundle
    return options


def clients() -> _Clients:
    """The SDK clients for the current settings (built once; rebuilt when the settings change)."""
    timeout = config.get_float("ACS_SEND_TIMEOUT_SECONDS")
    key = (config.get("ACS_ENDPOINT"), config.get("ACS_CONNECTION_STRING"), config.get("ACS_CA_BUNDLE"),
           config.get("AZURE_CLIENT_ID"), str(timeout))
    with _cache_lock:
        cached = _cache.get("clients")
        if cached is not None and cached.key == key:
            return cached
        from azure.communication.messages import MessageTemplateClient, NotificationMessagesClient

        options = _options(timeout)
        if key[0]:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential(managed_identity_client_id=key[3] or None)
            endpoint = key[0].rstrip("/")  # a trailing / would be signed into the host
            messages = NotificationMessagesClient(endpoint, credential, **options)
            templates = MessageTemplateClient(endpoint, credential, **options)
        elif key[1]:
            # the SDK's _patch adds from_connection_string, which its type information does not show
            messages = NotificationMessagesClient.from_connection_string(  # type: ignore[attr-defined]
                key[1], **options)
            templates = MessageTemplateClient.from_connection_string(  # type: ignore[attr-defined]
                key[1], **options)
        else:
            raise NotConfigured()
        _cache["clients"] = _Clients(key, messages, templates)
        return _cache["clients"]


def reset() -> None:
    """Forget the clients (tests change settings)."""
    with _cache_lock:
        _cache.clear()


def _sdk_content(content: Content, channel_id: str, to: str) -> Any:
    from azure.communication.messages import models

    if isinstance(content, TextContent):
        return models.TextNotificationContent(channel_registration_id=channel_id, to=[to], content=content.text)
    if isinstance(content, MediaContent):
        if content.kind == "image":  # the SDK names an image's caption "content" (wire: "caption")
            return models.ImageNotificationContent(channel_registration_id=channel_id, to=[to],
                                                   media_uri=content.media_uri, content=content.caption)
        return models.DocumentNotificationContent(channel_registration_id=channel_id, to=[to],
                                                  media_uri=content.media_uri, caption=content.caption,
                                                  file_name=content.file_name)
    names = [f"p{i}" for i in range(1, len(content.body_values) + 1)]
    buttons = [f"b{i}" for i in range(1, len(content.button_payloads) + 1)]
    values: list[Any] = [models.MessageTemplateText(name=n, text=v)
                         for n, v in zip(names, content.body_values, strict=True)]
    values += [models.MessageTemplateQuickAction(name=n, payload=p)
               for n, p in zip(buttons, content.button_payloads, strict=True)]
    template = models.MessageTemplate(
        name=content.name, language=content.language, template_values=values,
        bindings=models.WhatsAppMessageTemplateBindings(
            body=[models.WhatsAppMessageTemplateBindingsComponent(ref_value=n) for n in names] or None,
            buttons=[models.WhatsAppMessageTemplateBindingsButton(sub_type="quickReply", ref_value=n)
                     for n in buttons] or None) if names or buttons else None)
    return models.TemplateNotificationContent(channel_registration_id=channel_id, to=[to], template=template)


def meta_code(body: Any) -> str | None:
    """Meta's error code (``131047``...) from an ACS error body, if it carries one."""
    if not isinstance(body, dict):
        return None
    error = body.get("error", body)
    if not isinstance(error, dict):
        return None
    candidates: list[Any] = [error.get("code"), error.get("channelCode")]
    inner = error.get("innererror") or error.get("innerError")
    if isinstance(inner, dict):
        candidates += [inner.get("code"), inner.get("channelCode")]
    details = error.get("details")
    if isinstance(details, list):
        candidates += [d.get("code") for d in details[:10] if isinstance(d, dict)]
    for candidate in candidates:
        if isinstance(candidate, (str, int)) and _META_CODE.fullmatch(str(candidate).strip()):
            return str(candidate).strip()
    message = error.get("message")
    if isinstance(message, str):
        found = _META_CODE.search(message[:2000])
        if found:
            return found.group(1)
    return None


def _retry_after(response: Any) -> float | None:
    raw = response.headers.get("Retry-After") if response is not None else None
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


def send(content: Content, to: str, repeatability_id: str, first_sent: str, channel_id: str) -> Outcome:
    """One attempt to send ``content`` to ``to`` (WhatsApp id digits); never raises for ACS's answers."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        DecodeError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    client = clients().messages
    headers = {"Repeatability-Request-ID": repeatability_id, "Repeatability-First-Sent": first_sent}
    try:
        result = client.send(_sdk_content(content, channel_id, to), headers=headers)
    except ClientAuthenticationError as exc:
        if exc.response is None:  # the token could not be had: nothing was sent
            return RetryLater(None, None)
        return Rejected("unauthorized", exc.status_code)
    except DecodeError:  # ACS answered 202 but the receipt broke off or cannot be read
        return Unknown("unreadable answer")
    except HttpResponseError as exc:
        status = exc.status_code
        if status is None or 200 <= status < 300:  # accepted, as far as we can tell, without a receipt
            return Unknown("no receipt")
        if status in (408, 429) or (status is not None and status >= 500):
            return RetryLater(_retry_after(exc.response), status)
        try:
            body = json.loads(exc.response.text()[:65536]) if exc.response is not None else None
        except Exception:  # a body that is not JSON carries no code
            body = None
        return Rejected(meta_code(body), status)
    except ServiceRequestError:  # refused, unreachable, TLS, connect timeout: the request never left
        return RetryLater(None, None)
    except ServiceResponseError:  # sent, then a read timeout or a dropped connection
        return Unknown("no response")
    receipts = list(result.receipts or [])
    if not receipts or not receipts[0].message_id:
        return Unknown("no receipt")
    return Accepted(str(receipts[0].message_id))


@dataclass(frozen=True)
class ListedTemplate:
    name: str
    language: str
    status: str
    content: Any


def list_templates(channel_id: str, page_size: int | None = None) -> Iterator[ListedTemplate]:
    """Every template of the channel, all pages (raises the SDK's errors)."""
    options = {"maxpagesize": page_size} if page_size else {}
    for item in clients().templates.list_templates(channel_id, **options):
        status = getattr(item.status, "value", item.status)  # an SDK enum (str() would give its class name)
        yield ListedTemplate(name=str(item.name), language=str(item.language), status=str(status).lower(),
                             content=getattr(item, "content", None))
