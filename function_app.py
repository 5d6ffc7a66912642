"""FastService WhatsApp: the Azure Functions trigger surface.

Each function parses its input, calls one function in ``shared/`` and maps the
result or error to its output. Business rules live in ``shared/``.
"""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import azure.functions as func

from shared import (
    agent_tools,
    conversation,
    event_parsing,
    health,
    identity,
    inbox,
    ingest,
    observability,
    order_view,
    staff,
    summaries,
    sync,
    triage,
)
from shared.errors import ApiError, Unavailable, as_api_error
from shared.params import (
    optional_big_id,
    optional_order_id,
    parse_big_id,
    parse_bounded_int,
    parse_limit,
    parse_order_id,
)

observability.configure()
app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
log = observability.logger("function_app")
OPENAPI = Path(__file__).resolve().parent / "shared" / "openapi.json"


def _json(body: object, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body, ensure_ascii=False), status_code=status,
                             mimetype="application/json", charset="utf-8")


def _reported(exc: Exception, where: str) -> ApiError:
    """The problem to answer for ``exc``; an unexpected one is logged (its text only at DEBUG)."""
    error = as_api_error(exc)
    if error.status >= 500 and not isinstance(error, Unavailable):
        log.error("%s failed: %s", where, type(exc).__name__)
        log.debug("unexpected error", exc_info=True)  # the text may quote personal data: DEBUG only
    return error


def _answer(req: func.HttpRequest, handler: Callable[[], Any]) -> func.HttpResponse:
    """Run ``handler``; its result as JSON, or its error as RFC 9457 problem details."""
    try:
        return _json(handler())
    except Exception as exc:
        error = _reported(exc, f"{req.method} {req.url.split('?')[0]}")
        headers = {"Retry-After": str(error.retry_after)} if isinstance(error, Unavailable) else {}
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
        parse_order_id(req.route_params.get("orderId")),
        parse_limit(req.params.get("limit"), conversation.DEFAULT_LIMIT, conversation.MAX_LIMIT),
        req.params.get("before") or None))


@app.route(route="whatsapp/orders/{orderId}", methods=["GET"])
def order_whatsapp(req: func.HttpRequest) -> func.HttpResponse:
    """Customer, phone, wa.me link, latest summary and 24-hour window of an order."""
    return _answer(req, lambda: order_view.order_whatsapp(parse_order_id(req.route_params.get("orderId"))))


@app.route(route="whatsapp/quarantine/reprocess", methods=["POST"], auth_level=func.AuthLevel.ADMIN)
def reprocess_quarantine(req: func.HttpRequest) -> func.HttpResponse:
    """Operators: run quarantined events through ingestion again (after a fix or a corrected setting)."""
    return _answer(req, lambda: ingest.reprocess_quarantined(
        parse_limit(req.params.get("limit"), ingest.MAX_REPROCESS, ingest.MAX_REPROCESS),
        parse_bounded_int(req.params.get("afterId"), "afterId", 0, 2**63 - 1, 0)))


# --- the inbox (issue 17): conversations no order holds, who is waiting, and staff decisions ----------

def _sender(req: func.HttpRequest) -> str | None:
    raw = req.params.get("sender")
    return None if raw is None or raw == "" else triage.parse_sender(raw)


def _customer(req: func.HttpRequest) -> int | None:
    return optional_order_id(req.params.get("customerId"), "customerId", "número de cliente")


@app.route(route="whatsapp/inbox", methods=["GET"])
def whatsapp_inbox(req: func.HttpRequest) -> func.HttpResponse:
    """One page of an inbox tab (``tab``, ``cursor``, ``limit`` 1-100)."""
    return _answer(req, lambda: inbox.listing(
        inbox.parse_tab(req.params.get("tab")), req.params.get("cursor") or None,
        parse_limit(req.params.get("limit"), inbox.DEFAULT_LIMIT, inbox.MAX_LIMIT)))


@app.route(route="whatsapp/inbox/counts", methods=["GET"])
def whatsapp_inbox_counts(req: func.HttpRequest) -> func.HttpResponse:
    """How many need a person, per tab (FastService's menu badge)."""
    return _answer(req, inbox.counts)


@app.route(route="whatsapp/inbox/messages", methods=["GET"])
def whatsapp_inbox_messages(req: func.HttpRequest) -> func.HttpResponse:
    """A sender's unassigned messages, or a customer's no order holds (``limit``, ``before``)."""
    return _answer(req, lambda: inbox.messages(
        _sender(req), _customer(req),
        parse_limit(req.params.get("limit"), conversation.DEFAULT_LIMIT, conversation.MAX_LIMIT),
        req.params.get("before") or None))


@app.route(route="whatsapp/inbox/decisions", methods=["GET"])
def whatsapp_inbox_decisions(req: func.HttpRequest) -> func.HttpResponse:
    """The decisions about a sender or a customer, newest first."""
    return _answer(req, lambda: triage.history(_sender(req), _customer(req)))


