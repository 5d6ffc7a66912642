"""Chat exports: parsing a 40,000-message WhatsApp "Exportar chat" file (``shared.chat_export``).

* parse: ``parse_bytes`` of a generated Android 12-hour export (narrow no-break spaces, a. m./p. m.)
  of ``MAX_MESSAGES`` authored messages plus a system line, with multi-line messages and
  attachments in both forms; and the same for an iOS 24-hour export. Baseline, in the same run:
  the plainest reading of the same bytes (decode and split into lines), the floor any parser
  pays. Goal: <= 1 s each. Best of ``REPEAT`` runs.
* memory: the peak of what one parse allocates (``tracemalloc``), next to the file's size;
  the process's peak is recorded as for every benchmark.
"""

from __future__ import annotations

import random
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta

from bench.common import Figure, record
from bench.dataset import INBOUND, OUTBOUND
from shared.chat_export import (
    MAX_MESSAGES,
    Attachment,
    AttachmentKind,
    ChatMessage,
    Platform,
    Variant,
    parse_bytes,
    render,
)

REPEAT = 5


def generated(variant: Variant) -> bytes:
    """``MAX_MESSAGES`` messages over two years: one in 8 multi-line, one in 12 an attachment."""
    rng = random.Random(19)
    moment = datetime(2023, 1, 2, 9, 0, 0)
    start = moment
    messages = [ChatMessage(1, 1, moment, moment, None, "Los mensajes y las llamadas están cifrados de extremo a "
                            "extremo. Solo las personas en este chat pueden leerlos, escucharlos o compartirlos.")]
    for n in range(MAX_MESSAGES):
        moment += timedelta(seconds=rng.randint(20, 3000))
        shop = n % 3 == 0
        text = rng.choice(OUTBOUND if shop else INBOUND)
        attachment = None
        if n % 12 == 5:
            attachment = (Attachment(AttachmentKind.IMAGE, f"IMG-{moment:%Y%m%d}-WA{n % 10000:04d}.jpg", omitted=False)
                          if n % 24 == 5 else Attachment(AttachmentKind.MEDIA, None, omitted=True))
            text = ""
        elif n % 8 == 3:
            text = f"{text}\n{rng.choice(INBOUND)}\n\n{rng.choice(OUTBOUND)}"
        lines = 1 + (text.count("\n") + 1 if attachment is not None and text else 0)
        messages.append(ChatMessage(0, lines, moment, moment, "Taller Ficticio" if shop else "Valeria Gómez", text,
                                    attachment))
    assert moment - start < timedelta(days=800)
    return render(messages, variant).encode()


def best(fn: Callable[[], object], repeat: int = REPEAT) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return min(samples)


def figures_for(label: str, variant: Variant) -> list[Figure]:
    data = generated(variant)
    export = parse_bytes(data)
    assert sum(1 for m in export.messages if m.author is not None) == MAX_MESSAGES
    elapsed = best(lambda: parse_bytes(data))
    plain = best(lambda: data.decode("utf-8").split("\n"))
    tracemalloc.start()
    parse_bytes(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size_mb = len(data) / 1024 / 1024
    return [Figure("export", f"parse {MAX_MESSAGES:,} messages, {label} ({size_mb:.1f} MB)", elapsed, "s", "<= 1 s",
                   elapsed <= 1, baseline=plain, ratio=elapsed / plain),
            Figure("export", f"parse allocation peak, {label}", peak / 1024 / 1024, "MB",
                   baseline=size_mb, ratio=peak / len(data))]


def main() -> None:
    figures = figures_for("Android 12 h", Variant(Platform.ANDROID, twelve_hour=True))
    figures += figures_for("iOS 24 h", Variant(Platform.IOS, twelve_hour=False))
    record("export", figures)


if __name__ == "__main__":
    main()
