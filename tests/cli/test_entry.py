"""`kiosk` as a whole (kiosk/cli/entry.py): help for every command, global options before or after the
command, every expected failure as one clear line and an exit code, never a traceback; run as a program
and piped into a reader that leaves."""

from __future__ import annotations

import importlib
import logging
import os
import shlex
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

import kiosk
from kiosk import cli
from kiosk.cli import purge
from kiosk.domain.clock import utc_now
from kiosk.store.db import KioskStore
from tests.cli.helpers import ROWS, Kiosk, all_commands, error_line, newer_schema, piped_env, run_program, write_csv


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


def not_sqlite(path: Path) -> None:
    path.write_bytes(b"this is a text file, not a database\n" * 10)


def foreign_sqlite(path: Path) -> None:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE photos (id INTEGER)")
        connection.commit()


def damaged(path: Path) -> None:
    with KioskStore.open(path) as store:
        store.bookings.import_rows([], utc_now(), "test")
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

    monkeypatch.setattr(purge, "cmd_purge", broken)
    result = kiosk_cli("purge")
    assert result.code == cli.EXIT_INTERNAL
    assert "internal error (RuntimeError: something nobody expected)" in error_line(result)


def test_interrupt_exits_130(kiosk_cli: Kiosk, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(ctx: cli.Context) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(purge, "cmd_purge", interrupted)
    result = kiosk_cli("purge")
    assert (result.code, result.err.strip()) == (130, "kiosk: interrupted")


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
    cli_main = importlib.import_module("kiosk.cli.entry")
    start = cli_main._start_logging

    def noted(verbosity: int) -> logging.Handler:
        levels.append(verbosity)
        return start(verbosity)

    monkeypatch.setattr(cli_main, "_start_logging", noted)
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


def test_the_default_database_is_in_the_data_folder(tmp_path: Path, kiosk_cli: Kiosk) -> None:
    result = kiosk_cli("setup", "--office", "DPS", "--zone", "WITA")
    assert result.code == 0, result.err
    assert (tmp_path / "data" / "kiosk" / "kiosk.db").exists()


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
    ["kiosk.cli.sync", "status", "--db", "{db}"],
    ["kiosk.cli.sync", "--help"],
]


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
