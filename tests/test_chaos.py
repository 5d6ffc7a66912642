"""A small ``make chaos``: 3,000 deliveries while connections drop mid-transaction and the database locks."""

from __future__ import annotations

import pytest

from bench.chaos import run

pytestmark = pytest.mark.slow


def test_invariants_hold_under_injected_database_faults() -> None:
    counts = run(3000, drop_rate=0.01, lock_every=0.3)  # verify() inside raises on any broken invariant
    assert counts["connections dropped"] >= 5  # faults really happened...
    assert counts["lock episodes"] >= 2
    assert counts["redeliveries"] >= 1  # ...and some outlasted the retry budget, so Event Grid redelivered
    assert counts["quarantined"] == 60  # 2% malformed
    assert counts["duplicate"] + counts["status_stale"] >= 900


def test_media_ends_stored_once_or_expired_with_a_reason_under_storage_faults(monkeypatch: pytest.MonkeyPatch) -> None:
    """A small ``bench/chaos_media.py``: Azurite stopped and restarted, ACS faults, expired ids, bad files."""
    from bench import chaos_media
    from shared import media_storage

    for name in ("DATABASE_URL", "DB_RETRY_SECONDS", "MEDIA_STORAGE", "MEDIA_CONTAINER", "MEDIA_QUEUE",
                 "MEDIA_ID_LIFETIME_DAYS", "MEDIA_RETRY_BASE_SECONDS", "ACS_CONNECTION_STRING", "ACS_CA_BUNDLE",
                 "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)  # run() sets them; monkeypatch puts the originals back
        monkeypatch.setenv(name, "")
    counts = chaos_media.run(60)  # verify() inside raises on any broken invariant
    media_storage.reset_clients()
    assert counts["azurite stopped"] == 2 and counts["acs fault bursts"] >= 1
    assert counts["stored -> stored"] >= 40 and counts["blobs"] == counts["stored -> stored"]


def test_the_hostile_phase_keeps_the_invariants() -> None:
    from bench.chaos import run_hostile

    counts = run_hostile()  # verify() inside raises on any broken invariant
    assert counts["refused while the file was gone"] == 5
    assert counts["cut and flagged"] >= 2
    assert float(counts["longest request (s)"]) < 30  # inside Event Grid's delivery timeout  # type: ignore[arg-type]


def test_sends_end_once_or_with_a_reason_under_acs_and_database_faults() -> None:
    from bench.chaos_send import run as run_sends

    counts = run_sends(60, fault_rate=0.3, seed=7)  # verify() inside raises on any broken invariant
    assert counts["sent"] + counts["failed"] == 60
    assert sum(v for k, v in counts.items() if str(k).startswith("ACS fault")) >= 5  # faults really happened
    assert counts["accepted by ACS"] >= counts["sent"]
