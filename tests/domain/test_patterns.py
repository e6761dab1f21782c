"""Broker patterns (kiosk/domain/patterns.py) as a decision table: the scan's own decision (a real
decide() result from tests/domain/test_decide.py), this kiosk's recent scans, the office rules; then
the decision recorded. The scan is at 10.45 office time at gate G1 on DAY."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from kiosk.domain.model import PATTERN_REASONS, VERDICT_OF, Decision, Reason, Verdict
from kiosk.domain.patterns import PATTERN_OF, PATTERNS, RecentScan, ThisScan, detect, own_reason
from tests.domain.test_decide import DAY, ZONES, Scenario, admit, at_local, deny, make_rules, refer

THIS_KEY, OTHER_KEY, THIRD_KEY = "k-this", "k-other", "k-third"
REF, OTHER_REF = "B-000123", "B-000999"  # the default booking's ref (test_decide.make_booking), another one

#: (seconds before the scan, own reason, code key, booking ref[, manual])
Earlier = tuple[Any, ...]


@dataclass(frozen=True)
class Case:
    """One row: the scan's own decision, the scans before it, rule changes; the reason recorded."""

    expect: Reason
    own: Scenario
    earlier: tuple[Earlier, ...] = ()
    rules: dict[str, Any] = field(default_factory=dict)
    code_key: str | None = THIS_KEY
    manual: bool = False

    @property
    def reason(self) -> Reason:
        return self.expect

    def run(self, zone: str) -> Decision:
        now = at_local(zone, self.own.at)
        decision = self.own.run(zone)
        recent = [
            RecentScan(now - dt.timedelta(seconds=ago), str(reason), key, ref, *rest)
            for ago, reason, key, ref, *rest in self.earlier
        ]
        scan = ThisScan(now, "G1", self.code_key, self.manual)
        return detect(decision, scan, recent, make_rules(zone, **self.rules))


UNKNOWN = deny(Reason.UNKNOWN_CODE, booking=None, data_age_minutes=1)
NOT_A_BOOKING = deny(Reason.NOT_A_BOOKING, payload="https://example.com/")
TOO_EARLY = deny(Reason.TOO_EARLY, at="09:15")
WRONG_DAY = deny(Reason.WRONG_DAY, booking={"service_date": DAY + dt.timedelta(days=1)})
bad = Reason.UNKNOWN_CODE


def burst(n: int, spacing: int = 10, reason: Reason = bad) -> tuple[Earlier, ...]:
    """`n` bad codes before the scan, the newest `spacing` seconds before it, each a new code."""
    return tuple((spacing * (i + 1), reason, f"k-{i}", None) for i in range(n))


