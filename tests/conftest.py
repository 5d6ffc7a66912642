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
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import settings

from devkit import demo
from localrunner.functions import InvocationContext
from shared import db, migrate

ROOT = Path(__file__).resolve().parent.parent

# Property tests check behaviour, not speed: Hypothesis' default 200 ms per-example deadline trips on a
# loaded 2-core CI machine (it did, on a parser test). Speed is `make bench`'s job; the linear-time
# tests compare scaling within one run.
settings.register_profile("project", deadline=None)
settings.load_profile("project")
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


@pytest.fixture(autouse=True)
def _staff_sign_in_off_unless_a_test_turns_it_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Most suites are not about sign-in: the staff routes answer without a staff member
    (``STAFF_SIGN_IN=off``); tests/test_auth.py turns it on (``staff_issuer``)."""
    monkeypatch.setenv("STAFF_SIGN_IN", "off")
    for name in ("STAFF_AUTH_TENANT_ID", "STAFF_AUTH_AUDIENCE", "STAFF_AUTH_ISSUER", "STAFF_AUTH_JWKS_URI",
                 "STAFF_AUTH_ALLOWED_CLIENTS", "CORS_ALLOWED_ORIGINS", "WEBSITE_AUTH_ENABLED"):
        monkeypatch.delenv(name, raising=False)


# The keys a test runner uses (localrunner/keys.py), so tests present them as Azure's callers do.
RUNNER_KEYS = {"FUNCTIONS_KEY": "test-function-key", "FUNCTIONS_MASTER_KEY": "test-master-key",
               "EVENTGRID_EXTENSION_KEY": "test-eventgrid-key", "MCP_EXTENSION_KEY": "test-mcp-key"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Runner:
    """The local runner as a child process serving real HTTP (keys ``RUNNER_KEYS``, sign-in off unless
    ``extra_env`` says otherwise)."""

    def __init__(self, tmp: Path, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.db_url = f"sqlite:///{tmp / 'runner.db'}"
        self.tmp = tmp
        env = {**os.environ, "PORT": str(self.port), "DATABASE_URL": self.db_url, "TIMERS": "off",
               "STAFF_SIGN_IN": "off", "FUNCTIONS_KEYS": "on", **RUNNER_KEYS, "FAKE_ACS": "off",
               "FAKE_ACS_DIR": str(tmp / "fake-acs"),
               "AZURITE": "off", "QUEUES": "off",  # media storage: tests bring their own
               **(extra_env or {})}
        self.env = env
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

    @property
    def eventgrid_url(self) -> str:
        """The Event Grid webhook with its system key, as an Event Grid subscription holds it."""
        return (f"{self.base}/runtime/webhooks/eventgrid?functionName=ingest_whatsapp_event"
                f"&code={self.env['EVENTGRID_EXTENSION_KEY']}")

    def master(self) -> dict[str, str]:
        return {"x-functions-key": self.env["FUNCTIONS_MASTER_KEY"]}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="session")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    r = Runner(tmp_path_factory.mktemp("runner"))
    yield r
    r.stop()


class StaffIssuer:
    """An Entra-like token issuer of the tests' own: an RSA key in ``tmp`` and its JWKS file, which
    ``env`` points the app's ``STAFF_AUTH_*`` settings at (a runner's environment, or ``sign_in`` in process)."""

    TENANT = "00000000-0000-0000-0000-00000000aaaa"
    ISSUER = f"https://login.microsoftonline.com/{TENANT}/v2.0"
    AUDIENCE = "api://fastservice-whatsapp-tests"
    KID = "tests-key-1"

    def __init__(self, tmp: Path) -> None:
        import jwt
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        self.jwks = tmp / "issuer-jwks.json"
        self.jwks.write_text(json.dumps({"keys": [public | {"kid": self.KID, "use": "sig", "alg": "RS256"}]}))

    @property
    def env(self) -> dict[str, str]:
        return {"STAFF_SIGN_IN": "required", "STAFF_AUTH_TENANT_ID": self.TENANT, "STAFF_AUTH_AUDIENCE": self.AUDIENCE,
                "STAFF_AUTH_ISSUER": "", "STAFF_AUTH_JWKS_URI": self.jwks.resolve().as_uri()}

    def sign_in(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Require sign-in with this issuer for in-process calls of the functions."""
        for name, value in self.env.items():
            monkeypatch.setenv(name, value)

    def token(self, key: Any = None, kid: str | None = KID, **overrides: Any) -> str:
        import jwt

        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.ISSUER, "aud": self.AUDIENCE, "tid": self.TENANT, "sub": "sub-ana",
                                  "iat": now, "nbf": now, "exp": now + 600,
                                  "oid": "11111111-2222-3333-4444-555555555555", "name": "Ana Gómez",
                                  "preferred_username": "ana@fastservice.example",
                                  "scp": "access_as_user", "azp": "fastservice-front-end", "ver": "2.0"}
        claims.update(overrides)
        headers = {"kid": kid} if kid is not None else {}
        return jwt.encode({k: v for k, v in claims.items() if v is not None}, key or self.key, algorithm="RS256",
                          headers=headers)

    def bearer(self, **overrides: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(**overrides)}"}


