"""The local runner serves the Functions host's URLs over real HTTP."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from localrunner.host import next_fire, resolve_setting
from shared import db, schema
from tests.conftest import EXAMPLES, Runner, example

pytestmark = pytest.mark.e2e
def post_events(runner: Runner, body: object, kind: str = "Notification") -> httpx.Response:
    return httpx.post(runner.eventgrid_url, content=json.dumps(body),
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


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(("body", "headers", "status"), [
    ("not json", {"aeg-event-type": "Notification"} | JSON, 400),
    ("[]", JSON, 400),
    ("[{}]", {"aeg-event-type": "SubscriptionValidation"} | JSON, 400),
])
def test_bad_deliveries_are_rejected_clearly(runner: Runner, body: str, headers: dict[str, str],
                                             status: int) -> None:
    response = httpx.post(runner.eventgrid_url, content=body, headers=headers)
    assert response.status_code == status


def test_unknown_function_is_404(runner: Runner) -> None:
    response = httpx.post(runner.eventgrid_url.replace("ingest_whatsapp_event", "nope"), content="[]",
                          headers={"aeg-event-type": "Notification"} | JSON)
    assert response.status_code == 404
    assert httpx.post(runner.base + "/admin/functions/nope", json={}, headers=runner.master()).status_code == 404


def test_admin_api_runs_an_event_grid_function_now(runner: Runner) -> None:
    event = example("text-received") | {"id": "admin-1"}
    response = httpx.post(runner.base + "/admin/functions/ingest_whatsapp_event",
                          json={"input": json.dumps(event)}, headers=runner.master())
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
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {**runner.env, "DATABASE_URL": runner.db_url}
    done = subprocess.run([sys.executable, "-m", "localrunner", "simulate", "Juan", "¿Está listo mi celular?"],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "HTTP 202" in done.stdout
    stored = db.read(lambda c: c.execute(sa.select(schema.message.c.ReparacionId).where(
        schema.message.c.Content == "¿Está listo mi celular?")).scalar_one(), runner.db_url)
    assert stored == 1  # Juan's only open order
    db.dispose_all()
    missing = subprocess.run([sys.executable, "-m", "localrunner", "simulate", "Juan", "x"], cwd=ROOT,
                             env={**runner.env, "PORT": "1"}, capture_output=True, text=True, check=False)
    assert missing.returncode == 1 and "no local runner answers" in missing.stderr


# --- keys, as the Functions host holds them ---------------------------------------------------

def test_each_endpoint_takes_its_own_key(runner: Runner) -> None:
    keys = runner.env
    webhook = f"{runner.base}/runtime/webhooks/eventgrid?functionName=ingest_whatsapp_event"
    delivery = {"aeg-event-type": "Notification"} | JSON
    assert httpx.post(webhook, content="[]", headers=delivery).status_code == 401
    for wrong in (keys["FUNCTIONS_KEY"], keys["MCP_EXTENSION_KEY"], "nope"):
        assert httpx.post(f"{webhook}&code={wrong}", content="[]", headers=delivery).status_code == 401
    for right in (keys["EVENTGRID_EXTENSION_KEY"], keys["FUNCTIONS_MASTER_KEY"]):
        assert httpx.post(f"{webhook}&code={right}", content="[]", headers=delivery).status_code == 202
    assert httpx.post(webhook, content="[]", headers=delivery | {"x-functions-key": right}).status_code == 202
    admin = f"{runner.base}/admin/functions/refresh_phone_index"
    for wrong in ({}, {"x-functions-key": keys["FUNCTIONS_KEY"]},
                  {"x-functions-key": keys["EVENTGRID_EXTENSION_KEY"]}):
        assert httpx.post(admin, json={}, headers=wrong).status_code == 401
    assert httpx.post(admin, json={}, params={"code": keys["FUNCTIONS_MASTER_KEY"]}).status_code == 202
    mcp = f"{runner.base}/runtime/webhooks/mcp"
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    accept = {"Accept": "application/json, text/event-stream"} | JSON
    assert httpx.post(mcp, json=initialize, headers=accept).status_code == 401
    function_key = {"x-functions-key": keys["FUNCTIONS_KEY"]}
    assert httpx.post(mcp, json=initialize, headers=accept | function_key).status_code == 401
    mcp_key = {"code": keys["MCP_EXTENSION_KEY"]}
    assert httpx.post(mcp, json=initialize, params=mcp_key, headers=accept).status_code == 200


def test_keys_off_is_one_setting(tmp_path: Any) -> None:
    from tests.conftest import Runner as RunnerProcess

    open_runner = RunnerProcess(tmp_path, {"FUNCTIONS_KEYS": "off"})
    try:
        webhook = f"{open_runner.base}/runtime/webhooks/eventgrid?functionName=ingest_whatsapp_event"
        assert httpx.post(webhook, content="[]", headers={"aeg-event-type": "Notification"} | JSON).status_code == 202
        assert httpx.post(f"{open_runner.base}/api/whatsapp/quarantine/reprocess").status_code == 200
    finally:
        open_runner.stop()


def test_keys_are_generated_at_set_up_beside_the_database(tmp_path: Any) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {k: v for k, v in os.environ.items() if k not in ("FUNCTIONS_KEY", "FUNCTIONS_MASTER_KEY",
                                                            "EVENTGRID_EXTENSION_KEY", "MCP_EXTENSION_KEY")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'data' / 'x.db'}"
    subprocess.run([sys.executable, "-m", "localrunner", "setup"], cwd=ROOT, env=env, check=True, capture_output=True)
    stored = json.loads((tmp_path / "data" / "keys.json").read_text())
    assert set(stored) == {"default", "master", "eventgrid_extension", "mcp_extension"}
    assert len(set(stored.values())) == 4 and all(len(v) >= 40 for v in stored.values())
    assert (tmp_path / "data" / "keys.json").stat().st_mode & 0o077 == 0  # readable by its owner only
    assert (tmp_path / "data" / "demo-issuer-key.pem").stat().st_mode & 0o077 == 0


# --- what no Event Grid delivery looks like ---------------------------------------------------

@pytest.mark.parametrize(("content_type", "status"), [
    ("application/json", 202), ("application/json; charset=utf-8", 202), ("Application/JSON;charset=UTF-8", 202),
    ("application/cloudevents+json; charset=utf-8", 202), ("application/cloudevents-batch+json", 202),
    ("text/plain", 415), ("application/x-www-form-urlencoded", 415), ("multipart/form-data; boundary=x", 415),
    ("application/json; charset=iso-8859-1", 415), (None, 415),
])
def test_only_event_grids_content_types_are_accepted(runner: Runner, content_type: str | None, status: int) -> None:
    """A cross-site form or text/plain POST (no CORS preflight) cannot plant a message."""
    headers = {"aeg-event-type": "Notification"} | ({"Content-Type": content_type} if content_type else {})
    response = httpx.post(runner.eventgrid_url, content="[]", headers=headers)
    assert response.status_code == status


def test_a_non_object_in_a_batch_is_passed_on_alone(runner: Runner) -> None:
    before = db.read(lambda c: c.execute(sa.select(sa.func.count()).select_from(schema.quarantine)).scalar_one(),
                     runner.db_url)
    good = example("text-received") | {"id": "batch-with-junk"}
    assert post_events(runner, [good, 7, "x", None, [1]]).status_code == 202
    stored = db.read(lambda c: c.execute(sa.select(sa.func.count()).select_from(schema.message).where(
        schema.message.c.EventId == "batch-with-junk")).scalar_one(), runner.db_url)
    after = db.read(lambda c: c.execute(sa.select(sa.func.count()).select_from(schema.quarantine)).scalar_one(),
                    runner.db_url)
    assert stored == 1 and after >= before + 1  # the junk quarantined (identical junk once), the event stored
    db.dispose_all()


@pytest.mark.parametrize("body", [
    [{"data": "512d38b6"}], [{"data": {"validationCode": 5}}], [{"data": {"validationCode": ""}}], [7], {"data": None},
    [{"data": {"validationCode": "a"}}, {"data": {"validationCode": "b"}}],
])
def test_a_malformed_subscription_validation_is_400(runner: Runner, body: Any) -> None:
    assert post_events(runner, body, kind="SubscriptionValidation").status_code == 400


def test_an_event_time_the_worker_cannot_convert_fails_the_invocation_as_in_azure(runner: Runner) -> None:
    """The Python worker's converter raises before the function runs: Event Grid retries, then dead-letters."""
    assert post_events(runner, [example("text-received") | {"id": "bad-time", "eventTime": "ayer"}]).status_code == 500


