"""What the command-line tests share: the test office's bookings (DPS, WITA), small file and database
helpers, and running `kiosk` as a program."""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from kiosk import cli
from kiosk.store.db import KioskStore

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


def write_csv(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def booking_count(path: Path) -> int:
    with KioskStore.open(path, create=False, upgrade=False) as store:
        return store.bookings.count()


def raw_sql(path: Path, sql: str) -> None:
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute(sql)


def error_line(run: Run) -> str:
    """The one `kiosk: error:` line a failed command prints."""
    lines = [line for line in run.err.splitlines() if line.startswith("kiosk: error: ")]
    assert len(lines) == 1, run.err
    return lines[0]


def all_commands(parser: object = None, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command path (`guard add`, `db status`...) the parser knows."""
    parser = parser or cli.build_parser()
    assert isinstance(parser, argparse.ArgumentParser)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from all_commands(sub, (*prefix, name))


def newer_schema(path: Path) -> None:
    with KioskStore.open(path):
        pass
    raw_sql(path, "UPDATE alembic_version SET version_num = '0999'")


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


def piped_env(tmp_path: Path, unbuffered: bool) -> dict[str, str]:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("KIOSK_DB", None)
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    return env
