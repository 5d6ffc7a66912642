"""What Event Grid delivers, before it is read as an ACS event: two schemas, and JSON of any shape.

An Event Grid subscription delivers either the **Event Grid schema** (``id``, ``topic``,
``subject``, ``eventType``, ``eventTime``, ``dataVersion``, ``data``) or **CloudEvents 1.0**
(``specversion``, ``id``, ``source``, ``type``, ``time``, ``subject``, ``datacontenttype``,
``data`` and extension attributes), as the subscription says. azure-functions' trigger
converter hands the function a ``func.EventGridEvent`` for the first and a
``func.CloudEvent`` for the second (whatever the annotation says), so both arrive here.

* :func:`envelope_of` rebuilds the envelope *in the schema it arrived in*: that is what is
  stored as the raw payload and replayed from quarantine, so a replay is the same event.
* :func:`grid_view` is the one shape the parser reads: CloudEvents' ``type``, ``source`` and
  ``time`` are its ``eventType``, ``topic`` and ``eventTime``.

JSON from outside can also be nested deeper than anything ACS sends, deep enough that
``json.dumps`` (recursive) fails while quarantining it, which would turn a poison event
into one retried forever. :func:`too_deep` measures nesting without recursion and
:func:`canonical_chunks` writes such JSON without recursion, for the quarantine's digest
and its bounded copy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final, TypeGuard

MAX_DEPTH: Final = 32
"""Deepest nesting accepted (objects and arrays). ACS events nest 4 levels; more is not an ACS event."""

CLOUD_EVENT_ATTRIBUTES: Final = ("specversion", "id", "source", "type", "time", "subject", "datacontenttype",
                                 "dataschema")


def is_cloud_event(envelope: Any) -> bool:
    return isinstance(envelope, dict) and "specversion" in envelope


def is_event(envelope: Any) -> TypeGuard[dict[str, Any]]:
    """Whether ``envelope`` has the shape of an event of either schema (what reprocessing can replay)."""
    if not isinstance(envelope, dict):
        return False
    return "type" in envelope if is_cloud_event(envelope) else "eventType" in envelope


def grid_view(envelope: dict[str, Any]) -> dict[str, Any]:
    """The envelope as the Event Grid schema names its fields (itself when it is one)."""
    if not is_cloud_event(envelope):
        return envelope
    return {"id": envelope.get("id"), "topic": envelope.get("source"), "subject": envelope.get("subject"),
            "eventType": envelope.get("type"), "eventTime": envelope.get("time"),
            "dataVersion": envelope.get("dataschema"), "data": envelope.get("data")}


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def envelope_of(event: Any) -> dict[str, Any]:
    """The envelope of a ``func.EventGridEvent`` or ``func.CloudEvent``, in the schema it arrived in."""
    if hasattr(event, "specversion"):  # func.CloudEvent: the converter saw a "specversion" in the body
        envelope = {name: _iso(getattr(event, name)) for name in CLOUD_EVENT_ATTRIBUTES}
        envelope = {k: v for k, v in envelope.items() if v is not None}
        envelope.update(event.extension_attrs)
        envelope["data"] = event.get_json()
        return envelope
    return {
        "id": event.id,
        "topic": event.topic,
        "subject": event.subject,
        "eventType": event.event_type,
        "eventTime": _iso(event.event_time),
        "dataVersion": event.data_version,
        "data": event.get_json(),
    }


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether objects and arrays nest more than ``limit`` levels in ``value`` (no recursion)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth + 1 > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def canonical_chunks(value: Any) -> Iterator[str]:
    """The canonical JSON of ``value`` (sorted keys, no spaces, ASCII: ``text.canonical_json``'s
    spelling) piece by piece, without recursion, so any depth can be digested and cut."""
    stack: list[tuple[str, Iterator[Any], list[bool]]] = []
    yield _open(value, stack)
    while stack:
        closer, items, first = stack[-1]
        item: Any = next(items, _END)
        if item is _END:
            stack.pop()
            yield closer
            continue
        separator = "" if first[0] else ","
        first[0] = False
        if closer == "}":
            key, item = item
            yield separator + json.dumps(str(key), ensure_ascii=True) + ":"
        elif separator:
            yield separator
        yield _open(item, stack)


_END: Final = object()


def _open(value: Any, stack: list[tuple[str, Iterator[Any], list[bool]]]) -> str:
    if isinstance(value, dict):
        stack.append(("}", iter(sorted(value.items(), key=lambda kv: str(kv[0]))), [True]))
        return "{"
    if isinstance(value, (list, tuple)):
        stack.append(("]", iter(value), [True]))
        return "["
    return json.dumps(value, ensure_ascii=True, default=str)


def loads(text: str) -> Any:
    """``json.loads`` of a stored payload, ``None`` when it is not JSON this app can read back (cut, or
    nested deeper than the parser's recursion allows)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def bounded_json(value: Any, limit: int) -> tuple[str, bool]:
    """Canonical JSON of ``value`` cut to ``limit`` characters (ASCII: bytes), and whether it was cut;
    stops writing as soon as the limit is reached."""
    out: list[str] = []
    size = 0
    for chunk in canonical_chunks(value):
        out.append(chunk)
        size += len(chunk)
        if size > limit:
            return "".join(out)[:limit], True
    return "".join(out), False
