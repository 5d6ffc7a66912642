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
    conditional,
    conversation,
    cors,
    envelopes,
    health,
    history_import,
    identity,
    inbox,
    ingest,
    notice_inbox,
    notifications,
    observability,
    order_view,
    outbox,
    proposals,
    replies,
    staff,
    summaries,
    sync,
    templates,
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


def _answer(req: func.HttpRequest, handler: Callable[[], Any], *, cacheable: bool = False) -> func.HttpResponse:
    """Run ``handler``; its result as JSON (``cacheable``: with an ETag, 304 when the poll has it), or its error
    as RFC 9457 problem details."""
    try:
        result = handler()
        if isinstance(result, func.HttpResponse):  # a route with its own answer (a file, a 201, a redirect)
            return result
        response = _json(result)
        if cacheable:
            tag = conditional.etag(response.get_body())
            headers = {"ETag": tag, "Cache-Control": "private, no-cache"}
            if conditional.not_modified(req.headers.get("if-none-match"), tag):
                return func.HttpResponse(status_code=304, headers=headers)
            response.headers.update(headers)
        return response
    except Exception as exc:
        error = _reported(exc, f"{req.method} {req.url.split('?')[0]}")
        headers = {"Retry-After": str(error.retry_after)} if isinstance(error, Unavailable) else {}
        if isinstance(error, staff.SignInRequired):
            headers["WWW-Authenticate"] = 'Bearer realm="fastservice-whatsapp"'

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


# Staff routes: the front end calls them with the staff member's Entra token, which the app validates
# itself (shared/staff.py; the Flex Consumption plan has no App Service Authentication); no function key
# in browser code, so their auth level is ANONYMOUS and staff.signed_in answers 401 without a valid token.
# They also take OPTIONS, the browser's CORS preflight (which carries no token), answered by shared/cors.py.
STAFF_ROUTE = func.AuthLevel.ANONYMOUS


def _staff_route(route: str, method: str) -> Callable[[Callable[..., Any]], Any]:
    """``app.route`` for a staff route: its method plus ``OPTIONS``, anonymous (the token is checked inside)."""
    return app.route(route=route, methods=[method, "OPTIONS"], auth_level=STAFF_ROUTE)


def _for_staff(req: func.HttpRequest, handler: Callable[[staff.Staff | None], Any], *,
               cacheable: bool = False) -> func.HttpResponse:
    """``_answer`` for a staff route: the preflight answered, 401 first when no staff member is signed in and
    sign-in is required, CORS headers for an allowed origin on every answer."""
    if req.method.upper() == "OPTIONS":
        return func.HttpResponse(status_code=204, headers=cors.preflight(req.headers))
    response = _answer(req, lambda: handler(staff.signed_in(req.headers)), cacheable=cacheable)
    response.headers.update(cors.granted(req.headers))
    return response


@_staff_route("whatsapp/sync", "POST")
def sync_whatsapp(req: func.HttpRequest) -> func.HttpResponse:
    """Link the order's customer's stored messages to the order; summarize when anything is new."""
    return _for_staff(req, lambda who: sync.sync_order(parse_order_id(req.params.get("orderId")),
                                                       request_summary=summaries.request_summary, staff=who))


@_staff_route("whatsapp/messages/{orderId}", "GET")
def list_whatsapp_messages(req: func.HttpRequest) -> func.HttpResponse:
    """The order's conversation, newest page first (``limit`` 1-200, ``before`` cursor); ETag / 304."""
    return _for_staff(req, lambda _who: conversation.order_messages(
        parse_order_id(req.route_params.get("orderId")),
        parse_limit(req.params.get("limit"), conversation.DEFAULT_LIMIT, conversation.MAX_LIMIT),
        req.params.get("before") or None), cacheable=True)


# --- issue 13: a long message read whole (a page shortens texts past conversation.PREVIEW_CHARS) ----

