"""Progress of a long import (kiosk/store/importing/progress.py): how often the importer calls back, and
the lines `format_progress` and `ProgressMeter` make of the calls. Clocks are injected: no wall clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.store.importer import PROGRESS_EVERY, BookingFile, ImportFormat, ProgressMeter, format_progress
from tests.store.import_files import HEADER, NOW, fail_on_problem, other, write


class FakeClock:
    """Seconds that pass only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("done", "total", "seconds", "unit", "line"),
    [
        pytest.param(
            120_000, 200_000, 120_000 / 7_400, "rows", "120,000 of 200,000 rows, 7,400 rows/s, about 11 s left", id="eg"
        ),
        pytest.param(0, 200_000, 0.0, "rows", "0 of 200,000 rows", id="start"),
        pytest.param(120_000, 200_000, 0.0, "rows", "120,000 of 200,000 rows", id="no time yet"),
        pytest.param(5_000, None, 2.0, "rows", "5,000 rows, 2,500 rows/s", id="total unknown"),
        pytest.param(5_000, 0, 2.0, "rows", "5,000 rows, 2,500 rows/s", id="total 0"),
        pytest.param(200_000, 200_000, 27.0, "rows", "200,000 of 200,000 rows, 7,400 rows/s", id="done"),
        pytest.param(7, 10, 2.0, "rows", "7 of 10 rows, 3.5 rows/s, about 1 s left", id="under a second left"),
        pytest.param(314, 1_000, 100.0, "rows", "314 of 1,000 rows, 3.1 rows/s, about 4 min left", id="minutes"),
        pytest.param(10, 1_000_000, 1.0, "rows", "10 of 1,000,000 rows, 10 rows/s, about 27 h 47 min left", id="hours"),
        pytest.param(
            12_500_000, 20_000_000, 0.5, "bytes", "12.5 of 20.0 MB, 25 MB/s, about 1 s left", id="first pass: bytes"
        ),
    ],
)
def test_format_progress(done: int, total: int | None, seconds: float, unit: str, line: str) -> None:
    assert format_progress(done, total, seconds, unit) == line


def test_a_meter_gives_a_line_every_few_seconds_and_one_at_the_end() -> None:
    clock = FakeClock()
    meter = ProgressMeter(every=5.0, clock=clock)
    seen: list[tuple[float, str | None]] = []
    for second, done in [(1, 100), (4.9, 490), (5, 500), (6, 600), (9.9, 990), (10.5, 1050), (11, 1100), (12, 1100)]:
        clock.now = 1000.0 + second
        seen.append((second, meter.due(done, 1100)))
    assert [(second, line) for second, line in seen if line] == [
        (5, "500 of 1,100 rows, 100 rows/s, about 6 s left"),
        (10.5, "1,050 of 1,100 rows, 100 rows/s, about 1 s left"),
        (11, "1,100 of 1,100 rows, 100 rows/s"),
    ]
    assert meter.line(1100, 1100) == "1,100 of 1,100 rows, 92 rows/s"  # line(): always, at 12 s


def test_a_quick_pass_gives_only_its_last_line() -> None:
    clock = FakeClock()
    meter = ProgressMeter("bytes", clock=clock)
    clock.now += 0.5
    assert meter.due(1_000_000, 2_000_000) is None
    clock.now += 0.5
    assert meter.due(2_000_000, 2_000_000) == "2.0 of 2.0 MB, 2.0 MB/s"


def test_with_no_total_a_meter_never_ends_but_keeps_reporting() -> None:
    clock = FakeClock()
    meter = ProgressMeter(every=2.0, clock=clock)
    lines = []
    for done in range(1, 7):
        clock.now += 1.0
        lines.append(meter.due(done * 1000, None))
    assert lines == [
        None,
        "2,000 rows, 1,000 rows/s",
        None,
        "4,000 rows, 1,000 rows/s",
        None,
        "6,000 rows, 1,000 rows/s",
    ]


# --- the importer's calls ---------------------------------------------------------------------------


def big_file(tmp_path: Path, rows: int) -> Path:
    return write(tmp_path, "\n".join([HEADER, *(other(n) for n in range(rows))]) + "\n")


def test_the_second_pass_reports_rows_every_progress_every_and_at_the_end(tmp_path: Path) -> None:
    rows = 3 * PROGRESS_EVERY + 7
    export = BookingFile(big_file(tmp_path, rows), ImportFormat.CSV, now=NOW)
    export.check()
    calls: list[tuple[int, int]] = []
    list(export.bookings(fail_on_problem, lambda done, total: calls.append((done, total))))
    assert calls == [(PROGRESS_EVERY * n, rows) for n in (1, 2, 3)] + [(rows, rows)]


def test_the_first_pass_reports_bytes_up_to_the_size(tmp_path: Path) -> None:
    path = big_file(tmp_path, 3 * PROGRESS_EVERY)
    export = BookingFile(path, ImportFormat.CSV, now=NOW)
    calls: list[tuple[int, int]] = []
    export.check(lambda done, total: calls.append((done, total)))
    size = path.stat().st_size
    assert len(calls) == 4
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert calls[-1] == (size, size)


def test_a_meter_fed_by_the_importer_gives_lines_for_a_log(tmp_path: Path) -> None:
    """As the CLI would use it off a terminal: each callback a second apart, a line every 2 seconds."""
    rows = 5 * PROGRESS_EVERY
    export = BookingFile(big_file(tmp_path, rows), ImportFormat.CSV, now=NOW)
    export.check()
    clock = FakeClock()
    meter = ProgressMeter(every=2.0, clock=clock)
    lines: list[str] = []

    def progress(done: int, total: int) -> None:
        clock.now += 1.0
        if line := meter.due(done, total):
            lines.append(line)

    list(export.bookings(fail_on_problem, progress))
    assert lines == [
        "2,048 of 5,120 rows, 1,000 rows/s, about 3 s left",
        "4,096 of 5,120 rows, 1,000 rows/s, about 1 s left",
        "5,120 of 5,120 rows, 1,000 rows/s",
    ]
