"""Summaries: the offline digest, and a timer batch against a model answering in 200 ms.

* digest: ``offline_digest`` of 100 messages, 1,000 times; baseline: joining the same 100
  texts into one string (the plainest "digest"). Goal: <= 10 ms.
* batch: ``summaries.run_batch`` over 500 conversations (10 messages each) with a local
  OpenAI-compatible server answering every request after 200 ms, at the default
  ``SUMMARY_CONCURRENCY``; baseline: the same work one conversation at a time, measured
  on 50 conversations. Goal: the 500 in <= 60 s.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from datetime import datetime, timedelta
from pathlib import Path

from bench.common import Figure, percentile, record, scratch_dir
from bench.dataset import INBOUND, OUTBOUND
from devkit.fake_openai import Answer, running
from shared.summary_text import Line, offline_digest

CONVERSATIONS = int(os.environ.get("BENCH_SUMMARY_CONVERSATIONS", "500"))


def digest_figures() -> tuple[list[Figure], dict[str, list[float]]]:
    rng = random.Random(9)
    start = datetime(2026, 5, 1, 9)
    lines = [Line("inbound" if i % 3 else "outbound", rng.choice(INBOUND if i % 3 else OUTBOUND),
                  start + timedelta(minutes=7 * i)) for i in range(100)]
    samples, plain = [], []
    for _ in range(1000):
        t = time.perf_counter()
        offline_digest(lines, 1000)
        samples.append(time.perf_counter() - t)
        t = time.perf_counter()
        " ".join(line.text for line in lines)[:1000]
        plain.append(time.perf_counter() - t)
    p99 = percentile(samples, 99) * 1e3
    return ([Figure("summaries", "offline digest of 100 messages p99", p99, "ms", "<= 10 ms", p99 <= 10,
                    baseline=percentile(plain, 99) * 1e3, ratio=p99 / (percentile(plain, 99) * 1e3))],
            {"digest 100": samples})


def conversations(path: Path, count: int, first_order: int = 1) -> None:
    """``count`` customers, each with one open order and 10 linked messages received an hour ago."""
    conn = sqlite3.connect(str(path))
    received = (datetime.now() - timedelta(hours=1)).isoformat(sep=" ")
    conn.execute("INSERT OR IGNORE INTO EstadoReparacion (EstadoReparacionId, Nombre) VALUES (1, 'Ingresado')")
    for n in range(first_order, first_order + count):
        conn.execute("INSERT INTO Cliente (ClienteId, Nombre, Apellido, Telefono1, Direccion) "
                     "VALUES (?, 'Cliente', 'Bench', ?, 'x')", (n, f"11 5{n:03d}-{n % 10000:04d}"))
        conn.execute("INSERT INTO Reparacion (ReparacionId, ClienteId, EmpleadoAsignadoId, TecnicoAsignadoId, "
                     "EstadoReparacionId, MarcaId, TipoDispositivoId, CreadoEn, ModificadoEn) "
                     "VALUES (?, ?, 1, 1, 1, 1, 1, ?, ?)", (n, n, received, received))
        conn.executemany(
            "INSERT INTO WhatsAppMessage (MessageKey, ReparacionId, ClienteId, MatchStatus, Direction, MessageType, "
            "Content, WhatsAppTimestamp, ReceivedAt, CreatedAt, RawTruncated) "
            "VALUES (?, ?, ?, 'matched', ?, 'text', ?, ?, ?, ?, 0)",
            [(f"s:{n}:{i}", n, n, "inbound" if i % 2 else "outbound", INBOUND[i % len(INBOUND)], received,
              received, received) for i in range(10)])
    conn.commit()
    conn.close()


def batch_figures(tmp: Path) -> tuple[list[Figure], dict[str, list[float]]]:
    from shared import db, migrate, summaries

    url = f"sqlite:///{tmp / 'summaries.db'}"
    os.environ["DATABASE_URL"] = url
    migrate.migrate(url)
    conversations(tmp / "summaries.db", CONVERSATIONS)
    with running() as fake:
        fake.behave = lambda _r: Answer(text="El cliente pregunta por su equipo; el taller responde.", delay=0.2)
        os.environ["OPENAI_BASE_URL"] = fake.url + "/v1"
        started = time.perf_counter()
        report = summaries.run_batch(url)
        elapsed = time.perf_counter() - started
        assert report.written == CONVERSATIONS and report.failed == 0, summaries.as_dict(report)
        conversations(tmp / "summaries.db", 50, first_order=CONVERSATIONS + 1)
        one_by_one = time.perf_counter()
        for order in range(CONVERSATIONS + 1, CONVERSATIONS + 51):
            assert summaries.summarize_order(order, url).written
        sequential_rate = 50 / (time.perf_counter() - one_by_one)
    db.dispose_all()
    rate = CONVERSATIONS / elapsed
    return ([Figure("summaries", f"batch of {CONVERSATIONS} conversations, model at 200 ms", elapsed, "s",
                    "<= 60 s", elapsed <= 60),
             Figure("summaries", "batch throughput", rate, "conv/s", baseline=sequential_rate,
                    ratio=rate / sequential_rate)], {})


def main() -> None:
    import function_app  # noqa: F401 - the worker's start-up, as in production

    figures, samples = digest_figures()
    with scratch_dir() as tmp:
        more, _ = batch_figures(tmp)
    record("summaries", figures + more, samples)


if __name__ == "__main__":
    main()
