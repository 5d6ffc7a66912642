"""Privacy audit: with logging at INFO, no phone number or message text reaches any log record.

Runs a replay (messages, statuses, duplicates, malformed events), the staff API, summaries
and the agent tools, captures every record at INFO and above from every logger, and
searches them for every phone (in every form it was written) and every message text used.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

import pytest

from devkit import acs_events, demo
from devkit.demo import CUSTOMERS
from devkit.replay import record_outbound, replay, scenario
from shared import acs_client, agent_tools, chat_export, history_import, ingest, proposals, replies, summaries
from shared.errors import ApiError
from shared.staff import Staff
from tests.conftest import ROOT
from tests.test_api import messages, order, sync

pytestmark = pytest.mark.slow


def test_no_phone_or_message_text_in_logs_at_info(demo_url: str, caplog: pytest.LogCaptureFixture,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMMARY_QUIET_MINUTES", "0")
    caplog.set_level(logging.INFO)  # every logger, root included
    senders = [demo.demo_phone(n) for n in ("Juan", "María", "Lucía", "Valentina", "Camila")]
    sc = scenario(1500, seed=99, senders=[*senders, "5491187654321"])
    record_outbound(demo_url, sc.outbound_before)
    assert replay(demo_url, sc.events, workers=2).errors == []
    for order_id in (1, 2, 5, 10, 11, 999):
        sync(order_id), messages(order_id), order(order_id)
    summaries.run_batch(demo_url)
    agent_tools.get_messages(phone_number="11-5555-1234", url=demo_url)
    agent_tools.orders_awaiting_reply(url=demo_url)
    sent_texts = _staff_replies(demo_url)
    # history import: a good file twice, a failed customer match, a bad file (their texts are searched below)
    chat = ROOT / "tests" / "data" / "chat-exports" / "import" / "Chat de WhatsApp con +54 9 11 5555-1234.txt"
    for _ in range(2):
        history_import.import_export(chat.name, chat.read_bytes(), shop_participant="FastService", url=demo_url)
    with pytest.raises(ApiError):
        history_import.import_export("Chat de WhatsApp con +54 9 11 2222-3333.txt", chat.read_bytes(),
                                     shop_participant="FastService", url=demo_url)
    with pytest.raises(ApiError):
        history_import.preview("x.txt", b"\x00binario", url=demo_url)
    imported_texts = {m.text for m in chat_export.parse_bytes(chat.read_bytes()).messages if len(m.text) > 6}

    records = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(records) > 1000  # the audit saw real traffic
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in records)

    phones = set(senders) | {"5491187654321"}
    for event in sc.events:
        data = event.get("data")
        if isinstance(data, dict) and isinstance(data.get("from"), str) and data["from"]:
            phones.add(data["from"])
    for _nombre, _apellido, tel1, tel2 in CUSTOMERS:
        phones |= {t for t in (tel1, tel2) if t and any(c.isdigit() for c in t)}
    forms = set()
    for phone in phones:
        digits = re.sub(r"\D", "", phone)
        forms |= {phone, digits, digits[-8:], "+" + digits} if len(digits) >= 8 else {phone}
    leaked = sorted(f for f in forms if f and f in text)
    assert leaked == []

    texts = {event["data"]["content"] for event in sc.events
             if isinstance(event.get("data"), dict) and event["data"].get("content")}
    texts |= {e["data"]["content"] for e in demo.conversations(datetime.now(UTC)) if e["data"].get("content")}
    texts |= sent_texts | imported_texts | {"Juan Pérez"}  # the participant names staff see in the preview
    leaked_texts = sorted(t for t in texts if t in text)
    assert leaked_texts == []
    assert STAFF.id not in text and STAFF.name not in text  # staff identities are personal data too
    # Event ids are random GUIDs whose last group is sometimes 12 digits ("…-549084157413"): ids, not phones.
    unidentified = _GUID.sub("<guid>", text)
    assert not re.search(r"\b(?:\+?54)?9?\d{10}\b", unidentified), "something shaped like a phone number was logged"


STAFF = Staff("ana.gomez@fastservice.example", "Ana Gómez")


def _staff_replies(url: str) -> set[str]:
    """Replies sent, refused, unknown and reconciled, and an agent's proposal: the send path at INFO."""
    outcomes = iter([acs_client.Accepted("wamid.p1"), acs_client.Rejected("131026"), acs_client.Unknown("t"),
                     acs_client.RetryLater(0.01, 429), acs_client.Accepted("wamid.p2")])
    texts = {f"Hola María, tu notebook sale el lunes ({n})" for n in range(4)}
    for n, reply in enumerate(sorted(texts)):
        body = json.dumps({"clientRequestId": f"privacy-{n}", "text": reply}).encode()
        replies.send(2, replies.parse_send_body(body), STAFF, url, sender=lambda _row: next(outcomes))
    ingest.ingest_event(acs_events.status("wamid.reconciled", "Sent", to=demo.demo_phone("María")), url)
    draft = "Propuesta: María, ¿te viene bien el martes?"
    proposals.propose_from_agent(2, text=draft, url=url)
    return texts | {draft}


_GUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")


def test_the_shape_check_ignores_guids_but_not_phones() -> None:
    assert _GUID.sub("<guid>", "event 8d71a179-8665-42cd-9b7f-549084157413: stored") == "event <guid>: stored"
    assert re.search(r"\b(?:\+?54)?9?\d{10}\b", _GUID.sub("<guid>", "sender 5491155551234 wrote"))
