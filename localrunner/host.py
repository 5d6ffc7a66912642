"""A development host for ``function_app.app``, serving the Functions host's URLs.

Core Tools (``func start``) cannot be installed everywhere; this host reads the same
binding metadata the real host reads (``get_function_json()``) and serves:

* HTTP triggers at ``/api/<route>`` (route templates, methods);
* Event Grid triggers at ``POST /runtime/webhooks/EventGrid?functionName=NAME``
  (``aeg-event-type`` ``Notification`` or the ``SubscriptionValidation`` handshake;
  one invocation per event; 500 if any invocation raised);
* timer triggers on their NCRONTAB schedule (seconds first, ``%SETTING%`` resolved),
  and ``POST /admin/functions/NAME`` to run any non-HTTP function now (as the real
  host's admin API does);
* MCP tool triggers at ``/runtime/webhooks/mcp`` (see ``localrunner/mcp_bridge.py``);
* the front end's build (``frontend/dist``) at ``/``.

Function keys are enforced only when ``FUNCTIONS_KEY`` is set (``x-functions-key``
header or ``code`` query, 401 otherwise, as the real host does); unset, they are not,
as with ``func start``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import azure.functions as func
from azure.functions.timer import TimerRequest
from croniter import croniter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from localrunner.functions import ROOT, FunctionInfo, functions_of, invoke
from shared import config

log = logging.getLogger("localrunner")
_SETTING = re.compile(r"%([A-Za-z0-9_]+)%")
_CONSTRAINT = re.compile(r"\{(\w+)(?::[^}]*)?\??\}")


def resolve_setting(value: str) -> str:
    """``%NAME%`` replaced by the app setting (environment, then documented default)."""
    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in os.environ:
            return os.environ[name]
        return config.get(name)
    return _SETTING.sub(lookup, value)


# --- HTTP -----------------------------------------------------------------------------

def _http_route(info: FunctionInfo) -> Route:
    template = info.trigger.get("route") or info.name
    path = "/api/" + _CONSTRAINT.sub(r"{\1}", template).lstrip("/")
    methods = [m.upper() for m in info.trigger.get("methods") or ["GET", "POST"]]

    needs_key = str(info.trigger.get("authLevel", "FUNCTION")).upper() != "ANONYMOUS"

    async def endpoint(request: Request) -> Response:
        key = os.environ.get("FUNCTIONS_KEY")
        presented = request.headers.get("x-functions-key") or request.query_params.get("code")
        if needs_key and key and presented != key:
            return Response(status_code=401)  # as the Functions host answers: no body
        body = await request.body()
        req = func.HttpRequest(
            method=request.method, url=str(request.url), headers=dict(request.headers),
            params=dict(request.query_params), route_params=dict(request.path_params), body=body)
        try:
            resp: func.HttpResponse = await invoke(info, req)
        except Exception:
            log.exception("function %s raised", info.name)
            return PlainTextResponse("Internal Server Error", status_code=500)
        headers = {k: v for k, v in resp.headers.items() if k.lower() != "content-type"}
        return Response(resp.get_body(), status_code=resp.status_code, headers=headers,
                        media_type=resp.headers.get("content-type") or resp.mimetype)

    return Route(path, endpoint, methods=methods, name=info.name)


# --- Event Grid -----------------------------------------------------------------------

def grid_event(item: dict[str, Any]) -> func.EventGridEvent:
    """The event as the worker builds it; missing fields stay ``None`` as on the real host."""
    raw_time = item.get("eventTime")
    event_time = None
    if isinstance(raw_time, str):
        with contextlib.suppress(ValueError):
            event_time = datetime.fromisoformat(raw_time.replace("Z", "+00:00"))
    fields: dict[str, Any] = {"id": item.get("id"), "data": item.get("data"), "topic": item.get("topic"),
                              "subject": item.get("subject"), "event_type": item.get("eventType"),
                              "data_version": item.get("dataVersion")}
    return func.EventGridEvent(event_time=event_time, **fields)


def _eventgrid_endpoint(functions: dict[str, FunctionInfo]) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        name = request.query_params.get("functionName", "")
        info = functions.get(name)
        if info is None or info.trigger_type != "eventGridTrigger":
            return PlainTextResponse(f"No Event Grid function named '{name}'", status_code=404)
        try:
            payload = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return PlainTextResponse("Body is not JSON", status_code=400)
        items = payload if isinstance(payload, list) else [payload]
        if not all(isinstance(item, dict) for item in items):
            return PlainTextResponse("Body must be an array of events", status_code=400)
        kind = request.headers.get("aeg-event-type", "")
        if kind == "SubscriptionValidation":
            code = (items[0].get("data") or {}).get("validationCode") if items else None
            if not code:
                return PlainTextResponse("Missing validationCode", status_code=400)
            return JSONResponse({"validationResponse": code})
        if kind != "Notification":
            return PlainTextResponse("Header aeg-event-type must be Notification", status_code=400)
        failed = 0
        for item in items:
            try:
                await invoke(info, grid_event(item))
            except Exception as exc:
                failed += 1
                log.warning("function %s raised %s for event %s", name, type(exc).__name__, item.get("id"))
        return Response(status_code=500 if failed else 202)

    return endpoint


# --- timers and the admin API ---------------------------------------------------------

def _admin_endpoint(functions: dict[str, FunctionInfo]) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        info = functions.get(request.path_params["name"])
        if info is None or info.trigger_type == "httpTrigger":
            return PlainTextResponse("No such non-HTTP function", status_code=404)
        try:
            body = json.loads(await request.body() or b"{}")
        except json.JSONDecodeError:
            return PlainTextResponse("Body is not JSON", status_code=400)
        raw = body.get("input") if isinstance(body, dict) else None
        if info.trigger_type == "timerTrigger":
            value: Any = TimerRequest(past_due=False)
        elif info.trigger_type == "eventGridTrigger":
            value = grid_event(json.loads(raw) if isinstance(raw, str) and raw else {})
        else:
            return PlainTextResponse("Use the trigger's own endpoint", status_code=400)
        try:
            await invoke(info, value)
        except Exception as exc:
            log.warning("function %s raised %s", info.name, type(exc).__name__)
            return PlainTextResponse("Function failed", status_code=500)
        return Response(status_code=202)

    return endpoint


def next_fire(schedule: str, after: datetime) -> datetime:
    """The next time an NCRONTAB schedule (six fields, seconds first) fires."""
    expression = resolve_setting(schedule)
    fired: datetime = croniter(expression, after, second_at_beginning=True).get_next(datetime)
    return fired


async def _run_timer(info: FunctionInfo) -> None:
    while True:
        now = datetime.now()
        fire_at = next_fire(info.trigger["schedule"], now)
        await asyncio.sleep(max(0.0, (fire_at - datetime.now()).total_seconds()))
        try:
            await invoke(info, TimerRequest(past_due=False))
        except Exception as exc:  # a failed timer run is not retried, as on the real host
            log.warning("timer %s raised %s", info.name, type(exc).__name__)


# --- the application ------------------------------------------------------------------

def build(app: func.FunctionApp, *, timers: bool = True) -> Starlette:
    """The ASGI application serving ``app``."""
    infos = functions_of(app)
    by_name = {info.name: info for info in infos}
    routes: list[BaseRoute] = [_http_route(i) for i in infos if i.trigger_type == "httpTrigger"]
    routes.append(Route("/runtime/webhooks/EventGrid", _eventgrid_endpoint(by_name), methods=["POST"]))
    routes.append(Route("/admin/functions/{name}", _admin_endpoint(by_name), methods=["POST"]))
    tools = [i for i in infos if i.trigger_type == "mcpToolTrigger"]
    session_manager = None
    if tools:
        from localrunner.mcp_bridge import mcp_app  # only when the app has MCP tools
        mcp_asgi, session_manager = mcp_app(tools, invoke)
        routes.append(Route("/runtime/webhooks/mcp", mcp_asgi, methods=["GET", "POST", "DELETE"]))
    dist = ROOT / "frontend" / "dist"
    if (dist / "index.html").exists():
        routes.append(Route("/", lambda _r: FileResponse(dist / "index.html")))
        routes.append(Route("/inbox", lambda _r: FileResponse(dist / "index.html")))  # the demo's inbox page
        routes.append(Mount("/", app=StaticFiles(directory=dist)))
    else:
        routes.append(Route("/", lambda _r: PlainTextResponse(_index_text(infos))))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(_run_timer(i)) for i in infos
                 if timers and i.trigger_type == "timerTrigger"]
        async with contextlib.AsyncExitStack() as stack:
            if session_manager is not None:
                await stack.enter_async_context(session_manager.run())
            yield
        for task in tasks:
            task.cancel()

    return Starlette(routes=routes, lifespan=lifespan)


def _index_text(infos: list[FunctionInfo]) -> str:
    lines = ["FastService WhatsApp - local runner", ""]
    for info in infos:
        lines.append(f"{info.name:32} {info.trigger_type:18} {info.trigger.get('route', '')}")
    return "\n".join(lines) + "\n"
