"""MCP tool triggers served over streamable HTTP with the official ``mcp`` SDK.

The Functions host exposes every ``mcpToolTrigger`` function as a tool at
``/runtime/webhooks/mcp``, using the binding's ``toolName``, ``description`` and
``toolProperties``, and calls the function with ``context``: a JSON string holding
the call's ``arguments``. A function that raises becomes a tool error whose text is
only "An error occurred invoking '<tool>'." (the host's MCP SDK hides the exception's
message), which is why this app's tools return their errors instead of raising. This
module does the same for the local runner.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from mcp import types
from mcp.server.lowlevel.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from localrunner.functions import ROOT, FunctionInfo

SERVER_NAME = "fastservice-whatsapp"
# DNS-rebinding protection: only this machine's names as Host, and no foreign browser Origin.
LOCAL_ONLY = TransportSecuritySettings(
    enable_dns_rebinding_protection=True,
    allowed_hosts=["127.0.0.1", "127.0.0.1:*", "localhost", "localhost:*", "[::1]", "[::1]:*"],
    allowed_origins=["http://127.0.0.1", "http://127.0.0.1:*", "http://localhost", "http://localhost:*",
                     "http://[::1]", "http://[::1]:*"])


def _host_mcp_settings() -> dict[str, Any]:
    host = json.loads((ROOT / "host.json").read_text(encoding="utf-8"))
    return dict(host.get("extensions", {}).get("mcp", {}))


def input_schema(tool_properties: str | None) -> dict[str, Any]:
    """The JSON Schema of a tool's arguments, from the binding's ``toolProperties``."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for prop in json.loads(tool_properties or "[]"):
        schema: dict[str, Any] = {"type": prop.get("propertyType") or "string"}
        if prop.get("description"):
            schema["description"] = prop["description"]
        if prop.get("isArray"):
            schema = {"type": "array", "items": schema, "description": schema.get("description", "")}
        properties[prop["propertyName"]] = schema
        if prop.get("isRequired"):
            required.append(prop["propertyName"])
    return {"type": "object", "properties": properties, "required": required}


def mcp_app(tools: list[FunctionInfo],
            invoke: Callable[[FunctionInfo, Any], Awaitable[Any]]) -> tuple[Any, StreamableHTTPSessionManager]:
    """An ASGI app serving ``tools`` and the session manager whose ``run()`` must wrap its lifetime."""
    by_name = {str(info.trigger["toolName"]): info for info in tools}
    listed = [types.Tool(name=name, description=info.trigger.get("description") or "",
                         input_schema=input_schema(info.trigger.get("toolProperties")))
              for name, info in by_name.items()]

    async def list_tools(_ctx: Any, _params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listed)

    async def call_tool(_ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        info = by_name.get(params.name)
        if info is None:
            return _error(f"Unknown tool: {params.name}")
        context = json.dumps({"name": params.name, "arguments": params.arguments or {}})
        try:
            result = await invoke(info, context)
        except Exception:
            return _error(f"An error occurred invoking '{params.name}'.")
        text = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
        return types.CallToolResult(content=[types.TextContent(type="text", text=text)])

    settings = _host_mcp_settings()
    server: Server[Any] = Server(settings.get("serverName", SERVER_NAME), version=settings.get("serverVersion", ""),
                                 instructions=settings.get("instructions"),
                                 on_list_tools=list_tools, on_call_tool=call_tool)
    manager = StreamableHTTPSessionManager(server, stateless=True, json_response=True,
                                         security_settings=LOCAL_ONLY)
    return _Asgi(manager), manager


class _Asgi:
    """The session manager as an ASGI app (Starlette takes a bound method for a request handler)."""

    def __init__(self, manager: StreamableHTTPSessionManager) -> None:
        self.manager = manager

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.manager.handle_request(scope, receive, send)


def _error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], is_error=True)
