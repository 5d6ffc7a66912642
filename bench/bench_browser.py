"""Browser: the staff panel in Chromium (``frontend/e2e/bench.mjs`` driven by playwright-core).

First render of a 200-message page and a poll bringing one new message to a 1,000-message thread
(median of runs; baseline: the plainest DOM doing the same visible work in the same browser), the
bubbles React rendered and the DOM nodes changed by that poll, and the panel's bundle without React
(gzip -9; baseline: React + ReactDOM's own bundle). Goals and their reasons: frontend/README.md.
Skipped, with a note, when Chromium, Node or the front end's node_modules are missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from bench.common import Figure, record

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
CHROMIUM = Path("/usr/bin/chromium")


def main() -> None:
    needs = (("Chromium (/usr/bin/chromium)", CHROMIUM.exists()),
             ("node", shutil.which("node") is not None),
             ("frontend/node_modules (npm ci)", (FRONTEND / "node_modules").is_dir()))
    missing = [what for what, ok in needs if not ok]
    if missing:
        print(f"browser    skipped: {', '.join(missing)} missing")
        return
    out = subprocess.run(["node", "e2e/bench.mjs"], cwd=FRONTEND, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if "skipped" in result:
        print(f"browser    skipped: {result['skipped']}")
        return
    figures = [Figure("browser", f["metric"], f["value"], f["unit"], f["goal"], f["met"], f["baseline"], f["ratio"])
               for f in result["figures"]]
    samples = {name: [ms / 1e3 for ms in values] for name, values in result["samples_ms"].items()}
    record("browser", figures, samples)


if __name__ == "__main__":
    main()
