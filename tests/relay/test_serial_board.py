"""The serial relay drivers (kiosk/relay/serial_board.py) against the simulated LCUS board on a pseudo-terminal.

The driver opens the simulator's path with pyserial exactly as it opens /dev/ttyUSB0; every fault is the
simulator's (an unplugged, mute, jammed or stuck board). Nothing here measures time: the tests wait for
the simulator to reach a state, with a generous deadline only so that a broken driver fails, not hangs.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Iterator
from typing import ClassVar

import pytest
import serial

from kiosk.relay.board import RelayFault
from kiosk.relay.serial_board import CommandBoard, LcusBoard, lcus_frame, parse_status
from kiosk.relay.simulator import LcusSimulator

TIMEOUT = 0.2  # the driver's write and answer timeout: short, so that the fault tests do not dawdle


@pytest.fixture
def sim() -> Iterator[LcusSimulator]:
    with LcusSimulator(4) as simulator:
        yield simulator


@pytest.fixture
def board(sim: LcusSimulator) -> Iterator[LcusBoard]:
    board = LcusBoard(sim.path, timeout=TIMEOUT)
    yield board
    board.close()


@pytest.fixture
def confirming(sim: LcusSimulator) -> Iterator[LcusBoard]:
    board = LcusBoard(sim.path, timeout=TIMEOUT, confirm=True)
    yield board
    board.close()


@pytest.mark.parametrize(
    ("channel", "on", "frame"),
    [
        (1, True, "A0 01 01 A2"),
        (1, False, "A0 01 00 A1"),
        (2, True, "A0 02 01 A3"),
        (4, False, "A0 04 00 A4"),
        (8, True, "A0 08 01 A9"),
    ],
)
def test_lcus_frames(channel: int, on: bool, frame: str) -> None:
    assert lcus_frame(channel, on) == bytes.fromhex(frame)


@pytest.mark.parametrize("channel", [0, 9])
def test_lcus_boards_have_eight_channels_at_most(channel: int) -> None:
    with pytest.raises(ValueError, match=f"an LCUS board has channels 1 to 8, not {channel}"):
        lcus_frame(channel, True)


def test_parse_status() -> None:
    assert parse_status(b"CH1: ON\r\nCH2: OFF\r\nch3:on\nCH4: O") == {1: True, 2: False, 3: True}
    assert parse_status(b"") == {}


def test_switching_sends_the_frames_and_the_board_follows(sim: LcusSimulator, board: LcusBoard) -> None:
    opened_before = board.is_open
    board.set(1, True)
    assert (opened_before, board.is_open) == (False, True)  # opened by the first switch, not before
    sim.wait_for(lambda s: s.contacts[1])
    board.set(1, False)
    sim.wait_for(lambda s: not s.contacts[1])
    assert sim.frames == [bytes.fromhex("A00101A2"), bytes.fromhex("A00100A1")]
    assert [(s.channel, s.on) for s in sim.switches] == [(1, True), (1, False)]
    assert sim.ignored == 0


def test_every_channel_has_its_checksum(sim: LcusSimulator, board: LcusBoard) -> None:
    for channel in range(1, 5):
        board.set(channel, True)
    sim.wait_for(lambda s: all(s.contacts.values()))
    assert sim.frames == [lcus_frame(channel, True) for channel in range(1, 5)]
    assert sim.ignored == 0  # the board accepted every sum


def test_confirm_reads_the_contacts_back(sim: LcusSimulator, confirming: LcusBoard) -> None:
    confirming.set(2, True)
    assert sim.contacts[2]  # no waiting: set() returned after the board reported the contact on
    assert sim.queries == 1
    confirming.set(2, False)
    assert not sim.contacts[2]


def test_closing_switches_off_what_is_on_and_releases_the_port(sim: LcusSimulator) -> None:
    board = LcusBoard(sim.path, timeout=TIMEOUT, confirm=True)
    board.set(1, True)
    board.set(3, True)
    board.set(3, False)
    board.close()
    assert sim.contacts == {1: False, 2: False, 3: False, 4: False}
    assert not board.is_open
    sim.wait_for(lambda s: not s.connected)


def test_a_board_that_is_not_plugged_in(sim: LcusSimulator) -> None:
    sim.unplug()
    board = LcusBoard(sim.path, timeout=TIMEOUT)
    with pytest.raises(RelayFault) as caught:
        board.set(1, True)
    assert str(caught.value) == f"the relay board is not connected: there is no serial port {sim.path}"
    assert not board.is_open
    sim.replug()
    board.set(1, True)  # plugged in later: the next switch finds it
    sim.wait_for(lambda s: s.contacts[1])
    board.close()


def test_unplugged_while_open_then_replugged(sim: LcusSimulator, board: LcusBoard) -> None:
    board.set(1, True)
    sim.wait_for(lambda s: s.contacts[1])
    sim.unplug()
    assert sim.contacts[1] is False  # no power, no contact
    with pytest.raises(RelayFault) as caught:
        board.set(1, False)  # the open port now fails with EIO, like a vanished /dev/ttyUSB0
    assert str(caught.value) == (
        f"the LCUS USB relay board at {sim.path} was disconnected (input/output error); plug it back in"
    )
    assert not board.is_open  # closed: the next switch opens the port again
    with pytest.raises(RelayFault, match="the relay board is not connected: there is no serial port"):
        board.set(1, True)
    sim.replug()
    board.set(1, True)
    sim.wait_for(lambda s: s.contacts[1])


def test_a_mute_board_with_confirm(sim: LcusSimulator, confirming: LcusBoard) -> None:
    confirming.set(1, True)
    sim.stop_answering()
    with pytest.raises(RelayFault) as caught:
        confirming.set(1, False)
    assert str(caught.value) == f"no answer from the relay board at {sim.path}"
    assert not confirming.is_open
    sim.stop_answering(False)
    confirming.set(1, False)
    assert sim.contacts[1] is False


def test_the_answer_deadline_is_on_the_injected_clock(sim: LcusSimulator) -> None:
    readings = itertools.count(0.0, 10.0)  # ten seconds pass between two looks at the clock
    board = LcusBoard(sim.path, timeout=5.0, confirm=True, clock=lambda: next(readings))
    sim.stop_answering()
    try:
        with pytest.raises(RelayFault) as caught:
            board.set(1, True)  # without waiting the 5 s
        assert str(caught.value) == f"no answer from the relay board at {sim.path}"
    finally:
        board.close()


def test_a_clock_that_stands_still_does_not_hang_the_answer(sim: LcusSimulator) -> None:
    """The injected clock only shortens the wait: the board's timeout on the real clock still ends it."""
    board = LcusBoard(sim.path, timeout=TIMEOUT, confirm=True, clock=lambda: 0.0)
    sim.stop_answering()
    try:
        with pytest.raises(RelayFault) as caught:
            board.set(1, True)
        assert str(caught.value) == f"no answer from the relay board at {sim.path}"
        assert not board.is_open
    finally:
        board.close()  # the same again for channel 1, logged


