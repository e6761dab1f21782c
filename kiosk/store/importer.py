"""Booking exports in, as checked IncomingBookings: CSV with a header row, or JSON lines.

Files can be large (a province's bookings for weeks: a million rows), so nothing holds the file: it is
read twice, as a stream. The first pass checks every row and keeps only 8-byte digests of the codes,
booking references and contents it saw, to find duplicates; the second pass checks every row again and
yields the good ones, which the store applies in one transaction. A line that repeats another exactly is
counted once; a code or reference on lines that differ is refused on every one of those lines: which of
them is right cannot be known, and a code must never admit on the wrong booking's details.

Exporters get things wrong in ordinary ways; each is named with its line number so it can be fixed at
the source: missing columns, a byte-order mark, CRLF line ends, ';' separators, extra spaces, a
spreadsheet's "8:00", "08.30" or "08:30:00", dates written 01/12/2026 (always day/month/year), a dropped
leading zero, a Windows-1252 file, a full NIK where the last four digits belong (refused: the kiosk
never stores a full NIK, and never repeats one in a message).

This module is the two passes and the public face; the parts live in `kiosk.store.importing`:
`reading` (formats, encodings, CSV and JSON lines), `fields` (one row's values), `duplicates` and
`progress` (`ProgressMeter` and `format_progress` turn the progress callback into lines for a person).
Every public name is importable from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.store.bookings import IncomingBooking
from kiosk.store.importing.duplicates import DuplicateFinder, Duplicates
from kiosk.store.importing.fields import (
    ALL_FIELDS,
    MAX_NAME_CHARS,
    MAX_OFFICE_CHARS,
    MAX_REF_CHARS,
    MAY_BE_EMPTY,
    OPTIONAL_FIELDS,
    REQUIRED_FIELDS,
    RowError,
    booking_from_fields,
)
from kiosk.store.importing.progress import PROGRESS_EVERY, Progress, ProgressMeter, format_progress
from kiosk.store.importing.reading import (
    MAX_LINE_CHARS,
    UTF8,
    ImportFileError,
    ImportFormat,
    RawRow,
    choose_encoding,
    guess_format,
    read_rows,
)
from kiosk.store.times import to_text

__all__ = [
    "ALL_FIELDS",
    "MAX_LINE_CHARS",
    "MAX_NAME_CHARS",
    "MAX_OFFICE_CHARS",
    "MAX_REF_CHARS",
    "MAY_BE_EMPTY",
    "OPTIONAL_FIELDS",
    "PROGRESS_EVERY",
    "REQUIRED_FIELDS",
    "BookingFile",
    "ImportCounts",
    "ImportFileError",
    "ImportFormat",
    "Progress",
    "ProgressMeter",
    "RowError",
    "RowProblem",
    "booking_from_fields",
    "format_progress",
    "guess_format",
]


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One refused row: the line it starts on and why, in words the exporter's owner can act on."""

    line: int
    reason: str


@dataclass(slots=True)
class ImportCounts:
    """Filled in as the second pass runs: rows read, yielded and refused, and exact copies counted once
    (rows == good + refused + duplicates once the pass is over)."""

    rows: int = 0
    good: int = 0
    refused: int = 0
    duplicates: int = 0


class BookingFile:
    """A booking export on disk, read as a stream as many times as needed.

    `check()` is the first pass (call it once, before any transaction); `bookings()` is the second: it
    yields the good rows and reports each refused row to `on_problem`, in line order.
    """

    def __init__(
        self, path: Path, fmt: ImportFormat, *, naive_zone: ZoneInfo | None = None, now: dt.datetime | None = None
    ) -> None:
        self.path = path
        self.format = fmt
        self.naive_zone = naive_zone or ZoneInfo("UTC")
        #: updated_at for rows that leave it empty: the time of the import.
        self.default_updated_at = to_text(now or dt.datetime.now(dt.UTC))
        self.notes: list[str] = []
        self.counts = ImportCounts()
        self.rows = 0  # data rows found by check(); blank lines are not rows
        self.candidates = 0  # rows with a valid code and booking_ref: no other row can be imported
        self.codec = UTF8  # how the file's text is decoded: decided by check()
        self.duplicates = Duplicates()  # found by check()
        self._checked_version: tuple[int, int] | None = None
        self._checked = False

    def check(self, progress: Progress | None = None) -> None:
        """First pass: refuse an unusable file now, decide its encoding, and note the lines of duplicate
        codes and references. Rows are checked in full only in the second pass: this one reads just what
        duplicates need. `progress` gets (bytes read, file size)."""
        self.notes = []
        version = self._file_version()
        encoding = choose_encoding(self.path)
        if encoding.note:
            self.notes.append(encoding.note)
        finder = DuplicateFinder()
        rows = 0
        for raw in read_rows(self.path, self.format, encoding.codec, self.notes, progress):
            rows += 1
            if raw.values is not None:
                finder.add(raw.line, raw.values)
        if rows == 0:
            raise ImportFileError(f"{self.path.name} has no booking rows")
        self.rows, self.candidates, self.codec = rows, finder.candidates, encoding.codec
        self.duplicates = finder.result()
        if note := self.duplicates.note():
            self.notes.append(note)
        self._checked_version = version if version == self._file_version() else None
        self._checked = True

    def bookings(
        self, on_problem: Callable[[RowProblem], None], progress: Progress | None = None
    ) -> Iterator[IncomingBooking]:
        """Second pass: yield the good rows; report each refused one; skip the exact copies of an earlier
        row. `progress` gets (rows read, rows in the file) every PROGRESS_EVERY rows and at the end.
        Raises ImportFileError if the file changed since `check()` (its duplicates would be unknown): the
        caller's transaction then applies nothing."""
        if not self._checked:
            raise RuntimeError("call check() before bookings()")
        duplicates = self.duplicates
        self.counts = counts = ImportCounts()
        self._refuse_if_changed()
        for raw in read_rows(self.path, self.format, self.codec, [], None):
            counts.rows += 1
            if progress is not None and (counts.rows % PROGRESS_EVERY == 0 or counts.rows == self.rows):
                progress(counts.rows, self.rows)
            if raw.line in duplicates.copies:
                counts.duplicates += 1
                continue
            try:
                incoming = self._checked_row(raw, duplicates)
            except RowError as exc:
                counts.refused += 1
                on_problem(RowProblem(raw.line, str(exc)))
                continue
            counts.good += 1
            yield incoming
        self._refuse_if_changed()

    def _file_version(self) -> tuple[int, int]:
        status = self.path.stat()
        return status.st_size, status.st_mtime_ns

    def _refuse_if_changed(self) -> None:
        if self._checked_version is None or self._file_version() != self._checked_version:
            raise ImportFileError(f"{self.path.name} changed while it was being imported; import it again")

    def _checked_row(self, raw: RawRow, duplicates: Duplicates) -> IncomingBooking:
        if raw.values is None:
            raise RowError(raw.problem)
        incoming = booking_from_fields(raw.values, self.naive_zone, self.default_updated_at)
        duplicates.refuse_conflicts(incoming, raw.line)
        return incoming