def test_cloudevents_webhook_validation_handshake(runner: Runner) -> None:
    origin = {"WebHook-Request-Origin": "eventgrid.azure.net"}
    ok = httpx.options(runner.eventgrid_url, headers=origin | {"WebHook-Request-Rate": "120"})
    assert ok.status_code == 200 and ok.headers["WebHook-Allowed-Origin"] == "eventgrid.azure.net"
    assert ok.headers["WebHook-Allowed-Rate"] == "*"
    assert httpx.options(runner.eventgrid_url).status_code == 400
    assert httpx.options(runner.eventgrid_url, headers=origin | {"WebHook-Request-Rate": "lots"}).status_code == 400
    keyless = runner.eventgrid_url.split("&code=")[0]
    assert httpx.options(keyless, headers=origin).status_code == 401


# --- limits on every route ----------------------------------------------------------------

def _raw(runner: Runner, request: bytes) -> int:
    import socket

    with socket.create_connection(("127.0.0.1", runner.port), timeout=10) as sock:
        sock.sendall(request)
        status_line = sock.recv(200).split(b"\r\n", 1)[0]
    return int(status_line.split()[1])


@pytest.mark.parametrize("path", ["/api/whatsapp/sync?orderId=1", "/api/health", "/admin/functions/x",
                                  "/runtime/webhooks/mcp", "/"])
