"""Answers stay within their byte budgets, and a long message can still be read whole (issue 13, item 2)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest
import sqlalchemy as sa

from devkit import acs_events
from shared import agent_tools, conversation, db, ingest, schema
from shared import event_parsing as events
from tests.conftest import function

JUAN = "5491155551234"  # the demo's Juan Pérez: his messages go to order 1
ASTRAL = "𝔸"  # 4 bytes of UTF-8, 2 UTF-16 units: the most bytes per character


def fill(url: str, count: int, text: str, caption: str | None = None) -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    for n in range(count):
        if caption is None:
            event = acs_events.received(JUAN, content=f"{n}:{text}", when=start + timedelta(seconds=n))
        else:
            event = acs_events.received(JUAN, message_type="image", when=start + timedelta(seconds=n),
                                        media={"id": f"m{n}", "mimeType": "image/png", "caption": f"{n}:{caption}"},
                                        content=f"{n}:{text}")
        assert ingest.ingest_event(event, url).outcome == "stored"


def size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode())


def test_a_long_text_is_shortened_in_a_page_with_a_marker_and_read_whole_alone(demo_url: str) -> None:
    fill(demo_url, 1, "x" * (events.TEXT_MAX_CHARS - 2))  # "0:" + this: WhatsApp's longest text
    [newest] = conversation.order_messages(1, 1, None, demo_url)["messages"]
    assert len(newest["text"]) == conversation.PREVIEW_CHARS and newest["text"].endswith("…")
    assert newest["textShortened"] is True and newest["textCutOnArrival"] is False
    whole = conversation.message_whole(newest["id"], 1, demo_url)["message"]
    assert whole["text"] == "0:" + "x" * (events.TEXT_MAX_CHARS - 2) and whole["textShortened"] is False


def test_a_page_stays_within_its_budget_and_its_cursor_reaches_every_message(demo_url: str) -> None:
    fill(demo_url, 200, ASTRAL * 3000, caption=ASTRAL * events.CAPTION_MAX_CHARS)
    seen: list[int] = []
    cursor = None
    while True:
        page = conversation.order_messages(1, 200, cursor, demo_url)
        assert size(page) <= conversation.PAGE_BUDGET_BYTES
        seen = [m["id"] for m in page["messages"]] + seen
        cursor = page["nextCursor"]
        if cursor is None:
            break
    first = conversation.order_messages(1, 200, None, demo_url)
    assert 0 < len(first["messages"]) < 200  # the budget, not the limit, cut the first page
    m = schema.message
    total = db.read(lambda c: c.execute(sa.select(sa.func.count()).where(m.c.ReparacionId == 1)).scalar_one(),
                    demo_url)
    assert len(seen) == len(set(seen)) == total  # every message once, none skipped


def test_the_http_route_answers_the_whole_message(demo_url: str) -> None:
    import azure.functions as func

    fill(demo_url, 1, "y" * events.TEXT_MAX_CHARS)
    [newest] = conversation.order_messages(1, 1, None, demo_url)["messages"]
    request = func.HttpRequest("GET", f"http://x/api/whatsapp/messages/1/{newest['id']}", body=b"",
                               route_params={"orderId": "1", "messageId": str(newest["id"])})
    response = function("read_whatsapp_message")(request)
    body = json.loads(response.get_body())
    assert response.status_code == 200 and len(body["message"]["text"]) == events.TEXT_MAX_CHARS
    other = func.HttpRequest("GET", "http://x", body=b"", route_params={"orderId": "2", "messageId": str(newest["id"])})
    assert function("read_whatsapp_message")(other).status_code == 404  # not that order's message


def call(tool: str, **arguments: Any) -> dict[str, Any]:
    return json.loads(anyio.run(function(tool), json.dumps({"arguments": arguments})))  # type: ignore[no-any-return]


def test_a_tool_answer_stays_within_its_budget(demo_url: str) -> None:
    fill(demo_url, 100, ASTRAL * events.TEXT_MAX_CHARS, caption=ASTRAL * events.CAPTION_MAX_CHARS)
    answer = anyio.run(function("get_whatsapp_messages"), json.dumps({"arguments": {"orderId": 1, "limit": 100}}))
    assert len(answer.encode()) <= agent_tools.TOOL_BUDGET_BYTES
    body = json.loads(answer)
    assert body["olderMessages"] is True and body["messages"]
    newest = body["messages"][-1]
    assert newest["text"].endswith(agent_tools.SHORTENED)
    whole = call("get_whatsapp_message", messageId=newest["id"])
    assert whole["text"].startswith("99:") and len(whole["text"]) == events.TEXT_MAX_CHARS
    assert whole["cutOnArrival"] is True  # 3 + 4,096 characters arrived
    assert "[recortado" not in whole["text"]


@pytest.mark.parametrize("arguments", [{}, {"messageId": "x"}, {"messageId": 999_999}])
def test_get_message_errors_are_answers(demo_url: str, arguments: dict[str, Any]) -> None:
    body = call("get_whatsapp_message", **arguments)
    assert body["error"]["status"] in (400, 404) and body["error"]["detail"]
