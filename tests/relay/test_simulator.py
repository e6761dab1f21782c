"""The simulated LCUS board (kiosk/relay/simulator.py), driven with raw pyserial as any program would.

These check that the simulator is the board the driver tests believe it is: frames, sums, the status
answer, the faults, its clean stop, and the command line the demo uses.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from kiosk.relay import simulator as simulator_module
from kiosk.relay.simulator import LcusSimulator, Switch
from tests.relay.output import ProgramOutput


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sim() -> Iterator[LcusSimulator]:
    with LcusSimulator(2) as simulator:
        yield simulator


@pytest.fixture
def port(sim: LcusSimulator) -> Iterator[serial.Serial]:
    with serial.Serial(sim.path, 9600, timeout=5) as link:  # the read timeout guards, never expires
        yield link


def test_the_path_is_a_link_to_a_terminal(sim: LcusSimulator) -> None:
    assert os.path.islink(sim.path)
    assert sim.slave_path is not None
    assert os.path.realpath(sim.path) == sim.slave_path
    fd = os.open(sim.path, os.O_RDWR | os.O_NOCTTY)
    try:
        assert os.isatty(fd)
    finally:
        os.close(fd)


def test_frames_switch_the_contacts_and_are_logged_with_the_clock() -> None:
    clock = FakeClock()
    seen: list[Switch] = []
    with LcusSimulator(2, clock=clock, on_switch=seen.append) as sim, serial.Serial(sim.path, timeout=5) as port:
        port.write(bytes.fromhex("A00101A2"))
        sim.wait_for(lambda s: s.contacts[1])
        clock.now = 103.5
        port.write(bytes.fromhex("A00101A2 A00100A1"))  # on again (no switch), then off
        sim.wait_for(lambda s: not s.contacts[1])
        assert sim.switches == [Switch(100.0, 1, True), Switch(103.5, 1, False)]
        assert seen == sim.switches
        assert len(sim.frames) == 3


def test_bad_sums_and_noise_are_ignored_like_the_board(sim: LcusSimulator, port: serial.Serial) -> None:
    port.write(bytes.fromhex("A00101A3"))  # wrong sum
    port.write(bytes.fromhex("A00901AA"))  # no channel 9 on a 2-channel board
    port.write(bytes.fromhex("A00102A3"))  # state 2
    port.write(b"hello")
    port.write(bytes.fromhex("A00201A3"))  # and then a good one
    sim.wait_for(lambda s: s.contacts[2])
    assert sim.contacts == {1: False, 2: True}
    assert sim.frames == [bytes.fromhex("A00201A3")]
    assert sim.ignored == 4 * 3 + 5


def test_a_frame_split_across_writes(sim: LcusSimulator, port: serial.Serial) -> None:
    port.write(b"\xa0\x01")
    port.flush()
    sim.wait_for(lambda s: s.connected)
    port.write(b"\x01\xa2")
    sim.wait_for(lambda s: s.contacts[1])


def test_the_status_query(sim: LcusSimulator, port: serial.Serial) -> None:
    port.write(bytes.fromhex("A00201A3 FF"))
    assert port.read_until(b"CH2: ON\r\n") == b"CH1: OFF\r\nCH2: ON\r\n"
    assert sim.queries == 1


def test_a_mute_board_still_switches(sim: LcusSimulator, port: serial.Serial) -> None:
    sim.stop_answering()
    port.write(bytes.fromhex("FF A00101A2"))
    sim.wait_for(lambda s: s.contacts[1] and s.queries == 1)
    assert port.in_waiting == 0  # the answer would have been written before the frame was read
    sim.stop_answering(False)
    port.write(b"\xff")
    assert port.read_until(b"CH2: OFF\r\n") == b"CH1: ON\r\nCH2: OFF\r\n"


def test_a_stuck_contact_stays_and_the_status_shows_it(sim: LcusSimulator, port: serial.Serial) -> None:
    sim.stick(1)
    port.write(bytes.fromhex("A00101A2 FF"))
    assert port.read_until(b"CH2: OFF\r\n") == b"CH1: OFF\r\nCH2: OFF\r\n"
    assert len(sim.frames) == 1 and not sim.switches
    sim.stick(1, False)
    port.write(bytes.fromhex("A00101A2"))
    sim.wait_for(lambda s: s.contacts[1])


def test_unplug_and_replug(sim: LcusSimulator) -> None:
    port = serial.Serial(sim.path, timeout=5)
    port.write(bytes.fromhex("A00101A2"))
    sim.wait_for(lambda s: s.contacts[1])
    sim.unplug()
    assert not os.path.lexists(sim.path)
    assert sim.slave_path is None
    assert sim.contacts == {1: False, 2: False}
    with pytest.raises(serial.SerialException, match="Input/output error"):
        port.write(b"\xff")
    port.close()
    with pytest.raises(serial.SerialException, match="No such file or directory"):
        serial.Serial(sim.path)
    sim.replug()
    with serial.Serial(sim.path, timeout=5) as again:
        again.write(b"\xff")
        assert again.read_until(b"CH2: OFF\r\n") == b"CH1: OFF\r\nCH2: OFF\r\n"


def test_fail_writes_jams_until_the_port_was_given_up(sim: LcusSimulator) -> None:
    port = serial.Serial(sim.path, timeout=5, write_timeout=0.1)
    sim.wait_for(lambda s: s.connected)
    sim.fail_writes(1)
    assert sim.jam_left == 1
    with pytest.raises(serial.SerialTimeoutException):
        port.write(bytes.fromhex("A00101A2"))
    port.close()
    sim.wait_for(lambda s: s.jam_left == 0)
    with serial.Serial(sim.path, timeout=5) as again:
        again.write(bytes.fromhex("A00101A2"))
        sim.wait_for(lambda s: s.contacts[1])
    assert sim.ignored == 0  # the filler was thrown away, not parsed


def test_a_jam_stays_jammed(sim: LcusSimulator) -> None:
    """The kernel moves bytes on when its worker gets round to it: the jam must hold after that too."""
    port = serial.Serial(sim.path, timeout=5, write_timeout=0.1)
    sim.wait_for(lambda s: s.connected)
    sim.fail_writes(1)
    assert simulator_module._unread(_master(sim)) >= simulator_module._LDISC_FULL  # nothing moves on any more
    with pytest.raises(serial.SerialTimeoutException):
        port.write(b"\xff")
    port.close()
    sim.wait_for(lambda s: s.jam_left == 0)


def test_the_driver_giving_up_counts_even_if_the_thread_never_saw_the_port_open(sim: LcusSimulator) -> None:
    port = serial.Serial(sim.path, timeout=5, write_timeout=0.1)
    sim.wait_for(lambda s: s.connected)
    sim.fail_writes(2)
    port.close()
    sim.wait_for(lambda s: s.jam_left == 1)
    inside, go_on = threading.Event(), threading.Event()

    def busy() -> None:  # keeps the thread from looking at the port
        inside.set()
        go_on.wait()

    holder = threading.Thread(target=sim._call, args=(busy,))
    holder.start()
    try:
        assert inside.wait(10)
        again = serial.Serial(sim.path, timeout=5, write_timeout=0.1)  # opened and closed unseen
        again.close()
    finally:
        go_on.set()
        holder.join()
    sim.wait_for(lambda s: s.jam_left == 0)


def test_a_jam_that_cannot_hold_is_an_error_not_a_hang(sim: LcusSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(simulator_module, "_unread", lambda master: 0)  # as if the kernel kept taking bytes
    monkeypatch.setattr(simulator_module, "_JAM_GIVE_UP_S", 0.05)
    with pytest.raises(RuntimeError, match="could not jam the simulated link"):
        sim.fail_writes(1)
    assert sim.jam_left == 0
    sim.stop_answering()  # the thread still works
    sim.unplug()
    assert sim.slave_path is None


def test_stop_does_not_hang_on_a_stuck_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def stuck_fill(fd: int) -> int:
        release.wait()
        return 0

    monkeypatch.setattr(simulator_module, "_fill", stuck_fill)
    monkeypatch.setattr(simulator_module, "_unread", lambda master: simulator_module._LDISC_FULL)
    monkeypatch.setattr(simulator_module, "_GIVE_UP_S", 0.1)
    sim = LcusSimulator(1).start()
    [thread] = [t for t in threading.enumerate() if t.name == "lcus-simulator"]
    try:
        with pytest.raises(TimeoutError, match="did not respond"):
            sim.fail_writes(1)
        with pytest.raises(TimeoutError, match="did not stop"):
            sim.stop()
    finally:
        release.set()
        thread.join()


def _master(sim: LcusSimulator) -> int:
    assert sim._master is not None
    return sim._master


def test_wait_for_gives_up(sim: LcusSimulator) -> None:
    with pytest.raises(TimeoutError, match="never got there"):
        sim.wait_for(lambda s: s.contacts[1], timeout=0)


def test_stop_joins_the_thread_and_cleans_up() -> None:
    sim = LcusSimulator(1).start()
    path = Path(sim.path)
    assert any(t.name == "lcus-simulator" for t in threading.enumerate())
    sim.stop()
    assert not any(t.name == "lcus-simulator" for t in threading.enumerate())
    assert not path.parent.exists()
    sim.stop()  # twice is fine


def test_a_link_of_ones_own(tmp_path: Path) -> None:
    link = tmp_path / "ttyUSB-relay"
    with LcusSimulator(1, link=link) as sim:
        assert sim.path == str(link) and link.is_symlink()
        sim.unplug()
        sim.replug()
        assert link.is_symlink()
    assert not link.exists()
    assert tmp_path.exists()  # only a directory it made itself is removed


def test_the_command_line(tmp_path: Path) -> None:
    link = tmp_path / "relay"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk.relay.simulator", "--channels", "2", "--link", str(link)],
        stdout=subprocess.PIPE,
    )
    output = ProgramOutput(proc, patience_s=30.0)
    try:
        assert output.line_with("port = ").strip() == f'port = "{link}"'
        output.line_with("Ctrl-C stops")
        with serial.Serial(str(link), timeout=5) as port:
            port.write(bytes.fromhex("A00201A3"))
            assert output.line_with("channel").split()[1:] == ["channel", "2", "ON"]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert not link.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
