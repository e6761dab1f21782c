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


class _Clock:
    """The relay's clock, moved by hand: the lamps' quiet period without waiting for it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _Recording(LcusBoard):
    """The LCUS driver, noting every switch it was asked for and whether it failed (in the thread's order)."""

    def __init__(self, path: str) -> None:
        super().__init__(path, confirm=True)
        self.calls: list[tuple[int, bool, bool]] = []  # (channel, on, worked)

    def set(self, channel: int, on: bool) -> None:
        try:
            super().set(channel, on)
        except RelayFault:
            self.calls.append((channel, on, False))
            raise
        self.calls.append((channel, on, True))


def _short_board(sim: LcusSimulator, clock: _Clock) -> tuple[BoardRelay, _Recording]:
    """A 2-channel board with lamps configured on 2, 3 and 4 (3 and 4 it does not have), confirm = true."""
    board = _Recording(sim.path)
    settings = RelaySettings(
        driver="lcus",
        port=sim.path,
        channel=1,
        hold_ms=HOLD_MS,
        confirm=True,
        tower_green=2,
        tower_amber=3,
        tower_red=4,
    )
    return BoardRelay(board, settings, probe_ms=50, clock=clock), board


def test_a_lamp_the_board_lacks_darkens_no_other_and_never_delays_the_door(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    clock = _Clock()
    caplog.set_level("INFO", logger="kiosk.workers.relay_board")
    with LcusSimulator(2) as sim:
        relay, board = _short_board(sim, clock)
        faults: list[str] = []
        relay.fault.connect(faults.append)
        try:
            relay.show_tower(Tower.GREEN)  # as on an ADMIT: the colour, then the pulse
            assert relay.pulse(1)
            qtbot.waitUntil(lambda: sim.contacts[2], timeout=10_000)  # though amber and red cannot be switched
            qtbot.waitUntil(lambda: (3, False, False) in board.calls and (4, False, False) in board.calls)
            assert board.calls.index((1, True, True)) < board.calls.index((3, False, False))  # the door first
            qtbot.waitUntil(lambda: relay.state is GateState.CLOSED, timeout=10_000)
            sim.wait_for(lambda s: not s.contacts[1])
            tried = len(board.calls)
            for colour in (None, Tower.RED, None, Tower.AMBER, None, Tower.GREEN):  # screen changes, with ADMITs
                with qtbot.waitSignal(relay.closed, timeout=10_000):
                    relay.show_tower(colour)
                    assert relay.pulse(1)
                    sim.wait_for(lambda s: s.contacts[1])
                sim.wait_for(lambda s: not s.contacts[1])
            qtbot.waitUntil(lambda: sim.contacts[2])
            qtbot.waitUntil(lambda: [c[:2] for c in board.calls[tried:]].count((1, False)) == 6)  # noted after
            later = board.calls[tried:]
            assert [c for c in later if c[0] in (3, 4)] == []  # left alone within the quiet period
            assert all(worked for _, _, worked in later)  # so the thread never stood in a failing write
            assert [c[:2] for c in later if c[0] == 1] == [(1, True), (1, False)] * 6
            door = [(s.channel, s.on) for s in sim.switches if s.channel == 1]
            assert door[-12:] == [(1, True), (1, False)] * 6  # the simulator's log: each admission opened and shut

            clock.now += 61  # the quiet period is over: tried again (once), and still not logged again
            relay.show_tower(Tower.RED)
            qtbot.waitUntil(lambda: board.calls.count((4, True, False)) == 1, timeout=10_000)
            qtbot.waitUntil(lambda: not sim.contacts[2], timeout=10_000)  # green out, though red cannot light
        finally:
            relay.close()
    assert faults == [] and relay.fault_message is None
    warnings = [r.getMessage() for r in caplog.records if "tower light: channel 3 not switched" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert sum("tower light: channel 4 not switched" in r.getMessage() for r in caplog.records) == 1


def test_a_lamp_that_works_again_is_said_once(
    sim: LcusSimulator, qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    clock = _Clock()
    caplog.set_level("INFO", logger="kiosk.workers.relay_board")
    relay, board = _short_board(sim, clock)
    try:
        sim.stick(3)  # amber's contact stays off: switching it on fails its read-back
        relay.show_tower(Tower.AMBER)
        qtbot.waitUntil(lambda: (3, True, False) in board.calls, timeout=10_000)
        sim.stick(3, False)
        clock.now += 61  # the quiet period is over
        relay.show_tower(Tower.RED)
        qtbot.waitUntil(lambda: sim.contacts[4], timeout=10_000)
        relay.show_tower(Tower.AMBER)
        qtbot.waitUntil(lambda: sim.contacts[3] and not sim.contacts[4], timeout=10_000)
    finally:
        relay.close()
    messages = [r.getMessage() for r in caplog.records if "tower light: channel 3" in r.getMessage()]
    assert len(messages) == 2 and "not switched" in messages[0] and "switches again" in messages[1], messages
    assert [r.levelname for r in caplog.records if "tower light: channel 3" in r.getMessage()] == ["WARNING", "INFO"]
