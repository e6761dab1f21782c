"""Helpers shared by the import tests (tests/store/test_import*.py): a good row, CSV lines made from it
with changes, files written to tmp_path, and both passes run over a file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.store.bookings import IncomingBooking
from kiosk.store.importer import BookingFile, ImportFormat, RowProblem

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
WITA = ZoneInfo("Asia/Makassar")
FULL_NIK = "3171234567890001"

GOOD = {
    "code": "MP7K-4Q9X-H2PT",
    "booking_ref": "MP-261201-0001",
    "office": "DPS",
    "service_date": "2026-12-01",
    "slot_start": "10:00",
    "slot_end": "10:30",
    "status": "active",
    "party_size": "3",
    "category": "regular",
    "name": "Ni Luh Putu Ayu",
    "nik_last4": "4821",
}
HEADER = ",".join(GOOD)


def csv_line(separator: str = ",", **changes: str) -> str:
    values = {**GOOD, **changes}
    return separator.join(values[name] for name in GOOD)


def other(n: int, **changes: str) -> str:
    """A good row with its own code and reference."""
    return csv_line(**{"code": f"GOOD-ROW{n:04d}", "booking_ref": f"REF-{n}", **changes})


def fail_on_problem(problem: RowProblem) -> None:
    pytest.fail(f"unexpected problem on line {problem.line}: {problem.reason}")


def write(tmp_path: Path, content: str | bytes, name: str = "bookings.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def run(path: Path, fmt: ImportFormat = ImportFormat.CSV) -> tuple[list[str], list[RowProblem], BookingFile]:
    """Both passes; the canonical codes of the good rows and the problems, in the order reported."""
    export = BookingFile(path, fmt, naive_zone=WITA, now=NOW)
    export.check()
    problems: list[RowProblem] = []
    codes = [incoming.code for incoming in export.bookings(problems.append)]
    return codes, problems, export


def read_all(
    path: Path, fmt: ImportFormat = ImportFormat.CSV
) -> tuple[list[IncomingBooking], list[RowProblem], BookingFile]:
    """Both passes; the good rows as bookings, and the problems."""
    export = BookingFile(path, fmt, naive_zone=WITA, now=NOW)
    export.check()
    problems: list[RowProblem] = []
    return list(export.bookings(problems.append)), problems, export
