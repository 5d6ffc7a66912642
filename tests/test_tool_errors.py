"""MCP tools answer every argument error as ``{"error": {...}}`` in Spanish (issue 13, item 9).

Called as the Functions worker calls them: azure-functions' MCP wrapper receives the host's
``context`` JSON and passes the call's arguments (only those present) to the function.
"""

from __future__ import annotations

import json
import re
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import function

TOOLS = ("get_whatsapp_messages", "sync_whatsapp_messages", "get_whatsapp_summary", "list_orders_awaiting_reply")
# what must never reach the agent: library or runtime names, versions, URLs, Python's own wording
_LEAKS = re.compile(r"python|sqlalchemy|pyodbc|sqlite|azure|traceback|exception|error:|typeerror|valueerror|"
                    r"https?://|\d+\.\d+\.\d+|argument|positional|NoneType|\bint\(\)", re.I)


def call(tool: str, arguments: Any) -> dict[str, Any]:
    context = json.dumps({"name": tool, "arguments": arguments})
    answer = anyio.run(function(tool), context)
    body = json.loads(answer)
    assert isinstance(body, dict)
    return body


def assert_spanish_error(body: dict[str, Any], status: int | None = None) -> str:
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"status", "detail"} and 400 <= error["status"] < 600
    if status is not None:
        assert error["status"] == status
    detail = error["detail"]
    assert not _LEAKS.search(detail), detail
    return str(detail)


@pytest.mark.parametrize("tool", ["sync_whatsapp_messages", "get_whatsapp_summary"])
def test_a_missing_required_argument_is_answered(demo_url: str, tool: str) -> None:
    for arguments in ({}, {"orderId": None}, {"orderid": 5}):  # absent, null, misspelled
        detail = assert_spanish_error(call(tool, arguments), 400)
        assert detail == "Falta el parámetro orderId (número de ticket)."


@pytest.mark.parametrize(("tool", "arguments", "says"), [
    ("sync_whatsapp_messages", {"orderId": [5]}, "orderId debe ser un número de ticket entero positivo"),
    ("sync_whatsapp_messages", {"orderId": {"id": 5}}, "orderId debe ser"),
    ("get_whatsapp_summary", {"orderId": True}, "orderId debe ser"),
    ("get_whatsapp_summary", {"orderId": 5.5}, "orderId debe ser"),
    ("get_whatsapp_summary", {"orderId": -3}, "orderId debe ser"),
    ("get_whatsapp_summary", {"orderId": 10**40}, "orderId debe ser"),
    ("get_whatsapp_summary", {"orderId": "1e3"}, "orderId debe ser"),
    ("get_whatsapp_messages", {"orderId": 1, "limit": "mucho"}, "limit debe ser un número entre 1 y 100"),
    ("get_whatsapp_messages", {"orderId": 1, "limit": [1]}, "limit debe ser"),
    ("get_whatsapp_messages", {"phoneNumber": ["11 5555 1234"]}, "phoneNumber no es un número de teléfono"),
    ("get_whatsapp_messages", {"phoneNumber": "1" * 100_000}, "phoneNumber no es un número de teléfono"),
    ("get_whatsapp_messages", {"phoneNumber": "１１ ５５５５ １２３４"}, "phoneNumber no es un número de teléfono"),
    ("get_whatsapp_messages", {"orderId": 1, "customerId": 1}, "Indicá exactamente uno"),
    ("list_orders_awaiting_reply", {"limit": 0}, "limit debe ser"),
    ("list_orders_awaiting_reply", {"limit": {"n": 1}}, "limit debe ser"),
])
def test_bad_arguments_are_answered_in_spanish(demo_url: str, tool: str, arguments: dict[str, Any],
                                               says: str) -> None:
    assert says in assert_spanish_error(call(tool, arguments), 400)


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                    max_size=3), max_leaves=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(TOOLS),
       st.dictionaries(st.sampled_from(["orderId", "customerId", "phoneNumber", "limit", "other"]), _JSON,
                       max_size=4))
def test_any_arguments_get_an_answer_or_a_spanish_error(demo_url: str, tool: str, arguments: dict[str, Any]) -> None:
    body = call(tool, arguments)
    if "error" in body:
        assert_spanish_error(body)
        assert body["error"]["status"] != 500, body  # bad input is the caller's error, never ours
