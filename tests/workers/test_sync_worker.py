"""The sync worker: synchronous mode (run_once on the test's thread) and on its own QThread with "sync
now", backoff after failures, and a clean stop."""

from __future__ import annotations

import secrets
from pathlib import Path

from pytestqt.qtbot import QtBot

from kiosk.store.db import KioskStore
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import enrol
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


def test_synchronous_mode(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    path = enrolled_path(tmp_path, calm_server, admin)
    worker = SyncWorker(lambda: KioskStore.open(path), interval_s=30, backoff=Backoff(base_s=1, cap_s=8))
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
