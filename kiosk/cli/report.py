"""`kiosk report`: the daily report of any day the kiosk holds, as PDF (to print and sign) or CSV.

The report's content is kiosk/store/reports/ (data, CSV, printed blocks); the PDF is printed with Qt
by kiosk/ui/report_pdf.py, imported only when a PDF is asked for (under the offscreen platform when
there is no display).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

from kiosk.cli.common import EXIT_OK, CliError, Context, command, date_argument
from kiosk.domain.clock import utc_now
from kiosk.domain.explain import Lang
from kiosk.store.reports import daily, daily_csv
from kiosk.sync import anchoring

_EPILOG = """\
The day is the office's (its time zone: WIB, WITA or WIT); without --date, today. Any day from the
kiosk's set-up to today can be reported: events are never purged. Past the retention period
([database] retention_days) a day's bookings are purged and guard notes blanked; the command says so,
and the report shows the rest. A day before the kiosk's first event or after today is refused,
naming the days the kiosk holds.

Without --out the file goes to the reports folder beside the database (as the console's export):
  <database folder>/reports/report-<kiosk>-<day>.pdf (or .csv)

CSV: UTF-8 with a byte-order mark; the separator is "," by default (RFC 4180); --sep ';' for Excel in
an Indonesian locale, whose list separator is ';'. One file of six tables one below the other, each
starting with its heading row, an empty row between them:
  1. bagian;butir;nilai                       the report's head and the day's totals (key/value)
  2. jam;diizinkan;ditolak;diteruskan         decisions per hour (office time)
  3. kode_alasan;alasan;pemindaian            denied and referred scans by reason
  4. petugas;izin_masuk                       overrides per guard
  5. kode_alasan_izin;alasan_izin;izin_masuk  overrides by reason
  6. waktu_<zone>;petugas;tindakan;...        every guard action, one a row, in time order (last)
(with --lang en the headings are English: section;item;value, hour;admitted;... )

PDF: landscape A4, page numbers ("Halaman 2 dari 5"), each guard action kept whole on one page, the
audit head (entry and hash in groups of four) and the signature block ("Dibuat oleh" / "Mengetahui").
Check a signed head later with `kiosk audit verify --expect ENTRY:HASH`.

examples:
  kiosk report                                today's report as PDF
  kiosk report --date 2026-12-01 --format csv --sep ';' --out kemarin.csv
  kiosk report --date 2026-12-01 --lang en --office-name "Kantor Imigrasi Kelas I TPI Denpasar"
"""


def add_commands(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = command(commands, "report", cmd_report, "make the daily report of a day, as PDF or CSV", db)
    parser.epilog = _EPILOG
    parser.add_argument(
        "--date", type=date_argument, metavar="YYYY-MM-DD", help="the office day (default: today, office time)"
    )
    parser.add_argument("--format", choices=("pdf", "csv"), default="pdf", help="pdf (default) or csv")
    parser.add_argument(
        "--lang", choices=[lang.value for lang in Lang], default=Lang.ID.value, help="id (default) or en"
    )
    parser.add_argument("--out", metavar="PATH", type=Path, help="the file to write (default: the reports folder)")
    parser.add_argument(
        "--sep",
        choices=daily_csv.SEPARATORS,
        default=daily_csv.DEFAULT_SEPARATOR,
        metavar="SEP",
        help="CSV separator: ',' (default) or ';' (Excel in an Indonesian locale)",
    )
    parser.add_argument(
        "--office-name",
        metavar="TEXT",
        default="",
        help="the office's full name to print (default: the name the kiosk holds, from its server or "
        "`kiosk setup --office-name`)",
    )
    parser.add_argument("--prepared-by", metavar="NAME", default="", help='the name on the "Dibuat oleh" line')


def cmd_report(ctx: Context) -> int:
    args = ctx.args
    lang = Lang(args.lang)
    now = utc_now()
    with ctx.open_store() as store:
        held = daily.held_days(store, now)
        day = args.date or held.today
        if day not in held:
            raise CliError(_outside(day, held))
        report = daily.daily_report(store, now, day, anchoring.checked_receipts(store).receipts, args.office_name)
        default_folder = store.path.parent / "reports"
    out: Path = args.out or default_folder / f"{daily.report_stem(report)}.{args.format}"
    if out.is_dir():
        raise CliError(f"--out {out} is a folder; give a file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.format == "csv":
        _write(out, daily_csv.report_csv(report, lang, args.sep).encode("utf-8"))
        pages = ""
    else:
        pages = f", {_write_pdf(report, out, lang, args.prepared_by)} page(s)"
    ctx.say(f"{out}{pages}")
    if report.empty:
        ctx.say(f"no scans and no guard actions on {day.isoformat()} ({held.zone}); the report says so")
    retention = ctx.config.retention_days
    if day < held.today - dt.timedelta(days=retention):
        ctx.say(
            f"{day.isoformat()} is past the retention period ({retention} days): its bookings are purged and "
            "guard notes blanked by `kiosk purge`; the report shows what is kept (every event and action)"
        )
    return EXIT_OK


def _outside(day: dt.date, held: daily.HeldDays) -> str:
    span = f"{held.first.isoformat()} to {held.today.isoformat()} ({held.zone})"
    if day > held.today:
        return f"{day.isoformat()} is after today ({held.today.isoformat()} {held.zone}); this kiosk holds {span}"
    return f"this kiosk holds no day before {held.first.isoformat()} (its first event): it holds {span}"


def _write_pdf(report: daily.DailyReport, out: Path, lang: Lang, prepared_by: str) -> int:
    """Print with Qt: an application object is needed for fonts; without a display, the offscreen one."""
    if not os.environ.get("QT_QPA_PLATFORM") and not (
        sys.platform in ("win32", "darwin") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    from kiosk.ui import report_pdf

    # QApplication, not QGuiApplication: one process has one application object for good, and whatever
    # runs in it later (the windows; tests in the same process) needs the widgets' kind.
    app = QApplication.instance() or QApplication(["kiosk-report"])
    temporary = out.with_name(out.name + ".tmp")
    try:
        pages = report_pdf.write_pdf(report, temporary, lang, prepared_by)
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)
        del app
    return pages


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
