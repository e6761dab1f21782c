"""A guard against a PySide6 reference-count mismatch that crashes a long-running kiosk on Python 3.11.

PySide6 6.12 returns `None`, `True` and `False` from its functions without taking a reference to them,
as is correct only from Python 3.12 on, where those objects are immortal. On Python 3.11 every call of
a method that returns nothing (`label.setText(...)`, `timer.start()`, ...) and every `signal.emit(...)`
made from Python lowers the reference count of `None` or `True` by one. After some tens of thousands of
calls (minutes of a kiosk showing a live preview) the count reaches zero and the interpreter aborts:
"Fatal Python error: none_dealloc" (or bool_dealloc).

`fix_pyside_refcounts()` measures the mismatch and, only when it is there, does what Python 3.12 does:
it gives those few singletons a reference count so large that it can never reach zero (2**60, about
10**18 calls). Nothing else changes; a PySide6 or Python without the mismatch is left alone. Safe to call
more than once. It must run before the first window is shown or the first worker emits: kiosk.workers and
kiosk.ui both run it when imported.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

PROBES = 16
IMMORTAL = 1 << 60
#: The objects Python 3.12 made immortal that PySide6 hands out without a reference.
SINGLETONS: tuple[object, ...] = (None, True, False, NotImplemented, Ellipsis)
_state: dict[str, bool] = {}


class _Probe(QObject):
    ping = Signal(int)


def refcount_leak() -> dict[str, int]:
    """References lost per call: of None by a void method, of True by a Python emit (0: no mismatch)."""
    probe = _Probe()
    emit: Callable[..., Any] = probe.ping.emit  # typed as returning None; PySide6 returns a bool
    result: Any = None
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for n in range(PROBES):
        probe.setObjectName(f"probe{n}")  # a void method
        result = emit(1)
    del result
    lost = {
        "None": round((none_before - sys.getrefcount(None)) / PROBES),
        "True": round((true_before - sys.getrefcount(True)) / PROBES),
    }
    probe.deleteLater()
    return lost


def fix_pyside_refcounts() -> bool:
    """Make the singletons immortal when this PySide6 loses references to them; True when applied."""
    if "applied" in _state:
        return _state["applied"]
    applied = False
    if sys.version_info < (3, 12) and any(refcount_leak().values()):
        for singleton in SINGLETONS:
            # ob_refcnt is the first field of every CPython object (release builds).
            ctypes.c_ssize_t.from_address(id(singleton)).value += IMMORTAL
        applied = True
        log.info("PySide6 loses references to None/True on Python 3.11; made them immortal as in 3.12")
    _state["applied"] = applied
    return applied
