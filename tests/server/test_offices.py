"""Offices' full names (issue 15): schema version 3 adds `offices.name` to an older database, `kiosk server
office add/set --name` sets it, and the office directory (every named office) is what the feed offers."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text, update

from kiosk.server import offices
from kiosk.server.cli import main
from kiosk.server.db import ServerDbError, init_schema, make_engine, reading, writing
from kiosk.server.models import SCHEMA_VERSION, MetaRow, OfficeRow
from tests.server.support import Admin, fresh_database, now

SEMARANG = "Kantor Imigrasi Kelas I TPI Semarang"


def _version(engine: object) -> str:
    with reading(engine) as connection:  # type: ignore[arg-type]
        return str(connection.execute(select(MetaRow.value).where(MetaRow.key == "schema_version")).scalar())


def _make_version_2(engine: object) -> None:
    """What a version 2 server left: offices without the name column, version 2 recorded."""
    with writing(engine) as connection:  # type: ignore[arg-type]
        connection.execute(text("ALTER TABLE offices DROP COLUMN name"))
        connection.execute(update(MetaRow).where(MetaRow.key == "schema_version").values(value="2"))


def test_a_version_2_database_gains_the_office_name(backend: str, tmp_path: Path) -> None:
    """Version 2 had no offices.name: init adds it (empty for every office), keeps every row and records
    version 3; done again, it changes nothing. A newer database is refused untouched."""
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        try:
            admin = Admin(url)
            office = admin.office()
            token = admin.enrol(office)
            admin.close()
            _make_version_2(engine)
            engine.dispose()
            assert "name" not in {c["name"] for c in inspect(engine).get_columns("offices")}
            init_schema(engine)
            assert _version(engine) == str(SCHEMA_VERSION) == "3"
            with reading(engine) as connection:
                row = offices.office(connection, office)
                assert (row.code, row.name) == (office, "")
                assert offices.directory(connection) == {}
            init_schema(engine)  # again: nothing to add
            assert _version(engine) == "3"
            with writing(engine) as connection:
                offices.set_office(connection, office, None, None, f"  {SEMARANG}  ")
                offices.add_office(connection, "SMGNEW", now(), {"zone": "Asia/Jakarta"})  # the default name
            with reading(engine) as connection:
                assert offices.directory(connection) == {office: SEMARANG}
                assert connection.execute(select(OfficeRow.name).where(OfficeRow.code == "SMGNEW")).scalar() == ""
            assert token  # the kiosk row of version 2 is still there to enrol
            with writing(engine) as connection:
                connection.execute(update(MetaRow).where(MetaRow.key == "schema_version").values(value="4"))
            engine.dispose()
            with pytest.raises(ServerDbError, match="schema version 4"):
                init_schema(engine)
        finally:
            engine.dispose()


def test_two_servers_upgrading_at_once_add_the_column_once(backend: str, tmp_path: Path) -> None:
    """Each step is safe to repeat: a second server's init over a database the first one upgraded finds
    the column there and adds nothing (two at the same moment: SQLite lets one writer in at a time, and
    PostgreSQL's ADD COLUMN IF NOT EXISTS waits for the other's and then does nothing)."""
    with fresh_database(backend, tmp_path) as url:
        first, second = make_engine(url), make_engine(url)
        try:
            init_schema(first)
            _make_version_2(first)
            first.dispose()
            init_schema(first)
            init_schema(second)
            assert _version(second) == "3"
            assert [c["name"] for c in inspect(second).get_columns("offices")].count("name") == 1
        finally:
            first.dispose()
            second.dispose()


def run(capsys: pytest.CaptureFixture[str], db: str, *argv: str, status: int = 0) -> str:
    assert main(["--db", db, *argv]) == status
    captured = capsys.readouterr()
    return captured.out + captured.err


def test_office_add_set_and_list_with_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'server.db'}"
    run(capsys, db, "init")
    said = run(capsys, db, "office", "add", "smg", "--zone", "WIB", "--name", SEMARANG)
    assert f"office SMG added (Asia/Jakarta): {SEMARANG}" in said
    run(capsys, db, "office", "add", "SGR", "--zone", "WITA")
    listed = run(capsys, db, "office", "list")
    assert SEMARANG in listed and "SGR" in listed
    run(capsys, db, "office", "set", "SGR", "--name", "Kantor  Imigrasi Kelas II\tTPI Singaraja")
    assert "error" in run(capsys, db, "office", "set", "SGR", "--name", "x" * 121, status=1)
    assert "error" in run(capsys, db, "office", "set", "SGR", "--name", "Kantor\u202eImigrasi", status=1)
    assert "error" in run(capsys, db, "office", "add", "DPS", "--name", "a\x00b", status=1)
    engine = make_engine(db)
    try:
        with reading(engine) as connection:
            assert offices.directory(connection) == {"SGR": "Kantor Imigrasi Kelas II TPI Singaraja", "SMG": SEMARANG}
            assert connection.execute(select(OfficeRow.code).where(OfficeRow.code == "DPS")).first() is None
        run(capsys, db, "office", "set", "SMG", "--name", "")  # removes it
        run(capsys, db, "office", "set", "SGR", "--rules", '{"early_minutes": 20}')  # the name stays
        with reading(engine) as connection:
            assert offices.directory(connection) == {"SGR": "Kantor Imigrasi Kelas II TPI Singaraja"}
    finally:
        engine.dispose()
