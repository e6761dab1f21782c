"""`kiosk run` keeps the office's retention period by itself, end to end: the real command line in a
child process, a database holding one booking of today and one whose service date is past
`[database] retention_days`; the running kiosk deletes the old one (audited), keeps today's, and the
audit chain verifies after it stopped on SIGTERM."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.domain.model import Booking, OfficeRules
from kiosk.store.bookings import IncomingBooking
from kiosk.store.db import KioskStore
from kiosk.store.settings import Identity

REPO = Path(__file__).resolve().parents[2]
OFFICE, ZONE = "KANIM-DPS", "Asia/Makassar"
GIVE_UP_S = 180.0  # only against a hang: the wait ends on the log line


def _kiosk_db(path: Path) -> Path:
    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(ZoneInfo(ZONE)).date()
    rows = [
        IncomingBooking("MPRETAINTODAY1", Booking("B-TODAY", OFFICE, today, dt.time(9, 0), dt.time(10, 0)), "1"),
        IncomingBooking(
            "MPRETAINOLD001",
            Booking("B-OLD", OFFICE, today - dt.timedelta(days=10), dt.time(9, 0), dt.time(10, 0)),
            "1",
        ),
    ]
    with KioskStore.open(path) as store:
        rules = OfficeRules(office_code=OFFICE, zone=ZONE)
        store.settings.configure(Identity(kiosk_id="KIOSK-RETAIN", gate="G1", office_code=OFFICE), rules, now)
        store.bookings.import_rows(rows, now, "test")
        store.guards.add("Sari", "731905", now)
    return path


def test_the_running_kiosk_deletes_bookings_past_the_retention_period(tmp_path: Path) -> None:
    db = _kiosk_db(tmp_path / "kiosk.db")
    config = tmp_path / "kiosk.toml"
    config.write_text("[database]\nretention_days = 7\n\n[camera]\nwidth = 640\nheight = 480\n", encoding="utf-8")
    log = tmp_path / "kiosk.log"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for name in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "KIOSK_DB", "KIOSK_CONFIG"):
        env.pop(name, None)
    env |= {"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    with log.open("wb") as out:
        kiosk = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "-v", "--config", str(config), "run", "--simulate", "--db", str(db)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO,
        )
    try:
        give_up = time.monotonic() + GIVE_UP_S
        while "retention: deleted 1 booking(s)" not in log.read_text(errors="replace"):
            if kiosk.poll() is not None or time.monotonic() > give_up:
                pytest.fail(f"no purge (rc={kiosk.poll()}):\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        kiosk.send_signal(signal.SIGTERM)
        assert kiosk.wait(timeout=GIVE_UP_S) == 0
    finally:
        if kiosk.poll() is None:
            kiosk.kill()
            kiosk.wait()
    with KioskStore.open(db, create=False) as store:
        assert store.bookings.count() == 1  # today's stays
        assert store.audit.verify().ok
        head = store.audit.head().seq
        purges = [e for e in store.audit.entries(1, head, head) if e["kind"] == "purge"]
    assert [e["subject"] for e in purges] == ["bookings:1"]  # the evidence that the retention was kept
