"""SIGTERM in the middle of a door's hold, end to end: `kiosk run` (the real command line, in kiosk mode)
in a child process, its relay an LCUS board simulated on a pseudo-terminal in this process ([relay] in
its kiosk.toml: door on channel 1 held 12 s, tower lamps on 2, 3 and 4), its camera showing real QR
images (a DENY, then an ADMIT), systemd's notify socket owned by this test.

systemd stops the kiosk with SIGTERM (deploy/systemd/kiosk.service). The kiosk must then lock the door at
once, not when the hold ends (and not never, as when the signal killed it), tell systemd STOPPING=1,
close its database with the ADMIT in it, and exit 0. On the way the tower light shows red for the DENY
and green for the ADMIT, always after the door's own switch."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.domain.model import Booking, OfficeRules
from kiosk.relay.simulator import LcusSimulator, Switch
from kiosk.store.bookings import IncomingBooking
from kiosk.store.db import KioskStore
from kiosk.store.settings import Identity

REPO = Path(__file__).resolve().parents[2]
OFFICE, ZONE = "KANIM-DPS", "Asia/Makassar"
ADMIT_CODE, DENY_CODE = "MPSIGTERM001", "https://www.imigrasi.go.id/"
DOOR, GREEN, AMBER, RED = 1, 2, 3, 4
HOLD_S = 12.0  # the longest hold there is (kiosk/relay/board.py HOLD_MS)
#: Only against a test that would otherwise hang: every wait below ends on a condition.
GIVE_UP_S = 180.0

#: `kiosk run` as the console script runs it, with `--simulate`'s camera (which shows nobody) replaced
#: by one that shows a code that is not a booking, then a valid booking, then nobody.
CHILD = """
import sys
import kiosk.app
from kiosk.cli import main
from kiosk.vision.simcam import Scene, SimulatedCamera, empty

deny, admit = sys.argv[1], sys.argv[2]
script = [empty(1.0), Scene(2.0, codes=(deny,), size=0.5), empty(2.0), Scene(2.0, codes=(admit,), size=0.5),
          empty(3600.0)]
kiosk.app.SimulatedCamera = lambda _script, width, height: SimulatedCamera(script, width, height)
sys.exit(main(sys.argv[3:]))
"""


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, Path]]:
    """systemd's side of $NOTIFY_SOCKET: a datagram socket this test reads."""
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    yield sock, path
    sock.close()


def _heard(sock: socket.socket) -> list[str]:
    got: list[str] = []
    while True:
        try:
            got += sock.recv(4096).decode().split("\n")
        except BlockingIOError:
            return got


def _kiosk_db(path: Path) -> Path:
    """A kiosk database for OFFICE with one guard (kiosk mode needs one) and ADMIT_CODE booked for all
    of today (office time)."""
    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(ZoneInfo(ZONE)).date()
    booking = Booking("B-SIGTERM", OFFICE, today, dt.time(0, 0), dt.time(23, 59))
    with KioskStore.open(path) as store:
        rules = OfficeRules(office_code=OFFICE, zone=ZONE, allow_later_same_day=True)
        store.settings.configure(Identity(kiosk_id="KIOSK-SIGTERM", gate="G1", office_code=OFFICE), rules, now)
        store.bookings.import_rows([IncomingBooking(ADMIT_CODE, booking, now.isoformat())], now, "test")
        store.guards.add("Sari", "731905", now)
    return path


def _config(path: Path, port: str) -> Path:
    path.write_text(
        "[camera]\nwidth = 640\nheight = 480\n\n"
        f'[relay]\ndriver = "lcus"\nport = "{port}"\nchannel = {DOOR}\nhold_ms = {int(HOLD_S * 1000)}\n'
        f"tower_green = {GREEN}\ntower_amber = {AMBER}\ntower_red = {RED}\n",
        encoding="utf-8",
    )
    return path


