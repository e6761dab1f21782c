"""The `kiosk` command line: every command on real database files, every expected failure as one
clear line and an exit code, never a traceback.

Most tests call kiosk.cli.main() in-process; a few run `python -m kiosk` to prove what a person at a
terminal sees. Every test has its own data and config folders: nothing touches the real ~/.local.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shlex
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

import kiosk
from kiosk import cli
from kiosk.domain.model import Reason
from kiosk.store import migrate
from kiosk.store.db import KioskStore
from kiosk.store.engine import feed_path_for, make_engine

REPO = Path(__file__).resolve().parents[1]
DAY = "2027-03-15"  # after the build date: the clock is trusted
HEADER = "code,booking_ref,office,service_date,slot_start,slot_end,status,party_size,category,name,nik_last4"

#: The office's bookings (DPS, WITA), all for 10.00-10.30 on DAY unless the row says otherwise.
CODES = {
    "admit": "ADMT-2345-WXYZ",
    "family": "FAMY-3456-PQRS",
    "cancelled": "CNCL-4567-KLMN",
    "rescheduled": "RSCH-5678-GHJK",
    "unpaid": "UNPD-6789-DEFG",
    "priority": "PRIO-7892-BCDE",
    "other_office": "SGRX-8923-ABCD",
    "tomorrow": "TMRW-9234-VWXY",
}
ROWS = [
    f"{CODES['admit']},B-1,DPS,{DAY},10:00,10:30,active,1,regular,Ni Luh Putu Ayu,4821",
    f"{CODES['family']},B-2,DPS,{DAY},10:00,10:30,active,3,regular,Budi Santoso,0193",
    f"{CODES['cancelled']},B-3,DPS,{DAY},10:00,10:30,cancelled,1,regular,Siti Rahayu,5520",
    f"{CODES['rescheduled']},B-4,DPS,{DAY},10:00,10:30,rescheduled,1,regular,Andi Baso Amir,7781",
    f"{CODES['unpaid']},B-5,DPS,{DAY},10:00,10:30,unpaid,2,regular,Yosias Wenda,",
    f"{CODES['priority']},B-6,DPS,{DAY},10:00,10:30,active,1,priority,Togar Siregar,3310",
    f"{CODES['other_office']},B-7,SGR,{DAY},10:00,10:30,active,1,regular,Grace Wowor,9902",
    f"{CODES['tomorrow']},B-8,DPS,2027-03-16,10:00,10:30,active,1,regular,Lina Wijaya,1204",
]
PIN = "482915"


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


Kiosk = Callable[..., Run]


@pytest.fixture(autouse=True)
def own_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Data and config folders inside the test's tmp_path; no database or config from the environment."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("KIOSK_DB", raising=False)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def kiosk_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Kiosk:
    """Run `kiosk ARGS` in-process with `stdin` bytes; never a traceback on stderr."""

    def run(*args: str, stdin: bytes = b"") -> Run:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
        code = cli.main(list(args))
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err, captured.err
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def db(tmp_path: Path, kiosk_cli: Kiosk) -> Path:
    """A kiosk database for office DPS (WITA) at gate G1, with ROWS imported."""
    path = tmp_path / "kiosk.db"
    assert kiosk_cli("setup", "--db", str(path), "--office", "DPS", "--zone", "WITA", "--gate", "G1").code == 0
    export = write_csv(tmp_path / "bookings.csv", ROWS)
    result = kiosk_cli("import", "--db", str(path), str(export))
    assert result.code == 0, result.err
    return path


def write_csv(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def booking_count(path: Path) -> int:
    with KioskStore.open(path, create=False, upgrade=False) as store:
        return store.booking_count()


def raw_sql(path: Path, sql: str) -> None:
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute(sql)


def error_line(run: Run) -> str:
    """The one `kiosk: error:` line a failed command prints."""
    lines = [line for line in run.err.splitlines() if line.startswith("kiosk: error: ")]
    assert len(lines) == 1, run.err
    return lines[0]


# --- the parser -------------------------------------------------------------------------------------


def all_commands(parser: object = None, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command path (`guard add`, `db status`...) the parser knows."""
    import argparse

    parser = parser or cli.build_parser()
    assert isinstance(parser, argparse.ArgumentParser)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from all_commands(sub, (*prefix, name))


def test_every_command_has_help(kiosk_cli: Kiosk) -> None:
    commands = list(all_commands())
    assert {"demo", "demo-data", "import", "check", "setup", "purge", "pii-inventory"} <= {c[0] for c in commands}
    assert {("audit", "verify"), ("guard", "add"), ("db", "upgrade"), ("config", "show")} <= set(commands)
    for command in commands:
        result = kiosk_cli(*command, "--help")
        assert result.code == 0, command
        assert result.out.startswith(f"usage: kiosk {' '.join(command)}"), command


def test_version(kiosk_cli: Kiosk) -> None:
    result = kiosk_cli("--version")
    assert (result.code, result.out.strip()) == (0, f"kiosk {kiosk.__version__}")


@pytest.mark.parametrize(
    "args",
    [[], ["nosuch"], ["check"], ["purge", "--days", "-1"], ["guard"], ["import", "x.csv", "--format", "xls"]],
    ids=["nothing", "unknown", "missing CODE", "negative days", "no action", "bad format"],
)
def test_a_bad_command_line_exits_2_with_usage(kiosk_cli: Kiosk, args: list[str]) -> None:
    result = kiosk_cli(*args)
    assert result.code == 2
    assert "usage: kiosk" in result.err


