"""The sync in its own process (kiosk/sync/process.py) against the real server on loopback: a sync end to
end, errors that keep their meaning, the child's log in the kiosk's log, a child killed or hung in the
middle of a sync (a failed attempt, then a new child that finishes the job), a prompt interrupt."""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from kiosk.domain.decide import Presentation
from kiosk.domain.model import Verdict
from kiosk.domain.payload import parse_payload
from kiosk.runtime import cpus
from kiosk.store.db import KioskStore, StoreError
from kiosk.store.times import to_text
from kiosk.sync import process
from kiosk.sync.client import NotEnrolledError, SyncResult, TransientError, enrol
from kiosk.sync.process import NICE, PROCESS_NAME, RemoteError, SyncProcess, SyncProcessError, _Failure
from tests.server.support import FAULT_TOKEN, Admin, ServerProcess, booking, codes, now

#: The server's hold for its "timeout" fault as started by the fixture (--fault-timeout).
FIXTURE_HOLD_S = 1.5
HOLD_S = 4.0
#: The hold of a page that a test ends the sync in the middle of (killed child, hung child, interrupt):
#: "it ended before the page came back" is then an order of events with a wide margin, not a stopwatch.
LONG_HOLD_S = 15.0


def enrolled_path(tmp_path: Path, server: ServerProcess, admin: Admin, count: int = 3) -> tuple[Path, list[str]]:
    office = admin.office()
    issued = codes("PR", count)
    admin.load([booking(code, f"{office}-{code}", office) for code in issued])
    path = tmp_path / "kiosk.db"
    with KioskStore.open(path) as store:
        enrol(store, server.url, admin.enrol(office), "G1")
    return path, issued


@contextmanager
def held_pages(server: ServerProcess, count: int = 1, hold_s: float = HOLD_S) -> Iterator[None]:
    """The next `count` booking pages are answered only after `hold_s` seconds."""
    server.faults(rules=[{"kind": "timeout", "path": "/v1/bookings", "count": count}], timeout_s=hold_s)
    try:
        yield
    finally:
        server.faults(rules=[], timeout_s=FIXTURE_HOLD_S)


def pages_held(server: ServerProcess) -> int:
    """How many requests the server has held back so far (its fault counters; this changes nothing)."""
    response = httpx.get(f"{server.url}/_faults", headers={"X-Fault-Token": FAULT_TOKEN}, timeout=5)
    response.raise_for_status()
    return int(response.json()["injected"].get("timeout", 0))


@contextmanager
def once_a_page_is_held(server: ServerProcess, action: object) -> Iterator[None]:
    """Run `action()` on a helper thread as soon as the server holds a booking page back: the child is
    then in the middle of a sync, however long a loaded machine took to get there (joined on the way out)."""
    before = pages_held(server)

    def wait_then_act() -> None:
        deadline = time.monotonic() + 60
        while pages_held(server) == before and time.monotonic() < deadline:
            time.sleep(0.02)
        action()  # type: ignore[operator]

    thread = threading.Thread(target=wait_then_act, name="later")
    thread.start()
    try:
        yield
    finally:
        thread.join(90)


def test_a_sync_in_its_own_process_end_to_end(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    path, issued = enrolled_path(tmp_path, calm_server, admin)
    with SyncProcess(path, client_options={"timeout_s": 10}) as runner:
        result = runner.sync_once()
        assert isinstance(result, SyncResult)
        assert (result.bookings, result.complete) == (3, True)
        child = runner.pid
        assert child is not None and child != os.getpid()
        expected_nice = min(os.getpriority(os.PRIO_PROCESS, 0) + NICE, 19)
        assert os.getpriority(os.PRIO_PROCESS, child) == expected_nice
        status = runner.status()
        assert status.enrolled and status.data_as_of is not None and status.last_error is None
        assert runner.check_clock() == 0.0
        assert runner.sync_once().bookings == 0  # the same child again: nothing new
        assert runner.pid == child
        with KioskStore.open(path) as gate:
            decision = gate.decisions.decide_only(Presentation(parse_payload(issued[0])), now())
            assert decision.verdict is Verdict.ADMIT
    assert runner.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)


