"""The daily report as PDF (and CSV beside it), for the office's integrity-zone file.

`export_report` is a store job: it runs on the reader thread (QPdfWriter and QTextDocument work off
the GUI thread), reads the day's report from the store, and writes `<kiosk>-<day>.csv` and `.pdf` into
the reports folder. Every value is HTML-escaped; guard notes are already cleaned of markup by the store.
The report carries booking refs and masked codes only, no applicant names or NIK digits.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

from kiosk.domain.model import Verdict
from kiosk.store import actions
from kiosk.store.actions import DailyReport
from kiosk.store.db import KioskStore
from kiosk.sync import anchoring

VERDICTS = (Verdict.ADMIT, Verdict.DENY, Verdict.REFER)


@dataclass(frozen=True, slots=True)
class Exported:
    csv: Path
    pdf: Path
    report: DailyReport


def export_report(store: KioskStore, now: dt.datetime, out_dir: Path, day: dt.date | None = None) -> Exported:
    """Write the day's report as CSV and PDF into `out_dir`; returns the paths (a store job)."""
    report = actions.daily_report(store, now, day, anchoring.checked_receipts(store).receipts)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"report-{_safe(report.kiosk_id)}-{report.stats.day.isoformat()}"
    csv_path = out_dir / f"{stem}.csv"
    pdf_path = out_dir / f"{stem}.pdf"
    _write_atomically(csv_path, actions.report_csv(report).encode("utf-8"))
    temporary = pdf_path.with_name(pdf_path.name + ".tmp")
    write_pdf(report, temporary)
    os.replace(temporary, pdf_path)
    return Exported(csv_path, pdf_path, report)


def write_pdf(report: DailyReport, path: Path) -> None:
    writer = QPdfWriter(str(path))
    writer.setTitle(f"Daily report {report.office_code} {report.stats.day.isoformat()}")
    writer.setCreator("kiosk")
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageOrientation(QPageLayout.Orientation.Landscape)
    writer.setPageMargins(QMarginsF(12, 12, 12, 12), QPageLayout.Unit.Millimeter)
    writer.setResolution(96)
    document = QTextDocument()
    document.setDefaultStyleSheet(
        "body { font-family: 'DejaVu Sans', sans-serif; font-size: 9pt; }"
        "h1 { font-size: 15pt; } h2 { font-size: 11pt; margin-top: 10px; }"
        "th { background-color: #e4e9ee; text-align: left; } td, th { padding: 2px 6px; }"
        ".ok { color: #1b6e2a; font-weight: bold; } .bad { color: #9f1717; font-weight: bold; }"
    )
    document.setHtml(report_html(report))
    layout = writer.pageLayout()
    rect = layout.paintRectPixels(writer.resolution())
    document.setPageSize(QSizeF(rect.width(), rect.height()))
    document.print_(writer)


def report_html(report: DailyReport) -> str:
    stats = report.stats
    e = html.escape
    chain = (
        f'<span class="ok">OK</span> ({report.audit_entries} entries)'
        if report.audit_ok
        else '<span class="bad">BROKEN</span>: ' + e("; ".join(report.audit_problems))
    )
    parts = [
        f"<h1>Laporan harian / Daily report — {e(report.office_code)} — {stats.day:%d-%m-%Y} ({e(stats.zone)})</h1>",
        _table(
            ["", ""],
            [
                ["Kiosk / gate", f"{report.kiosk_id} / {report.gate}"],
                ["Generated (UTC)", f"{report.generated_at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}"],
                ["Audit chain", None],
                ["Audit head (entry: hash)", f"{report.audit_head_seq}: {_grouped(report.audit_head_hash)}"],
                ["Anchored at the server", report.audit_anchored or _UNANCHORED],
            ],
            raw={(2, 1): chain},
            header=False,
        ),
        "<h2>Totals</h2>",
        _table(
            ["Admitted scans", "Denied scans", "Referred scans", "People admitted", "Guard overrides"],
            [
                [
                    str(stats.total(Verdict.ADMIT)),
                    str(stats.total(Verdict.DENY)),
                    str(stats.total(Verdict.REFER)),
                    str(stats.persons_admitted),
                    str(sum(stats.overrides_per_guard.values())),
                ]
            ],
        ),
        "<h2>Per hour</h2>",
        _table(
            ["Hour", "Admitted", "Denied", "Referred"],
            [
                [
                    f"{hour:02d}",
                    *(str(stats.per_hour[hour][v.value]) for v in (Verdict.ADMIT, Verdict.DENY, Verdict.REFER)),
                ]
                for hour in sorted(stats.per_hour)
            ],
        ),
        "<h2>Denied and referred, by reason</h2>",
        _table(["Reason", "Scans"], [[reason, str(n)] for reason, n in stats.per_reason.most_common()]),
        "<h2>Overrides per guard</h2>",
        _table(["Guard", "Overrides"], [[name, str(n)] for name, n in sorted(stats.overrides_per_guard.items())]),
        "<h2>Guard actions</h2>",
        _table(
            ["Time", "Guard", "Action", "Reason", "People", "Scan", "Booking", "Code", "Note"],
            [
                [
                    a.local_time,
                    a.guard_name,
                    a.kind,
                    a.reason,
                    str(a.persons),
                    f"{a.ref_local_time} {a.ref_verdict} {a.ref_reason}".strip(),
                    a.booking_ref,
                    a.code_masked,
                    a.note,
                ]
                for a in report.actions
            ],
        ),
    ]
    return "<html><body>" + "".join(parts) + "</body></html>"


#: For a kiosk without a server the signed paper is the only anchor (docs/audit.md).
_UNANCHORED = (
    "no server receipt: sign this head; check it later with kiosk audit verify --expect ENTRY:HASH "
    "(tanpa server: tanda tangani kepala rantai ini)"
)


def _grouped(hash_text: str) -> str:
    """A hash in groups of four, to be read off paper and typed back."""
    return " ".join(hash_text[i : i + 4] for i in range(0, len(hash_text), 4))


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str | None]],
    raw: dict[tuple[int, int], str] | None = None,
    header: bool = True,
) -> str:
    """An HTML table of escaped cells; `raw` cells (built here, not from data) are inserted as they are."""
    raw = raw or {}
    out = ['<table border="1" cellspacing="0" cellpadding="3" width="100%">']
    if header:
        out.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr>")
    body = list(rows)
    for r, row in enumerate(body):
        cells = (raw.get((r, c)) or html.escape(value or "") for c, value in enumerate(row))
        out.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    if not body:
        out.append(f'<tr><td colspan="{len(headers)}">—</td></tr>')
    out.append("</table>")
    return "".join(out)


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text) or "kiosk"


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