def test_import_help_says_refused_rows_give_a_nonzero_exit(kiosk_cli: Kiosk) -> None:
    assert "the exit code is then 1" in kiosk_cli("import", "--help").out


# --- databases that cannot be used ------------------------------------------------------------------


def not_sqlite(path: Path) -> None:
    path.write_bytes(b"this is a text file, not a database\n" * 10)


def foreign_sqlite(path: Path) -> None:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE photos (id INTEGER)")
        connection.commit()


def newer_schema(path: Path) -> None:
    with KioskStore.open(path):
        pass
    raw_sql(path, "UPDATE alembic_version SET version_num = '0999'")


def damaged(path: Path) -> None:
    with KioskStore.open(path) as store:
        store.import_bookings([], cli.now_utc(), "test")
    data = bytearray(path.read_bytes())
    data[4096:] = bytes(len(data) - 4096)  # zero every page after the first: the schema points nowhere
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(None, "no kiosk database at", id="missing"),
        pytest.param(not_sqlite, "is not an SQLite database", id="not a database"),
        pytest.param(foreign_sqlite, "not a kiosk database", id="foreign SQLite"),
        pytest.param(newer_schema, "newer than this kiosk software knows", id="newer schema"),
        pytest.param(damaged, "damaged", id="damaged"),
    ],
)
@pytest.mark.parametrize(
    "command",
    [["check", "ADMT-2345-WXYZ"], ["audit", "verify"], ["guard", "list"], ["pii-inventory"], ["purge"]],
    ids=" ".join,
)
def test_an_unusable_database_gives_one_clear_line(
    tmp_path: Path, kiosk_cli: Kiosk, make: Callable[[Path], None] | None, message: str, command: list[str]
) -> None:
    path = tmp_path / "kiosk.db"
    if make is not None:
        make(path)
    before = path.read_bytes() if path.exists() else None
    result = kiosk_cli(*command, "--db", str(path))
    assert result.code == 1
    assert message in error_line(result)
    assert (path.read_bytes() if path.exists() else None) == before or make is damaged
    assert not (tmp_path / "kiosk.db.key").exists() or make in (newer_schema, damaged)


def test_a_folder_given_as_database(tmp_path: Path, kiosk_cli: Kiosk) -> None:
    result = kiosk_cli("check", "X", "--db", str(tmp_path))
    assert (result.code, error_line(result)) == (1, f"kiosk: error: {tmp_path} is a folder, not a database file")


