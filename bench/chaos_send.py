"""Sends under injected ACS and database faults: every requested send ends sent exactly once, or failed with a
reason. Part of ``make chaos``; ``python -m bench.chaos_send [SENDS]`` runs it alone.

Staff request ``SENDS`` replies from 4 threads, a third of them twice (a double click, a retried HTTP call),
while the local ACS fake answers one request in five with a fault (429, 503, a 400 with a Meta code, a
dropped answer after accepting, an answer later than the read timeout) and the database drops connections
mid-INSERT and gets locked by another process. A request that fails (503) is retried by its caller with the
same ``clientRequestId``. Then time passes as the timer sees it: ``drain_outbox`` retries what is due, turns
expired leases into ``unknown``, the fake's delivery statuses reconcile what they can, and what stays
unconfirmed past the reconcile window fails with its reason.

Invariants: one outbox row per requested send; every row ``sent`` or ``failed`` with a Spanish reason; the
fake accepted no message twice; every ``sent`` row is exactly one accepted message and the conversation holds
it once with its text; an accepted message whose row failed was left unconfirmed (never resent).
"""

from __future__ import annotations

import json
import logging
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

FAULTS = ("429", "503", "400", "drop", "delay")
CUSTOMERS = {"Juan": 1, "María": 2, "Lucía": 6, "Sofía": 8, "Camila": 12}
"""Demo customers who write just before the run (their windows open), and the order each is answered on."""


_SETTINGS = ("DATABASE_URL", "DB_RETRY_SECONDS", "ACS_SEND_TIMEOUT_SECONDS", "ACS_CONNECTION_STRING", "ACS_CA_BUNDLE",
             "WHATSAPP_CHANNEL_ID", "SEND_RECONCILE_MINUTES")


def run(sends: int = 300, fault_rate: float = 0.2, seed: int = 15) -> dict[str, object]:
    """The scenario (see the module's docstring); the settings it changes are put back afterwards (the test
    suite runs it in process)."""
    saved = {name: os.environ.get(name) for name in _SETTINGS}
    try:
        return _run(sends, fault_rate, seed)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        from shared import acs_client

        acs_client.reset()


