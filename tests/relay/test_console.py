"""The relay simulator's fault commands (kiosk/relay/console.py), typed as an IT person would, with a
driver's view through raw pyserial: each command does to the port what its acknowledgement says."""

from __future__ import annotations

import argparse
import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from kiosk.relay import console
from kiosk.relay.simulator import LcusSimulator

ON_1 = bytes.fromhex("A00101A2")


class Said(io.StringIO):
    """The log, with a way to wait for a line (the simulator's thread writes too)."""

    def __init__(self) -> None:
        super().__init__()
        self.grew = threading.Condition()

    def write(self, text: str) -> int:
        with self.grew:
            written = super().write(text)
            self.grew.notify_all()
        return written

    def wait_for(self, text: str) -> None:
        with self.grew:
            assert self.grew.wait_for(lambda: text in self.getvalue(), timeout=30), self.getvalue()

    def lines(self) -> list[str]:
        return self.getvalue().splitlines()


@pytest.fixture
def sim() -> Iterator[LcusSimulator]:
    with LcusSimulator(2) as simulator:
        yield simulator


@pytest.fixture
def said() -> Said:
    return Said()


@pytest.fixture
def typed(sim: LcusSimulator, said: Said) -> console.Console:
    return console.Console(sim, console.Log(said))


def test_unplug_and_plug(sim: LcusSimulator, said: Said, typed: console.Console) -> None:
    typed.handle("unplug")
    assert not os.path.lexists(sim.path)
    assert "unplugged:" in said.lines()[-1]
    typed.handle("unplug")
    assert said.lines()[-1].endswith("unplug: already unplugged")
    typed.handle("plug")
    assert os.path.islink(sim.path) and sim.slave_path is not None
    assert f"plugged in: {sim.path} -> {sim.slave_path}" in said.lines()[-1]
    with serial.Serial(sim.path, timeout=5) as port:
        port.write(ON_1)
        sim.wait_for(lambda s: s.contacts[1])
    typed.handle("replug")  # an alias
    assert said.lines()[-1].endswith("plug: already plugged in")


def test_mute_and_answer(sim: LcusSimulator, said: Said, typed: console.Console) -> None:
    with serial.Serial(sim.path, timeout=5) as port:
        typed.handle("mute")
        assert not sim.answering
        assert "no longer answers the status query" in said.lines()[-1]
        port.write(b"\xff" + ON_1)  # a query while mute, then a switch
        sim.wait_for(lambda s: s.contacts[1])
        typed.handle("answer")
        assert sim.answering
        port.write(b"\xff")
        # had the first query been answered, its answer (CH1 still OFF) would come first
        assert port.read_until(b"CH2: OFF\r\n") == b"CH1: ON\r\nCH2: OFF\r\n"


def test_jam_and_unjam(sim: LcusSimulator, said: Said, typed: console.Console) -> None:
    with serial.Serial(sim.path, timeout=5, write_timeout=0.1) as port:
        sim.wait_for(lambda s: s.connected)
        typed.handle("jam 3")
        assert sim.jam_left == 3
        assert "gave up on the port 3 time(s)" in said.lines()[-1]
        with pytest.raises(serial.SerialTimeoutException):
            port.write(ON_1)
        typed.handle("unjam")
        assert sim.jam_left == 0
        assert "unjammed" in said.lines()[-1]
        port.write_timeout = 5  # only guards against a hang
        port.write(ON_1)
        sim.wait_for(lambda s: s.contacts[1])
    assert sim.ignored == 0  # what jammed the link was thrown away, not read as frames
    typed.handle("unjam")
    assert said.lines()[-1].endswith("unjam: the link is not jammed")


def test_stick_and_unstick(sim: LcusSimulator, said: Said, typed: console.Console) -> None:
    with serial.Serial(sim.path, timeout=5) as port:
        typed.handle("stick 1")
        assert sim.stuck == {1}
        assert "stuck: channel 1 (OFF) stays as it is" in said.lines()[-1]
        port.write(ON_1)
        sim.wait_for(lambda s: len(s.frames) == 1)
        assert sim.contacts[1] is False  # the board took the frame and said nothing
        typed.handle("unstick")
        assert sim.stuck == set()
        port.write(ON_1)
        sim.wait_for(lambda s: s.contacts[1])
    typed.handle("stick")
    assert sim.stuck == {1, 2}


