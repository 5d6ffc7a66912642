"""MCP tools over streamable HTTP, with the official ``mcp`` client, against the local runner."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from tests.conftest import Runner, function

pytestmark = pytest.mark.e2e
TOOLS = {"get_whatsapp_messages", "sync_whatsapp_messages", "get_whatsapp_summary", "list_orders_awaiting_reply",
         "get_whatsapp_message", "propose_whatsapp_reply", "list_whatsapp_triage", "propose_whatsapp_assignment",
         "list_order_media"}


def with_session(runner: Runner, work: Callable[[ClientSession], Awaitable[Any]]) -> Any:
    """A session as FastService's agent opens one: with the ``mcp_extension`` system key."""
    async def main() -> Any:
        client = create_mcp_http_client(headers={"x-functions-key": runner.env["MCP_EXTENSION_KEY"]})
        url = f"{runner.base}/runtime/webhooks/mcp"
        async with client, streamable_http_client(url, http_client=client) as streams, \
                ClientSession(streams[0], streams[1]) as session:
            await session.initialize()
            return await work(session)
    return anyio.run(main)


def call(runner: Runner, tool: str, arguments: dict[str, Any]) -> tuple[bool, Any]:
    """(whether the tool answered an error, the answer's body or the error's detail)."""
    async def work(session: ClientSession) -> tuple[bool, Any]:
        result = await session.call_tool(tool, arguments)
        text = result.content[0].text  # type: ignore[union-attr]
        if result.is_error:  # the protocol's error: the host hides any reason behind a fixed text
            return True, text
        body = json.loads(text)
        return ("error" in body), (body["error"]["detail"] if "error" in body else body)
    return with_session(runner, work)  # type: ignore[no-any-return]


def test_tools_are_listed_with_descriptions_and_input_schemas(runner: Runner) -> None:
    async def work(session: ClientSession) -> Any:
        return (await session.list_tools()).tools
    tools = {t.name: t for t in with_session(runner, work)}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description and len(tool.description) > 80  # enough for a model to choose
        assert tool.input_schema["type"] == "object"
    assert tools["sync_whatsapp_messages"].input_schema["required"] == ["orderId"]
    assert tools["sync_whatsapp_messages"].input_schema["properties"]["orderId"]["type"] == "integer"
    assert tools["get_whatsapp_summary"].input_schema["required"] == ["orderId"]
    assert tools["get_whatsapp_messages"].input_schema["required"] == []
    assert set(tools["get_whatsapp_messages"].input_schema["properties"]) == {
        "phoneNumber", "orderId", "customerId", "limit"}
    assert tools["list_orders_awaiting_reply"].input_schema["required"] == []
    assert tools["list_whatsapp_triage"].input_schema["required"] == []
    assert tools["propose_whatsapp_assignment"].input_schema["required"] == ["sender"]


def test_triage_then_a_proposal_that_links_nothing_until_a_person_confirms(runner: Runner) -> None:
    error, body = call(runner, "list_whatsapp_triage", {"tab": "ambiguous"})
    assert not error and body["counts"]["ambiguous"] == len(body["items"]) >= 1
    (item,) = [i for i in body["items"] if "Ruiz" in i["lastMessage"]["text"]]
    first, _second = (c["customerId"] for c in item["candidates"])
    arguments = {"sender": item["sender"], "customerId": first, "reason": "Firma como Camila en otro chat"}
    error, proposed = call(runner, "propose_whatsapp_assignment", arguments)
    assert not error and proposed["proposal"]["status"] == "pending"
    error, again = call(runner, "propose_whatsapp_assignment", arguments)  # the same proposal, not a second
    assert not error and again["proposal"]["id"] == proposed["proposal"]["id"]
    error, after = call(runner, "list_whatsapp_triage", {"tab": "ambiguous"})
    (still,) = [i for i in after["items"] if i["sender"] == item["sender"]]  # nothing was linked
    assert [p["id"] for p in still["proposals"]] == [proposed["proposal"]["id"]]
    error, text = call(runner, "propose_whatsapp_assignment", {"sender": "+54 11 5555", "customerId": first})
    assert error and "phone:<número>" in text


@pytest.mark.parametrize("selector", [{"phoneNumber": "11-5555-1234"}, {"phoneNumber": "+54 9 11 5555 1234"},
                                      {"orderId": 1}, {"customerId": 1}])
def test_get_messages_by_any_phone_format_order_or_customer(runner: Runner, selector: dict[str, Any]) -> None:
    error, body = call(runner, "get_whatsapp_messages", {**selector, "limit": 3})
    assert not error
    assert len(body["messages"]) == 3 and body["olderMessages"] is True
    assert {m["from"] for m in body["messages"]} <= {"cliente", "taller"}
    assert all(v is not None for m in body["messages"] for v in m.values())  # compact: no nulls