def _run(sends: int, fault_rate: float, seed: int) -> dict[str, object]:  # noqa: PLR0915
    from devkit.fake_acs import running_fake
    from devkit.replay import injected_faults
    from devkit.webhook import Webhook

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="fs-chaos-send-") as tmp:
        url = f"sqlite:///{tmp}/chaos.db"
        os.environ.update({"DATABASE_URL": url, "DB_RETRY_SECONDS": "1", "ACS_SEND_TIMEOUT_SECONDS": "0.6"})
        from devkit import acs_events, demo
        from shared import acs_client, db, ingest, migrate, replies, schema
        from shared.db import DatabaseUnavailable
        from shared.staff import Staff

        migrate.migrate(url)
        demo.load(url)
        hook = Webhook(url)
        with running_fake(webhook_url=hook.url, status_delays=(0.05, 0.1, 0.2), honour_repeatability=False) as fake:
            os.environ.update({"ACS_CONNECTION_STRING": fake.connection_string, "ACS_CA_BUNDLE": str(fake.ca_path),
                               "WHATSAPP_CHANNEL_ID": fake.channel_id})
            acs_client.reset()
            for name in CUSTOMERS:
                phone = demo.demo_phone(name)
                ingest.ingest_event(acs_events.received(phone, content="Hola, ¿novedades?"), url)
                fake.inbound(phone)
            orders = list(CUSTOMERS.values())
            crids = [f"chaos-{i}" for i in range(sends)]
            requests = crids + [c for c in crids if rng.random() < 0.33]
            rng.shuffle(requests)
            lock = threading.Lock()
            counts: Counter[str] = Counter()

            def request(crid: str) -> None:
                body = json.dumps({"clientRequestId": crid, "text": f"Respuesta {crid}"}).encode()
                order = orders[int(crid.split("-")[1]) % len(orders)]
                for _ in range(50):  # the caller retries a 503 with the same clientRequestId
                    try:
                        replies.send(order, replies.parse_send_body(body), Staff("chaos", "Chaos"), url)
                        return
                    except DatabaseUnavailable:
                        with lock:
                            counts["503 to the caller"] += 1
                        time.sleep(0.05)
                raise AssertionError(f"{crid}: the database never came back")

            def worker(share: list[str]) -> None:
                for crid in share:
                    if rng.random() < fault_rate:
                        kind = rng.choice(FAULTS)
                        with lock:
                            counts[f"ACS fault {kind}"] += 1
                        fake.fail_next(kind, route="send", retry_after=0.05, code="131026", delay=1.0)
                    request(crid)

            started = time.perf_counter()
            with injected_faults(url, drop_rate=0.02, lock_every=0.7, lock_for=(0.1, 2.5)) as faults:
                threads = [threading.Thread(target=worker, args=(requests[i::4],)) for i in range(4)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            fake.state.faults.clear()
            _settle_everything(url, fake)
            elapsed = time.perf_counter() - started
            accepted = fake.messages()
            rows = db.read(lambda c: c.execute(sa.select(schema.outbox)).all(), url)
            stored = db.read(lambda c: c.execute(sa.select(schema.message.c.Content, schema.message.c.OutboxId)
                                                 .where(schema.message.c.OutboxId.is_not(None))).all(), url)
            result = verify(crids, rows, accepted, stored)
        hook.close()
        db.dispose_all()
        acs_client.reset()
    return {"requested": len(requests), "distinct sends": sends, **dict(counts),
            "connections dropped": faults.dropped, "lock episodes": faults.locks, **result,
            "seconds": round(elapsed, 1)}


SETTLE_SECONDS = 30.0
"""How long the timer may take to settle everything. Bounded by time, not by a count of passes: a delivery
status the fake could not post during a database fault is posted again up to 4.2 s later (its retries), and
until then the rows it confirms stay unknown; passes that take a few milliseconds ran out before it came."""


def _settle_everything(url: str, fake: Any) -> None:
    """Let time pass as the timer sees it until no row is pending, sending or unknown."""
    from shared import db, outbox, schema

    o = schema.outbox
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.05)
        db.write(lambda c: c.execute(o.update().where(o.c.State == "pending").values(NextAttemptAt=db.utcnow())), url)
        db.write(lambda c: c.execute(o.update().where(o.c.State == "sending").values(  # leases run out
            LeaseUntil=db.utcnow())), url)
        outbox.drain(url)
        open_states = db.read(lambda c: c.execute(sa.select(o.c.State, sa.func.count()).where(
            o.c.State.in_(("pending", "sending", "unknown"))).group_by(o.c.State)).all(), url)
        if not open_states:
            return
        if {s for s, _ in open_states} == {"unknown"} and fake.state.dispatcher.pending() == 0:
            time.sleep(0.5)  # the last statuses are in: what is still unknown is past confirming
            os.environ["SEND_RECONCILE_MINUTES"] = "0"
            outbox.drain(url)
            os.environ.pop("SEND_RECONCILE_MINUTES", None)
    raise AssertionError(f"sends did not settle: {dict(open_states)} still open, "
                         f"{fake.state.dispatcher.pending()} statuses undelivered")


def verify(crids: list[str], rows: Sequence[Any], accepted: Sequence[Any], stored: Sequence[Any]) -> dict[str, int]:
    by_crid = Counter(r.ClientRequestId for r in rows)
    assert set(by_crid) == set(crids) and max(by_crid.values()) == 1, "one outbox row per requested send"
    states = Counter(r.State for r in rows)
    assert set(states) <= {"sent", "failed"}, states
    assert all(r.Reason for r in rows if r.State == "failed"), "every failure says why"
    texts = Counter(m.body.get("content") for m in accepted)
    assert max(texts.values(), default=1) == 1, "a message went out twice"
    by_id = {m.message_id: m for m in accepted}
    sent = [r for r in rows if r.State == "sent"]
    assert all(r.MessageId in by_id and by_id[r.MessageId].body["content"] == r.Content for r in sent)
    assert len({r.MessageId for r in sent}) == len(sent)
    in_conversation = Counter(m.OutboxId for m in stored)
    assert set(in_conversation) == {r.Id for r in sent} and max(in_conversation.values(), default=1) == 1
    attributed = {r.MessageId for r in sent}
    unconfirmed = [m for m in accepted if m.message_id not in attributed]
    failed_texts = {r.Content for r in rows if r.State == "failed" and r.ErrorCode == "not_confirmed"}
    assert all(m.body["content"] in failed_texts for m in unconfirmed), "an accepted message lost its row"
    return {"sent": states["sent"], "failed": states["failed"],
            "failed, unconfirmed (left to a person)": len(failed_texts), "accepted by ACS": len(accepted)}


def main(argv: list[str]) -> int:
    logging.getLogger("shared").setLevel(logging.ERROR)
    counts = run(int(argv[0]) if argv else 300)
    width = max(len(k) for k in counts)
    print("send chaos: every requested send ended sent exactly once or failed with a reason; none went out twice")
    for key, value in counts.items():
        print(f"  {key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
