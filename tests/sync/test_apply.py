"""Store-side sync without a server: a page and its cursor are one transaction; the rows the feed makes
are the rows the store makes; the outbox survives bodies it cannot send."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kiosk.protocol import PROTOCOL_VERSION
from kiosk.protocol.keys import SigningKey
from kiosk.protocol.schema import OfficeInfo, PageBody, ServerKey, Tombstone, WireBooking
from kiosk.protocol.wire import ProtocolError, booking_of, keyring_of
from kiosk.store import audit
from kiosk.store import bookings as booking_repo
from kiosk.store.db import KioskStore
from kiosk.store.schema import BookingRow, OutboxRow
from kiosk.store.times import to_text
from kiosk.sync import apply, state
from kiosk.sync.state import Enrolment

KEY = SigningKey.generate("k-1")
NOW = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
ENROLLED = Enrolment("http://127.0.0.1:9", "K-1", "JKTSEL", to_text(NOW))


def wire(code: str, ref: str, **changes: object) -> WireBooking:
    values: dict[str, object] = {
        "code": code,
        "booking_ref": ref,
        "office_code": "JKTSEL",
        "service_date": dt.date(2026, 12, 1),
        "slot_start": "10:00",
        "slot_end": "10:30",
        "display_name": "Budi",
        "nik_last4": "1234",
        "updated_at": NOW,
    }
    values.update(changes)
    return WireBooking.model_validate(values)


def page(
    bookings: list[WireBooking], since: str | None = None, cursor: str = "0a0b0c0d.3", **changes: object
) -> PageBody:
    values: dict[str, object] = {
        "protocol": PROTOCOL_VERSION,
        "kiosk_id": "K-1",
        "office": OfficeInfo(office_code="JKTSEL", rules={"zone": "Asia/Jakarta"}),
        "since": since,
        "cursor": cursor,
        "has_more": False,
        "server_time": NOW,
        "keys": [ServerKey(key_id=KEY.key_id, public_key=KEY.public_text)],
        "bookings": bookings,
        "tombstones": [],
    }
    values.update(changes)
    return PageBody.model_validate(values)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KioskStore]:
    opened = KioskStore.open(tmp_path / "kiosk.db")
    apply.save_enrolment(opened, ENROLLED, "token", keyring_of(page([]).keys), {"zone": "Asia/Jakarta"}, "G1", NOW)
    yield opened
    opened.close()


def count(store: KioskStore) -> int:
    with store.reading() as connection:
        return int(connection.execute(select(func.count()).select_from(BookingRow)).scalar_one())


def test_feed_rows_equal_store_rows(store: KioskStore) -> None:
    for booking in (wire("MP7K2Q9T3M", "R1"), wire("AB12CD34EF", "R2", status="unpaid", category="priority")):
        incoming = booking_repo.IncomingBooking(booking.code, booking_of(booking), to_text(NOW))
        assert apply.feed_row(store.hasher, booking, NOW) == booking_repo.to_row(store.hasher, incoming)


def test_page_and_cursor_are_one_transaction(store: KioskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    first = page([wire("MP7K2Q9T3M", "R1"), wire("AB12CD34EF", "R2")])

    def broken(*args: object) -> None:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(audit, "append", broken)
    with pytest.raises(RuntimeError):
        apply.apply_page(store, first, None, NOW, NOW)
    monkeypatch.undo()
    with store.reading() as connection:
        assert state.cursor(connection) is None
    assert count(store) == 0
    applied = apply.apply_page(store, first, None, NOW, NOW, 0.5)
    assert applied.complete and applied.bookings == 2 and applied.lock_ms > 0
    assert count(store) == 2 and state.status(store).server_offset_s == 0.5
    # the same page again (a retried request): refused, since the cursor has moved on
    with pytest.raises(ProtocolError, match="cursor moved"):
        apply.apply_page(store, first, None, NOW, NOW)


def test_page_checks() -> None:
    good = page([wire("MP7K2Q9T3M", "R1")], since="0a0b0c0d.1")
    apply.check_page(good, "0a0b0c0d.1", ENROLLED)
    cases = {
        "not the one asked": (good, "0a0b0c0d.0"),
        "backwards": (page([], since="0a0b0c0d.5", cursor="0a0b0c0d.4"), "0a0b0c0d.5"),
        "office": (page([wire("MP7K2Q9T3M", "R1", office_code="OTHER")], since=None), None),
        "kiosk": (page([], kiosk_id="K-2"), None),
        "twice": (
            page([wire("MP7K2Q9T3M", "R1")], tombstones=[Tombstone(booking_ref="R1", version=2, status="removed")]),
            None,
        ),
        "live": (page([wire("MP7K2Q9T3M", "R1", status="cancelled")]), None),
        "rules": (page([], office=OfficeInfo(office_code="JKTSEL", rules={"zone": "Mars"})), None),
        "keys": (page([], keys=[]), None),
    }
    for name, (bad, asked) in cases.items():
        with pytest.raises(ProtocolError):
            apply.check_page(bad, asked, ENROLLED)
        assert name


def test_tombstones_and_code_owners(store: KioskStore) -> None:
    apply.apply_page(store, page([wire("MP7K2Q9T3M", "R1"), wire("AB12CD34EF", "R2")]), None, NOW, NOW)
    later = page(
        [wire("MP7K2Q9T3M", "R9")],  # the code now belongs to another booking
        since="0a0b0c0d.3",
        cursor="0a0b0c0d.6",
        tombstones=[Tombstone(booking_ref="R2", version=5, status="removed")],
    )
    apply.apply_page(store, later, "0a0b0c0d.3", NOW, NOW)
    with store.reading() as connection:
        refs = sorted(connection.execute(select(BookingRow.booking_ref)).scalars())
    assert refs == ["R9"]


def test_unsendable_outbox_rows_stay(store: KioskStore) -> None:
    with store.writing() as connection:
        connection.execute(
            OutboxRow.__table__.insert().values(
                event_uuid="bad", body=json.dumps({"event_uuid": "nope"}), created_at=to_text(NOW), attempts=0
            )
        )
    (item,) = apply.outbox_batch(store, 10)
    assert item.event is None and "cannot be sent" in item.problem
    apply.outbox_failed(store, ["bad"], item.problem)
    assert store.outbox_size() == 1
