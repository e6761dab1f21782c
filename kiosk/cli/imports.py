"""`kiosk import`: a booking export (CSV or JSON lines) into the kiosk database, every refused row
reported as FILE:LINE: reason, with a progress bar for large files."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.cli.common import EXIT_FAILED, EXIT_OK, CliError, Context, command, print_error
from kiosk.domain.clock import utc_now
from kiosk.store.db import KioskStore, StoreError
from kiosk.store.importer import BookingFile, ImportFormat, ProgressMeter, RowProblem, guess_format

log = logging.getLogger("kiosk.cli")

#: Above this many rows (or bytes, for the first pass) an import shows a progress bar on a terminal.
PROGRESS_MIN_ROWS = 5000
PROGRESS_MIN_BYTES = 512 * 1024


def add_commands(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = command(commands, "import", cmd_import, "import a booking export (CSV or JSON lines)", db)
    parser.epilog = (
        "Fields: code, booking_ref, office, service_date (YYYY-MM-DD or DD/MM/YYYY), slot_start, slot_end\n"
        "(HH:MM or HH.MM), status (active/cancelled/rescheduled/unpaid), party_size (1-5), category\n"
        "(regular/priority/lost_passport/special_reschedule), name, nik_last4 (4 digits or empty; a full\n"
        "NIK is refused),\n"
        "version (optional, default 1), updated_at (optional, ISO-8601). CSV needs a header row; the\n"
        "separator (comma, semicolon or tab) is read from it, as Excel writes it in any locale; UTF-8 (with\n"
        "or without a BOM) or Windows-1252. An exact duplicate row counts once; two rows for one code that\n"
        "differ are both refused.\n\n"
        "Every refused row is reported as FILE:LINE: reason. The good rows are applied in one transaction\n"
        "even when some rows are refused, but the exit code is then 1."
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="the export file")
    parser.add_argument("--format", choices=[f.value for f in ImportFormat], help="default: from the file extension")
    parser.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="progress on stderr (auto: for large files; a bar on a terminal, a line every 5 s otherwise)",
    )


def cmd_import(ctx: Context) -> int:
    args = ctx.args
    path: Path = args.file
    if not path.is_file():
        raise CliError(f"no file {path}" if not path.exists() else f"{path} is not a file")
    fmt = ImportFormat(args.format) if args.format else guess_format(path)
    with ctx.open_store() as store:
        now = utc_now()
        export = BookingFile(path, fmt, naive_zone=store.settings.rules().tz, now=now)
        large = path.stat().st_size >= PROGRESS_MIN_BYTES
        with _progress_bar(args.progress, f"checking {path.name}", large, unit="bytes") as bar:
            export.check(bar.callback)
        for note in export.notes:
            log.warning("%s: %s", path.name, note)
        imported = _apply_import(store, export, args.progress, now)
    return _import_summary(ctx, export, imported)


def _apply_import(store: KioskStore, export: BookingFile, progress: str, now: dt.datetime) -> int:
    large = export.rows >= PROGRESS_MIN_ROWS
    with _progress_bar(progress, f"importing {export.path.name}", large) as bar:

        def report(problem: RowProblem) -> None:
            bar.note(f"{export.path.name}:{problem.line}: {problem.reason}")

        rows = export.bookings(report, bar.callback)
        if export.candidates == 0:
            for _ in rows:  # every row is refused: report them all, open no transaction
                pass
            return 0
        try:
            return store.bookings.import_rows(rows, now, source=f"import {export.format.value} {export.path.name}")
        except StoreError as exc:
            raise CliError(f"nothing was imported: {exc}") from exc


def _import_summary(ctx: Context, export: BookingFile, imported: int) -> int:
    counts = export.counts
    unchanged = counts.good - imported
    extra = f", {unchanged} not applied (the database has a newer version)" if unchanged > 0 else ""
    copies = f", {counts.duplicates} exact duplicate rows counted once" if counts.duplicates else ""
    ctx.say(f"imported {imported} bookings, {counts.refused} rows refused{copies}{extra}")
    if counts.refused:
        rest = "the other rows were imported" if counts.good else "nothing was imported"
        print_error(
            f"{counts.refused} of {counts.rows} rows refused (listed above); {rest}. "
            "Correct the export and import it again: rows already imported are updated, not duplicated"
        )
        return EXIT_FAILED
    return EXIT_OK


class _progress_bar:  # noqa: N801 - used like a function in a with statement
    """Progress on stderr. On a terminal: a bar redrawn in place, with the rate and the time left. Not on
    a terminal (a service's log, a pipe): one line every few seconds and one at the end, for large files
    only, so that a 200,000-row import started by a script is not silent for half a minute."""

    WIDTH = 30
    EVERY_S = 5.0

    def __init__(
        self, mode: str, label: str, large: bool, *, unit: str = "rows", clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stream = sys.stderr
        self.in_place = self.stream.isatty()
        self.enabled = mode == "always" or (mode == "auto" and large)
        self.label = label
        self.meter = ProgressMeter(unit, every=self.EVERY_S, clock=clock)
        self._drawn = ""

    def __enter__(self) -> _progress_bar:
        return self

    @property
    def callback(self) -> Callable[[int, int], None] | None:
        """What to hand to the importer: None when no progress is wanted (it then skips the bookkeeping)."""
        return self.update if self.enabled else None

    def note(self, line: str) -> None:
        """Print a line on stderr above the bar (the bar is drawn again at its next update)."""
        if self.enabled and self.in_place and self._drawn:
            self.stream.write("\r" + " " * len(self._drawn) + "\r")
            self._drawn = ""
        self.stream.write(line + "\n")

    def update(self, done: int, total: int) -> None:
        if not self.in_place:
            line = self.meter.due(done, total)
            if line is not None:
                self.stream.write(f"{self.label}: {line}\n")
                self.stream.flush()
            return
        percent = min(100, done * 100 // max(total, 1))
        filled = self.WIDTH * percent // 100
        bar = (
            f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {percent:3d}%  {self.meter.line(done, total)}"
        )
        padding = " " * max(len(self._drawn) - len(bar), 0)
        self.stream.write(f"\r{bar}{padding}")
        self.stream.flush()
        self._drawn = bar

    def __exit__(self, *exc: object) -> None:
        if self.enabled and self.in_place and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
