"""A USB keyboard-wedge scanner as a second input: it "types" the code and Enter, very fast.

An application-wide event filter watches every key press whatever widget has focus, and a pure parser
tells a scanner from a person by rhythm: a burst of printable keys, each within `max_gap_s` of the last,
ended by Enter, is a code; people type ten times slower. The filter only watches (the keys still reach
the focused widget), except the Enter that ends a recognised code, which it swallows so it cannot also
press a default button.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal
from PySide6.QtGui import QKeyEvent

TERMINATORS = ("\r", "\n")


class WedgeParser:
    """Keystrokes with their times in, codes out; see the module docstring. Time is passed in.

    Bursts shorter than `min_length` are ignored: a key and Enter pressed together by a person.
    """

    def __init__(self, max_gap_s: float = 0.05, min_length: int = 4, max_length: int = 512) -> None:
        self.max_gap_s, self.min_length, self.max_length = max_gap_s, min_length, max_length
        self._buffer: list[str] = []
        self._last = 0.0

    def key(self, text: str, now: float) -> str | None:
        """Feed one key press's text (empty for Shift and other modifiers); a code when a burst ends."""
        if not text:
            return None  # modifiers: a scanner presses Shift for capitals
        if text in TERMINATORS:
            return self._finish(now)
        if len(text) != 1 or not text.isprintable():
            self.reset()  # Tab, Backspace, arrows: a person editing, not a scanner
            return None
        if self._buffer and now - self._last > self.max_gap_s:
            self._buffer.clear()
        self._buffer.append(text)
        self._last = now
        if len(self._buffer) > self.max_length:
            self.reset()
        return None

    def reset(self) -> None:
        self._buffer.clear()

    def _finish(self, now: float) -> str | None:
        fast = bool(self._buffer) and now - self._last <= self.max_gap_s
        code = "".join(self._buffer) if fast and len(self._buffer) >= self.min_length else None
        self.reset()
        return code


class KeyboardWedge(QObject):
    """Application-wide key watcher emitting `codeTyped` for each scanner burst; see the module docstring.

    Key times come from the window system's event timestamps when it gives them, else from `clock`.
    """

    codeTyped = Signal(str)  # noqa: N815 - Qt naming

    def __init__(
        self,
        parser: WedgeParser | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        use_event_time: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.parser = parser or WedgeParser()
        self._clock = clock
        self._use_event_time = use_event_time
        self._app: QCoreApplication | None = None

    def install(self, app: QCoreApplication | None = None) -> None:
        """Watch every key press of `app` (the running application by default)."""
        target = app or QCoreApplication.instance()
        if target is None:
            raise RuntimeError("no Qt application to watch")
        target.installEventFilter(self)
        self._app = target

    def uninstall(self) -> None:
        if self._app is not None:
            self._app.removeEventFilter(self)
            self._app = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Count each physical key press once: at its first widget (propagated copies are not spontaneous)."""
        if event.type() != QEvent.Type.KeyPress or not watched.isWidgetType() or not event.spontaneous():
            return False
        if not isinstance(event, QKeyEvent) or event.isAutoRepeat():
            return False
        code = self.parser.key(event.text(), self._time(event))
        if code is None:
            return False
        self.codeTyped.emit(code)
        return True

    def _time(self, event: QKeyEvent) -> float:
        stamp = event.timestamp() if self._use_event_time else 0
        return stamp / 1000.0 if stamp else self._clock()
