"""Dates and times as spreadsheets write them (kiosk/store/importing/fields.py): ISO and day/month/year
dates, HH:MM and HH.MM times; never month/day/year. Each case is a real CSV file in tmp_path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kiosk.domain.model import Booking
from kiosk.store.importer import RowProblem
from tests.store.import_files import HEADER, csv_line, other, read_all, run, write


def import_one(tmp_path: Path, **changes: str) -> tuple[list[str], list[RowProblem]]:
    """The changed row on line 7, after five good rows (so the line number is the row's, not the first)."""
    rows = [other(n) for n in range(1, 6)]
    path = write(tmp_path, "\n".join([HEADER, *rows, csv_line(**changes)]) + "\n")
    codes, problems, _ = run(path)
    return codes, problems


def imported(tmp_path: Path, **changes: str) -> Booking:
    [incoming], problems, _ = read_all(write(tmp_path, f"{HEADER}\n{csv_line(**changes)}\n"))
    assert problems == []
    return incoming.booking


# --- dates ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day"),
    [
        pytest.param("2026-12-01", dt.date(2026, 12, 1), id="ISO"),
        pytest.param("01/12/2026", dt.date(2026, 12, 1), id="dd/mm/yyyy"),
        pytest.param("1/12/2026", dt.date(2026, 12, 1), id="d/mm/yyyy"),
        pytest.param("5/2/2026", dt.date(2026, 2, 5), id="d/m/yyyy"),
        pytest.param("01-12-2026", dt.date(2026, 12, 1), id="dd-mm-yyyy"),
        pytest.param("1-2-2026", dt.date(2026, 2, 1), id="d-m-yyyy"),
        pytest.param("13/02/2026", dt.date(2026, 2, 13), id="13 February"),
        pytest.param("03/04/2026", dt.date(2026, 4, 3), id="3 April, never 4 March"),
        pytest.param("29/02/2028", dt.date(2028, 2, 29), id="leap day"),
        pytest.param(" 31/12/2026 ", dt.date(2026, 12, 31), id="spaces around"),
    ],
)
def test_a_date_is_iso_or_day_month_year(tmp_path: Path, text: str, day: dt.date) -> None:
    assert imported(tmp_path, service_date=text).service_date == day


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param(
            "02/13/2026",
            "bad service_date '02/13/2026': not a date (day/month/year: there is no month 13; "
            "month/day/year is never read)",
            id="month/day/year",
        ),
        pytest.param("12/31/2026", "bad service_date '12/31/2026': not a date (day/month/year", id="12/31"),
        pytest.param("31/02/2026", "bad service_date '31/02/2026': no such day", id="31 February"),
        pytest.param("29/02/2026", "bad service_date '29/02/2026': no such day", id="not a leap year"),
        pytest.param("00/12/2026", "bad service_date '00/12/2026': no such day", id="day 0"),
        pytest.param("01/00/2026", "bad service_date '01/00/2026': no such day", id="month 0"),
        pytest.param("01/12/26", "bad service_date '01/12/26': give the year in full", id="two-digit year"),
        pytest.param("01/12-2026", "(expected YYYY-MM-DD or DD/MM/YYYY, e.g. 2026-12-01 or 01/12/2026)", id="mixed"),
        pytest.param("01.12.2026", "expected YYYY-MM-DD or DD/MM/YYYY", id="dotted"),
        pytest.param("2026/12/01", "expected YYYY-MM-DD or DD/MM/YYYY", id="year first with slashes"),
        pytest.param("2026-1-5", "expected YYYY-MM-DD or DD/MM/YYYY", id="short ISO"),
        pytest.param("20261201", "expected YYYY-MM-DD or DD/MM/YYYY", id="basic ISO"),
        pytest.param("001/12/2026", "expected YYYY-MM-DD or DD/MM/YYYY", id="three-digit day"),
        pytest.param("46357", "expected YYYY-MM-DD or DD/MM/YYYY", id="Excel serial number"),
        pytest.param("1 Desember 2026", "expected YYYY-MM-DD or DD/MM/YYYY", id="month name"),
    ],
)
def test_a_bad_date_names_its_line_and_column(tmp_path: Path, text: str, reason: str) -> None:
    codes, problems = import_one(tmp_path, service_date=text)
    assert [problem.line for problem in problems] == [7]
    assert problems[0].reason.startswith("bad service_date") and reason in problems[0].reason
    assert len(codes) == 5


# --- times ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "time"),
    [
        pytest.param("08:30", dt.time(8, 30), id="HH:MM"),
        pytest.param("8:30", dt.time(8, 30), id="H:MM"),
        pytest.param("08:30:00", dt.time(8, 30), id="HH:MM:SS"),
        pytest.param("08.30", dt.time(8, 30), id="HH.MM"),
        pytest.param("8.30", dt.time(8, 30), id="H.MM"),
        pytest.param("08.30.00", dt.time(8, 30), id="HH.MM.SS"),
        pytest.param("0.00", dt.time(0, 0), id="midnight"),
        pytest.param("23.58", dt.time(23, 58), id="late"),
    ],
)
def test_a_time_is_hh_mm_with_a_colon_or_a_dot(tmp_path: Path, text: str, time: dt.time) -> None:
    assert imported(tmp_path, slot_start=text, slot_end="23:59").slot_start == time


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("08.30:00", "bad slot_start '08.30:00' (expected HH:MM or HH.MM, e.g. 08:30)", id="mixed"),
        pytest.param("8.3", "bad slot_start '8.3' (expected HH:MM or HH.MM", id="one-digit minutes"),
        pytest.param("830", "expected HH:MM or HH.MM", id="no separator"),
        pytest.param("0.354166667", "expected HH:MM or HH.MM", id="Excel day fraction"),
        pytest.param("8.30 AM", "expected HH:MM or HH.MM", id="AM"),
        pytest.param("24.00", "bad slot_start '24.00': not a time of day in whole minutes", id="24.00"),
        pytest.param("08.60", "not a time of day", id="minute 60"),
        pytest.param("08.30.15", "bad slot_start '08.30.15': not a time of day in whole minutes", id="seconds"),
    ],
)
def test_a_bad_time_names_its_line_and_column(tmp_path: Path, text: str, reason: str) -> None:
    codes, problems = import_one(tmp_path, slot_start=text, slot_end="23:59")
    assert [problem.line for problem in problems] == [7]
    assert reason in problems[0].reason
    assert len(codes) == 5


def test_a_slot_in_dotted_times_must_still_end_after_it_starts(tmp_path: Path) -> None:
    _, problems = import_one(tmp_path, slot_start="10.30", slot_end="10.00")
    assert [(p.line, p.reason) for p in problems] == [
        (7, "the slot ends at 10.00 but starts at 10.30: slot_end must be later")
    ]
