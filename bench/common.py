"""Helpers shared by the benchmarks: latency statistics and the results file."""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Figure:
    """One measured figure, its goal and, where there is one, the baseline it is compared with."""

    bench: str
    metric: str
    value: float
    unit: str
    goal: str = ""
    met: bool | None = None
    baseline: float | None = None
    ratio: float | None = None


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    """Seconds taken by each of ``repeat`` calls."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def summary_ms(samples: list[float]) -> dict[str, float]:
    return {"p50": percentile(samples, 50) * 1e3, "p99": percentile(samples, 99) * 1e3,
            "mean": statistics.fmean(samples) * 1e3}


@contextmanager
def scratch_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fs-bench-") as tmp:
        yield Path(tmp)


PEAK_MEMORY_GOAL_MB = 300


def peak_memory_mb() -> float:
    """This process's own peak resident memory so far, in MB.

    ``VmHWM`` belongs to the process's address space, which starts anew at exec;
    ``getrusage``'s ``ru_maxrss`` does not (Linux carries the parent's high-water mark
    across fork and exec, so a benchmark started by ``make bench`` after the data set was
    built reported the builder's peak).
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def record(bench: str, figures: list[Figure], samples: dict[str, list[float]] | None = None) -> None:
    """Merge ``figures``, the process's peak memory and the raw latency samples (for the chart) into
    ``results/latest.json``."""
    peak = peak_memory_mb()
    figures = [*figures, Figure(bench, "peak memory of the benchmark process", peak, "MB",
                                f"<= {PEAK_MEMORY_GOAL_MB} MB", peak <= PEAK_MEMORY_GOAL_MB)]
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "latest.json"
    data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {"benches": {}}
    data["benches"][bench] = {"figures": [asdict(f) for f in figures],
                              "samples_ms": {k: [round(s * 1e3, 4) for s in v] for k, v in (samples or {}).items()},
                              "machine": {"cpus": os.cpu_count()}}
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False))
    for f in figures:
        extra = f" (baseline {f.baseline:.4g}, ratio {f.ratio:.3g})" if f.baseline is not None and f.ratio else ""
        verdict = "" if f.met is None else (" ✔" if f.met else " ✘ MISSED")
        print(f"{bench:10} {f.metric:34} {f.value:10.4g} {f.unit:8} goal {f.goal or '-'}{extra}{verdict}")


def raw(path: Path | str) -> sqlite3.Connection:
    """A plain sqlite3 connection with the app's pragmas: what the baselines ("the plainest way") use."""
    from shared.db import SQLITE_PRAGMAS

    conn = sqlite3.connect(str(path))
    for pragma in SQLITE_PRAGMAS:
        conn.execute(f"PRAGMA {pragma}")
    return conn
