"""decide(): the gate's answer, table-driven, for every reason, in all three Indonesian time zones.

The default booking is for Monday 10 March 2025, slot 10.30-11.30 office time, at office KANIM-JKTSEL.
With the default rules (30 min early, 60 min late) its arrival window is 10.00-12.30 office time.
Scan times in the tables are office wall-clock times; the helpers turn them into UTC instants, so every
case also checks that decide() judges dates and times in the office's zone and not in UTC.

The helpers at the top (make_booking, make_rules, at_local, present, Scenario) are shared with the
other domain test modules.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

import kiosk.domain.decide as decide_module
from kiosk.domain.decide import CHECKS, Presentation, Timing, arrival_window, decide, timing_of
from kiosk.domain.model import (
    PATTERN_REASONS,
    VERDICT_OF,
    Booking,
    Category,
    Circumstances,
    Decision,
    Entry,
    OfficeRules,
    PartyAdmission,
    Reason,
    ReentryPolicy,
    Status,
    Verdict,
)
from kiosk.domain.payload import parse_payload

# --- shared helpers ---------------------------------------------------------------------------------

OFFICE = "KANIM-JKTSEL"
OTHER_OFFICE = "KANIM-BDG"
DAY = dt.date(2025, 3, 10)
CODE = "MP7KQ2XAT3M9"
SIGNED = "KS1.MFRGGZDFMZTWQ2LKNNWG23TPOBYXE4TT"
DISPLAY_NAME = "Siti Rahayu"
NIK_LAST4 = "7391"

#: (IANA name, abbreviation) of the three office zones; pytest ids are the abbreviations.
ZONE_ABBR = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
ZONES = [pytest.param(name, id=abbr) for name, abbr in ZONE_ABBR.items()]


def make_booking(**changes: Any) -> Booking:
    """The default booking (see module docstring), with `changes` applied."""
    booking = Booking(
        booking_ref="B-000123",
        office_code=OFFICE,
        service_date=DAY,
        slot_start=dt.time(10, 30),
        slot_end=dt.time(11, 30),
        display_name=DISPLAY_NAME,
        nik_last4=NIK_LAST4,
        code_masked="MP********M9",
    )
    return dataclasses.replace(booking, **changes)


def make_rules(zone: str = "Asia/Jakarta", **changes: Any) -> OfficeRules:
    return OfficeRules(office_code=OFFICE, zone=zone, **changes)


def at_local(zone: str, wall: str, days: int = 0) -> dt.datetime:
    """The instant when office clocks in `zone` show `wall` ("HH:MM[:SS]") on DAY + days, in UTC."""
    local = dt.datetime.combine(DAY + dt.timedelta(days=days), dt.time.fromisoformat(wall), tzinfo=ZoneInfo(zone))
    return local.astimezone(dt.UTC)


def present(raw: str | bytes = CODE, other_codes: int = 0, signature_valid: bool | None = None) -> Presentation:
    return Presentation(parse_payload(raw), other_codes, signature_valid)


@dataclass(frozen=True)
class Scenario:
    """One row of a decision table: everything decide() gets, described in office wall-clock terms."""

    reason: Reason
    verdict: Verdict
    at: str = "10:45"  # office wall-clock time of the scan
    days: int = 0  # scan date relative to DAY
    booking: dict[str, Any] | None = field(default_factory=dict)  # changes to make_booking(); None: unknown
    rules: dict[str, Any] = field(default_factory=dict)  # changes to make_rules()
    entries: tuple[tuple[str, int], ...] = ()  # earlier admissions on DAY: (office wall time, persons)
    payload: str | bytes = CODE
    other_codes: int = 0
    signature_valid: bool | None = None
    data_age_minutes: float | None = None
    clock_trusted: bool = True
    bookings_trusted: bool = True
    naive_time: bool = False
    persons: int = 0  # people this scan admits (0 unless ADMIT)

    def inputs(self, zone: str) -> tuple[Presentation, Booking | None, list[Entry], OfficeRules, Circumstances]:
        now = at_local(zone, self.at, self.days)
        if self.naive_time:
            now = now.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        age = None if self.data_age_minutes is None else dt.timedelta(minutes=self.data_age_minutes)
        return (
            present(self.payload, self.other_codes, self.signature_valid),
            None if self.booking is None else make_booking(**self.booking),
            [Entry(at_local(zone, wall), f"G{n + 2}", persons) for n, (wall, persons) in enumerate(self.entries)],
            make_rules(zone, **self.rules),
            Circumstances(
                now=now,
                gate="G1",
                data_age=age,
                clock_trusted=self.clock_trusted,
                bookings_trusted=self.bookings_trusted,
            ),
        )

    def run(self, zone: str) -> Decision:
        return decide(*self.inputs(zone))


def admit(persons: int = 1, **kw: Any) -> Scenario:
    return Scenario(Reason.OK, Verdict.ADMIT, persons=persons, **kw)


def deny(reason: Reason, **kw: Any) -> Scenario:
    return Scenario(reason, Verdict.DENY, **kw)


def refer(reason: Reason, **kw: Any) -> Scenario:
    return Scenario(reason, Verdict.REFER, **kw)


#: A booking just after midnight: its window (23.45-01.45) opens on the evening before. decide() admits from
#: 23.45 and, before that, calls it WRONG_DAY ("earlier"), not TOO_EARLY: the date is judged first.
TOMORROW_0015 = {"service_date": DAY + dt.timedelta(days=1), "slot_start": dt.time(0, 15), "slot_end": dt.time(0, 45)}
LATE_EVENING = {"slot_start": dt.time(23, 0), "slot_end": dt.time(23, 30)}  # window 22.30-00.30 next day

# --- the table ----------------------------------------------------------------------------------------

CASES = [
    # ADMIT
    pytest.param(admit(at="10:45"), id="ok-inside-window"),
    pytest.param(admit(at="10:00:00"), id="ok-exactly-at-open"),
    pytest.param(admit(at="12:30:00"), id="ok-exactly-at-close"),
    pytest.param(admit(at="11:30:00"), id="ok-at-slot-end"),
    pytest.param(admit(at="11:30:00", rules={"late_minutes": 0}), id="ok-at-slot-end-without-grace"),
    pytest.param(admit(at="15:00", rules={"allow_later_same_day": True}), id="ok-later-same-day-allowed"),
    pytest.param(admit(at="23:59:59", rules={"allow_later_same_day": True}), id="ok-later-same-day-last-second"),
    pytest.param(admit(3, booking={"party_size": 3}), id="ok-whole-party-of-3"),
    pytest.param(admit(2, booking={"party_size": 3}, entries=(("10:05", 1),)), id="ok-whole-party-rest-of-party"),
    pytest.param(
        admit(
            booking={"party_size": 3}, rules={"party_admission": PartyAdmission.PER_PERSON}, entries=(("10:05", 1),) * 2
        ),
        id="ok-per-person-third-of-three",
    ),
    pytest.param(
        admit(rules={"reentry": ReentryPolicy.WITHIN_WINDOW}, entries=(("10:05", 1), ("10:20", 1))),
        id="ok-reentry-within-window",
    ),
    pytest.param(admit(booking={"category": Category.SPECIAL_RESCHEDULE}), id="ok-special-reschedule"),
    pytest.param(
        admit(booking={"category": Category.PRIORITY_WALKIN}, rules={"refer_categories": frozenset()}),
        id="ok-priority-when-office-refers-none",
    ),
    pytest.param(admit(payload=SIGNED, signature_valid=True), id="ok-signed-code-good-signature"),
    pytest.param(admit(payload=" mp7k-q2xa-t3m9\r\n"), id="ok-code-lower-case-hyphens-crlf"),
    pytest.param(admit(booking={"office_code": OFFICE.lower()}), id="ok-office-code-any-case"),
    pytest.param(admit(data_age_minutes=600), id="ok-known-code-with-stale-data"),
    pytest.param(admit(at="23:50", booking=TOMORROW_0015), id="ok-tomorrow-0015-at-2350-window-open"),
    pytest.param(admit(at="00:01", days=1, booking=LATE_EVENING), id="ok-0001-yesterday-late-slot-window-open"),
    # NOT_A_BOOKING: the payload check comes before any lookup, even if a booking were passed in
    pytest.param(deny(Reason.NOT_A_BOOKING, payload="https://m-paspor.imigrasi.go.id/"), id="not-booking-url"),
    pytest.param(deny(Reason.NOT_A_BOOKING, payload="3174012501900001"), id="not-booking-nik"),
    pytest.param(deny(Reason.NOT_A_BOOKING, payload="820250310123456"), id="not-booking-billing-code"),
    pytest.param(deny(Reason.NOT_A_BOOKING, payload=""), id="not-booking-empty"),
    pytest.param(deny(Reason.NOT_A_BOOKING, payload=b"MP7K\xffQ2XA"), id="not-booking-invalid-utf8"),
    pytest.param(deny(Reason.NOT_A_BOOKING, payload="MP7K\u202eQ2XAT3M9"), id="not-booking-bidi"),
    # UNKNOWN_CODE vs STALE_DATA
    pytest.param(deny(Reason.UNKNOWN_CODE, booking=None), id="unknown-standalone"),
    pytest.param(deny(Reason.UNKNOWN_CODE, booking=None, data_age_minutes=5), id="unknown-fresh-data"),
    pytest.param(deny(Reason.UNKNOWN_CODE, booking=None, data_age_minutes=15), id="unknown-data-exactly-at-limit"),
    pytest.param(deny(Reason.UNKNOWN_CODE, booking=None, clock_trusted=False), id="unknown-untrusted-clock"),
    pytest.param(refer(Reason.STALE_DATA, booking=None, data_age_minutes=15 + 1 / 60), id="stale-one-second-over"),
    pytest.param(refer(Reason.STALE_DATA, booking=None, data_age_minutes=3 * 24 * 60), id="stale-three-days"),
    pytest.param(refer(Reason.STALE_DATA, booking=None, data_age_minutes=-1), id="stale-negative-age"),
    pytest.param(
        deny(Reason.UNKNOWN_CODE, booking=None, data_age_minutes=20, rules={"max_data_age_minutes": 30}),
        id="unknown-office-allows-older-data",
    ),
    # STALE_DATA: booking data known to be older than data already used (a rolled-back booking file)
    pytest.param(refer(Reason.STALE_DATA, bookings_trusted=False), id="rolled-back-known-active-booking"),
    pytest.param(refer(Reason.STALE_DATA, booking=None, bookings_trusted=False), id="rolled-back-unknown-code"),
    pytest.param(
        refer(Reason.STALE_DATA, booking=None, data_age_minutes=1, bookings_trusted=False),
        id="rolled-back-unknown-code-fresh-data",
    ),
    pytest.param(
        refer(Reason.STALE_DATA, booking={"status": Status.CANCELLED}, bookings_trusted=False),
        id="rolled-back-cancelled-booking",
    ),
    pytest.param(refer(Reason.STALE_DATA, clock_trusted=False, bookings_trusted=False), id="rolled-back-before-clock"),
    pytest.param(
        deny(Reason.NOT_A_BOOKING, payload="https://m-paspor.imigrasi.go.id/", bookings_trusted=False),
        id="rolled-back-not-a-booking-still-denied",
    ),
    pytest.param(
        deny(Reason.FORGED, payload=SIGNED, signature_valid=False, bookings_trusted=False),
        id="rolled-back-forged-still-denied",
    ),
    # FORGED
    pytest.param(deny(Reason.FORGED, payload=SIGNED, signature_valid=False), id="forged-bad-signature"),
    pytest.param(deny(Reason.FORGED, payload=SIGNED, signature_valid=None), id="forged-signature-not-checked"),
    pytest.param(deny(Reason.FORGED, payload=SIGNED, booking=None), id="forged-before-unknown"),
    # WRONG_OFFICE
    pytest.param(deny(Reason.WRONG_OFFICE, booking={"office_code": OTHER_OFFICE}), id="wrong-office"),
    # WRONG_DAY
    pytest.param(
        deny(Reason.WRONG_DAY, booking={"service_date": DAY - dt.timedelta(days=1)}), id="wrong-day-yesterday"
    ),
    pytest.param(deny(Reason.WRONG_DAY, booking={"service_date": DAY + dt.timedelta(days=1)}), id="wrong-day-tomorrow"),
    pytest.param(deny(Reason.WRONG_DAY, at="00:01", days=1), id="wrong-day-0001-for-yesterdays-booking"),
    pytest.param(
        deny(Reason.WRONG_DAY, at="00:00:00", days=1, rules={"allow_later_same_day": True}),
        id="wrong-day-later-same-day-ends-at-midnight",
    ),
    pytest.param(
        deny(Reason.WRONG_DAY, at="23:44:59", booking=TOMORROW_0015),
        id="wrong-day-tomorrow-0015-at-234459-window-not-open",
    ),
    pytest.param(deny(Reason.WRONG_DAY, at="00:30:01", days=1, booking=LATE_EVENING), id="wrong-day-after-late-slot"),
    # TOO_EARLY
    pytest.param(deny(Reason.TOO_EARLY, at="09:59:00"), id="early-one-minute-before-open"),
    pytest.param(deny(Reason.TOO_EARLY, at="09:59:59"), id="early-one-second-before-open"),
    pytest.param(deny(Reason.TOO_EARLY, at="00:00:00"), id="early-at-midnight-same-day"),
    pytest.param(
        deny(Reason.TOO_EARLY, booking={"slot_start": dt.time(13, 45), "slot_end": dt.time(14, 15)}),
        id="early-booking-in-three-hours",
    ),
    pytest.param(deny(Reason.TOO_EARLY, at="10:14:59", rules={"early_minutes": 15}), id="early-office-opens-15-min"),
    # TOO_LATE
    pytest.param(deny(Reason.TOO_LATE, at="12:30:01"), id="late-one-second-after-close"),
    pytest.param(deny(Reason.TOO_LATE, at="12:31:00"), id="late-one-minute-after-close"),
    pytest.param(deny(Reason.TOO_LATE, at="11:30:01", rules={"late_minutes": 0}), id="late-after-slot-end-no-grace"),
    pytest.param(deny(Reason.TOO_LATE, at="23:59:59"), id="late-last-second-of-day"),
    pytest.param(
        deny(Reason.TOO_LATE, booking={"slot_start": dt.time(8, 30), "slot_end": dt.time(9, 30)}, at="10:45:01"),
        id="late-booking-two-hours-ago",
    ),
    pytest.param(
        deny(Reason.TOO_LATE, at="13:00", rules={"reentry": ReentryPolicy.WITHIN_WINDOW}, entries=(("10:05", 1),)),
        id="late-reentry-within-window-only-inside-window",
    ),
    # status: judged before the clock, so it stands even when the clock is untrusted
    pytest.param(deny(Reason.CANCELLED, booking={"status": Status.CANCELLED}), id="cancelled"),
    pytest.param(deny(Reason.RESCHEDULED, booking={"status": Status.RESCHEDULED}), id="rescheduled"),
    pytest.param(deny(Reason.UNPAID, booking={"status": Status.UNPAID}), id="unpaid"),
    pytest.param(
        deny(Reason.CANCELLED, booking={"status": Status.CANCELLED}, clock_trusted=False),
        id="cancelled-untrusted-clock",
    ),
    pytest.param(
        deny(Reason.RESCHEDULED, booking={"status": Status.RESCHEDULED}, clock_trusted=False),
        id="rescheduled-untrusted-clock",
    ),
    pytest.param(
        deny(Reason.UNPAID, booking={"status": Status.UNPAID}, clock_trusted=False), id="unpaid-untrusted-clock"
    ),
    pytest.param(
        deny(Reason.WRONG_OFFICE, booking={"office_code": OTHER_OFFICE}, clock_trusted=False),
        id="wrong-office-untrusted-clock",
    ),
    # ALREADY_ADMITTED
    pytest.param(deny(Reason.ALREADY_ADMITTED, entries=(("10:05", 1),)), id="already-admitted-once"),
    pytest.param(
        deny(Reason.ALREADY_ADMITTED, booking={"party_size": 3}, entries=(("10:05", 3),)),
        id="already-admitted-whole-party-of-3",
    ),
    pytest.param(
        deny(
            Reason.ALREADY_ADMITTED,
            booking={"party_size": 2},
            rules={"party_admission": PartyAdmission.PER_PERSON},
            entries=(("10:05", 1), ("10:06", 1)),
        ),
        id="already-admitted-per-person-2-of-2",
    ),
    pytest.param(
        deny(Reason.ALREADY_ADMITTED, at="16:00", entries=(("10:05", 1),)), id="already-admitted-after-window"
    ),
    pytest.param(
        deny(Reason.ALREADY_ADMITTED, entries=(("10:05", 1),), booking={"category": Category.PRIORITY_WALKIN}),
        id="already-admitted-before-priority",
    ),
    # OUT_OF_ORDER
    pytest.param(deny(Reason.OUT_OF_ORDER, naive_time=True), id="out-of-order-naive-time"),
    pytest.param(deny(Reason.OUT_OF_ORDER, naive_time=True, booking=None), id="out-of-order-naive-time-unknown"),
    # CLOCK_UNTRUSTED: before every time-dependent check
    pytest.param(refer(Reason.CLOCK_UNTRUSTED, clock_trusted=False), id="clock-untrusted"),
    pytest.param(
        refer(Reason.CLOCK_UNTRUSTED, clock_trusted=False, booking={"service_date": DAY + dt.timedelta(days=1)}),
        id="clock-untrusted-before-wrong-day",
    ),
    pytest.param(refer(Reason.CLOCK_UNTRUSTED, clock_trusted=False, at="07:00"), id="clock-untrusted-before-early"),
    pytest.param(
        refer(Reason.CLOCK_UNTRUSTED, clock_trusted=False, entries=(("10:05", 1),)),
        id="clock-untrusted-before-already-admitted",
    ),
    # MULTIPLE_CODES: first of all
    pytest.param(refer(Reason.MULTIPLE_CODES, other_codes=1), id="multiple-codes-two"),
    pytest.param(
        refer(Reason.MULTIPLE_CODES, other_codes=2, payload="WIFI:S:x;;", booking=None), id="multiple-codes-3"
    ),
    # NEEDS_OFFICER
    pytest.param(refer(Reason.NEEDS_OFFICER, booking={"category": Category.PRIORITY_WALKIN}), id="priority-walkin"),
    pytest.param(refer(Reason.NEEDS_OFFICER, booking={"category": Category.LOST_PASSPORT_WALKIN}), id="lost-passport"),
    pytest.param(
        refer(Reason.NEEDS_OFFICER, at="07:00", booking={"category": Category.PRIORITY_WALKIN}),
        id="priority-before-window",
    ),
    pytest.param(
        refer(
            Reason.NEEDS_OFFICER,
            booking={"category": Category.SPECIAL_RESCHEDULE},
            rules={"refer_categories": frozenset({Category.SPECIAL_RESCHEDULE})},
        ),
        id="office-refers-special-reschedule",
    ),
]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("case", CASES)
def test_decision_table(case: Scenario, zone: str) -> None:
    decision = case.run(zone)
    assert (decision.verdict, decision.reason) == (case.verdict, case.reason)
    assert decision.persons == case.persons
    facts = " ".join(decision.facts.values())  # what screens and the audit log get: no personal data
    for secret in (DISPLAY_NAME, NIK_LAST4, CODE):
        assert secret not in facts


def test_table_covers_every_reason() -> None:
    """Every reason but the broker patterns', which take several scans (tests/domain/test_patterns.py)."""
    covered = {cast(Scenario, param.values[0]).reason for param in CASES}
    assert covered == set(Reason) - PATTERN_REASONS


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ((("10:05", "G1"),), {}),  # only here: nothing about another gate
        ((("10:05", "G2"),), {"other_gate": "G2", "other_gate_at": "10:05"}),
        ((("10:05", "G2"), ("10:20", "G3"), ("10:30", "G1")), {"other_gate": "G3", "other_gate_at": "10:20"}),
    ],
)
def test_already_admitted_names_the_latest_entry_at_another_gate(
    entries: tuple[tuple[str, str], ...], expected: dict[str, str]
) -> None:
    """What the server's answer across gates tells a kiosk of another gate's entry (the TWO_GATES pattern)."""
    zone = "Asia/Makassar"
    decision = decide(
        present(),
        make_booking(party_size=1),
        [Entry(at_local(zone, wall), gate) for wall, gate in entries],
        make_rules(zone),
        Circumstances(now=at_local(zone, "10:45"), gate="G1"),
    )
    assert decision.reason is Reason.ALREADY_ADMITTED
    got = {key: decision.facts[key] for key in ("other_gate", "other_gate_at") if key in decision.facts}
    if "other_gate_at" in expected:
        expected = {**expected, "other_gate_at": at_local(zone, expected["other_gate_at"]).isoformat()}
    assert got == expected


