"""The hostile phase of ``make chaos``: what an attacker or a clumsy operator sends, then the invariants.

Every delivery goes through azure-functions' own trigger converter and ``function_app``'s
function, as the worker runs them (CloudEvents bodies become ``func.CloudEvent``); what the
worker itself cannot decode (JSON nested past its recursion limit) is handed to ingestion
directly, as the runner would hand it. A delivery that raises is redelivered, as Event Grid
does. The phase sends:

* oversized events: a megabyte of text, a 100 KB caption;
* deeply nested JSON (40, 5,000 and 100,000 levels);
* batch items that are not objects (lists, strings, numbers, null), each on its own;
* CloudEvents 1.0 versions of ordinary messages and statuses;
* adversarial texts of WhatsApp's longest size (digit-and-dot runs and the like), then a
  summary of those conversations and the staff API's and the agent's reads of them;
* a database file that vanishes under the running app (and is put back).

Then: every acknowledged event is stored once or quarantined once, nothing was acknowledged
while the file was gone, stored text and payloads are within their limits, the API's page and
the tool's answer are within their byte budgets, and the longest any single request took is
reported.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from azure.functions import meta
from azure.functions.eventgrid import EventGridEventInConverter

from devkit import acs_events
from shared import agent_tools, config, conversation, db, envelopes, ingest, schema, summaries
from shared import event_parsing as events

JUAN = "5491155551234"
HOSTILE_UNITS = ["1.", "$1.", "1,", "9.9,", "ars 1.", "1 ", " " * 7 + "-", "12/", "3 de ", "¿1.?", "<\n>"]


class Phase:
    """Deliveries, their outcomes and the longest single request."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.outcomes: Counter[str] = Counter()
        self.acknowledged: list[dict[str, Any] | Any] = []
        self.longest = 0.0
        self.longest_what = ""
        import logging

        level = logging.getLogger("shared").level
        import function_app  # its start-up applies LOG_LEVEL: keep the caller's level

        logging.getLogger("shared").setLevel(level)
        self.function = function_app.ingest_whatsapp_event

    def timed(self, what: str, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return call()
        finally:
            took = time.perf_counter() - started
            if took > self.longest:
                self.longest, self.longest_what = took, what

    def deliver(self, what: str, body: Any, *, through_worker: bool = True, attempts: int = 20) -> str:
        """One event, redelivered while it raises (as Event Grid does); its final outcome."""
        for _ in range(attempts):
            try:
                if through_worker:
                    self.timed(what, lambda: self._through_worker(body))
                    outcome = "acknowledged"
                else:
                    outcome = self.timed(what, lambda: ingest.ingest_event(body, self.url).outcome)
            except db.DatabaseUnavailable:
                self.outcomes["redelivered"] += 1
                time.sleep(max(0.05, db.writes_paused_for(self.url)))
                continue
            self.outcomes[what] += 1
            self.acknowledged.append(body)
            return outcome
        raise AssertionError(f"{what}: never acknowledged")

    def _through_worker(self, body: Any) -> None:
        event = EventGridEventInConverter.decode(meta.Datum(json.dumps(body), "json"), trigger_metadata={})
        from localrunner.functions import InvocationContext

        self.function(event=event, context=InvocationContext("ingest_whatsapp_event"))


def _nested(depth: int) -> Any:
    value: Any = "x"
    for n in range(depth):
        value = [value] if n % 2 else {"k": value}
    return value


def _cloud(grid: dict[str, Any]) -> dict[str, Any]:
    return {"specversion": "1.0", "id": grid["id"], "source": grid["topic"], "subject": grid["subject"],
            "type": grid["eventType"], "time": grid["eventTime"], "datacontenttype": "application/json",
            "data": grid["data"]}


def run(url: str, order_id: int = 1) -> dict[str, object]:
    """The hostile phase against a migrated database with the demo data loaded."""
    phase = Phase(url)
    now = datetime.now(UTC)
    limit_raw = config.get_int("RAW_PAYLOAD_MAX_BYTES")

    # oversized
    phase.deliver("oversized text", acs_events.received(JUAN, content="ñ" * 1_000_000, when=now))
    phase.deliver("oversized caption", acs_events.received(JUAN, message_type="image", when=now, media={
        "id": "chaos-media", "mimeType": "image/jpeg", "caption": "c" * 100_000}))
    # deep JSON: 40 levels through the worker; past its recursion limit, straight to ingestion
    for depth in (40, 5_000, 100_000):
        event = acs_events.received(JUAN, content=f"hondo {depth}", when=now)
        event["data"]["extra"] = _nested(depth)
        phase.deliver("deep JSON", event, through_worker=depth < 500)
    # batch items that are not objects, each alone
    for item in ([], ["a", 1], "texto", 42, None, 1.5, True):
        phase.deliver("non-object item", item, through_worker=False)
    # CloudEvents
    sent_id = "wamid.chaos-cloud-out"
    for grid in (acs_events.received(JUAN, content="por CloudEvents", when=now),
                 acs_events.status(sent_id, "Delivered", to=JUAN, when=now),
                 acs_events.status(sent_id, "Read", to=JUAN, when=now)):
        phase.deliver("CloudEvents", _cloud(grid))
    # adversarial texts of WhatsApp's longest size, on the demo customer's order
    for n, unit in enumerate(HOSTILE_UNITS * 4):
        text = (unit * (events.TEXT_MAX_CHARS // len(unit) + 1))[:events.TEXT_MAX_CHARS]
        phase.deliver("adversarial text", acs_events.received(JUAN, content=text, when=now + timedelta(seconds=n)))

    # the database file vanishes under the running app; the operator puts it back
    path = sa.make_url(url).database or ""
    keep = path + ".kept"
    os.link(path, keep)
    os.remove(path)
    gone = [acs_events.received(JUAN, content=f"sin archivo {n}", when=now) for n in range(5)]
    refused = 0
    for event in gone:
        try:
            phase.timed("vanished file", lambda e=event: ingest.ingest_event(e, url))  # type: ignore[misc]
        except db.DatabaseUnavailable:
            refused += 1
    assert refused == len(gone), "an event was acknowledged while the database file was gone"
    os.replace(keep, path)  # the same file (same inode) is back: writes resume
    for event in gone:
        phase.deliver("redelivered after the file came back", event)

    # reads of what was stored: summary, the staff API's page, the agent's tool
    os.environ["SUMMARY_QUIET_MINUTES"] = "0"
    phase.timed("offline digest", lambda: summaries.summarize_order(order_id, url))
    page = phase.timed("API page of 200", lambda: conversation.order_messages(order_id, 200, None, url))
    tool = phase.timed("tool read of 100", lambda: agent_tools.get_messages(order_id=order_id, limit=100, url=url))
    page_bytes = len(json.dumps(page, ensure_ascii=False).encode())
    tool_bytes = len(json.dumps(tool, ensure_ascii=False, separators=(",", ":")).encode())

    assert page_bytes <= conversation.PAGE_BUDGET_BYTES and tool_bytes <= agent_tools.TOOL_BUDGET_BYTES
    counts = verify(url, phase, limit_raw)
    return {**counts, "hostile deliveries": sum(v for k, v in phase.outcomes.items() if k != "redelivered"),
            "redelivered": phase.outcomes["redelivered"], "refused while the file was gone": refused,
            "API page bytes": page_bytes, "tool answer bytes": tool_bytes,
            "longest request (s)": round(phase.longest, 3), "longest request was": phase.longest_what}


def verify(url: str, phase: Phase, limit_raw: int) -> dict[str, int]:
    """Every acknowledged event stored once or quarantined once; stored sizes within their limits."""
    m, q = schema.message, schema.quarantine

    def read(conn: sa.Connection) -> dict[str, Any]:
        return {
            "keys": conn.execute(sa.select(m.c.MessageKey)).scalars().all(),
            "longest text": conn.execute(sa.select(sa.func.max(sa.func.length(m.c.Content)))).scalar(),
            "longest caption": conn.execute(sa.select(sa.func.max(sa.func.length(m.c.MediaCaption)))).scalar(),
            "longest raw": conn.execute(sa.select(sa.func.max(sa.func.length(m.c.RawPayload)))).scalar(),
            "flagged": conn.execute(sa.select(sa.func.count()).where(m.c.TextTruncated.is_(True))).scalar_one(),
            "quarantine": conn.execute(sa.select(q.c.Reason, q.c.Payload)).all(),
        }

    found = db.read(read, url)
    assert len(found["keys"]) == len(set(found["keys"])), "a message stored twice"
    keys = set(found["keys"])
    expected_quarantine = 0
    for body in phase.acknowledged:
        try:
            parsed = events.parse(body)
        except events.MalformedEvent:
            expected_quarantine += 1
            continue
        if isinstance(parsed, events.ReceivedMessage):
            assert parsed.message_key in keys, "an acknowledged message is missing"
    reasons = Counter(r.Reason for r in found["quarantine"])
    assert reasons["el evento no es un objeto JSON"] >= 7 and reasons[
        f"JSON anidado a más de {envelopes.MAX_DEPTH} niveles"] >= 3, reasons
    assert len(found["quarantine"]) >= expected_quarantine
    assert all(len(r.Payload or "") <= limit_raw for r in found["quarantine"]), "a quarantined payload over the limit"
    assert found["longest text"] <= events.TEXT_MAX_CHARS and found["longest caption"] <= events.CAPTION_MAX_CHARS
    assert found["longest raw"] <= limit_raw
    assert found["flagged"] >= 2, "cut text not flagged"
    return {"hostile quarantined": len(found["quarantine"]), "cut and flagged": found["flagged"]}
