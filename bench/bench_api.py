"""Staff API paths, in process, on the 1,000,000-message data set.

* listing: ``conversation.order_messages(order, 50)`` for random orders with at least 50
  messages; baseline: the same page read with one raw indexed ``SELECT`` (sqlite3).
  Goal: p99 <= 5 ms.
* sync: ``sync.sync_order`` of an order whose customer has 100 new unlinked messages,
  AI excluded; baseline: one raw ``UPDATE`` linking them and a ``COMMIT``.
  Goal: <= 20 ms. The first sync of a process (statement compilation) is reported apart.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time

from bench import dataset
from bench.common import Figure, percentile, raw, record, scratch_dir

LISTINGS = int(os.environ.get("BENCH_LISTINGS", "2000"))
SYNCS = int(os.environ.get("BENCH_SYNCS", "100"))
PAGE_SQL = ("SELECT m.Id, m.WhatsAppMessageId, m.Direction, m.MessageType, m.Content, m.WhatsAppTimestamp, "
            "m.ReceivedAt, m.MediaMimeType, m.MediaFileName, m.MediaCaption, m.ReplyToMessageId, m.ReactionEmoji, "
            "m.ReactionMessageId, m.ChoiceTitle, m.ChoicePayload, s.Status, s.StatusAt, s.ErrorCode, s.ErrorMessage "
            "FROM WhatsAppMessage m LEFT JOIN WhatsAppMessageStatus s ON m.Direction = 'outbound' AND "
            "s.WhatsAppMessageId = m.WhatsAppMessageId WHERE m.ReparacionId = ? "
            "ORDER BY m.WhatsAppTimestamp DESC, m.Id DESC LIMIT 51")


def main() -> None:
    with scratch_dir() as tmp:
        path = dataset.working_copy(tmp / "api.db")
        url = f"sqlite:///{path}"
        os.environ["DATABASE_URL"] = url
        import function_app  # noqa: F401 - the worker's start-up (logging, gc.freeze) as in production
        from shared import conversation, db, sync

        conn = raw(path)
        orders = [r[0] for r in conn.execute(
            "SELECT ReparacionId FROM WhatsAppMessage WHERE ReparacionId IS NOT NULL GROUP BY ReparacionId "
            "HAVING COUNT(*) >= 50")]
        rng = random.Random(5)
        picks = [rng.choice(orders) for _ in range(LISTINGS)]
        for order in picks[:100]:
            conversation.order_messages(order, 50, None, url)
        listing = []
        for order in picks:
            t = time.perf_counter()
            page = conversation.order_messages(order, 50, None, url)
            listing.append(time.perf_counter() - t)
            assert len(page["messages"]) == 50
        baseline = []
        for order in picks:
            t = time.perf_counter()
            rows = conn.execute(PAGE_SQL, (order,)).fetchall()
            baseline.append(time.perf_counter() - t)
            assert len(rows) == 51

        sync_orders = rng.sample(orders, SYNCS * 2 + 1)
        # the first sync in a process compiles its statements (once per worker): reported on its own
        cold = sync_with_new_messages(conn, url, sync_orders.pop(), sync.sync_order)
        syncs = [sync_with_new_messages(conn, url, order, sync.sync_order) for order in sync_orders[:SYNCS]]
        sync_base = [raw_link(conn, order) for order in sync_orders[SYNCS:]]
        conn.close()
        db.dispose_all()
    list_p99 = percentile(listing, 99) * 1e3
    record("api", [
        Figure("api", "list 50 messages p50", percentile(listing, 50) * 1e3, "ms"),
        Figure("api", "list 50 messages p99", list_p99, "ms", "<= 5 ms", list_p99 <= 5,
               baseline=percentile(baseline, 99) * 1e3, ratio=list_p99 / (percentile(baseline, 99) * 1e3)),
        Figure("api", "sync of 100 new messages p50", percentile(syncs, 50) * 1e3, "ms",
               baseline=percentile(sync_base, 50) * 1e3, ratio=percentile(syncs, 50) / percentile(sync_base, 50)),
        Figure("api", "sync of 100 new messages max", max(syncs) * 1e3, "ms", "<= 20 ms", max(syncs) * 1e3 <= 20,
               baseline=max(sync_base) * 1e3, ratio=max(syncs) / max(sync_base)),
        Figure("api", "first sync in a fresh process (once per worker)", cold * 1e3, "ms"),
    ], {"list 50": listing, "list 50 baseline": baseline, "sync 100": syncs, "sync 100 baseline": sync_base})


def _add_unlinked(conn: sqlite3.Connection, order: int, count: int = 100) -> str:
    """``count`` new messages from the order's customer, stored but not linked (as after ingest)."""
    key, e164 = conn.execute("SELECT PhoneKey, PhoneNumber FROM WhatsAppMessage WHERE ReparacionId = ? LIMIT 1",
                             (order,)).fetchone()
    now = "2027-01-01 10:00:00"
    conn.executemany(
        "INSERT INTO WhatsAppMessage (MessageKey, PhoneNumber, PhoneKey, MatchStatus, Direction, MessageType, "
        "Content, WhatsAppTimestamp, ReceivedAt, CreatedAt, RawTruncated) "
        "VALUES (?, ?, ?, 'matched', 'inbound', 'text', 'nuevo', ?, ?, ?, 0)",
        [(f"new:{order}:{i}", e164, key, now, now, now) for i in range(count)])
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")  # the set-up's pages are not the measured sync's work
    return str(key)


def sync_with_new_messages(conn: sqlite3.Connection, url: str, order: int, sync_order: object) -> float:
    _add_unlinked(conn, order)
    assert callable(sync_order)
    t = time.perf_counter()
    result = sync_order(order, url)
    elapsed = time.perf_counter() - t
    assert result["messagesReceived"] >= 100, result
    return elapsed


def raw_link(conn: sqlite3.Connection, order: int) -> float:
    key = _add_unlinked(conn, order)
    t = time.perf_counter()
    conn.execute("UPDATE WhatsAppMessage SET ReparacionId = ? WHERE PhoneKey = ? AND ReparacionId IS NULL",
                 (order, key))
    conn.commit()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
