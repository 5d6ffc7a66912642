"""The benchmark tooling measures what it claims."""

from __future__ import annotations

import subprocess
import sys

from bench.common import peak_memory_mb, percentile
from tests.conftest import ROOT


def test_peak_memory_is_the_process_own_not_its_parents() -> None:
    ballast = bytearray(150 * 1024 * 1024)  # the parent's peak
    assert peak_memory_mb() >= 150
    child = subprocess.run([sys.executable, "-c", "from bench.common import peak_memory_mb; print(peak_memory_mb())"],
                           cwd=ROOT, capture_output=True, text=True, check=True)
    assert float(child.stdout) < 80
    del ballast


def test_percentile_picks_the_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 50) in {50.0, 51.0}
    assert percentile(samples, 99) == 99.0
    assert percentile([3.0], 99) == 3.0

