"""5,000 events: 30% duplicates, shuffled, 2% malformed, statuses out of order, 4 concurrent workers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from devkit import demo
from devkit.replay import record_outbound, replay, scenario, verify
from shared import db, schema
from shared.event_parsing import RECEIVED

pytestmark = pytest.mark.slow


def test_replay_stores_each_unique_message_once_with_furthest_statuses(demo_url: str) -> None:
    senders = ["5491155551234", "5491144445678", "5493515551234", "5491122223333", "5491199990000"]
    sc = scenario(5000, duplicates=0.3, malformed=0.02, seed=11, senders=senders)
    assert len(sc.events) == 5000
    record_outbound(demo_url, sc.outbound_before)
    stats = replay(demo_url, sc.events, workers=4)
    record_outbound(demo_url, sc.outbound_after)  # statuses arrived before these messages existed
    assert stats.errors == []
    db.dispose_all()
    demo_inbound = sum(e["eventType"] == RECEIVED for e in demo.conversations(datetime.now(UTC)))
    m = schema.message
    demo_keys = set(db.read(lambda c: c.execute(sa.select(m.c.MessageKey).where(
        m.c.Direction == "inbound", ~m.c.MessageKey.in_(sc.message_keys))).scalars().all(), demo_url))
    assert len(demo_keys) == demo_inbound == 15
    sc.message_keys |= demo_keys
    demo_statuses = {"demo-out-juan-1": "read", "demo-out-maria-1": "delivered", "demo-out-valentina-1": "failed"}
    sc.furthest |= demo_statuses
    counts = verify(demo_url, sc)
    assert counts["quarantined"] == 100
    assert stats.outcomes["duplicate"] + stats.outcomes["status_stale"] >= 1500 * 0.9
    assert counts["messages"] == len(sc.message_keys)