CASES = [
    # --- CODE_BURST: the scan that reaches the count, and each one after it while the count holds ---
    pytest.param(Case(Reason.CODE_BURST, UNKNOWN, burst(4)), id="burst-5th-unknown"),
    pytest.param(Case(Reason.UNKNOWN_CODE, UNKNOWN, burst(3)), id="burst-4th-not-yet"),
    pytest.param(Case(Reason.CODE_BURST, NOT_A_BOOKING, burst(4, reason=Reason.FORGED)), id="burst-mixed-kinds"),
    pytest.param(Case(Reason.CODE_BURST, UNKNOWN, burst(9)), id="burst-10th"),
    pytest.param(Case(Reason.UNKNOWN_CODE, UNKNOWN, burst(4, spacing=35)), id="burst-spread-over-2-minutes"),
    pytest.param(Case(Reason.CODE_BURST, UNKNOWN, burst(4, spacing=35), {"burst_minutes": 3}), id="burst-longer-rule"),
    pytest.param(Case(Reason.CODE_BURST, UNKNOWN, burst(2), {"burst_codes": 3}), id="burst-lower-count"),
    pytest.param(Case(Reason.UNKNOWN_CODE, UNKNOWN, burst(9), {"burst_codes": 0}), id="burst-off"),
    pytest.param(Case(Reason.OK, admit(), burst(9), code_key=THIS_KEY), id="burst-a-genuine-booking-still-enters"),
    pytest.param(
        Case(Reason.UNKNOWN_CODE, UNKNOWN, tuple((10 * (i + 1), bad, f"k-{i}", None, True) for i in range(4))),
        id="burst-guard-typed-codes-count-for-nothing",
    ),
    pytest.param(Case(Reason.UNKNOWN_CODE, UNKNOWN, burst(9), manual=True), id="burst-guard-typing-not-an-alert"),
    pytest.param(
        Case(Reason.UNKNOWN_CODE, UNKNOWN, ((10, Reason.TOO_EARLY, "k-0", OTHER_REF), *burst(3, spacing=20))),
        id="burst-a-refused-booking-is-no-bad-code",
    ),
    # --- TWO_GATES: the server's ALREADY_ADMITTED names an entry at another gate minutes ago ---------
    pytest.param(Case(Reason.TWO_GATES, deny(Reason.ALREADY_ADMITTED, entries=(("10:40", 1),))), id="two-gates-5-min"),
    pytest.param(
        Case(Reason.ALREADY_ADMITTED, deny(Reason.ALREADY_ADMITTED, entries=(("10:05", 1),))), id="two-gates-40-min-ago"
    ),
    pytest.param(
        Case(Reason.TWO_GATES, deny(Reason.ALREADY_ADMITTED, entries=(("10:05", 1),)), rules={"two_gates_minutes": 45}),
        id="two-gates-longer-rule",
    ),
    pytest.param(
        Case(
            Reason.ALREADY_ADMITTED,
            deny(Reason.ALREADY_ADMITTED, entries=(("10:40", 1),)),
            rules={"two_gates_minutes": 0},
        ),
        id="two-gates-off",
    ),
    # --- TRYING_CODES: denied here, another code, the same booking again ---------------------------
    pytest.param(
        Case(Reason.TRYING_CODES, WRONG_DAY, ((60, Reason.WRONG_DAY, THIS_KEY, REF), (30, bad, OTHER_KEY, None))),
        id="trying-denied-other-same",
    ),
    pytest.param(
        Case(Reason.TRYING_CODES, admit(), ((60, Reason.UNPAID, THIS_KEY, REF), (30, bad, OTHER_KEY, None))),
        id="trying-even-when-it-would-now-enter",
    ),
    pytest.param(
        Case(Reason.WRONG_DAY, WRONG_DAY, ((60, Reason.WRONG_DAY, THIS_KEY, REF),)), id="trying-same-code-twice-only"
    ),
    pytest.param(
        Case(Reason.WRONG_DAY, WRONG_DAY, ((60, Reason.OK, THIS_KEY, REF), (30, bad, OTHER_KEY, None))),
        id="trying-earlier-was-no-deny",
    ),
    pytest.param(
        Case(Reason.WRONG_DAY, WRONG_DAY, ((60, Reason.OUT_OF_ORDER, THIS_KEY, REF), (30, bad, OTHER_KEY, None))),
        id="trying-a-kiosk-fault-is-no-deny",
    ),
    pytest.param(
        Case(
            Reason.WRONG_DAY, WRONG_DAY, ((60, Reason.WRONG_DAY, THIS_KEY, REF), (30, Reason.NOT_A_BOOKING, None, None))
        ),
        id="trying-a-payload-that-is-no-code-is-not-another-code",
    ),
    pytest.param(
        Case(Reason.WRONG_DAY, WRONG_DAY, ((60, bad, OTHER_KEY, None), (30, Reason.WRONG_DAY, THIS_KEY, REF))),
        id="trying-other-code-before-the-deny",
    ),
    pytest.param(
        Case(Reason.WRONG_DAY, WRONG_DAY, ((700, Reason.WRONG_DAY, THIS_KEY, REF), (30, bad, OTHER_KEY, None))),
        id="trying-deny-too-long-ago",
    ),
    pytest.param(
        Case(
            Reason.WRONG_DAY,
            WRONG_DAY,
            ((60, Reason.WRONG_DAY, THIS_KEY, REF), (30, bad, OTHER_KEY, None, True)),
        ),
        id="trying-guard-typed-code-in-between",
    ),
    pytest.param(
        Case(
            Reason.WRONG_DAY,
            WRONG_DAY,
            ((60, Reason.WRONG_DAY, THIS_KEY, REF), (30, bad, OTHER_KEY, None)),
            {"retry_minutes": 0},
        ),
        id="trying-off",
    ),
    pytest.param(
        Case(
            Reason.TRYING_CODES,
            WRONG_DAY,
            ((90, Reason.WRONG_DAY, "k-signed-form", REF), (60, bad, OTHER_KEY, None), (30, bad, THIRD_KEY, None)),
        ),
        id="trying-same-booking-another-form-of-its-code",
    ),
    pytest.param(
        Case(
            Reason.TRYING_CODES,
            TOO_EARLY,
            ((60, Reason.TOO_EARLY, THIS_KEY, REF), (30, Reason.TOO_EARLY, OTHER_KEY, OTHER_REF)),
        ),
        id="trying-cycling-bookings-that-are-all-too-early",
    ),
    pytest.param(
        Case(Reason.OK, admit(), ((60, Reason.TOO_EARLY, THIS_KEY, REF), (30, Reason.TOO_EARLY, OTHER_KEY, OTHER_REF))),
        id="trying-not-when-told-too-early-they-come-back-and-enter",
    ),
    pytest.param(
        Case(
            Reason.TRYING_CODES,
            WRONG_DAY,
            (
                (120, Reason.WRONG_DAY, THIS_KEY, REF),
                (90, Reason.OK, OTHER_KEY, OTHER_REF),
                (60, Reason.WRONG_DAY, THIS_KEY, REF),
                (30, Reason.OK, THIRD_KEY, "B-000777"),
            ),
        ),
        id="trying-the-third-showing-even-when-each-try-is-covered-by-an-admission",
    ),
    pytest.param(
        Case(
            Reason.TOO_EARLY,
            TOO_EARLY,
            (
                (120, Reason.TOO_EARLY, THIS_KEY, REF),
                (90, Reason.OK, OTHER_KEY, OTHER_REF),
                (60, Reason.TOO_EARLY, THIS_KEY, REF),
                (30, Reason.OK, THIRD_KEY, "B-000777"),
            ),
        ),
        id="trying-not-an-early-applicant-asking-now-and-then-while-the-queue-moves",
    ),
    pytest.param(
        Case(
            Reason.WRONG_DAY,
            WRONG_DAY,
            ((60, Reason.WRONG_DAY, THIS_KEY, REF), (30, Reason.OK, OTHER_KEY, OTHER_REF)),
        ),
        id="trying-not-when-the-next-person-in-the-queue-got-in",
    ),
    pytest.param(
        Case(
            Reason.TOO_EARLY,
            TOO_EARLY,
            ((90, Reason.TOO_EARLY, THIS_KEY, REF), (60, Reason.OK, OTHER_KEY, OTHER_REF)),
        ),
        id="trying-not-an-early-applicant-asking-again-after-the-next-one-went-in",
    ),
    pytest.param(
        Case(
            Reason.TRYING_CODES,
            WRONG_DAY,
            ((90, Reason.WRONG_DAY, THIS_KEY, REF), (60, Reason.OK, OTHER_KEY, OTHER_REF), (30, bad, THIRD_KEY, None)),
        ),
        id="trying-one-failed-code-among-admitted-ones",
    ),
    # --- never an ADMIT, never over a fault -------------------------------------------------------------
    pytest.param(Case(Reason.OUT_OF_ORDER, deny(Reason.OUT_OF_ORDER, naive_time=True), burst(9)), id="fault-stays"),
    pytest.param(
        Case(Reason.STALE_DATA, refer(Reason.STALE_DATA, booking=None, data_age_minutes=60), burst(9)),
        id="stale-unknown-is-referred-already",
    ),
]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("case", CASES)
def test_pattern_table(case: Case, zone: str) -> None:
    own = case.own.run(zone)
    decision = case.run(zone)
    assert decision.reason is case.expect
    if case.expect in PATTERN_REASONS:
        assert decision.verdict is Verdict.REFER and decision.persons == 0
        assert decision.facts[PATTERN_OF] == own.reason.value  # the guard and the report see what it was
        assert decision.booking == own.booking
        assert {k: v for k, v in decision.facts.items() if k in own.facts} == own.facts
    else:
        assert decision == own  # untouched