def test_a_body_beyond_the_hosts_limit_is_413_on_every_route(runner: Runner, path: str) -> None:
    request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               f"Content-Length: {104_857_600 + 1}\r\n\r\n").encode()
    assert _raw(runner, request) == 413


def test_the_webhooks_limit_is_one_event_and_counts_a_chunked_body_too(runner: Runner) -> None:
    from localrunner.limits import WEBHOOK_MAX_BODY_BYTES

    big = json.dumps([example("text-received") | {"data": {"content": "x" * WEBHOOK_MAX_BODY_BYTES}}]).encode()
    headers = {"aeg-event-type": "Notification"} | JSON
    assert httpx.post(runner.eventgrid_url, content=big, headers=headers).status_code == 413

    def chunks() -> Any:
        for start in range(0, len(big), 65536):
            yield big[start:start + 65536]
    assert httpx.post(runner.eventgrid_url, content=chunks(), headers=headers).status_code == 413


@pytest.mark.parametrize("depth", [65, 5000, 200_000])
def test_json_nested_too_deep_is_400_not_500(runner: Runner, depth: int) -> None:
    deep = "[" * depth + "]" * depth
    response = httpx.post(runner.eventgrid_url, content=deep, headers={"aeg-event-type": "Notification"} | JSON)
    assert response.status_code == 400
    admin = httpx.post(f"{runner.base}/admin/functions/ingest_whatsapp_event", content=deep,
                       headers=runner.master() | JSON)
    assert admin.status_code == 400
    mcp = httpx.post(f"{runner.base}/runtime/webhooks/mcp", content=deep, headers={
        "x-functions-key": runner.env["MCP_EXTENSION_KEY"], "Accept": "application/json, text/event-stream"} | JSON)
    assert mcp.status_code == 400


@pytest.mark.parametrize("body", [b"[1]", b'{"input": 5}', b'{"input": "not json"}', b"nope",
                                  json.dumps({"input": json.dumps({"id": "x", "eventTime": "ayer"})}).encode(),
                                  json.dumps({"input": "[" * 3000 + "]" * 3000}).encode()])
def test_bad_admin_input_is_400(runner: Runner, body: bytes) -> None:
    response = httpx.post(f"{runner.base}/admin/functions/ingest_whatsapp_event", content=body,
                          headers=runner.master() | JSON)
    assert response.status_code == 400


# --- MCP: only this machine, no foreign page ---------------------------------------------------

