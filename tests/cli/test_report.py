"""`kiosk report`: the daily report of today or of any past day the kiosk holds, as PDF or CSV, and a
plain refusal for a day it does not hold (kiosk/cli/report.py). The clock is pinned 100 days after the
kiosk's set-up, so the days around it are known."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from kiosk.domain.model import zone_named
from kiosk.store.db import KioskStore
from kiosk.store.guard_actions import OverrideReason, override
from tests.cli.helpers import Kiosk, error_line
from tests.ui.fixtures import presentation

WITA = zone_named("WITA")
NOW = (dt.datetime.now(dt.UTC) + dt.timedelta(days=100)).replace(microsecond=0)
TODAY = NOW.astimezone(WITA).date()
YESTERDAY = TODAY - dt.timedelta(days=1)


@pytest.fixture
def kiosk(kiosk_cli: Kiosk, db: Path, monkeypatch: pytest.MonkeyPatch) -> Kiosk:
    """`kiosk ... --db DB` at NOW, with a denied scan today and a denied scan let in by a guard yesterday."""
    monkeypatch.setattr("kiosk.cli.report.utc_now", lambda: NOW)
    with KioskStore.open(db, create=False, upgrade=False) as store:
        store.decisions.record(presentation("NOPE-2345-WXYZ"), NOW)
        yesterday = NOW - dt.timedelta(days=1)
        event = store.decisions.record(presentation("GONE-2345-WXYZ"), yesterday).event_uuid
        guard = store.guards.add("Made Wirawan", "482915", yesterday)
        override(store, event, guard.id, OverrideReason.ID_CHECKED, yesterday + dt.timedelta(minutes=1), note="KTP ok")

    def run(*args: str) -> object:
        return kiosk_cli("report", "--db", str(db), *args)

    return run  # type: ignore[return-value]


def read_csv(path: Path, sep: str = ",") -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=sep))


def test_today_by_default_into_the_reports_folder(kiosk: Kiosk, db: Path) -> None:
    result = kiosk("--format", "csv")
    assert result.code == 0, result.err
    path = db.parent / "reports" / f"report-KIOSK-1-{TODAY.isoformat()}.csv"
    assert result.out.splitlines()[0] == str(path)
    rows = read_csv(path)
    assert ["Laporan Harian Gerbang", "Tanggal", TODAY.isoformat()] in rows
    assert ["Jumlah", "Pemindaian ditolak", "1"] in rows


def test_a_past_day_as_csv_with_semicolons_in_english(kiosk: Kiosk, tmp_path: Path) -> None:
    out = tmp_path / "kemarin.csv"
    result = kiosk("--date", YESTERDAY.isoformat(), "--format", "csv", "--sep", ";", "--lang", "en", "--out", str(out))
    assert result.code == 0, result.err
    rows = read_csv(out, ";")
    assert ["Daily Gate Report", "Day", YESTERDAY.isoformat()] in rows
    assert ["Daily Gate Report", "Time zone", "WITA (Asia/Makassar)"] in rows
    [action] = [r for r in rows if "override" in r]
    assert action[1:6] == [
        "Made Wirawan",
        "Admitted by a guard",
        "override",
        "Identity checked against the ID card",
        "ID_CHECKED",
    ]
    assert action[12] == "KTP ok"


def test_a_past_day_as_pdf(qapp: QApplication, kiosk: Kiosk, tmp_path: Path) -> None:
    out = tmp_path / "kemarin.pdf"
    result = kiosk("--date", YESTERDAY.isoformat(), "--out", str(out), "--office-name", "Kantor Imigrasi Denpasar")
    assert result.code == 0, result.err
    path, pages = result.out.strip().rsplit(", ", 1)
    assert path == str(out) and pages.endswith(" page(s)")
    count = int(pages.split()[0])
    assert out.read_bytes().startswith(b"%PDF")
    assert shutil.which("pdftotext"), "pdftotext is missing: scripts/bootstrap installs poppler-utils"
    text = subprocess.run(["pdftotext", str(out), "-"], check=True, capture_output=True, text=True).stdout
    assert f"Halaman {count} dari {count}" in text and "Kantor Imigrasi Denpasar (DPS)" in text
    assert "Made Wirawan" in text
    assert "Dibuat oleh" in text and "Mengetahui" in text


def test_a_day_with_nothing_says_so(kiosk: Kiosk, tmp_path: Path) -> None:
    quiet = TODAY - dt.timedelta(days=3)
    out = tmp_path / "sepi.csv"
    result = kiosk("--date", quiet.isoformat(), "--format", "csv", "--out", str(out))
    assert result.code == 0, result.err
    assert f"no scans and no guard actions on {quiet.isoformat()} (WITA)" in result.out
    assert ["Jumlah", "Pemindaian diizinkan", "0"] in read_csv(out)


def test_a_day_past_the_retention_period_is_reported_with_a_warning(kiosk: Kiosk, tmp_path: Path) -> None:
    old = TODAY - dt.timedelta(days=30)
    result = kiosk("--date", old.isoformat(), "--format", "csv", "--out", str(tmp_path / "lama.csv"))
    assert result.code == 0, result.err
    assert f"{old.isoformat()} is past the retention period (7 days)" in result.out


@pytest.mark.parametrize(
    ("date", "code", "says"),
    [
        ("2026-02-30", 2, "no such day: '2026-02-30'"),
        ("15-03-2027", 2, "not a date YYYY-MM-DD"),
        ("2020-01-01", 1, "this kiosk holds no day before"),
        ((TODAY + dt.timedelta(days=1)).isoformat(), 1, "is after today"),
    ],
)
def test_a_day_the_kiosk_does_not_hold_is_refused(kiosk: Kiosk, date: str, code: int, says: str) -> None:
    result = kiosk("--date", date, "--format", "csv")
    assert result.code == code
    assert says in result.err
    if code == 1:
        assert f"to {TODAY.isoformat()} (WITA)" in error_line(result)


def test_the_office_name_the_kiosk_holds_is_printed_unless_one_is_given(kiosk: Kiosk, db: Path, tmp_path: Path) -> None:
    """The name comes from the kiosk's office directory (its server's, or `kiosk setup --office-name`);
    --office-name still wins; without either, the code alone."""
    out = tmp_path / "hari-ini.csv"
    assert kiosk("--format", "csv", "--out", str(out)).code == 0
    assert [row[2] for row in read_csv(out) if row[1:2] == ["Kantor"]] == ["DPS"]
    with KioskStore.open(db, create=False, upgrade=False) as store:
        store.settings.set_office_names({"DPS": "Kantor Imigrasi Kelas I TPI Denpasar", "SGR": "Kanim Singaraja"}, NOW)
    assert kiosk("--format", "csv", "--out", str(out)).code == 0
    assert [row[2] for row in read_csv(out) if row[1:2] == ["Kantor"]] == ["Kantor Imigrasi Kelas I TPI Denpasar (DPS)"]
    assert kiosk("--format", "csv", "--out", str(out), "--office-name", "Kanim Denpasar").code == 0
    assert [row[2] for row in read_csv(out) if row[1:2] == ["Kantor"]] == ["Kanim Denpasar (DPS)"]
