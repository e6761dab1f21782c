"""decide(): one presentation in, one verdict out, through a chain of small checks.

Each check looks at one thing and either returns a Decision (the chain stops) or None (next check).
The order is the policy (see CHECKS): the frame and the payload first (several codes, not a booking,
bad signature), then whether the booking data may be used at all (not when it is known to be older
than data already used: every code goes to the guard), then whether the code is known (unknown: DENY,
or REFER when the data is stale), then what the booking itself says (office, status: these need no
clock, so a cancelled booking is denied even when the clock is untrusted), then the clock, then the
day, then earlier entries (a second use is ALREADY_ADMITTED even outside the window, so the guard sees
it), then the category, then the arrival window. The last link admits; any exception inside a check
ends in OUT_OF_ORDER, never in ADMIT.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kiosk.domain.model import (
    Booking,
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
from kiosk.domain.payload import Payload, PayloadKind


@dataclass(frozen=True, slots=True)
class Presentation:
    """What the reader saw: the payload, and whether other codes were in the same frame."""

    payload: Payload
    other_codes: int = 0
    #: For signed codes only: the caller's verdict on the signature (crypto lives outside domain).
    signature_valid: bool | None = None


class Timing(enum.Enum):
    BEFORE_DAY = "before_day"
    EARLY = "early"
    INSIDE = "inside"
    LATE_SAME_DAY = "late_same_day"
    AFTER_DAY = "after_day"


@dataclass(frozen=True, slots=True)
class _Context:
    presentation: Presentation
    booking: Booking | None
    entries: Sequence[Entry]
    rules: OfficeRules
    circumstances: Circumstances
    facts: dict[str, str] = field(default_factory=dict)


Check = Callable[[_Context], Decision | None]


def decide(
    presentation: Presentation,
    booking: Booking | None,
    entries: Sequence[Entry],
    rules: OfficeRules,
    circumstances: Circumstances,
) -> Decision:
    """The gate's answer for one presentation. Pure: same inputs, same answer."""
    if circumstances.now.tzinfo is None:
        return Decision.of(Reason.OUT_OF_ORDER, detail="naive time")
    ctx = _Context(presentation, booking, entries, rules, circumstances)
    try:
        for check in CHECKS:
            decision = check(ctx)
            if decision is not None:
                return decision
    except Exception as exc:  # fail closed: a bug in a check must never let someone in
        return Decision.of(Reason.OUT_OF_ORDER, booking, detail=type(exc).__name__)
    return Decision.of(Reason.OUT_OF_ORDER, booking, detail="chain ended without admit")


# --- the checks, in order -------------------------------------------------------------------------


def check_single_code(ctx: _Context) -> Decision | None:
    """One person, one code: several different codes in one frame go to the guard."""
    if ctx.presentation.other_codes > 0:
        return Decision.of(Reason.MULTIPLE_CODES, count=str(ctx.presentation.other_codes + 1))
    return None


def check_is_booking(ctx: _Context) -> Decision | None:
    payload = ctx.presentation.payload
    if payload.is_code:
        return None
    return Decision.of(Reason.NOT_A_BOOKING, payload_kind=payload.kind.value)


def check_signature(ctx: _Context) -> Decision | None:
    presentation = ctx.presentation
    if presentation.payload.kind is PayloadKind.SIGNED_CODE and presentation.signature_valid is not True:
        return Decision.of(Reason.FORGED)
    return None


def check_bookings_trusted(ctx: _Context) -> Decision | None:
    """Booking data known to be older than data already used (a rolled-back file) decides nothing: a
    booking cancelled since may look active in it, so known and unknown codes alike go to the guard."""
    if ctx.circumstances.bookings_trusted:
        return None
    return Decision.of(Reason.STALE_DATA, data="rolled_back")


