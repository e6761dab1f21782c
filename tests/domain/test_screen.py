"""The applicant screen's rules (kiosk.domain.screen), without a window: states, time-outs, faults,
the DENY that waits for the guard, and every DENY and REFER reason in both languages."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.domain.explain import Lang
from kiosk.domain.model import VERDICT_OF, Decision, Reason, Verdict
from kiosk.domain.screen import (
    Fault,
    ScreenMachine,
    ScreenState,
    Timeouts,
    data_age_text,
    decision_screen,
    guard_admit_screen,
    out_of_order_screen,
)
from tests.domain.test_decide import CASES, Scenario
from tests.domain.test_patterns import PATTERN_SCENARIOS


def admit(persons: int = 1) -> Decision:
    return Decision(Verdict.ADMIT, Reason.OK, persons, None, {"slot_start": "10.30", "zone": "WIB"})


def deny() -> Decision:
    return Decision.of(Reason.UNKNOWN_CODE)


def test_a_code_goes_checking_then_the_recorded_answer_then_idle() -> None:
    machine = ScreenMachine(Timeouts(admit=5))
    assert machine.state is ScreenState.IDLE
    assert machine.code_seen(0.0)
    assert machine.state is ScreenState.CHECKING and machine.until == 8.0
    machine.recorded(admit(), "e1", 0.1)
    assert machine.state is ScreenState.ADMIT and machine.until == pytest.approx(5.1)
    machine.tick(5.0)
    assert machine.state is ScreenState.ADMIT
    machine.tick(5.2)
    assert machine.state is ScreenState.IDLE and machine.until is None


def test_a_fault_never_cuts_short_a_recorded_answer_but_shows_after_it() -> None:
    machine = ScreenMachine()
    machine.code_seen(0.0)
    machine.recorded(admit(), "e1", 0.0)
    machine.fault(Fault.CAMERA, 1.0)
    assert machine.state is ScreenState.ADMIT
    machine.tick(100.0)
    assert machine.state is ScreenState.OUT_OF_ORDER
    assert not machine.code_seen(101.0)  # no camera: nothing to decide
    machine.fault_cleared(Fault.CAMERA, 102.0)
    assert machine.state is ScreenState.IDLE


def test_the_hand_scanner_still_works_while_the_camera_is_broken() -> None:
    machine = ScreenMachine()
    machine.fault(Fault.CAMERA, 0.0)
    assert not machine.code_seen(1.0)  # from the (broken) camera
    assert machine.code_seen(1.0, camera=False)  # from the keyboard-wedge scanner
    assert machine.state is ScreenState.CHECKING
    machine.recorded(admit(), "e1", 1.1)
    machine.tick(100.0)
    assert machine.state is ScreenState.OUT_OF_ORDER  # back to the camera's fault
    machine.fault(Fault.GATE, 101.0)
    assert not machine.code_seen(102.0, camera=False)  # no gate: nothing is decided at all


def test_a_failed_write_interrupts_and_the_next_good_write_clears_it() -> None:
    machine = ScreenMachine()
    machine.code_seen(0.0)
    machine.failed(0.1)
    assert machine.state is ScreenState.OUT_OF_ORDER and machine.faults == {Fault.DATABASE}
    assert machine.code_seen(5.0)  # still decided: the first write that works clears the fault
    assert machine.state is ScreenState.OUT_OF_ORDER
    machine.recorded(deny(), "e2", 5.1)
    assert machine.state is ScreenState.DENY and not machine.faults


def test_checking_too_long_is_a_database_fault() -> None:
    machine = ScreenMachine(Timeouts(checking=8))
    machine.code_seen(0.0)
    machine.tick(8.0)
    assert machine.state is ScreenState.OUT_OF_ORDER and Fault.DATABASE in machine.faults


def test_a_sticky_deny_waits_for_the_guard_and_holds_new_codes() -> None:
    machine = ScreenMachine(Timeouts(deny_needs_ack=True))
    machine.code_seen(0.0)
    machine.recorded(deny(), "e1", 0.0)
    assert machine.screen.awaiting_guard and machine.until is None
    assert not machine.code_seen(1.0)
    machine.acknowledge("another-event", 2.0)
    assert machine.state is ScreenState.DENY
    assert machine.code_seen(2.5, by_guard=True)  # a code the guard types always goes through
    machine.recorded(deny(), "e3", 2.6)
    machine.acknowledge("e3", 3.0)
    assert machine.state is ScreenState.IDLE


def test_a_guard_override_shows_admit_with_the_party() -> None:
    screen = guard_admit_screen(3)
    assert screen.state is ScreenState.ADMIT
    assert screen.words[Lang.ID].title == "SILAKAN MASUK" and screen.words[Lang.ID].line == "untuk 3 orang"
    assert screen.words[Lang.EN].line == "for 3 people"


def test_out_of_order_says_what_is_broken_in_both_languages() -> None:
    screen = out_of_order_screen({Fault.CAMERA})
    assert screen.words[Lang.ID].title == "SEDANG TIDAK BERFUNGSI"
    assert screen.words[Lang.ID].sentence == "Kamera tidak berfungsi. Mohon tunggu petugas."
    assert screen.words[Lang.EN].sentence == "The camera is not working. Please wait for the officer."


@pytest.mark.parametrize(
    ("age", "text_id", "text_en"),
    [
        (None, "Data jadwal: impor lokal", "Booking data: local import"),
        (dt.timedelta(seconds=20), "Data jadwal: baru diperbarui", "Booking data: just updated"),
        (dt.timedelta(minutes=7), "Data jadwal: 7 menit lalu", "Booking data: 7 min ago"),
        (dt.timedelta(hours=5), "Data jadwal: 5 jam lalu", "Booking data: 5 h ago"),
        (dt.timedelta.max, "Data jadwal: belum pernah diperbarui", "Booking data: never updated"),
    ],
)
def test_data_age_small_print(age: dt.timedelta | None, text_id: str, text_en: str) -> None:
    assert data_age_text(age, Lang.ID) == text_id
    assert data_age_text(age, Lang.EN) == text_en


# --- every DENY and REFER reason, from real decisions, in both languages --------------------------------


def _decisions_by_reason() -> dict[Reason, Decision]:
    """One real decide() result per reason, from the domain's own decision table (all zones alike)."""
    found: dict[Reason, Decision] = {}
    for case in CASES:
        scenario = case.values[0]
        assert isinstance(scenario, Scenario)
        found.setdefault(scenario.reason, scenario.run("Asia/Jakarta"))
    found.setdefault(
        Reason.OUT_OF_ORDER, Scenario(Reason.OUT_OF_ORDER, Verdict.DENY, naive_time=True).run("Asia/Jakarta")
    )
    for reason, case in PATTERN_SCENARIOS.items():  # the broker patterns: several scans
        found.setdefault(reason, case.run("Asia/Jakarta"))
    return found


DECISIONS = _decisions_by_reason()
REFUSALS = [reason for reason, verdict in VERDICT_OF.items() if verdict is not Verdict.ADMIT]


@pytest.mark.parametrize("reason", REFUSALS, ids=str)
def test_every_deny_and_refer_reason_renders_in_both_languages(reason: Reason) -> None:
    decision = DECISIONS[reason]
    assert decision.reason is reason
    screen = decision_screen(decision, "e1")
    expected = ScreenState.OUT_OF_ORDER if reason is Reason.OUT_OF_ORDER else ScreenState(VERDICT_OF[reason].lower())
    assert screen.state is expected
    indonesian, english = screen.words[Lang.ID], screen.words[Lang.EN]
    for words in (indonesian, english):
        assert words.title and words.sentence
        assert "?" not in words.sentence, f"a fact is missing in {words.sentence!r}"
        assert "{" not in words.sentence
    assert indonesian.sentence != english.sentence and indonesian.title != english.title