@_staff_route("whatsapp/messages/{orderId}/{messageId}", "GET")
def read_whatsapp_message(req: func.HttpRequest) -> func.HttpResponse:
    """One message of the order with its whole text."""
    return _for_staff(req, lambda _who: conversation.message_whole(
        parse_order_id(req.route_params.get("messageId"), "messageId", "id de mensaje"),
        parse_order_id(req.route_params.get("orderId"))))


@_staff_route("whatsapp/orders/{orderId}", "GET")
def order_whatsapp(req: func.HttpRequest) -> func.HttpResponse:
    """Customer, phone, wa.me link, latest summary and 24-hour window of an order; ETag / 304."""
    return _for_staff(req, lambda _who: order_view.order_whatsapp(parse_order_id(req.route_params.get("orderId"))),
                      cacheable=True)


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


@_staff_route("whatsapp/inbox", "GET")
def whatsapp_inbox(req: func.HttpRequest) -> func.HttpResponse:
    """One page of an inbox tab (``tab``, ``cursor``, ``limit`` 1-100)."""
    return _for_staff(req, lambda _who: inbox.listing(
        inbox.parse_tab(req.params.get("tab")), req.params.get("cursor") or None,
        parse_limit(req.params.get("limit"), inbox.DEFAULT_LIMIT, inbox.MAX_LIMIT)))


@_staff_route("whatsapp/inbox/counts", "GET")
def whatsapp_inbox_counts(req: func.HttpRequest) -> func.HttpResponse:
    """How many need a person, per tab (FastService's menu badge); ETag / 304."""
    return _for_staff(req, lambda _who: inbox.counts(), cacheable=True)


@_staff_route("whatsapp/inbox/messages", "GET")
def whatsapp_inbox_messages(req: func.HttpRequest) -> func.HttpResponse:
    """A sender's unassigned messages, or a customer's no order holds (``limit``, ``before``)."""
    return _for_staff(req, lambda _who: inbox.messages(
        _sender(req), _customer(req),
        parse_limit(req.params.get("limit"), conversation.DEFAULT_LIMIT, conversation.MAX_LIMIT),
        req.params.get("before") or None))


@_staff_route("whatsapp/inbox/decisions", "GET")
def whatsapp_inbox_decisions(req: func.HttpRequest) -> func.HttpResponse:
    """The decisions about a sender or a customer, newest first."""
    return _for_staff(req, lambda _who: triage.history(_sender(req), _customer(req)))


@_staff_route("whatsapp/inbox/assign", "POST")
def whatsapp_inbox_assign(req: func.HttpRequest) -> func.HttpResponse:
    """Assign a sender to a customer (``customerId``) or an order of theirs (``orderId``); 409 if decided."""
    return _for_staff(req, lambda who: triage.assign(
        triage.parse_sender(req.params.get("sender")), _customer(req),
        optional_order_id(req.params.get("orderId"), "orderId", "número de ticket"), who))


@_staff_route("whatsapp/inbox/move", "POST")
def whatsapp_inbox_move(req: func.HttpRequest) -> func.HttpResponse:
    """Move a customer's messages (``fromMessageId`` [to ``toMessageId``]) to one of their orders."""
    return _for_staff(req, lambda who: triage.move(
        parse_order_id(req.params.get("customerId"), "customerId", "número de cliente"),
        parse_order_id(req.params.get("orderId")),
        parse_big_id(req.params.get("fromMessageId"), "fromMessageId", "número de mensaje"),
        optional_big_id(req.params.get("toMessageId"), "toMessageId", "número de mensaje"), staff=who))


@_staff_route("whatsapp/inbox/decisions/{decisionId}/undo", "POST")
def whatsapp_inbox_undo(req: func.HttpRequest) -> func.HttpResponse:
    """Undo a decision: exactly what it linked and nothing later moved goes back."""
    return _for_staff(req, lambda who: triage.undo(
        parse_big_id(req.route_params.get("decisionId"), "decisionId", "número de decisión"), who))


