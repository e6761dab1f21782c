"""The PySide6-on-Python-3.11 refcount guard: after it, no number of PySide6 calls can free None or True."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QTimer, Signal

from kiosk.workers.qtfix import IMMORTAL, fix_pyside_refcounts, refcount_leak


class _Sender(QObject):
    changed = Signal(object)


def test_none_and_true_cannot_reach_zero_references() -> None:
    leaking = any(refcount_leak().values())
    assert fix_pyside_refcounts() is (leaking and sys.version_info < (3, 12))
    if leaking:
        assert sys.getrefcount(None) > IMMORTAL // 2 and sys.getrefcount(True) > IMMORTAL // 2
    sender = _Sender()
    timer = QTimer()
    for n in range(20_000):  # well beyond what once crashed a test run
        sender.changed.emit(n)
        timer.setInterval(n)
    assert sys.getrefcount(None) > 1_000 and sys.getrefcount(True) > 1_000
