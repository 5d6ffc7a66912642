"""The function app as the Functions host sees it: each function's trigger binding, and how it is called.

Shared by the host (``localrunner/host.py``) and the MCP bridge (``localrunner/mcp_bridge.py``),
which both need it; neither imports the other for it.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import azure.functions as func

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class InvocationContext:
    """What the Functions worker passes as ``context``."""

    function_name: str
    invocation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_directory: str = str(ROOT)
    trace_context: Any = None
    retry_context: Any = None
    thread_local_storage: Any = None


@dataclass(frozen=True)
class FunctionInfo:
    name: str
    trigger: dict[str, Any]
    user_function: Callable[..., Any]

    @property
    def trigger_type(self) -> str:
        return str(self.trigger["type"])


def functions_of(app: func.FunctionApp) -> list[FunctionInfo]:
    """Every function with its trigger binding, as the host sees them."""
    result = []
    for fn in app.get_functions():
        bindings = json.loads(fn.get_function_json())["bindings"]
        trigger = next(b for b in bindings if b["type"].endswith("Trigger"))
        result.append(FunctionInfo(str(fn.get_function_name()), trigger, fn.get_user_function()))
    return result


async def invoke(info: FunctionInfo, trigger_value: Any) -> Any:
    """Call the user function with its trigger argument (and ``context`` if it takes one)."""
    params = inspect.signature(info.user_function).parameters
    kwargs: dict[str, Any] = {info.trigger["name"]: trigger_value}
    if "context" in params and info.trigger["name"] != "context":
        kwargs["context"] = InvocationContext(info.name)
    if inspect.iscoroutinefunction(info.user_function):
        return await info.user_function(**kwargs)
    return await asyncio.to_thread(info.user_function, **kwargs)
