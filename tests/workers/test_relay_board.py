"""A real LCUS driver on the pty board simulator, as the kiosk's gate relay (kiosk/workers/relay_board.py).

Nothing is faked between the adapter and the pseudo-terminal: pyserial writes the frames, the
simulator switches its contacts, and its faults (unplugged, stuck contact) reach the adapter the way a
real board's would. Waits are on conditions, never on durations.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import serial
from pytestqt.qtbot import QtBot

from kiosk.relay.board import RelayFault, RelaySettings
from kiosk.relay.serial_board import LcusBoard, lcus_frame
from kiosk.relay.simulator import LcusSimulator, Switch
from kiosk.workers.gate import FakeRelay, GateState, Tower
from kiosk.workers.relay_board import NO_RELAY, BoardRelay, configured_relay

HOLD_MS = 200


@pytest.fixture
def sim() -> Iterator[LcusSimulator]:
    with LcusSimulator(4) as simulator:
        yield simulator


def _relay(sim: LcusSimulator, *, confirm: bool = False, towers: tuple[int, int, int] | None = None) -> BoardRelay:
    green, amber, red = towers or (None, None, None)
    settings = RelaySettings(
        driver="lcus",
        port=sim.path,
        channel=1,
        hold_ms=HOLD_MS,
        confirm=confirm,
        tower_green=green,
        tower_amber=amber,
        tower_red=red,
    )
    return BoardRelay(LcusBoard(sim.path, confirm=confirm), settings, probe_ms=50)


@pytest.fixture
def relay(sim: LcusSimulator, qtbot: QtBot) -> Iterator[BoardRelay]:
    relay = _relay(sim)
    yield relay
    relay.close()


def test_a_pulse_releases_the_door_for_the_hold_time(sim: LcusSimulator, relay: BoardRelay, qtbot: QtBot) -> None:
    with qtbot.waitSignal(relay.opened) as opened:
        assert relay.pulse(1)
    assert opened.args == [1] and relay.state is GateState.OPEN
    sim.wait_for(lambda s: s.contacts[1])
    with qtbot.waitSignal(relay.closed, timeout=10_000):
        pass
    sim.wait_for(lambda s: not s.contacts[1])
    switches = [(s.channel, s.on) for s in sim.switches if s.channel == 1]
    assert switches[-2:] == [(1, True), (1, False)]
    assert relay.state.value == "closed"


def test_an_unplugged_board_is_a_fault_until_it_is_back(sim: LcusSimulator, relay: BoardRelay, qtbot: QtBot) -> None:
    sim.unplug()
    with qtbot.waitSignal(relay.fault, timeout=10_000) as fault:
        relay.pulse(1)
    assert "relay" in fault.args[0] and sim.path in fault.args[0]
    qtbot.waitUntil(lambda: relay.state is GateState.FAULT)
    with qtbot.waitSignal(relay.fault):
        assert not relay.pulse(1)  # refuses, and says so again
    with qtbot.waitSignal(relay.faultCleared, timeout=10_000):
        sim.replug()
    assert relay.state is GateState.CLOSED
    assert relay.pulse(1)
    sim.wait_for(lambda s: s.contacts[1])


def test_a_stuck_contact_fails_closed(sim: LcusSimulator, qtbot: QtBot) -> None:
    relay = _relay(sim, confirm=True)
    try:
        sim.stick(1)  # stays off whatever is commanded
        with qtbot.waitSignal(relay.fault, timeout=10_000) as fault:
            relay.pulse(1)
        assert "stuck" in fault.args[0]
        assert relay.state is GateState.FAULT and relay.fault_message == fault.args[0]
        with qtbot.waitSignal(relay.faultCleared, timeout=10_000):
            sim.stick(1, False)
    finally:
        relay.close()


def _lit(sim: LcusSimulator) -> list[int]:
    return [channel for channel in (2, 3, 4) if sim.contacts[channel]]


def test_tower_lamps_show_one_colour(sim: LcusSimulator, qtbot: QtBot) -> None:
    relay = _relay(sim, towers=(2, 3, 4))
    try:
        relay.show_tower(Tower.GREEN)  # handed to the board's thread on the next turn of the event loop
        qtbot.waitUntil(lambda: _lit(sim) == [2], timeout=10_000)
        relay.show_tower(Tower.RED)
        qtbot.waitUntil(lambda: _lit(sim) == [4], timeout=10_000)
        relay.show_tower(Tower.AMBER)
        qtbot.waitUntil(lambda: _lit(sim) == [3], timeout=10_000)
        relay.show_tower(None)
        qtbot.waitUntil(lambda: _lit(sim) == [], timeout=10_000)
    finally:
        relay.close()
    lit_together = [[s for s in sim.switches[: i + 1] if s.channel in (2, 3, 4)] for i in range(len(sim.switches))]
    assert all(_on_at_once(switches) <= 1 for switches in lit_together)  # never two colours at once


def _on_at_once(switches: list[Switch]) -> int:
    state: dict[int, bool] = {}
    for switch in switches:
        state[switch.channel] = switch.on
    return sum(state.values())


def test_lamps_left_on_are_switched_off_at_start_and_at_close(sim: LcusSimulator, qtbot: QtBot) -> None:
    with serial.Serial(sim.path, 9600, timeout=1) as port:  # a kiosk killed while the green lamp was lit
        port.write(lcus_frame(2, True))
        sim.wait_for(lambda s: s.contacts[2])
    relay = _relay(sim, towers=(2, 3, 4))
    try:
        sim.wait_for(lambda s: not s.contacts[2])  # the board's thread, with no event loop needed
        relay.show_tower(Tower.AMBER)
        qtbot.waitUntil(lambda: _lit(sim) == [3], timeout=10_000)
        relay.pulse(1)
        sim.wait_for(lambda s: s.contacts[1])
    finally:
        relay.close()  # in the middle of the hold
    sim.wait_for(lambda s: not any(s.contacts.values()))  # the door locked, the lamp out


def test_the_door_goes_first_and_a_lamp_that_fails_is_not_a_fault_of_the_door(sim: LcusSimulator, qtbot: QtBot) -> None:
    relay = _relay(sim, confirm=True, towers=(2, 3, 4))
    faults: list[str] = []
    relay.fault.connect(faults.append)
    try:
        sim.stick(2)  # the green lamp's contact stays off: its read-back fails
        relay.show_tower(Tower.GREEN)  # as the controller does on an ADMIT: lamp first, then the pulse
        assert relay.pulse(1)
        sim.wait_for(lambda s: s.contacts[1])
        qtbot.waitUntil(lambda: lcus_frame(2, True) in sim.frames, timeout=10_000)  # door on, then the lamp tried
        relay.show_tower(Tower.RED)  # a new colour is tried again
        qtbot.waitUntil(lambda: _lit(sim) == [4], timeout=10_000)
        qtbot.waitUntil(lambda: relay.state is GateState.CLOSED, timeout=10_000)  # the hold ended as usual
        sim.wait_for(lambda s: not s.contacts[1])
        assert relay.pulse(1)  # and the door still opens
        sim.wait_for(lambda s: s.contacts[1])
    finally:
        relay.close()
    assert faults == [] and relay.fault_message is None
    assert sim.frames.index(lcus_frame(1, True)) < sim.frames.index(lcus_frame(2, True))


def test_close_switches_off_and_ends_the_board_thread(sim: LcusSimulator, qtbot: QtBot) -> None:
    relay = _relay(sim)
    relay.pulse(1)
    sim.wait_for(lambda s: s.contacts[1])
    relay.close()  # before the hold ends
    sim.wait_for(lambda s: not s.contacts[1])
    assert not relay._thread.is_alive()
    assert relay.state is GateState.CLOSED


def test_no_relay_says_so_plainly(qtbot: QtBot) -> None:
    relay = configured_relay(RelaySettings(driver="none"))
    assert isinstance(relay, FakeRelay)
    assert relay.description == NO_RELAY  # never "simulated relay" on a production kiosk
    relay.close()


def test_a_driver_that_cannot_load_is_a_relay_in_fault(qtbot: QtBot) -> None:
    def missing(_settings: RelaySettings) -> None:
        raise RelayFault("the USB-serial relay driver needs pyserial: pip install pyserial")

    relay = configured_relay(RelaySettings(driver="lcus", port="/dev/ttyUSB0"), opener=missing)
    try:
        qtbot.waitUntil(lambda: relay.state is GateState.FAULT, timeout=10_000)  # found at start, not at an ADMIT
        with qtbot.waitSignal(relay.fault) as fault:
            assert not relay.pulse(1)
        assert "pip install pyserial" in fault.args[0]
    finally:
        relay.close()
