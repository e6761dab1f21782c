"""The pages, the enrolment and the store of the store-side sync tests without a server
(tests/sync/test_apply.py, test_feed_rows.py, test_outbox.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kiosk.protocol import PROTOCOL_VERSION
from kiosk.protocol.keys import SigningKey
from kiosk.protocol.schema import OfficeInfo, PageBody, ServerKey, WireBooking
from kiosk.protocol.wire import keyring_of
from kiosk.store.db import KioskStore
from kiosk.store.times import to_text
from kiosk.sync import enrolment
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


def enrolled_store(path: Path) -> KioskStore:
    """A store opened at `path` and enrolled as ENROLLED, with the server key of page()."""
    opened = KioskStore.open(path)
    enrolment.save_enrolment(opened, ENROLLED, "token", keyring_of(page([]).keys), {"zone": "Asia/Jakarta"}, "G1", NOW)
    return opened
