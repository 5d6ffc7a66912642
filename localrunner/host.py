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
* queue triggers, polling Azure Queue Storage / Azurite as the host does (``localrunner/queues.py``);
* the front end's build (``frontend/dist``) at ``/``.

Keys are enforced as in Azure (``localrunner/keys.py``): FUNCTION routes take a function
key or the master key, ADMIN routes and ``/admin/*`` the master key, the Event Grid
webhook the ``eventgrid_extension`` system key and MCP the ``mcp_extension`` one.
``FUNCTIONS_KEYS=off`` turns keys off, as ``func start`` does.

In front of every route: the host's request limits (``localrunner/limits.py``: 413 beyond
the body limit, 400 for JSON nested too deep). Nothing else: as on the Flex Consumption plan
there is no App Service Authentication and no platform CORS in front of the app, which checks
staff tokens and answers CORS itself. With sign-in required and no tenant configured the
runner is the app's demo issuer (``localrunner/demo_issuer.py``).
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
from azure.functions.eventgrid import EventGridEventInConverter
from azure.functions.meta import Datum
from azure.functions.timer import TimerRequest
from croniter import croniter
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from localrunner import demo_issuer, keys
from localrunner.functions import ROOT, FunctionInfo, functions_of, invoke
from localrunner.limits import RequestLimits
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

UNAUTHORIZED = 401  # as the Functions host answers a missing or wrong key: no body

# which keys an HTTP function's auth level takes (the master key is always one of them)
_LEVEL_KEYS: dict[str, tuple[str, ...]] = {"FUNCTION": ("default",), "ADMIN": ()}


def _http_route(info: FunctionInfo, host_keys: keys.Keys) -> Route:
    template = info.trigger.get("route") or info.name
    path = "/api/" + _CONSTRAINT.sub(r"{\1}", template).lstrip("/")
    methods = [m.upper() for m in info.trigger.get("methods") or ["GET", "POST"]]
    level = str(info.trigger.get("authLevel", "FUNCTION")).upper()

    async def endpoint(request: Request) -> Response:
        if level != "ANONYMOUS" and not host_keys.accepts(
                keys.presented(request.headers, request.query_params), *_LEVEL_KEYS.get(level, ())):
            return Response(status_code=UNAUTHORIZED)
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

# Content types an Event Grid delivery uses: the Event Grid schema, and CloudEvents 1.0's
# structured single event and batch. The only charset Event Grid sends is UTF-8.
EVENTGRID_CONTENT_TYPES = frozenset({"application/json", "application/cloudevents+json",
                                     "application/cloudevents-batch+json"})


def grid_event(item: Any) -> func.EventGridEvent | func.CloudEvent:
    """The trigger value the Python worker builds for one delivered event.

    An object goes through the worker's own converter (``EventGridEventInConverter``): a
    ``func.CloudEvent`` for a body with ``specversion``, else a ``func.EventGridEvent``; a
    value it cannot convert (an ``eventTime`` that is no time) raises, failing the invocation
    as on the real host. An item that is not an object is passed on alone as an event whose
    ``data`` is the item and whose other fields are missing, so the function can quarantine
    it. (The real worker's converter would raise for it; Event Grid never sends one.)
    """
    if not isinstance(item, dict):
        return func.EventGridEvent(id=None, data=item, topic=None, subject=None,  # type: ignore[arg-type]
                                   event_type=None, event_time=None, data_version=None)  # type: ignore[arg-type]
    value: func.EventGridEvent | func.CloudEvent = EventGridEventInConverter.decode(
        Datum(json.dumps(item), "json"), trigger_metadata={})
    return value


def content_type_ok(header: str | None) -> bool:
    """Whether a delivery's Content-Type is one Event Grid uses (charset absent or UTF-8)."""
    media, _, parameters = (header or "").partition(";")
    if media.strip().lower() not in EVENTGRID_CONTENT_TYPES:
        return False
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False
    return True


def _validation_code(items: list[Any]) -> str | None:
    """The ``validationCode`` of a ``SubscriptionValidation`` delivery, or ``None`` when malformed."""
    if len(items) != 1 or not isinstance(items[0], dict) or not isinstance(items[0].get("data"), dict):
        return None
    code = items[0]["data"].get("validationCode")
    return code if isinstance(code, str) and code.strip() else None


def _cloudevents_handshake(request: Request) -> Response:
    """CloudEvents 1.0 webhook validation: ``OPTIONS`` with ``WebHook-Request-Origin``."""
    origin = request.headers.get("webhook-request-origin", "").strip()
    rate = request.headers.get("webhook-request-rate", "").strip()
    if not origin or (rate and not (rate.isascii() and rate.isdigit() and int(rate) > 0)):
        return PlainTextResponse("OPTIONS needs WebHook-Request-Origin (and a positive WebHook-Request-Rate, if "
                                 "any)", status_code=400)
    return Response(status_code=200, headers={"WebHook-Allowed-Origin": origin, "WebHook-Allowed-Rate": "*",
                                              "Allow": "POST, OPTIONS"})


def _eventgrid_endpoint(functions: dict[str, FunctionInfo], host_keys: keys.Keys) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        if not host_keys.accepts(keys.presented(request.headers, request.query_params), "eventgrid_extension"):
            return Response(status_code=UNAUTHORIZED)
        name = request.query_params.get("functionName", "")
        info = functions.get(name)
        if info is None or info.trigger_type != "eventGridTrigger":
            return PlainTextResponse(f"No Event Grid function named '{name}'", status_code=404)
        if request.method == "OPTIONS":
            return _cloudevents_handshake(request)
        if not content_type_ok(request.headers.get("content-type")):
            return PlainTextResponse("Content-Type must be application/json, application/cloudevents+json or "
                                     "application/cloudevents-batch+json", status_code=415)
        try:
            payload = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return PlainTextResponse("Body is not JSON", status_code=400)
        items: list[Any] = payload if isinstance(payload, list) else [payload]
        kind = request.headers.get("aeg-event-type", "")
        if kind == "SubscriptionValidation":
            code = _validation_code(items)
            if code is None:
                return PlainTextResponse("A SubscriptionValidation delivery is one event whose data has a "
                                         "validationCode", status_code=400)
            return JSONResponse({"validationResponse": code})
        if kind != "Notification":
            return PlainTextResponse("Header aeg-event-type must be Notification", status_code=400)
        failed = 0
        for item in items:
            try:
                await invoke(info, grid_event(item))
            except Exception as exc:
                failed += 1
                event_id = item.get("id") if isinstance(item, dict) else None
                log.warning("function %s raised %s for event %s", name, type(exc).__name__,
                            _printable(event_id))
        return Response(status_code=500 if failed else 202)

    return endpoint


def _printable(value: Any, limit: int = 80) -> str:
    """An id fit for a log line: control characters out, bounded length."""
    text = value if isinstance(value, str) else repr(value)
    return "".join(ch for ch in text[:limit] if ch.isprintable())


# --- timers and the admin API ---------------------------------------------------------

def _admin_input(body: bytes) -> str | None:
    """The ``input`` string of an admin call's body (``{"input": "..."}``), ``""`` when absent; ``None`` when bad."""
    try:
        parsed = json.loads(body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(parsed, dict):
        return None
    raw = parsed.get("input", "")
    return raw if isinstance(raw, str) else None


def _admin_endpoint(functions: dict[str, FunctionInfo], host_keys: keys.Keys) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        if not host_keys.accepts(keys.presented(request.headers, request.query_params)):  # master key only
            return Response(status_code=UNAUTHORIZED)
        info = functions.get(request.path_params["name"])
        if info is None or info.trigger_type == "httpTrigger":
            return PlainTextResponse("No such non-HTTP function", status_code=404)
        raw = _admin_input(await request.body())
        if raw is None:
            return PlainTextResponse('Body must be a JSON object {"input": "<string>"}', status_code=400)
        if info.trigger_type == "timerTrigger":
            value: Any = TimerRequest(past_due=False)
        elif info.trigger_type == "eventGridTrigger":
            try:
                event = json.loads(raw) if raw else {}
                value = grid_event(event)
            except (json.JSONDecodeError, RecursionError):
                return PlainTextResponse("input must be one event as a JSON string", status_code=400)
            except (ValueError, TypeError):  # what the worker's converter refuses (e.g. an eventTime that is no time)
                return PlainTextResponse("input is not an event the worker can convert", status_code=400)
        elif info.trigger_type == "queueTrigger":  # localrunner/queues.py (issue 16)
            from localrunner import queues

            value = queues.admin_message(raw if isinstance(raw, str) else None)
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

LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def local_only(endpoint: Callable[[Request], Any]) -> Callable[[Request], Any]:
    """Refuse a request whose ``Host`` is not this machine or whose ``Origin`` is foreign (DNS rebinding)."""
    async def guarded(request: Request) -> Response:
        if not _is_local(request.headers.get("host")):
            return PlainTextResponse("Invalid Host header", status_code=421)
        origin = request.headers.get("origin")
        if origin and not any(origin == f"http://{h}" or origin.startswith(f"http://{h}:") for h in LOCAL_HOSTS):
            return PlainTextResponse("Invalid Origin header", status_code=403)
        result: Response = await endpoint(request)
        return result
    return guarded


def _is_local(host: str | None) -> bool:
    return bool(host) and any(host == h or (host or "").startswith(h + ":") for h in LOCAL_HOSTS)


class _KeyedAsgi:
    """An ASGI app behind a system key (header ``x-functions-key`` or query ``code``)."""

    def __init__(self, app: Any, host_keys: keys.Keys, key_name: str) -> None:
        self.app, self.host_keys, self.key_name = app, host_keys, key_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        if not self.host_keys.accepts(keys.presented(request.headers, request.query_params), self.key_name):
            await Response(status_code=UNAUTHORIZED)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def build(app: func.FunctionApp, *, timers: bool = True, host_keys: keys.Keys | None = None) -> Starlette:
    """The ASGI application serving ``app`` (keys from ``keys.load()``; the demo issuer per ``configure``)."""
    host_keys = host_keys or keys.load()
    demo = demo_issuer.configure()
    infos = functions_of(app)
    by_name = {info.name: info for info in infos}
    routes: list[BaseRoute] = [_http_route(i, host_keys) for i in infos if i.trigger_type == "httpTrigger"]
    eventgrid = _eventgrid_endpoint(by_name, host_keys)
    for path in ("/runtime/webhooks/EventGrid", "/runtime/webhooks/eventgrid"):  # the host's paths ignore case
        routes.append(Route(path, eventgrid, methods=["POST", "OPTIONS"]))
    routes.append(Route("/admin/functions/{name}", _admin_endpoint(by_name, host_keys), methods=["POST"]))
    if demo:
        routes.append(Route(demo_issuer.TOKEN_ROUTE, local_only(demo_issuer.demo_token_endpoint), methods=["GET"]))
        routes.append(Route(demo_issuer.JWKS_ROUTE, local_only(demo_issuer.jwks_endpoint), methods=["GET"]))
    tools = [i for i in infos if i.trigger_type == "mcpToolTrigger"]
    session_manager = None
    if tools:
        from localrunner.mcp_bridge import mcp_app  # only when the app has MCP tools
        mcp_asgi, session_manager = mcp_app(tools, invoke)
        routes.append(Route("/runtime/webhooks/mcp", _KeyedAsgi(mcp_asgi, host_keys, "mcp_extension"),
                            methods=["GET", "POST", "DELETE"]))
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
        if any(i.trigger_type == "queueTrigger" for i in infos):  # localrunner/queues.py (issue 16)
            from localrunner import queues

            tasks += queues.start(infos, invoke, resolve_setting)
        async with contextlib.AsyncExitStack() as stack:
            if session_manager is not None:
                await stack.enter_async_context(session_manager.run())
            yield
        for task in tasks:
            task.cancel()

    middleware = [Middleware(RequestLimits)]
    return Starlette(routes=routes, lifespan=lifespan, middleware=middleware)


def _index_text(infos: list[FunctionInfo]) -> str:
    lines = ["FastService WhatsApp - local runner", ""]
    for info in infos:
        lines.append(f"{info.name:32} {info.trigger_type:18} {info.trigger.get('route', '')}")
    return "\n".join(lines) + "\n"
