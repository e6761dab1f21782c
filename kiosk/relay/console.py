"""The relay simulator as a program an IT person drives: `kiosk relay-simulator` (the frozen bundle too)
and `python -m kiosk.relay.simulator`.

It prints the `[relay]` section for kiosk.toml, logs every switch of the contacts, and takes the faults
of a real board as commands typed on its standard input, one a line, each acknowledged in the same log:

    unplug / plug         the board is pulled out (the port disappears, contacts drop) / put back
    mute / answer         it stops / starts answering the status query
    jam [N] / unjam       the link jams (writes time out until the driver gave up N times) / clears
    stick [CH] / unstick [CH]   a contact stays as it is, whatever is commanded (default: every channel)
    status, help, quit

Options start it in a fault (--unplugged, --mute, --jam N, --stuck CH). Standard input at its end (a
service, `</dev/null`) only ends the commands: the simulator runs until Ctrl-C or SIGTERM. The log's
lines start with the simulator's clock (monotonic seconds), as the switches do; only switches read
`<time>  channel <n> ON|OFF` (tests/bench/kill_soak.py matches them).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # the simulator needs a pseudo-terminal (POSIX): imported only when it runs
    from kiosk.relay.simulator import LcusSimulator, Switch

#: The commands and what each does, as `help` lists them.
COMMANDS = (
    ("unplug", "pull the board out: the port disappears, the contacts drop"),
    ("plug", "plug it back in: a new terminal behind the same port, contacts off, answering"),
    ("mute", "the board still switches but no longer answers the status query"),
    ("answer", "the board answers the status query again"),
    ("jam [N]", "jam the link: the driver's writes time out until it gave up on the port N times (1)"),
    ("unjam", "the jammed link clears at once"),
    ("stick [CH]", "the contact of channel CH (default: every channel) stays as it is, silently"),
    ("unstick [CH]", "channel CH (default: every channel) follows the commands again"),
    ("status", "the port, the contacts and the faults in effect"),
    ("help", "this list"),
    ("quit", "stop the simulator (as Ctrl-C does)"),
)
_ALIASES = {"replug": "plug", "unmute": "answer", "?": "help", "exit": "quit", "stop": "quit"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The simulator's options (shared by both ways to start it)."""
    parser.add_argument(
        "--channels", type=int, default=8, choices=range(1, 9), metavar="1-8", help="the board's relays (default 8)"
    )
    parser.add_argument("--link", help="the port's path to create (default: a new temporary directory)")
    faults = parser.add_argument_group("start in a fault (the commands on standard input undo them)")
    faults.add_argument("--unplugged", action="store_true", help="start unplugged (the `plug` command plugs it)")
    faults.add_argument("--mute", action="store_true", help="never answer the status query (until `answer`)")
    faults.add_argument(
        "--jam", type=_positive, metavar="N", help="jam the link until a driver gave up on the port N times"
    )
    faults.add_argument(
        "--stuck", type=_positive, action="append", default=[], metavar="CH", help="this contact sticks (repeatable)"
    )
    parser.epilog = "commands typed on standard input, one a line:\n" + "\n".join(
        f"  {name:<14}{text}" for name, text in COMMANDS
    )
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kiosk.relay.simulator", description="A simulated LCUS USB relay board."
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    if any(channel > args.channels for channel in args.stuck):
        parser.error(f"--stuck: the board has channels 1 to {args.channels}")
    return run(args)


