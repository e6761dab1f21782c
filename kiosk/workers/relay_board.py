"""A real relay board as the kiosk's gate relay (GateRelay): serial or GPIO I/O off the screen thread.

The board's I/O (a serial write, its drain, and with `confirm` the read-back) can take up to the
board's timeout, and an unplugged board up to that again: the screens must never wait for it. So
the board is driven by one thread of its own, fed through a queue; its results come back to the
screen thread as Qt signals. The hold time is a QTimer on the screen thread, like FakeRelay's.

Faults: any RelayFault fails closed. The door's contact is switched off (as far as the board
still answers), the relay reports `fault` (the screen shows OUT OF ORDER, the guard's console says
why), and refuses to pulse. While in fault it tries the board again every `PROBE_MS` by switching
the door's contact off (always safe); the first try that works clears the fault.

The tower light (optional lamps on spare channels: `tower_green`, `tower_amber`, `tower_red` of
`[relay]`) shows one colour at a time, as the controller asks for each screen. The lamps never stand
in the door's way: `show_tower` only notes the colour (after any pulse of the same screen change, on
the next turn of the event loop), and the board's thread switches a lamp only while no door switch
waits, one lamp at a time, so a door switch waits for one lamp's write at most. A lamp that cannot be
switched (a channel the board lacks, a stuck contact) is not a fault of the door (the door's own
switches tell whether the board works): it is left alone for `LAMP_QUIET_S` (on the injected clock),
so that a failing write (up to the board's timeout) does not keep taking the thread the door needs,
and the other lamps still show their colour without it. Its warning is logged once when it starts
failing, and once at INFO when it works again; after the quiet period (or once the door's contact
works again after a fault of the board) it is tried again. At start every lamp is switched off; at
close the board switches off whatever may be on.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from kiosk.relay.board import RelayBoard, RelayFault, RelaySettings
from kiosk.relay.drivers import open_board
from kiosk.workers.gate import FakeRelay, GateRelay, GateState, Tower, hold_ms

log = logging.getLogger(__name__)

PROBE_MS = 5000
#: How long a tower lamp whose write failed is left alone (seconds on the relay's clock).
LAMP_QUIET_S = 60.0


@dataclass(frozen=True, slots=True)
class _Switch:
    channel: int
    on: bool
    why: str  # "pulse", "release", "probe", "tower", "close"


_STOP = object()
_WAKE = object()  # the tower's colour changed: look at the lamps


class BoardRelay(QObject):
    """GateRelay on a RelayBoard (kiosk.relay); see the module docstring."""

    opened = Signal(int)
    closed = Signal()
    fault = Signal(str)
    faultCleared = Signal()
    _switched = Signal(object, str)  # (_Switch, error message or "") from the board's thread

    def __init__(
        self,
        board: RelayBoard,
        settings: RelaySettings,
        parent: QObject | None = None,
        *,
        probe_ms: int = PROBE_MS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self.board = board
        self.settings = settings
        self._state = GateState.CLOSED
        self._fault: str | None = None
        self._tower: Tower | None = None  # the colour asked for last (the screen thread's)
        self._queue: queue.Queue[object] = queue.Queue()
        # The tower: the colour handed to the board's thread (under the lock), and the thread's own view.
        # Never a lamp on the door's own contact (parse_relay_settings refuses one; settings made in code too).
        self._lamp_channels: tuple[tuple[Tower, int], ...] = tuple(
            (lamp, channel)
            for lamp in Tower
            if (channel := getattr(settings, f"tower_{lamp.value}")) is not None and channel != settings.channel
        )
        self._tower_lock = threading.Lock()
        self._tower_wanted: Tower | None = None
        self._clock = clock
        self._lamps: dict[int, bool | None] = dict.fromkeys((c for _, c in self._lamp_channels), None)
        # The board's thread: lamps whose write failed, left alone until then (clock); those logged as failing.
        self._lamp_quiet: dict[int, float] = {}
        self._lamps_failing: set[int] = set()
        self._door_failed = False  # the board's thread: the door's last switch failed (the board, not a lamp)
        self._tower_later = QTimer(self, singleShot=True, interval=0)
        self._tower_later.timeout.connect(self._hand_tower_over)
        self._hold = QTimer(self, singleShot=True)
        self._hold.timeout.connect(self._release)
        self._probe = QTimer(self, interval=probe_ms)
        self._probe.timeout.connect(self._try_again)
        self._switched.connect(self._on_switched)
        self._thread = threading.Thread(target=self._drive, name="relay-board", daemon=True)
        self._thread.start()
        self._send(_Switch(settings.channel, False, "probe"))  # start closed, and learn at once if it answers

    @property
    def state(self) -> GateState:
        return GateState.FAULT if self._fault else self._state

    @property
    def description(self) -> str:
        return self.board.description

    @property
    def fault_message(self) -> str | None:
        return self._fault

    def pulse(self, persons: int = 1) -> bool:
        """Release the door for `persons` (the hold grows with a party); False while in fault."""
        if self._fault:
            self.fault.emit(self._fault)  # still broken: say so again, the door stays shut
            return False
        self._send(_Switch(self.settings.channel, True, "pulse"))
        self._state = GateState.OPEN
        self._hold.start(hold_ms(persons, self.settings.hold_ms))  # a pulse while open extends the hold
        self.opened.emit(persons)
        return True

    def show_tower(self, colour: Tower | None) -> None:
        """Light one tower lamp (or none); boards without tower channels ignore it. Never blocks: the
        colour goes to the board's thread on the next turn of the event loop, after a door pulse asked
        for in the same screen change (see the module docstring)."""
        if not self._lamp_channels or colour == self._tower:
            return
        self._tower = colour
        self._tower_later.start()

    def close(self) -> None:
        """Lock the door now, put the lamps out, and release the board (waits for its thread)."""
        self._hold.stop()
        self._probe.stop()
        self._tower_later.stop()
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout=max(5.0, 4 * self.settings.timeout_ms / 1000))
        if self._state is GateState.OPEN:
            self._state = GateState.CLOSED
            self.closed.emit()

    # --- the screen thread's side -----------------------------------------------------------------------

    def _send(self, item: object) -> None:
        """A door switch (_Switch) or _WAKE to the board's thread, while it runs."""
        if self._thread.is_alive():
            self._queue.put(item)

    def _release(self) -> None:
        self._send(_Switch(self.settings.channel, False, "release"))
        self._state = GateState.CLOSED
        self.closed.emit()

    def _try_again(self) -> None:
        self._send(_Switch(self.settings.channel, False, "probe"))

    def _hand_tower_over(self) -> None:
        with self._tower_lock:
            self._tower_wanted = self._tower
        self._send(_WAKE)

    def _on_switched(self, switch: _Switch, error: str) -> None:
        if error:
            self._set_fault(error)
        elif switch.channel == self.settings.channel and self._fault and switch.why in ("probe", "release"):
            self._clear_fault()

    def _set_fault(self, message: str) -> None:
        first = self._fault is None
        self._fault = message
        self._hold.stop()
        if self._state is GateState.OPEN:
            self._state = GateState.CLOSED
            self.closed.emit()
        if first:
            log.warning("gate relay fault: %s", message)
            self._probe.start()
        self.fault.emit(message)

    def _clear_fault(self) -> None:
        self._fault = None
        self._probe.stop()
        log.info("gate relay works again (%s)", self.board.description)
        self.faultCleared.emit()

    # --- the board's thread -----------------------------------------------------------------------------

    def _drive(self) -> None:
        """Switch the door's contact in order; after a fault on it, switch it off at once. The tower's
        lamps only while no door switch waits."""
        while True:
            item = self._next()
            if item is _STOP:
                break
            assert isinstance(item, _Switch)
            error = self._switch(item)
            if item.why == "tower":
                self._lamp_switched(item, error)
                continue
            if error and item.channel == self.settings.channel and item.on:
                self._switch(_Switch(item.channel, False, "close"))  # fail closed, as far as it answers
            if error:
                self._lamps = dict.fromkeys(self._lamps, None)  # the board dropped or lost them: unknown
            elif self._door_failed:
                self._lamp_quiet.clear()  # the board was at fault, not the lamps: try them again
            self._door_failed = bool(error)
            self._switched.emit(item, error)
        try:
            self.board.close()  # switches off what may be on, then releases the port
        except Exception:  # at exit, a board that fails to close is only logged
            log.exception("the relay board did not close cleanly")

    def _next(self) -> object:
        """The next door switch (or the stop); a lamp's switch only when none waits."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                lamp = self._next_lamp()
                if lamp is not None:
                    item = lamp
                else:
                    try:  # a quiet lamp still to switch: look again when its quiet period ends
                        item = self._queue.get(timeout=self._lamp_wait())
                    except queue.Empty:
                        continue
            if item is not _WAKE:
                return item

    def _lamps_to_switch(self) -> list[_Switch]:
        """The lamps' switches towards the colour asked for, quiet lamps too: the others off first, then it on."""
        with self._tower_lock:
            wanted = self._tower_wanted
        offs = [
            _Switch(c, False, "tower")
            for lamp, c in self._lamp_channels
            if lamp != wanted and self._lamps[c] is not False
        ]
        ons = [
            _Switch(c, True, "tower")
            for lamp, c in self._lamp_channels
            if lamp == wanted and self._lamps[c] is not True
        ]
        return offs + ons

    def _next_lamp(self) -> _Switch | None:
        """The next lamp to switch, skipping those left alone after a failed write (the others still light)."""
        now = self._clock()
        return next((s for s in self._lamps_to_switch() if self._lamp_quiet.get(s.channel, now) <= now), None)

    def _lamp_wait(self) -> float | None:
        """Seconds until a quiet lamp that is still to switch may be tried again; None: nothing to wait for."""
        ends = [self._lamp_quiet[s.channel] for s in self._lamps_to_switch() if s.channel in self._lamp_quiet]
        return min(max(min(ends) - self._clock(), 0.01), LAMP_QUIET_S) if ends else None

    def _lamp_switched(self, switch: _Switch, error: str) -> None:
        channel = switch.channel
        if not error:
            self._lamps[channel] = switch.on
            self._lamp_quiet.pop(channel, None)
            if channel in self._lamps_failing:
                self._lamps_failing.discard(channel)
                log.info("tower light: channel %d switches again", channel)
            return
        self._lamps[channel] = None
        self._lamp_quiet[channel] = self._clock() + LAMP_QUIET_S
        if channel not in self._lamps_failing:
            self._lamps_failing.add(channel)
            log.warning(
                "tower light: channel %d not switched (%s); the door is not affected; the lamp is left alone, "
                "tried again every %.0f s",
                channel,
                error,
                LAMP_QUIET_S,
            )

    def _switch(self, switch: _Switch) -> str:
        try:
            self.board.set(switch.channel, switch.on)
        except RelayFault as exc:
            return str(exc)
        except Exception as exc:  # a driver bug must not end the thread: fail closed
            log.exception("relay driver error")
            return f"relay driver error: {exc}"
        return ""


NO_RELAY = "no door relay: the guard lets people through"


def configured_relay(
    settings: RelaySettings, opener: Callable[[RelaySettings], RelayBoard | None] = open_board
) -> GateRelay:
    """The `[relay]` of kiosk.toml as the kiosk's gate relay: a board (driven from its own thread), or
    for `driver = "none"` a relay in memory that says plainly that there is no door relay. A driver
    that cannot even load (pyserial or gpiod missing) is a relay in fault from the start: the kiosk
    shows OUT OF ORDER and the guard reads why, rather than admitting people to a door that stays shut."""
    try:
        board = opener(settings)
    except RelayFault as exc:
        log.error("the relay cannot be used: %s", exc)
        board = _Unusable(str(exc))
    if board is None:
        return FakeRelay(settings.hold_ms, description=NO_RELAY)
    return BoardRelay(board, settings)


class _Unusable:
    """A board whose driver could not load: every switch is that fault."""

    def __init__(self, message: str) -> None:
        self.message = message

    @property
    def description(self) -> str:
        return "relay board (driver not loaded)"

    def set(self, channel: int, on: bool) -> None:
        raise RelayFault(self.message)

    def close(self) -> None:
        return None
