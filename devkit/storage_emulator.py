"""Azurite (Microsoft's Blob and Queue Storage emulator, the npm package) started and stopped from Python.

Why: media (issue 16) lives in Blob Storage and its downloads are woken through Queue Storage; the project's
rule is a real local server for anything that has one, so ``make run``, the tests, the benchmarks and the
chaos run talk to Azurite through the real ``azure-storage-blob`` / ``azure-storage-queue`` SDKs.

The package is pinned in ``devkit/azurite/package-lock.json`` and installed by ``make`` (``npm ci``). Azurite
listens on 127.0.0.1 only, with its data in a directory of the caller's choosing, and is started with
``--skipApiVersionCheck`` because the pinned Python SDKs may speak a newer service version than the pinned
Azurite knows (it answers 400 otherwise); ``--loose`` is not needed. The table service is given a free port
too, so two emulators never fight over its default 10002.

Development only: ``devkit`` is excluded from the deployed package (``.funcignore``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "devkit" / "azurite"
BINARY = PACKAGE / "node_modules" / ".bin" / "azurite"

ACCOUNT = "devstoreaccount1"
# Azurite's documented, public development key (not a secret; it works only against the emulator)
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
DEFAULT_BLOB_PORT, DEFAULT_QUEUE_PORT = 10000, 10001


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
        return True
    return False


def ensure_installed() -> None:
    """``npm ci`` in devkit/azurite when the package is missing (make does it first; this is for direct runs)."""
    if BINARY.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("Azurite is not installed and npm is missing: install Node.js 20 and run `make setup`")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],  # noqa: S603 - fixed arguments
                   cwd=PACKAGE, check=True)


def _libc() -> Any:
    with contextlib.suppress(OSError):
        import ctypes

        return ctypes.CDLL("libc.so.6", use_errno=True)
    return None


_LIBC = _libc()  # loaded before any fork: the child only calls into it


def _die_with_parent() -> None:
    """Linux: Azurite gets SIGTERM when the thread that started it ends, even by SIGKILL of its process (a test
    harness killing the runner), so no emulator outlives its owner holding the standard ports."""
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Azurite:
    """One Azurite process (blob + queue) on 127.0.0.1."""

    def __init__(self, location: Path, blob_port: int = 0, queue_port: int = 0) -> None:
        self.location = location
        self.blob_port = blob_port or free_port()
        self.queue_port = queue_port or free_port()
        self.table_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = location / "azurite.log"

    @property
    def connection_string(self) -> str:
        return (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
                f"BlobEndpoint=http://127.0.0.1:{self.blob_port}/{ACCOUNT};"
                f"QueueEndpoint=http://127.0.0.1:{self.queue_port}/{ACCOUNT};")

    def start(self, timeout: float = 60.0) -> None:
        ensure_installed()
        self.location.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our pinned binary, ports and directory we chose
            [str(BINARY), "--silent", "--skipApiVersionCheck", "--location", str(self.location),
             "--blobHost", "127.0.0.1", "--blobPort", str(self.blob_port),
             "--queueHost", "127.0.0.1", "--queuePort", str(self.queue_port),
             "--tableHost", "127.0.0.1", "--tablePort", str(self.table_port)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_die_with_parent)  # noqa: PLW1509 - one libc call, no lock, no allocation in the child
        log.close()
        deadline = time.monotonic() + timeout
        while not (listening(self.blob_port) and listening(self.queue_port)):
            if self.process.poll() is not None:
                raise RuntimeError(f"Azurite exited: {self.log_path.read_text(errors='replace')[-2000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("Azurite did not start in time")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop it (its data stays in ``location``; :meth:`start` again resumes with it)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # our own session: azurite and the node process under it
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        while listening(self.blob_port) or listening(self.queue_port):
            time.sleep(0.05)


@contextlib.contextmanager
def running_azurite(location: Path | None = None) -> Iterator[Azurite]:
    """Azurite on free ports with its data in ``location`` (a temporary directory by default), stopped after."""
    with contextlib.ExitStack() as stack:
        if location is None:
            location = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="azurite-")))
        emulator = Azurite(location)
        emulator.start()
        stack.callback(emulator.stop)
        yield emulator


def development_storage_ports(connection: str) -> tuple[int, int] | None:
    """The loopback blob and queue ports a local connection string names (``UseDevelopmentStorage=true``:
    Azurite's standard ports), ``None`` when it points elsewhere."""
    if connection.replace(" ", "").lower().startswith("usedevelopmentstorage=true"):
        return DEFAULT_BLOB_PORT, DEFAULT_QUEUE_PORT
    parts = dict(p.split("=", 1) for p in connection.split(";") if "=" in p)
    blob, queue = parts.get("BlobEndpoint", ""), parts.get("QueueEndpoint", "")
    if blob.startswith("http://127.0.0.1:") and queue.startswith("http://127.0.0.1:"):
        return int(blob.split(":")[2].split("/")[0]), int(queue.split(":")[2].split("/")[0])
    return None