def run(args: argparse.Namespace, *, stdin: int | None = 0, out: TextIO | None = None) -> int:
    """Run the simulator until a signal or `quit`; commands from the file descriptor `stdin` (None: none)."""
    from kiosk.relay.simulator import LcusSimulator

    log = Log(out or sys.stdout)

    def show(event: Switch) -> None:
        log.at(event.at, f"channel {event.channel} {'ON ' if event.on else 'OFF'}")

    with LcusSimulator(args.channels, link=args.link, on_switch=show) as simulator, _until_signal() as stop:
        log.say(f"simulated LCUS-{args.channels} relay board on {simulator.slave_path}. In kiosk.toml:")
        log.say(f'\n[relay]\ndriver = "lcus"\nport = "{simulator.path}"\nconfirm = true\n')
        log.say("logging every switch; Ctrl-C stops")
        log.say("fault commands on standard input, one a line: " + ", ".join(n.split()[0] for n, _ in COMMANDS))
        console = Console(simulator, log)
        for command in _starting_faults(args):
            console.handle(command)
        reader = None if stdin is None else CommandReader(stdin, console, stop).start()
        try:
            stop.wait()
        finally:
            if reader is not None:
                reader.stop()
    return 0


def _starting_faults(args: argparse.Namespace) -> list[str]:
    commands = [f"stick {channel}" for channel in args.stuck]
    if args.mute:
        commands.append("mute")
    if args.jam:
        commands.append(f"jam {args.jam}")
    if args.unplugged:
        commands.append("unplug")
    return commands


