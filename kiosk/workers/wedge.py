"""A USB keyboard-wedge scanner as a second input: it "types" the code and Enter, very fast.

An event filter on each of the application's windows watches every key press whatever widget has focus,
and a pure parser tells a scanner from a person by rhythm: a burst of printable keys, each within
`max_gap_s` of the last, ended by Enter, is a code; people type ten times slower. The filter only watches
(the keys still reach the focused widget), except the Enter that ends a recognised code, which it
swallows so it cannot also press a default button.

The filter sits on the windows (QWindow), not on the application: Qt hands a key press to the window
first and the window passes it on to its focus widget, so the window's filter sees each key once, before
any widget. An application-wide filter would also be called, in Python and holding the GIL, for every
other event of every object (timers, paints, queued signals from the worker threads): about 150 times
a second in the demo. Windows that appear later are picked up when the focus moves (a window gets keys
only once it has the focus) and when a modal dialog opens over a watched window.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QWindow
from shiboken6 import isValid

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
    """Key watcher on every window of the application, emitting `codeTyped` for each scanner burst; see the
    module docstring.

    Key times come from the window system's event timestamps when it gives them, else from `clock`.
    """

    codeTyped = Signal(str)

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
        self._app: QGuiApplication | None = None
        self._windows: list[QWindow] = []

    def install(self, app: QGuiApplication | None = None) -> None:
        """Watch every key press in the windows of `app` (the running application by default)."""
        target = app or QGuiApplication.instance()
        if not isinstance(target, QGuiApplication):
            raise RuntimeError("no Qt GUI application to watch")
        if self._app is not None:
            return
        self._app = target
        target.focusWindowChanged.connect(self._watch_windows)
        self._watch_windows()

    def uninstall(self) -> None:
        if self._app is None:
            return
        self._app.focusWindowChanged.disconnect(self._watch_windows)
        for window in self._windows:
            if isValid(window):  # not destroyed yet
                window.removeEventFilter(self)
        self._windows.clear()
        self._app = None

    def watched_windows(self) -> list[QWindow]:
        """The windows whose key presses are watched now."""
        return [window for window in self._windows if isValid(window)]

    def _watch_windows(self, focus: QWindow | None = None) -> None:
        """Put the filter on each top-level window (and the focus window) not watched yet; a window keeps
        it until it is destroyed."""
        if self._app is None:
            return
        self._windows = [window for window in self._windows if isValid(window)]
        for window in [*self._app.topLevelWindows(), *([focus] if focus is not None else [])]:
            if not any(window is known for known in self._windows):
                window.installEventFilter(self)
                self._windows.append(window)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Each physical key press, at the window that receives it (before its focus widget)."""
        kind = event.type()
        if kind == QEvent.Type.WindowBlocked:  # a modal dialog opened over this window: watch it too
            self._watch_windows()
            return False
        if kind != QEvent.Type.KeyPress or not event.spontaneous():
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
