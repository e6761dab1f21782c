"""`kiosk check` (kiosk/cli/check.py): every outcome at a chosen time, both languages, recorded or not."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from kiosk.domain.clock import utc_now
from kiosk.domain.model import Reason
from kiosk.store.db import KioskStore
from kiosk.store.engine import feed_path_for
from tests.cli.helpers import CODES, Kiosk, error_line

CHECKS = [
    pytest.param("admit", "2027-03-15T10:05", Reason.OK, id="inside the window"),
    pytest.param("family", "2027-03-15T10:05", Reason.OK, id="family"),
    pytest.param("admit", "2027-03-15T09:00", Reason.TOO_EARLY, id="naive = office time: early"),
    pytest.param("admit", "2027-03-15T09:00+07:00", Reason.OK, id="09.00 WIB is 10.00 WITA"),
    pytest.param("admit", "2027-03-15 08:45 WIB", Reason.OK, id="zone abbreviation"),
    pytest.param("admit", "2027-03-15T03:00Z", Reason.OK, id="UTC"),
    pytest.param("admit", "2027-03-15T04:00Z", Reason.TOO_LATE, id="12.00 WITA: late"),
    pytest.param("admit", "2027-03-16T10:05", Reason.WRONG_DAY, id="the next day"),
    pytest.param("tomorrow", "2027-03-15T10:05", Reason.WRONG_DAY, id="booked for tomorrow"),
    pytest.param("admit", "2020-01-01T10:05", Reason.CLOCK_UNTRUSTED, id="clock before the build date"),
    pytest.param("cancelled", "2027-03-15T10:05", Reason.CANCELLED, id="cancelled"),
    pytest.param("rescheduled", "2027-03-15T10:05", Reason.RESCHEDULED, id="rescheduled"),
    pytest.param("unpaid", "2027-03-15T10:05", Reason.UNPAID, id="unpaid"),
    pytest.param("priority", "2027-03-15T10:05", Reason.NEEDS_OFFICER, id="priority walk-in"),
    pytest.param("other_office", "2027-03-15T10:05", Reason.WRONG_OFFICE, id="other office"),
    pytest.param("3171234567890001", "2027-03-15T10:05", Reason.NOT_A_BOOKING, id="a NIK"),
    pytest.param("https://imigrasi.go.id", "2027-03-15T10:05", Reason.NOT_A_BOOKING, id="a URL"),
    pytest.param("ZZZZ-2345-WXYZ", "2027-03-15T10:05", Reason.UNKNOWN_CODE, id="unknown"),
    pytest.param(" admt-2345-wxyz\t", "2027-03-15T10:05", Reason.OK, id="lower case, spaces"),
]


@pytest.mark.parametrize(("code", "at", "reason"), CHECKS)
def test_check_at_a_time(db: Path, kiosk_cli: Kiosk, code: str, at: str, reason: Reason) -> None:
    result = kiosk_cli("check", "--db", str(db), CODES.get(code, code), "--at", at)
    assert result.code == 0, result.err
    lines = dict(line.split(":", 1) for line in result.out.splitlines())
    assert lines["reason"].strip() == reason.value
    assert lines["id"].strip() and lines["en"].strip()
    assert "not recorded (--at: a what-if;" in lines["time"]


def test_check_prints_both_languages_and_the_guard_view(db: Path, kiosk_cli: Kiosk) -> None:
    out = kiosk_cli("check", "--db", str(db), CODES["family"], "--at", "2027-03-15T09:40").out.splitlines()
    assert out[:4] == [
        "verdict: ADMIT (3 people)",
        "reason:  OK",
        "id:      SILAKAN MASUK - Jadwal Anda pukul 10.00 WITA. Silakan masuk untuk 3 orang.",
        "en:      PLEASE ENTER - Your appointment is at 10:00 WITA. Please go in, for 3 people.",
    ]
    assert out[4] == "guard:   Budi Santoso | NIK ...0193 | B-2 | party of 3"
    assert out[5] == (
        "time:    2027-03-15 09.40 WITA; not recorded (--at: a what-if; decided on this kiosk's data only, "
        "without the server)"
    )


def test_check_without_at_is_recorded_and_dry_run_is_not(db: Path, kiosk_cli: Kiosk) -> None:
    assert "not recorded (--dry-run;" in kiosk_cli("check", "--db", str(db), CODES["admit"], "--dry-run").out
    assert kiosk_cli("audit", "verify", "--db", str(db)).out.splitlines()[0].endswith(", 0 events")
    result = kiosk_cli("check", "--db", str(db), CODES["admit"])
    assert re.search(r"recorded as event [0-9a-f-]{36}, audit entry \d+", result.out)
    assert kiosk_cli("audit", "verify", "--db", str(db)).out.splitlines()[0].endswith(", 1 events")


@pytest.mark.parametrize(
    ("at", "message"),
    [("tomorrow", "cannot read 'tomorrow'"), ("2027-03-15", "give a time of day"), ("25:00", "no such time")],
)
def test_check_with_a_bad_time(db: Path, kiosk_cli: Kiosk, at: str, message: str) -> None:
    result = kiosk_cli("check", "--db", str(db), CODES["admit"], "--at", at)
    assert result.code == 1
    assert message in error_line(result)


def test_kiosk_check_refuses_a_damaged_database_instead_of_admitting(db: Path, kiosk_cli: Kiosk) -> None:
    """Damage on a page a scan never reads (here the bookings' date index) used to go unnoticed:
    `kiosk check` admitted and recorded on the damaged files."""
    from tests.store.conftest import break_btree_page

    break_btree_page(feed_path_for(db), "ix_bookings_service_date")
    result = kiosk_cli("check", "ADMT-2345-WXYZ", "--db", str(db))
    assert result.code != 0
    assert "is damaged (the booking file: " in error_line(result)
    with closing(sqlite3.connect(db)) as connection:
        assert connection.execute("SELECT count(*) FROM scan_events").fetchone() == (0,)


def test_check_names_the_office_of_a_booking_for_another_office(db: Path, kiosk_cli: Kiosk) -> None:
    """As the applicant's screen does: by the name in the kiosk's office directory, not by its code."""
    with KioskStore.open(db) as store:
        store.settings.set_office_name("SGR", "Kantor Imigrasi Kelas I TPI Semarang", utc_now())
    out = kiosk_cli("check", "--db", str(db), CODES["other_office"], "--at", "2027-03-15T10:05").out
    lines = dict(line.split(":", 1) for line in out.splitlines())
    assert "Kantor Imigrasi Kelas I TPI Semarang" in lines["id"]
    assert "Kantor Imigrasi Kelas I TPI Semarang" in lines["en"]