class Log:
    """The simulator's log: one line each, starting with its clock; safe from any thread."""

    def __init__(self, out: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self._out, self._clock, self._lock = out, clock, threading.Lock()

    def say(self, text: str) -> None:
        with self._lock:
            print(text, file=self._out, flush=True)

    def at(self, when: float, text: str) -> None:
        self.say(f"{when:12.3f}  {text}")

    def now(self, text: str) -> None:
        self.at(self._clock(), text)


class Console:
    """The fault commands: handle() runs one line and acknowledges it in the log."""

    def __init__(self, simulator: LcusSimulator, log: Log) -> None:
        self.simulator, self.log = simulator, log

    def handle(self, line: str) -> bool:
        """Run one command line; False when it was `quit`."""
        words = line.split()
        if not words:
            return True
        name, rest = _ALIASES.get(words[0].lower(), words[0].lower()), words[1:]
        action = getattr(self, f"_cmd_{name}", None)
        if action is None:
            self.log.now(f"unknown command {words[0]!r}: type help")
            return True
        try:
            return action(rest) is not False
        except _UsageError as exc:
            self.log.now(f"{name}: {exc}")
        except Exception as exc:  # the simulator refused (a jam that cannot hold...): say so, keep going
            self.log.now(f"{name} failed: {exc}")
        return True

    # --- the commands (each takes the words after its name) --------------------------------------------

    def _cmd_help(self, rest: list[str]) -> None:
        for name, text in COMMANDS:
            self.log.say(f"  {name:<14}{text}")

    def _cmd_quit(self, rest: list[str]) -> bool:
        self.log.now("quit: stopping")
        return False

    def _cmd_status(self, rest: list[str]) -> None:
        sim = self.simulator
        plugged = f"plugged in ({sim.path} -> {sim.slave_path})" if sim.slave_path else f"UNPLUGGED ({sim.path})"
        faults = [name for name, on in (("MUTE", not sim.answering), (f"JAMMED x{sim.jam_left}", sim.jam_left)) if on]
        if sim.stuck:
            faults.append("STUCK " + ",".join(str(ch) for ch in sorted(sim.stuck)))
        self.log.now(
            f"status: {plugged}; {'a' if sim.connected else 'no'} driver has the port open; contacts {_contacts(sim)}; "
            f"faults: {', '.join(faults) or 'none'}; {len(sim.frames)} frames, {sim.queries} status queries"
        )

    def _cmd_unplug(self, rest: list[str]) -> None:
        if self.simulator.slave_path is None:
            self.log.now("unplug: already unplugged")
            return
        self.simulator.unplug()
        self.log.now(f"unplugged: {self.simulator.path} is gone, the contacts dropped; `plug` puts it back")

    def _cmd_plug(self, rest: list[str]) -> None:
        sim = self.simulator
        if sim.slave_path is not None:
            self.log.now("plug: already plugged in")
            return
        sim.replug()
        self.log.now(f"plugged in: {sim.path} -> {sim.slave_path}; answering; contacts {_contacts(sim)}")

    def _cmd_mute(self, rest: list[str]) -> None:
        self.simulator.stop_answering(True)
        self.log.now("mute: the board still switches but no longer answers the status query; `answer` undoes it")

    def _cmd_answer(self, rest: list[str]) -> None:
        self.simulator.stop_answering(False)
        self.log.now("answer: the board answers the status query again")

    def _cmd_jam(self, rest: list[str]) -> None:
        count = _number(rest, default=1)
        if self.simulator.slave_path is None:
            raise _UsageError("unplugged: nothing to jam (plug it in first)")
        self.simulator.fail_writes(count)  # whether or not a driver has the port open yet
        self.log.now(
            f"jammed: the driver's writes time out until it gave up on the port {count} time(s); `unjam` clears it"
        )

    def _cmd_unjam(self, rest: list[str]) -> None:
        if not self.simulator.jam_left:
            self.log.now("unjam: the link is not jammed")
            return
        self.simulator.clear_jam()
        self.log.now("unjammed: the link clears; the driver's next write goes through")

    def _cmd_stick(self, rest: list[str], stuck: bool = True) -> None:
        channels = self._channels(rest)
        for channel in channels:
            self.simulator.stick(channel, stuck)
        contacts = self.simulator.contacts
        which = ", ".join(f"{ch} ({'ON' if contacts[ch] else 'OFF'})" for ch in channels)
        if stuck:
            self.log.now(f"stuck: channel {which} stays as it is whatever is commanded; `unstick` frees it")
        else:
            self.log.now(f"unstuck: channel {which} follows the commands again")

    def _cmd_unstick(self, rest: list[str]) -> None:
        self._cmd_stick(rest, stuck=False)

    def _channels(self, rest: list[str]) -> list[int]:
        every = sorted(self.simulator.contacts)
        if not rest:
            return every
        channel = _number(rest, default=1)
        if channel not in every:
            raise _UsageError(f"the board has channels {every[0]} to {every[-1]}, not {channel}")
        return [channel]


def _contacts(sim: LcusSimulator) -> str:
    return " ".join(f"{ch}:{'ON' if on else 'off'}" for ch, on in sim.contacts.items())


class _UsageError(Exception):
    """A command typed wrong: the log says how."""


def _number(words: list[str], *, default: int) -> int:
    if not words:
        return default
    if len(words) > 1 or not words[0].isdigit() or int(words[0]) < 1:
        raise _UsageError(f"expected one whole number of 1 or more, not {' '.join(words)!r}")
    return int(words[0])


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, not {text!r}")
    return int(text)


class CommandReader:
    """Reads command lines from a file descriptor in a thread of its own, until its end, `quit` (which
    sets `stop`) or stop(). It reads the descriptor itself (never through sys.stdin's buffer), so that
    it can be stopped and joined: a thread left blocked in sys.stdin can abort Python's shutdown."""

    def __init__(self, fd: int, console: Console, stop: threading.Event) -> None:
        self._fd, self._console, self._stop = fd, console, stop
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name="relay-simulator-commands", daemon=True)

    def start(self) -> CommandReader:
        self._thread.start()
        return self

    def stop(self) -> None:
        os.write(self._wake_w, b"x")
        self._thread.join(10)
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)

    def _run(self) -> None:
        pending = b""
        poller = select.poll()
        for fd in (self._fd, self._wake_r):
            poller.register(fd, select.POLLIN)
        while True:
            ready = dict(poller.poll())
            if self._wake_r in ready:
                return
            try:
                chunk = os.read(self._fd, 4096)
            except OSError:  # closed, or not readable at all
                chunk = b""
            if not chunk:
                if pending.strip() and not self._console.handle(pending.decode(errors="replace")):
                    self._stop.set()
                    return
                self._console.log.now("standard input ended: no more commands; Ctrl-C or SIGTERM stops")
                return
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                if not self._console.handle(line.decode(errors="replace")):
                    self._stop.set()
                    return


@contextlib.contextmanager
def _until_signal() -> Iterator[threading.Event]:
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)


if __name__ == "__main__":
    sys.exit(main())
