"""The local runner's ACS: the fake (devkit/fake_acs.py) when no real ACS is configured.

``make run`` then sends staff replies through the real SDK to a local server that signs, accepts and
reports delivery statuses back to the runner's Event Grid webhook, so the whole loop (send, Sent,
Delivered, Read) runs on one machine. ``simulate`` goes through the fake's ``/_fake/inbound`` when it
runs, so the fake knows the customer wrote (its 24-hour window) as WhatsApp would.
"""

from __future__ import annotations

import contextlib
import json
import os
import ssl
import urllib.error
import urllib.request
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from shared import config, db, schema


def _control() -> Path:
    """Where a running fake is announced (endpoint and CA) for ``simulate``: ``FAKE_ACS_DIR``/control.json."""
    return Path(os.environ.get("FAKE_ACS_DIR", ".data/fake-acs")) / "control.json"


def real_acs_configured() -> bool:
    return bool(config.get("ACS_ENDPOINT") or config.get("ACS_CONNECTION_STRING"))


def start_fake(stack: contextlib.ExitStack, webhook: str) -> Any:
    """Start the fake (unless ACS is configured or ``FAKE_ACS=off``) and point the app's settings at it."""
    control = _control()
    if real_acs_configured() or os.environ.get("FAKE_ACS", "on") == "off":
        control.unlink(missing_ok=True)
        return None
    from devkit.fake_acs import running_fake

    fake = stack.enter_context(running_fake(webhook_url=webhook, cert_dir=control.parent))
    os.environ["ACS_CONNECTION_STRING"] = fake.connection_string
    os.environ["ACS_CA_BUNDLE"] = str(fake.ca_path.resolve())
    os.environ["WHATSAPP_CHANNEL_ID"] = fake.channel_id
    control.write_text(json.dumps({"endpoint": fake.endpoint, "ca": str(fake.ca_path.resolve())}))
    stack.callback(lambda: control.unlink(missing_ok=True))
    _open_windows(fake)
    with contextlib.suppress(Exception):  # the registry fills on the hourly timer otherwise
        from shared import templates

        templates.sync()
    return fake


def _open_windows(fake: Any) -> None:
    """Tell the fake who wrote in the last 24 hours (the demo data), so its window agrees with ours."""
    m = schema.message
    since = db.utcnow() - timedelta(hours=24)
    rows = db.read(lambda c: c.execute(
        sa.select(m.c.PhoneNumber, sa.func.max(m.c.WhatsAppTimestamp)).where(
            m.c.Direction == "inbound", m.c.PhoneNumber.is_not(None), m.c.WhatsAppTimestamp >= since)
        .group_by(m.c.PhoneNumber)).all())
    for phone, at in rows:
        with contextlib.suppress(ValueError):
            fake.inbound(str(phone).lstrip("+"), at=at.replace(tzinfo=UTC))


def simulate_inbound(sender: str, text: str) -> str | None:
    """Post a customer's message through a running fake; its event id, or ``None`` when no fake runs."""
    try:
        control = json.loads(_control().read_text())
    except (OSError, ValueError):
        return None
    context = ssl.create_default_context(cafile=control["ca"])
    if not str(control["endpoint"]).startswith("https://127.0.0.1:"):
        return None
    request = urllib.request.Request(  # noqa: S310 - https://127.0.0.1 only (checked above)
        f"{control['endpoint']}/_fake/inbound", method="POST", headers={"Content-Type": "application/json"},
        data=json.dumps({"from": sender, "text": text, "post_event": True}).encode())
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:  # noqa: S310 - our fake
            return str(json.loads(response.read())["event_id"])
    except (urllib.error.URLError, OSError, ValueError, KeyError):
        return None
