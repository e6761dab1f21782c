"""Broker ("calo") patterns at the door: what one scan cannot show, a few scans together can.

Each pattern is a small check over the scan being recorded and this kiosk's recent scans; the first
that holds turns the decision into a REFER with its own reason, so the guard's queue, sound and flash
take it from there and the applicant reads "please wait for the officer":

- CODE_BURST: `burst_codes` unknown, forged or not-a-booking codes at this kiosk within
  `burst_minutes` (someone probing with guessed or made-up codes);
- TWO_GATES: a booking used at another gate `two_gates_minutes` ago or less (one code shared, a
  screenshot shown at two doors); the kiosk learns it from the server's answer across gates;
- TRYING_CODES: a booking denied here, another code that failed too, then the first booking again
  within `retry_minutes` (someone holding several applicants' codes, trying which one works; also
  when each of them is too early). Codes in between that were all admitted are the queue moving on,
  not a second try, so an applicant who asks again after the next person went in is not counted
  the first time; the third showing is (a broker "covering" each try with a real admission pays
  an entry for every try). A booking told TOO_EARLY that comes back and now enters is never one.

Pure: the recent scans and the time come in (the store reads them from its recorded events, so an
alert survives a restart). Fails closed: a pattern's decision is always a REFER, never an ADMIT, and an
OUT_OF_ORDER (no decision at all) or a code typed in by the guard is left as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kiosk.domain.model import VERDICT_OF, Decision, OfficeRules, Reason, Verdict

#: The codes a burst counts: nothing a genuine applicant's booking gives.
BAD_CODES = frozenset({Reason.NOT_A_BOOKING, Reason.UNKNOWN_CODE, Reason.FORGED})
#: Denials that tell the applicant to come back: showing the same booking again is what they were asked.
RETRY_EXPECTED = frozenset({Reason.TOO_EARLY})
#: The fact a pattern's decision keeps its own reason in (the reason the scan had before the pattern).
PATTERN_OF = "pattern_of"


@dataclass(frozen=True, slots=True)
class RecentScan:
    """An earlier scan at this kiosk, as the patterns need it (no personal data)."""

    at: dt.datetime
    #: The scan's own reason, before any pattern (a pattern's event keeps it in PATTERN_OF).
    reason: str
    #: Which code it was (its keyed hash); None for a payload that is no booking code.
    code_key: str | None = None
    booking_ref: str | None = None
    #: Typed in by a guard: the officer is there already, it counts for nothing.
    manual: bool = False


@dataclass(frozen=True, slots=True)
class ThisScan:
    """The scan being decided: when, at which gate, which code, and whether a guard typed it."""

    at: dt.datetime
    gate: str
    code_key: str | None = None
    manual: bool = False


@dataclass(frozen=True, slots=True)
class _Context:
    decision: Decision
    scan: ThisScan
    recent: Sequence[RecentScan]
    rules: OfficeRules


Pattern = Callable[[_Context], Decision | None]


def detect(decision: Decision, scan: ThisScan, recent: Sequence[RecentScan], rules: OfficeRules) -> Decision:
    """The decision to record: `decision` itself, or a pattern's REFER that keeps its facts and booking
    and names the reason it replaced. A failing pattern leaves the decision as it was (it is already
    the gate's answer; the patterns only add an alert)."""
    if scan.manual or decision.reason is Reason.OUT_OF_ORDER:
        return decision
    earlier = sorted((r for r in recent if not r.manual and r.at <= scan.at), key=lambda r: r.at)
    ctx = _Context(decision, scan, earlier, rules)
    for pattern in PATTERNS:
        try:
            found = pattern(ctx)
        except Exception:  # an alert must never cost the applicant a recorded decision
            continue
        if found is not None:
            return found
    return decision


def own_reason(reason: str, facts: dict[str, str]) -> str:
    """The reason a recorded scan had before any pattern replaced it."""
    return facts.get(PATTERN_OF, reason)


# --- the patterns, in order -----------------------------------------------------------------------


def two_gates(ctx: _Context) -> Decision | None:
    """The server says this booking was used at another gate, and only minutes ago."""
    decision, window = ctx.decision, ctx.rules.two_gates_minutes
    if window <= 0 or decision.reason is not Reason.ALREADY_ADMITTED:
        return None
    gate, when = decision.facts.get("other_gate", ""), decision.facts.get("other_gate_at", "")
    if not gate or not when or gate == ctx.scan.gate:
        return None
    then = dt.datetime.fromisoformat(when)
    if then.tzinfo is None or abs(ctx.scan.at - then) > dt.timedelta(minutes=window):
        return None
    minutes = max(int((ctx.scan.at - then).total_seconds() // 60), 0)
    return _refer(ctx, Reason.TWO_GATES, other_gate_minutes=str(minutes), window_minutes=str(window))


def trying_codes(ctx: _Context) -> Decision | None:
    """This booking was denied here a little while ago and another code that failed too was shown in
    between; or it is shown a third time after denials with other codes between. Not when a booking
    told TOO_EARLY comes back and now enters (its time came)."""
    booking, window = ctx.decision.booking, ctx.rules.retry_minutes
    if window <= 0 or booking is None:
        return None
    since = ctx.scan.at - dt.timedelta(minutes=window)
    recent = [r for r in ctx.recent if r.at >= since]
    denied = [i for i, r in enumerate(recent) if r.booking_ref == booking.booking_ref and _denied(r.reason)]
    if not denied:
        return None
    told_to_come_back = _reason(recent[denied[-1]].reason) in RETRY_EXPECTED
    if told_to_come_back and ctx.decision.verdict is Verdict.ADMIT:
        return None
    between = [
        r
        for r in recent[denied[-1] + 1 :]
        if r.code_key is not None and r.code_key != ctx.scan.code_key and r.booking_ref != booking.booking_ref
    ]
    failed_between = any(_reason(r.reason) is not Reason.OK for r in between)
    again_and_again = len(denied) >= 2 and not told_to_come_back
    if not between or not (failed_between or again_and_again):
        return None
    earlier = recent[denied[-1]]
    local = earlier.at.astimezone(ctx.rules.tz)
    return _refer(
        ctx,
        Reason.TRYING_CODES,
        denied_time=f"{local.hour:02d}.{local.minute:02d}",
        denied_reason=earlier.reason,
        codes_between=str(len(between)),
        zone=ctx.rules.zone_abbreviation,
    )


def code_burst(ctx: _Context) -> Decision | None:
    """Enough unknown, forged or not-a-booking codes at this kiosk in a short time, this one included."""
    limit, window = ctx.rules.burst_codes, ctx.rules.burst_minutes
    if limit <= 0 or window <= 0 or _reason(ctx.decision.reason.value) not in BAD_CODES:
        return None
    since = ctx.scan.at - dt.timedelta(minutes=window)
    count = 1 + sum(1 for r in ctx.recent if r.at >= since and _reason(r.reason) in BAD_CODES)
    if count < limit:
        return None
    return _refer(ctx, Reason.CODE_BURST, burst_count=str(count), window_minutes=str(window))


PATTERNS: tuple[Pattern, ...] = (two_gates, trying_codes, code_burst)


# --- helpers --------------------------------------------------------------------------------------


def _refer(ctx: _Context, reason: Reason, **facts: str) -> Decision:
    decision = ctx.decision
    merged = {**decision.facts, **facts, PATTERN_OF: decision.reason.value}
    return Decision(Verdict.REFER, reason, 0, decision.booking, merged)


def _reason(value: str) -> Reason | None:
    try:
        return Reason(value)
    except ValueError:
        return None


def _denied(value: str) -> bool:
    """A refusal the applicant caused (a kiosk fault, OUT_OF_ORDER, is none)."""
    reason = _reason(value)
    return reason is not None and reason is not Reason.OUT_OF_ORDER and VERDICT_OF[reason] is Verdict.DENY