@_staff_route("whatsapp/inbox/proposals/{proposalId}/confirm", "POST")
def whatsapp_inbox_confirm(req: func.HttpRequest) -> func.HttpResponse:
    """Confirm the agent's assignment proposal (the same as assigning)."""
    return _for_staff(req, lambda who: triage.confirm_proposal(
        parse_big_id(req.route_params.get("proposalId"), "proposalId", "número de propuesta"), who))


@_staff_route("whatsapp/inbox/proposals/{proposalId}/discard", "POST")
def whatsapp_inbox_discard(req: func.HttpRequest) -> func.HttpResponse:
    """Discard the agent's assignment proposal; nothing is linked."""
    return _for_staff(req, lambda who: triage.discard_proposal(
        parse_big_id(req.route_params.get("proposalId"), "proposalId", "número de propuesta"), who))


# --- history import from WhatsApp chat exports (issue 19) ----------------------------------------------

def _optional_id(req: func.HttpRequest, name: str, what: str) -> int | None:
    raw = req.params.get(name)
    return None if raw is None or not raw.strip() else parse_order_id(raw, name, what)


@_staff_route("whatsapp/imports/preview", "POST")
def preview_whatsapp_import(req: func.HttpRequest) -> func.HttpResponse:
    """What an uploaded chat export holds (participants, counts, dates) and whose chat it is; writes nothing."""
    return _for_staff(req, lambda _who: history_import.preview(
        req.params.get("fileName"), req.get_body(), order_id=_optional_id(req, "orderId", "número de ticket"),
        customer_id=_optional_id(req, "customerId", "número de cliente")))


@_staff_route("whatsapp/imports", "POST")
def import_whatsapp_history(req: func.HttpRequest) -> func.HttpResponse:
    """Import an uploaded chat export once, with the participant staff say is the shop (recorded with who)."""
    return _for_staff(req, lambda who: history_import.import_export(
        req.params.get("fileName"), req.get_body(), shop_participant=req.params.get("shopParticipant"),
        order_id=_optional_id(req, "orderId", "número de ticket"),
        customer_id=_optional_id(req, "customerId", "número de cliente"), staff=who))


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
    retry later...). That includes a missing argument: azure-functions' MCP wrapper passes
    only the arguments the call carries, as the model wrote them, so every tool parameter
    has a default (``None`` where the schema says required) and ``shared/`` answers "Falta
    el parámetro ..." instead of Python raising before this runs.
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
async def get_whatsapp_messages(phoneNumber: str | None = None, orderId: int | None = None,
                                customerId: int | None = None, limit: int | None = None) -> str:
    """Read the stored WhatsApp messages of a customer: by phone number (any format staff type), by order id or
    by customer id. Returns {messages: [{id, at (UTC), from: "cliente"|"taller", type, text, media, replyTo,
    reaction, choice, delivery}], olderMessages}, oldest first. Use it to see what was actually said; for a
    quick overview prefer get_whatsapp_summary."""
    return await _tool(agent_tools.get_messages, phone_number=phoneNumber, order_id=orderId,
                       customer_id=customerId, limit=limit)


@app.mcp_tool()
@app.mcp_tool_property(arg_name="orderId", description="Número de orden/ticket (ReparacionId).",
                       property_type=INTEGER, is_required=True)
async def sync_whatsapp_messages(orderId: int | None = None) -> str:
    """Bring an order's WhatsApp conversation up to date: links the customer's stored messages to the order
    and writes a fresh summary when something is new. Returns {messagesReceived, lastSyncAt, summaryGenerated,
    summaryError, status}. Use it before get_whatsapp_summary when the summary may be stale."""
    return await _tool(agent_tools.sync_order, order_id=orderId)


@app.mcp_tool()
@app.mcp_tool_property(arg_name="orderId", description="Número de orden/ticket (ReparacionId).",
                       property_type=INTEGER, is_required=True)