class _PortThatNeverSends:
    """A pyserial port whose bytes never leave (a stalled USB adapter): flush() would block for ever."""

    instances: ClassVar[list[_PortThatNeverSends]] = []

    def __init__(self, port: str, baud: int, **settings: object) -> None:
        self.write_timeout = settings.get("write_timeout")
        self.out_waiting = 0
        self.discarded = self.closed = False
        self.instances.append(self)

    def write(self, data: bytes) -> int:
        self.out_waiting += len(data)
        return len(data)

    def flush(self) -> None:
        threading.Event().wait()  # tcdrain() on a port that does not drain: no timeout at all

    def reset_output_buffer(self) -> None:
        self.out_waiting = 0
        self.discarded = True

    def close(self) -> None:
        self.closed = True


def test_a_port_whose_bytes_never_leave_is_a_fault_not_a_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serial, "Serial", _PortThatNeverSends)
    monkeypatch.setattr(_PortThatNeverSends, "instances", [])
    board = LcusBoard("/dev/ttyUSB-stalled", timeout=TIMEOUT)
    with pytest.raises(RelayFault) as caught:
        board.set(1, True)
    assert str(caught.value) == (
        "the LCUS USB relay board at /dev/ttyUSB-stalled did not take the command in time (write timeout)"
    )
    [port] = _PortThatNeverSends.instances
    assert (port.discarded, port.closed) == (True, True)  # thrown away first, so that closing does not wait either
    assert not board.is_open
    board.close()


def test_closing_a_jammed_board_takes_one_timeout_for_all_channels(
    sim: LcusSimulator, board: LcusBoard, caplog: pytest.LogCaptureFixture
) -> None:
    board.set(1, True)
    board.set(2, True)
    sim.wait_for(lambda s: s.contacts[1] and s.contacts[2])
    sim.fail_writes(1)
    with caplog.at_level(logging.WARNING, logger="kiosk.relay.serial_board"):
        board.close()
    assert not board.is_open
    assert [r.getMessage() for r in caplog.records] == [
        "could not switch off channel 1 at exit: "
        f"the LCUS USB relay board at {sim.path} did not take the command in time (write timeout)",
        f"could not switch off channel 2 at exit: the LCUS USB relay board at {sim.path} took all its time",
    ]
    sim.wait_for(_jam_left_is(0))


