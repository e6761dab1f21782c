"""`kiosk import` (kiosk/cli/imports.py): good rows applied, bad rows reported as FILE:LINE (exit 1); progress."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from kiosk.cli import imports
from tests.cli.helpers import CODES, DAY, HEADER, ROWS, Kiosk, booking_count, error_line, write_csv


def test_import_help_says_refused_rows_give_a_nonzero_exit(kiosk_cli: Kiosk) -> None:
    assert "the exit code is then 1" in kiosk_cli("import", "--help").out


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
    assert result.err.rstrip().splitlines()[-1].startswith("importing bulk.csv: 6,000 of 6,000 rows")  # not a terminal
    again = kiosk_cli("import", "--db", str(db), str(tmp_path / "bulk.csv")).err  # auto, not a terminal, fast:
    assert again.count("\n") == 1 and again.startswith("importing bulk.csv: 6,000 of 6,000 rows")  # the last line


def test_the_progress_bar_redraws_in_place_and_keeps_notes_readable(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with imports._progress_bar("auto", "importing x.csv", large=False) as quiet:
        assert quiet.callback is None  # a small file: no bar
    clock = iter([0.0, 2.0, 4.0]).__next__  # the meter's start, then two updates two seconds apart
    with imports._progress_bar("auto", "importing x.csv", large=True, clock=clock) as bar:
        assert bar.callback is not None
        bar.callback(50, 100)
        bar.note("x.csv:7: bad service_date")
        bar.callback(100, 100)
    visible = [line.split("\r")[-1].rstrip() for line in terminal.getvalue().split("\n")]
    assert visible == [
        "x.csv:7: bad service_date",
        "importing x.csv [" + "#" * 30 + "] 100%  100 of 100 rows, 25 rows/s",
        "",
    ]


def test_not_on_a_terminal_a_large_import_says_how_far_it_is_every_few_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    times = iter([0.0, 1.0, 6.0, 7.0, 8.0]).__next__
    with imports._progress_bar("auto", "importing x.csv", large=True, clock=times) as bar:
        assert bar.callback is not None
        for done in (1000, 2000, 3000, 4000):
            bar.callback(done, 4000)
    lines = log.getvalue().splitlines()
    assert lines == [
        "importing x.csv: 2,000 of 4,000 rows, 330 rows/s, about 6 s left",
        "importing x.csv: 4,000 of 4,000 rows, 500 rows/s",
    ], lines
