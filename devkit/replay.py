"""Replaying Event Grid traffic: duplicates, shuffling, malformed events, concurrent workers.

Used by ``tests/test_replay.py`` (5,000 events), ``tests/test_chaos.py`` (a small chaos
run) and ``bench/chaos.py`` (``make chaos``: 50,000 events with injected database
faults). :func:`verify` checks the invariants: nothing lost, nothing duplicated, every
status at its furthest value, every malformed event quarantined.
"""

from __future__ import annotations

import contextlib
import copy
import queue
import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from devkit import acs_events
from shared import db, ingest, message_store, schema
from shared.event_parsing import RECEIVED, STATUS_RANK, DeliveryStatus, parse

STATUS_PATHS = (("Sent",), ("Sent", "Delivered"), ("Sent", "Delivered", "Read"), ("Sent", "Failed"),
                ("Delivered", "Read"))


@dataclass
class Scenario:
    events: list[dict[str, Any]]
    message_keys: set[str]
    furthest: dict[str, str]
    outbound_before: list[str]
    outbound_after: list[str]
    malformed: int


@dataclass
class ReplayStats:
    deliveries: int = 0
    redeliveries: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


def _malformed(rng: random.Random, i: int) -> dict[str, Any]:
    base = acs_events.received("5491100000000", content=f"roto {i}")
    kind = i % 6
    if kind == 0:
        base["data"] = f"no es un objeto {i}"
    elif kind == 1:
        base["data"]["channelType"] = "sms"
    elif kind == 2:
        base["data"]["from"] = ""
    elif kind == 3:
        base["eventType"] = "Microsoft.Storage.BlobCreated"
    elif kind == 4:
        base = acs_events.status(f"x-{i}", "Sent")
        del base["data"]["messageId"]
    else:
        base["id"] = None
    return base


def scenario(total: int, *, duplicates: float = 0.3, malformed: float = 0.02, seed: int = 7,
             senders: list[str] | None = None) -> Scenario:
    """``total`` deliveries: unique messages and statuses, then duplicates and malformed ones, shuffled."""
    rng = random.Random(seed)
    senders = senders or [f"54911{rng.randrange(10**8):08d}" for _ in range(50)]
    n_malformed = int(total * malformed)
    n_duplicates = int(total * duplicates)
    n_unique = total - n_malformed - n_duplicates
    n_status = n_unique // 7
    unique: list[dict[str, Any]] = []
    keys: set[str] = set()
    for i in range(n_unique - n_status):
        sender = rng.choice(senders)
        if rng.random() < 0.05:
            event = acs_events.received("", bsuid=f"AR.{rng.randrange(10**6)}", content=f"oculto {i}")
        else:
            event = acs_events.received(sender, content=f"mensaje {i}",
                                        message_id=f"wamid.{i}" if rng.random() < 0.5 else None)
        unique.append(event)
    furthest: dict[str, str] = {}
    outbound: list[str] = []
    statuses = 0
    while statuses < n_status:
        message_id = f"out-{len(outbound)}"
        outbound.append(message_id)
        path = rng.choice(STATUS_PATHS)[: n_status - statuses]
        statuses += len(path)
        furthest[message_id] = max(path, key=lambda s: STATUS_RANK[s.lower()]).lower()
        for state in path:
            error = ("131026", "Message Undeliverable.") if state == "Failed" else None
            unique.append(acs_events.status(message_id, state, to=rng.choice(senders), error=error))
    for event in unique:
        if event["eventType"] == RECEIVED:
            parsed = parse(event)
            assert not isinstance(parsed, DeliveryStatus)
            keys.add(parsed.message_key)
    events = unique + [copy.deepcopy(rng.choice(unique)) for _ in range(n_duplicates)]
    events += [_malformed(rng, i) for i in range(n_malformed)]
    rng.shuffle(events)
    half = len(outbound) // 2
    return Scenario(events, keys, furthest, outbound[:half], outbound[half:], n_malformed)


def record_outbound(url: str, message_ids: list[str]) -> None:
    def write(conn: sa.Connection) -> None:
        for message_id in message_ids:
            message_store.record_outbound(conn, message_id=message_id, phone_e164=None, phone_key=None,
                                          customer_id=None, order_id=None, content=f"respuesta {message_id}")
    db.write(write, url)


