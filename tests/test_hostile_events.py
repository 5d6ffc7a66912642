"""Events as they may really arrive (issue 13, items 2, 6, 7): CloudEvents 1.0, non-objects, JSON
nested past any sane depth, and texts longer than WhatsApp allows."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from azure.functions import meta
from azure.functions.eventgrid import EventGridEventInConverter
from hypothesis import given, settings
from hypothesis import strategies as st

from devkit import acs_events
from shared import config, db, envelopes, ingest, schema
from shared import event_parsing as events
from tests.conftest import Context, example, example_names, function

JUAN = "5491155551234"
_m, _q = schema.message, schema.quarantine


def cloud_event(grid: dict[str, Any]) -> dict[str, Any]:
    """The same event as an Event Grid subscription with the CloudEvents 1.0 schema delivers it."""
    return {"specversion": "1.0", "id": grid["id"], "source": grid["topic"], "subject": grid["subject"],
            "type": grid["eventType"], "time": grid["eventTime"], "datacontenttype": "application/json",
            "data": grid["data"]}


def deliver(body: dict[str, Any]) -> None:
    """Through azure-functions' own trigger converter (a CloudEvent for a 'specversion' body), then the
    function, as the worker does."""
    event = EventGridEventInConverter.decode(meta.Datum(json.dumps(body), "json"), trigger_metadata={})
    function("ingest_whatsapp_event")(event=event, context=Context())


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(microsecond=0)


def stored(url: str) -> list[Any]:
    return list(db.read(lambda c: c.execute(sa.select(_m).order_by(_m.c.Id)).all(), url))


def quarantined(url: str) -> list[Any]:
    return list(db.read(lambda c: c.execute(sa.select(_q).order_by(_q.c.Id)).all(), url))


# --- CloudEvents 1.0 --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [n for n in example_names() if n != "subscription-validation"])
def test_cloudevents_versions_of_the_vendor_examples_are_stored_like_the_originals(db_url: str, name: str) -> None:
    grid = example(name)
    as_cloud = cloud_event(grid)
    deliver(as_cloud)
    deliver(as_cloud)  # a redelivery
    assert quarantined(db_url) == []
    if grid["eventType"] == events.RECEIVED:
        [row] = stored(db_url)
        raw = json.loads(row.RawPayload)  # kept as it arrived: type, source, time included ...
        assert _instant(raw.pop("time")) == _instant(as_cloud["time"])  # ... the time as the worker parsed it
        assert raw == {k: v for k, v in as_cloud.items() if k != "time"}
        assert row.WhatsAppTimestamp == events.parse(grid).timestamp  # type: ignore[union-attr]


def test_cloudevent_fields_map_to_the_event_grid_ones() -> None:
    grid = acs_events.received(JUAN, content="hola")
    del grid["data"]["receivedTimestamp"]  # so the envelope's time decides
    parsed, from_cloud = events.parse(grid), events.parse(cloud_event(grid))
    assert from_cloud.timestamp == parsed.timestamp and from_cloud.event_id == parsed.event_id
    assert from_cloud.message_key == parsed.message_key  # the same event in either schema is one message


def test_a_quarantined_cloudevent_is_replayed_faithfully(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_CHANNEL_ID", "00000000-0000-0000-0000-00000000000f")  # a wrong setting
    as_cloud = cloud_event(acs_events.received(JUAN, content="por CloudEvents"))
    deliver(as_cloud)
    [row] = quarantined(db_url)
    assert row.EventType == events.RECEIVED and json.loads(row.Payload) == as_cloud
    monkeypatch.setenv("WHATSAPP_CHANNEL_ID", acs_events.DEMO_CHANNEL_ID)  # corrected
    assert ingest.reprocess_quarantined(url=db_url)["released"] == 1
    [message] = stored(db_url)
    assert message.Content == "por CloudEvents" and json.loads(message.RawPayload) == as_cloud


def test_the_envelope_of_a_cloudevent_keeps_its_extensions() -> None:
    body = {**cloud_event(acs_events.received(JUAN, content="x")), "traceparent": "00-abc-def-01"}
    event = EventGridEventInConverter.decode(meta.Datum(json.dumps(body), "json"), trigger_metadata={})
    envelope = envelopes.envelope_of(event)
    assert envelope["traceparent"] == "00-abc-def-01" and envelope["type"] == events.RECEIVED
    assert envelope["source"] == body["source"] and envelope["data"] == body["data"]


# --- non-objects and deep JSON ----------------------------------------------------------------------

@pytest.mark.parametrize("item", [[], ["a"], "texto", 42, None, True, 1.5])
def test_a_non_object_event_is_quarantined_alone(db_url: str, item: Any) -> None:
    good = acs_events.received(JUAN, content="válido")
    outcomes = [ingest.ingest_event(e, db_url).outcome for e in (good, item)]  # type: ignore[arg-type]
    assert outcomes == ["stored", "quarantined"]
    [row] = quarantined(db_url)
    assert row.Reason == "el evento no es un objeto JSON"
    assert json.loads(row.Payload) == {"payload": item}


def nested(depth: int, leaf: Any = "x") -> Any:
    value = leaf
    for n in range(depth):
        value = [value] if n % 2 else {"k": value}
    return value


@pytest.mark.parametrize("depth", [33, 200, 100_000])
def test_json_nested_too_deep_is_quarantined_with_a_reason_never_a_crash(db_url: str, depth: int) -> None:
    event = acs_events.received(JUAN, content="hondo")
    event["data"]["extra"] = nested(depth)  # 100,000 levels: far past Python's recursion limit
    assert ingest.ingest_event(event, db_url).outcome == "quarantined"
    assert ingest.ingest_event(event, db_url).outcome == "quarantined"  # again: kept once
    [row] = quarantined(db_url)
    assert row.Reason == f"JSON anidado a más de {envelopes.MAX_DEPTH} niveles"
    assert len(row.Payload) <= config.get_int("RAW_PAYLOAD_MAX_BYTES")
    assert stored(db_url) == []
    assert ingest.reprocess_quarantined(url=db_url)["released"] == 0  # still poison, never a crash


def test_an_event_nested_to_the_limit_is_still_read(db_url: str) -> None:
    event = acs_events.received(JUAN, content="justo")
    event["data"]["extra"] = nested(envelopes.MAX_DEPTH - 2)  # envelope + data + these = the limit
    assert ingest.ingest_event(event, db_url).outcome == "stored"


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                     | st.text(max_size=10),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner,
                                                                                    max_size=4), max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_the_recursion_free_writer_spells_json_as_the_digest_always_did(value: Any) -> None:
    """Quarantine digests keep their values: rows kept before this change still deduplicate."""
    assert "".join(envelopes.canonical_chunks(value)) == events.canonical_json(value)
    assert envelopes.too_deep(value, 3) == (_depth(value) > 3)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


# --- stored sizes -----------------------------------------------------------------------------------

def test_text_and_caption_longer_than_whatsapp_allows_are_cut_and_flagged(db_url: str) -> None:
    long_text = "ñ" * 1_000_000  # a megabyte of text in one event
    ingest.ingest_event(acs_events.received(JUAN, content=long_text), db_url)
    ingest.ingest_event(acs_events.received(JUAN, message_type="image", media={
        "id": "m1", "mimeType": "image/jpeg", "caption": "c" * 5000}), db_url)
    ingest.ingest_event(acs_events.received(JUAN, content="a" * events.TEXT_MAX_CHARS), db_url)  # at the limit
    text, image, exact = stored(db_url)
    assert text.Content == "ñ" * events.TEXT_MAX_CHARS and text.TextTruncated is True
    assert image.MediaCaption == "c" * events.CAPTION_MAX_CHARS and image.TextTruncated is True
    assert exact.Content == "a" * events.TEXT_MAX_CHARS and exact.TextTruncated is False
    limit = config.get_int("RAW_PAYLOAD_MAX_BYTES")
    assert text.RawTruncated is True and len(text.RawPayload.encode()) <= limit
