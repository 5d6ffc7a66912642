"""``make chaos``: replay Event Grid traffic against injected database faults, then check the invariants.

50,000 deliveries (30% duplicates, shuffled, 2% malformed, statuses out of order) from 4
concurrent workers, while connections drop mid-transaction and another process holds the
write lock; every delivery that raised is redelivered, as Event Grid does. Then: nothing
lost, nothing duplicated, every status at its furthest value, every malformed event
quarantined. Prints the counts. ``python -m bench.chaos [EVENTS [SECONDS_BETWEEN_LOCKS]]``.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time

from devkit import demo
from devkit.replay import injected_faults, record_outbound, replay, scenario, verify
from shared import db, migrate


def run(events: int, drop_rate: float = 0.01, lock_every: float = 1.5) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="fs-chaos-") as tmp:
        url = f"sqlite:///{tmp}/chaos.db"
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("DB_RETRY_SECONDS", "1")
        migrate.migrate(url)
        demo.load(url)
        senders = [demo.demo_phone(name) for name in ("Juan", "María", "Lucía", "Valentina", "Camila")]
        sc = scenario(events, duplicates=0.3, malformed=0.02, seed=2026, senders=senders + [
            f"54911{n:08d}" for n in range(40)])
        record_outbound(url, sc.outbound_before)
        started = time.perf_counter()
        # locks of up to 4 s outlast the busy timeout (2 s) plus the retry budget (1 s): redeliveries
        with injected_faults(url, drop_rate=drop_rate, lock_every=lock_every, lock_for=(0.2, 4.0)) as faults:
            stats = replay(url, sc.events, workers=4, max_attempts=100)
        elapsed = time.perf_counter() - started
        record_outbound(url, sc.outbound_after)
        if stats.errors:
            raise AssertionError(f"{len(stats.errors)} deliveries crashed: {stats.errors[:3]}")
        demo_keys, demo_statuses = demo_expectations(url, sc.message_keys)
        sc.message_keys |= demo_keys
        sc.furthest |= demo_statuses
        counts = verify(url, sc)
        db.dispose_all()
    return {"deliveries": len(sc.events), "attempts": stats.deliveries, "redeliveries": stats.redeliveries,
            "connections dropped": faults.dropped, "lock episodes": faults.locks,
            "seconds locked": round(faults.locked_seconds, 1), **dict(stats.outcomes), **counts,
            "seconds": round(elapsed, 1)}


def demo_expectations(url: str, replayed: set[str]) -> tuple[set[str], dict[str, str]]:
    """The demo data's own messages and statuses (loaded before the replay)."""
    import sqlalchemy as sa

    from shared import schema

    m = schema.message
    keys = set(db.read(lambda c: c.execute(sa.select(m.c.MessageKey).where(
        m.c.Direction == "inbound", ~m.c.MessageKey.in_(replayed))).scalars().all(), url))
    return keys, {"demo-out-juan-1": "read", "demo-out-maria-1": "delivered", "demo-out-valentina-1": "failed"}


def run_hostile() -> dict[str, object]:
    """The hostile phase (``bench/chaos_hostile.py``) on a database of its own with the demo data."""
    from bench import chaos_hostile

    with tempfile.TemporaryDirectory(prefix="fs-chaos-hostile-") as tmp:
        url = f"sqlite:///{tmp}/hostile.db"
        os.environ["DATABASE_URL"] = url
        migrate.migrate(url)
        demo.load(url)
        try:
            return chaos_hostile.run(url)
        finally:
            db.dispose_all()


def _print(counts: dict[str, object]) -> None:
    width = max(len(k) for k in counts)
    for key, value in counts.items():
        print(f"  {key:<{width}}  {value}")


def main(argv: list[str]) -> int:
    events = int(argv[0]) if argv else 50_000
    lock_every = float(argv[1]) if len(argv) > 1 else 1.5
    logging.getLogger("shared").setLevel(logging.CRITICAL)  # quarantine and outage warnings are expected here
    counts = run(events, lock_every=lock_every)
    print("chaos replay: all invariants hold (nothing lost, nothing duplicated, statuses at their furthest, "
          "malformed events quarantined)")
    _print(counts)
    hostile = run_hostile()
    print("hostile phase: all invariants hold (every acknowledged event stored or quarantined once, none "
          "acknowledged while the database file was gone, stored sizes within their limits)")
    _print(hostile)
    from bench import chaos_send  # staff replies under ACS and database faults (issue 15)

    return chaos_send.main([])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
