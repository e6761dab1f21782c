"""A real LCUS driver on the pty board simulator, as the kiosk's gate relay (kiosk/workers/relay_board.py).

Nothing is faked between the adapter and the pseudo-terminal: pyserial writes the frames, the
simulator switches its contacts, and its faults (unplugged, stuck contact) reach the adapter the way a
real board's would. Waits are on conditions, never on durations.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from kiosk.relay.board import RelayFault, RelaySettings
from kiosk.relay.serial_board import LcusBoard
from kiosk.relay.simulator import LcusSimulator
from kiosk.workers.gate import FakeRelay, GateState
from kiosk.workers.relay_board import NO_RELAY, BoardRelay, Tower, configured_relay

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


def test_tower_lamps_show_one_colour(sim: LcusSimulator, qtbot: QtBot) -> None:
    relay = _relay(sim, towers=(2, 3, 4))
    try:
        relay.show_tower(Tower.GREEN)
        sim.wait_for(lambda s: s.contacts[2] and not s.contacts[3] and not s.contacts[4])
        relay.show_tower(Tower.RED)
        sim.wait_for(lambda s: s.contacts[4] and not s.contacts[2])
        relay.show_tower(None)
        sim.wait_for(lambda s: not any(s.contacts[c] for c in (2, 3, 4)))
    finally:
        relay.close()


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
