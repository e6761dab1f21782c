"""The guard's queue: today's denied and referred scans with booking details, open ones first,
who resolved the rest (kiosk/store/queue.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.domain.model import Reason, Verdict
from kiosk.store import guard_actions, queue
from kiosk.store.db import KioskStore
from kiosk.store.guard_actions import (
    ActionKind,
    OverrideReason,
)
from tests.store.scans import LATER, scan
from tests.ui.fixtures import (
    ADMIT_CODE,
    GUARD_A,
    GUARD_B,
    NOW,
    PARTY_CODE,
    UNKNOWN_CODE,
    guard_id,
    make_store,
    presentation,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KioskStore]:
    with make_store(tmp_path / "kiosk.db") as opened:
        yield opened


def test_queue_lists_todays_denied_and_referred_scans_with_booking_details(store: KioskStore) -> None:
    scan(store, ADMIT_CODE)  # admitted: not in the queue
    scan(store, "MPTOOEARLY01", NOW - dt.timedelta(days=1))  # yesterday: not in the queue
    store.decisions.record(presentation(PARTY_CODE), NOW)
    used_twice = scan(store, PARTY_CODE, LATER)
    priority = scan(store, "MPPRIORITY01", LATER + dt.timedelta(seconds=5))
    unknown = scan(store, UNKNOWN_CODE, LATER + dt.timedelta(seconds=10))

    items = {item.event_uuid: item for item in queue.queue(store, LATER + dt.timedelta(minutes=1))}

    assert set(items) == {used_twice, priority, unknown}
    twice = items[used_twice]
    assert (twice.verdict, twice.reason) == (Verdict.DENY, Reason.ALREADY_ADMITTED.value)
    assert (twice.display_name, twice.nik_last4, twice.party_size) == ("Keluarga Santoso", "4412", 3)
    assert (twice.first_entry_time, twice.first_entry_gate) == ("10.45", "G1")
    assert twice.local_time == "10.46"
    assert twice.code_masked == "MP********M1"
    assert items[priority].verdict is Verdict.REFER and items[priority].category == "priority"
    assert items[unknown].display_name == "" and items[unknown].party_size is None


def test_queue_shows_open_scans_first_and_who_resolved_the_rest(store: KioskStore) -> None:
    first = scan(store, UNKNOWN_CODE)
    second = scan(store, "MPCANCEL0001", LATER)
    guard_actions.override(
        store, second, guard_id(store, GUARD_B), OverrideReason.PRIORITY_ELDERLY, LATER, note="lansia"
    )
    guard_actions.add_note(store, first, guard_id(store, GUARD_A), "menunggu", LATER)
    items = queue.queue(store, LATER)
    assert [item.event_uuid for item in items] == [first, second]
    assert items[0].is_open and items[0].notes[0].text == "menunggu"
    resolution = items[1].resolution
    assert resolution is not None
    assert (resolution.kind, resolution.guard_name, resolution.reason) == (
        ActionKind.OVERRIDE,
        GUARD_B,
        "PRIORITY_ELDERLY",
    )
    assert items[1].notes[0].text == "lansia"


# --- statistics and the daily report ----------------------------------------------------------------
