"""The gate relay: what opens the door after an ADMIT is on disk, and a fake one that behaves like it.

A relay is pulsed once per admission (held open `open_ms`, longer for a party), reports faults (the
board is unplugged, a write fails, the contact sticks) and reports when they clear. The controller
only pulses once the writer has called back with the recorded decision (commit before show): a crash
between commit and pulse leaves a recorded admission and a closed gate, never the other way round. A
relay that is in fault refuses to pulse and the kiosk shows OUT OF ORDER until it clears.

`FakeRelay` is for the demo, the tests and kiosks without a gate (the guard waves people through): it
keeps time with QTimer like a real relay's hold time, and faults can be injected: unplug/replug,
failing writes, a stuck contact.

A relay may also drive a tower light (green, amber, red lamps on spare channels of the board): the
controller asks for the colour of each screen (`show_tower`); a relay without lamps ignores it, and a
lamp never opens the door nor holds up its pulse (kiosk/workers/relay_board.py).
"""

from __future__ import annotations

import collections
import enum
import logging
import time
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

log = logging.getLogger(__name__)

#: How long the door stays released for one person, and the extra per further person of a party.
OPEN_MS = 3000
EXTRA_PER_PERSON_MS = 1500
MAX_OPEN_MS = 12000
PULSES_KEPT = 100  # the simulated relay's memory of its pulses, for tests and the demo (not for months)


class GateState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    FAULT = "fault"


class Tower(enum.StrEnum):
    """The lamps of a tower light, one lit at a time (None: all off)."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"


def hold_ms(persons: int, open_ms: int = OPEN_MS) -> int:
    return min(open_ms + EXTRA_PER_PERSON_MS * max(persons - 1, 0), MAX_OPEN_MS)


class GateRelay(Protocol):
    """What the controller needs from a relay. Implementations are QObjects with these signals."""

    opened: SignalInstance  # (persons)
    closed: SignalInstance
    fault: SignalInstance  # (message)
    faultCleared: SignalInstance

    @property
    def state(self) -> GateState: ...

    @property
    def description(self) -> str: ...

    def pulse(self, persons: int = 1) -> bool:
        """Release the door for `persons`; False (and a fault signal) when the relay cannot."""
        ...

    def show_tower(self, colour: Tower | None) -> None:
        """Light one tower lamp, or none; never blocks, never fails (a relay without lamps ignores it)."""
        ...

    def close(self) -> None:
        """Lock the door now, put the lamps out and release the device (at exit)."""
        ...


@dataclass(frozen=True, slots=True)
class Pulse:
    at: float  # monotonic seconds
    persons: int
    hold_ms: int


class FakeRelay(QObject):
    """A relay in memory: see the module docstring."""

    opened = Signal(int)
    closed = Signal()
    fault = Signal(str)
    faultCleared = Signal()

    def __init__(
        self, open_ms: int = OPEN_MS, parent: QObject | None = None, *, description: str = "simulated relay"
    ) -> None:
        super().__init__(parent)
        self.open_ms = open_ms
        self._description = description
        self.pulses: collections.deque[Pulse] = collections.deque(maxlen=PULSES_KEPT)
        self._state = GateState.CLOSED
        self._fault: str | None = None
        self._failing_writes = 0
        self._stuck = False
        self._hard_fault = False  # unplugged or stuck: only replug()/stick(False) clears it
        self.tower: Tower | None = None  # the lamp lit (for tests and the demo)
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self._release)

    @property
    def state(self) -> GateState:
        return GateState.FAULT if self._fault else self._state

    @property
    def description(self) -> str:
        return self._description

    @property
    def fault_message(self) -> str | None:
        return self._fault

    # --- what a real relay does -----------------------------------------------------------------------

    def pulse(self, persons: int = 1) -> bool:
        if self._hard_fault and self._fault:
            self.fault.emit(self._fault)  # still broken: say so again, the door stays shut
            return False
        if self._failing_writes:
            self._failing_writes -= 1
            self._set_fault("the relay did not accept the command")
            return False
        if self._fault:  # a write went through again: the flaky link is fine now
            self._clear_fault()
        hold = hold_ms(persons, self.open_ms)
        self.pulses.append(Pulse(time.monotonic(), persons, hold))
        self._state = GateState.OPEN
        self._timer.start(hold)  # a pulse while open extends the hold, like a retriggerable relay
        self.opened.emit(persons)
        return True

    def show_tower(self, colour: Tower | None) -> None:
        self.tower = colour

    def close(self) -> None:
        self._timer.stop()
        self.tower = None
        if self._state is GateState.OPEN:
            self._state = GateState.CLOSED
            self.closed.emit()

    def _release(self) -> None:
        if self._stuck:
            self._hard_fault = True
            self._set_fault("the door contact did not close")
            return
        self._state = GateState.CLOSED
        self.closed.emit()

    # --- faults, as a real board has them -----------------------------------------------------------

    def unplug(self) -> None:
        self._timer.stop()
        self._state = GateState.CLOSED
        self._hard_fault = True
        self._set_fault("the relay board is not connected")

    def replug(self) -> None:
        self._hard_fault = False
        self._clear_fault()

    def fail_next_writes(self, count: int) -> None:
        """The next `count` pulses fail (a flaky USB link); the first one that works clears the fault."""
        self._failing_writes = count

    def stick(self, stuck: bool = True) -> None:
        """The contact does not close after the next hold time."""
        self._stuck = stuck
        if not stuck and self._fault == "the door contact did not close":
            self._state = GateState.CLOSED
            self._hard_fault = False
            self._clear_fault()

    def _set_fault(self, message: str) -> None:
        first = self._fault is None
        self._fault = message
        if first:
            log.warning("gate relay fault: %s", message)
        self.fault.emit(message)

    def _clear_fault(self) -> None:
        if self._fault is not None:
            self._fault = None
            log.info("gate relay works again")
            self.faultCleared.emit()
