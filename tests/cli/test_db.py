"""`kiosk db status` and `kiosk db upgrade` (kiosk/cli/db.py)."""

from __future__ import annotations

from pathlib import Path

from kiosk.store import migrate
from kiosk.store.engine import feed_path_for, make_engine
from tests.cli.helpers import Kiosk, error_line, newer_schema


def test_db_status_says_the_booking_file_was_lost_until_bookings_are_imported_again(db: Path, kiosk_cli: Kiosk) -> None:
    assert "lost" not in kiosk_cli("db", "status", "--db", str(db)).out
    for path in db.parent.glob(feed_path_for(db).name + "*"):
        path.unlink()
    status = kiosk_cli("db", "status", "--db", str(db))
    assert status.code == 0
    assert "bookings:       0 (the booking file was lost: import the bookings again;" in status.out


def test_db_status_and_upgrade_from_an_older_schema(tmp_path: Path, kiosk_cli: Kiosk) -> None:
    path = tmp_path / "old.db"
    engine = make_engine(path)
    try:
        migrate.upgrade(engine, "0001")
    finally:
        engine.dispose()
    head = migrate.head_revision()
    status = kiosk_cli("db", "status", "--db", str(path))
    assert f"schema version: 0001 (needs `kiosk db upgrade`; this kiosk's: {head})" in status.out
    assert "needs an upgrade: run `kiosk db upgrade" in error_line(kiosk_cli("guard", "list", "--db", str(path)))
    upgraded = kiosk_cli("db", "upgrade", "--db", str(path))
    assert upgraded.out.strip() == f"{path}: upgraded from schema version 0001 to {head}"
    assert kiosk_cli("db", "upgrade", "--db", str(path)).out.strip() == f"{path}: already at schema version {head}"
    status = kiosk_cli("db", "status", "--db", str(path))
    assert status.code == 0
    assert f"schema version: {head} (up to date" in status.out
    assert "file integrity: ok" in status.out


def test_db_status_of_a_newer_schema_fails(tmp_path: Path, kiosk_cli: Kiosk) -> None:
    path = tmp_path / "newer.db"
    newer_schema(path)
    result = kiosk_cli("db", "status", "--db", str(path))
    assert result.code == 1
    assert "schema version: 0999 (newer than this kiosk knows" in result.out
    assert "newer than this kiosk software knows" in error_line(kiosk_cli("db", "upgrade", "--db", str(path)))


def test_db_status_and_config_show_name_the_office(db: Path, kiosk_cli: Kiosk) -> None:
    for command in (("db", "status"), ("config", "show")):
        unknown = kiosk_cli(*command, "--db", str(db))
        assert unknown.code == 0 and "office name:" in unknown.out and "not known yet" in unknown.out
    assert kiosk_cli("setup", "--db", str(db), "--office-name", "Kantor Imigrasi Kelas I TPI Denpasar").code == 0
    assert "office name:    Kantor Imigrasi Kelas I TPI Denpasar\n" in kiosk_cli("db", "status", "--db", str(db)).out
    shown = kiosk_cli("config", "show", "--db", str(db)).out
    assert "office name: Kantor Imigrasi Kelas I TPI Denpasar\n" in shown