def replay(url: str, events: list[dict[str, Any]], workers: int = 4, max_attempts: int = 50) -> ReplayStats:
    """Deliver ``events`` from ``workers`` threads; a raised event is redelivered, as Event Grid does."""
    pending: queue.Queue[tuple[dict[str, Any], int]] = queue.Queue()
    for event in events:
        pending.put((event, 1))
    stats = ReplayStats()
    lock = threading.Lock()

    def work() -> None:
        while True:
            try:
                event, attempt = pending.get_nowait()
            except queue.Empty:
                return
            try:
                outcome = ingest.ingest_event(event, url).outcome
            except db.DatabaseUnavailable:
                outcome = None
                if attempt < max_attempts:
                    # Event Grid waits (10 s and more) before a redelivery; here at least until writes resume
                    time.sleep(db.writes_paused_for(url))
                    pending.put((event, attempt + 1))
            except Exception as exc:  # never expected: a crash Event Grid would see as 500 forever
                with lock:
                    stats.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                stats.deliveries += 1
                stats.redeliveries += attempt > 1
                if outcome:
                    stats.outcomes[outcome] += 1

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return stats


def verify(url: str, sc: Scenario) -> dict[str, int]:
    """Check the invariants; the counts found."""
    m, st, q = schema.message, schema.message_status, schema.quarantine

    def read(conn: sa.Connection) -> dict[str, Any]:
        return {
            "inbound": conn.execute(sa.select(m.c.MessageKey).where(m.c.Direction == "inbound")).scalars().all(),
            "rows": conn.execute(sa.select(sa.func.count()).select_from(m)).scalar_one(),
            "outbound": dict(conn.execute(sa.select(m.c.WhatsAppMessageId, m.c.MessageType)
                                          .where(m.c.Direction == "outbound")).all()),
            "distinct": conn.execute(sa.select(sa.func.count(sa.distinct(m.c.MessageKey)))).scalar_one(),
            "statuses": dict(conn.execute(sa.select(st.c.WhatsAppMessageId, st.c.Status)).all()),
            "quarantined": conn.execute(sa.select(sa.func.count()).select_from(q)).scalar_one(),
        }

    found = db.read(read, url)
    inbound = found["inbound"]
    assert len(inbound) == len(set(inbound)), "duplicate inbound messages"
    assert set(inbound) == sc.message_keys, (
        f"lost {len(sc.message_keys - set(inbound))}, unexpected {len(set(inbound) - sc.message_keys)}")
    assert found["rows"] == found["distinct"]
    wrong = {k: (v, found["statuses"].get(k)) for k, v in sc.furthest.items() if found["statuses"].get(k) != v}
    assert not wrong, f"{len(wrong)} statuses not at their furthest value, e.g. {list(wrong.items())[:3]}"
    assert found["quarantined"] == sc.malformed, f"quarantined {found['quarantined']} of {sc.malformed}"
    sent = set(sc.outbound_before + sc.outbound_after)
    assert sent <= set(found["outbound"]), "a message of the shop's that its statuses speak of is missing"
    assert message_store.UNRECORDED not in found["outbound"].values(), "a recorded message was left as unrecorded"
    return {"messages": len(inbound), "outbound": found["rows"] - len(inbound),
            "statuses": len(found["statuses"]), "quarantined": found["quarantined"]}


@dataclass
class Faults:
    """What :func:`injected_faults` did."""

    dropped: int = 0
    locks: int = 0
    locked_seconds: float = 0.0


@contextlib.contextmanager
def injected_faults(url: str, drop_rate: float = 0.01, lock_every: float = 1.0,
                    lock_for: tuple[float, float] = (0.1, 2.5), seed: int = 3) -> Iterator[Faults]:
    """Database faults while the block runs.

    * a connection dropped mid-transaction: with ``drop_rate`` chance, an INSERT (after the
      transaction's reads) finds its connection closed, so the whole transaction is lost;
    * a locked database: every ``lock_every`` seconds another connection holds the write lock
      for a random time in ``lock_for`` (past SQLite's 2 s busy timeout at the top of the range).
    """
    rng = random.Random(seed)
    faults = Faults()
    engine = db.engine(url)
    path = url.removeprefix("sqlite:///")
    stop = threading.Event()

    def drop(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT") and rng.random() < drop_rate:
            faults.dropped += 1
            conn.connection.dbapi_connection.close()
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")

    def lock() -> None:
        while not stop.wait(lock_every):
            holder = sqlite3.connect(path, timeout=10, isolation_level=None)
            try:
                holder.execute("BEGIN EXCLUSIVE")
                held = rng.uniform(*lock_for)
                faults.locks += 1
                faults.locked_seconds += held
                stop.wait(held)
                holder.execute("ROLLBACK")
            except sqlite3.OperationalError:
                pass
            finally:
                holder.close()

    sa.event.listen(engine, "before_cursor_execute", drop)
    locker = threading.Thread(target=lock, daemon=True)
    locker.start()
    try:
        yield faults
    finally:
        stop.set()
        locker.join()
        sa.event.remove(engine, "before_cursor_execute", drop)
