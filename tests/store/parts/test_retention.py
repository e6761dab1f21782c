"""store.retention: old bookings purged (audited), personal data counted (kiosk/store/parts/retention.py)."""

from __future__ import annotations

from kiosk.store.db import KioskStore
from tests.store.conftest import BOOKINGS, NOW, SETUP, incoming, make_booking


def test_purge_removes_old_bookings_and_is_audited(store: KioskStore) -> None:
    old = make_booking("B-OLD", service_date=NOW.date().replace(day=1))
    store.bookings.import_rows(incoming({"OLD4Q2XA9Z7K": old}), SETUP, "old")
    report = store.retention.purge(NOW, retention_days=3)
    assert (report.bookings, report.cutoff.isoformat()) == (1, "2026-12-04")
    assert store.bookings.count() == len(BOOKINGS)
    assert store.audit.head().seq == 4
    assert store.audit.verify().ok


def test_the_pii_inventory_counts_personal_fields(store: KioskStore) -> None:
    inventory = store.retention.pii_inventory()
    assert inventory["bookings.display_name"] == len(BOOKINGS)
    assert inventory["bookings.nik_last4"] == len(BOOKINGS)
    assert inventory["outbox (events not yet uploaded)"] == 0