@app.route(route="whatsapp/inbox/assign", methods=["POST"])
def whatsapp_inbox_assign(req: func.HttpRequest) -> func.HttpResponse:
    """Assign a sender to a customer (``customerId``) or an order of theirs (``orderId``); 409 if decided."""
    return _answer(req, lambda: triage.assign(
        triage.parse_sender(req.params.get("sender")), _customer(req),
        optional_order_id(req.params.get("orderId"), "orderId", "número de ticket"),
        staff.from_headers(req.headers)))


@app.route(route="whatsapp/inbox/move", methods=["POST"])
def whatsapp_inbox_move(req: func.HttpRequest) -> func.HttpResponse:
    """Move a customer's messages (``fromMessageId`` [to ``toMessageId``]) to one of their orders."""
    return _answer(req, lambda: triage.move(
        parse_order_id(req.params.get("customerId"), "customerId", "número de cliente"),
        parse_order_id(req.params.get("orderId")),
        parse_big_id(req.params.get("fromMessageId"), "fromMessageId", "número de mensaje"),
        optional_big_id(req.params.get("toMessageId"), "toMessageId", "número de mensaje"),
        staff=staff.from_headers(req.headers)))


@app.route(route="whatsapp/inbox/decisions/{decisionId}/undo", methods=["POST"])
def whatsapp_inbox_undo(req: func.HttpRequest) -> func.HttpResponse:
    """Undo a decision: exactly what it linked and nothing later moved goes back."""
    return _answer(req, lambda: triage.undo(
        parse_big_id(req.route_params.get("decisionId"), "decisionId", "número de decisión"),
        staff.from_headers(req.headers)))


@app.route(route="whatsapp/inbox/proposals/{proposalId}/confirm", methods=["POST"])
def whatsapp_inbox_confirm(req: func.HttpRequest) -> func.HttpResponse:
    """Confirm the agent's assignment proposal (the same as assigning)."""
    return _answer(req, lambda: triage.confirm_proposal(
        parse_big_id(req.route_params.get("proposalId"), "proposalId", "número de propuesta"),
        staff.from_headers(req.headers)))


@app.route(route="whatsapp/inbox/proposals/{proposalId}/discard", methods=["POST"])
def whatsapp_inbox_discard(req: func.HttpRequest) -> func.HttpResponse:
    """Discard the agent's assignment proposal; nothing is linked."""
    return _answer(req, lambda: triage.discard_proposal(
        parse_big_id(req.route_params.get("proposalId"), "proposalId", "número de propuesta"),
        staff.from_headers(req.headers)))


