"""Request limits the runner applies to every route before any endpoint sees the request.

* **Body size.** The Functions host refuses a request longer than 100 MB (104,857,600 bytes,
  its ``maxRequestLength``) with 413; the runner does the same on every route. The Event
  Grid webhook has a smaller limit: Event Grid never delivers more than 1 MB per event
  (its maximum event size) and this app's subscription delivers one event per request, so
  anything longer is not Event Grid. ``WEBHOOK_MAX_BODY_BYTES`` is 1 MiB plus 1 KiB for the
  array around the event.
* **JSON depth.** Python's ``json`` parser recurses: a body of ``[[[[…`` a few thousand
  deep raises ``RecursionError`` (an unexpected 500 before this check). A JSON body (any
  ``application/json`` or ``+json`` content type) nested deeper than ``MAX_JSON_DEPTH``
  is answered 400. No event this app reads nests beyond 6 levels; 64 leaves room for any
  vendor change. The depth is measured by one walk over the parsed value (linear time).

The body is read once, bounded, and replayed to the endpoint.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HOST_MAX_BODY_BYTES = 104_857_600
WEBHOOK_MAX_BODY_BYTES = 1_048_576 + 1_024
MAX_JSON_DEPTH = 64
WEBHOOK_PREFIX = "/runtime/webhooks/eventgrid"


def is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def depth(value: Any) -> int:
    """How deeply ``value`` nests arrays and objects (a scalar is 0), without recursion."""
    deepest = 0
    pending: deque[tuple[Any, int]] = deque([(value, 0)])
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level + 1)
        pending.extend((child, level + 1) for child in children)
    return deepest


def too_deep(body: bytes) -> bool:
    """Whether a JSON body nests beyond ``MAX_JSON_DEPTH`` (a body that is not JSON is not)."""
    try:
        value = json.loads(body)
    except RecursionError:
        return True
    except ValueError:
        return False  # not JSON: the endpoint answers that itself
    return depth(value) > MAX_JSON_DEPTH


def limit_for(path: str) -> int:
    return WEBHOOK_MAX_BODY_BYTES if path.lower().startswith(WEBHOOK_PREFIX) else HOST_MAX_BODY_BYTES


class RequestLimits:
    """ASGI middleware: 413 beyond the body limit, 400 for JSON nested beyond ``MAX_JSON_DEPTH``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"])
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isascii() or not declared.isdigit():
                await PlainTextResponse("Invalid Content-Length", status_code=400)(scope, receive, send)
                return
            if int(declared) > limit:
                await _too_large(limit)(scope, receive, send)
                return
        body = bytearray()
        trailing: Message | None = None
        while True:
            message = await receive()
            if message["type"] != "http.request":
                trailing = message
                break
            body.extend(message.get("body", b""))
            if len(body) > limit:
                await _too_large(limit)(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        if body and is_json(headers.get("content-type")) and too_deep(bytes(body)):
            await PlainTextResponse(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", status_code=400)(
                scope, receive, send)
            return
        replay: deque[Message] = deque([{"type": "http.request", "body": bytes(body), "more_body": False}])
        if trailing is not None:
            replay.append(trailing)

        async def replayed() -> Message:
            return replay.popleft() if replay else await receive()

        await self.app(scope, replayed, send)


def _too_large(limit: int) -> PlainTextResponse:
    return PlainTextResponse(f"Request body larger than {limit} bytes", status_code=413)
