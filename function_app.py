"""FastService WhatsApp: the Azure Functions trigger surface.

Each function parses its input, calls one function in ``shared/`` and maps the
result or error to its output. Business rules live in ``shared/``.
"""

from __future__ import annotations

import json

import azure.functions as func

from shared import events, health, ingest, observability

observability.configure()
app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


def _json(body: object, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body, ensure_ascii=False), status_code=status,
                             mimetype="application/json", charset="utf-8")


@app.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def health_check(req: func.HttpRequest) -> func.HttpResponse:
    """Database reachability, schema version and configured providers (no personal data)."""
    report = health.check()
    return _json(report, 200 if report["status"] == "ok" else 503)


@app.event_grid_trigger(arg_name="event")
def ingest_whatsapp_event(event: func.EventGridEvent, context: func.Context) -> None:
    """Store one ACS Advanced Messaging event exactly once; raising asks Event Grid to redeliver."""
    observability.bind(context.invocation_id)
    ingest.ingest_event(events.envelope_of(event))
