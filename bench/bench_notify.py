"""Order notifications (issue 18): one polling run over 50,000 orders with 500 changed, without the sends.

A database of its own (scratch directory): 50,000 orders spread over the last year, the first run's
baseline recorded. Then, ``ROUNDS`` times: 500 random orders get another status (half of them one a
rule notifies), ``ModificadoEn`` one minute after the previous round, and ``notifications.poll`` runs as
the timer does each minute: page after page since its watermark minus the overlap
(``NOTIFY_OVERLAP_MINUTES``, 10: it re-reads the previous rounds' changes too), compares with
``WhatsAppOrderStatus``, claims each change and queues the notifications (rows; nothing is sent).

Baseline (the plainest query that finds them): one raw ``sqlite3`` ``SELECT ReparacionId,
EstadoReparacionId FROM Reparacion WHERE ModificadoEn > ?`` since the previous round, same file.
Goal: the run's p99 <= 200 ms.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from datetime import datetime, timedelta

from bench.common import Figure, percentile, record, scratch_dir

ORDERS = int(os.environ.get("BENCH_NOTIFY_ORDERS", "50000"))
CHANGED = int(os.environ.get("BENCH_NOTIFY_CHANGED", "500"))
ROUNDS = int(os.environ.get("BENCH_NOTIFY_ROUNDS", "60"))
ESTADOS = ("Ingresado", "Presupuestado", "En reparación", "Reparado", "Entregado", "Rechazado")


def stamp(at: datetime) -> str:
    """A time as SQLAlchemy writes DateTime into SQLite (string comparison must agree with time order)."""
    return at.isoformat(sep=" ", timespec="microseconds")


def orders_table(raw: sqlite3.Connection, rng: random.Random, start: datetime) -> None:
    raw.executemany("INSERT INTO EstadoReparacion (EstadoReparacionId, Nombre) VALUES (?, ?)",
                    list(enumerate(ESTADOS, 1)))
    rows = []
    for o in range(1, ORDERS + 1):
        at = stamp(start - timedelta(minutes=rng.randrange(525_600)))
        rows.append((o, o, rng.randint(1, 6), at, at))
    raw.execute("BEGIN")
    raw.executemany("INSERT INTO Reparacion (ReparacionId, ClienteId, EmpleadoAsignadoId, TecnicoAsignadoId, "
                    "EstadoReparacionId, MarcaId, TipoDispositivoId, CreadoEn, ModificadoEn) "
                    "VALUES (?, ?, 1, 1, ?, 1, 1, ?, ?)", rows)
    raw.execute("COMMIT")


def change(raw: sqlite3.Connection, rng: random.Random, at: datetime) -> None:
    """``CHANGED`` random orders get another status, modified within the minute before ``at``."""
    picked = rng.sample(range(1, ORDERS + 1), CHANGED)
    current = dict(raw.execute(f"SELECT ReparacionId, EstadoReparacionId FROM Reparacion WHERE ReparacionId "
                               f"IN ({','.join(map(str, picked))})").fetchall())
    raw.execute("BEGIN")
    raw.executemany("UPDATE Reparacion SET EstadoReparacionId = ?, ModificadoEn = ? WHERE ReparacionId = ?",
                    [(rng.choice([s for s in range(1, 7) if s != current[o]]),
                      stamp(at - timedelta(seconds=rng.randrange(1, 59))), o) for o in picked])
    raw.execute("COMMIT")


def main() -> None:
    with scratch_dir() as tmp:
        path = tmp / "notify.db"
        url = f"sqlite:///{path}"
        os.environ["DATABASE_URL"] = url
        os.environ["NOTIFY_QUIET_HOURS"] = "off"
        os.environ["NOTIFY_REMINDER"] = "off"  # the reminders' query is measured apart below
        from shared import db, migrate, notifications

        migrate.migrate(url)
        rng = random.Random(18)
        start = datetime(2026, 12, 1, 12, 0)
        raw = sqlite3.connect(str(path), isolation_level=None)
        raw.execute("PRAGMA journal_mode=WAL")
        orders_table(raw, rng, start)

        t0 = time.perf_counter()
        first = notifications.poll(url, now=start)
        first_run = time.perf_counter() - t0
        assert first.baseline == ORDERS and first.notifications == 0, first

        runs: list[float] = []
        plain: list[float] = []
        notified = changes = 0
        for round_ in range(1, ROUNDS + 1):
            at = start + timedelta(minutes=round_)
            previous = stamp(at - timedelta(minutes=1))
            change(raw, rng, at)
            t = time.perf_counter()
            report = notifications.poll(url, now=at + timedelta(seconds=1))
            runs.append(time.perf_counter() - t)
            notified += report.notifications
            changes += report.changes
            t = time.perf_counter()
            found = raw.execute("SELECT ReparacionId, EstadoReparacionId FROM Reparacion WHERE ModificadoEn > ?",
                                (previous,)).fetchall()
            plain.append(time.perf_counter() - t)
            assert len(found) == CHANGED, len(found)
        assert changes == CHANGED * ROUNDS, changes

        os.environ["NOTIFY_REMINDER"] = "recordatorio_retiro:offer:3,10"
        later = start + timedelta(days=4)
        reminders: list[float] = []
        for i in range(20):
            when = later + timedelta(minutes=i)
            t = time.perf_counter()
            db.write(lambda conn: notifications._reminders(conn, when), url)  # noqa: B023 - called at once
            reminders.append(time.perf_counter() - t)
        raw.close()
        db.dispose_all()

    p50, p99 = percentile(runs, 50) * 1e3, percentile(runs, 99) * 1e3
    base50, base99 = percentile(plain, 50) * 1e3, percentile(plain, 99) * 1e3
    record("notify", [
        Figure("notify", f"poll of {ORDERS:,} orders, {CHANGED} changed: p50", p50, "ms", baseline=base50,
               ratio=p50 / base50),
        Figure("notify", f"poll of {ORDERS:,} orders, {CHANGED} changed: p99 (no sends)", p99, "ms", "<= 200 ms",
               p99 <= 200, baseline=base99, ratio=p99 / base99),
        Figure("notify", f"notifications queued per run (mean of {ROUNDS})", notified / ROUNDS, "rows"),
        Figure("notify", f"first run: baseline of {ORDERS:,} orders (once per deployment)", first_run * 1e3, "ms"),
        Figure("notify", "pickup reminders scan p99", percentile(reminders, 99) * 1e3, "ms"),
    ], {"notify poll": runs, "plain SELECT of the changed": plain})


if __name__ == "__main__":
    main()
