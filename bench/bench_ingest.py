"""Ingest path, in process, on SQLite with 100,000 customers and 1,000,000 stored messages.

Measures per-event latency (p50, p99) and throughput of ``shared.ingest.ingest_event``,
and in the same run a baseline: the rows ingest wrote, re-inserted with a raw ``sqlite3``
single-row INSERT and COMMIT each, into the same table of the same file with the app's
pragmas (WAL, synchronous=NORMAL): the same storage work done the plainest way. The two
alternate in rounds of 1,000 so that drift weighs on both alike.
Goals: p99 <= 2 ms, >= 2,000 events/s, throughput >= 0.3 x baseline.

Also ``refresh_phone_index``'s work (re-reading every customer's phones) and the first event
on an empty phone index, against one raw read of every customer's phones.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time

from bench import dataset
from bench.common import Figure, percentile, record, scratch_dir
from shared.db import SQLITE_PRAGMAS

EVENTS = int(os.environ.get("BENCH_INGEST_EVENTS", "5200"))
ROUND = 1000


def main() -> None:
    with scratch_dir() as tmp:
        path = dataset.working_copy(tmp / "ingest.db")
        url = f"sqlite:///{path}"
        os.environ["DATABASE_URL"] = url
        import function_app  # noqa: F401 - the worker's start-up (logging, gc.freeze) as in production
        from devkit import acs_events
        from shared import db, ingest

        rng = random.Random(3)
        conn = sqlite3.connect(path)
        known = [r[0] for r in conn.execute("SELECT E164 FROM WhatsAppCustomerPhone ORDER BY random() LIMIT 4000")]
        conn.close()
        events: list[dict[str, object]] = []
        for i in range(EVENTS):
            roll = rng.random()
            if roll < 0.05 and events:
                events.append(rng.choice(events))  # a redelivery
                continue
            sender = rng.choice(known).lstrip("+") if roll < 0.85 else f"54911{rng.randrange(10**8):08d}"
            events.append(acs_events.received(sender, content=f"Hola, ¿cómo viene mi equipo? ({i})",
                                              message_id=f"wamid.bench.{i}" if i % 2 else None))
        for warm in events[:200]:
            ingest.ingest_event(warm, url)
        # Rounds alternate the app and its baseline so that drift (page cache, WAL growth,
        # checkpoints) weighs on both alike; each baseline round re-inserts the rows the app's
        # round just wrote.
        latencies: list[float] = []
        base_lat: list[float] = []
        app_seconds = base_seconds = 0.0
        measured = events[200:]
        for start in range(0, len(measured), ROUND):
            conn = sqlite3.connect(path)
            first_id = conn.execute("SELECT MAX(Id) + 1 FROM WhatsAppMessage").fetchone()[0]
            conn.close()
            started = time.perf_counter()
            for event in measured[start:start + ROUND]:
                t = time.perf_counter()
                ingest.ingest_event(event, url)
                latencies.append(time.perf_counter() - t)
            app_seconds += time.perf_counter() - started
            round_lat, round_seconds = baseline(path, first_id)
            base_lat += round_lat
            base_seconds += round_seconds
        rate, base_rate = len(latencies) / app_seconds, len(base_lat) / base_seconds
        db.dispose_all()
        conn = sqlite3.connect(path)
        first_id = conn.execute("SELECT MIN(Id) FROM WhatsAppMessage WHERE MessageKey LIKE 'baseline:%'").fetchone()[0]
        conn.close()
        # SQLite's own defaults (rollback journal, an fsync per commit), for scale: 1,000 rows
        _, default_seconds = baseline(path, first_id, ("journal_mode=DELETE", "synchronous=FULL"), 1000)
        default_rate = 1000 / default_seconds
        refresh = phone_index(path, url)
    p99 = percentile(latencies, 99) * 1e3
    record("ingest", [
        Figure("ingest", "latency p50", percentile(latencies, 50) * 1e3, "ms"),
        Figure("ingest", "latency p99", p99, "ms", "<= 2 ms", p99 <= 2.0),
        Figure("ingest", "throughput", rate, "events/s", ">= 2,000/s", rate >= 2000),
        Figure("ingest", "throughput vs raw insert+commit", rate, "events/s", ">= 0.3 x baseline",
               rate >= 0.3 * base_rate, baseline=base_rate, ratio=rate / base_rate),
        Figure("ingest", "baseline latency p99", percentile(base_lat, 99) * 1e3, "ms"),
        Figure("ingest", "raw insert+commit, SQLite default pragmas", default_rate, "rows/s"),
        Figure("ingest", "refresh_phone_index, 100,000 customers, index up to date", refresh["warm"], "s",
               baseline=refresh["read"], ratio=refresh["warm"] / refresh["read"]),
        Figure("ingest", "refresh_phone_index, 100,000 customers, empty index", refresh["cold"], "s",
               baseline=refresh["read"], ratio=refresh["cold"] / refresh["read"]),
        Figure("ingest", "first event on an empty phone index (1,000 customers indexed)",
               refresh["first_event"] * 1e3, "ms"),
    ], {"ingest": latencies, "ingest baseline": base_lat})


def phone_index(path: object, url: str) -> dict[str, float]:
    """``refresh_phone_index``'s work over every customer, with the index up to date and empty
    (as after the first deployment), and the first event on an empty index; baseline: reading
    every customer's phones with one raw ``SELECT``."""
    from devkit import acs_events
    from shared import identity, ingest

    conn = sqlite3.connect(str(path))
    t = time.perf_counter()
    conn.execute("SELECT ClienteId, Telefono1, Telefono2 FROM Cliente").fetchall()
    read = time.perf_counter() - t
    t = time.perf_counter()
    identity.reindex_all(url)
    warm = time.perf_counter() - t
    conn.execute("DELETE FROM WhatsAppCustomerPhone")
    conn.execute("DELETE FROM WhatsAppState WHERE Name = ?", (identity.WATERMARK,))
    conn.commit()
    conn.close()
    t = time.perf_counter()
    ingest.ingest_event(acs_events.received("5491100000001", content="primer mensaje"), url)
    first_event = time.perf_counter() - t
    t = time.perf_counter()
    identity.reindex_all(url)
    cold = time.perf_counter() - t
    return {"read": read, "warm": warm, "cold": cold, "first_event": first_event}


