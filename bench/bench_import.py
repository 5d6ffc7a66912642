"""History import: a 40,000-message chat export into the 1,000,000-message database (``shared.history_import``).

* import: ``history_import.import_export`` of a generated Android 12-hour export of ``MAX_MESSAGES``
  authored messages (two years of history, then the customer's live conversation repeated, as an
  export taken after go-live holds it) into a private copy of the benchmark data set: parse, customer,
  the live twins read and left out, keys, chunks of ``CHUNK`` rows each looked up and inserted in one
  transaction, the import row. Goal: <= 10 s. Baseline, in the same run: the plainest write of the
  same rows, one ``executemany`` of them (new keys) by raw ``sqlite3`` in one transaction into the
  same database, parse excluded.
* the same file again: answered from the import row (nothing added).
* memory: the peak of what one import allocates (``tracemalloc``, measured on the same work for a
  second customer, since tracing slows what it traces); the process's peak is recorded as for every
  benchmark.
"""

from __future__ import annotations

import sqlite3
import time
import tracemalloc
from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench.bench_export import generated
from bench.common import Figure, record, scratch_dir
from bench.dataset import working_copy
from shared import chat_export, db, history_import, migrate, schema
from shared.chat_export import ChatMessage, Platform, Variant, render

SHOP = "Taller Ficticio"
CUSTOMER_NAME = "Valeria Gómez"


def _customer_with_history(url: str, message_id: int) -> tuple[int, str, list[ChatMessage]]:
    """A customer with a live conversation: their id, phone (for the file name) and live messages as an
    export shows them."""
    m = schema.message

    def pick(conn: sa.Connection) -> tuple[int, str, list[ChatMessage]]:
        cliente, e164 = conn.execute(sa.select(m.c.ClienteId, m.c.PhoneNumber).where(m.c.Id == message_id)).one()
        rows = conn.execute(sa.select(m.c.Direction, m.c.Content, m.c.WhatsAppTimestamp)
                            .where(m.c.ClienteId == cliente).order_by(m.c.WhatsAppTimestamp)).all()
        zone = ZoneInfo(chat_export.TIME_ZONE)
        live = []
        for row in rows:
            at = row.WhatsAppTimestamp.replace(tzinfo=UTC)
            local = at.astimezone(zone).replace(tzinfo=None)
            live.append(ChatMessage(0, 1, local, at, SHOP if row.Direction == "outbound" else CUSTOMER_NAME,
                                    row.Content))
        return int(cliente), str(e164), live

    return db.read(pick, url)


def export_bytes(live: list[ChatMessage]) -> bytes:
    """``MAX_MESSAGES`` messages: history before go-live, then the live conversation repeated."""
    variant = Variant(Platform.ANDROID, twelve_hour=True)
    history = chat_export.parse_bytes(generated(variant)).messages
    keep = chat_export.MAX_MESSAGES - len(live)
    authored = [msg for msg in history if msg.author is not None][:keep]
    last = authored[-1].utc
    assert all(msg.utc > last for msg in live), "the generated history must end before the live conversation"
    return render([history[0], *authored, *live], variant).encode()


def main() -> None:
    with scratch_dir() as tmp:
        path = working_copy(tmp / "bench.db")
        url = f"sqlite:///{path}"
        migrate.migrate(url)  # a data set cached before sql/008 gets its columns
        customer, e164, live = _customer_with_history(url, 1)
        data = export_bytes(live)
        name = f"Chat de WhatsApp con {e164}.txt"
        before = db.read(lambda c: c.execute(sa.select(sa.func.count()).select_from(schema.message)).scalar_one(),
                         url)
        assert before >= 1_000_000

        started = time.perf_counter()
        result = history_import.import_export(name, data, shop_participant=SHOP, url=url)
        elapsed = time.perf_counter() - started
        assert result["customerId"] == customer, "the file name's phone must find the customer"
        assert result["duplicatesOfLive"] == len(live), (result["duplicatesOfLive"], len(live))
        assert result["addedNow"] == chat_export.MAX_MESSAGES - len(live)

        started = time.perf_counter()
        again = history_import.import_export(name, data, shop_participant=SHOP, url=url)
        repeat = time.perf_counter() - started
        assert again["alreadyImported"] and again["addedNow"] == 0

        # the allocation peak of the same work, for another customer (tracemalloc slows what it traces)
        other, other_phone, other_live = _customer_with_history(url, 2)
        assert other != customer
        other_data = export_bytes(other_live)
        tracemalloc.start()
        traced = history_import.import_export(f"Chat de WhatsApp con {other_phone}.txt", other_data,
                                              shop_participant=SHOP, url=url)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert traced["addedNow"] == chat_export.MAX_MESSAGES - len(other_live)

        baseline = _raw_insert(path, result["importId"])
        db.dispose_all()
    size_mb = len(data) / 1024 / 1024
    record("import", [
        Figure("import", f"import {chat_export.MAX_MESSAGES:,} messages into 1M ({size_mb:.1f} MB, "
                         f"{len(live)} seen live)", elapsed, "s", "<= 10 s", elapsed <= 10,
               baseline=baseline, ratio=elapsed / baseline),
        Figure("import", "the same file again (nothing added)", repeat, "s"),
        Figure("import", "import allocation peak", peak / 1024 / 1024, "MB", baseline=size_mb,
               ratio=peak / len(data)),
    ])


def _raw_insert(path: object, import_id: int) -> float:
    """The plainest write of the rows the import wrote: one executemany (new keys), one transaction."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    columns = [c.name for c in schema.message.columns if c.name != "Id"]
    rows = conn.execute(f"SELECT {', '.join(columns)} FROM WhatsAppMessage WHERE ImportId = ?",
                        (import_id,)).fetchall()
    key = columns.index("MessageKey")
    fresh = [(*row[:key], "base:" + row[key], *row[key + 1:]) for row in rows]
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO WhatsAppMessage ({', '.join(columns)}) "
                     f"VALUES ({', '.join('?' * len(columns))})", fresh)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


if __name__ == "__main__":
    main()