@pytest.mark.parametrize(("headers", "status"), [
    ({"Host": "evil.example"}, 421), ({"Host": "evil.example:7071"}, 421),
    ({"Origin": "https://evil.example"}, 403), ({"Origin": "http://127.0.0.1.evil.example"}, 403),
    ({"Origin": "http://localhost:5173"}, 200), ({}, 200),
])
def test_mcp_refuses_a_foreign_host_or_origin(runner: Runner, headers: dict[str, str], status: int) -> None:
    response = httpx.post(f"{runner.base}/runtime/webhooks/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                          headers={"x-functions-key": runner.env["MCP_EXTENSION_KEY"],
                                   "Accept": "application/json, text/event-stream"} | JSON | headers)
    assert response.status_code == status


# --- CloudEvents 1.0, delivered faithfully (a stub app: what shared/ makes of them is not the runner's) ---------

def _stub_app() -> tuple[Any, list[Any]]:
    import azure.functions as func

    received: list[Any] = []
    stub = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

    @stub.event_grid_trigger(arg_name="event")
    def capture(event: func.EventGridEvent) -> None:
        received.append(event)

    return stub, received


def _stub_client() -> tuple[Any, list[Any]]:
    from starlette.testclient import TestClient

    from localrunner import keys
    from localrunner.host import build

    stub, received = _stub_app()
    host_keys = keys.Keys(True, {"default": "f", "master": "m", "eventgrid_extension": "eg", "mcp_extension": "mcp"})
    return TestClient(build(stub, timers=False, host_keys=host_keys)), received


CLOUD_EVENT = {"specversion": "1.0", "id": "ce-1", "source": "/subscriptions/x/resourceGroups/y/providers/"
               "Microsoft.Communication/communicationServices/acs", "type": "Microsoft.Communication."
               "AdvancedMessageReceived", "time": "2026-03-01T10:00:00.1234567Z", "subject": "advancedMessage/sender/1",
               "datacontenttype": "application/json", "data": {"content": "hola", "channelType": "whatsapp"},
               "traceparent": "00-abc-def-01"}


def test_a_cloudevent_reaches_the_function_as_the_workers_cloudevent() -> None:
    import azure.functions as func

    client, received = _stub_client()
    url = "/runtime/webhooks/eventgrid?functionName=capture&code=eg"
    headers = {"aeg-event-type": "Notification", "Content-Type": "application/cloudevents+json; charset=utf-8"}
    assert client.post(url, content=json.dumps(CLOUD_EVENT), headers=headers).status_code == 202
    (event,) = received
    assert isinstance(event, func.CloudEvent)
    assert (event.id, event.type, event.source, event.subject) == (
        "ce-1", CLOUD_EVENT["type"], CLOUD_EVENT["source"], "advancedMessage/sender/1")
    assert event.time is not None and event.time.year == 2026 and event.get_json() == CLOUD_EVENT["data"]
    batch = {"Content-Type": "application/cloudevents-batch+json; charset=utf-8", "aeg-event-type": "Notification"}
    second = CLOUD_EVENT | {"id": "ce-2"}
    assert client.post(url, content=json.dumps([CLOUD_EVENT, second]), headers=batch).status_code == 202
    assert [e.id for e in received[1:]] == ["ce-1", "ce-2"]  # one invocation per event
    grid = {"Content-Type": "application/json", "aeg-event-type": "Notification"}
    assert client.post(url, content=json.dumps([example("text-received")]), headers=grid).status_code == 202
    assert isinstance(received[-1], func.EventGridEvent) and received[-1].event_type == example(
        "text-received")["eventType"]


def test_a_cloudevents_batch_is_stored_through_the_runner_and_the_real_app(runner: Runner) -> None:
    """End to end: CloudEvents delivery (its own content type) → the worker's CloudEvent → ingestion."""
    from tests.test_hostile_events import cloud_event

    event = cloud_event(example("text-received") | {"id": "cloudevents-through-the-runner"})
    response = httpx.post(runner.eventgrid_url, content=json.dumps([event, 7]),
                          headers={"Content-Type": "application/cloudevents-batch+json; charset=utf-8",
                                   "aeg-event-type": "Notification"}, timeout=10)
    assert response.status_code == 202
    rows = db.read(lambda c: c.execute(sa.select(schema.message.c.RawPayload).where(
        schema.message.c.EventId == "cloudevents-through-the-runner")).all(), runner.db_url)
    assert len(rows) == 1 and json.loads(rows[0].RawPayload)["type"] == event["type"]
    db.dispose_all()
