"""The showcase for `kiosk demo`: a booking for every outcome, timed around the demo clock so each
sample code gives the answer it promises whenever the demo is run, and the demo clock itself.

Made-up bookings, as everywhere in kiosk/demo (names and codes: kiosk/demo/data.py). No Qt here.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

from kiosk.demo.data import OTHER_OFFICES, SLOT_MINUTES, BookingMaker, DemoBooking, new_code
from kiosk.domain.decide import format_time
from kiosk.domain.model import ZONE_ABBREVIATION, Category, OfficeRules, Reason, Status
from kiosk.door import Door, DoorSettings, Sighting, Source
from kiosk.store.db import KioskStore

DEMO_KIOSK_ID = "DEMO-KIOSK"
#: The demo runs on the real clock between these office times, and else from 10.00 today.
DEMO_REAL_HOURS = (dt.time(7, 0), dt.time(17, 0))
#: Around any time in here every sample fits on the same day (given the default arrival window).
SAMPLE_HOURS = (dt.time(3, 0), dt.time(21, 0))
#: A made-up 16-digit number in NIK form, and a web address: two things people show instead of a booking.
DEMO_NIK = "3275014101900007"
DEMO_URL = "https://www.imigrasi.go.id/"


@dataclass(frozen=True, slots=True)
class Sample:
    """One line of the demo's table: what to type, and what the kiosk will answer."""

    title: str
    text: str
    expect: Reason
    booking: DemoBooking | None = None
    #: Admit this booking once while preparing, so that showing it gives ALREADY_ADMITTED.
    use_once: bool = False


def showcase(office: str, rules: OfficeRules, now: dt.datetime, rng: random.Random) -> list[Sample]:
    """A booking for every outcome, timed around `now` in the office's zone so each gives its answer.

    `now` must leave room on the same day for slots hours before and after it: see has_room_for_samples."""
    tz = rules.tz
    local = now.astimezone(tz)
    today = local.date()
    current = _floor_to_slot(local)
    early = current + dt.timedelta(minutes=rules.early_minutes + 2 * SLOT_MINUTES)
    late_end = current - dt.timedelta(minutes=rules.late_minutes + 2 * SLOT_MINUTES)
    other_office = next(code for code in OTHER_OFFICES.get(tz.key, ("JKS",)) if code != office)
    maker = BookingMaker(rng, tz.key, now - dt.timedelta(hours=12))
    slot = current.time()
    too_late = (late_end - dt.timedelta(minutes=SLOT_MINUTES)).time()
    tomorrow = today + dt.timedelta(days=1)
    samples = [
        Sample("admit", "", Reason.OK, maker.make(office, today, slot, party=1)),
        Sample("admit, party of 3", "", Reason.OK, maker.make(office, today, slot, party=3)),
        Sample("too early", "", Reason.TOO_EARLY, maker.make(office, today, early.time(), party=1)),
        Sample("too late", "", Reason.TOO_LATE, maker.make(office, today, too_late)),
        Sample("wrong day (tomorrow)", "", Reason.WRONG_DAY, maker.make(office, tomorrow, slot)),
        Sample(f"wrong office ({other_office})", "", Reason.WRONG_OFFICE, maker.make(other_office, today, slot)),
        Sample("cancelled", "", Reason.CANCELLED, maker.make(office, today, slot, status=Status.CANCELLED)),
        Sample("rescheduled", "", Reason.RESCHEDULED, maker.make(office, today, slot, status=Status.RESCHEDULED)),
        Sample("unpaid", "", Reason.UNPAID, maker.make(office, today, slot, status=Status.UNPAID)),
        Sample(
            "priority walk-in",
            "",
            Reason.NEEDS_OFFICER,
            maker.make(office, today, slot, category=Category.PRIORITY_WALKIN),
        ),
        Sample("already admitted", "", Reason.ALREADY_ADMITTED, maker.make(office, today, slot, party=1), True),
    ]
    samples = [Sample(s.title, s.booking.code, s.expect, s.booking, s.use_once) for s in samples if s.booking]
    samples.append(Sample("unknown code", new_code(rng), Reason.UNKNOWN_CODE))
    samples.append(Sample("a NIK (ID number)", DEMO_NIK, Reason.NOT_A_BOOKING))
    samples.append(Sample("a web address", DEMO_URL, Reason.NOT_A_BOOKING))
    return samples


def demo_clock_start(now: dt.datetime, rules: OfficeRules) -> tuple[dt.datetime, bool]:
    """The demo's clock: `now` during the office's day; otherwise (a demo in the evening looks odd
    with slots at 04.30) 10.00 today in the office's zone. Returns (time, moved)."""
    local = now.astimezone(rules.tz)
    if DEMO_REAL_HOURS[0] <= local.time() < DEMO_REAL_HOURS[1]:
        return now, False
    return dt.datetime.combine(local.date(), dt.time(10, 0), tzinfo=rules.tz), True


def has_room_for_samples(moment: dt.datetime, rules: OfficeRules) -> bool:
    """Whether every sample can be timed around `moment` on the same day (too early needs a slot some
    hours later, too late one some hours earlier)."""
    return SAMPLE_HOURS[0] <= moment.astimezone(rules.tz).time() < SAMPLE_HOURS[1]


def fill_demo_store(
    store: KioskStore, samples: Sequence[Sample], background: Sequence[DemoBooking], now: dt.datetime
) -> int:
    """Import the samples and an ordinary day around them in one transaction, then use the samples
    that must already have been used. Returns the number of bookings imported."""
    incoming = [s.booking.incoming() for s in samples if s.booking] + [b.incoming() for b in background]
    imported = store.bookings.import_rows(incoming, now, source="demo")
    with Door(store, DoorSettings(online_check=False)) as door:
        for sample in samples:
            if sample.use_once:
                door.present(Sighting(sample.text, now, Source.DEMO))
    return imported


def sample_detail(sample: Sample, zone: str) -> str:
    """A short description of a sample's booking for the demo table (no name: the table is public)."""
    if sample.booking is None:
        return ""
    booking = sample.booking.booking
    slot = f"{format_time(booking.slot_start)}-{format_time(booking.slot_end)} {ZONE_ABBREVIATION[zone]}"
    when = "" if sample.expect is not Reason.WRONG_DAY else f" on {booking.service_date.isoformat()}"
    office = "" if sample.expect is not Reason.WRONG_OFFICE else f" at {booking.office_code}"
    return f"slot {slot}{when}{office}, party of {booking.party_size}"


def _floor_to_slot(local: dt.datetime) -> dt.datetime:
    minutes = (local.hour * 60 + local.minute) // SLOT_MINUTES * SLOT_MINUTES
    return local.replace(hour=minutes // 60, minute=minutes % 60, second=0, microsecond=0)
