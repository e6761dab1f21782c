"""`kiosk setup` (kiosk/cli/setup.py): office, gate and rules from the options and the configuration file."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from kiosk.store.db import KioskStore
from tests.cli.helpers import Kiosk, error_line


def test_setup_needs_office_and_zone_and_leaves_nothing_when_refused(tmp_path: Path, kiosk_cli: Kiosk) -> None:
    path = tmp_path / "new.db"
    assert "give the office" in error_line(kiosk_cli("setup", "--db", str(path)))
    assert "time zone" in error_line(kiosk_cli("setup", "--db", str(path), "--office", "DPS"))
    assert "not an Indonesian office time zone" in error_line(
        kiosk_cli("setup", "--db", str(path), "--office", "DPS", "--zone", "CET")
    )
    assert not path.exists()


def test_setup_changes_only_what_it_is_given(db: Path, kiosk_cli: Kiosk) -> None:
    result = kiosk_cli("setup", "--db", str(db), "--gate", "G3", "--late-minutes", "90", "--allow-later-same-day")
    assert result.code == 0, result.err
    assert "configured" in result.out
    with KioskStore.open(db, create=False, upgrade=False) as store:
        identity, rules = store.settings.identity(), store.settings.rules()
    assert (identity.office_code, identity.gate, rules.zone) == ("DPS", "G3", "Asia/Makassar")
    assert (rules.late_minutes, rules.allow_later_same_day, rules.early_minutes) == (90, True, 30)


def test_setup_takes_the_configuration_file(tmp_path: Path, kiosk_cli: Kiosk) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(
        '[database]\npath = "office.db"\n[kiosk]\noffice = "JKS"\ngate = "G2"\n'
        '[office]\nzone = "WIB"\nearly_minutes = 45\n',
        encoding="utf-8",
    )
    result = kiosk_cli("--config", str(config), "setup")
    assert result.code == 0, result.err
    with KioskStore.open(tmp_path / "office.db", create=False, upgrade=False) as store:
        assert store.settings.identity().office_code == "JKS"
        assert (store.settings.rules().zone, store.settings.rules().early_minutes) == ("Asia/Jakarta", 45)
    shown = kiosk_cli("--config", str(config), "config", "show").out
    assert f"configuration file: {config}" in shown
    assert "early_minutes=45" in shown


def test_kiosk_setup_again_is_audited(db: Path, kiosk_cli: Kiosk) -> None:
    with closing(sqlite3.connect(db)) as connection:
        before = connection.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
    assert kiosk_cli("setup", "--db", str(db), "--early-minutes", "45").code == 0
    with closing(sqlite3.connect(db)) as connection:
        after = connection.execute("SELECT kind, subject FROM audit_log WHERE seq > ?", (before,)).fetchall()
    assert after == [("settings", "office")]


def test_setup_names_the_office_for_a_kiosk_without_a_server(tmp_path: Path, db: Path, kiosk_cli: Kiosk) -> None:
    """--office-name: shown to applicants and printed on reports; audited; "" removes it; a name no screen
    may show is refused, and a refused new database is not made."""
    result = kiosk_cli("setup", "--db", str(db), "--office-name", "  Kantor Imigrasi Kelas I  TPI Denpasar ")
    assert result.code == 0, result.err
    assert 'office DPS "Kantor Imigrasi Kelas I TPI Denpasar"' in result.out
    with KioskStore.open(db, create=False, upgrade=False) as store:
        assert store.settings.office_name() == "Kantor Imigrasi Kelas I TPI Denpasar"
        assert store.settings.office_names() == {"DPS": "Kantor Imigrasi Kelas I TPI Denpasar"}
    with closing(sqlite3.connect(db)) as raw:
        kinds = raw.execute("SELECT kind, subject FROM audit_log ORDER BY seq DESC LIMIT 2").fetchall()
    assert ("settings", "office.names") in kinds
    assert kiosk_cli("setup", "--db", str(db), "--gate", "G2").code == 0  # other changes keep the name
    with KioskStore.open(db, create=False, upgrade=False) as store:
        assert store.settings.office_name() == "Kantor Imigrasi Kelas I TPI Denpasar"
    assert "--office-name" in error_line(kiosk_cli("setup", "--db", str(db), "--office-name", "Kantor\nImigrasi" * 20))
    assert "--office-name" in error_line(kiosk_cli("setup", "--db", str(db), "--office-name", "Kantor \u202eX"))
    assert kiosk_cli("setup", "--db", str(db), "--office-name", "").code == 0
    with KioskStore.open(db, create=False, upgrade=False) as store:
        assert store.settings.office_name() == ""
    new = tmp_path / "new.db"
    refused = kiosk_cli("setup", "--db", str(new), "--office", "DPS", "--zone", "WITA", "--office-name", "x" * 121)
    assert "--office-name" in error_line(refused)
    assert not new.exists()
