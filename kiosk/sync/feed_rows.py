"""The stored rows of a feed page and the code owners the feed overrides, apart from the page's
transactions (kiosk/sync/apply.py): the rows are made before any write lock is taken (hashing and
sealing, the costly part, in steps that yield to the gate's scans), and a live booking's row must be
the very row the store makes of it (a test holds feed_row() equal to bookings.to_row())."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kiosk.domain.model import Booking, Category, Status
from kiosk.domain.payload import mask_code
from kiosk.protocol.schema import PageBody, Tombstone, WireBooking
from kiosk.protocol.wire import ProtocolError
from kiosk.store import bookings as booking_repo
from kiosk.store import feed_state
from kiosk.store.codes import CodeHasher
from kiosk.store.db import KioskStore
from kiosk.store.engine import driver
from kiosk.store.schema import BookingRow
from kiosk.store.times import to_text

_CHUNK = 900
#: Rows hashed and sealed between two yields to the gate's scans (about half a millisecond of work).
_ROWS_PER_STEP = 50


def page_rows(store: KioskStore, page: PageBody, now: dt.datetime) -> list[dict[str, Any]]:
    """The stored rows of a page's bookings and tombstones (a "removed" one has none), in the page's
    order, made in steps with a yield to the gate's scans between them."""
    work: list[WireBooking | Tombstone] = [*page.bookings]
    work += [t for t in page.tombstones if t.status != "removed" and t.code]
    rows: list[dict[str, Any]] = []
    for start in range(0, len(work), _ROWS_PER_STEP):
        if start:
            store.yield_to_scans()
        for item in work[start : start + _ROWS_PER_STEP]:
            if isinstance(item, WireBooking):
                rows.append(feed_row(store.hasher, item, now))
            else:
                rows.append(booking_repo.to_row(store.hasher, _tombstone_booking(item, now)))
    return rows


def feed_row(hasher: CodeHasher, wire: WireBooking, now: dt.datetime) -> dict[str, Any]:
    """The stored row of a live feed booking (bookings.sealed_row, straight from the wire's strings:
    a test holds it equal to what bookings.to_row() makes of the same booking)."""
    return booking_repo.sealed_row(
        hasher,
        wire.code,
        booking_ref=wire.booking_ref,
        office_code=wire.office_code,
        service_date=wire.service_date.isoformat(),
        slot_start=wire.slot_start,
        slot_end=wire.slot_end,
        status=wire.status.value,
        party_size=wire.party_size,
        category=wire.category.value,
        display_name=wire.display_name,
        nik_last4=wire.nik_last4,
        code_masked=None,
        version=wire.version,
        updated_at=to_text(wire.updated_at or now),
    )


def _tombstone_booking(tomb: Tombstone, now: dt.datetime) -> booking_repo.IncomingBooking:
    """A cancelled or rescheduled booking as the kiosk keeps it: the code's hash and the slot, nothing personal."""
    assert tomb.code is not None
    if tomb.office_code is None or tomb.service_date is None or tomb.slot_start is None or tomb.slot_end is None:
        raise ProtocolError(f"tombstone for {tomb.booking_ref} lacks its office, date or slot")
    booking = Booking(
        booking_ref=tomb.booking_ref,
        office_code=tomb.office_code,
        service_date=tomb.service_date,
        slot_start=dt.time.fromisoformat(tomb.slot_start),
        slot_end=dt.time.fromisoformat(tomb.slot_end),
        status=Status(tomb.status),
        party_size=1,
        category=Category.REGULAR,
        code_masked=mask_code(tomb.code),
        version=tomb.version,
    )
    return booking_repo.IncomingBooking(tomb.code, booking, to_text(now))


def drop_code_owners(connection: Any, owners: dict[bytes, str]) -> None:
    """The feed is the authority on which booking a code belongs to: a local row holding one of the
    incoming codes under another booking ref (an old booking, a signed code learned offline) goes."""
    raw = driver(connection)
    items = list(owners)
    for start in range(0, len(items), _CHUNK):
        chunk = items[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows = raw.execute(
            f"SELECT code_hash, booking_ref, row_mac FROM {BookingRow.__tablename__} WHERE code_hash IN ({marks})",
            chunk,
        ).fetchall()
        stale = [(code_hash, mac) for code_hash, ref, mac in rows if owners[code_hash] != ref]
        if stale:
            raw.executemany(f"DELETE FROM {BookingRow.__tablename__} WHERE code_hash = ?", [(h,) for h, _ in stale])
            feed_state.change_content(connection, [], [mac for _, mac in stale])
