"""A server ADMIT opens the gate only when it fits what this kiosk knows for sure (a table)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from kiosk.domain.model import Booking, Decision, Reason, Status, Verdict
from kiosk.door import trust

OFFICE = "JKTSEL"
BOOKING = Booking(
    booking_ref="JKTSEL-1",
    office_code=OFFICE,
    service_date=dt.date(2026, 12, 6),
    slot_start=dt.time(9),
    slot_end=dt.time(10),
    party_size=2,
)


def admit(booking: Booking | None = BOOKING, persons: int = 1) -> Decision:
    return Decision(Verdict.ADMIT, Reason.OK, persons, booking)


def local(reason: Reason, booking: Booking | None = BOOKING) -> Decision:
    return Decision.of(reason, booking) if reason is not Reason.OK else admit(booking)


@pytest.mark.parametrize(
    ("server", "here", "problem"),
    [
        (admit(), local(Reason.OK), ""),
        (admit(persons=2), local(Reason.UNKNOWN_CODE, None), ""),  # booked after the last sync: server knows
        (admit(), local(Reason.WRONG_DAY), ""),  # moved to today on the server since the last sync
        (admit(), local(Reason.ALREADY_ADMITTED), trust.SEEN_HERE),
        (admit(), local(Reason.CANCELLED), f"{trust.LOCAL_FACT}: CANCELLED"),
        (admit(), local(Reason.RESCHEDULED), f"{trust.LOCAL_FACT}: RESCHEDULED"),
        (admit(), local(Reason.WRONG_OFFICE), f"{trust.LOCAL_FACT}: WRONG_OFFICE"),
        (admit(None), local(Reason.OK), f"{trust.UNUSABLE}: admit without a booking"),
        (
            admit(dataclasses.replace(BOOKING, office_code="DPS")),
            local(Reason.UNKNOWN_CODE, None),
            f"{trust.UNUSABLE}: another office's booking",
        ),
        (
            admit(dataclasses.replace(BOOKING, status=Status.CANCELLED)),
            local(Reason.OK),
            f"{trust.UNUSABLE}: booking not active",
        ),
        (admit(persons=50), local(Reason.OK), f"{trust.UNUSABLE}: 50 people for a party of 2"),
        (admit(persons=0), local(Reason.OK), f"{trust.UNUSABLE}: 0 people for a party of 2"),
        (
            admit(dataclasses.replace(BOOKING, booking_ref="B-999")),
            local(Reason.OK),
            f"{trust.UNUSABLE}: another booking than this code's",
        ),
        (Decision.of(Reason.TOO_EARLY, BOOKING), local(Reason.OK), ""),  # a server DENY only keeps people out
    ],
)
def test_what_a_server_decision_must_fit(server: Decision, here: Decision, problem: str) -> None:
    assert trust.distrust(server, here, OFFICE) == problem


def test_the_server_cannot_set_the_doors_own_facts_or_flood_the_record() -> None:
    facts = {"first_entry_gate": "G1", "decided_by": "server!", "entered_by": "x", "Bad Key": "v", "long": "y" * 500}
    facts.update({f"k{n}": "v" for n in range(40)})
    kept = trust.bounded_facts(facts)
    assert kept["first_entry_gate"] == "G1" and not set(kept) & trust.DOOR_KEYS and "Bad Key" not in kept
    assert len(kept) <= trust.MAX_FACTS and all(len(v) <= trust.MAX_FACT_CHARS for v in kept.values())
