"""The local runner serves the Functions host's URLs over real HTTP."""

from __future__ import annotations

import json
from datetime import datetime

import httpx
import pytest
import sqlalchemy as sa

from localrunner.host import next_fire, resolve_setting
from shared import db, schema
from tests.conftest import EXAMPLES, Runner, example

pytestmark = pytest.mark.e2e
EVENTGRID = "/runtime/webhooks/EventGrid?functionName=ingest_whatsapp_event"


def post_events(runner: Runner, body: object, kind: str = "Notification") -> httpx.Response:
    return httpx.post(runner.base + EVENTGRID, content=json.dumps(body),
                      headers={"aeg-event-type": kind, "Content-Type": "application/json"}, timeout=10)


def test_health_is_ok_on_sqlite(runner: Runner) -> None:
    response = httpx.get(runner.base + "/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"].pop("write")["writable"] is True
    assert body["database"] == {"backend": "sqlite", "reachable": True, "schemaVersion": schema.SCHEMA_VERSION,
                                "expectedSchemaVersion": schema.SCHEMA_VERSION}
    assert body["aiProvider"] == "offline_digest" and body["messagingClient"] == "none"


def test_runner_database_has_legacy_and_new_tables_and_the_resumen_row(runner: Runner) -> None:
    names = set(sa.inspect(db.engine(runner.db_url)).get_table_names())
    assert {"Cliente", "Reparacion", "Novedad", "TipoNovedad", "EstadoReparacion", "WhatsAppMessage",
            "WhatsAppSyncLog"} <= names
    rows = db.read(lambda c: c.execute(sa.select(schema.tipo_novedad.c.nombre)).scalars().all(), runner.db_url)
    assert "WhatsApp Resumen" in rows
    db.dispose_all()


def test_subscription_validation_handshake(runner: Runner) -> None:
    body = json.loads((EXAMPLES / "subscription-validation.json").read_text())
    response = post_events(runner, body, kind="SubscriptionValidation")
    assert response.status_code == 200
    assert response.json() == {"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}


@pytest.mark.parametrize("name", ["text-received", "image-received", "reaction-received",
                                  "interactive-button-reply-received", "status-sent", "status-failed"])
def test_every_vendor_example_is_accepted(runner: Runner, name: str) -> None:
    body = json.loads((EXAMPLES / f"{name}.json").read_text())
    assert post_events(runner, body).status_code == 202
    assert post_events(runner, body).status_code == 202  # redelivery is a success too


def test_one_invocation_per_event_in_the_array(runner: Runner) -> None:
    events = [example("text-received") | {"id": f"batch-{i}"} for i in range(3)]
    assert post_events(runner, events).status_code == 202
    keys = db.read(lambda c: c.execute(sa.select(schema.message.c.EventId)
                                       .where(schema.message.c.EventId.like("batch-%"))).scalars().all(),
                   runner.db_url)
    assert sorted(keys) == ["batch-0", "batch-1", "batch-2"]
    db.dispose_all()


@pytest.mark.parametrize(("body", "headers", "status"), [
    ("not json", {"aeg-event-type": "Notification"}, 400),
    ("[1, 2]", {"aeg-event-type": "Notification"}, 400),
    ("[]", {}, 400),
    ("[{}]", {"aeg-event-type": "SubscriptionValidation"}, 400),
])
def test_bad_deliveries_are_rejected_clearly(runner: Runner, body: str, headers: dict[str, str],
                                             status: int) -> None:
    response = httpx.post(runner.base + EVENTGRID, content=body, headers=headers)
    assert response.status_code == status


def test_unknown_function_is_404(runner: Runner) -> None:
    response = httpx.post(runner.base + "/runtime/webhooks/EventGrid?functionName=nope", content="[]",
                          headers={"aeg-event-type": "Notification"})
    assert response.status_code == 404
    assert httpx.post(runner.base + "/admin/functions/nope", json={}).status_code == 404


def test_admin_api_runs_an_event_grid_function_now(runner: Runner) -> None:
    event = example("text-received") | {"id": "admin-1"}
    response = httpx.post(runner.base + "/admin/functions/ingest_whatsapp_event",
                          json={"input": json.dumps(event)})
    assert response.status_code == 202
    found = db.read(lambda c: c.execute(sa.select(sa.func.count()).select_from(schema.message)
                                        .where(schema.message.c.EventId == "admin-1")).scalar(), runner.db_url)
    assert found == 1
    db.dispose_all()


def test_ncrontab_schedules_have_seconds_first_and_read_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMMARY_SCHEDULE", "30 */5 * * * *")
    assert resolve_setting("%SUMMARY_SCHEDULE%") == "30 */5 * * * *"
    assert next_fire("%SUMMARY_SCHEDULE%", datetime(2026, 1, 1, 10, 1, 0)) == datetime(2026, 1, 1, 10, 5, 30)
    monkeypatch.delenv("SUMMARY_SCHEDULE")
    assert next_fire("%SUMMARY_SCHEDULE%", datetime(2026, 1, 1, 10, 1, 0)) == datetime(2026, 1, 1, 10, 5, 0)


def test_readme_simulate_command_delivers_a_message(runner: Runner) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {**os.environ, "PORT": str(runner.port)}
    done = subprocess.run([sys.executable, "-m", "localrunner", "simulate", "Juan", "¿Está listo mi celular?"],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "HTTP 202" in done.stdout
    stored = db.read(lambda c: c.execute(sa.select(schema.message.c.ReparacionId).where(
        schema.message.c.Content == "¿Está listo mi celular?")).scalar_one(), runner.db_url)
    assert stored == 1  # Juan's only open order
    db.dispose_all()
    missing = subprocess.run([sys.executable, "-m", "localrunner", "simulate", "Juan", "x"], cwd=ROOT,
                             env={**os.environ, "PORT": "1"}, capture_output=True, text=True, check=False)
    assert missing.returncode == 1 and "no local runner answers" in missing.stderr
