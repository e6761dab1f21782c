"""systemd's watchdog, end to end: the assembled kiosk run by `kiosk.app.run` (as `kiosk run` does)
under a real notify socket tells systemd it is ready, pings the watchdog while its windows and scan
loops live, and stops pinging (saying why) once the scan loops stop: systemd would then restart it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

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


#: The kiosk runs in a child process: `run` ends with QApplication.quit(), after which no event loop of
#: this test process would run again (Qt keeps "quit now" set until the next exec()).
CHILD = """
import sys, time
from kiosk.app import assemble, run
from kiosk.store.db import KioskStore
from kiosk.ui.sound import SilentPlayer
from kiosk.vision.decoders import make_decoder
from kiosk.vision.simcam import SimulatedCamera
from tests.server.support import now

store = KioskStore.open(sys.argv[1])
store.guards.add("Sari", "731905", now())
kiosk = assemble(store, source=SimulatedCamera((), 640, 480), decoder=make_decoder("zxing"),
                 player=SilentPlayer(), wedge=False)
started = time.monotonic()
stopped = []

def until():  # asked every 100 ms on the event loop
    if not stopped and time.monotonic() - started > 3.5:
        kiosk.scanner.stop()  # the scan loops end: no more signs of life from them
        stopped.append(time.monotonic())
        print("STOPPED", flush=True)
    return bool(stopped) and time.monotonic() - stopped[0] > 4.0

sys.exit(run(kiosk, kiosk_mode=False, seconds=60, until=until))
"""


def test_the_watchdog_is_fed_while_the_kiosk_works_and_not_after(tmp_path: Path, systemd: socket.socket) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "kiosk.db")],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    heard = _drain(systemd)
    assert heard[:2] == ["READY=1", "STATUS=scanning"], heard
    stall = next((i for i, line in enumerate(heard) if line.startswith("STATUS=stalled")), None)
    assert stall is not None, f"the watchdog never stopped: {heard}"
    assert "WATCHDOG=1" in heard[:stall], heard  # fed while the kiosk worked
    assert "capture loop" in heard[stall] and "decode loop" in heard[stall]
    assert "WATCHDOG=1" not in heard[stall:]  # no ping once a part stalled
    assert heard[-1] == "STOPPING=1"
