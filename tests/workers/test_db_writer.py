"""The serialised database writer: results come back in the GUI thread, in order, one job at a time;
a failed write is reported (never silently dropped); the GUI thread never waits; the thread stops."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kiosk.domain.model import Reason, Verdict
from kiosk.door import Door, Sighting
from kiosk.runtime import cpus
from kiosk.store.db import KioskStore, StoreError
from kiosk.store.parts.decisions import Decisions
from kiosk.store.recorder import Recorded
from kiosk.workers.db_writer import DbWriter, failure_text
from kiosk.workers.qtfix import fix_pyside_refcounts
from tests.ui.fixtures import ADMIT_CODE, NOW, UNKNOWN_CODE, make_store

fix_pyside_refcounts()  # see kiosk/workers/qtfix.py: PySide6 6.12 on Python 3.11 loses references to None and True


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KioskStore]:
    with make_store(tmp_path / "kiosk.db", guards=False) as opened:
        yield opened


@pytest.fixture
def writer(store: KioskStore) -> Iterator[DbWriter]:
    started = DbWriter(store)
    started.start()
    yield started
    started.stop()


def test_synchronous_mode_records_at_once(store: KioskStore) -> None:
    writer = DbWriter(store, synchronous=True)
    got: list[Recorded] = []
    ticket = writer.record(Door(store), Sighting(ADMIT_CODE, NOW), got.append)
    (recorded,) = got  # called back before record() returns
    assert isinstance(ticket, int)
    assert recorded.decision.verdict is Verdict.ADMIT
    assert store.decisions.event(recorded.event_uuid) is not None  # on disk when the callback comes
    assert writer.pending == 0


def test_threaded_results_arrive_in_the_gui_thread_in_order(
    writer: DbWriter, store: KioskStore, qtbot: QtBot, qapp: QApplication
) -> None:
    seen: list[tuple[str, bool]] = []
    for code in (UNKNOWN_CODE, ADMIT_CODE):
        writer.record(
            Door(store),
            Sighting(code, NOW),
            lambda rec: seen.append((rec.decision.reason.value, QThread.currentThread() is qapp.thread())),
        )
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5000)
    assert seen == [(Reason.UNKNOWN_CODE.value, True), (Reason.OK.value, True)]
    assert store.decisions.outbox_size() == 2


def test_jobs_run_one_at_a_time_off_the_gui_thread(writer: DbWriter, qtbot: QtBot) -> None:
    running = {"now": 0, "most": 0}
    threads: set[str] = set()
    lock = threading.Lock()

    def job(_store: KioskStore) -> int:
        with lock:
            running["now"] += 1
            running["most"] = max(running["most"], running["now"])
        threads.add(threading.current_thread().name)
        time.sleep(0.01)
        with lock:
            running["now"] -= 1
        return 1

    results: list[int] = []
    for _ in range(10):
        writer.submit(job, results.append)
    qtbot.waitUntil(lambda: len(results) == 10, timeout=5000)
    assert running["most"] == 1
    assert threads == {"kiosk-db-writer"}


def test_the_writer_thread_keeps_off_the_sync_process_cpu(writer: DbWriter, qtbot: QtBot) -> None:
    """Scans are decided on this thread: it keeps to the CPUs the sync's process leaves (with two
    CPUs or more; with one, it may use it)."""
    available = cpus.available_cpus()
    results: list[set[int]] = []
    writer.submit(lambda _store: os.sched_getaffinity(0), results.append)
    qtbot.waitUntil(lambda: len(results) == 1, timeout=5000)
    assert results[0] == (cpus.foreground_cpus(available) or available)
    assert os.sched_getaffinity(0) == available  # the GUI thread keeps every CPU


def test_the_gui_thread_never_waits_for_a_slow_write(writer: DbWriter, store: KioskStore, qtbot: QtBot) -> None:
    """No stopwatch: the slow write cannot end until this (GUI) thread lets it, after submit() and
    record() have returned. Had either waited for the job, the job would give up waiting (False)."""
    done: list[object] = []
    let_go = threading.Event()
    writer.submit(lambda _store: let_go.wait(30), done.append)
    writer.record(Door(store), Sighting(ADMIT_CODE, NOW), done.append)
    assert writer.pending == 2 and done == []  # both calls are back, neither job has finished
    let_go.set()
    qtbot.waitUntil(lambda: len(done) == 2, timeout=10000)
    assert done[0] is True  # the slow write was let go by this thread, not by its own timeout


def test_a_failed_write_is_reported_not_dropped(
    writer: DbWriter, store: KioskStore, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_args: object, **_kwargs: object) -> Recorded:
        raise StoreError("the disk holding kiosk.db is full; free some space")

    monkeypatch.setattr(Decisions, "record", full)
    errors: list[BaseException] = []
    done: list[object] = []
    writer.record(Door(store), Sighting(ADMIT_CODE, NOW), done.append, errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert failure_text(errors[0]) == "the disk holding kiosk.db is full; free some space"
    assert done == [] and isinstance(errors[0], StoreError)


def test_any_exception_in_a_job_goes_to_its_failed_callback(writer: DbWriter, qtbot: QtBot) -> None:
    errors: list[BaseException] = []

    def broken(_store: KioskStore) -> None:
        raise ValueError("bug")

    writer.submit(broken, lambda _r: None, errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], ValueError)
    results: list[int] = []
    writer.submit(lambda _store: 7, results.append)  # the thread goes on
    qtbot.waitUntil(lambda: results == [7], timeout=5000)


def test_jobs_submitted_before_start_run_once_started(store: KioskStore, qtbot: QtBot) -> None:
    writer = DbWriter(store)
    results: list[int] = []
    writer.submit(lambda s: s.bookings.count(), results.append)
    writer.start()
    try:
        qtbot.waitUntil(lambda: results == [10], timeout=5000)
    finally:
        writer.stop()


def test_stop_finishes_queued_jobs_and_joins_the_thread(store: KioskStore) -> None:
    writer = DbWriter(store)
    writer.start()
    finished: list[int] = []
    for n in range(3):
        writer.submit(lambda _store, n=n: finished.append(n))
    writer.stop()
    assert finished == [0, 1, 2]
    assert not writer.running
    assert "kiosk-db-writer" not in {t.name for t in threading.enumerate()}
    with pytest.raises(RuntimeError, match="stopped"):
        writer.submit(lambda _store: None)
