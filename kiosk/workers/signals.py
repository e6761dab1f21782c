"""Stopping the kiosk cleanly on SIGTERM (systemd's stop, `kill`) and SIGINT (Ctrl-C) while Qt runs.

Without this, SIGTERM ends the process at once: a door released for an admission stays released until
its relay board loses power, systemd never hears STOPPING=1, and the database is not closed. With it,
the signal ends Qt's event loop, and the code after `exec()` runs the kiosk's own stop path
(kiosk/app.py `run`: STOPPING=1, the relay's door channel switched off even in the middle of a hold,
the database threads joined and the database closed), and the kiosk exits 0.

A Python signal handler only runs when the interpreter runs Python code, and Qt's event loop may wait
in C++ for ever. So the handler itself does nothing but note the signal; what wakes the event loop is
`signal.set_wakeup_fd`: the interpreter's C-level handler writes the signal's number to one end of a
socket pair, and a QSocketNotifier on the other end calls back on the screen thread, where
`SignalWatch.caught` is emitted. `exit_on_signals` ends the event loop there with
QCoreApplication.exit(0), not quit(): since Qt 6.7 quit() first asks every window to close, and the
applicant's window refuses in kiosk mode (closing it needs a guard's PIN). exit() also ends a nested
event loop (a dialog's).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QSocketNotifier, Signal

log = logging.getLogger(__name__)

#: The signals that stop the kiosk: systemd's (and kill's) SIGTERM, and Ctrl-C in a terminal.
STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT)

_Handler = Callable[[int, FrameType | None], Any] | int | None


class SignalWatch(QObject):
    """Turns the `signals` into the Qt signal `caught(signum)` on the thread that installed it.

    `install()` (main thread only) sets the handlers and the wakeup socket; `uninstall()` puts back the
    handlers and the wakeup file descriptor that were there before. `received` is the first signal
    caught since `install()`, noted even when no event loop runs yet (the caller then need not start one).
    """

    caught = Signal(int)

    def __init__(self, signals: Sequence[int] = STOP_SIGNALS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.signals = tuple(signal.Signals(s) for s in signals)
        self.received: signal.Signals | None = None
        self._reader: socket.socket | None = None
        self._writer: socket.socket | None = None
        self._notifier: QSocketNotifier | None = None
        self._old_handlers: dict[signal.Signals, _Handler] = {}
        self._old_wakeup_fd = -1

    @property
    def installed(self) -> bool:
        return self._notifier is not None

    def install(self) -> bool:
        """Watch the signals; False (logged) when this is not the main thread, where Python cannot."""
        if self.installed:
            return True
        if threading.current_thread() is not threading.main_thread():
            log.warning("signals can only be watched from the main thread: %s stays as it is", self._names())
            return False
        self.received = None
        reader, writer = socket.socketpair()
        for end in (reader, writer):
            end.setblocking(False)  # set_wakeup_fd needs it; a full socket must never block the handler
        self._reader, self._writer = reader, writer
        self._old_wakeup_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        self._old_handlers = {sig: signal.signal(sig, self._note) for sig in self.signals}
        notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, self)
        notifier.activated.connect(self._wake)
        self._notifier = notifier
        return True

    def uninstall(self) -> None:
        """The handlers and the wakeup file descriptor as they were before `install()`."""
        if self._notifier is None:
            return
        for sig, handler in self._old_handlers.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        self._old_handlers = {}
        signal.set_wakeup_fd(self._old_wakeup_fd)
        self._notifier.setEnabled(False)
        self._notifier.deleteLater()
        self._notifier = None
        for end in (self._reader, self._writer):
            if end is not None:
                end.close()
        self._reader = self._writer = None

    def _names(self) -> str:
        return ", ".join(sig.name for sig in self.signals)

    def _note(self, signum: int, _frame: FrameType | None) -> None:
        """The Python-level handler: it runs whenever Python code next runs, often before `_wake`."""
        if self.received is None:
            self.received = signal.Signals(signum)

    def _wake(self) -> None:
        """The screen thread: the C-level handler wrote the numbers of the signals to the socket."""
        if self._reader is None:
            return
        try:
            numbers = self._reader.recv(256)
        except (BlockingIOError, InterruptedError):
            return
        for number in numbers:
            if number in self.signals:
                sig = signal.Signals(number)
                if self.received is None:
                    self.received = sig
                self.caught.emit(int(sig))


@contextlib.contextmanager
def exit_on_signals(app: QCoreApplication, signals: Sequence[int] = STOP_SIGNALS) -> Iterator[SignalWatch]:
    """While inside: each of `signals` ends the application's event loop with exit code 0.

    A signal that comes before the event loop runs is kept in `watch.received`: start the loop with
    `run_event_loop(app, watch)`, which then does not start it at all."""
    watch = SignalWatch(signals)
    watch.caught.connect(lambda signum: _exit(app, signum))
    watch.install()
    try:
        yield watch
    finally:
        watch.uninstall()
        watch.deleteLater()


def run_event_loop(app: QCoreApplication, watch: SignalWatch) -> int:
    """`app.exec()`, unless one of the watched signals came already (exit code 0 then)."""
    if watch.received is not None:
        log.info("%s before the event loop ran: stopping", watch.received.name)
        return 0
    return int(app.exec())


def _exit(app: QCoreApplication, signum: int) -> None:
    log.info("%s: stopping the kiosk", signal.Signals(signum).name)
    app.exit(0)
