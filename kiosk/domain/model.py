"""The types the decision works on: bookings, entries, office rules, verdicts and reasons.

All of them are immutable values. Times are timezone-aware; dates and slot times of a booking are in
the office's own zone, because that is how the applicant's booking reads.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo


class Verdict(enum.StrEnum):
    """The one answer the gate gives. Closed: nothing else may ever reach the screen."""

    ADMIT = "ADMIT"
    REFER = "REFER"
    DENY = "DENY"


class Reason(enum.StrEnum):
    """Why the verdict is what it is. The value is what the audit log and the server store."""

    OK = "OK"
    # DENY
    NOT_A_BOOKING = "NOT_A_BOOKING"
    UNKNOWN_CODE = "UNKNOWN_CODE"
    FORGED = "FORGED"
    WRONG_OFFICE = "WRONG_OFFICE"
    WRONG_DAY = "WRONG_DAY"
    TOO_EARLY = "TOO_EARLY"
    TOO_LATE = "TOO_LATE"
    CANCELLED = "CANCELLED"
    RESCHEDULED = "RESCHEDULED"
    UNPAID = "UNPAID"
    ALREADY_ADMITTED = "ALREADY_ADMITTED"
    OUT_OF_ORDER = "OUT_OF_ORDER"
    # REFER
    STALE_DATA = "STALE_DATA"
    CLOCK_UNTRUSTED = "CLOCK_UNTRUSTED"
    MULTIPLE_CODES = "MULTIPLE_CODES"
    NEEDS_OFFICER = "NEEDS_OFFICER"
    # REFER: broker ("calo") patterns at the door, found across scans (kiosk/domain/patterns.py)
    CODE_BURST = "CODE_BURST"
    TWO_GATES = "TWO_GATES"
    TRYING_CODES = "TRYING_CODES"


#: The verdict each reason leads to. Every reason has exactly one.
VERDICT_OF: dict[Reason, Verdict] = {
    Reason.OK: Verdict.ADMIT,
    Reason.NOT_A_BOOKING: Verdict.DENY,
    Reason.UNKNOWN_CODE: Verdict.DENY,
    Reason.FORGED: Verdict.DENY,
    Reason.WRONG_OFFICE: Verdict.DENY,
    Reason.WRONG_DAY: Verdict.DENY,
    Reason.TOO_EARLY: Verdict.DENY,
    Reason.TOO_LATE: Verdict.DENY,
    Reason.CANCELLED: Verdict.DENY,
    Reason.RESCHEDULED: Verdict.DENY,
    Reason.UNPAID: Verdict.DENY,
    Reason.ALREADY_ADMITTED: Verdict.DENY,
    Reason.OUT_OF_ORDER: Verdict.DENY,
    Reason.STALE_DATA: Verdict.REFER,
    Reason.CLOCK_UNTRUSTED: Verdict.REFER,
    Reason.MULTIPLE_CODES: Verdict.REFER,
    Reason.NEEDS_OFFICER: Verdict.REFER,
    Reason.CODE_BURST: Verdict.REFER,
    Reason.TWO_GATES: Verdict.REFER,
    Reason.TRYING_CODES: Verdict.REFER,
}

#: The reasons of the broker patterns: a guard alert each (a REFER in the console's queue), counted
#: in the statistics and the daily report like any reason.
PATTERN_REASONS: frozenset[Reason] = frozenset({Reason.CODE_BURST, Reason.TWO_GATES, Reason.TRYING_CODES})


class Status(enum.StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"
    UNPAID = "unpaid"


class Category(enum.StrEnum):
    REGULAR = "regular"
    PRIORITY_WALKIN = "priority"  # elderly over 60, disability, child under 5
    LOST_PASSPORT_WALKIN = "lost_passport"  # lost or damaged passport
    SPECIAL_RESCHEDULE = "special_reschedule"  # after an office system failure


class ReentryPolicy(enum.StrEnum):
    ONCE_PER_DAY = "once_per_day"  # default: one entry per person per day
    WITHIN_WINDOW = "within_window"  # may come back in while the arrival window is open


class PartyAdmission(enum.StrEnum):
    WHOLE_PARTY = "whole_party"  # one scan lets the whole family in together
    PER_PERSON = "per_person"  # each scan lets one person in, up to the party size


#: Indonesian time zones. No daylight saving time anywhere in Indonesia.
ZONE_ABBREVIATION: dict[str, str] = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
ZONE_OF_ABBREVIATION: dict[str, str] = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}

MAX_PARTY_SIZE = 5


def zone_named(name: str) -> ZoneInfo:
    """Accept an IANA name or WIB/WITA/WIT; refuse anything that is not an Indonesian zone."""
    iana = ZONE_OF_ABBREVIATION.get(name.upper(), name)
    if iana not in ZONE_ABBREVIATION:
        raise ValueError(f"not an Indonesian office time zone: {name!r} (use WIB, WITA or WIT)")
    return ZoneInfo(iana)


@dataclass(frozen=True, slots=True)
class Booking:
    """One booking as the kiosk keeps it: the minimum needed to decide and for the guard to compare."""

    booking_ref: str  # the central service's id for the booking: not secret, not the QR code
    office_code: str
    service_date: dt.date
    slot_start: dt.time
    slot_end: dt.time
    status: Status = Status.ACTIVE
    party_size: int = 1
    category: Category = Category.REGULAR
    display_name: str = ""  # guard only
    nik_last4: str = ""  # guard only
    code_masked: str = ""  # e.g. "MP7K…T3M", for the guard's queue
    version: int = 1


@dataclass(frozen=True, slots=True)
class Entry:
    """A previous admission of a booking: who let them in, where and when, how many people."""

    at: dt.datetime
    gate: str
    persons: int = 1


@dataclass(frozen=True, slots=True)
class OfficeRules:
    """Per-office settings; defaults follow the domain notes."""

    office_code: str
    zone: str = "Asia/Jakarta"
    early_minutes: int = 30
    late_minutes: int = 60
    allow_later_same_day: bool = False
    reentry: ReentryPolicy = ReentryPolicy.ONCE_PER_DAY
    party_admission: PartyAdmission = PartyAdmission.WHOLE_PARTY
    debounce_seconds: float = 3.0
    max_data_age_minutes: int = 15
    deny_needs_ack: bool = False
    refer_categories: frozenset[Category] = field(
        default_factory=lambda: frozenset({Category.PRIORITY_WALKIN, Category.LOST_PASSPORT_WALKIN})
    )
    # Broker patterns (kiosk/domain/patterns.py); 0 turns a pattern off.
    #: This many unknown, forged or not-a-booking codes at this kiosk within `burst_minutes`: the one
    #: that reaches the count, and every one after it while the count holds, goes to the officer.
    burst_codes: int = 5
    burst_minutes: int = 2
    #: A booking already used at another gate this many minutes ago or less goes to the officer.
    two_gates_minutes: int = 10
    #: A booking denied here and shown again within this many minutes, after another code in between.
    retry_minutes: int = 10

    @property
    def tz(self) -> ZoneInfo:
        return zone_named(self.zone)

    @property
    def zone_abbreviation(self) -> str:
        return ZONE_ABBREVIATION[self.tz.key]


@dataclass(frozen=True, slots=True)
class Circumstances:
    """What the kiosk knows about itself at the moment of the scan (all measured outside domain/)."""

    now: dt.datetime  # aware
    gate: str = "G1"
    #: Age of the local booking data; None when the kiosk runs standalone from imported data.
    data_age: dt.timedelta | None = None
    clock_trusted: bool = True
    #: False when the local booking data is known to be older than data the kiosk already used (its
    #: booking file was rolled back or replaced): no booking in it may decide, known or unknown.
    bookings_trusted: bool = True


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one presentation, with what the screens need to explain it."""

    verdict: Verdict
    reason: Reason
    persons: int = 0  # people admitted by this scan
    booking: Booking | None = None
    #: Facts the explanation uses: slot times, first entry, office, payload kind... no PII.
    facts: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def of(reason: Reason, booking: Booking | None = None, **facts: str) -> Decision:
        return Decision(VERDICT_OF[reason], reason, 0, booking, dict(facts))