async def get_whatsapp_summary(orderId: int | None = None) -> str:
    """The latest AI summary of an order's WhatsApp conversation ('WhatsApp Resumen') and what happened since.
    Returns {customer, summary: {text, createdAt, messageCount}, hasNewMessages, unlinkedMessages (messages of
    the customer no order holds yet: sync_whatsapp_messages takes them), lastSyncAt, canReplyFreely (the 24-hour
    window is open), replyWindowUntil, waMeUrl}. No summary yet means nothing was summarized."""
    return await _tool(agent_tools.get_summary, order_id=orderId)


@app.mcp_tool()
@app.mcp_tool_property(arg_name="messageId", description="El id del mensaje (el campo id de get_whatsapp_messages).",
                       property_type=INTEGER, is_required=True)
async def get_whatsapp_message(messageId: int | None = None) -> str:
    """One stored WhatsApp message with its whole text. get_whatsapp_messages shows at most 500 characters of
    each text; a shortened one ends in "[recortado: ...]": ask for it here by its id. Returns {id, at, from,
    type, text, media, replyTo, reaction, choice, delivery, cutOnArrival (longer than WhatsApp allows: stored
    cut to 4,096 characters)}."""
    return await _tool(agent_tools.get_message, message_id=messageId)


@app.mcp_tool()
@app.mcp_tool_property(arg_name="limit", description="Cuántas órdenes como máximo (1-100, por defecto 20).",
                       property_type=INTEGER, is_required=False)
async def list_orders_awaiting_reply(limit: int | None = None) -> str:
    """Who is waiting for us? Orders whose customer wrote last on WhatsApp and got no answer: first those whose
    24-hour window is open (canReplyFreely), soonest to close first, then those whose window closed (only
    templates), the most recent first, over the last 7 days. Returns {orders: [{orderId, customer,
    waitingSince (UTC), canReplyFreely, orderOpen, lastMessage}]}."""
    return await _tool(agent_tools.orders_awaiting_reply, limit=limit)


# --- media (issue 16): downloads into Blob Storage, staff fetch and upload --------------------

@app.queue_trigger(arg_name="msg", queue_name="%MEDIA_QUEUE%", connection="MEDIA_STORAGE")
def download_media(msg: func.QueueMessage) -> None:
    """Download one media item into Blob Storage (a wake-up; the database row says what is due)."""
    from shared import media

    media_pk = media.parse_wakeup(msg.get_body().decode("utf-8", "replace"))
    if media_pk is None:
        log.warning("media queue message %s ignored: not a wake-up", msg.id)
        return
    media.process(media_pk)  # DatabaseUnavailable raises: the queue delivers it again


