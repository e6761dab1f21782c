"""End to end: assembled kiosks (the same `assemble()` as `kiosk run`), offscreen, each with a camera
showing real QR images, their database writer, decoder process and the online check, enrolled with a
real server process on loopback (SQLite and PostgreSQL, as in tests/server)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kiosk.app import Kiosk, assemble
from kiosk.domain.screen import ScreenState
from kiosk.door import DoorSettings
from kiosk.store.db import KioskStore
from kiosk.store.recorder import Recorded
from kiosk.sync.client import enrol
from kiosk.ui.sound import SilentPlayer
from kiosk.workers.gate import FakeRelay, GateRelay
from kiosk.workers.wedge import WedgeParser
from tests.e2e.camera import HeldCodes
from tests.server.conftest import admin, backend, calm_server, server, server_db
from tests.server.support import Admin, ServerProcess, now

__all__ = ["admin", "backend", "calm_server", "server", "server_db"]

GUARD, PIN = "Sari", "731905"
#: Generous for a loaded CI machine: these tests are about which path decides, not how fast
#: (tests/bench/bench_door.py measures the 300 ms default).
BUDGET_S = 3.0
VERDICTS = (ScreenState.ADMIT, ScreenState.REFER, ScreenState.DENY)


@dataclass
class Gate:
    """One assembled kiosk at a gate, the camera in front of it, and what it recorded."""

    name: str
    store: KioskStore
    kiosk: Kiosk
    camera: HeldCodes
    recorded: list[Recorded] = field(default_factory=list)

    def show(self, qtbot: QtBot, text: str, **look: object) -> Recorded:
        """Hold `text` to the camera until the kiosk has recorded and shown one decision, then take it
        away. Returns what was recorded."""
        before = len(self.recorded)
        self.camera.hold(text, **look)
        try:
            qtbot.waitUntil(lambda: len(self.recorded) > before, timeout=20_000)
        finally:
            self.camera.take_away()
        recorded = self.recorded[before]
        qtbot.waitUntil(lambda: self.kiosk.applicant.current.event_uuid == recorded.event_uuid, timeout=5_000)
        assert self.kiosk.applicant.current.state in VERDICTS
        return recorded

    def wait_for(self, qtbot: QtBot, count: int) -> list[Recorded]:
        qtbot.waitUntil(lambda: len(self.recorded) >= count, timeout=20_000)
        return self.recorded


MakeGate = Callable[..., Gate]


def log_in(gate: Gate, qtbot: QtBot) -> None:
    """The guard logs in on the gate's console, as at the door (the PIN is checked off the GUI thread)."""
    console = gate.kiosk.console
    console.show()
    qtbot.waitUntil(lambda: console.login_page.guard.findText(GUARD) >= 0, timeout=10_000)
    console.login_page.guard.setCurrentText(GUARD)
    console.login_page.pin.setText(PIN)
    console.login_page.login.click()
    qtbot.waitUntil(lambda: console.guard is not None, timeout=10_000)


@pytest.fixture
def make_gate(qapp: QApplication, qtbot: QtBot, tmp_path: Path) -> Iterator[MakeGate]:
    """Enrol a kiosk database with the server for (office, gate), add a guard, assemble and start the
    kiosk around it; everything is stopped and closed at the end."""
    made: list[Gate] = []

    def make(
        server: ServerProcess,
        admin: Admin,
        office: str,
        gate: str,
        *,
        wedge: bool = False,
        relay: GateRelay | None = None,
    ) -> Gate:
        store = KioskStore.open(tmp_path / f"kiosk-{gate}.db")
        enrol(store, server.url, admin.enrol(office, gate), gate)
        store.guards.add(GUARD, PIN, now())
        camera = HeldCodes()
        kiosk = assemble(
            store,
            source=camera,
            decoder_process=True,
            player=SilentPlayer(),
            relay=relay or FakeRelay(open_ms=100),
            wedge=wedge,
            door=DoorSettings(online_check=True, budget_s=BUDGET_S),
        )
        made.append(result := Gate(gate, store, kiosk, camera))
        kiosk.controller.scanRecorded.connect(lambda recorded, _source: result.recorded.append(recorded))
        if kiosk.wedge is not None:  # QTest stamps keys with real time: a busy machine must not split a burst
            kiosk.wedge.parser = WedgeParser(max_gap_s=1.0)
        kiosk.applicant.resize(1280, 800)
        kiosk.applicant.show()
        kiosk.start()
        return result

    yield make
    for gate in made:
        gate.kiosk.stop()
        gate.store.close()
