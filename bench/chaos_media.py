"""``make chaos``, media part (issue 16): media events under storage and ACS faults; every item ends stored
once, or failed/expired with its reason.

Media events (30% delivered twice, from 4 concurrent workers) are ingested while:

* Azurite (blob and queue) is stopped and started again, twice, mid-run (wake-ups are lost, uploads fail);
* the ACS fake answers bursts of 503 and 429 on the media route, and a share of the media ids expire (404);
* some files break the rules (a "photo" that is a web page) and must fail;
* workers "die" holding a lease (rows left ``downloading`` with an expired lease, as after a crash);

and the download side runs as in Azure: the ``download_media`` queue trigger through the local runner's
poller (real SDK against Azurite, poison after 5 deliveries) plus the ``sweep_media`` timer every second.
Then the invariants: one media row per media message; every row ``stored``, ``failed`` or ``expired``;
every stored row has exactly its blob, byte for byte the fake's (SHA-256) and of the recorded size; every
failed/expired row has a reason and no blob; no blob belongs to no stored row.
``python -m bench.chaos_media [ITEMS]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

LIFETIME_SECONDS = 90


def run(items: int) -> dict[str, Any]:  # noqa: PLR0915 - one scenario, read top to bottom
    from devkit.fake_acs import running_fake
    from devkit.storage_emulator import Azurite

    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="fs-chaos-media-"))
        fake = stack.enter_context(running_fake())
        azurite = Azurite(Path(tmp) / "azurite")
        azurite.start()
        stack.callback(azurite.stop)  # also when an invariant fails
        url = f"sqlite:///{tmp}/chaos.db"
        os.environ.update({
            "DATABASE_URL": url, "DB_RETRY_SECONDS": "1", "MEDIA_STORAGE": azurite.connection_string,
            "MEDIA_CONTAINER": "chaos-media", "MEDIA_QUEUE": "chaos-wakeups",
            "MEDIA_ID_LIFETIME_DAYS": str(LIFETIME_SECONDS / 86400), "MEDIA_RETRY_BASE_SECONDS": "0.5",
            "ACS_CONNECTION_STRING": fake.connection_string, "ACS_CA_BUNDLE": str(fake.ca_path),
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "ERROR")})
        import sqlalchemy as sa

        import function_app
        from devkit import acs_events, demo
        from localrunner import queues
        from localrunner.functions import invoke
        from localrunner.host import resolve_setting
        from shared import db, ingest, media, media_storage, migrate, schema

        migrate.migrate(url)
        demo.load(url)
        db.write(lambda conn: conn.execute(schema.media.delete()))  # the demo's media ids are not the fake's
        media_storage.reset_clients()
        media_storage.ensure_created()
        rng = random.Random(16)
        sources: dict[str, bytes] = {}
        events = []
        expected: dict[str, str] = {}
        for i in range(items):
            roll = rng.random()
            if roll < 0.08:  # a web page declared as a photo
                data, mime, kind, declared = b"<html>" + bytes([i % 256]) * 900, "image/jpeg", "image", None
                fate = "failed"
            else:
                # mostly small photos; a few over one 2 MiB block (staged in blocks, committed once)
                size = rng.choices([2_000, 60_000, 300_000, 4_500_000], weights=[40, 40, 15, 5])[0]
                data = b"\xff\xd8\xff\xe0" + rng.randbytes(size)
                mime, kind, declared, fate = "image/jpeg", "image", None, "stored"
            media_id = fake.add_media(data, mime)
            if fate == "stored" and roll > 0.93:
                fake.expire_media(media_id)
                fate = "expired"
            sources[media_id] = data
            expected[media_id] = fate
            event = acs_events.received(rng.choice([demo.demo_phone("Juan"), "5491100000003"]), message_type=kind,
                                        message_id=f"wamid.chaos.{i}",
                                        media={"id": media_id, "mimeType": declared or mime})
            events.append(event)
            if rng.random() < 0.3:
                events.append(event)  # an Event Grid redelivery
        rng.shuffle(events)

        stop = threading.Event()
        faults: Counter[str] = Counter()

        def burst() -> None:
            fake.fail_next(rng.choice(["503", "429"]), count=rng.randint(1, 4), route="media", retry_after=0)
            faults["acs fault bursts"] += 1

        def chaos() -> None:
            time.sleep(1.0)
            burst()  # ACS faults while the first downloads run, whatever the storage phase below lasts
            for _ in range(2):
                azurite.stop()
                faults["azurite stopped"] += 1
                time.sleep(rng.uniform(2.0, 4.0))
                azurite.start()
                time.sleep(rng.uniform(2.0, 4.0))
            while not stop.is_set():
                burst()
                crash = (schema.media.update().where(schema.media.c.State == "pending",
                                                     schema.media.c.Id % 17 == rng.randrange(17))
                         .values(State="downloading", LeaseToken="crashed", LeaseUntil=db.utcnow()))
                died = db.write(partial(_rowcount, crash))
                faults["leases of dead workers"] += died
                stop.wait(1.5)

        def deliver(event: dict[str, Any]) -> None:
            for _ in range(100):  # Event Grid redelivers what raised
                try:
                    ingest.ingest_event(event, url)
                    return
                except db.DatabaseUnavailable:
                    time.sleep(0.1)

        info = queues.function_info(function_app.download_media)

        async def pollers() -> None:
            tasks = [asyncio.create_task(queues.QueuePoller(info, invoke, resolve_setting).run()) for _ in range(2)]
            while not stop.is_set():
                await asyncio.sleep(0.2)
            for task in tasks:
                task.cancel()

        def sweeper() -> None:
            while not stop.is_set():
                try:
                    media.sweep(budget_seconds=5, concurrency=4)
                except Exception as exc:  # the timer run fails; the next one tries again
                    faults[f"sweep failed ({type(exc).__name__})"] += 1
                stop.wait(1.0)

        def open_items() -> int:
            m = schema.media
            return int(db.read(lambda conn: conn.execute(sa.select(sa.func.count()).select_from(m).where(
                m.c.State.in_(["pending", "downloading"]))).scalar() or 0))

        started = time.perf_counter()
        threads = [threading.Thread(target=chaos), threading.Thread(target=sweeper),
                   threading.Thread(target=lambda: asyncio.run(pollers()))]
        for t in threads:
            t.start()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(deliver, events))
        deadline = time.monotonic() + LIFETIME_SECONDS * 4
        while time.monotonic() < deadline:
            time.sleep(1.0)
            if open_items() == 0:
                break
        stop.set()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        azurite.stop()  # it was last started by the chaos thread, and dies with it: start it again from here
        azurite.start()
        media_storage.reset_clients()
        counts = verify(url, sources, expected, items)
        azurite.stop()
        db.dispose_all()
    return {**counts, **dict(faults), "wake-ups sent": media.wakeups.sent,
            "wake-ups dropped": media.wakeups.dropped, "seconds": round(elapsed, 1)}


def _rowcount(statement: Any, conn: Any) -> int:
    return int(conn.execute(statement).rowcount)


def verify(url: str, sources: dict[str, bytes], expected: dict[str, str], items: int) -> dict[str, int]:
    import sqlalchemy as sa

    from shared import db, media_storage, schema

    m, msg = schema.media, schema.message
    rows = db.read(lambda conn: conn.execute(sa.select(m, msg.c.MessageKey).join(msg, msg.c.Id == m.c.MessageId))
                   .all())
    assert len(rows) == items, f"{len(rows)} media rows for {items} media messages"
    assert len({r.MessageKey for r in rows}) == items, "a message has two media rows"
    blobs = {b.name: b.size for b in media_storage.container().list_blobs()}
    states: Counter[str] = Counter()
    for row in rows:
        fate = expected[row.AcsMediaId]
        states[f"{fate} -> {row.State}"] += 1
        assert row.State in ("stored", "failed", "expired"), f"media {row.Id} left {row.State}"
        if row.State == "stored":
            assert fate == "stored", f"media {row.Id} ({fate}) was stored"
            data = media_storage.read_all(row.BlobName, 10**8)
            assert hashlib.sha256(data).hexdigest() == hashlib.sha256(sources[row.AcsMediaId]).hexdigest(), row.Id
            assert row.SizeBytes == len(data) == blobs[row.BlobName]
        else:
            assert row.Reason, f"media {row.Id} {row.State} without a reason"
            assert row.BlobName not in blobs, f"media {row.Id} {row.State} but its blob exists"
            if fate == "expired":
                assert row.State == "expired" and "venció" in row.Reason, (row.Id, row.Reason)
            elif fate == "stored":  # a good file lost only when its retries ran past the id's lifetime
                assert row.State == "expired" and "intentos" in row.Reason, (row.Id, row.State, row.Reason)
    assert set(blobs) == {r.BlobName for r in rows if r.State == "stored"}, "a blob no stored row owns"
    return {"media items": items, **{f"{k}": v for k, v in sorted(states.items())}, "blobs": len(blobs)}


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.ERROR)
    items = int(argv[0]) if argv else 200
    counts = run(items)
    print("chaos media: all invariants hold (one row per media message; each stored once byte for byte, or "
          "failed/expired with its reason and no blob; no stray blob)")
    for name, value in counts.items():
        print(f"  {name:28} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
