"""The sync worker: synchronous mode (run_once on the test's thread) and on its own QThread with "sync
now", backoff after failures, and a clean stop; the client in its own process (the default) or on the
worker's thread, and the fall-back from the one to the other; the kiosk's health sent with each sync,
and a kiosk whose sync is stopped seen as SILENT on the server."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from kiosk.server import kiosks
from kiosk.server.db import reading
from kiosk.store.db import KioskStore
from kiosk.sync import state
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import enrol
from kiosk.sync.process import SyncProcess, SyncProcessStartError
from kiosk.sync.state import SyncStatus
from kiosk.workers.gate import FakeRelay
from kiosk.workers.health import kiosk_health
from kiosk.workers.sync_worker import SyncOutcome, SyncThread, SyncWorker
from tests.server.conftest import admin, backend, calm_server, server, server_db
from tests.server.support import Admin, ServerProcess, booking, codes, now

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
    worker.statusChanged.connect(statuses.append)
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
    worker.syncFinished.connect(outcomes.append)
    with qtbot.waitSignal(worker.syncFinished, timeout=20_000):
        runner.start()  # the first sync runs at once
    with qtbot.waitSignal(worker.syncFinished, timeout=20_000):
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
    worker.syncFinished.connect(outcomes.append)
    calm_server.faults(rules=[{"kind": "timeout", "path": "/v1/bookings", "count": 1}], timeout_s=10)
    try:
        with qtbot.waitSignal(worker.statusChanged, timeout=20_000, check_params_cb=lambda s: s.syncing):
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


# --- the kiosk's health -------------------------------------------------------------------------------


def a_kiosk(relay: Any, *, camera_ok: bool = True, faults: frozenset[str] = frozenset()) -> Any:
    """What kiosk_health reads of kiosk.app.Kiosk: the status panel's camera and faults, the relay."""
    camera = SimpleNamespace(
        ok=camera_ok,
        message="" if camera_ok else "the camera is not connected",
        fps=0.0,
        decoder="zxing-cpp",
        source="simulated camera",
        decoder_process=True,
    )
    return SimpleNamespace(
        console=SimpleNamespace(status_page=SimpleNamespace(camera=camera, faults=faults)), relay=relay
    )


def listed(admin: Admin, office: str, at: dt.datetime) -> dict[str, str]:
    with reading(admin.engine) as connection:
        (row,) = kiosks.listing(connection, office, now=at)
    return row


def test_kiosk_health_reads_the_kiosk(qtbot: QtBot) -> None:
    relay = FakeRelay(description="LCUS relay on /dev/ttyUSB0")
    try:
        snapshot = kiosk_health(a_kiosk(relay), monotonic=lambda: 100.0, started=40.0)
        assert snapshot["uptime_s"] == 60 and snapshot["version"]
        assert (snapshot["camera_ok"], snapshot["camera"], snapshot["decoder"]) == (
            True,
            "simulated camera",
            "zxing-cpp",
        )
        assert (snapshot["relay_state"], snapshot["relay"], snapshot["relay_fault"]) == (
            "closed", "LCUS relay on /dev/ttyUSB0", ""
        )  # fmt: skip
        assert snapshot["faults"] == []
        relay.unplug()
        broken = kiosk_health(a_kiosk(relay, camera_ok=False, faults=frozenset({"gate", "camera"})))
        assert (broken["camera_ok"], broken["camera"]) == (False, "the camera is not connected")
        assert (broken["relay_state"], broken["relay_fault"]) == ("fault", "the relay board is not connected")
        assert broken["faults"] == ["camera", "gate"]
        assert set(kiosk_health(SimpleNamespace())) == {"version", "uptime_s"}  # no camera, no relay: unknown
    finally:
        relay.close()


def test_a_stopped_sync_is_silent_on_the_server(
    qtbot: QtBot, calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    """The kiosk's sync thread, with its health provider, syncs and is stopped: the server has its
    contact and health (UNHEALTHY: the relay is unplugged); with the clock moved past the silence limit
    it is SILENT, and stays so: nothing reaches the server any more."""
    path = enrolled_path(tmp_path, calm_server, admin)
    office = office_of(path)
    relay = FakeRelay()
    relay.unplug()
    worker = SyncWorker(lambda: KioskStore.open(path), interval_s=3600, health=lambda: kiosk_health(a_kiosk(relay)))
    runner = SyncThread(worker)
    try:
        with qtbot.waitSignal(worker.syncFinished, timeout=20_000) as finished:
            runner.start()
        assert finished.args is not None and finished.args[0].ok
        assert runner.stop()
    finally:
        relay.close()
    synced = listed(admin, office, now())
    assert synced["last_contact"] in ("just now", "0 s ago", "1 s ago", "2 s ago")
    assert (synced["mark"], synced["health"]) == ("UNHEALTHY", "relay: fault: the relay board is not connected")
    assert listed(admin, office, now() + dt.timedelta(minutes=14))["mark"] == "UNHEALTHY"
    later = listed(admin, office, now() + dt.timedelta(minutes=16))
    assert later["mark"] == "SILENT UNHEALTHY" and later["last_contact"].endswith("min ago")


def test_a_failing_health_provider_costs_the_sync_nothing(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    def broken() -> dict[str, Any]:
        raise RuntimeError("the status panel is gone")

    path = enrolled_path(tmp_path, calm_server, admin)
    office = office_of(path)
    worker = SyncWorker(lambda: KioskStore.open(path), separate_process=False, health=broken)
    try:
        assert worker.run_once().ok
    finally:
        worker.close()
    shown = listed(admin, office, now())
    assert (shown["health"], shown["mark"], shown["uptime"]) == ("ok", "", "-")  # the store's part alone


def office_of(path: Path) -> str:
    with KioskStore.open(path) as store:
        return state.status(store).office_code
