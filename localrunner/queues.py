"""Queue triggers for the local runner: poll Azure Queue Storage (Azurite locally) as the Functions host does.

Why: ``download_media`` (issue 16) is a queue-triggered function, and the runner must run it the way the
host's Storage extension does, with the real ``azure-storage-queue`` SDK against Azurite:

* messages are received in batches (``batchSize`` 16) with a visibility timeout that hides them from
  other pollers while the function runs (10 minutes, as the host's message lease);
* bodies are base64-decoded (the host's default ``messageEncoding``);
* success deletes the message; a failure makes it visible again at once (``visibilityTimeout`` 0, the host's
  default), and a message that failed on its ``maxDequeueCount``-th delivery (5) moves to
  ``<queue>-poison`` instead;
* an empty queue is polled with a growing pause up to ``maxPollingInterval`` (2 s here; the host's default is
  one minute, too slow to watch locally).

The connection is the binding's ``connection`` app setting read as the host would: a connection string
(``UseDevelopmentStorage=true`` = Azurite on its standard ports). Identity-based connections are Azure's
business, not the runner's. Self-contained on purpose: ``host.py`` only starts :func:`start` and asks
:func:`admin_message` for the admin API.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

import azure.functions.queue as func_queue

from shared import config

log = logging.getLogger("localrunner.queues")

BATCH_SIZE = 16
MAX_DEQUEUE_COUNT = 5
LEASE_SECONDS = 600
MAX_POLL_SECONDS = 2.0


def connection_string(setting: str) -> str:
    """The binding's connection, as the host resolves it (environment first, then the documented default)."""
    value = os.environ.get(setting, "").strip()
    if value:
        return value
    try:
        return config.get(setting)
    except KeyError:
        return "UseDevelopmentStorage=true"


def _message(raw: Any) -> func_queue.QueueMessage:
    content = raw.content or ""
    try:
        body: bytes = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        body = content.encode("utf-8")  # the host would fail to decode it; hand over the text as is
    return func_queue.QueueMessage(  # type: ignore[no-untyped-call]
                                   id=raw.id, body=body, dequeue_count=raw.dequeue_count,
                                   pop_receipt=raw.pop_receipt, insertion_time=raw.inserted_on,
                                   expiration_time=raw.expires_on, time_next_visible=raw.next_visible_on)


def function_info(builder: Any) -> Any:
    """The ``FunctionInfo`` of one decorated function (e.g. ``function_app.download_media``) without indexing the
    whole app again: azure-functions refuses to index one app twice in a process, which the tests already did."""
    import json

    from localrunner.functions import FunctionInfo

    fn = builder._function  # the FunctionBuilder's function: the binding metadata the host reads
    bindings = json.loads(fn.get_function_json())["bindings"]
    trigger = next(b for b in bindings if b["type"].endswith("Trigger"))
    return FunctionInfo(str(fn.get_function_name()), trigger, fn.get_user_function())


def admin_message(raw: str | None) -> func_queue.QueueMessage:
    """The message the admin API passes (``{"input": "..."}``), as a first delivery."""
    return func_queue.QueueMessage(  # type: ignore[no-untyped-call]
        id="admin", body=(raw or "").encode("utf-8"), dequeue_count=1)


class QueuePoller:
    """One queue-triggered function's polling loop."""

    def __init__(self, info: Any, invoke: Callable[[Any, Any], Awaitable[Any]],
                 resolve: Callable[[str], str]) -> None:
        from azure.storage.queue import QueueClient

        self.info = info
        self.invoke = invoke
        name = resolve(info.trigger["queueName"])
        conn = connection_string(info.trigger.get("connection") or "AzureWebJobsStorage")
        options: dict[str, Any] = {"retry_total": 0, "connection_timeout": 3, "read_timeout": 10}
        self.queue = QueueClient.from_connection_string(conn, name, **options)
        self.poison = QueueClient.from_connection_string(conn, f"{name}-poison", **options)
        self.down = False

    def _receive(self) -> list[Any]:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return list(self.queue.receive_messages(messages_per_page=BATCH_SIZE, max_messages=BATCH_SIZE,
                                                    visibility_timeout=LEASE_SECONDS))
        except ResourceNotFoundError:
            self.queue.create_queue()  # the host creates a missing trigger queue too
            return []

    def _settle(self, raw: Any, ok: bool) -> None:
        from azure.core.exceptions import ResourceExistsError

        if ok:
            self.queue.delete_message(raw)
        elif raw.dequeue_count >= MAX_DEQUEUE_COUNT:
            with contextlib.suppress(ResourceExistsError):
                self.poison.create_queue()
            self.poison.send_message(raw.content)
            self.queue.delete_message(raw)
            log.warning("queue message %s of %s moved to the poison queue after %s deliveries", raw.id,
                        self.info.name, raw.dequeue_count)
        else:
            self.queue.update_message(raw, visibility_timeout=0)

    async def run_once(self) -> int:
        """Receive one batch and run the function for each message; how many were received."""
        batch = await asyncio.to_thread(self._receive)
        for raw in batch:
            try:
                await self.invoke(self.info, _message(raw))
                ok = True
            except Exception as exc:
                ok = False
                log.warning("function %s raised %s for queue message %s (delivery %s)", self.info.name,
                            type(exc).__name__, raw.id, raw.dequeue_count)
            await asyncio.to_thread(self._settle, raw, ok)
        return len(batch)

    async def run(self) -> None:
        pause = 0.1
        while True:
            try:
                received = await self.run_once()
                if self.down:
                    log.warning("queue of %s reachable again", self.info.name)
                self.down = False
            except Exception as exc:  # Azurite not running yet, or stopped: keep polling, quietly
                if not self.down:
                    log.warning("queue of %s unreachable (%s); polling on", self.info.name, type(exc).__name__)
                self.down = True
                received = 0
            pause = 0.1 if received else min(pause * 2, MAX_POLL_SECONDS)
            if not received:
                await asyncio.sleep(pause)


def start(infos: list[Any], invoke: Callable[[Any, Any], Awaitable[Any]],
          resolve: Callable[[str], str]) -> list[asyncio.Task[None]]:
    """Start polling every queue-triggered function's queue (``QUEUES=off`` disables it)."""
    if os.environ.get("QUEUES", "on") == "off":
        return []
    return [asyncio.create_task(QueuePoller(i, invoke, resolve).run()) for i in infos
            if i.trigger_type == "queueTrigger"]
