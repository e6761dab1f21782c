"""A simulated LCUS USB relay board on a pseudo-terminal, for the tests, the demo and `kiosk doctor`.

The driver cannot tell it from a board on /dev/ttyUSB0: it opens a path with pyserial and writes the
same frames. The path is a symlink (like /dev/serial/by-id/...) to the current pseudo-terminal, so an
unplugged and replugged board keeps its name while the terminal behind it is a new one. A thread reads
the frames, ignores those with a bad sum (the board does), switches the contacts, logs each switch
with the time and answers the status query FF ("CH1: ON\\r\\n...") as LCUS-4/8 boards do.

The faults are those a real board shows: `unplug()` (writes fail with EIO, opening fails with ENOENT),
`stop_answering()` (mute), `fail_writes(n)` (the link jams: the driver's writes time out until it has
given up on the port n times), `stick(channel)` (the contact stays as it is, silently: only a status
read-back shows it); `clear_jam()` clears the link at once. POSIX only (os.openpty).

    python -m kiosk.relay.simulator        # prints the port for kiosk.toml, then logs every switch
    kiosk relay-simulator                  # the same, from the frozen bundle

Both take the faults as commands typed on standard input (`unplug`, `mute`, `jam`, `stick`, `help`...)
and as options to start in one: kiosk/relay/console.py.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import runpy
import select
import shutil
import struct
import tempfile
import termios
import threading
import time
import tty
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Self

HEAD, QUERY = 0xA0, 0xFF
_IDLE_LOOK_S = 0.01  # how often to look whether someone opened the port, while nobody has
_JAM_LOOK_S = 0.001  # how often to look whether the kernel moved the filler on, while jamming the link
_GIVE_UP_S = 10.0  # how long a command to the thread, or stopping it, may take before it is an error
_JAM_GIVE_UP_S = 2.0  # how long jamming the link may take (it takes milliseconds) before it is an error
#: How much a pseudo-terminal's line discipline holds unread (Linux: N_TTY_BUF_SIZE - 1); the link is
#: jammed for good once that is full and the terminal takes no more, because nothing then moves on.
_LDISC_FULL = 4095
#: The speed the simulator sets on the terminal while nobody has it open: a driver that opens the port
#: sets its own (pyserial always does), so the simulator knows it was opened even if it never saw it open.
_UNOPENED_SPEED = termios.B50


@dataclass(frozen=True, slots=True)
class Switch:
    at: float  # the simulator's clock (monotonic seconds)
    channel: int
    on: bool


class LcusSimulator:
    """See the module docstring. Use as a context manager, or start() and stop()."""

    def __init__(
        self,
        channels: int = 8,
        *,
        link: str | Path | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_switch: Callable[[Switch], None] | None = None,
    ) -> None:
        self.channels = channels
        self._own_dir: Path | None = None
        if link is None:
            self._own_dir = Path(tempfile.mkdtemp(prefix="kiosk-relay-"))
            link = self._own_dir / "usb-1a86_USB_Serial-sim-if00-port0"
        self.path = str(link)
        self._clock = clock
        self._on_switch = on_switch
        self._changed = threading.Condition()
        self._contacts = dict.fromkeys(range(1, channels + 1), False)
        self._stuck: set[int] = set()
        self._switches: list[Switch] = []
        self._frames: list[bytes] = []
        self.ignored = 0  # bytes dropped: bad sums, unknown commands
        self.queries = 0
        self._answering = True
        self._master: int | None = None
        self._slave_path: str | None = None
        self._connected = False
        self._buffer = bytearray()
        self._jam_left = 0
        self._commands: list[tuple[Callable[[], None], threading.Event]] = []
        self._wake_r, self._wake_w = os.pipe()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._closed = False

    # --- life ---------------------------------------------------------------------------------------------

    def start(self) -> Self:
        self._plug()
        self._thread = threading.Thread(target=self._run, name="lcus-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread (joined), close the terminal and remove the link."""
        if self._closed:
            return
        self._closed = True
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping = True
            os.write(self._wake_w, b"x")
            thread.join(_GIVE_UP_S)
        self._unplug()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
        if thread is not None and thread.is_alive():  # a bug in the thread: fail, never hang the caller
            raise TimeoutError("the simulated relay board's thread did not stop")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what a test or the demo looks at -------------------------------------------------------------

    @property
    def contacts(self) -> dict[int, bool]:
        with self._changed:
            return dict(self._contacts)

    @property
    def switches(self) -> list[Switch]:
        with self._changed:
            return list(self._switches)

    @property
    def frames(self) -> list[bytes]:
        """Every well-formed frame received, switching or not (a stuck contact, a repeat)."""
        with self._changed:
            return list(self._frames)

    @property
    def slave_path(self) -> str | None:
        """The pseudo-terminal behind `path` now (None while unplugged)."""
        return self._slave_path

    @property
    def connected(self) -> bool:
        """Whether the driver has the port open, as far as the thread has seen."""
        return self._connected

    @property
    def jam_left(self) -> int:
        """How many more times the driver must give up on the port before the link clears (fail_writes)."""
        return self._jam_left

    @property
    def answering(self) -> bool:
        """Whether the board answers the status query (False after stop_answering())."""
        return self._answering

    @property
    def stuck(self) -> frozenset[int]:
        """The channels whose contact stays as it is (stick)."""
        with self._changed:
            return frozenset(self._stuck)

    def wait_for(self, condition: Callable[[LcusSimulator], bool], timeout: float = 10.0) -> None:
        """Wait until condition(self) holds; the timeout only guards against a test hanging for ever."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the simulated relay board never got there")
                self._changed.wait(left)

    # --- faults -------------------------------------------------------------------------------------------

    def unplug(self) -> None:
        """The board is pulled out: the port disappears and the contacts drop (no power)."""
        self._call(self._unplug)

    def replug(self) -> None:
        """Plugged back in: a new terminal behind the same path, contacts off, answering."""
        self._call(self._plug)

    def stop_answering(self, mute: bool = True) -> None:
        """The board takes commands but no longer answers the status query."""
        with self._changed:
            self._answering = not mute

    def fail_writes(self, count: int = 1) -> None:
        """Jam the link: the driver's writes time out until it has closed the port `count` times."""
        self._call(lambda: self._jam(count))

    def clear_jam(self) -> None:
        """The jammed link clears at once, as if the driver had given up often enough (fail_writes)."""
        self._call(self._clear_jam)

    def stick(self, channel: int, stuck: bool = True) -> None:
        """The contact stays as it is, whatever is commanded; the board says nothing about it."""
        with self._changed:
            (self._stuck.add if stuck else self._stuck.discard)(channel)

    # --- the thread ---------------------------------------------------------------------------------------

    def _call(self, action: Callable[[], None]) -> None:
        if self._thread is None:
            action()
            return
        done, errors = threading.Event(), list[BaseException]()

        def guarded() -> None:  # the thread must outlive a failed command; the caller gets the error
            try:
                action()
            except Exception as exc:
                errors.append(exc)

        with self._changed:
            self._commands.append((guarded, done))
        os.write(self._wake_w, b"x")
        if not done.wait(_GIVE_UP_S):
            raise TimeoutError("the simulated relay board's thread did not respond")
        if errors:
            raise errors[0]

    def _run(self) -> None:
        while not self._stopping:
            master = self._master
            watch = master is not None and self._connected and not self._jam_left
            fds = [self._wake_r, master] if watch and master is not None else [self._wake_r]
            ready = _poll(fds, None if watch else _IDLE_LOOK_S)
            if self._wake_r in ready:
                os.read(self._wake_r, 512)
                with self._changed:
                    commands, self._commands = self._commands, []
                for action, done in commands:
                    action()
                    done.set()
                continue
            if self._master is None:
                continue
            flags = ready.get(self._master, 0) if watch else _poll([self._master], 0).get(self._master, 0)
            hung_up = bool(flags & select.POLLHUP)
            if flags & select.POLLIN and not self._jam_left:
                self._read()
                if hung_up:
                    continue  # read what the driver wrote before it closed, then call it closed
            elif watch and not flags:
                continue
            self._look_at_connection(hung_up)

    def _look_at_connection(self, hung_up: bool) -> None:
        if hung_up and (self._connected or self._opened_since_mark()):
            # closed again; on a busy machine the driver may have opened and closed the port between two looks
            self._connected = False
            self._mark_unopened()
            if self._jam_left:
                self._jam_left -= 1  # the driver gave up on the port once
                if not self._jam_left:
                    self._drain()
            self._notify()
        elif not hung_up and not self._connected:
            self._connected = True
            self._notify()

    def _read(self) -> None:
        assert self._master is not None
        try:
            data = os.read(self._master, 4096)
        except OSError as exc:  # EIO: nobody has the port open any more
            if exc.errno not in (errno.EIO, errno.EAGAIN):
                raise
            return
        answers = bytearray()
        with self._changed:
            self._buffer += data
            answers += self._parse()
            self._changed.notify_all()
        if answers and self._master is not None:
            with contextlib.suppress(OSError):  # the driver stopped reading: the board does not care
                os.write(self._master, answers)

    def _parse(self) -> bytes:
        """Take the complete frames off the buffer; what the board would answer."""
        answer = b""
        buf = self._buffer
        while buf:
            if buf[0] == QUERY:
                del buf[0]
                self.queries += 1
                if self._answering:
                    answer += b"".join(
                        f"CH{ch}: {'ON' if on else 'OFF'}\r\n".encode() for ch, on in self._contacts.items()
                    )
            elif buf[0] == HEAD:
                if len(buf) < 4:
                    break
                frame = bytes(buf[:4])
                _, channel, state, checksum = frame
                if checksum != (HEAD + channel + state) & 0xFF or state > 1 or channel not in self._contacts:
                    del buf[0]  # not a frame: look for the next head
                    self.ignored += 1
                    continue
                del buf[:4]
                self._frames.append(frame)
                self._switch(channel, state == 1)
            else:
                del buf[0]
                self.ignored += 1
        return answer

    def _switch(self, channel: int, on: bool) -> None:
        if channel in self._stuck or self._contacts[channel] == on:
            return
        self._contacts[channel] = on
        event = Switch(self._clock(), channel, on)
        self._switches.append(event)
        if self._on_switch is not None:
            self._on_switch(event)

    # --- the terminal -------------------------------------------------------------------------------------

    def _plug(self) -> None:
        if self._master is not None:
            return
        master, slave = os.openpty()
        tty.setraw(slave)  # a serial port passes bytes as they are; a fresh terminal would echo them
        self._slave_path = os.ttyname(slave)
        os.close(slave)  # nobody has the port open until the driver opens it
        os.set_blocking(master, False)
        _set_speed(master, _UNOPENED_SPEED)
        temporary = f"{self.path}.new"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        os.symlink(self._slave_path, temporary)
        os.replace(temporary, self.path)
        with self._changed:
            self._master, self._connected, self._jam_left = master, False, 0
            self._buffer.clear()
            self._answering = True
            self._changed.notify_all()

    def _unplug(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        with self._changed:
            master, self._master, self._slave_path = self._master, None, None
            self._connected, self._jam_left = False, 0
            for channel in self._contacts:
                if channel not in self._stuck:
                    self._switch(channel, False)
            self._changed.notify_all()
        if master is not None:
            os.close(master)  # the driver's open port now fails with EIO, like a vanished ttyUSB

    def _jam(self, count: int) -> None:
        if self._master is None or self._slave_path is None or count < 1:
            return
        master = self._master
        filler = os.open(self._slave_path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            # The kernel moves the bytes on to the line discipline behind our back, when its worker gets
            # round to it (late on a busy machine), and that makes room for more. Only once the line
            # discipline is full does nothing move any more: then a last fill that takes nothing means
            # the link stays jammed. A sleep between fills is not enough: the worker may come later.
            give_up = time.monotonic() + _JAM_GIVE_UP_S
            while _fill(filler) or _unread(master) < _LDISC_FULL:
                if time.monotonic() >= give_up:
                    raise RuntimeError("could not jam the simulated link: the terminal keeps taking bytes")
                time.sleep(_JAM_LOOK_S)
        finally:
            os.close(filler)
        with self._changed:
            self._jam_left = count
            self._changed.notify_all()

    def _clear_jam(self) -> None:
        if self._jam_left and self._master is not None:
            self._drain()
            with self._changed:
                self._jam_left = 0
                self._changed.notify_all()

    def _drain(self) -> None:
        assert self._master is not None
        with contextlib.suppress(OSError):  # EAGAIN (empty, port open) or EIO (empty, port closed)
            for _ in range(1024):  # more than a jam holds; a driver writing all the while must not hold the thread
                if not os.read(self._master, 65536):
                    break
        self._buffer.clear()

    def _mark_unopened(self) -> None:
        if self._master is not None:
            with contextlib.suppress(OSError, termios.error):
                _set_speed(self._master, _UNOPENED_SPEED)

    def _opened_since_mark(self) -> bool:
        if self._master is None:
            return False
        try:
            return bool(termios.tcgetattr(self._master)[5] != _UNOPENED_SPEED)  # the terminal's (output) speed
        except (OSError, termios.error):
            return False

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()


def _poll(fds: list[int], timeout: float | None) -> dict[int, int]:
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    return dict(poller.poll(None if timeout is None else timeout * 1000))


def _set_speed(master: int, speed: int) -> None:
    """Set the terminal's speed (through its master side, as a terminal program on the port would see it)."""
    attributes = termios.tcgetattr(master)
    attributes[4] = attributes[5] = speed
    termios.tcsetattr(master, termios.TCSANOW, attributes)


def _unread(master: int) -> int:
    """How many bytes wait in the line discipline of the master side."""
    return int(struct.unpack("i", fcntl.ioctl(master, termios.FIONREAD, b"\0\0\0\0"))[0])


def _fill(fd: int) -> int:
    """Write to `fd` until it takes no more; how many bytes it took."""
    total = 0
    for size in (4096, 256, 16, 1):
        while True:
            try:
                total += os.write(fd, b"\0" * size)
            except BlockingIOError:
                break
    return total


if __name__ == "__main__":  # the program, with its fault commands, lives in console.py (which imports this)
    runpy.run_module("kiosk.relay.console", run_name="__main__", alter_sys=True)
