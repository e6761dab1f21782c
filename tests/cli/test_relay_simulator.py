"""`kiosk relay-simulator`, run as the program an IT person runs (the frozen bundle has no Python to run
`python -m kiosk.relay.simulator` with): faults typed on its standard input reach the port a driver has
open, and each is acknowledged in its log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import serial

from tests.cli.helpers import run_program
from tests.relay.output import ProgramOutput

ON_1 = bytes.fromhex("A00101A2")


class Simulator:
    """The program, its standard input to type on, its output line by line (read from the pipe itself, so
    that no line hides in a buffer)."""

    def __init__(self, tmp_path: Path, *options: str) -> None:
        env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
        self.link = tmp_path / "relay"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "relay-simulator", "--channels", "2", "--link", str(self.link), *options],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=tmp_path,
        )
        self.output = ProgramOutput(self.proc)

    def type(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def line_with(self, text: str) -> str:
        return self.output.line_with(text)

    def status_until(self, text: str) -> str:
        """Ask for the status until it holds `text` (the deadline only guards against a hang)."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self.type("status")
            line = self.line_with("status:")
            if text in line:
                return line
        raise AssertionError(f"the simulator's status never said {text!r}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


def test_faults_typed_on_standard_input(tmp_path: Path) -> None:
    sim = Simulator(tmp_path)
    try:
        assert sim.line_with("port = ").strip() == f'port = "{sim.link}"'
        sim.line_with("fault commands on standard input")
        with serial.Serial(str(sim.link), timeout=5, write_timeout=5) as port:
            port.write(ON_1)
            assert sim.line_with("channel").split()[1:] == ["channel", "1", "ON"]

            sim.type("mute")
            sim.line_with("mute: the board still switches")
            sim.type("stick 1")
            sim.line_with("stuck: channel 1 (ON) stays as it is")
            port.write(b"\xff" + bytes.fromhex("A00100A1"))  # a query while mute, then "channel 1 off"
            status = sim.status_until("2 frames, 1 status queries")  # the board has read both
            assert "contacts 1:ON 2:off; faults: MUTE, STUCK 1" in status
            sim.type("answer")
            sim.line_with("answer: the board answers")
            sim.type("unstick")
            sim.line_with("unstuck: channel 1 (ON), 2 (OFF) follows the commands again")
            port.write(b"\xff")  # the first query went unanswered; the contact stayed on
            assert port.read_until(b"CH2: OFF\r\n") == b"CH1: ON\r\nCH2: OFF\r\n"

            sim.type("jam")
            sim.line_with("jammed: the driver's writes time out")
            port.write_timeout = 0.1
            try:
                port.write(ON_1)
                raise AssertionError("the jammed link took a frame")
            except serial.SerialTimeoutException:
                pass
            sim.type("unjam")
            sim.line_with("unjammed")
            port.write_timeout = 5
            port.write(bytes.fromhex("A00100A1"))
            assert sim.line_with("channel").split()[1:] == ["channel", "1", "OFF"]

            sim.type("unplug")
            sim.line_with("unplugged:")
            assert not os.path.lexists(sim.link)
        sim.type("plug")
        sim.line_with("plugged in:")
        with serial.Serial(str(sim.link), timeout=5) as again:
            again.write(bytes.fromhex("A00201A3"))
            assert sim.line_with("channel").split()[1:] == ["channel", "2", "ON"]
        sim.type("quit")
        assert sim.proc.wait(timeout=60) == 0
        assert not os.path.lexists(sim.link)
    finally:
        sim.close()


def test_started_in_a_fault_and_stopped_by_a_signal(tmp_path: Path) -> None:
    sim = Simulator(tmp_path, "--unplugged", "--stuck", "2")
    try:
        sim.line_with("stuck: channel 2")
        sim.line_with("unplugged:")
        assert not os.path.lexists(sim.link)
        sim.type("plug")
        sim.line_with("plugged in:")
        assert os.path.islink(sim.link)
        sim.proc.send_signal(signal.SIGTERM)
        assert sim.proc.wait(timeout=60) == 0
        assert not os.path.lexists(sim.link)
    finally:
        sim.close()


def test_the_end_of_standard_input_leaves_it_running(tmp_path: Path) -> None:
    sim = Simulator(tmp_path)
    try:
        sim.line_with("port = ")
        assert sim.proc.stdin is not None
        sim.proc.stdin.close()
        sim.line_with("standard input ended")
        assert sim.proc.poll() is None
        with serial.Serial(str(sim.link), timeout=5) as port:
            port.write(ON_1)
            sim.line_with("channel 1 ON")
        sim.proc.send_signal(signal.SIGINT)
        assert sim.proc.wait(timeout=60) == 0
    finally:
        sim.close()


def test_a_bad_command_line_is_one_line(tmp_path: Path) -> None:
    done = run_program(tmp_path, "relay-simulator", "--channels", "2", "--stuck", "3")
    assert done.returncode == 1
    assert done.stderr.strip() == "kiosk: error: --stuck: the board has channels 1 to 2"
    done = run_program(tmp_path, "relay-simulator", "--jam", "0")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
