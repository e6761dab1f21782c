"""A guard against a reference-count bug in PySide6 6.12 on Python 3.11: `SignalInstance.emit()` returns
True without owning a reference, so every emit takes one reference from True, and after a few thousand
emits the interpreter aborts ("bool_dealloc: deallocating True or False"). Python 3.12+ makes True
immortal, and a fixed PySide6 stops the drift; until then a kiosk emitting 30 previews a second would
crash within a minute.

`install()` measures the drift once and, only when it is there, wraps `emit` to give the reference
back. Idempotent; a no-op where PySide6 is correct.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

PROBES = 16

_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None

_installed = False


class _Probe(QObject):
    ping = Signal()


def emit_drift() -> int:
    """References True loses per emit (0 on a correct PySide6)."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(PROBES):
        probe.ping.emit()
    lost = before - sys.getrefcount(True)
    return max(0, round(lost / PROBES))


def install() -> bool:
    """Wrap SignalInstance.emit when it leaks; True when the wrapper is (now or already) in place."""
    global _installed  # noqa: PLW0603 - one process-wide patch, applied once
    if _installed:
        return True
    drift = emit_drift()
    if drift == 0:
        return False
    original = SignalInstance.emit

    def emit(self: SignalInstance, *args: Any) -> Any:
        result = original(self, *args)
        for _ in range(drift):
            _incref(True)
        return result

    SignalInstance.emit = emit  # type: ignore[method-assign]
    _installed = True
    return True
