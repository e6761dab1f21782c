"""The status panel's figures (kiosk/store/status.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.store.db import KioskStore
from kiosk.store.status import store_status
from tests.store.scans import scan
from tests.ui.fixtures import (
    ADMIT_CODE,
    NOW,
    make_store,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KioskStore]:
    with make_store(tmp_path / "kiosk.db") as opened:
        yield opened


def test_store_status_figures(store: KioskStore) -> None:
    scan(store, ADMIT_CODE)
    status = store_status(store, NOW, verify=True)
    assert status.pending_uploads == store.decisions.outbox_size() == 1
    assert status.audit_ok is True and status.audit_head_seq == store.audit.head().seq
    assert status.data_age is None and status.last_sync is None  # standalone: imported data
    assert status.free_disk_bytes > 0 and status.bookings == 10
    assert status.bookings_lost is False
