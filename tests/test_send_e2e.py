"""The whole loop on one machine: the local runner with the ACS fake, over real HTTP.

Open an order, send a reply, see it delivered and read (the fake's statuses come back through the
runner's Event Grid webhook); with the window closed, send a template; the customer answers through
``localrunner simulate`` (which goes through the fake) and free text is possible again.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, Runner, StaffIssuer

pytestmark = pytest.mark.e2e


_ISSUER: dict[str, StaffIssuer] = {}


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runner, Path]]:
    """The runner with the ACS fake and staff sign-in on (the tests' own token issuer)."""
    tmp = tmp_path_factory.mktemp("send-e2e")
    issuer = _ISSUER.setdefault("issuer", StaffIssuer(tmp))
    runner = Runner(tmp, {"FAKE_ACS": "on", "ACS_CONNECTION_STRING": "", "ACS_ENDPOINT": "", **issuer.env})
    yield runner, tmp / "fake-acs"
    runner.stop()


def signed_in() -> dict[str, str]:
    return {"Authorization": "Bearer " + _ISSUER["issuer"].token()}


def status_of(runner: Runner, order: int, message_id: int, wanted: str, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        page = httpx.get(f"{runner.base}/api/whatsapp/messages/{order}", params={"limit": 200},
                         headers=signed_in()).json()
        found = next(m for m in page["messages"] if m["id"] == message_id)
        if (found["status"] or {}).get("state") == wanted or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def post(runner: Runner, order: int, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{runner.base}/api/whatsapp/orders/{order}/messages", json=body, timeout=30,
                      headers=signed_in())


def test_reply_delivered_and_read_then_a_template_outside_the_window(loop: tuple[Runner, Path]) -> None:
    runner, fake_dir = loop
    assert (fake_dir / "control.json").exists()
    view = httpx.get(f"{runner.base}/api/whatsapp/orders/2", headers=signed_in()).json()
    assert view["customerServiceWindow"]["open"] is True
    reply = post(runner, 2, {"clientRequestId": str(uuid.uuid4()), "text": "Hola María, la notebook está lista"})
    assert reply.status_code == 201, reply.text
    sent = reply.json()
    assert sent["state"] == "sent" and sent["message"]["sentBy"] == "Ana Gómez"
    read = status_of(runner, 2, sent["message"]["id"], "read")
    assert read["status"]["state"] == "read" and read["text"] == "Hola María, la notebook está lista"

    closed = post(runner, 1, {"clientRequestId": str(uuid.uuid4()), "text": "Hola Juan"})
    assert closed.status_code == 409 and closed.json()["type"] == "/problems/window-closed"
    offered = httpx.get(f"{runner.base}/api/whatsapp/orders/1/templates", headers=signed_in()).json()
    assert offered["window"]["open"] is False
    reparado = next(t for t in offered["templates"] if t["purpose"] == "reparado")
    assert reparado["sendable"] and "orden 1" in reparado["preview"]
    template = post(runner, 1, {"clientRequestId": str(uuid.uuid4()), "template": {"purpose": "reparado"}})
    assert template.status_code == 201 and template.json()["state"] == "sent"
    shown = status_of(runner, 1, template.json()["message"]["id"], "read")
    assert shown["status"]["state"] == "read" and shown["text"] == reparado["preview"]


def test_the_customer_answers_through_the_fake_and_the_window_opens(loop: tuple[Runner, Path]) -> None:
    runner, fake_dir = loop
    env = {**runner.env, "FAKE_ACS_DIR": str(fake_dir)}
    done = subprocess.run([sys.executable, "-m", "localrunner", "simulate", "Juan", "¿Ya está?"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0 and "posted by the local ACS fake" in done.stdout
    deadline = time.monotonic() + 10
    while not httpx.get(f"{runner.base}/api/whatsapp/orders/1",
                        headers=signed_in()).json()["customerServiceWindow"]["open"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    reply = post(runner, 1, {"clientRequestId": str(uuid.uuid4()), "text": "Sí Juan, pasá cuando quieras"})
    assert reply.status_code == 201 and reply.json()["state"] == "sent"
    assert status_of(runner, 1, reply.json()["message"]["id"], "read")["status"]["state"] == "read"
