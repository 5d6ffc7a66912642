"""FastService WhatsApp: the Azure Functions trigger surface.

Each function parses its input, calls one function in ``shared/`` and maps the
result or error to its output. Business rules live in ``shared/``.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import azure.functions as func

from shared import conversation, events, health, identity, ingest, observability, order_view, summaries, sync
from shared.errors import as_api_error, parse_order_id

observability.configure()
app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
log = observability.logger("function_app")
OPENAPI = Path(__file__).resolve().parent / "shared" / "openapi.json"


def _json(body: object, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body, ensure_ascii=False), status_code=status,
                             mimetype="application/json", charset="utf-8")


def _answer(req: func.HttpRequest, handler: Callable[[], Any]) -> func.HttpResponse:
    """Run ``handler``; its result as JSON, or its error as RFC 9457 problem details."""
    try:
        return _json(handler())
    except Exception as exc:
        error = as_api_error(exc)
        if error.status >= 500 and error.status != 503:
            log.error("%s %s failed: %s", req.method, req.url.split("?")[0], type(exc).__name__)
        headers = {"Retry-After": str(error.retry_after)} if hasattr(error, "retry_after") else {}
        return func.HttpResponse(json.dumps(error.problem(req.url.split("?")[0]), ensure_ascii=False),
                                 status_code=error.status, headers=headers,
                                 mimetype="application/problem+json", charset="utf-8")


@app.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def health_check(req: func.HttpRequest) -> func.HttpResponse:
    """Database reachability, schema version and configured providers (no personal data)."""
    report = health.check()
    return _json(report, 200 if report["status"] == "ok" else 503)


@app.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def openapi(req: func.HttpRequest) -> func.HttpResponse:
    """The OpenAPI 3.1 document of the staff API."""
    return func.HttpResponse(OPENAPI.read_bytes(), mimetype="application/json", charset="utf-8")


@app.route(route="whatsapp/sync", methods=["POST"])
def sync_whatsapp(req: func.HttpRequest) -> func.HttpResponse:
    """Link the order's customer's stored messages to the order; summarize when anything is new."""
    return _answer(req, lambda: sync.sync_order(parse_order_id(req.params.get("orderId")),
                                                request_summary=summaries.request_summary))


@app.route(route="whatsapp/messages/{orderId}", methods=["GET"])
def list_whatsapp_messages(req: func.HttpRequest) -> func.HttpResponse:
    """The order's conversation, newest page first (``limit`` 1-200, ``before`` cursor)."""
    return _answer(req, lambda: conversation.order_messages(
        parse_order_id(req.route_params.get("orderId")), conversation.parse_limit(req.params.get("limit")),
        req.params.get("before") or None))


@app.route(route="whatsapp/orders/{orderId}", methods=["GET"])
def order_whatsapp(req: func.HttpRequest) -> func.HttpResponse:
    """Customer, phone, wa.me link, latest summary and 24-hour window of an order."""
    return _answer(req, lambda: order_view.order_whatsapp(parse_order_id(req.route_params.get("orderId"))))


@app.timer_trigger(schedule="%SUMMARY_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def summarize_conversations(timer: func.TimerRequest) -> None:
    """Write "WhatsApp Resumen" novedades for conversations quiet since their last new message."""
    summaries.run_batch()


@app.timer_trigger(schedule="%PHONE_INDEX_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def refresh_phone_index(timer: func.TimerRequest) -> None:
    """Re-read every customer's phones (FastService edits customers without telling us)."""
    identity.reindex_all()


# Start-up is over: keep the ~60,000 long-lived objects of the imports (libphonenumber,
# SQLAlchemy, the Azure SDK) out of every later full garbage collection, which otherwise
# pauses a request for about 15 ms (bench/bench_api.py showed it as sync outliers).
gc.freeze()


@app.event_grid_trigger(arg_name="event")
def ingest_whatsapp_event(event: func.EventGridEvent, context: func.Context) -> None:
    """Store one ACS Advanced Messaging event exactly once; raising asks Event Grid to redeliver."""
    observability.bind(context.invocation_id)
    ingest.ingest_event(events.envelope_of(event))
