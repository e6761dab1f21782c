"""USB relay boards on a serial port (pyserial): the CH340 "LCUS" boards, and boards driven by set commands.

All of pyserial's quirks live here. The port is opened at the first switch, not at start-up, and any
error closes it: the next switch opens it again, so a board that was unplugged and plugged back in
(under the same /dev/serial/by-id/ name or COM port) works again without restarting the kiosk.

LCUS frames are 4 bytes, `A0 <channel> <01 on | 00 off> <sum>`, sum = (A0 + channel + state) & FF; the
board ignores a frame with a wrong sum and says nothing either way. LCUS-4/8 boards answer the byte
FF with their contacts as text ("CH1: ON\\r\\nCH2: OFF\\r\\n..."): with `confirm`, every switch is read
back that way, so an unplugged, mute or stuck board is noticed at once. LCUS-1 boards do not answer.

No call blocks longer than the board's `timeout` (plus the 50 ms of one read): every step of a switch
(the write, the wait for the bytes to leave, the answer) shares one deadline on the real monotonic
clock, whatever the port or an injected clock does. pyserial's flush() is not used: its tcdrain()
has no timeout, and a port whose bytes never leave (a stalled USB adapter, a terminal nobody reads)
would hold it for ever. A board that does not take a command in time is a RelayFault.
"""

from __future__ import annotations

import errno
import logging
import re
import time
from collections.abc import Callable

import serial

from kiosk.relay.board import BOARD_CHANNELS, RelayFault, command_bytes

log = logging.getLogger(__name__)

LCUS_HEAD = 0xA0
STATUS_QUERY = b"\xff"
_STATUS_LINE = re.compile(rb"CH\s*(\d+)\s*:\s*(ON|OFF)\s*\r?\n", re.IGNORECASE)
_GONE = {errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.EIO}
_READ_LOOK_S = 0.05  # the longest single read: how far past its deadline a wait for the answer may go
_DRAIN_LOOK_S = 0.002  # how often to look whether the bytes have left the port
_WRITE_TIMEOUT_SLACK_S = 0.01  # a write's timeout is set anew (a port reconfiguration) only when it is off by more


def lcus_frame(channel: int, on: bool) -> bytes:
    """The 4-byte LCUS command that switches `channel` (1 to 8)."""
    if not BOARD_CHANNELS[0] <= channel <= BOARD_CHANNELS[1]:
        raise ValueError(f"an LCUS board has channels {BOARD_CHANNELS[0]} to {BOARD_CHANNELS[1]}, not {channel}")
    state = 1 if on else 0
    return bytes((LCUS_HEAD, channel, state, (LCUS_HEAD + channel + state) & 0xFF))


def parse_status(answer: bytes) -> dict[int, bool]:
    """The contacts an LCUS board reported ("CH1: ON\\r\\n..."), channel → on."""
    return {int(m[1]): m[2].upper() == b"ON" for m in _STATUS_LINE.finditer(answer)}


def _errno_of(exc: BaseException) -> int | None:
    """pyserial keeps the errno on open failures, and in the chained OSError or termios.error otherwise."""
    seen: BaseException | None = exc
    while seen is not None:
        number = getattr(seen, "errno", None)
        if isinstance(number, int):
            return number
        if len(seen.args) == 2 and isinstance(seen.args[0], int) and isinstance(seen.args[1], str):
            return seen.args[0]  # termios.error(errno, text): a port reconfigured after it vanished
        seen = seen.__cause__ or seen.__context__
    return None


