"""Identifiers are exact (issue 13, item 10): no lossy cleaning, no case folding, and safe to log."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from devkit import acs_events
from shared import db, ingest, observability, schema
from shared import event_parsing as events

JUAN = "5491155551234"


def _keys(url: str) -> list[str]:
    m = schema.message
    return list(db.read(lambda c: c.execute(sa.select(m.c.MessageKey).order_by(m.c.Id)).scalars().all(), url))


def test_message_ids_differing_only_in_invalid_utf16_are_two_messages(db_url: str) -> None:
    first = acs_events.received(JUAN, content="uno", message_id="wamid.A\ud800")
    second = acs_events.received(JUAN, content="dos", message_id="wamid.A\udbff")
    assert [ingest.ingest_event(e, db_url).outcome for e in (first, second, first)] == ["stored", "stored",
                                                                                        "duplicate"]
    keys = _keys(db_url)
    assert len(set(keys)) == 2 and all(k.isascii() for k in keys)  # digests: every database stores them


def test_message_ids_differing_only_in_case_are_two_messages(db_url: str) -> None:
    for message_id in ("wamid.HBgLNTQ5", "wamid.hbglntq5", "wamid.HBgLNTQ5"):
        ingest.ingest_event(acs_events.received(JUAN, content="x", message_id=message_id), db_url)
    assert _keys(db_url) == ["msg:wamid.HBgLNTQ5", "msg:wamid.hbglntq5"]


def test_statuses_of_ids_differing_in_case_are_two_rows(db_url: str) -> None:
    for message_id in ("wamid.Out", "wamid.OUT"):
        ingest.ingest_event(acs_events.status(message_id, "Delivered", to=JUAN), db_url)
    st_ = schema.message_status
    ids = db.read(lambda c: c.execute(sa.select(st_.c.WhatsAppMessageId)).scalars().all(), db_url)
    assert sorted(ids) == ["wamid.OUT", "wamid.Out"]


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=120), st.text(min_size=1, max_size=120))
def test_distinct_ids_keep_distinct_identities(a: str, b: str) -> None:
    ia, ib = events._identifier(a), events._identifier(b)
    assert ia is not None and ib is not None
    assert (ia == ib) == (a == b)
    ia.encode("utf-8")  # storable anywhere


@pytest.mark.parametrize(("raw", "logged"), [
    ("abc-123", "abc-123"),
    ("id\nevent FAKE: stored", "idevent FAKE: stored"),  # no forged second log line
    ("\x1b[31mred\x1b[0m", "[31mred[0m"),  # no terminal escapes
    ("a\u202ebidi", "abidi"),  # no right-to-left override
    ("lone\ud800surrogate", "lonesurrogate"),
    (None, "-"),
    (12345, "12345"),
    ("e" * 80, "e" * 80),  # the longest kept whole (the fast path for printable ASCII)
    ("e" * 81, "e" * 79 + "…"),
])
def test_event_ids_are_logged_without_control_characters(raw: object, logged: str) -> None:
    assert observability.safe_id(raw) == logged


def test_event_ids_are_logged_bounded() -> None:
    logged = observability.safe_id("x" * 100_000)
    assert len(logged) == observability.LOGGED_ID_MAX and logged.endswith("…")


def test_a_hostile_event_id_reaches_the_log_as_one_line(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    hostile = "evt\r\n[cid=-] event 1: stored\x1b[2J" + "z" * 5000
    with caplog.at_level(logging.INFO, logger="shared"):
        ingest.ingest_event(acs_events.received(JUAN, content="hola", event_id=hostile), db_url)
        ingest.ingest_event({"id": hostile, "eventType": "nope", "data": {}}, db_url)  # quarantined
    records = [r.getMessage() for r in caplog.records]
    assert records and all("\n" not in r and "\r" not in r and "\x1b" not in r for r in records)
    assert all(len(r) < 400 for r in records)