def test_a_mute_board_without_confirm_is_not_noticed(sim: LcusSimulator, board: LcusBoard) -> None:
    sim.stop_answering()
    board.set(1, True)  # an LCUS-1 never answers: without confirm nothing is asked
    sim.wait_for(lambda s: s.contacts[1])
    assert sim.queries == 0


@pytest.mark.parametrize("count", [1, 2])
def test_writes_that_time_out(sim: LcusSimulator, board: LcusBoard, count: int) -> None:
    board.set(1, True)
    sim.wait_for(lambda s: s.contacts[1])
    sim.fail_writes(count)
    for left in range(count, 0, -1):
        with pytest.raises(RelayFault) as caught:
            board.set(1, False)
        assert str(caught.value) == (
            f"the LCUS USB relay board at {sim.path} did not take the command in time (write timeout)"
        )
        assert not board.is_open
        sim.wait_for(_jam_left_is(left - 1))  # it saw the driver give up on the port
    board.set(1, False)  # the link works again
    sim.wait_for(lambda s: not s.contacts[1])
    assert sim.frames == [lcus_frame(1, True), lcus_frame(1, False)]  # nothing of the jam got through


def _jam_left_is(count: int) -> Callable[[LcusSimulator], bool]:
    return lambda s: s.jam_left == count


def test_a_stuck_contact_with_confirm(sim: LcusSimulator, confirming: LcusBoard) -> None:
    confirming.set(2, True)
    sim.stick(2)
    with pytest.raises(RelayFault) as caught:
        confirming.set(2, False)
    assert str(caught.value) == (
        f"relay contact stuck: channel 2 stays on when switched off (LCUS USB relay board at {sim.path})"
    )
    sim.stick(2, False)
    confirming.set(2, False)
    assert sim.contacts[2] is False


def test_a_stuck_contact_without_confirm_is_not_noticed(sim: LcusSimulator, board: LcusBoard) -> None:
    sim.stick(1)
    board.set(1, True)  # the board says nothing either way: only a read-back could tell
    sim.wait_for(lambda s: len(s.frames) == 1)
    assert sim.contacts[1] is False


def test_a_second_program_on_the_port(sim: LcusSimulator, board: LcusBoard) -> None:
    board.set(1, True)
    other = LcusBoard(sim.path, timeout=TIMEOUT)
    with pytest.raises(RelayFault) as caught:
        other.set(2, True)
    assert str(caught.value) == f"the relay board's port {sim.path} is in use by another program"
    other.close()


def test_closing_an_unplugged_board_does_not_raise(sim: LcusSimulator) -> None:
    board = LcusBoard(sim.path, timeout=TIMEOUT)
    board.set(1, True)
    sim.unplug()
    board.close()  # logs that it could not switch channel 1 off; the board has no power anyway
    assert not board.is_open


def test_command_board_with_templates(sim: LcusSimulator) -> None:
    board = CommandBoard(sim.path, "A0 {ch} 01 {sum}", "A0 {ch} 00 {sum}", timeout=TIMEOUT)
    try:
        board.set(3, True)
        sim.wait_for(lambda s: s.contacts[3])
        board.set(3, False)
        sim.wait_for(lambda s: not s.contacts[3])
        assert sim.frames == [bytes.fromhex("A00301A4"), bytes.fromhex("A00300A3")]
    finally:
        board.close()


def test_command_board_with_fixed_bytes(sim: LcusSimulator) -> None:
    board = CommandBoard(sim.path, "a0 01 01 a2", "A0 01 00 00", timeout=TIMEOUT)  # the off has a wrong sum
    try:
        board.set(1, True)
        sim.wait_for(lambda s: s.contacts[1])
        board.set(1, False)
        sim.wait_for(lambda s: s.ignored == 4)  # the board drops the bad frame byte by byte, and says nothing
        assert sim.contacts[1] is True
    finally:
        board.close()


def test_command_board_faults_like_the_lcus_board(sim: LcusSimulator) -> None:
    board = CommandBoard(sim.path, "A0 {ch} 01 {sum}", "A0 {ch} 00 {sum}", timeout=TIMEOUT)
    sim.unplug()
    with pytest.raises(RelayFault, match="the relay board is not connected: there is no serial port"):
        board.set(1, True)
    sim.replug()
    board.set(1, True)
    sim.wait_for(lambda s: s.contacts[1])
    board.close()


def test_command_board_refuses_a_bad_template_at_once() -> None:
    with pytest.raises(ValueError, match="which is not a hex byte"):
        CommandBoard("COM3", "A0 {ch} 01 {checksum}", "A0 {ch} 00 {sum}")
