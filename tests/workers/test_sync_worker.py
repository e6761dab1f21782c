"""The sync worker: synchronous mode (run_once on the test's thread) and on its own QThread with "sync
now", backoff after failures, and a clean stop; the client in its own process (the default) or on the
worker's thread, and the fall-back from the one to the other."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk.store.db import KioskStore
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import enrol
from kiosk.sync.process import SyncProcess, SyncProcessStartError
from kiosk.sync.state import SyncStatus
from kiosk.workers.sync_worker import SyncOutcome, SyncThread, SyncWorker
from tests.server.conftest import admin, backend, calm_server, server, server_db
from tests.server.support import Admin, ServerProcess, booking, codes

__all__ = ["admin", "backend", "calm_server", "server", "server_db"]


def enrolled_path(tmp_path: Path, server: ServerProcess, admin: Admin) -> Path:
    office = admin.office()
    admin.load([booking(code, f"{office}-{code}", office) for code in codes("WK", 3)])
    path = tmp_path / f"kiosk-{secrets.token_hex(2)}.db"
    with KioskStore.open(path) as store:
        enrol(store, server.url, admin.enrol(office), "G1")
    return path


@pytest.mark.parametrize("separate_process", [True, False], ids=["process", "thread"])
def test_synchronous_mode(calm_server: ServerProcess, admin: Admin, tmp_path: Path, separate_process: bool) -> None:
    path = enrolled_path(tmp_path, calm_server, admin)
    worker = SyncWorker(
        lambda: KioskStore.open(path),
        interval_s=30,
        backoff=Backoff(base_s=1, cap_s=8),
        separate_process=separate_process,
    )
    statuses: list[SyncStatus] = []
    worker.status_changed.connect(statuses.append)
    try:
        outcome = worker.run_once()
        assert outcome.ok and outcome.result is not None and outcome.result.bookings == 3
        assert outcome.next_in_s == 30
        assert [s.syncing for s in statuses] == [True, False]
        assert statuses[-1].data_as_of is not None and statuses[-1].outbox_pending == 0
        calm_server.faults(rules=[{"kind": "503", "path": "/v1/events", "count": 1}])
        failed = worker.run_once()
        assert not failed.ok and "503" in failed.error
        assert failed.next_in_s is not None and 1 <= failed.next_in_s <= 2
        assert "last sync failed" in statuses[-1].summary(statuses[-1].last_attempt_at)  # type: ignore[arg-type]
        assert worker.run_once().ok and worker.backoff.failures == 0
        assert worker.check_clock() == 0.0
    finally:
        worker.close()


def test_not_enrolled_stops_retrying(tmp_path: Path) -> None:
    path = tmp_path / "alone.db"
    worker = SyncWorker(lambda: KioskStore.open(path))
    try:
        outcome = worker.run_once()
        assert not outcome.ok and outcome.next_in_s is None and "not enrolled" in outcome.error
        assert worker.check_clock() == 0.0
    finally:
        worker.close()


def test_on_its_own_thread_with_sync_now(
    qtbot: QtBot, calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    path = enrolled_path(tmp_path, calm_server, admin)
    worker = SyncWorker(lambda: KioskStore.open(path), interval_s=3600)
    runner = SyncThread(worker)
    outcomes: list[SyncOutcome] = []
    worker.sync_finished.connect(outcomes.append)
    with qtbot.waitSignal(worker.sync_finished, timeout=20_000):
        runner.start()  # the first sync runs at once
    with qtbot.waitSignal(worker.sync_finished, timeout=20_000):
        runner.sync_now()
    assert runner.stop()
    assert not runner.qthread.isRunning()
    qtbot.waitUntil(lambda: len(outcomes) == 2)
    assert all(outcome.ok for outcome in outcomes)
    assert outcomes[0].result is not None and outcomes[0].result.bookings == 3
    assert outcomes[1].result is not None and outcomes[1].result.bookings == 0


def test_stop_is_prompt_while_a_sync_hangs_in_the_sync_process(
    qtbot: QtBot, calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    path = enrolled_path(tmp_path, calm_server, admin)
    worker = SyncWorker(lambda: KioskStore.open(path), interval_s=3600, client_options={"timeout_s": 30})
    runner = SyncThread(worker)
    outcomes: list[SyncOutcome] = []
    worker.sync_finished.connect(outcomes.append)
    calm_server.faults(rules=[{"kind": "timeout", "path": "/v1/bookings", "count": 1}], timeout_s=10)
    try:
        with qtbot.waitSignal(worker.status_changed, timeout=20_000, check_params_cb=lambda s: s.syncing):
            runner.start()
        time.sleep(1.0)  # the child is started and waits for the held page
        began = time.monotonic()
        assert runner.stop()
        stopped_in = time.monotonic() - began
    finally:
        calm_server.faults(rules=[], timeout_s=1.5)
    assert stopped_in < 3.0  # the held page alone would take 10 s
    assert not runner.qthread.isRunning()
    qtbot.waitUntil(lambda: len(outcomes) == 1)
    assert not outcomes[0].ok and "stopped" in outcomes[0].error


def test_falls_back_to_its_own_thread_when_no_sync_process_can_start(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: SyncProcess) -> None:
        raise SyncProcessStartError("cannot start the sync process: spawn refused")

    monkeypatch.setattr(SyncProcess, "start", refuse)
    path = enrolled_path(tmp_path, calm_server, admin)
    worker = SyncWorker(lambda: KioskStore.open(path), backoff=Backoff(base_s=1, cap_s=8))
    try:
        for _ in range(3):
            outcome = worker.run_once()
            assert not outcome.ok and "spawn refused" in outcome.error and outcome.next_in_s is not None
        assert not worker.separate_process
        outcome = worker.run_once()
        assert outcome.ok and outcome.result is not None and outcome.result.bookings == 3
    finally:
        worker.close()