@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_has_one_verdict(reason: Reason) -> None:
    assert VERDICT_OF[reason] in set(Verdict)
    assert (VERDICT_OF[reason] is Verdict.ADMIT) == (reason is Reason.OK)


# --- the order of the chain ------------------------------------------------------------------------------

DOCUMENTED_ORDER = [
    "check_single_code",
    "check_is_booking",
    "check_signature",
    "check_bookings_trusted",
    "check_known",
    "check_office",
    "check_status",
    "check_clock",
    "check_day",
    "check_entries_left",
    "check_category",
    "check_window",
    "admit",
]


def test_checks_run_in_documented_order() -> None:
    assert [check.__name__ for check in CHECKS] == DOCUMENTED_ORDER


def _with_booking(**changes: Any) -> Callable[[Scenario], Scenario]:
    def apply(s: Scenario) -> Scenario:
        return dataclasses.replace(s, booking={**(s.booking or {}), **changes})

    return apply


#: One fault per link of the chain, in chain order. Stacking a fault with all the later ones must
#: still give that fault's reason: that is what "the order is the policy" means.
FAULTS: list[tuple[Reason, Callable[[Scenario], Scenario]]] = [
    (Reason.MULTIPLE_CODES, lambda s: dataclasses.replace(s, other_codes=1)),
    (Reason.NOT_A_BOOKING, lambda s: dataclasses.replace(s, payload="https://example.com/", signature_valid=None)),
    (Reason.FORGED, lambda s: dataclasses.replace(s, payload=SIGNED, signature_valid=False)),
    (Reason.STALE_DATA, lambda s: dataclasses.replace(s, bookings_trusted=False)),
    (Reason.UNKNOWN_CODE, lambda s: dataclasses.replace(s, booking=None)),
    (Reason.WRONG_OFFICE, _with_booking(office_code=OTHER_OFFICE)),
    (Reason.CANCELLED, _with_booking(status=Status.CANCELLED)),
    (Reason.CLOCK_UNTRUSTED, lambda s: dataclasses.replace(s, clock_trusted=False)),
    (Reason.WRONG_DAY, _with_booking(service_date=DAY + dt.timedelta(days=1))),
    (Reason.ALREADY_ADMITTED, lambda s: dataclasses.replace(s, entries=(("10:05", 1),))),
    (Reason.NEEDS_OFFICER, _with_booking(category=Category.PRIORITY_WALKIN)),
    (Reason.TOO_EARLY, lambda s: dataclasses.replace(s, at="07:00")),
]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("first", range(len(FAULTS)), ids=[f"{reason}-and-all-later" for reason, _ in FAULTS])
def test_earlier_link_wins_over_all_later_faults(first: int, zone: str) -> None:
    scenario = admit()
    for _, add_fault in reversed(FAULTS[first:]):  # apply the winner last, so it is not overwritten
        scenario = add_fault(scenario)
    assert scenario.run(zone).reason is FAULTS[first][0]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("reason", "add_fault"), FAULTS, ids=[str(reason) for reason, _ in FAULTS])
