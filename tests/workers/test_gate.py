"""The fake gate relay behaves like a real one: a timed release per admission (longer for a party),
retriggering, and faults that are reported and cleared: unplugged, flaky writes, a stuck contact."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from kiosk.workers.gate import (
    EXTRA_PER_PERSON_MS,
    MAX_OPEN_MS,
    OPEN_MS,
    PULSES_KEPT,
    FakeRelay,
    GateState,
    hold_ms,
)
from kiosk.workers.qtfix import fix_pyside_refcounts

fix_pyside_refcounts()  # see kiosk/workers/qtfix.py: PySide6 6.12 on Python 3.11 loses references to None and True


def test_a_pulse_opens_then_closes_by_itself(qtbot: QtBot) -> None:
    relay = FakeRelay(open_ms=100)
    with qtbot.waitSignal(relay.opened, timeout=0) as opened:
        assert relay.pulse(1)
    assert opened.args == [1]
    assert relay.state is GateState.OPEN
    with qtbot.waitSignal(relay.closed, timeout=2000):
        pass
    assert relay.state is GateState.CLOSED


def test_a_party_holds_the_door_longer_up_to_a_limit() -> None:
    assert hold_ms(1) == OPEN_MS
    assert hold_ms(3) == OPEN_MS + 2 * EXTRA_PER_PERSON_MS
    assert hold_ms(50) == MAX_OPEN_MS
    relay = FakeRelay()
    relay.pulse(3)
    assert relay.pulses[0].hold_ms == hold_ms(3)
    relay.close()


def test_a_pulse_while_open_extends_the_hold(qtbot: QtBot) -> None:
    """No wall clock: the hold is the relay's single-shot timer, so "a pulse extends the hold" is "a pulse
    while open starts that timer again, for a whole hold". Qt timers fire only from the event loop, which
    does not run between these lines: the first hold can be cut to 1 ms left without running out."""
    relay = FakeRelay(open_ms=300)
    relay.pulse()
    relay._timer.start(1)  # the first hold about to run out
    relay.pulse()
    assert relay._timer.isActive() and relay._timer.interval() == 300  # a whole new hold from the second pulse
    assert relay.state is GateState.OPEN
    with qtbot.waitSignal(relay.closed, timeout=5000):  # and that hold still ends by itself
        pass
    assert relay.state is GateState.CLOSED


def test_unplugged_relay_refuses_and_reports_until_replugged(qtbot: QtBot) -> None:
    relay = FakeRelay(open_ms=50)
    with qtbot.waitSignal(relay.fault, timeout=0) as fault:
        relay.unplug()
    assert "not connected" in fault.args[0]
    assert relay.state is GateState.FAULT
    with qtbot.waitSignal(relay.fault, timeout=0):
        assert not relay.pulse()
    assert not relay.pulses
    with qtbot.waitSignal(relay.faultCleared, timeout=0):
        relay.replug()
    assert relay.pulse()


def test_flaky_writes_fault_and_the_first_good_write_clears_it(qtbot: QtBot) -> None:
    relay = FakeRelay(open_ms=50)
    relay.fail_next_writes(2)
    with qtbot.waitSignal(relay.fault, timeout=0):
        assert not relay.pulse()
    assert not relay.pulse()
    with qtbot.waitSignal(relay.faultCleared, timeout=0):
        assert relay.pulse()
    assert len(relay.pulses) == 1
    relay.close()


def test_a_stuck_contact_is_a_fault_until_it_is_freed(qtbot: QtBot) -> None:
    relay = FakeRelay(open_ms=50)
    relay.stick()
    relay.pulse()
    with qtbot.waitSignal(relay.fault, timeout=2000) as fault:
        pass
    assert "did not close" in fault.args[0]
    assert not relay.pulse()  # still broken
    with qtbot.waitSignal(relay.faultCleared, timeout=0):
        relay.stick(False)
    assert relay.state is GateState.CLOSED


def test_close_locks_the_door_at_once(qtbot: QtBot) -> None:
    relay = FakeRelay(open_ms=5000)
    relay.pulse()
    with qtbot.waitSignal(relay.closed, timeout=0):
        relay.close()
    assert relay.state is GateState.CLOSED


def test_the_simulated_relay_keeps_only_its_last_pulses() -> None:
    """A kiosk runs for months: the fake keeps a window of pulses, not every one (it grew in the soak)."""
    relay = FakeRelay()
    for persons in range(1, PULSES_KEPT + 11):
        assert relay.pulse(persons)  # while open, each pulse extends the hold
    assert len(relay.pulses) == PULSES_KEPT
    assert [p.persons for p in relay.pulses][-1] == PULSES_KEPT + 10
    relay.close()
