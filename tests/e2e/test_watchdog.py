"""systemd's watchdog, end to end: the assembled kiosk run by `kiosk.app.run` (as `kiosk run` does)
under a real notify socket tells systemd it is ready, pings the watchdog while its windows and scan
loops live, and stops pinging (saying why) once the scan loops stop: systemd would then restart it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from kiosk.app import assemble, run
from kiosk.store.db import KioskStore
from kiosk.ui.sound import SilentPlayer
from kiosk.vision.decoders import make_decoder
from kiosk.vision.simcam import SimulatedCamera
from tests.server.support import now

WATCHDOG_USEC = 3_000_000  # pings every second; a part silent for 1.5 s stops them


@pytest.fixture
def systemd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", str(WATCHDOG_USEC))
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    yield sock
    sock.close()


def _drain(sock: socket.socket) -> list[str]:
    got = []
    while True:
        try:
            got += sock.recv(4096).decode().split("\n")
        except BlockingIOError:
            return got


def test_the_watchdog_is_fed_while_the_kiosk_works_and_not_after(
    qapp: QApplication, tmp_path: Path, systemd: socket.socket
) -> None:
    store = KioskStore.open(tmp_path / "kiosk.db")
    store.guards.add("Sari", "731905", now())
    kiosk = assemble(
        store, source=SimulatedCamera((), 640, 480), decoder=make_decoder("zxing"), player=SilentPlayer(), wedge=False
    )
    scanner = kiosk.scanner
    assert scanner is not None
    heard: list[str] = []
    stopped_at: list[int] = []

    def until() -> bool:  # asked every 100 ms on the event loop
        heard.extend(_drain(systemd))
        if not stopped_at and heard.count("WATCHDOG=1") >= 2:
            scanner.stop()  # the scan loops end: no more signs of life from them
            stopped_at.append(len(heard))
        return bool(stopped_at) and any(line.startswith("STATUS=stalled") for line in heard[stopped_at[0] :])

    try:
        run(kiosk, kiosk_mode=False, seconds=60, until=until)
    finally:
        store.close()
    heard.extend(_drain(systemd))
    assert heard[:2] == ["READY=1", "STATUS=scanning"]
    assert stopped_at, f"the watchdog was never fed: {heard}"
    assert any(line.startswith("STATUS=stalled") for line in heard), heard
    after = heard[stopped_at[0] :]
    stall = next(i for i, line in enumerate(after) if line.startswith("STATUS=stalled"))
    assert "capture loop" in after[stall] and "decode loop" in after[stall]
    assert "WATCHDOG=1" not in after[stall:]  # no ping once a part stalled
    assert heard[-1] == "STOPPING=1"
