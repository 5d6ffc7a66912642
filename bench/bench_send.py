"""Staff replies through ACS: our overhead on one send, and exactly-once under concurrency.

* overhead: ``replies.send`` of a text (body parsing, reply target and window, outbox insert born claimed, the
  SDK call, settling, the stored message and the answer), the local ACS fake answering at once. Our overhead
  is each send's time minus the time of the SDK call inside it (goal: p99 <= 5 ms); the SDK call alone
  (``NotificationMessagesClient.send``, same client and content) is the baseline that shows the call inside a
  send costs what it costs alone. Rounds of 50 alternate between the two so drift weighs on both alike. The
  difference of the two p99s is shown too: on a shared 2-core machine it swings with the load.
* concurrency: 200 requested sends, each requested twice (a double click, a retried call), spread over 4
  worker processes on one SQLite file, against a fake that does *not* honour Repeatability-Request-ID (so
  only our outbox stands between a double request and a double message). Goal: zero doubles, zero lost.

Runs on the demo data set (the reply target reads a handful of indexed rows; the 1M-message set adds
nothing here but minutes of copying).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
import uuid
from typing import Any

from bench.common import Figure, percentile, record, scratch_dir

ROUNDS = int(os.environ.get("BENCH_SEND_ROUNDS", "20"))
PER_ROUND = 50
CONCURRENT = int(os.environ.get("BENCH_SEND_CONCURRENT", "200"))
WORKERS = 4
MARIA_ORDER, MARIA = 2, "5491144445678"


def _worker(env: dict[str, str], crids: list[str], out: Any) -> None:
    os.environ.update(env)
    from shared import replies
    from shared.staff import Staff

    states: list[str] = []
    for crid in crids:
        body = json.dumps({"clientRequestId": crid, "text": f"Envío {crid}"}).encode()
        answer, _ = replies.send(MARIA_ORDER, replies.parse_send_body(body), Staff("bench", "Bench"))
        states.append(answer["state"])
    out.put(states)


def main() -> None:  # noqa: PLR0915 - one measured scenario, read top to bottom
    from devkit.fake_acs import running_fake

    with scratch_dir() as tmp, running_fake(status_delays=(3600.0, 3600.0, 3600.0)) as fake:
        url = f"sqlite:///{tmp / 'send.db'}"
        env = {"DATABASE_URL": url, "ACS_CONNECTION_STRING": fake.connection_string,
               "ACS_CA_BUNDLE": str(fake.ca_path), "WHATSAPP_CHANNEL_ID": fake.channel_id,
               "LOG_LEVEL": "WARNING"}
        os.environ.update(env)
        import function_app  # noqa: F401 - the worker's start-up (logging, gc.freeze) as in production
        from devkit import demo
        from shared import acs_client, db, migrate, outbox, replies, schema
        from shared.staff import Staff

        migrate.migrate(url)
        demo.load(url)
        fake.inbound(MARIA)
        staff = Staff("bench", "Bench")

        inside: list[float] = []

        def timed_sender(row: Any) -> acs_client.Outcome:
            started = time.perf_counter()
            outcome = outbox.acs_sender(row)
            inside.append(time.perf_counter() - started)
            return outcome

        def ours() -> float:
            body = json.dumps({"clientRequestId": str(uuid.uuid4()), "text": "Hola, tu equipo está listo"})
            started = time.perf_counter()
            answer, _ = replies.send(MARIA_ORDER, replies.parse_send_body(body.encode()), staff, url,
                                     sender=timed_sender)
            elapsed = time.perf_counter() - started
            assert answer["state"] == "sent", answer
            return elapsed

        def sdk_alone() -> float:
            content = acs_client._sdk_content(acs_client.TextContent("Hola, tu equipo está listo"),
                                              fake.channel_id, MARIA)
            client = acs_client.clients().messages
            started = time.perf_counter()
            result = client.send(content, headers={"Repeatability-Request-ID": str(uuid.uuid4()),
                                                   "Repeatability-First-Sent": "Tue, 01 Dec 2026 10:00:00 GMT"})
            elapsed = time.perf_counter() - started
            assert result.receipts[0].message_id
            return elapsed

        for _ in range(20):  # warm both paths (connections, statement compilation)
            ours()
            sdk_alone()
        inside.clear()
        mine: list[float] = []
        base: list[float] = []
        for _ in range(ROUNDS):
            mine += [ours() for _ in range(PER_ROUND)]
            base += [sdk_alone() for _ in range(PER_ROUND)]
        db.dispose_all()

        concurrent_fake_messages_before = len(fake.messages())
        fake.state.config.honour_repeatability = False
        crids = [f"bench-{i}" for i in range(CONCURRENT)]
        requests = crids + crids  # each requested twice
        shares = [requests[i::WORKERS] for i in range(WORKERS)]
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        started = time.perf_counter()
        workers = [ctx.Process(target=_worker, args=(env, share, out)) for share in shares]
        for w in workers:
            w.start()
        states = [s for _ in workers for s in out.get(timeout=600)]
        for w in workers:
            w.join()
        wall = time.perf_counter() - started
        accepted = fake.messages()[concurrent_fake_messages_before:]
        texts = [m.body["content"] for m in accepted]
        doubles = len(texts) - len(set(texts))
        rows = db.read(lambda c: c.execute(schema.outbox.select().where(
            schema.outbox.c.ClientRequestId.like("bench-%"))).all(), url)
        sent = {r.ClientRequestId for r in rows if r.State == "sent"}
        lost = len(set(crids) - sent)
        stored = db.read(lambda c: c.execute(schema.message.select().where(
            schema.message.c.Content.like("Envío bench-%"))).all(), url)
        db.dispose_all()

    p99, base_p99 = percentile(mine, 99) * 1e3, percentile(base, 99) * 1e3
    own = [total - sdk for total, sdk in zip(mine, inside, strict=True)]  # each send minus its own SDK call
    overhead = percentile(own, 99) * 1e3
    record("send", [
        Figure("send", "API send p50 (fake answers at once)", percentile(mine, 50) * 1e3, "ms",
               baseline=percentile(base, 50) * 1e3, ratio=percentile(mine, 50) / percentile(base, 50)),
        Figure("send", "API send p99", p99, "ms", baseline=base_p99, ratio=p99 / base_p99),
        Figure("send", "our overhead per send p50 (send - its SDK call)", percentile(own, 50) * 1e3, "ms"),
        Figure("send", "our overhead per send p99 (send - its SDK call)", overhead, "ms", "<= 5 ms", overhead <= 5),
        Figure("send", "p99 difference (send p99 - SDK-alone p99)", p99 - base_p99, "ms"),
        Figure("send", "SDK call inside a send p99", percentile(inside, 99) * 1e3, "ms", baseline=base_p99,
               ratio=percentile(inside, 99) * 1e3 / base_p99),
        Figure("send", f"{CONCURRENT} sends x2 from {WORKERS} workers: doubles", doubles, "messages", "0",
               doubles == 0),
        Figure("send", f"{CONCURRENT} sends x2 from {WORKERS} workers: lost", lost, "sends", "0",
               lost == 0 and len(stored) == CONCURRENT and len(states) == 2 * CONCURRENT),
        Figure("send", "concurrent sends wall time", wall, "s"),
    ], {"API send": mine, "SDK send alone": base})


if __name__ == "__main__":
    main()
