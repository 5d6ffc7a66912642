"""Shared fixtures: a fresh SQLite database per test, the function app, the local runner."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import azure.functions as func
import httpx
import pytest

from shared import db, demo, migrate

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_EVENTS = ROOT.parent / "shared" / "reference" / "acs-events"
EXAMPLES = ROOT / "tests" / "data" / "acs-events"  # a copy, so the suite does not depend on ../shared


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'test.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate.migrate(url)
    yield url
    db.dispose_all()


@pytest.fixture
def demo_url(db_url: str) -> str:
    assert demo.load(db_url)
    return db_url


def example(name: str) -> dict[str, Any]:
    """One of the vendor's documented events (``tests/data/acs-events``)."""
    events: list[dict[str, Any]] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return events[0]


def example_names() -> list[str]:
    return sorted(p.stem for p in EXAMPLES.glob("*.json"))


def function(name: str) -> Any:
    """The user function of ``function_app`` named ``name``, as the worker calls it."""
    import function_app

    for fn in function_app.app.get_functions():
        if fn.get_function_name() == name:
            return fn.get_user_function()
    raise KeyError(name)


def grid_event(envelope: dict[str, Any]) -> func.EventGridEvent:
    """The ``func.EventGridEvent`` the worker builds from an envelope."""
    raw = envelope.get("eventTime")
    return func.EventGridEvent(
        id=envelope.get("id"), data=envelope.get("data"), topic=envelope.get("topic"),
        subject=envelope.get("subject"), event_type=envelope.get("eventType"),
        event_time=datetime.fromisoformat(raw.replace("Z", "+00:00")) if isinstance(raw, str) else None,
        data_version=envelope.get("dataVersion"))


class Context:
    invocation_id = "test-invocation"
    function_name = "test"
    function_directory = str(ROOT)
    trace_context = None
    retry_context = None
    thread_local_storage = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Runner:
    """The local runner as a child process serving real HTTP."""

    def __init__(self, tmp: Path, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.db_url = f"sqlite:///{tmp / 'runner.db'}"
        env = {**os.environ, "PORT": str(self.port), "DATABASE_URL": self.db_url, "TIMERS": "off",
               **(extra_env or {})}
        self.log = (tmp / "runner.log").open("w")
        self.process = subprocess.Popen([sys.executable, "-m", "localrunner", "serve"], cwd=ROOT, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"runner exited: {(tmp / 'runner.log').read_text()}")
            try:
                if httpx.get(f"{self.base}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("runner did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="session")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    r = Runner(tmp_path_factory.mktemp("runner"))
    yield r
    r.stop()
