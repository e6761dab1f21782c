"""A small office for the screen, worker and guard-action tests: one kiosk database with bookings that
lead to every kind of outcome at NOW, and two guards. Shared by tests/ui, tests/workers and
tests/store/test_actions.py (imported, not a conftest, so each test module says what it uses)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.domain.decide import Presentation
from kiosk.domain.model import Booking, Category, OfficeRules, Status
from kiosk.domain.payload import parse_payload
from kiosk.store.bookings import IncomingBooking
from kiosk.store.db import KioskStore
from kiosk.store.settings import Identity

OFFICE = "KANIM-JKTSEL"
ZONE = ZoneInfo("Asia/Jakarta")
DAY = dt.date(2026, 12, 1)
#: 10.45 WIB on DAY: inside the 10.00-12.30 arrival window of the 10.30 slot.
NOW = dt.datetime(2026, 12, 1, 10, 45, tzinfo=ZONE).astimezone(dt.UTC)

GUARD_A, PIN_A = "Agus", "246810"
GUARD_B, PIN_B = "Budi", "135792"

#: code -> (booking changes, the reason decide() gives at NOW)
CODES: dict[str, dict[str, object]] = {
    "MP7KQ2XAT3M9": {},  # ADMIT, one person
    "MPPARTY3FAM1": {"party_size": 3, "display_name": "Keluarga Santoso", "nik_last4": "4412"},  # ADMIT 3
    "MPCANCEL0001": {"status": Status.CANCELLED},
    "MPUNPAID0001": {"status": Status.UNPAID},
    "MPRESCHED001": {"status": Status.RESCHEDULED},
    "MPOTHEROFF01": {"office_code": "KANIM-BDG"},
    "MPTOOEARLY01": {"slot_start": dt.time(14, 0), "slot_end": dt.time(15, 0)},
    "MPTOOLATE001": {"slot_start": dt.time(8, 0), "slot_end": dt.time(8, 30)},
    "MPTOMORROW01": {"service_date": DAY + dt.timedelta(days=1)},
    "MPPRIORITY01": {"category": Category.PRIORITY_WALKIN, "display_name": "Ibu Sumarni", "nik_last4": "0921"},
}
ADMIT_CODE = "MP7KQ2XAT3M9"
PARTY_CODE = "MPPARTY3FAM1"
UNKNOWN_CODE = "MPUNKNOWN999"


def booking_for(code: str, n: int, **changes: object) -> Booking:
    values: dict[str, object] = {
        "booking_ref": f"B-{n:06d}",
        "office_code": OFFICE,
        "service_date": DAY,
        "slot_start": dt.time(10, 30),
        "slot_end": dt.time(11, 30),
        "display_name": f"Pemohon {n}",
        "nik_last4": f"{1000 + n}",
    }
    values.update(changes)
    return Booking(**values)  # type: ignore[arg-type]


def make_store(path: Path, *, deny_needs_ack: bool = False, guards: bool = True) -> KioskStore:
    store = KioskStore.open(path)
    store.settings.configure(
        Identity(kiosk_id="KIOSK-T", gate="G1", office_code=OFFICE),
        OfficeRules(office_code=OFFICE, deny_needs_ack=deny_needs_ack),
        NOW,
    )
    incoming = [
        IncomingBooking(code, booking_for(code, n, **changes), "2026-11-30T00:00:00+00:00")
        for n, (code, changes) in enumerate(CODES.items(), start=1)
    ]
    store.bookings.import_rows(incoming, NOW, "test")
    if guards:
        store.guards.add(GUARD_A, PIN_A, NOW)
        store.guards.add(GUARD_B, PIN_B, NOW)
    return store


def presentation(text: str | bytes) -> Presentation:
    """For tests of the store below the door: the presentation of a plain code."""
    return Presentation(parse_payload(text))


def present(text: str | bytes) -> list[str | bytes]:
    """What a reader hands the controller: the codes read together (here one)."""
    return [text]


def guard_id(store: KioskStore, name: str) -> int:
    return next(g.id for g in store.guards.all() if g.name == name)
