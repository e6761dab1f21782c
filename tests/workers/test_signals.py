"""SIGTERM and SIGINT while Qt's event loop runs (kiosk/workers/signals.py): the signal reaches the screen
thread through the wakeup socket, and the handlers are as before once the watch ends.

The signals are real (os.kill on this process). The application's exit() is not called here: it would
end every event loop of the test process for good; tests/e2e/test_sigterm.py runs the kiosk in a child
process and stops it with SIGTERM."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from typing import cast

import pytest
from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from kiosk.workers.signals import STOP_SIGNALS, SignalWatch, exit_on_signals, run_event_loop


def _wakeup_fd() -> int:
    fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(fd)
    return fd


@pytest.fixture
def watch(qtbot: QtBot) -> Iterator[SignalWatch]:
    before = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    fd_before = _wakeup_fd()
    watch = SignalWatch()
    assert watch.install() and watch.installed
    yield watch
    watch.uninstall()
    assert not watch.installed
    assert {sig: signal.getsignal(sig) for sig in STOP_SIGNALS} == before
    assert _wakeup_fd() == fd_before


@pytest.mark.parametrize("sig", STOP_SIGNALS)
def test_a_stop_signal_reaches_the_screen_thread(watch: SignalWatch, qtbot: QtBot, sig: signal.Signals) -> None:
    with qtbot.waitSignal(watch.caught, timeout=10_000) as caught:
        os.kill(os.getpid(), sig)  # SIGTERM would end the process, SIGINT raise KeyboardInterrupt, unwatched
    assert caught.args == [int(sig)]
    assert watch.received is sig


def test_every_signal_is_told(watch: SignalWatch, qtbot: QtBot) -> None:
    got: list[int] = []
    watch.caught.connect(got.append)
    os.kill(os.getpid(), signal.SIGTERM)
    qtbot.waitUntil(lambda: got == [signal.SIGTERM], timeout=10_000)
    os.kill(os.getpid(), signal.SIGINT)  # a second one (while stopping) is told too; the first stays noted
    qtbot.waitUntil(lambda: got == [signal.SIGTERM, signal.SIGINT], timeout=10_000)
    assert watch.received is signal.SIGTERM


def test_only_the_main_thread_can_watch(qtbot: QtBot) -> None:
    results: list[bool] = []
    watch = SignalWatch()
    thread = threading.Thread(target=lambda: results.append(watch.install()))
    thread.start()
    thread.join()
    assert results == [False] and not watch.installed
    watch.uninstall()  # nothing to undo


class _App:
    """Stands for the QApplication: records exit() and exec() instead of ending event loops."""

    def __init__(self) -> None:
        self.exits: list[int] = []
        self.execs = 0

    def exit(self, code: int) -> None:
        self.exits.append(code)

    def exec(self) -> int:
        self.execs += 1
        return 7


def test_exit_on_signals_ends_the_event_loop_with_0(qtbot: QtBot) -> None:
    app = _App()
    before = signal.getsignal(signal.SIGTERM)
    with exit_on_signals(cast(QCoreApplication, app)) as watch:
        assert watch.installed
        os.kill(os.getpid(), signal.SIGTERM)
        qtbot.waitUntil(lambda: app.exits == [0], timeout=10_000)
        assert run_event_loop(cast(QCoreApplication, app), watch) == 0  # a signal came: no loop at all
        assert app.execs == 0
    assert signal.getsignal(signal.SIGTERM) == before


def test_without_a_signal_the_event_loop_runs(qtbot: QtBot) -> None:
    app = _App()
    with exit_on_signals(cast(QCoreApplication, app)) as watch:
        assert run_event_loop(cast(QCoreApplication, app), watch) == 7
    assert app.execs == 1 and app.exits == []