def baseline(path: object, first_id: int, pragmas: tuple[str, ...] = SQLITE_PRAGMAS,
             limit: int | None = None) -> tuple[list[float], float]:
    """Latencies and total seconds."""
    """Raw sqlite3, same file: re-insert each row ingest wrote (same columns, same index entries,
    a new key) with one INSERT and one COMMIT per row, under ``pragmas`` (default: the app's)."""
    conn = sqlite3.connect(str(path))
    for pragma in pragmas:
        conn.execute(f"PRAGMA {pragma}")
    cursor = conn.execute("SELECT * FROM WhatsAppMessage WHERE Id >= ? ORDER BY Id", (first_id,))
    columns = [d[0] for d in cursor.description if d[0] != "Id"]
    rows = [dict(zip([d[0] for d in cursor.description], r, strict=True)) for r in cursor.fetchall()][:limit]
    insert = (f"INSERT INTO WhatsAppMessage ({', '.join(columns)}) "
              f"VALUES ({', '.join('?' for _ in columns)})")
    latencies = []
    started = time.perf_counter()
    for row in rows:
        values = [(f"baseline:{pragmas[0]}:" + row[c]) if c == "MessageKey" else row[c] for c in columns]
        t = time.perf_counter()
        conn.execute(insert, values)
        conn.commit()
        latencies.append(time.perf_counter() - t)
    seconds = time.perf_counter() - started
    conn.close()
    return latencies, seconds


if __name__ == "__main__":
    main()
