"""Shared fixtures: a fresh SQLite database per test, the function app, the local runner."""

from __future__ import annotations

import functools
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devkit import demo
from localrunner.functions import InvocationContext
from shared import db, migrate

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


@functools.cache
def indexed_functions() -> dict[str, Any]:
    """``function_app``'s functions by name, indexed once as the worker does."""
    import function_app

    return {fn.get_function_name(): fn for fn in function_app.app.get_functions()}


def function(name: str) -> Any:
    """The user function of ``function_app`` named ``name``, as the worker calls it."""
    return indexed_functions()[name].get_user_function()


def Context() -> InvocationContext:
    """The ``context`` the worker passes, with a known invocation id."""
    return InvocationContext("test", invocation_id="test-invocation")


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
               "FAKE_ACS": "off", "FAKE_ACS_DIR": str(tmp / "fake-acs"), **(extra_env or {})}
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