@app.timer_trigger(schedule="%MEDIA_SWEEP_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def sweep_media(timer: func.TimerRequest) -> None:
    """Download every due media item: lost wake-ups, retries, a backlog after an outage."""
    from shared import media

    media.sweep()


def _media_file(req: func.HttpRequest) -> func.HttpResponse:
    from shared import media

    found = media.fetch_for_staff(parse_order_id(req.route_params.get("mediaId"), "mediaId", "número de archivo"))
    if found.redirect is not None:
        return func.HttpResponse(status_code=302, headers={"Location": found.redirect, **found.headers})
    etag = found.headers.get("ETag")
    if etag and conditional.not_modified(req.headers.get("if-none-match"), etag):
        return func.HttpResponse(status_code=304, headers={k: v for k, v in found.headers.items()
                                                           if k in ("ETag", "Cache-Control")})
    return func.HttpResponse(found.body, status_code=200, headers=found.headers)


@_staff_route("whatsapp/media/{mediaId}", "GET")
def get_whatsapp_media(req: func.HttpRequest) -> func.HttpResponse:
    """A stored media file, with its verified type and safe headers (large ones: a minutes-long link)."""
    return _for_staff(req, lambda _who: _media_file(req))


@_staff_route("whatsapp/media", "POST")
def upload_whatsapp_media(req: func.HttpRequest) -> func.HttpResponse:
    """Store a photo or document staff will send (body = the file; ``Content-Type``; ``fileName``)."""
    from shared import media

    return _for_staff(req, lambda _who: _json(
        media.upload([req.get_body()], req.headers.get("content-type"), req.params.get("fileName")), 201))


# --- Staff replies through ACS (issue 15): send, templates, agent proposals, the outbox timer ---

def _send_for_staff(req: func.HttpRequest,
                    handler: Callable[[staff.Staff | None], tuple[Any, bool]]) -> func.HttpResponse:
    """``_for_staff`` for a send: 201 when it created the send, 200 when it is a repeat of one."""
    outcome: dict[str, bool] = {}

    def run(who: staff.Staff | None) -> Any:
        body, outcome["created"] = handler(who)
        return body

    response = _for_staff(req, run)
    if response.status_code == 200 and outcome.get("created"):
        response = func.HttpResponse(response.get_body(), status_code=201, headers=dict(response.headers),
                                     mimetype="application/json", charset="utf-8")
    return response


def _proposal_id(req: func.HttpRequest) -> int:
    return parse_order_id(req.route_params.get("proposalId"), "proposalId", "número de propuesta")


@_staff_route("whatsapp/orders/{orderId}/messages", "POST")
def send_whatsapp_reply(req: func.HttpRequest) -> func.HttpResponse:
    """Send a text (window open) or an approved template to the order's customer, exactly once."""
    return _send_for_staff(req, lambda who: replies.send(
        parse_order_id(req.route_params.get("orderId")), replies.parse_send_body(req.get_body()), who))


@_staff_route("whatsapp/orders/{orderId}/outbox", "GET")
def list_whatsapp_outbox(req: func.HttpRequest) -> func.HttpResponse:
    """The order's sends not yet in the conversation (sending, unknown, failed with their reason)."""
    return _for_staff(req, lambda _who: replies.order_outbox(parse_order_id(req.route_params.get("orderId"))))


@_staff_route("whatsapp/orders/{orderId}/templates", "GET")
def list_whatsapp_templates(req: func.HttpRequest) -> func.HttpResponse:
    """Approved templates filled for the order (preview, missing values) and the 24-hour window."""
    return _for_staff(req, lambda _who: replies.order_templates(parse_order_id(req.route_params.get("orderId"))))


@_staff_route("whatsapp/orders/{orderId}/proposals", "GET")
def list_whatsapp_proposals(req: func.HttpRequest) -> func.HttpResponse:
    """Replies the agent proposed for the order that nobody sent or discarded yet."""
    return _for_staff(req, lambda _who: proposals.pending(parse_order_id(req.route_params.get("orderId"))))


@_staff_route("whatsapp/orders/{orderId}/proposals/{proposalId}/send", "POST")
def send_whatsapp_proposal(req: func.HttpRequest) -> func.HttpResponse:
    """Send a proposal (optionally edited) through the same outbox path as a typed reply."""
    return _send_for_staff(req, lambda who: proposals.send(
        parse_order_id(req.route_params.get("orderId")), _proposal_id(req), proposals.parse_body(req.get_body()),
        who))


@_staff_route("whatsapp/orders/{orderId}/proposals/{proposalId}/discard", "POST")
def discard_whatsapp_proposal(req: func.HttpRequest) -> func.HttpResponse:
    """Discard a proposal: it is kept, marked, and never sent."""
    return _for_staff(req, lambda who: proposals.discard(
        parse_order_id(req.route_params.get("orderId")), _proposal_id(req), who))


@app.route(route="whatsapp/templates/sync", methods=["POST"], auth_level=func.AuthLevel.ADMIN)
def sync_whatsapp_templates(req: func.HttpRequest) -> func.HttpResponse:
    """Operators: refresh the template registry from ACS now."""
    return _answer(req, templates.sync_now)


@app.timer_trigger(schedule="%OUTBOX_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def drain_outbox(timer: func.TimerRequest) -> None:
    """Retry due sends; settle attempts whose worker died or whose outcome stayed unknown."""
    outbox.drain()


@app.timer_trigger(schedule="%TEMPLATE_SYNC_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def sync_templates(timer: func.TimerRequest) -> None:
    """Refresh the template registry from ACS (Meta approves, pauses and rejects templates on its own)."""
    templates.sync_on_timer()


@app.mcp_tool()
@app.mcp_tool_property(arg_name="orderId", description="Número de orden/ticket (ReparacionId).",
                       property_type=INTEGER)
@app.mcp_tool_property(arg_name="text", description=(
    "Borrador de respuesta (texto libre; solo se podrá enviar si el cliente escribió en las últimas 24 horas). "
    "Usá text o templatePurpose, no ambos."), is_required=False)
@app.mcp_tool_property(arg_name="templatePurpose", description=(
    "Plantilla aprobada a proponer: presupuestado, reparado, rechazado, recordatorio_retiro o saludo."),
    is_required=False)
async def propose_whatsapp_reply(orderId: int, text: str = "", templatePurpose: str = "") -> str:
    """Propose a WhatsApp reply for an order: a draft text or a template purpose. Nothing is sent: the proposal
    appears in the staff panel with Enviar / Editar / Descartar and a person decides. Returns {id, orderId,
    kind, text, templatePurpose, state}. Check get_whatsapp_summary first: when canReplyFreely is false only a
    template can be sent."""
    return await _tool(proposals.propose_from_agent, order_id=orderId, text=text, template_purpose=templatePurpose)


# --- Order notifications, consent and quote buttons (issue 18) -------------------------------------

@app.timer_trigger(schedule="%NOTIFY_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def notify_orders(timer: func.TimerRequest) -> None:
    """Notice FastService's status changes (polling, our own watermark) and send or offer what is due."""
    notifications.run()


@_staff_route("whatsapp/orders/{orderId}/notifications", "GET")
def list_whatsapp_notifications(req: func.HttpRequest) -> func.HttpResponse:
    """The customer's consent, the order's notifications (offered ones: one click) and its quote taps."""
    return _for_staff(req, lambda _who: notifications.order_panel(parse_order_id(req.route_params.get("orderId"))))


@_staff_route("whatsapp/orders/{orderId}/notifications/{notificationId}/send", "POST")
def send_whatsapp_notification(req: func.HttpRequest) -> func.HttpResponse:
    """Send an offered notification through the outbox, exactly once."""
    return _for_staff(req, lambda who: notifications.send_offered(
        parse_order_id(req.route_params.get("orderId")),
        parse_order_id(req.route_params.get("notificationId"), "notificationId", "número de aviso"), who))


@_staff_route("whatsapp/orders/{orderId}/notifications/{notificationId}/dismiss", "POST")
def dismiss_whatsapp_notification(req: func.HttpRequest) -> func.HttpResponse:
    """«No enviar»: an offered notification is skipped (who, when), exactly once; never offered again."""
    return _for_staff(req, lambda who: notifications.dismiss_offered(
        parse_order_id(req.route_params.get("orderId")),
        parse_order_id(req.route_params.get("notificationId"), "notificationId", "número de aviso"), who))


@_staff_route("whatsapp/inbox/notices", "GET")
def whatsapp_inbox_notices(req: func.HttpRequest) -> func.HttpResponse:
    """Offered notifications across orders, newest first (``cursor``, ``limit`` 1-100); ETag / 304."""
    return _for_staff(req, lambda _who: notice_inbox.offered(
        req.params.get("cursor") or None,
        parse_limit(req.params.get("limit"), notice_inbox.DEFAULT_LIMIT, notice_inbox.MAX_LIMIT)), cacheable=True)


@_staff_route("whatsapp/inbox/quote-taps", "GET")
def whatsapp_inbox_quote_taps(req: func.HttpRequest) -> func.HttpResponse:
    """Customers' taps on quote buttons across orders, newest first (``cursor``, ``limit``); ETag / 304."""
    return _for_staff(req, lambda _who: notice_inbox.quote_taps(
        req.params.get("cursor") or None,
        parse_limit(req.params.get("limit"), notice_inbox.DEFAULT_LIMIT, notice_inbox.MAX_LIMIT)), cacheable=True)


@_staff_route("whatsapp/orders/{orderId}/consent", "POST")
def record_whatsapp_consent(req: func.HttpRequest) -> func.HttpResponse:
    """Record the customer's opt-in or opt-out to notifications (who, when, how)."""
    return _for_staff(req, lambda who: notifications.record_consent(
        parse_order_id(req.route_params.get("orderId")), req.get_body(), who))


@app.mcp_tool()
@app.mcp_tool_property(arg_name="tab", description=(
    "Qué pestaña de la bandeja: unassigned (remitentes sin cliente), ambiguous (línea compartida por varios "
    "clientes), multiple_orders (mensajes de un cliente que ninguna orden tiene) o awaiting_reply (órdenes "
    "que esperan respuesta). Por defecto unassigned."), is_required=False)
@app.mcp_tool_property(arg_name="limit", description="Cuántos elementos como máximo (1-100, por defecto 20).",
                       property_type=INTEGER, is_required=False)
async def list_whatsapp_triage(tab: str | None = None, limit: int | None = None) -> str:
    """What needs a person in the WhatsApp inbox: {counts: {unassigned, ambiguous, multipleOrders, awaitingReply,
    proposals, notices (order notifications offered to staff: only a person sends them, in the panel or the
    inbox)}, tab, items, more}. Unassigned/ambiguous items carry a `sender` ("phone:..." or "bsuid:...") to use
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
async def propose_whatsapp_assignment(sender: str | None = None, customerId: int | None = None,
                                      orderId: int | None = None, reason: str | None = None) -> str:
    """Propose that an unassigned or ambiguous WhatsApp sender is a customer (give customerId or one of their
    orderId). Nothing is linked: staff confirm or discard the proposal in the inbox. Returns {proposal: {id,
    status: "pending", ...}}; 409 when a person already assigned that sender."""
    return await _tool(agent_tools.propose_assignment, sender=sender, customer_id=customerId, order_id=orderId,
                       reason=reason)


@app.mcp_tool()
@app.mcp_tool_property(arg_name="orderId", description="Número de orden/ticket (ReparacionId).",
                       property_type=INTEGER)
async def list_order_media(orderId: int) -> str:
    """The photos, voice notes, videos and documents of an order's WhatsApp conversation, newest first:
    {media: [{id, type, at (UTC), from: "cliente"|"taller", caption, fileName, state, contentType, size, link,
    linkExpiresInMinutes, reason}]}. `link` opens the file for a few minutes only; items not stored say why
    (`reason`)."""
    from shared import media

    return await _tool(media.order_media, order_id=orderId)


# Start-up is over: keep the ~60,000 long-lived objects of the imports (libphonenumber,
# SQLAlchemy, the Azure SDK) out of every later full garbage collection, which otherwise
# pauses a request for about 15 ms (bench/bench_api.py showed it as sync outliers).
gc.freeze()


@app.event_grid_trigger(arg_name="event")
def ingest_whatsapp_event(event: func.EventGridEvent, context: func.Context) -> None:
    """Store one ACS Advanced Messaging event exactly once; raising asks Event Grid to redeliver.

    ``event`` is a ``func.CloudEvent`` when the subscription delivers CloudEvents 1.0 (the worker's
    converter decides by the body, and the indexer accepts only one class as the annotation);
    ``envelopes.envelope_of`` reads both."""
    observability.bind(context.invocation_id)
    ingest.ingest_event(envelopes.envelope_of(event))