def test_table_covers_every_pattern() -> None:
    covered = {param.values[0].expect for param in CASES}
    assert covered >= PATTERN_REASONS
    assert {pattern.__name__.upper() for pattern in PATTERNS} == {reason.value for reason in PATTERN_REASONS}


@pytest.mark.parametrize("reason", sorted(PATTERN_REASONS))
def test_every_pattern_refers_to_the_guard(reason: Reason) -> None:
    assert VERDICT_OF[reason] is Verdict.REFER


def test_the_facts_say_what_was_found() -> None:
    zone = "Asia/Jakarta"
    burst_facts = Case(Reason.CODE_BURST, UNKNOWN, burst(4)).run(zone).facts
    assert (burst_facts["burst_count"], burst_facts["window_minutes"]) == ("5", "2")
    gates = Case(Reason.TWO_GATES, deny(Reason.ALREADY_ADMITTED, entries=(("10:40", 1),))).run(zone).facts
    assert (gates["other_gate"], gates["other_gate_minutes"], gates["first_entry_gate"]) == ("G2", "5", "G2")
    trying = Case(
        Reason.TRYING_CODES, WRONG_DAY, ((60, Reason.WRONG_DAY, THIS_KEY, REF), (30, bad, OTHER_KEY, None))
    ).run(zone)
    assert (trying.facts["denied_reason"], trying.facts["codes_between"], trying.facts["zone"]) == (
        "WRONG_DAY",
        "1",
        "WIB",
    )
    assert trying.facts["denied_time"] == "10.44"  # a minute before this scan (at 10.45)


