"""The rows a feed page is made of (kiosk/sync/feed_rows.py) are the rows the store makes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.domain.model import Booking
from kiosk.domain.payload import mask_code
from kiosk.protocol.schema import WireBooking
from kiosk.store import bookings as booking_repo
from kiosk.store.db import KioskStore
from kiosk.store.times import to_text
from kiosk.sync import feed_rows
from tests.sync.pages import NOW, enrolled_store, wire


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KioskStore]:
    opened = enrolled_store(tmp_path / "kiosk.db")
    yield opened
    opened.close()


def booking_of(wire: WireBooking) -> Booking:
    """The domain booking of a wire booking, field by field: the oracle for feed_rows.feed_row()'s fast path."""
    return Booking(
        booking_ref=wire.booking_ref,
        office_code=wire.office_code,
        service_date=wire.service_date,
        slot_start=dt.time.fromisoformat(wire.slot_start),
        slot_end=dt.time.fromisoformat(wire.slot_end),
        status=wire.status,
        party_size=wire.party_size,
        category=wire.category,
        display_name=wire.display_name,
        nik_last4=wire.nik_last4,
        code_masked=mask_code(wire.code),
        version=wire.version,
    )


def test_feed_rows_equal_store_rows(store: KioskStore) -> None:
    for booking in (wire("MP7K2Q9T3M", "R1"), wire("AB12CD34EF", "R2", status="unpaid", category="priority")):
        incoming = booking_repo.IncomingBooking(booking.code, booking_of(booking), to_text(NOW))
        assert feed_rows.feed_row(store.hasher, booking, NOW) == booking_repo.to_row(store.hasher, incoming)