class _SerialBoard:
    """The port: opened lazily, closed on any error, reopened at the next switch."""

    kind = "serial relay board"

    def __init__(
        self, port: str, *, baud: int = 9600, timeout: float = 0.5, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.port = port
        self.baud = baud
        self.timeout = timeout
        self._clock = clock
        self._serial: serial.Serial | None = None
        self._maybe_on: set[int] = set()  # switched on, or its state unknown after a fault

    @property
    def description(self) -> str:
        return f"{self.kind} at {self.port}"

    @property
    def is_open(self) -> bool:
        return self._serial is not None

    def set(self, channel: int, on: bool) -> None:
        self._set(channel, on, time.monotonic() + self.timeout)

    def close(self) -> None:
        """Switch off what may be on (best effort: the board may be gone), then release the port.

        All the switching off shares one timeout: a jammed board does not hold the exit once per channel.
        """
        deadline = time.monotonic() + self.timeout
        for channel in sorted(self._maybe_on):
            if time.monotonic() >= deadline:
                log.warning(
                    "could not switch off channel %d at exit: the %s took all its time", channel, self.description
                )
                continue
            try:
                self._set(channel, False, deadline)
            except RelayFault as exc:
                log.warning("could not switch off channel %d at exit: %s", channel, exc)
        self._drop()

    def _set(self, channel: int, on: bool, deadline: float) -> None:
        """set(), done by `deadline` (time.monotonic) or a RelayFault."""
        command = self._command(channel, on)
        self._maybe_on.add(channel)  # unknown until the board took it
        try:
            link = self._open()
            self._send(link, command, deadline)
            self._confirm(link, channel, on, deadline)
        except serial.SerialTimeoutException as exc:
            self._drop(stuck=True)
            raise RelayFault(f"the {self.description} did not take the command in time (write timeout)") from exc
        except (serial.SerialException, OSError) as exc:
            self._drop(stuck=True)
            raise RelayFault(self._explain(exc)) from exc
        except RelayFault:
            self._drop()
            raise
        if not on:
            self._maybe_on.discard(channel)

    # --- for the subclasses -----------------------------------------------------------------------------

    def _command(self, channel: int, on: bool) -> bytes:
        raise NotImplementedError

    def _confirm(self, link: serial.Serial, channel: int, on: bool, deadline: float) -> None:
        return None

    # --- the port ---------------------------------------------------------------------------------------

    def _send(self, link: serial.Serial, data: bytes, deadline: float) -> None:
        """Write `data` and wait until it has left the port, both by `deadline`; SerialTimeoutException if not."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise serial.SerialTimeoutException("Write timeout (no time left)")
        if abs((link.write_timeout or 0.0) - left) > _WRITE_TIMEOUT_SLACK_S:
            link.write_timeout = left  # the write may only have what is left of this call's timeout
        link.write(data)
        while link.out_waiting:  # flush() without its tcdrain(), which has no timeout
            if time.monotonic() >= deadline:
                raise serial.SerialTimeoutException("Write timeout (the bytes did not leave the port)")
            time.sleep(_DRAIN_LOOK_S)

    def _open(self) -> serial.Serial:
        if self._serial is None:
            self._serial = serial.Serial(
                self.port,
                self.baud,
                timeout=min(self.timeout, _READ_LOOK_S),
                write_timeout=self.timeout,
                exclusive=True,  # a second kiosk process (or a terminal program) on the port is an error
            )
            log.info("opened the %s", self.description)
        return self._serial

    def _drop(self, *, stuck: bool = False) -> None:
        """Release the port; `stuck`: after an I/O fault, so first throw away what could not be sent.

        A serial port whose output does not drain makes close() wait (up to the port's closing_wait,
        30 s on Linux); bytes that are still queued after a fault are given up on anyway.
        """
        link, self._serial = self._serial, None
        if link is None:
            return
        if stuck:
            try:
                if link.out_waiting:
                    link.reset_output_buffer()
            except (serial.SerialException, OSError) as exc:
                log.debug("discarding the output of %s: %s", self.port, exc)
        try:
            link.close()
        except (serial.SerialException, OSError) as exc:  # the device is already gone
            log.debug("closing %s: %s", self.port, exc)

    def _explain(self, exc: BaseException) -> str:
        number = _errno_of(exc)
        text = str(exc)
        where = self.description
        if number == errno.ENOENT or "FileNotFoundError" in text:
            return f"the relay board is not connected: there is no serial port {self.port}"
        if number in _GONE or "returned no data" in text:
            return f"the {where} was disconnected (input/output error); plug it back in"
        if number in (errno.EACCES, errno.EPERM):
            return f"no permission to open the relay board's port {self.port} (is the kiosk user in group dialout?)"
        if number in (errno.EBUSY, errno.EAGAIN) or "PermissionError" in text:
            return f"the relay board's port {self.port} is in use by another program"
        return f"the {where} failed: {text}"


class LcusBoard(_SerialBoard):
    """A CH340 "LCUS-1/2/4/8" USB relay board; `confirm` reads the contacts back after each switch."""

    kind = "LCUS USB relay board"

    def __init__(
        self,
        port: str,
        *,
        baud: int = 9600,
        timeout: float = 0.5,
        confirm: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(port, baud=baud, timeout=timeout, clock=clock)
        self.confirm = confirm

    def _command(self, channel: int, on: bool) -> bytes:
        return lcus_frame(channel, on)

    def _confirm(self, link: serial.Serial, channel: int, on: bool, deadline: float) -> None:
        if not self.confirm:
            return
        contacts = self._read_status(link, channel, deadline)
        if contacts[channel] != on:
            actual, wanted = ("on", "off") if contacts[channel] else ("off", "on")
            raise RelayFault(
                f"relay contact stuck: channel {channel} stays {actual} when switched {wanted} ({self.description})"
            )

    def _read_status(self, link: serial.Serial, channel: int, deadline: float) -> dict[int, bool]:
        """Ask the board for its contacts; RelayFault when it does not report `channel` in time.

        In time: before `timeout` has passed on the injected clock (a test's clock may run fast), and
        in any case by `deadline` on the real one (a clock that stands still must not hang the kiosk).
        """
        link.reset_input_buffer()  # a late answer to an earlier question is not this one's
        self._send(link, STATUS_QUERY, deadline)
        answer = b""
        answer_by = self._clock() + self.timeout
        while True:
            answer += link.read(64)  # returns after at most _READ_LOOK_S
            contacts = parse_status(answer)
            if channel in contacts:
                return contacts
            if self._clock() >= answer_by or time.monotonic() >= deadline:
                break
        if answer:
            raise RelayFault(f"the {self.description} did not report channel {channel} (answer {answer!r})")
        raise RelayFault(f"no answer from the relay board at {self.port}")


class CommandBoard(_SerialBoard):
    """A board switched by configured byte strings (hex, `{ch}` the channel, `{sum}` the sum so far)."""

    kind = "serial relay board"

    def __init__(
        self,
        port: str,
        on_command: str,
        off_command: str,
        *,
        baud: int = 9600,
        timeout: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(port, baud=baud, timeout=timeout, clock=clock)
        command_bytes(on_command, 1)  # a bad template is a ValueError now, not at the first admission
        command_bytes(off_command, 1)
        self.on_command = on_command
        self.off_command = off_command

    def _command(self, channel: int, on: bool) -> bytes:
        return command_bytes(self.on_command if on else self.off_command, channel)


class SimulatedBoard(LcusBoard):
    """The driver "simulated": an LcusBoard on a simulated board of its own, stopped when it closes."""

    kind = "simulated LCUS relay board"

    def __init__(self, channels: int = 8, *, confirm: bool = False, timeout: float = 0.5) -> None:
        from kiosk.relay.simulator import LcusSimulator

        self.simulator = LcusSimulator(max(channels, 1)).start()
        super().__init__(self.simulator.path, timeout=timeout, confirm=confirm)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.simulator.stop()