def test_sync_then_summary(runner: Runner) -> None:
    error, synced = call(runner, "sync_whatsapp_messages", {"orderId": 5})
    assert not error and synced["status"] == "success"
    error, summary = call(runner, "get_whatsapp_summary", {"orderId": 5})
    assert not error and summary["customer"] == "Lucía Fernández"
    assert summary["summary"]["text"].startswith("Resumen automático (sin IA)")
    assert summary["hasNewMessages"] is False


def test_order_media_lists_type_time_caption_and_state(runner: Runner) -> None:
    """Issue 16; this runner has no storage, so the demo's photo is still pending (no link yet)."""
    error, body = call(runner, "list_order_media", {"orderId": 1})
    assert not error
    [photo] = body["media"]
    assert photo["type"] == "image" and photo["from"] == "cliente" and photo["caption"] == "Así quedó la pantalla"
    assert photo["at"].endswith("Z") and photo["state"] == "pending" and "link" not in photo
    error, detail = call(runner, "list_order_media", {"orderId": 999})
    assert error and "No existe la orden 999" in detail


def test_orders_awaiting_reply_open_windows_first(runner: Runner) -> None:
    error, body = call(runner, "list_orders_awaiting_reply", {"limit": 10})
    assert not error
    waiting = [o["orderId"] for o in body["orders"]]
    assert 15 in waiting and 2 in waiting and 1 in waiting  # their customers wrote last
    assert 10 in waiting  # the shop wrote last to Valentina, but it failed (131047): she got no answer
    free = [o["waitingSince"] for o in body["orders"] if o["canReplyFreely"]]
    closed = [o["waitingSince"] for o in body["orders"] if not o["canReplyFreely"]]
    assert [o["canReplyFreely"] for o in body["orders"]] == [True] * len(free) + [False] * len(closed)
    assert free == sorted(free) and closed == sorted(closed, reverse=True)  # soonest to close; then freshest


@pytest.mark.parametrize(("tool", "arguments", "message"), [
    ("get_whatsapp_summary", {"orderId": 999}, "No existe la orden 999"),
    ("sync_whatsapp_messages", {"orderId": 11}, "no tiene un teléfono que WhatsApp pueda usar"),
    ("get_whatsapp_messages", {"phoneNumber": "no sé"}, "no es un número de teléfono válido"),
    ("get_whatsapp_messages", {}, "Indicá exactamente uno"),
    ("get_whatsapp_messages", {"orderId": 1, "limit": 500}, "limit debe ser un número entre 1 y 100"),
    ("get_whatsapp_messages", {"customerId": 999}, "No existe el cliente 999"),
    ("sync_whatsapp_messages", {"orderId": "uno"}, "debe ser un número de ticket"),
    ("get_whatsapp_messages", {"customerId": "uno"}, "customerId debe ser un número"),
    ("no_such_tool", {}, "Unknown tool"),
])
def test_errors_come_back_as_tool_errors_with_a_clear_message(runner: Runner, tool: str,
                                                                arguments: dict[str, Any], message: str) -> None:
    error, text = call(runner, tool, arguments)
    assert error and message in text


def test_tool_errors_are_answers_not_exceptions(demo_url: str) -> None:
    """The host replaces a raised exception's message with a fixed text: errors must be returned."""
    context = json.dumps({"arguments": {"orderId": 999}})
    body = json.loads(anyio.run(function("get_whatsapp_summary"), context))
    assert body == {"error": {"status": 404, "detail": "No existe la orden 999. Revisá el número de ticket."}}


def test_the_agent_proposes_a_reply_and_nothing_is_sent(runner: Runner) -> None:
    import httpx

    failed, made = call(runner, "propose_whatsapp_reply", {"orderId": 2, "text": "Hola María, sale el lunes."})
    assert not failed and made["state"] == "proposed" and made["kind"] == "text" and made["proposedBy"] == "agent"
    listed = httpx.get(f"{runner.base}/api/whatsapp/orders/2/proposals").json()["proposals"]
    assert made["id"] in [p["id"] for p in listed]
    sends = httpx.get(f"{runner.base}/api/whatsapp/orders/2/outbox").json()["sends"]
    assert all(s["proposalId"] != made["id"] for s in sends)  # proposing sends nothing
    failed, detail = call(runner, "propose_whatsapp_reply", {"orderId": 2, "templatePurpose": "inventado"})
    assert failed and "templatePurpose" in detail
