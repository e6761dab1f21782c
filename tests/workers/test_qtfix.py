"""The PySide6 emit reference-leak guard: after install, emitting costs True nothing."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

from kiosk.workers import qtfix


class Emitter(QObject):
    ping = Signal(object)


def test_emitting_does_not_drain_true() -> None:
    qtfix.install()
    assert qtfix.emit_drift() == 0
    emitter = Emitter()
    before = sys.getrefcount(True)
    for i in range(5000):
        emitter.ping.emit(i)
    assert sys.getrefcount(True) >= before