def test_an_unexpected_error_is_reported_without_traceback(kiosk_cli: Kiosk, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(ctx: cli.Context) -> int:
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr(cli, "cmd_purge", broken)
    result = kiosk_cli("purge")
    assert result.code == cli.EXIT_INTERNAL
    assert "internal error (RuntimeError: something nobody expected)" in error_line(result)


def test_interrupt_exits_130(kiosk_cli: Kiosk, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(ctx: cli.Context) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_purge", interrupted)
    result = kiosk_cli("purge")
    assert (result.code, result.err.strip()) == (130, "kiosk: interrupted")


def test_db_status_says_the_booking_file_was_lost_until_bookings_are_imported_again(db: Path, kiosk_cli: Kiosk) -> None:
    assert "lost" not in kiosk_cli("db", "status", "--db", str(db)).out
    for path in db.parent.glob(feed_path_for(db).name + "*"):
        path.unlink()
    status = kiosk_cli("db", "status", "--db", str(db))
    assert status.code == 0
    assert "bookings:       0 (the booking file was lost: import the bookings again;" in status.out


# --- where the database is ------------------------------------------------------------------------------


def test_db_comes_from_the_flag_before_or_after_the_command_or_kiosk_db(
    db: Path, tmp_path: Path, kiosk_cli: Kiosk, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert kiosk_cli("--db", str(db), "db", "status").code == 0
    assert kiosk_cli("db", "status", "--db", str(db)).code == 0
    monkeypatch.setenv("KIOSK_DB", str(db))
    assert f"database:       {db}" in kiosk_cli("db", "status").out
    assert "from KIOSK_DB" in kiosk_cli("config", "show").out


def leaf_commands() -> list[tuple[tuple[str, ...], list[str]]]:
    """Every command that runs (not a group), with a value for each of its positional arguments."""
    import argparse

    leaves = []
    for command in all_commands():
        parser = cli.build_parser()
        for name in command:
            action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
            parser = action.choices[name]
        actions = parser._actions
        if any(isinstance(a, argparse._SubParsersAction) for a in actions):
            continue
        positionals = ["X" for a in actions if not a.option_strings]
        leaves.append((command, positionals))
    return leaves


def test_global_options_go_before_or_after_every_command_and_command_group() -> None:
    """--db, --config and -v at any level: `kiosk --db X guard list`, `kiosk guard --db X list`,
    `kiosk guard list --db X`; one given before the command is not reset by the command's parser."""
    leaves = leaf_commands()
    assert len(leaves) >= 18
    for command, positionals in leaves:
        for at in range(len(command) + 1):
            for options, given in (
                (["--db", "there.db", "--config", "there.toml", "-v"], ("there.db", "there.toml", 1)),
                (["--db=there.db", "--config=there.toml", "-vv"], ("there.db", "there.toml", 2)),
            ):
                argv = [*command[:at], *options, *command[at:], *positionals]
                args = cli.build_parser().parse_args(argv)
                found = (args.db, args.config, args.verbose + getattr(args, "verbose_after", 0))
                assert found == given, argv
        args = cli.build_parser().parse_args(["--db", "before.db", "-v", *command, *positionals, "-v"])
        assert (args.db, args.config, args.verbose + args.verbose_after) == ("before.db", None, 2), command


def test_verbose_counts_before_and_after_the_command(
    db: Path, kiosk_cli: Kiosk, monkeypatch: pytest.MonkeyPatch
) -> None:
    levels: list[int] = []
    start = cli._start_logging

    def noted(verbosity: int) -> logging.Handler:
        levels.append(verbosity)
        return start(verbosity)

    monkeypatch.setattr(cli, "_start_logging", noted)
    for argv in (["-v", "guard", "list", "-v"], ["guard", "-v", "list"], ["guard", "list", "-vv"], ["guard", "list"]):
        assert kiosk_cli(*argv, "--db", str(db)).code == 0
    assert levels == [2, 1, 2, 0]


def test_global_options_after_the_command_work_for_real(db: Path, tmp_path: Path, kiosk_cli: Kiosk) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[database]\npath = "{db}"\n', encoding="utf-8")
    for argv in (
        ["guard", "list", "--db", str(db)],
        ["guard", "--db", str(db), "list"],
        ["audit", "--config", str(config), "verify"],
        ["audit", "verify", "--config", str(config)],
        ["--config", str(config), "db", "status"],
    ):
        result = kiosk_cli(*argv)
        assert result.code == 0, (argv, result.err)
    assert "no configuration file at" in error_line(kiosk_cli("db", "status", "--config", str(tmp_path / "none.toml")))


@pytest.mark.parametrize(
    "argv",
    [
        ["sync", "enrol", "--db", "{db}", "--server", "http://127.0.0.1:9", "--token", "T" * 20, "--gate", "G1"],
        ["sync", "--db", "{db}", "enrol", "--server", "http://127.0.0.1:9", "--token", "T" * 20, "--gate", "G1"],
        ["--db", "{db}", "sync", "enrol", "--server", "http://127.0.0.1:9", "--token", "T" * 20, "--gate", "G1"],
    ],
    ids=["db-after-the-command", "db-before-the-command", "db-before-the-group"],
)
def test_sync_enrol_as_the_readme_writes_it(db: Path, kiosk_cli: Kiosk, argv: list[str]) -> None:
    """Nothing listens on port 9: the command gets as far as the network, past the command line."""
    result = kiosk_cli(*[part.replace("{db}", str(db)) for part in argv])
    assert result.code == 1
    assert result.err.startswith("error: cannot reach http://127.0.0.1:9: "), result.err


def test_sync_commands_take_db_before_or_after(db: Path, tmp_path: Path, kiosk_cli: Kiosk) -> None:
    for argv in (
        ["sync", "status", "--db", str(db)],
        ["sync", "--db", str(db), "status"],
        ["--db", str(db), "sync", "status"],
        ["sync", "--db", str(tmp_path / "other.db"), "status", "--db", str(db)],  # the last one given counts
    ):
        result = kiosk_cli(*argv)
        assert result.code == 0, (argv, result.err)
        assert result.out.startswith("Not enrolled") and "  outbox_pending: 0\n  outbox_refused: 0\n" in result.out
    assert not (tmp_path / "other.db").exists()
    assert kiosk_cli("sync", "status", "--db", str(db), "--bogus").code == 2


def test_the_default_database_is_in_the_data_folder(tmp_path: Path, kiosk_cli: Kiosk) -> None:
    result = kiosk_cli("setup", "--office", "DPS", "--zone", "WITA")
    assert result.code == 0, result.err
    assert (tmp_path / "data" / "kiosk" / "kiosk.db").exists()


# --- setup and config -----------------------------------------------------------------------------------


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
        identity, rules = store.identity(), store.rules()
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
        assert store.identity().office_code == "JKS"
        assert (store.rules().zone, store.rules().early_minutes) == ("Asia/Jakarta", 45)
    shown = kiosk_cli("--config", str(config), "config", "show").out
    assert f"configuration file: {config}" in shown
    assert "early_minutes=45" in shown


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[office]\nerly_minutes = 3\n", "unknown key 'erly_minutes' in [office]"),
        ("[office\n", "is not valid TOML"),
        ("[office]\nzone = 'CET'\n", "not an Indonesian office time zone"),
        ("[office]\nearly_minutes = 'thirty'\n", "early_minutes has the wrong type"),
        ("[camera]\nindex = 99\n", "camera.index must be between 0 and 63"),
        ("[camera]\ndecoder = 'quirc'\n", "[camera] decoder must be one of zxing, zbar, auto, not 'quirc'"),
        ("[camera]\ndecoder_process = 'yes'\n", "decoder_process has the wrong type"),
        ("[printer]\nname = 'x'\n", "unknown section [printer]"),
    ],
)
def test_a_bad_configuration_file_is_named_with_its_key(
    tmp_path: Path, kiosk_cli: Kiosk, text: str, message: str
) -> None:
    config = tmp_path / "config" / "kiosk" / "kiosk.toml"
    config.parent.mkdir(parents=True)
    config.write_text(text, encoding="utf-8")
    result = kiosk_cli("config", "show")
    assert result.code == 1
    assert message in error_line(result)
    assert str(config) in error_line(result)


def test_the_camera_section_chooses_the_decoder_and_where_it_runs(tmp_path: Path) -> None:
    from kiosk.config import CameraConfig, parse_config

    assert CameraConfig().decoder == "zxing" and CameraConfig().decoder_process
    config = parse_config({"camera": {"decoder": "zbar", "decoder_process": False}}, tmp_path / "kiosk.toml")
    assert (config.camera.decoder, config.camera.decoder_process) == ("zbar", False)


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({}, (True, 300)),
        ({"check": False}, (False, 300)),
        ({"budget_ms": 50}, (True, 50)),
        ({"budget_ms": 2000}, (True, 2000)),
    ],
)
def test_the_online_section_sets_the_check_and_its_budget(
    tmp_path: Path, section: dict[str, object], expected: tuple[bool, int]
) -> None:
    from kiosk.config import parse_config

    online = parse_config({"online": section}, tmp_path / "kiosk.toml").online
    assert (online.check, online.budget_ms) == expected