def test_each_fault_alone_gives_its_reason(
    reason: Reason, add_fault: Callable[[Scenario], Scenario], zone: str
) -> None:
    assert admit().run(zone).reason is Reason.OK
    assert add_fault(admit()).run(zone).reason is reason


# --- fail closed ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("error", [RuntimeError, KeyError, ZeroDivisionError])
@pytest.mark.parametrize("index", range(len(CHECKS)), ids=[check.__name__ for check in CHECKS])
def test_exception_inside_any_check_is_out_of_order_never_admit(
    monkeypatch: pytest.MonkeyPatch, index: int, error: type[Exception]
) -> None:
    def broken(_ctx: object) -> Decision | None:
        raise error("bug in a check")

    checks = list(CHECKS)
    checks[index] = broken
    monkeypatch.setattr(decide_module, "CHECKS", tuple(checks))
    decision = admit().run("Asia/Makassar")
    assert (decision.verdict, decision.reason) == (Verdict.DENY, Reason.OUT_OF_ORDER)
    assert decision.persons == 0
    assert decision.facts["detail"] == error.__name__


def test_chain_that_runs_out_is_out_of_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decide_module, "CHECKS", CHECKS[:-1])
    decision = admit().run("Asia/Jakarta")
    assert (decision.verdict, decision.reason) == (Verdict.DENY, Reason.OUT_OF_ORDER)