def test_status_says_what_is_in_effect(sim: LcusSimulator, said: Said, typed: console.Console) -> None:
    typed.handle("status")
    assert "faults: none" in said.lines()[-1]
    for line in ("mute", "stick 2", "jam 2", "STATUS"):
        typed.handle(line)
    status = said.lines()[-1]
    assert f"plugged in ({sim.path} -> {sim.slave_path})" in status
    assert "faults: MUTE, JAMMED x2, STUCK 2" in status
    typed.handle("unplug")
    typed.handle("status")
    assert "UNPLUGGED" in said.lines()[-1]


def test_mistakes_are_answered_and_change_nothing(sim: LcusSimulator, said: Said, typed: console.Console) -> None:
    for line, answer in [
        ("bogus", "unknown command 'bogus': type help"),
        ("stick 9", "stick: the board has channels 1 to 2, not 9"),
        ("jam x", "jam: expected one whole number of 1 or more, not 'x'"),
        ("jam 0", "jam: expected one whole number of 1 or more, not '0'"),
    ]:
        assert typed.handle(line) is True
        assert said.lines()[-1].endswith(answer)
    assert typed.handle("   ") is True
    typed.handle("unplug")
    typed.handle("jam")
    assert said.lines()[-1].endswith("jam: unplugged: nothing to jam (plug it in first)")
    assert sim.stuck == set() and sim.answering and sim.jam_left == 0


def test_help_lists_every_command(said: Said, typed: console.Console) -> None:
    typed.handle("help")
    listed = [line.split()[0] for line in said.lines()]
    assert listed == [name.split()[0] for name, _ in console.COMMANDS]
    assert typed.handle("quit") is False


def test_the_reader_takes_lines_until_quit(sim: LcusSimulator, said: Said, typed: console.Console) -> None:
    read, write = os.pipe()
    stop = threading.Event()
    reader = console.CommandReader(read, typed, stop).start()
    try:
        os.write(write, b"mute\nstick")
        said.wait_for("no longer answers")
        assert sim.stuck == set()  # half a line waits for its end
        os.write(write, b" 2\nquit\n")
        assert stop.wait(30)
        assert sim.stuck == {2}
    finally:
        reader.stop()
        os.close(read)
        os.close(write)


def test_the_reader_at_the_end_of_its_input_leaves_the_simulator_running(said: Said, typed: console.Console) -> None:
    read, write = os.pipe()
    os.write(write, b"mute\nunplug")  # the last line has no newline
    os.close(write)
    stop = threading.Event()
    reader = console.CommandReader(read, typed, stop).start()
    try:
        said.wait_for("standard input ended")
        assert not stop.is_set()
        assert "unplugged:" in said.getvalue()
    finally:
        reader.stop()
        os.close(read)


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    console.add_arguments(parser)
    return parser.parse_args(argv)


def test_run_starts_in_the_faults_asked_for_and_quits_on_command(tmp_path: Path) -> None:
    said = Said()
    read, write = os.pipe()
    seen: dict[str, object] = {}

    def look_then_quit() -> None:
        said.wait_for("unplugged:")
        seen["link"] = os.path.lexists(tmp_path / "relay")
        os.write(write, b"status\nquit\n")

    looker = threading.Thread(target=look_then_quit)
    looker.start()
    try:
        args = _args("--channels", "2", "--link", str(tmp_path / "relay"), "--mute", "--stuck", "1", "--unplugged")
        assert console.run(args, stdin=read, out=said) == 0
    finally:
        looker.join()
        os.close(read)
        os.close(write)
    text = said.getvalue()
    assert 'port = "' + str(tmp_path / "relay") + '"' in text
    assert seen["link"] is False
    assert "faults: MUTE, STUCK 1" in text
    assert "quit: stopping" in text
    assert not os.path.lexists(tmp_path / "relay")


def test_the_program_refuses_a_stuck_channel_the_board_lacks(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        console.main(["--channels", "2", "--stuck", "3"])
    assert "--stuck: the board has channels 1 to 2" in capsys.readouterr().err