@app.timer_trigger(schedule="%SUMMARY_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def summarize_conversations(timer: func.TimerRequest) -> None:
    """Write "WhatsApp Resumen" novedades for conversations quiet since their last new message."""
    summaries.run_batch()


@app.timer_trigger(schedule="%PHONE_INDEX_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def refresh_phone_index(timer: func.TimerRequest) -> None:
    """Re-read every customer's phones (FastService edits customers without telling us)."""
    identity.reindex_all()


# --- MCP tools for FastService's AI agent (served by the host at /runtime/webhooks/mcp) ----------

INTEGER = func.McpPropertyType.INTEGER


async def _tool(fn: Callable[..., Any], /, **arguments: Any) -> str:
    """Run a tool's logic off the event loop and answer compact JSON, errors included.

    An error is *returned* as ``{"error": {"status", "detail"}}``, never raised: the host
    answers a raised exception with a generic "An error occurred invoking ..." that hides
    the reason, and the agent needs the Spanish ``detail`` to act (fix the ticket number,
    retry later...).
    """
    try:
        body = await asyncio.to_thread(fn, **arguments)
    except Exception as exc:
        error = _reported(exc, f"tool {fn.__name__}")
        body = {"error": {"status": error.status, "detail": error.detail}}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


@app.mcp_tool()
@app.mcp_tool_property(arg_name="phoneNumber", description=(
    "Teléfono del cliente en cualquier formato ('11 5555-1234', '+54 9 11 5555 1234', '5491155551234'). "
    "Usá exactamente uno de phoneNumber, orderId o customerId."), is_required=False)
@app.mcp_tool_property(arg_name="orderId", description="Número de orden/ticket (ReparacionId).",
                       property_type=INTEGER, is_required=False)
@app.mcp_tool_property(arg_name="customerId", description="Id del cliente (ClienteId).", property_type=INTEGER,
                       is_required=False)
@app.mcp_tool_property(arg_name="limit", description="Cuántos mensajes, los más recientes (1-100, por defecto 20).",
                       property_type=INTEGER, is_required=False)
async def get_whatsapp_messages(phoneNumber: str = "", orderId: int = 0, customerId: int = 0,
                                limit: int = 20) -> str:
    """Read the stored WhatsApp messages of a customer: by phone number (any format staff type), by order id or
    by customer id. Returns {messages: [{id, at (UTC), from: "cliente"|"taller", type, text, media, replyTo,
    reaction, choice, delivery}], olderMessages}, oldest first. Use it to see what was actually said; for a
    quick overview prefer get_whatsapp_summary."""
    return await _tool(agent_tools.get_messages, phone_number=phoneNumber, order_id=orderId,
                       customer_id=customerId, limit=limit)


@app.mcp_tool()
@app.mcp_tool_property(arg_name="orderId", description="Número de orden/ticket (ReparacionId).",
                       property_type=INTEGER)
async def sync_whatsapp_messages(orderId: int) -> str:
    """Bring an order's WhatsApp conversation up to date: links the customer's stored messages to the order
    and writes a fresh summary when something is new. Returns {messagesReceived, lastSyncAt, summaryGenerated,
    summaryError, status}. Use it before get_whatsapp_summary when the summary may be stale."""
    return await _tool(agent_tools.sync_order, order_id=orderId)


@app.mcp_tool()
@app.mcp_tool_property(arg_name="orderId", description="Número de orden/ticket (ReparacionId).",
                       property_type=INTEGER)
async def get_whatsapp_summary(orderId: int) -> str:
    """The latest AI summary of an order's WhatsApp conversation ('WhatsApp Resumen') and what happened since.
    Returns {customer, summary: {text, createdAt, messageCount}, hasNewMessages, unlinkedMessages (messages of
    the customer no order holds yet: sync_whatsapp_messages takes them), lastSyncAt, canReplyFreely (the 24-hour
    window is open), replyWindowUntil, waMeUrl}. No summary yet means nothing was summarized."""
    return await _tool(agent_tools.get_summary, order_id=orderId)


@app.mcp_tool()
@app.mcp_tool_property(arg_name="limit", description="Cuántas órdenes como máximo (1-100, por defecto 20).",
                       property_type=INTEGER, is_required=False)
async def list_orders_awaiting_reply(limit: int = 20) -> str:
    """Who is waiting for us? Orders whose customer wrote last on WhatsApp and got no answer: first those whose
    24-hour window is open (canReplyFreely), soonest to close first, then those whose window closed (only
    templates), the most recent first, over the last 7 days. Returns {orders: [{orderId, customer,
    waitingSince (UTC), canReplyFreely, orderOpen, lastMessage}]}."""
    return await _tool(agent_tools.orders_awaiting_reply, limit=limit)


@app.mcp_tool()
@app.mcp_tool_property(arg_name="tab", description=(
    "Qué pestaña de la bandeja: unassigned (remitentes sin cliente), ambiguous (línea compartida por varios "
    "clientes), multiple_orders (mensajes de un cliente que ninguna orden tiene) o awaiting_reply (órdenes "
    "que esperan respuesta). Por defecto unassigned."), is_required=False)
@app.mcp_tool_property(arg_name="limit", description="Cuántos elementos como máximo (1-100, por defecto 20).",
                       property_type=INTEGER, is_required=False)
async def list_whatsapp_triage(tab: str = "", limit: int = 20) -> str:
    """What needs a person in the WhatsApp inbox: {counts: {unassigned, ambiguous, multipleOrders, awaitingReply,
    proposals}, tab, items, more}. Unassigned/ambiguous items carry a `sender` ("phone:..." or "bsuid:...") to use
    with propose_whatsapp_assignment; ambiguous ones list their candidate customers."""
    return await _tool(agent_tools.list_triage, tab=tab, limit=limit)


@app.mcp_tool()
@app.mcp_tool_property(arg_name="sender", description=(
    "El remitente tal como lo da list_whatsapp_triage («phone:...» o «bsuid:...»)."))
@app.mcp_tool_property(arg_name="customerId", description="Id del cliente (ClienteId) que creés que es.",
                       property_type=INTEGER, is_required=False)
@app.mcp_tool_property(arg_name="orderId", description="Orden (ReparacionId) a la que van sus mensajes, si sabés cuál.",
                       property_type=INTEGER, is_required=False)
@app.mcp_tool_property(arg_name="reason", description="Por qué lo proponés, en una frase para quien lo revise.",
                       is_required=False)
async def propose_whatsapp_assignment(sender: str, customerId: int = 0, orderId: int = 0, reason: str = "") -> str:
    """Propose that an unassigned or ambiguous WhatsApp sender is a customer (give customerId or one of their
    orderId). Nothing is linked: staff confirm or discard the proposal in the inbox. Returns {proposal: {id,
    status: "pending", ...}}; 409 when a person already assigned that sender."""
    return await _tool(agent_tools.propose_assignment, sender=sender, customer_id=customerId, order_id=orderId,
                       reason=reason)


# Start-up is over: keep the ~60,000 long-lived objects of the imports (libphonenumber,
# SQLAlchemy, the Azure SDK) out of every later full garbage collection, which otherwise
# pauses a request for about 15 ms (bench/bench_api.py showed it as sync outliers).
gc.freeze()


@app.event_grid_trigger(arg_name="event")
def ingest_whatsapp_event(event: func.EventGridEvent, context: func.Context) -> None:
    """Store one ACS Advanced Messaging event exactly once; raising asks Event Grid to redeliver."""
    observability.bind(context.invocation_id)
    ingest.ingest_event(event_parsing.envelope_of(event))