def test_a_pattern_that_fails_leaves_the_decision_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    """An alert is extra: a bug in a pattern must not cost the applicant the recorded decision."""
    import kiosk.domain.patterns as module

    def broken(_ctx: object) -> Decision | None:
        raise RuntimeError("bug")

    monkeypatch.setattr(module, "PATTERNS", (broken,))
    case = Case(Reason.UNKNOWN_CODE, UNKNOWN, burst(9))
    assert case.run("Asia/Jakarta") == case.own.run("Asia/Jakarta")


def test_the_own_reason_of_a_recorded_scan() -> None:
    assert own_reason("CODE_BURST", {PATTERN_OF: "UNKNOWN_CODE"}) == "UNKNOWN_CODE"
    assert own_reason("TOO_EARLY", {}) == "TOO_EARLY"


def test_scans_after_the_scan_count_for_nothing() -> None:
    """A clock set back: scans recorded 'later' than this one are no part of its past."""
    zone = "Asia/Jakarta"
    later = tuple((-10 * (i + 1), bad, f"k-{i}", None) for i in range(9))
    assert Case(Reason.UNKNOWN_CODE, UNKNOWN, later).run(zone).reason is Reason.UNKNOWN_CODE


#: One decision per pattern reason, for the tests of every reason's words (test_explain, test_screen).
PATTERN_SCENARIOS: dict[Reason, Case] = {
    Reason.CODE_BURST: Case(Reason.CODE_BURST, UNKNOWN, burst(4)),
    Reason.TWO_GATES: Case(Reason.TWO_GATES, deny(Reason.ALREADY_ADMITTED, entries=(("10:40", 1),))),
    Reason.TRYING_CODES: Case(
        Reason.TRYING_CODES, WRONG_DAY, ((60, Reason.WRONG_DAY, THIS_KEY, REF), (30, bad, OTHER_KEY, None))
    ),
}


def test_pattern_scenarios_give_their_reason() -> None:
    for reason, case in PATTERN_SCENARIOS.items():
        assert dataclasses.replace(case).run("Asia/Jakarta").reason is reason
