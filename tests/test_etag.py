"""Polling is cheap: the conversation and the order view answer a strong ETag and 304 while nothing changed."""

from __future__ import annotations

from typing import Any

import azure.functions as func
import pytest
import sqlalchemy as sa

from devkit import acs_events
from shared import conditional, db, ingest, schema
from tests.conftest import function
from tests.test_api import JUAN, MARIA, write_summary

JUAN_ORDER = 1


def get(name: str, order_id: int, etag: str | None = None) -> func.HttpResponse:
    headers = {"If-None-Match": etag} if etag else {}
    req = func.HttpRequest(method="GET", url=f"http://localhost/api/whatsapp/{name}/{order_id}", params={},
                           route_params={"orderId": str(order_id)}, headers=headers, body=b"")
    response: func.HttpResponse = function({"messages": "list_whatsapp_messages",
                                            "orders": "order_whatsapp"}[name])(req)
    return response


def tags(order_id: int) -> dict[str, str]:
    found = {}
    for name in ("messages", "orders"):
        response = get(name, order_id)
        assert response.status_code == 200
        found[name] = response.headers["ETag"]
    return found


def order_of_message(url: str, whatsapp_message_id: str) -> int:
    m = schema.message
    return int(db.read(lambda c: c.execute(sa.select(m.c.ReparacionId).where(
        m.c.WhatsAppMessageId == whatsapp_message_id)).scalar_one(), url))


def test_same_answer_same_strong_etag_and_a_304_without_body(demo_url: str) -> None:
    for name in ("messages", "orders"):
        first = get(name, JUAN_ORDER)
        tag = first.headers["ETag"]
        assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")
        assert first.headers["Cache-Control"] == "private, no-cache"  # the browser asks every time
        assert get(name, JUAN_ORDER).headers["ETag"] == tag
        again = get(name, JUAN_ORDER, tag)
        assert again.status_code == 304 and again.get_body() == b"" and again.headers["ETag"] == tag
        assert get(name, JUAN_ORDER, f'"other", W/{tag}').status_code == 304  # a list; weak comparison
        assert get(name, JUAN_ORDER, "*").status_code == 304
        assert get(name, JUAN_ORDER, '"something-else"').status_code == 200


def test_a_new_message_changes_both(demo_url: str) -> None:
    before = tags(JUAN_ORDER)
    ingest.ingest_event(acs_events.received(JUAN, content="¿Ya está?"))
    after = tags(JUAN_ORDER)
    assert after["messages"] != before["messages"] and after["orders"] != before["orders"]


def test_a_status_change_changes_the_conversation(demo_url: str) -> None:
    maria_order = order_of_message(demo_url, "demo-out-maria-1")  # delivered in the demo data
    before = tags(maria_order)
    ingest.ingest_event(acs_events.status("demo-out-maria-1", "Read", to=MARIA))
    assert tags(maria_order)["messages"] != before["messages"]


def test_a_summary_changes_the_order_view(demo_url: str) -> None:
    before = tags(JUAN_ORDER)
    write_summary(demo_url, JUAN_ORDER, "Resumen nuevo")
    after = tags(JUAN_ORDER)
    assert after["orders"] != before["orders"]
    assert after["messages"] == before["messages"]  # the conversation itself did not change


def test_a_sync_changes_the_order_view(demo_url: str) -> None:
    before = tags(JUAN_ORDER)
    req = func.HttpRequest(method="POST", url="http://localhost/api/whatsapp/sync", params={"orderId": "1"},
                           route_params={}, body=b"")
    assert function("sync_whatsapp")(req).status_code == 200
    assert tags(JUAN_ORDER)["orders"] != before["orders"]  # lastSyncAt


def test_errors_carry_no_etag(demo_url: str) -> None:
    response = get("orders", 999)
    assert response.status_code == 404 and "ETag" not in response.headers


@pytest.mark.parametrize(("header", "matches"), [
    (None, False), ("", False), ('"abc"', True), ('W/"abc"', True), ('"x", "abc"', True), ("*", True),
    ('"abcd"', False), ("abc", False),
])
def test_if_none_match_parsing(header: Any, matches: bool) -> None:
    assert conditional.not_modified(header, '"abc"') is matches


def test_the_etag_is_a_digest_of_the_bytes() -> None:
    assert conditional.etag(b"a") == conditional.etag(b"a") != conditional.etag(b"b")