def check_known(ctx: _Context) -> Decision | None:
    """Unknown code: DENY if the local data is fresh, REFER if it may just be missing a new booking."""
    if ctx.booking is not None:
        return None
    age = ctx.circumstances.data_age
    limit = dt.timedelta(minutes=ctx.rules.max_data_age_minutes)
    if age is not None and (age > limit or age < dt.timedelta(0)):
        return Decision.of(Reason.STALE_DATA, age_minutes=str(int(age.total_seconds() // 60)))
    return Decision.of(Reason.UNKNOWN_CODE)


def check_office(ctx: _Context) -> Decision | None:
    booking = _booking(ctx)
    if booking.office_code.upper() == ctx.rules.office_code.upper():
        return None
    return Decision.of(Reason.WRONG_OFFICE, booking, office=booking.office_code)


_STATUS_REASON = {
    Status.CANCELLED: Reason.CANCELLED,
    Status.RESCHEDULED: Reason.RESCHEDULED,
    Status.UNPAID: Reason.UNPAID,
}


def check_status(ctx: _Context) -> Decision | None:
    booking = _booking(ctx)
    if booking.status is Status.ACTIVE:
        return None
    reason = _STATUS_REASON.get(booking.status, Reason.NOT_A_BOOKING)
    return Decision.of(reason, booking, **_slot_facts(ctx))


def check_clock(ctx: _Context) -> Decision | None:
    """Every check from here on depends on the time; an untrusted clock must not decide them."""
    if ctx.circumstances.clock_trusted:
        return None
    return Decision.of(Reason.CLOCK_UNTRUSTED, _booking(ctx))


def check_day(ctx: _Context) -> Decision | None:
    timing = timing_of(_booking(ctx), ctx.rules, ctx.circumstances.now)
    if timing in (Timing.BEFORE_DAY, Timing.AFTER_DAY):
        when = "earlier" if timing is Timing.BEFORE_DAY else "later"
        return Decision.of(Reason.WRONG_DAY, _booking(ctx), when=when, **_slot_facts(ctx))
    return None


def check_entries_left(ctx: _Context) -> Decision | None:
    booking = _booking(ctx)
    if ctx.rules.reentry is ReentryPolicy.WITHIN_WINDOW or not ctx.entries:
        return None
    used = sum(entry.persons for entry in ctx.entries)
    if used < booking.party_size:
        return None
    first = min(ctx.entries, key=lambda entry: entry.at)
    first_local = first.at.astimezone(ctx.rules.tz)
    return Decision.of(
        Reason.ALREADY_ADMITTED,
        booking,
        first_entry_time=format_time(first_local.time()),
        first_entry_gate=first.gate,
        zone=ctx.rules.zone_abbreviation,
        used=str(used),
        party_size=str(booking.party_size),
        **_other_gate_facts(ctx.entries, ctx.circumstances.gate),
    )


def _other_gate_facts(entries: Sequence[Entry], gate: str) -> dict[str, str]:
    """The latest entry at another gate than this one, when there is one: how the server's answer tells
    a kiosk that its booking was used at another gate, and when (the broker pattern TWO_GATES)."""
    others = [entry for entry in entries if entry.gate != gate]
    if not others:
        return {}
    latest = max(others, key=lambda entry: entry.at)
    return {"other_gate": latest.gate, "other_gate_at": latest.at.astimezone(dt.UTC).isoformat(timespec="seconds")}


def check_category(ctx: _Context) -> Decision | None:
    booking = _booking(ctx)
    if booking.category in ctx.rules.refer_categories:
        return Decision.of(Reason.NEEDS_OFFICER, booking, category=booking.category.value)
    return None


def check_window(ctx: _Context) -> Decision | None:
    timing = timing_of(_booking(ctx), ctx.rules, ctx.circumstances.now)
    if timing is Timing.EARLY:
        return Decision.of(Reason.TOO_EARLY, _booking(ctx), **_slot_facts(ctx))
    if timing is Timing.LATE_SAME_DAY and not ctx.rules.allow_later_same_day:
        return Decision.of(Reason.TOO_LATE, _booking(ctx), **_slot_facts(ctx))
    return None


def admit(ctx: _Context) -> Decision:
    booking = _booking(ctx)
    persons = persons_to_admit(booking, ctx.entries, ctx.rules)
    facts = {"party_size": str(booking.party_size), **_slot_facts(ctx)}
    return Decision(Verdict.ADMIT, Reason.OK, persons, booking, facts)


CHECKS: tuple[Check, ...] = (
    check_single_code,
    check_is_booking,
    check_signature,
    check_bookings_trusted,
    check_known,
    check_office,
    check_status,
    check_clock,
    check_day,
    check_entries_left,
    check_category,
    check_window,
    admit,
)


# --- helpers --------------------------------------------------------------------------------------


def timing_of(booking: Booking, rules: OfficeRules, now: dt.datetime) -> Timing:
    """Where `now` falls against the booking's arrival window, judged in the office's zone."""
    opens, closes = arrival_window(booking, rules)
    local_date = now.astimezone(rules.tz).date()
    if now < opens:
        return Timing.BEFORE_DAY if local_date < booking.service_date else Timing.EARLY
    if now <= closes:
        return Timing.INSIDE
    return Timing.AFTER_DAY if local_date > booking.service_date else Timing.LATE_SAME_DAY


def arrival_window(booking: Booking, rules: OfficeRules) -> tuple[dt.datetime, dt.datetime]:
    """Entry opens `early_minutes` before the slot and closes `late_minutes` after its end."""
    tz = rules.tz
    start = dt.datetime.combine(booking.service_date, booking.slot_start, tzinfo=tz)
    end = dt.datetime.combine(booking.service_date, booking.slot_end, tzinfo=tz)
    if end < start:  # a slot that runs past midnight ends on the next day
        end += dt.timedelta(days=1)
    return start - dt.timedelta(minutes=rules.early_minutes), end + dt.timedelta(minutes=rules.late_minutes)


def persons_to_admit(booking: Booking, entries: Sequence[Entry], rules: OfficeRules) -> int:
    if rules.party_admission is PartyAdmission.PER_PERSON:
        return 1
    if rules.reentry is ReentryPolicy.WITHIN_WINDOW:
        return booking.party_size
    used = sum(entry.persons for entry in entries)
    return max(booking.party_size - used, 1)


def format_time(value: dt.time) -> str:
    """Indonesian style, 10.30; the English text swaps the dot for a colon."""
    return f"{value.hour:02d}.{value.minute:02d}"


def _slot_facts(ctx: _Context) -> dict[str, str]:
    booking = _booking(ctx)
    opens, closes = arrival_window(booking, ctx.rules)
    tz = ctx.rules.tz
    return {
        "service_date": booking.service_date.isoformat(),
        "slot_start": format_time(booking.slot_start),
        "slot_end": format_time(booking.slot_end),
        "opens": format_time(opens.astimezone(tz).time()),
        "closes": format_time(closes.astimezone(tz).time()),
        "zone": ctx.rules.zone_abbreviation,
    }


def _booking(ctx: _Context) -> Booking:
    if ctx.booking is None:  # check_known stops the chain first; this guards against reordering
        raise LookupError("check needs a booking")
    return ctx.booking