def _wait(
    board: LcusSimulator, kiosk: subprocess.Popen[bytes], log: Path, condition: Callable[[LcusSimulator], bool]
) -> None:
    """Until the board shows `condition`; fails at once (with the kiosk's log) if the kiosk ended."""
    give_up = time.monotonic() + GIVE_UP_S
    while not condition(board):
        if kiosk.poll() is not None:
            pytest.fail(f"the kiosk ended (rc={kiosk.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
        if time.monotonic() > give_up:
            pytest.fail(f"the board never got there: {board.switches}\n{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(TimeoutError):
            board.wait_for(condition, timeout=0.5)


def _verdicts(db: Path) -> list[str]:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return [row[0] for row in connection.execute("SELECT verdict FROM scan_events ORDER BY rowid")]
    finally:
        connection.close()


def _index(switches: list[Switch], channel: int, on: bool) -> int:
    return next(i for i, s in enumerate(switches) if s.channel == channel and s.on is on)


def test_sigterm_during_the_hold_locks_the_door_and_stops_cleanly(
    tmp_path: Path, notify_socket: tuple[socket.socket, Path]
) -> None:
    sock, notify_path = notify_socket
    db = _kiosk_db(tmp_path / "kiosk.db")
    log = tmp_path / "kiosk.log"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NOTIFY_SOCKET": str(notify_path)}
    for name in ("WATCHDOG_USEC", "WATCHDOG_PID", "KIOSK_DB", "KIOSK_CONFIG"):
        env.pop(name, None)
    env |= {"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    with LcusSimulator(4) as board:
        config = _config(tmp_path / "kiosk.toml", board.path)
        args = ["--config", str(config), "run", "--simulate", "--db", str(db)]
        with log.open("wb") as out:
            kiosk = subprocess.Popen(
                [sys.executable, "-c", CHILD, DENY_CODE, ADMIT_CODE, *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=REPO,
            )
        try:
            _wait(board, kiosk, log, lambda b: b.contacts[DOOR])  # ADMIT on disk, the door released
            opened = next(s for s in board.switches if s.channel == DOOR and s.on)
            _wait(board, kiosk, log, lambda b: b.contacts[GREEN])  # and the green lamp lit after it
            assert board.contacts[DOOR], "the hold ended before the test could stop the kiosk"
            signalled = time.monotonic()
            kiosk.send_signal(signal.SIGTERM)
            code = kiosk.wait(timeout=GIVE_UP_S)
        finally:
            if kiosk.poll() is None:
                kiosk.kill()
                kiosk.wait()
        output = log.read_text(errors="replace")
        assert code == 0, output[-3000:]
        assert "Traceback" not in output, output[-3000:]
        board.wait_for(lambda b: not any(b.contacts.values()))  # the door locked, every lamp out
        switches = board.switches

    closed = next(s for s in switches if s.channel == DOOR and not s.on and s.at > opened.at)
    assert signalled <= closed.at < opened.at + HOLD_S  # locked by the stop, not by the end of the hold
    # The tower light: red for the DENY, then green for the ADMIT, each lamp after the door's switch.
    assert _index(switches, RED, True) < _index(switches, RED, False) < _index(switches, GREEN, True)
    assert _index(switches, DOOR, True) < _index(switches, GREEN, True)
    assert not any(s.channel == AMBER and s.on for s in switches)

    heard = _heard(sock)
    assert heard[:2] == ["READY=1", "STATUS=scanning"], heard
    assert heard[-1] == "STOPPING=1", heard
    assert _verdicts(db) == ["DENY", "ADMIT"]  # the database was closed with both decisions in it


#: The guard's "leave kiosk mode" (the right PIN again: the console's leaveKiosk), in kiosk mode.
LEAVING = """
import datetime as dt, sys
from PySide6.QtCore import QTimer
from kiosk.app import assemble, run
from kiosk.store.db import KioskStore
from kiosk.ui.sound import SilentPlayer

store = KioskStore.open(sys.argv[1])
store.guards.add("Sari", "731905", dt.datetime.now(dt.UTC))
kiosk = assemble(store, player=SilentPlayer(), wedge=False)
QTimer.singleShot(0, kiosk.console.leaveKiosk.emit)
sys.exit(run(kiosk, kiosk_mode=True, seconds=120))  # `seconds` only against a hang: it is refused too
"""


def test_the_guard_leaving_kiosk_mode_stops_the_kiosk(
    tmp_path: Path, notify_socket: tuple[socket.socket, Path]
) -> None:
    """In kiosk mode the applicant's window refuses to close, and Qt 6's quit() asks the windows first:
    leaving must end the event loop itself, then stop as on SIGTERM."""
    sock, notify_path = notify_socket
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NOTIFY_SOCKET": str(notify_path)}
    env.pop("WATCHDOG_USEC", None)
    done = subprocess.run(
        [sys.executable, "-c", LEAVING, str(tmp_path / "kiosk.db")],
        capture_output=True,
        text=True,
        timeout=GIVE_UP_S,
        env=env,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert _heard(sock)[-1] == "STOPPING=1"
