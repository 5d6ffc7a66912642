"""Cold start: importing ``function_app`` and indexing its functions in a fresh interpreter.

Ten fresh interpreters each time ``import function_app`` plus ``app.get_functions()`` (what
the Functions worker does at start-up); baseline: the plainest function app (one HTTP
function, nothing else imported) indexed the same way. Goal: <= 500 ms.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.common import Figure, percentile, record

ROOT = Path(__file__).resolve().parent.parent
RUNS = 10
MEASURE = """
import time
started = time.perf_counter()
{code}
print(time.perf_counter() - started)
"""
APP = "import function_app\nfunction_app.app.get_functions()"
PLAIN = """import azure.functions as func
app = func.FunctionApp()
@app.route(route="ping")
def ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("pong")
app.get_functions()"""


def fresh(code: str) -> float:
    out = subprocess.run([sys.executable, "-X", "frozen_modules=on", "-c", MEASURE.format(code=code)], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    fresh(APP)  # the first run after an install compiles .pyc files; the host ships them compiled
    app = [fresh(APP) for _ in range(RUNS)]
    plain = [fresh(PLAIN) for _ in range(RUNS)]
    worst = max(app) * 1e3
    record("coldstart", [
        Figure("coldstart", "import + index function_app p50", percentile(app, 50) * 1e3, "ms",
               baseline=percentile(plain, 50) * 1e3, ratio=percentile(app, 50) / percentile(plain, 50)),
        Figure("coldstart", "import + index function_app worst of 10", worst, "ms", "<= 500 ms", worst <= 500,
               baseline=max(plain) * 1e3, ratio=max(app) / max(plain)),
    ], {"cold start": app, "cold start baseline": plain})


if __name__ == "__main__":
    main()