@pytest.mark.parametrize("budget", [0, 49, 2001, 8000])
def test_an_online_budget_out_of_range_is_refused(tmp_path: Path, budget: int) -> None:
    from kiosk.config import ConfigError, parse_config

    with pytest.raises(ConfigError, match=r"online\.budget_ms must be between 50 and 2000"):
        parse_config({"online": {"budget_ms": budget}}, tmp_path / "kiosk.toml")


def test_a_missing_configuration_file_named_explicitly(kiosk_cli: Kiosk) -> None:
    assert "no configuration file at nope.toml" in error_line(kiosk_cli("--config", "nope.toml", "config", "show"))


# --- import ---------------------------------------------------------------------------------------------


def test_import_applies_good_rows_reports_bad_ones_and_exits_1(db: Path, tmp_path: Path, kiosk_cli: Kiosk) -> None:
    rows = [
        f"NEWA-2345-WXYZ,N-1,DPS,{DAY},11:00,11:30,active,1,regular,Rina Kusuma,1111",
        "NEWB-2345-WXYZ,N-2,DPS,2027-02-30,11:00,11:30,active,1,regular,Dewi Lestari,2222",
        f"NEWC-2345-WXYZ,N-3,DPS,{DAY},11:00,11:30,active,1,regular,Joko,3171234567890001",
        f"NEWD-2345-WXYZ,N-4,DPS,{DAY},12:00,11:30,active,1,regular,Eko,4444",
        f"NEWE-2345-WXYZ,N-5,DPS,{DAY},11:00,11:30,active,1,regular,Rahmat,5555",
        f"NEWE-2345-WXYZ,N-6,DPS,{DAY},11:00,11:30,active,1,regular,Rahmi,6666",
    ]
    result = kiosk_cli("import", "--db", str(db), str(write_csv(tmp_path / "more.csv", rows)))
    assert result.code == 1
    assert result.out.strip() == "imported 1 bookings, 5 rows refused"
    reported = [line for line in result.err.splitlines() if line.startswith("more.csv:")]
    assert [line.split(":")[1] for line in reported] == ["3", "4", "5", "6", "7"]
    assert "no such day" in reported[0]
    assert "full 16-digit NIK" in reported[1]
    assert "slot_end must be later" in reported[2]
    assert "duplicate code" in reported[3]
    assert "3171234567890001" not in result.err
    assert "5 of 6 rows refused" in error_line(result)
    assert booking_count(db) == len(ROWS) + 1


def test_import_json_lines(db: Path, tmp_path: Path, kiosk_cli: Kiosk) -> None:
    line = (
        '{"code": "JSON-2345-WXYZ", "booking_ref": "J-1", "office": "DPS", "service_date": "2027-03-15", '
        '"slot_start": "11:00", "slot_end": "11:30", "status": "active", "party_size": 2, "category": "regular", '
        '"name": "Yance Rumbiak", "nik_last4": null}'
    )
    (tmp_path / "more.ndjson").write_text(line + "\n", encoding="utf-8")
    result = kiosk_cli("import", "--db", str(db), "more.ndjson")
    assert (result.code, result.out.strip()) == (0, "imported 1 bookings, 0 rows refused")


def test_an_older_version_is_counted_as_not_applied(db: Path, tmp_path: Path, kiosk_cli: Kiosk) -> None:
    header = HEADER + ",version"
    newer = write_csv(tmp_path / "v5.csv", [ROWS[0].replace("active", "cancelled") + ",5"], header)
    assert kiosk_cli("import", "--db", str(db), str(newer)).out.strip() == "imported 1 bookings, 0 rows refused"
    older = write_csv(tmp_path / "v2.csv", [ROWS[0] + ",2", ROWS[1] + ",2"], header)
    result = kiosk_cli("import", "--db", str(db), str(older))
    assert result.code == 0
    assert result.out.strip() == "imported 1 bookings, 0 rows refused, 1 not applied (the database has a newer version)"
    cancelled = kiosk_cli("check", "--db", str(db), CODES["admit"], "--at", f"{DAY}T10:05")
    assert "reason:  CANCELLED" in cancelled.out


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", "", "empty.csv is empty"),
        ("header.csv", HEADER + "\n", "has no booking rows"),
        ("cols.csv", "code,office\nA,B\n", "missing column(s): booking_ref"),
        ("b.xlsx", "x", "give --format csv or --format jsonl"),
        ("absent.csv", None, "no file absent.csv"),
    ],
)
def test_an_unusable_import_file_changes_nothing(
    db: Path, tmp_path: Path, kiosk_cli: Kiosk, name: str, content: str | None, message: str
) -> None:
    if content is not None:
        (tmp_path / name).write_text(content, encoding="utf-8")
    result = kiosk_cli("import", "--db", str(db), name)
    assert result.code == 1
    assert message in error_line(result)
    assert booking_count(db) == len(ROWS)