# --- media storage (issue 16): Azurite for the session, a fresh container and queue per test ------------

@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Azurite (the npm package) on free ports with its data in a temporary directory, for the whole session."""
    from devkit.storage_emulator import Azurite

    emulator = Azurite(tmp_path_factory.mktemp("azurite"))
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def media_env(azurite: Any, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The app's media settings pointed at the session's Azurite, with a container and queue of this test's own."""
    import hashlib

    from shared import media, media_storage

    suffix = hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:12]
    monkeypatch.setenv("MEDIA_STORAGE", azurite.connection_string)
    monkeypatch.setenv("MEDIA_CONTAINER", f"media-{suffix}")
    monkeypatch.setenv("MEDIA_QUEUE", f"wake-{suffix}")
    media_storage.reset_clients()
    media_storage.ensure_created()
    yield azurite
    media.wakeups.flush(5)
    media_storage.reset_clients()


@pytest.fixture
def staff_issuer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StaffIssuer:
    """Sign-in required for in-process calls, with tokens of a test issuer (``staff_issuer.bearer()``)."""
    issuer = StaffIssuer(tmp_path)
    issuer.sign_in(monkeypatch)
    return issuer


FAST_STATUSES = (0.05, 0.1, 0.15)
"""Seconds after an accepted send at which the fake posts sent, delivered and read."""


@contextmanager
def fake_acs_for(url: str, monkeypatch: pytest.MonkeyPatch, *, send_timeout: str | None = "2",
                 **options: Any) -> Iterator[Any]:
    """A running ACS fake (``devkit.fake_acs``) whose delivery statuses reach the app on ``url`` through Event
    Grid's wire format (``devkit.webhook``) within a fraction of a second, the app pointed at it; ``options`` go
    to the fake (``honour_repeatability``...). Everything is closed and the client rebuilt after."""
    from devkit.fake_acs import running_fake
    from devkit.webhook import Webhook
    from shared import acs_client

    hook = Webhook(url)
    try:
        with running_fake(webhook_url=hook.url, status_delays=FAST_STATUSES, **options) as running:
            use_fake_acs(monkeypatch, running, send_timeout)
            yield running
    finally:
        hook.close()
        acs_client.reset()


def answer_once_sent(outbox_id: int, url: str, timeout: float = 5.0) -> dict[str, Any]:
    """The send's answer as soon as it is ``sent`` (a delivery status reconciles an unknown one), or as it
    stands after ``timeout`` seconds."""
    from shared import replies

    deadline = time.monotonic() + timeout
    while (answer := replies.answer(outbox_id, url))["state"] != "sent" and time.monotonic() < deadline:
        time.sleep(0.02)
    return answer


def use_fake_acs(monkeypatch: pytest.MonkeyPatch, fake: Any, send_timeout: str | None = "2") -> None:
    """Point the app's ACS settings at a running local fake (``devkit.fake_acs.FakeAcs``): its
    connection string, its self-signed CA and its channel; a fresh client is built on next use."""
    from shared import acs_client

    monkeypatch.setenv("ACS_CONNECTION_STRING", fake.connection_string)
    monkeypatch.setenv("ACS_CA_BUNDLE", str(fake.ca_path))
    monkeypatch.setenv("WHATSAPP_CHANNEL_ID", fake.channel_id)
    if send_timeout is not None:
        monkeypatch.setenv("ACS_SEND_TIMEOUT_SECONDS", send_timeout)
    acs_client.reset()