def test_reordered_chain_without_lookup_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without check_known, a later check meets booking=None: that must end in OUT_OF_ORDER, not ADMIT."""
    monkeypatch.setattr(decide_module, "CHECKS", tuple(c for c in CHECKS if c.__name__ != "check_known"))
    decision = deny(Reason.UNKNOWN_CODE, booking=None).run("Asia/Jakarta")
    assert (decision.verdict, decision.reason) == (Verdict.DENY, Reason.OUT_OF_ORDER)
    assert decision.facts["detail"] == "LookupError"


@pytest.mark.parametrize("zone", ZONES)
def test_naive_time_is_out_of_order_even_for_a_perfect_booking(zone: str) -> None:
    decision = admit(naive_time=True).run(zone)
    assert (decision.verdict, decision.reason, decision.persons) == (Verdict.DENY, Reason.OUT_OF_ORDER, 0)
    assert decision.facts["detail"] == "naive time"


# --- party size --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("party", range(1, 6), ids=lambda n: f"party-of-{n}")
def test_whole_party_one_scan_admits_everyone_then_no_more(party: int, zone: str) -> None:
    presentation, booking, _, rules, circumstances = admit(booking={"party_size": party}).inputs(zone)
    first = decide(presentation, booking, [], rules, circumstances)
    assert (first.verdict, first.persons) == (Verdict.ADMIT, party)
    entries = [Entry(circumstances.now, "G1", first.persons)]
    later = dataclasses.replace(circumstances, now=circumstances.now + dt.timedelta(minutes=1))
    second = decide(presentation, booking, entries, rules, later)
    assert second.reason is Reason.ALREADY_ADMITTED
    assert (second.facts["used"], second.facts["party_size"]) == (str(party), str(party))


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("party", range(1, 6), ids=lambda n: f"party-of-{n}")
def test_per_person_each_scan_admits_one_until_party_used_up(party: int, zone: str) -> None:
    scenario = admit(booking={"party_size": party}, rules={"party_admission": PartyAdmission.PER_PERSON})
    presentation, booking, entries, rules, circumstances = scenario.inputs(zone)
    for n in range(party):
        now = circumstances.now + dt.timedelta(minutes=n)
        decision = decide(presentation, booking, entries, rules, dataclasses.replace(circumstances, now=now))
        assert (decision.verdict, decision.persons) == (Verdict.ADMIT, 1), f"scan {n + 1} of {party}"
        entries.append(Entry(now, "G1", decision.persons))
    last = decide(presentation, booking, entries, rules, circumstances)
    assert last.reason is Reason.ALREADY_ADMITTED


@pytest.mark.parametrize("party", range(1, 6), ids=lambda n: f"party-of-{n}")
def test_reentry_within_window_never_runs_out(party: int) -> None:
    entries = tuple(("10:05", party) for _ in range(3))
    scenario = admit(
        party, booking={"party_size": party}, rules={"reentry": ReentryPolicy.WITHIN_WINDOW}, entries=entries
    )
    assert scenario.run("Asia/Jayapura").persons == party


@pytest.mark.parametrize("zone", ZONES)
def test_already_admitted_names_first_entry_in_office_time(zone: str) -> None:
    scenario = deny(
        Reason.ALREADY_ADMITTED,
        booking={"party_size": 2},
        rules={"party_admission": PartyAdmission.PER_PERSON},
        entries=(("10:20", 1), ("10:05", 1)),  # stored out of order: the earliest is the first entry
    )
    facts = scenario.run(zone).facts
    assert (facts["first_entry_time"], facts["first_entry_gate"], facts["zone"]) == ("10.05", "G3", ZONE_ABBR[zone])


# --- dates across zones and midnight ---------------------------------------------------------------------

#: 16:30 UTC on 10 March is 23:30 on 10 March in WIB, but already 00:30 (WITA) / 01:30 (WIT) on 11 March.
ONE_INSTANT = dt.datetime(2025, 3, 10, 16, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("zone", "reason", "when"),
    [
        pytest.param("Asia/Jakarta", Reason.OK, None, id="WIB-still-10-march"),
        pytest.param("Asia/Makassar", Reason.WRONG_DAY, "later", id="WITA-already-11-march"),
        pytest.param("Asia/Jayapura", Reason.WRONG_DAY, "later", id="WIT-already-11-march"),
    ],
)
def test_one_utc_instant_is_a_different_office_date_per_zone(zone: str, reason: Reason, when: str | None) -> None:
    rules = make_rules(zone, allow_later_same_day=True)
    decision = decide(present(), make_booking(), [], rules, Circumstances(now=ONE_INSTANT))
    assert decision.reason is reason
    assert decision.facts.get("when") == when


@pytest.mark.parametrize(
    ("zone", "reason", "when"),
    [
        pytest.param("Asia/Jakarta", Reason.WRONG_DAY, "earlier", id="WIB-booking-is-tomorrow"),
        pytest.param("Asia/Makassar", Reason.TOO_EARLY, None, id="WITA-booking-is-today"),
        pytest.param("Asia/Jayapura", Reason.TOO_EARLY, None, id="WIT-booking-is-today"),
    ],
)
def test_one_utc_instant_early_next_day_booking(zone: str, reason: Reason, when: str | None) -> None:
    booking = make_booking(service_date=DAY + dt.timedelta(days=1), slot_start=dt.time(8), slot_end=dt.time(9))
    decision = decide(present(), booking, [], make_rules(zone), Circumstances(now=ONE_INSTANT))
    assert decision.reason is reason
    assert decision.facts.get("when") == when


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(
    ("wall", "days", "expected"),
    [
        pytest.param("00:00:00", 0, Timing.EARLY, id="midnight-before"),
        pytest.param("09:59:59", 0, Timing.EARLY, id="second-before-open"),
        pytest.param("10:00:00", 0, Timing.INSIDE, id="open"),
        pytest.param("12:30:00", 0, Timing.INSIDE, id="close"),
        pytest.param("12:30:01", 0, Timing.LATE_SAME_DAY, id="second-after-close"),
        pytest.param("23:59:59", 0, Timing.LATE_SAME_DAY, id="last-second-of-day"),
        pytest.param("00:00:00", 1, Timing.AFTER_DAY, id="next-midnight"),
        pytest.param("23:59:59", -1, Timing.BEFORE_DAY, id="day-before"),
    ],
)
def test_timing_against_the_window(zone: str, wall: str, days: int, expected: Timing) -> None:
    assert timing_of(make_booking(), make_rules(zone), at_local(zone, wall, days)) is expected


@pytest.mark.parametrize("zone", ZONES)
def test_window_of_slot_past_midnight_ends_next_day(zone: str) -> None:
    booking = make_booking(slot_start=dt.time(23, 30), slot_end=dt.time(0, 15))
    opens, closes = arrival_window(booking, make_rules(zone))
    assert opens == at_local(zone, "23:00")
    assert closes == at_local(zone, "01:15", days=1)


@pytest.mark.parametrize("zone", ZONES)
def test_same_instant_in_any_zone_gives_same_decision(zone: str) -> None:
    presentation, booking, entries, rules, circumstances = admit(booking={"party_size": 2}).inputs(zone)
    zones = (dt.UTC, ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Jayapura"), dt.timezone(dt.timedelta(hours=-5)))
    decisions = [
        decide(
            presentation,
            booking,
            entries,
            rules,
            dataclasses.replace(circumstances, now=circumstances.now.astimezone(tz)),
        )
        for tz in zones
    ]
    assert all(d == decisions[0] for d in decisions)
    assert decisions[0].reason is Reason.OK


# --- facts the screens use ---------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ZONES)
def test_slot_facts_are_in_office_time(zone: str) -> None:
    facts = deny(Reason.TOO_EARLY, at="09:00").run(zone).facts
    assert facts == {
        "service_date": "2025-03-10",
        "slot_start": "10.30",
        "slot_end": "11.30",
        "opens": "10.00",
        "closes": "12.30",
        "zone": ZONE_ABBR[zone],
    }


def test_decide_is_pure_same_inputs_same_answer() -> None:
    inputs = admit(3, booking={"party_size": 3}).inputs("Asia/Makassar")
    assert decide(*inputs) == decide(*inputs)
