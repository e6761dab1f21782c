"""`kiosk purge` and `kiosk pii-inventory` (kiosk/cli/purge.py)."""

from __future__ import annotations

import re
from pathlib import Path

from kiosk.store.db import KioskStore
from kiosk.store.engine import feed_path_for
from tests.cli.helpers import ROWS, Kiosk, booking_count, write_csv


def test_purge_deletes_bookings_past_retention(db: Path, tmp_path: Path, kiosk_cli: Kiosk) -> None:
    old = ["OLDA-2345-WXYZ,O-1,DPS,2020-01-01,10:00,10:30,active,1,regular,Budi,1111"]
    kiosk_cli("import", "--db", str(db), str(write_csv(tmp_path / "old.csv", old)))
    result = kiosk_cli("purge", "--db", str(db), "--days", "7")
    assert result.code == 0
    assert re.fullmatch(
        r"purged 1 bookings with a service date before \d{4}-\d\d-\d\d \(retention: 7 days\)\n", result.out
    )
    assert booking_count(db) == len(ROWS)


def test_pii_inventory_counts_personal_fields_and_names_the_files(db: Path, kiosk_cli: Kiosk) -> None:
    result = kiosk_cli("pii-inventory", "--db", str(db))
    assert result.code == 0
    counts = {
        name.strip(): int(value.replace(",", ""))
        for name, value in re.findall(r"^  (\S.*?)\s{2,}([\d,]+)$", result.out, re.MULTILINE)
    }
    assert counts["bookings.display_name"] == len(ROWS)
    assert counts["bookings.nik_last4"] == len(ROWS) - 1  # one booking has no NIK digits
    for label, path in [("database", db), ("code key", Path(f"{db}.key")), ("audit head", Path(f"{db}.audit-head"))]:
        assert re.search(rf"^  {label}\s+{re.escape(str(path))} \([\d,]+ bytes\)$", result.out, re.MULTILINE)
    assert "Never held: full NIKs" in result.out


def test_pii_inventory_names_the_booking_file_and_the_logs(db: Path, kiosk_cli: Kiosk, tmp_path: Path) -> None:
    feed = feed_path_for(db)
    with KioskStore.open(db, create=False, upgrade=False):  # a running kiosk holds its WAL files open
        result = kiosk_cli("pii-inventory", "--db", str(db))
        assert result.code == 0, result.err
        for label, path in [
            ("booking file", feed),
            ("database log", Path(f"{db}-wal")),
            ("booking file log", Path(f"{feed}-wal")),
        ]:
            assert re.search(rf"^  {label}\s+{re.escape(str(path))} \([\d,]+ bytes\)$", result.out, re.MULTILINE)
        assert re.search(r"holds: bookings: applicants' names, last 4 digits of their NIK", result.out)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "report-K1-2026-11-28.csv").write_text("x", encoding="utf-8")
    result = kiosk_cli("pii-inventory", "--db", str(db))
    assert re.search(rf"^  reports\s+{re.escape(str(tmp_path / 'reports'))} \(1 file\(s\)\)$", result.out, re.M)