def test_if_the_apply_fails_nothing_is_imported(db: Path, tmp_path: Path, kiosk_cli: Kiosk) -> None:
    """The last row's code already belongs to booking B-1: the database refuses it after 3,000 rows
    were written in the same transaction, and none of them stays."""
    rows = [f"BULK-{n:04d}-WXYZ,BULK-{n},DPS,{DAY},11:00,11:30,active,1,regular,Budi,{n:04d}" for n in range(3000)]
    rows.append(f"{CODES['admit']},B-NEW,DPS,{DAY},11:00,11:30,active,1,regular,Budi,1234")
    result = kiosk_cli("import", "--db", str(db), str(write_csv(tmp_path / "bulk.csv", rows)))
    assert result.code == 1
    assert "nothing was imported" in error_line(result)
    assert booking_count(db) == len(ROWS)


def test_a_large_import_shows_a_progress_bar(db: Path, tmp_path: Path, kiosk_cli: Kiosk) -> None:
    rows = [f"BULK-{n:04d}-WXYZ,BULK-{n},DPS,{DAY},11:00,11:30,active,1,regular,Budi,{n:04d}" for n in range(6000)]
    result = kiosk_cli("import", "--db", str(db), "--progress", "always", str(write_csv(tmp_path / "bulk.csv", rows)))
    assert result.code == 0
    assert "importing bulk.csv [" in result.err
    assert result.err.rstrip().endswith("100%")
    assert kiosk_cli("import", "--db", str(db), str(tmp_path / "bulk.csv")).err == ""  # auto: not a terminal


def test_the_progress_bar_redraws_in_place_and_keeps_notes_readable(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with cli._progress_bar("auto", "importing x.csv", large=False) as quiet:
        assert quiet.callback is None  # a small file: no bar
    with cli._progress_bar("auto", "importing x.csv", large=True) as bar:
        assert bar.callback is not None
        bar.callback(50, 100)
        bar.note("x.csv:7: bad service_date")
        bar.callback(100, 100)
    visible = [line.split("\r")[-1].rstrip() for line in terminal.getvalue().split("\n")]
    assert visible == ["x.csv:7: bad service_date", "importing x.csv [" + "#" * 30 + "] 100%", ""]


# --- check ----------------------------------------------------------------------------------------------

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


# --- audit ----------------------------------------------------------------------------------------------


def test_audit_verify_finds_an_edited_event_and_an_edited_entry(db: Path, kiosk_cli: Kiosk) -> None:
    kiosk_cli("check", "--db", str(db), CODES["cancelled"])
    ok = kiosk_cli("audit", "verify", "--db", str(db))
    assert ok.code == 0
    assert re.fullmatch(r"audit chain OK: \d+ entries, 1 events", ok.out.splitlines()[0])
    assert "not anchored by a server (no receipt)" in ok.out

    raw_sql(db, "UPDATE scan_events SET verdict = 'ADMIT', reason = 'OK'")
    edited = kiosk_cli("audit", "verify", "--db", str(db))
    assert edited.code == 1
    assert re.search(r"event [0-9a-f-]{36} was edited after it was recorded", edited.out)
    first_bad = re.search(r"first bad entry: (\d+)", error_line(edited))
    assert first_bad is not None

    raw_sql(db, "UPDATE audit_log SET subject = 'someone else' WHERE seq = 1")
    both = kiosk_cli("audit", "verify", "--db", str(db))
    assert both.code == 1
    assert "entry 1 was edited (its hash does not match its contents)" in both.out
    assert "first bad entry: 1" in error_line(both)
    assert int(first_bad[1]) > 1


def test_audit_verify_checks_a_head_printed_on_paper(db: Path, kiosk_cli: Kiosk) -> None:
    kiosk_cli("check", "--db", str(db), CODES["admit"])
    ok = kiosk_cli("audit", "verify", "--db", str(db))
    head = re.search(r"^head: entry (\d+), hash ([0-9a-f ]+)$", ok.out, re.MULTILINE)
    assert head is not None
    seq, grouped = int(head[1]), head[2]
    printed = f"{seq}:{grouped[:39]}"  # the first 32 hex digits, in groups of four, as on paper
    matched = kiosk_cli("audit", "verify", "--db", str(db), "--expect", printed)
    assert matched.code == 0 and f"the chain holds the expected head: entry {seq}" in matched.out
    kiosk_cli("check", "--db", str(db), CODES["family"])  # the chain goes on: the head stays in it
    assert kiosk_cli("audit", "verify", "--db", str(db), "--expect", printed).code == 0

    wrong = kiosk_cli("audit", "verify", "--db", str(db), "--expect", f"{seq}:{'0' * 16}")
    assert wrong.code == 1 and f"entry {seq} is not the expected head" in wrong.out
    beyond = kiosk_cli("audit", "verify", "--db", str(db), "--expect", f"{seq + 50}:{grouped[:19]}")
    assert beyond.code == 1 and f"the expected head, entry {seq + 50}, is not in the chain" in beyond.out
    raw_sql(db, f"DELETE FROM audit_log WHERE seq > {seq - 1}")
    raw_sql(db, "DELETE FROM scan_events")
    cut = kiosk_cli("audit", "verify", "--db", str(db), "--expect", printed)
    assert cut.code == 1 and f"the expected head, entry {seq}, is not in the chain" in cut.out


@pytest.mark.parametrize("expect", ["12", "12:abc", "x:0123456789abcdef", "12:0123456789abcdeg"])
def test_audit_verify_explains_a_mistyped_head(db: Path, kiosk_cli: Kiosk, expect: str) -> None:
    result = kiosk_cli("audit", "verify", "--db", str(db), "--expect", expect)
    assert result.code == 2 and error_line(result).startswith("kiosk: error: --expect")


# --- guards ---------------------------------------------------------------------------------------------


def test_guards_are_added_listed_disabled_and_enabled(db: Path, kiosk_cli: Kiosk) -> None:
    assert kiosk_cli("guard", "list", "--db", str(db)).out.startswith("no guards yet")
    added = kiosk_cli("guard", "add", "Wayan", "--db", str(db), stdin=f"{PIN}\n{PIN}\n".encode())
    assert (added.code, added.out.strip()) == (0, "added guard Wayan (id 1)")
    assert kiosk_cli("guard", "add", "Made", "--db", str(db), "--pin-stdin", stdin=b"730264\n").code == 0
    listing = kiosk_cli("guard", "list", "--db", str(db)).out.splitlines()
    assert listing[0].split() == ["NAME", "STATE", "FAILED", "PINS", "ADDED"]
    assert [line.split()[:2] for line in listing[1:]] == [["Made", "active"], ["Wayan", "active"]]
    assert kiosk_cli("guard", "disable", "Wayan", "--db", str(db)).out.strip() == "guard Wayan is now disabled"
    assert "disabled" in kiosk_cli("guard", "list", "--db", str(db)).out.splitlines()[2]
    refused = kiosk_cli("guard", "verify", "Wayan", "--db", str(db), stdin=f"{PIN}\n".encode())
    assert error_line(refused) == "kiosk: error: this guard is disabled"
    assert kiosk_cli("guard", "enable", "Wayan", "--db", str(db)).out.strip() == "guard Wayan is now enabled"
    assert kiosk_cli("guard", "verify", "Wayan", "--db", str(db), stdin=f"{PIN}\n".encode()).out == "PIN OK for Wayan\n"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["add", "Wayan"], f"{PIN}\n{PIN}\n", "a guard named 'Wayan' already exists"),
        (["add", "Made"], "123456\n", "this PIN is too easy to guess"),
        (["add", "Made"], "12ab56\n", "a PIN is digits only"),
        (["add", "Made"], f"{PIN}\n730264\n", "the two PINs differ"),
        (["add", "Made"], "", "no PIN on standard input"),
        (["verify", "Wayan"], "730264\n", "wrong PIN (4 tries left)"),
        (["verify", "Nobody"], f"{PIN}\n", "no guard named 'Nobody'"),
        (["disable", "Nobody"], "", "no guard named 'Nobody'"),
    ],
)
def test_guard_mistakes_are_one_line(db: Path, kiosk_cli: Kiosk, args: list[str], stdin: str, message: str) -> None:
    kiosk_cli("guard", "add", "Wayan", "--db", str(db), stdin=f"{PIN}\n".encode())
    result = kiosk_cli("guard", *args, "--db", str(db), stdin=stdin.encode())
    assert result.code == 1
    assert error_line(result).startswith(f"kiosk: error: {message}")