def test_errors_keep_their_meaning(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    alone = tmp_path / "alone.db"
    KioskStore.open(alone).close()
    with SyncProcess(alone) as runner, pytest.raises(NotEnrolledError, match="not enrolled"):
        runner.sync_once()
    path, _ = enrolled_path(tmp_path, calm_server, admin)
    with SyncProcess(path, client_options={"timeout_s": 10}) as runner:
        calm_server.faults(rules=[{"kind": "429", "path": "/v1/events", "count": 1}])
        with pytest.raises(TransientError, match="429") as caught:
            runner.sync_once()
        assert caught.value.retry_after_s == 1.0
        assert runner.sync_once().complete  # the same child goes on


def test_failures_cross_the_pipe_as_what_they_were() -> None:
    assert isinstance(_Failure.of(StoreError("the disk is full")).rebuild(), StoreError)
    other = _Failure.of(KeyError("x")).rebuild()
    assert isinstance(other, RemoteError) and str(other) == "KeyError: 'x'"
    transient = _Failure.of(TransientError("server answered 503", 7.0)).rebuild()
    assert isinstance(transient, TransientError) and transient.retry_after_s == 7.0


def test_a_database_the_child_cannot_open_is_a_store_error(tmp_path: Path) -> None:
    with SyncProcess(tmp_path / "missing.db") as runner, pytest.raises(StoreError, match="no kiosk database"):
        runner.sync_once()


def test_what_the_child_logs_reaches_the_kiosk_log(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, _ = enrolled_path(tmp_path, calm_server, admin)
    with KioskStore.open(path) as store:  # a last sync "tomorrow": the clock was set back
        store.settings.set_sync_state(last_success_at=to_text(now() + dt.timedelta(days=1)))
    with caplog.at_level(logging.INFO, logger="kiosk"), SyncProcess(path) as runner:
        runner.start()
    [record] = [r for r in caplog.records if "before the last sync" in r.getMessage()]
    assert record.name == "kiosk.sync.clockwatch" and record.levelno == logging.WARNING
    assert record.processName == PROCESS_NAME


def test_a_child_killed_mid_sync_is_a_failed_attempt_and_the_next_one_finishes(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    path, _ = enrolled_path(tmp_path, calm_server, admin, count=120)  # three pages of 50
    with SyncProcess(path, client_options={"timeout_s": 30}) as runner:
        runner.start()
        first = runner.pid
        assert first is not None
        with (
            held_pages(calm_server, hold_s=LONG_HOLD_S),
            once_a_page_is_held(calm_server, lambda: os.kill(first, signal.SIGKILL)),
        ):
            began = time.monotonic()
            with pytest.raises(SyncProcessError, match=r"ended unexpectedly \(exit code -9\)"):
                runner.sync_once()
            assert time.monotonic() - began < LONG_HOLD_S  # noticed the death, not the page's answer
        assert runner.pid is None
        result = runner.sync_once()  # a new child, from the cursor the old one left
        assert result.complete
        assert runner.pid not in (None, first)
        status = runner.status()
    assert status.data_as_of is not None and status.outbox_pending == 0
    with KioskStore.open(path) as store:
        assert store.bookings.count() == 120


def test_a_hung_child_is_ended(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    path, _ = enrolled_path(tmp_path, calm_server, admin)
    with SyncProcess(path, client_options={"timeout_s": 30}, idle_timeout_s=0.8) as runner:
        runner.start()
        first = runner.pid
        with held_pages(calm_server, hold_s=LONG_HOLD_S):
            began = time.monotonic()
            with pytest.raises(SyncProcessError, match="did not answer within 1 s"):
                runner.sync_once()
            assert time.monotonic() - began < LONG_HOLD_S  # ended at its idle timeout, before the page came
        assert runner.pid is None
        assert first is not None
        with pytest.raises(ProcessLookupError):
            os.kill(first, 0)
        # the next child, with a wait that tells a hang from a loaded machine (its niced child can go
        # without CPU for far longer than 0.8 s while other work runs)
        runner.idle_timeout_s = 60.0
        assert runner.sync_once().complete


def test_interrupt_ends_a_sync_at_once_and_refuses_more(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    path, _ = enrolled_path(tmp_path, calm_server, admin)
    with SyncProcess(path, client_options={"timeout_s": 30}) as runner:
        runner.start()
        with held_pages(calm_server, hold_s=LONG_HOLD_S), once_a_page_is_held(calm_server, runner.interrupt):
            began = time.monotonic()
            with pytest.raises(SyncProcessError, match="stopped"):
                runner.sync_once()
            # at once: not after the held page (and the child had its default idle timeout of minutes)
            assert time.monotonic() - began < LONG_HOLD_S
        assert runner.pid is None
        with pytest.raises(SyncProcessError, match="stopping"):
            runner.status()


def test_the_child_keeps_to_the_background_cpu(tmp_path: Path) -> None:
    """The sync's process keeps to the last CPU (with two CPUs or more), off the deciding thread's."""
    path = tmp_path / "kiosk.db"
    KioskStore.open(path).close()
    available = cpus.available_cpus()
    with SyncProcess(path) as runner:
        runner.start()
        assert runner.pid is not None
        assert os.sched_getaffinity(runner.pid) == (cpus.background_cpus(available) or available)


def test_a_waiting_call_sleeps_until_the_child_speaks(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    """While the child works on a page held for HOLD_S, the kiosk's waiting thread does not wake to
    look at interrupt() (it used to every 0.1 s, each time taking the GIL from the scans); only the
    child's notes and its answer wake it."""
    path, _ = enrolled_path(tmp_path, calm_server, admin)
    wakes: list[int] = []

    def sync_and_count() -> None:
        before = resource.getrusage(resource.RUSAGE_THREAD).ru_nvcsw
        runner.sync_once()
        wakes.append(resource.getrusage(resource.RUSAGE_THREAD).ru_nvcsw - before)

    with SyncProcess(path, client_options={"timeout_s": 30}) as runner:
        runner.start()
        with held_pages(calm_server):
            thread = threading.Thread(target=sync_and_count)
            thread.start()
            thread.join(30)
    assert len(wakes) == 1
    assert wakes[0] <= 12  # polling: 40 or more in the hold of 4 s


def test_close_of_an_idle_child_is_prompt(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    KioskStore.open(path).close()
    runner = SyncProcess(path)
    runner.start()
    child = runner.pid
    assert child is not None
    began = time.monotonic()
    runner.close(timeout_s=60)
    assert time.monotonic() - began < 30  # the child ended when asked, not when close() gave up on it
    assert runner.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)


def test_progress_notes_are_sent_at_most_once_per_interval() -> None:
    """Each note wakes the kiosk's process (and takes the GIL from a scan): a first sync makes
    progress some 30 times a second, the idle timeout it feeds is minutes long."""
    kiosk_end, child_end = multiprocessing.Pipe()
    now = [100.0]
    sender = process._Sender(child_end, progress_every_s=1.0, clock=lambda: now[0])
    for _ in range(50):
        sender.progress()
        now[0] += 0.01  # 50 pages in 0.5 s
    now[0] = 101.0
    sender.progress()
    sender.progress()
    received = []
    while kiosk_end.poll(0.1):
        received.append(kiosk_end.recv())
    assert received == [("progress", 0, None), ("progress", 0, None)]
    kiosk_end.close()
    child_end.close()
