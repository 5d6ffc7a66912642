"""Media (issue 16): what keeping media costs the ingest path, how fast downloads go, and their memory.

* **Ingest with 20% media events vs without**: ``shared.ingest.ingest_event`` on a copy of the benchmark data
  set, rounds of 1,000 events alternating text-only with 20% media events (their ``WhatsAppMedia`` row is
  inserted in the message's transaction and the wake-up handed to the background sender, which sends it to
  Azurite's queue meanwhile). Goal: the p99 with media within noise of the p99 without (<= 1.25x), measured
  in the same run. Also the synchronous enqueue (one ``send_message`` to Azurite) that the background sender
  takes off the ingest path: why it is off.
* **Downloads per second** against the local ACS fake (real SDK, TLS, HMAC) into Azurite, at 0 ms and 200 ms
  of latency added by the fake to every request: :func:`shared.media.sweep` with 4 workers (the default), and
  as a baseline the plainest way: one SDK download + ``upload_blob`` after another, no database, no checks.
* **Peak memory while downloading a 16 MB video**: Python's allocation peak (``tracemalloc``) of
  :func:`shared.media.process` against the plainest way (``b"".join`` of the downloaded chunks, then
  ``upload_blob``). Goal: at most half the file.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench import dataset
from bench.common import Figure, percentile, record, scratch_dir

EVENTS = int(os.environ.get("BENCH_MEDIA_EVENTS", "4000"))
ROUND = 500
DOWNLOADS = int(os.environ.get("BENCH_MEDIA_DOWNLOADS", "120"))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 400  # ~100 KB
VIDEO = 16 * 1024 * 1024


def main() -> None:
    from devkit.fake_acs import running_fake
    from devkit.storage_emulator import running_azurite

    with scratch_dir() as tmp, running_azurite(tmp / "azurite") as azurite, running_fake() as fake:
        os.environ.update({"MEDIA_STORAGE": azurite.connection_string, "MEDIA_CONTAINER": "bench-media",
                           "MEDIA_QUEUE": "bench-wakeups", "LOG_LEVEL": "WARNING"})
        path = dataset.working_copy(tmp / "media.db")
        url = f"sqlite:///{path}"
        os.environ["DATABASE_URL"] = url
        from azure.communication.messages import NotificationMessagesClient

        import function_app  # noqa: F401 - the worker's start-up (logging, gc.freeze) as in production
        from shared import media_storage

        media_storage.reset_clients()
        media_storage.ensure_created()
        acs = NotificationMessagesClient.from_connection_string(  # type: ignore[attr-defined]
            fake.connection_string, connection_verify=str(fake.ca_path))
        ingest_figures, samples = ingest_cost(path, url, fake)
        download_figures = downloads(acs, fake, url)
        memory_figures = memory(acs, fake, url)
    record("media", [*ingest_figures, *download_figures, *memory_figures], samples)


def ingest_cost(path: Path, url: str, fake: Any) -> tuple[list[Figure], dict[str, list[float]]]:
    import sqlite3

    from devkit import acs_events
    from shared import ingest, media, media_storage

    conn = sqlite3.connect(path)
    known = [r[0] for r in conn.execute("SELECT E164 FROM WhatsAppCustomerPhone ORDER BY random() LIMIT 2000")]
    conn.close()
    rng = random.Random(16)
    media_id = fake.add_media(JPEG, "image/jpeg")

    def event(i: int, with_media: bool) -> dict[str, Any]:
        sender = rng.choice(known).lstrip("+")
        if with_media and rng.random() < 0.2:
            return acs_events.received(sender, message_type="image", message_id=f"wamid.media.{i}",
                                       media={"id": media_id, "mimeType": "image/jpeg", "caption": "foto"})
        return acs_events.received(sender, content=f"Hola, ¿cómo viene mi equipo? ({i})",
                                   message_id=f"wamid.text.{i}.{with_media}")

    for i in range(200):
        ingest.ingest_event(event(10**6 + i, True), url)
    plain: list[float] = []
    with_media: list[float] = []
    for start in range(0, EVENTS, ROUND):
        for flag, into in ((False, plain), (True, with_media)):
            batch = [event(start + i, flag) for i in range(ROUND)]
            for e in batch:
                t = time.perf_counter()
                ingest.ingest_event(e, url)
                into.append(time.perf_counter() - t)
    media.wakeups.flush(60)
    sync_send: list[float] = []
    for i in range(300):
        t = time.perf_counter()
        media_storage.send_wakeup(f'{{"mediaId": {i + 1}}}')
        sync_send.append(time.perf_counter() - t)
    p99_plain, p99_media = percentile(plain, 99) * 1e3, percentile(with_media, 99) * 1e3
    figures = [
        Figure("media", "ingest p50, 20% media events", percentile(with_media, 50) * 1e3, "ms",
               baseline=percentile(plain, 50) * 1e3, ratio=percentile(with_media, 50) / percentile(plain, 50)),
        Figure("media", "ingest p99, 20% media events", p99_media, "ms", "<= 1.25 x without media",
               p99_media <= 1.25 * p99_plain, baseline=p99_plain, ratio=p99_media / p99_plain),
        Figure("media", "wake-ups sent in the background", media.wakeups.sent, "messages"),
        Figure("media", "one synchronous enqueue (Azurite) p50", percentile(sync_send, 50) * 1e3, "ms"),
        Figure("media", "one synchronous enqueue (Azurite) p99", percentile(sync_send, 99) * 1e3, "ms"),
    ]
    return figures, {"ingest, 20% media": with_media, "ingest, text only": plain, "enqueue, synchronous": sync_send}


def _register(fake: Any, url: str, count: int, *, data: bytes, mime: str, kind: str, tag: str) -> list[int]:
    from devkit import acs_events
    from shared import ingest

    pks = []
    for i in range(count):
        media_id = fake.add_media(data, mime)
        result = ingest.ingest_event(acs_events.received(
            "5491100000002", message_type=kind, message_id=f"wamid.{tag}.{i}",
            media={"id": media_id, "mimeType": mime}), url)
        assert result.media_pk is not None
        pks.append(result.media_pk)
    return pks


def downloads(acs: Any, fake: Any, url: str) -> list[Figure]:
    from shared import media, media_storage

    media.sweep(client=acs, budget_seconds=600)  # the items the ingest measurement registered
    figures = []
    for latency in (0.0, 0.2):
        fake.set_latency(latency)
        label = f"{int(latency * 1000)} ms"
        ids = [fake.add_media(JPEG + bytes([n % 256]), "image/jpeg") for n in range(DOWNLOADS // 2)]
        container = media_storage.container()
        t = time.perf_counter()
        for n, media_id in enumerate(ids):  # the plainest way: download whole, upload, next
            container.upload_blob(f"baseline/{label}/{n}", b"".join(acs.download_media(media_id)), overwrite=True)
        base_rate = len(ids) / (time.perf_counter() - t)
        pks = _register(fake, url, DOWNLOADS, data=JPEG, mime="image/jpeg", kind="image",
                        tag=f"dl{int(latency * 1000)}")
        t = time.perf_counter()
        outcomes = media.sweep(client=acs, budget_seconds=600)
        rate = outcomes.get("stored", 0) / (time.perf_counter() - t)
        assert outcomes.get("stored") == len(pks), outcomes
        figures.append(Figure("media", f"downloads/s, fake at {label} (sweep, 4 workers)", rate, "items/s",
                              baseline=base_rate, ratio=rate / base_rate))
    fake.set_latency(0.0)
    return figures


def memory(acs: Any, fake: Any, url: str) -> list[Figure]:
    from shared import media, media_storage

    video = b"\x00\x00\x00\x18ftypmp42" + bytes(VIDEO - 16)
    [pk] = _register(fake, url, 1, data=video, mime="video/mp4", kind="video", tag="memory")
    tracemalloc.start()
    t = time.perf_counter()
    assert media.process(pk, client=acs) == "stored"
    seconds = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    media_id = fake.add_media(video, "video/mp4")
    with contextlib.suppress(Exception):
        media_storage.container().upload_blob("baseline/video", b"".join(acs.download_media(media_id)),
                                              overwrite=True)
    base_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    mib = 1024 * 1024
    return [
        Figure("media", "peak allocation downloading a 16 MiB video", peak / mib, "MiB", "<= 8 MiB (half the file)",
               peak <= VIDEO / 2, baseline=base_peak / mib, ratio=peak / base_peak),
        Figure("media", "16 MiB video downloaded and stored", seconds, "s"),
    ]


if __name__ == "__main__":
    main()
