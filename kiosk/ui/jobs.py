"""How the screens reach the database without touching it: jobs handed to the worker threads.

A widget describes the work as a function of the KioskStore (usually one of kiosk.store.actions) and
says what to do with the answer; `StoreJobs` runs reads on the reader thread and writes (scans, guard
actions, PIN checks) on the one serialised writer thread. The callbacks run in the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from kiosk.store.db import KioskStore
from kiosk.workers.db_writer import DbWriter

T = TypeVar("T")
Failed = Callable[[BaseException], None]


class Jobs(Protocol):
    def read(self, job: Callable[[KioskStore], T], done: Callable[[T], None], failed: Failed | None = None) -> None:
        """Run a query off the GUI thread; `done(result)` runs in the GUI thread."""
        ...

    def write(self, job: Callable[[KioskStore], T], done: Callable[[T], None], failed: Failed | None = None) -> None:
        """Run a write on the serialised writer thread; `done(result)` runs in the GUI thread."""
        ...


class StoreJobs:
    def __init__(self, writer: DbWriter, reader: DbWriter | None = None) -> None:
        self.writer = writer
        self.reader = reader or writer

    def read(self, job: Callable[[KioskStore], T], done: Callable[[T], None], failed: Failed | None = None) -> None:
        self.reader.submit(job, done, failed)

    def write(self, job: Callable[[KioskStore], T], done: Callable[[T], None], failed: Failed | None = None) -> None:
        self.writer.submit(job, done, failed)
