"""A real relay board as the kiosk's gate relay (GateRelay): serial or GPIO I/O off the screen thread.

The board's I/O (a serial write, its drain, and with `confirm` the read-back) can take up to the
board's timeout, and an unplugged board up to that again: the screens must never wait for it. So
the board is driven by one thread of its own, fed through a queue; its results come back to the
screen thread as Qt signals. The hold time is a QTimer on the screen thread, like FakeRelay's.

Faults: any RelayFault fails closed. The door's contact is switched off (as far as the board
still answers), the relay reports `fault` (the screen shows OUT OF ORDER, the guard's console says
why), and refuses to pulse. While in fault it tries the board again every `PROBE_MS` by switching
the door's contact off (always safe); the first try that works clears the fault.

The tower light (optional lamps on spare channels: green, amber, red) shows one colour at a time.
"""

from __future__ import annotations

import enum
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from kiosk.relay.board import RelayBoard, RelayFault, RelaySettings
from kiosk.relay.drivers import open_board
from kiosk.workers.gate import FakeRelay, GateRelay, GateState, hold_ms

log = logging.getLogger(__name__)

PROBE_MS = 5000


class Tower(enum.StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


@dataclass(frozen=True, slots=True)
class _Switch:
    channel: int
    on: bool
    why: str  # "pulse", "release", "probe", "tower", "close"


_STOP = object()


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
    ) -> None:
        super().__init__(parent)
        self.board = board
        self.settings = settings
        self._state = GateState.CLOSED
        self._fault: str | None = None
        self._tower: Tower | None = None
        self._queue: queue.Queue[object] = queue.Queue()
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
        """Light one tower lamp (or none); boards without tower channels ignore it."""
        if colour == self._tower:
            return
        self._tower = colour
        for lamp in Tower:
            channel = getattr(self.settings, f"tower_{lamp.value}")
            if channel is not None:
                self._send(_Switch(channel, lamp == colour, "tower"))

    def close(self) -> None:
        """Lock the door now, put the lamps out, and release the board (waits for its thread)."""
        self._hold.stop()
        self._probe.stop()
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout=max(5.0, 4 * self.settings.timeout_ms / 1000))
        if self._state is GateState.OPEN:
            self._state = GateState.CLOSED
            self.closed.emit()

    # --- the screen thread's side -----------------------------------------------------------------------

    def _send(self, switch: _Switch) -> None:
        if self._thread.is_alive():
            self._queue.put(switch)

    def _release(self) -> None:
        self._send(_Switch(self.settings.channel, False, "release"))
        self._state = GateState.CLOSED
        self.closed.emit()

    def _try_again(self) -> None:
        self._send(_Switch(self.settings.channel, False, "probe"))

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
        """Switch contacts in order; after a fault on the door's channel, switch it off at once."""
        while True:
            item = self._queue.get()
            if item is _STOP:
                break
            assert isinstance(item, _Switch)
            error = self._switch(item)
            if error and item.channel == self.settings.channel and item.on:
                self._switch(_Switch(item.channel, False, "close"))  # fail closed, as far as it answers
            self._switched.emit(item, error)
        try:
            self.board.close()  # switches off what may be on, then releases the port
        except Exception:  # at exit, a board that fails to close is only logged
            log.exception("the relay board did not close cleanly")

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
