"""Builders of ACS Advanced Messaging events, in Event Grid schema as ACS publishes them.

Used by the demo data, the ``simulate`` command, the tests and the benchmarks, so
all of them send what production receives. Envelopes come from the
``azure-eventgrid`` SDK's ``EventGridEvent`` (it assigns the id and event time).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from azure.eventgrid import EventGridEvent

from shared.event_parsing import RECEIVED, STATUS_UPDATED

DEMO_CHANNEL_ID = "11111111-1111-1111-1111-111111111111"
_TOPIC = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/fastservice-app/providers/"
          "microsoft.communication/communicationservices/fastservice-acs")


def envelope(event_type: str, subject: str, data: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """An Event Grid schema envelope as delivered on the wire."""
    event = EventGridEvent(subject=subject, event_type=event_type, data=data, data_version="1.0", topic=_TOPIC)
    return {
        "id": event_id or str(event.id),
        "topic": event.topic,
        "subject": event.subject,
        "data": event.data,
        "eventType": event.event_type,
        "dataVersion": event.data_version,
        "metadataVersion": "1",
        "eventTime": event.event_time if isinstance(event.event_time, str) else str(event.event_time),
    }


def _iso(when: datetime | None) -> str:
    return (when or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")


def received(sender: str, *, message_type: str = "text", content: str | None = None,
             when: datetime | None = None, bsuid: str | None = None, message_id: str | None = None,
             event_id: str | None = None, **extra: Any) -> dict[str, Any]:
    """An ``AdvancedMessageReceived`` event; ``extra`` adds ``media``, ``context``, ``reaction``..."""
    data: dict[str, Any] = {"channelType": "whatsapp", "messageType": message_type, "from": sender,
                            "to": DEMO_CHANNEL_ID, "receivedTimestamp": _iso(when)}
    if content is not None:
        data["content"] = content
    if bsuid is not None:
        data["fromBSUID"] = bsuid
    if message_id is not None:
        data["messageId"] = message_id
    data.update(extra)
    subject = f"advancedMessage/sender/{sender or bsuid}/recipient/{DEMO_CHANNEL_ID}"
    return envelope(RECEIVED, subject, data, event_id)


def status(message_id: str, state: str, *, to: str = "", when: datetime | None = None,
           error: tuple[str, str] | None = None, to_bsuid: str | None = None,
           event_id: str | None = None) -> dict[str, Any]:
    """An ``AdvancedMessageDeliveryStatusUpdated`` event (``state``: Sent, Delivered, Read, Failed)."""
    data: dict[str, Any] = {"messageId": message_id, "status": state, "channelType": "whatsapp",
                            "from": DEMO_CHANNEL_ID, "to": to, "receivedTimestamp": _iso(when)}
    if to_bsuid:
        data["toBSUID"] = to_bsuid
    if error:
        data["error"] = {"channelCode": error[0], "channelMessage": error[1]}
    return envelope(STATUS_UPDATED, f"advancedMessage/{message_id}/status/{state}", data, event_id)
