"""Project-wide test rules: no test may leave a thread running."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Qt must import in every run: a missing Qt library fails the whole run here instead of skipping the
# screen tests. Importing kiosk.ui also guards against PySide6 6.12's reference-count leak on None/True
# (see kiosk/workers/qtfix.py), which otherwise aborts long runs with "none_dealloc".
import kiosk.ui  # noqa: F401


def _running(thread: threading.Thread) -> bool:
    """Whether a thread still runs. A QThread that logs gets a `_DummyThread` entry, which Python 3.11
    reports alive forever, even after the QThread ended; for those, ask the kernel whether the native
    thread still exists (where /proc tells; elsewhere trust Python)."""
    if not isinstance(thread, threading._DummyThread):
        return thread.is_alive()
    tasks = Path("/proc/self/task")
    return not tasks.is_dir() or (tasks / str(thread.native_id)).exists()


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Fail any test that leaves a Python thread running after it ends (Qt threads are checked in workers)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2.0
    leaked: list[threading.Thread] = []
    while time.monotonic() < deadline:
        leaked = [t for t in threading.enumerate() if t not in before and _running(t)]
        if not leaked:
            return
        time.sleep(0.02)
    pytest.fail(f"test left threads running: {[t.name for t in leaked]}")
