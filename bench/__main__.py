"""``python -m bench``: build the data set if needed, run every ``bench/bench_*.py`` in a fresh
process, then write ``bench/results/latest.json``, ``latest.md`` (the table) and ``latest.png``
(the latency distributions)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from bench import dataset
from bench.common import RESULTS

HERE = Path(__file__).resolve().parent


def markdown(data: dict[str, object]) -> str:
    lines = ["| Benchmark | Figure | Value | Goal | Baseline (plainest way) | Ratio | Met |",
             "|---|---|---|---|---|---|---|"]
    benches = data["benches"]
    assert isinstance(benches, dict)
    for name, bench in benches.items():
        for f in bench["figures"]:
            baseline = f"{f['baseline']:.4g} {f['unit']}" if f["baseline"] is not None else ""
            ratio = f"{f['ratio']:.2f}×" if f["ratio"] is not None else ""
            met = {True: "yes", False: "**no**", None: ""}[f["met"]]
            lines.append(f"| {name} | {f['metric']} | {f['value']:.4g} {f['unit']} | {f['goal']} | {baseline} "
                         f"| {ratio} | {met} |")
    return "\n".join(lines) + "\n"


def chart(data: dict[str, object], path: Path) -> None:
    """Latency distributions of every benchmark with samples, as a PNG (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = [(f"{bench}: {name}", values) for bench, body in data["benches"].items()  # type: ignore[attr-defined]
              for name, values in body["samples_ms"].items() if values]
    if not series:  # e.g. `python -m bench bench_import`: no benchmark with latency samples ran
        return
    fig, ax = plt.subplots(figsize=(11, 0.55 * len(series) + 1.5))
    ax.boxplot([values for _, values in series], orientation="horizontal", whis=(1, 99), showfliers=False,
               tick_labels=[label for label, _ in series])
    ax.set_xscale("log")
    ax.set_xlabel("milliseconds (log scale; box 25–75%, whiskers 1–99%)")
    ax.set_title("FastService WhatsApp: latency distributions (make bench)")
    ax.grid(axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    if not dataset.path().exists():
        print(f"building the data set ({dataset.CUSTOMERS:,} customers, {dataset.ORDERS:,} orders, "
              f"{dataset.MESSAGES:,} messages)...", flush=True)
        print(f"data set built in {dataset.build(dataset.path()):.1f} s", flush=True)
    (RESULTS / "latest.json").unlink(missing_ok=True)
    scripts = sorted(p.stem for p in HERE.glob("bench_*.py") if not argv or p.stem in argv)
    failed = [s for s in scripts if subprocess.run([sys.executable, "-m", f"bench.{s}"], check=False).returncode]
    data = json.loads((RESULTS / "latest.json").read_text())
    (RESULTS / "latest.md").write_text(markdown(data))
    chart(data, RESULTS / "latest.png")
    print("\n" + markdown(data) + f"\n({time.perf_counter() - started:.0f} s; results in {RESULTS})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