def test_a_guard_is_locked_out_after_five_wrong_pins(db: Path, kiosk_cli: Kiosk) -> None:
    kiosk_cli("guard", "add", "Wayan", "--db", str(db), stdin=f"{PIN}\n".encode())
    for _ in range(5):
        kiosk_cli("guard", "verify", "Wayan", "--db", str(db), stdin=b"730264\n")
    result = kiosk_cli("guard", "verify", "Wayan", "--db", str(db), stdin=f"{PIN}\n".encode())
    assert "too many wrong PINs; locked until" in error_line(result)
    assert kiosk_cli("guard", "list", "--db", str(db)).out.splitlines()[1].split()[1] == "locked"


def test_guard_add_asks_twice_on_a_terminal(db: Path, kiosk_cli: Kiosk, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = [PIN, "730264", PIN, PIN]
    prompts: list[str] = []

    def typed(prompt: str) -> str:
        prompts.append(prompt)
        return answers.pop(0)

    monkeypatch.setattr(cli, "_stdin_is_terminal", lambda: True)
    monkeypatch.setattr("getpass.getpass", typed)
    result = kiosk_cli("guard", "add", "Wayan", "--db", str(db))
    assert error_line(result) == "kiosk: error: the two PINs differ; nothing was changed"
    assert prompts == ["new PIN for Wayan: ", "the same PIN again: "]
    assert kiosk_cli("guard", "add", "Wayan", "--db", str(db)).code == 0
    assert answers == []


# --- purge, privacy, schema -----------------------------------------------------------------------------


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


# --- demo -----------------------------------------------------------------------------------------------

SAMPLE_LINE = re.compile(r"^  (\S+)\s+(ADMIT|DENY|REFER) (\w+)\s+(.+)$")


def demo_table(out: str) -> dict[str, tuple[str, str]]:
    """code -> (reason, title) from the demo's table of sample codes."""
    return {m[1]: (m[3], m[4]) for m in map(SAMPLE_LINE.match, out.splitlines()) if m}


def test_demo_text_mode_reads_codes_from_stdin(tmp_path: Path, kiosk_cli: Kiosk) -> None:
    first = kiosk_cli("demo", "--text", "--seed", "7", "--at", "10:10")
    assert first.code == 0, first.err
    table = demo_table(first.out)
    wanted = {"OK", "TOO_EARLY", "TOO_LATE", "WRONG_DAY", "WRONG_OFFICE", "CANCELLED", "RESCHEDULED", "UNPAID"}
    assert wanted | {"NEEDS_OFFICER", "ALREADY_ADMITTED", "UNKNOWN_CODE", "NOT_A_BOOKING"} == {
        reason for reason, _ in table.values()
    }
    assert any("party of 3" in title for reason, title in table.values() if reason == "OK")
    assert {"3275014101900007", "https://www.imigrasi.go.id/"} <= set(table)

    # The same database again: the first run's codes still answer as the table said.
    codes = list(table)
    stdin = "\n".join([*codes, codes[0], "", "\x00\x1b[2J"]).encode() + b"\n\xff\xfe\n"
    second = kiosk_cli("demo", "--text", "--seed", "7", "--at", "10:10", stdin=stdin)
    assert second.code == 0, second.err
    answers = re.findall(r"^  reason:  (\w+)$", second.out, re.MULTILINE)
    expected = [table[code][0] for code in codes]
    assert answers == [*expected, "ALREADY_ADMITTED", "NOT_A_BOOKING", "NOT_A_BOOKING"]
    assert second.out.count("  id:      ") == second.out.count("  en:      ") == len(answers)
    assert f"{len(answers)} code(s) checked" in second.out
    demo_db = tmp_path / "data" / "kiosk" / "demo" / "kiosk-demo.db"
    assert kiosk_cli("audit", "verify", "--db", str(demo_db)).code == 0


def test_demo_never_touches_a_real_database(db: Path, kiosk_cli: Kiosk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_DB", str(db))
    before = booking_count(db)
    assert kiosk_cli("demo", "--text", "--at", "10:00").code == 0  # KIOSK_DB is not the demo's
    assert booking_count(db) == before
    refused = kiosk_cli("demo", "--text", "--db", str(db))
    assert "is not a demo database" in error_line(refused)
    assert booking_count(db) == before


def test_demo_does_not_upgrade_a_database_it_then_refuses(tmp_path: Path, kiosk_cli: Kiosk) -> None:
    path = tmp_path / "old.db"
    engine = make_engine(path)
    try:
        migrate.upgrade(engine, "0001")
    finally:
        engine.dispose()
    result = kiosk_cli("demo", "--text", "--db", str(path), "--at", "10:00")
    assert "needs an upgrade" in error_line(result)
    assert "schema version: 0001" in kiosk_cli("db", "status", "--db", str(path)).out


def test_demo_needs_room_for_every_sample(kiosk_cli: Kiosk) -> None:
    assert "between 03.00 and 21.00" in error_line(kiosk_cli("demo", "--text", "--at", "22:30"))


# --- as a program ---------------------------------------------------------------------------------------


def run_program(tmp_path: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("KIOSK_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        input=stdin.decode("utf-8", "surrogateescape"),
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_as_a_program_expected_errors_have_no_traceback(tmp_path: Path) -> None:
    missing = run_program(tmp_path, "check", "MP7K-4Q9X-H2PT", "--db", "absent.db")
    assert missing.returncode == 1
    assert missing.stderr.startswith("kiosk: error: no kiosk database at absent.db")
    assert "Traceback" not in missing.stderr
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("hello\n", encoding="utf-8")
    refused = run_program(tmp_path, "audit", "verify", "--db", str(not_a_db))
    assert (refused.returncode, "Traceback" in refused.stderr) == (1, False)
    usage = run_program(tmp_path, "check")
    assert (usage.returncode, "Traceback" in usage.stderr) == (2, False)


def test_as_a_program_the_demo_works_from_a_pipe(tmp_path: Path) -> None:
    done = run_program(tmp_path, "demo", "--text", "--at", "11:00", stdin=b"3275014101900007\n")
    assert done.returncode == 0, done.stderr
    assert "reason:  NOT_A_BOOKING" in done.stdout
    assert "en:      ENTRY NOT POSSIBLE - This is an ID number (NIK), not a booking QR." in done.stdout
    assert "Traceback" not in done.stderr


def test_as_a_program_refused_import_rows_exit_1(tmp_path: Path) -> None:
    assert run_program(tmp_path, "setup", "--db", "k.db", "--office", "DPS", "--zone", "WITA").returncode == 0
    write_csv(tmp_path / "b.csv", [ROWS[0], ROWS[1].replace("active", "finished")])
    done = run_program(tmp_path, "import", "--db", "k.db", "b.csv")
    assert done.returncode == 1
    assert done.stdout == "imported 1 bookings, 1 rows refused\n"
    assert done.stderr.startswith("b.csv:3: unknown status 'finished'")
    assert "1 of 2 rows refused (listed above); the other rows were imported" in done.stderr
    write_csv(tmp_path / "all-bad.csv", [ROWS[1].replace("active", "finished")])
    all_bad = run_program(tmp_path, "import", "--db", "k.db", "all-bad.csv")
    assert (all_bad.returncode, "1 of 1 rows refused (listed above); nothing was imported" in all_bad.stderr) == (
        1,
        True,
    )
    assert "Traceback" not in done.stderr


#: `python -m MODULE ARGS`: the kiosk command, and the sync group's module on its own.
PIPED = [
    ["kiosk", "--help"],
    ["kiosk", "sync", "--help"],
    ["kiosk", "sync", "status", "--db", "{db}"],
    ["kiosk", "--db", "{db}", "sync", "status"],
    ["kiosk", "db", "status", "--db", "{db}"],
    ["kiosk", "guard", "list", "--db", "{db}"],
    ["kiosk", "audit", "verify", "--db", "{db}"],
    ["kiosk", "check", "ADMT-2345-WXYZ", "--dry-run", "--db", "{db}"],
    ["kiosk", "pii-inventory", "--db", "{db}"],
    ["kiosk.cli_sync", "status", "--db", "{db}"],
    ["kiosk.cli_sync", "--help"],
]


def piped_env(tmp_path: Path, unbuffered: bool) -> dict[str, str]:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("KIOSK_DB", None)
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize("argv", PIPED, ids=[" ".join(a).replace("{db}", "DB") for a in PIPED])
def test_output_into_a_reader_that_is_gone_ends_quietly(
    db: Path, tmp_path: Path, argv: list[str], unbuffered: bool
) -> None:
    """stdout is a pipe whose reader has already left: every write fails (EPIPE). Python's default
    would be a BrokenPipeError traceback, or "Exception ignored ... BrokenPipeError" at exit."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", *[part.replace("{db}", str(db)) for part in argv]],
            stdin=subprocess.DEVNULL,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=piped_env(tmp_path, unbuffered),
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode in (0, 1)


def test_piped_into_head_there_is_no_traceback(db: Path, tmp_path: Path) -> None:
    """`kiosk guard list | head -1`, `kiosk sync status | head -1` as someone types them. The guard list
    is longer than a pipe holds (2,000 guards, some 200 KB), so it is still writing when head has
    left: a broken pipe for certain (the short sync status may finish before head reads)."""
    with closing(sqlite3.connect(db, isolation_level=None)) as connection:
        connection.executemany(
            "INSERT INTO guards (name, pin_hash, active, created_at, failed_attempts) VALUES (?, 'x', 1, ?, 0)",
            [(f"guard {index:04d} " + "x" * 60, "2027-03-01T00:00:00+00:00") for index in range(2000)],
        )
    for command, first in (
        (f"guard list --db {shlex.quote(str(db))}", "NAME"),
        (f"sync status --db {shlex.quote(str(db))}", "Not enrolled"),
        (f"--db {shlex.quote(str(db))} sync status", "Not enrolled"),
    ):
        done = subprocess.run(
            ["bash", "-c", f"set -o pipefail; {shlex.quote(sys.executable)} -m kiosk {command} | head -1"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=piped_env(tmp_path, unbuffered=True),
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
        assert done.stdout.startswith(first) and len(done.stdout.splitlines()) == 1, command
        assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
        assert done.stderr == "", command
        # pipefail: the kiosk's exit code. 1: it noticed the reader leave (always, for the long list).
        assert done.returncode == 1 if command.startswith("guard") else done.returncode in (0, 1), command


def test_demo_opens_the_windows_when_there_is_a_screen(tmp_path: Path) -> None:
    """`kiosk demo` (offscreen Qt here) runs both windows on the simulated camera and ends by itself."""
    done = run_program(tmp_path, "demo", "--seconds", "3")
    assert done.returncode == 0, done.stderr
    assert "Guard console: log in as 'Demo'" in done.stdout
    assert "Traceback" not in done.stderr


def test_demo_without_a_screen_falls_back_to_the_text_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    done = run_program(tmp_path, "demo", "--at", "11:00", stdin=b"3275014101900007\n")
    assert done.returncode == 0, done.stderr
    assert "no screen" in done.stderr
    assert "NOT_A_BOOKING" in done.stdout


# --- issue 13: evidence that cannot be quietly rewritten ------------------------------------------------

LOST_DB_COMMANDS = [
    ["check", "ADMT-2345-WXYZ"],
    ["audit", "verify"],
    ["guard", "list"],
    ["pii-inventory"],
    ["purge"],
    ["import", "bookings.csv"],
    ["db", "status"],
    ["db", "upgrade"],
    ["setup", "--office", "DPS", "--zone", "WITA"],
    ["demo", "--text"],
]


@pytest.mark.parametrize("how", ["emptied", "deleted"])
def test_a_lost_database_beside_its_companions_stops_every_command(
    db: Path, kiosk_cli: Kiosk, how: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An emptied (or deleted) kiosk.db used to be made anew as office DEMO, zone WIB, no guards."""
    if how == "emptied":
        db.write_bytes(b"")
    else:
        db.unlink()
    state = "empty" if how == "emptied" else "missing"
    expected = (
        f"kiosk.db is {state} but its key file, booking file and audit head beside it show it existed: "
        "restore kiosk.db from the backup (with its -wal file if any); the kiosk never makes it anew"
    )
    for command in LOST_DB_COMMANDS:
        result = kiosk_cli(*command, "--db", str(db))
        assert result.code != 0, command
        assert error_line(result) == f"kiosk: error: {expected}", command
        assert (db.stat().st_size == 0) if how == "emptied" else not db.exists(), command
    assert cli.main(["run", "--db", str(db)]) != 0  # `kiosk run` says it on its own line
    assert capsys.readouterr().out == f"kiosk run: {expected}\n"
    assert (db.stat().st_size == 0) if how == "emptied" else not db.exists()


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


def test_kiosk_setup_again_is_audited(db: Path, kiosk_cli: Kiosk) -> None:
    with closing(sqlite3.connect(db)) as connection:
        before = connection.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
    assert kiosk_cli("setup", "--db", str(db), "--early-minutes", "45").code == 0
    with closing(sqlite3.connect(db)) as connection:
        after = connection.execute("SELECT kind, subject FROM audit_log WHERE seq > ?", (before,)).fetchall()
    assert after == [("settings", "office")]


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
