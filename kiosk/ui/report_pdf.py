"""The daily report as PDF (and CSV beside it), for the office's integrity-zone file.

`export_report` is a store job: it runs on the reader thread (QPdfWriter and QTextDocument work off
the GUI thread), reads the day's report from the store, and writes `<kiosk>-<day>.csv` and `.pdf` into
the reports folder. The report's content (its data, CSV and HTML blocks) is kiosk/store/reports/; this
module lays the blocks out on landscape A4 pages and prints them with Qt.

The pages are laid out here rather than by QTextDocument's own pagination, which splits a table row
across pages: every block (the head, each small table, each guard action, the signature block) is
measured and kept whole on one page (`paginate`), a page that continues the guard actions repeats
their heading, and every page carries a footer with "Halaman N dari M". The report carries booking
refs and masked codes only, no applicant names or NIK digits.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPageLayout, QPageSize, QPainter, QPdfWriter, QPen, QTextDocument

from kiosk.domain.explain import Lang
from kiosk.store.db import KioskStore
from kiosk.store.reports import daily_html
from kiosk.store.reports.daily import DailyReport, daily_report, report_stem
from kiosk.store.reports.daily_csv import DEFAULT_SEPARATOR, report_csv
from kiosk.sync import anchoring

#: Points of the page footer's font, and the footer's height in pixels at RESOLUTION.
FOOTER_POINTS = 7.5
RESOLUTION = 96
_FOOTER_HEIGHT = 26
#: A repeated heading on a page that continues the guard actions.
HEADING = -1


@dataclass(frozen=True, slots=True)
class Exported:
    csv: Path
    pdf: Path
    report: DailyReport


def export_report(
    store: KioskStore,
    now: dt.datetime,
    out_dir: Path,
    day: dt.date | None = None,
    *,
    lang: Lang = Lang.ID,
    sep: str = DEFAULT_SEPARATOR,
    office_name: str = "",
    prepared_by: str = "",
) -> Exported:
    """Write the day's report as CSV and PDF into `out_dir`; returns the paths (a store job)."""
    report = daily_report(store, now, day, anchoring.checked_receipts(store).receipts, office_name)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = report_stem(report)
    csv_path = out_dir / f"{stem}.csv"
    pdf_path = out_dir / f"{stem}.pdf"
    write_atomically(csv_path, report_csv(report, lang, sep).encode("utf-8"))
    temporary = pdf_path.with_name(pdf_path.name + ".tmp")
    write_pdf(report, temporary, lang, prepared_by)
    os.replace(temporary, pdf_path)
    return Exported(csv_path, pdf_path, report)


@dataclass(frozen=True, slots=True)
class Placed:
    """One block (or the repeated HEADING) on a page: `top` on the page, and which slice of the block
    (from `offset`, `height` high: a whole block unless it is taller than a page)."""

    block: int
    top: float
    offset: float
    height: float


def paginate(
    heights: Sequence[float],
    kinds: Sequence[daily_html.BlockKind],
    page_height: float,
    heading_height: float,
) -> list[list[Placed]]:
    """Lay blocks out on pages, each whole on one page: a block that does not fit on the rest of a
    page starts the next; the actions' heading is kept with the first action below it; a page that
    starts inside the guard actions first repeats their heading (HEADING). Only a block taller than a
    whole page is cut, at page ends (none of the report's blocks is, in practice)."""
    pages: list[list[Placed]] = [[]]
    used = 0.0
    kind_of = daily_html.BlockKind

    def new_page(continuing_actions: bool) -> None:
        nonlocal used
        pages.append([])
        used = 0.0
        if continuing_actions:
            pages[-1].append(Placed(HEADING, 0.0, 0.0, heading_height))
            used = heading_height

    for index, (height, kind) in enumerate(zip(heights, kinds, strict=True)):
        needed = height
        if kind == kind_of.ACTIONS_HEADING and index + 1 < len(heights):
            needed += heights[index + 1]  # never a heading alone at the foot of a page
        if used > 0 and used + needed > page_height:
            new_page(kind == kind_of.ACTION and pages[-1] != [])
        room = page_height - used
        if height <= room:
            pages[-1].append(Placed(index, used, 0.0, height))
            used += height
            continue
        offset = 0.0  # taller than a page: cut at the page ends
        while offset < height:
            piece = min(room, height - offset)
            pages[-1].append(Placed(index, used, offset, piece))
            used += piece
            offset += piece
            if offset < height:
                new_page(False)
                room = page_height
    return [page for page in pages if page]


def write_pdf(report: DailyReport, path: Path, lang: Lang = Lang.ID, prepared_by: str = "") -> int:
    """Print the report's blocks (kiosk/store/reports/daily_html.py) to a landscape A4 PDF, each block
    whole on one page, a footer with the page numbers on each. Returns the number of pages."""
    printed = daily_html.printed(report, lang, prepared_by)
    writer = QPdfWriter(str(path))
    writer.setTitle(printed.title)
    writer.setCreator("kiosk")
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageOrientation(QPageLayout.Orientation.Landscape)
    writer.setPageMargins(QMarginsF(12, 10, 12, 8), QPageLayout.Unit.Millimeter)
    writer.setResolution(RESOLUTION)
    area = writer.pageLayout().paintRectPixels(writer.resolution())
    width, height = float(area.width()), float(area.height())
    content_height = height - _FOOTER_HEIGHT

    documents = [_document(block.html, width, writer) for block in printed.blocks]
    heading = _document(printed.actions_heading, width, writer)
    pages = paginate(
        [_height(d) for d in documents], [b.kind for b in printed.blocks], content_height, _height(heading)
    )
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"cannot write the PDF {path}")
    try:
        for number, page in enumerate(pages, start=1):
            if number > 1:
                writer.newPage()
            for placed in page:
                document = heading if placed.block == HEADING else documents[placed.block]
                painter.save()
                painter.translate(0, placed.top - placed.offset)
                document.drawContents(painter, QRectF(0, placed.offset, width, placed.height))
                painter.restore()
            _footer(painter, printed, number, len(pages), width, height)
    finally:
        painter.end()
    return len(pages)


def _document(html: str, width: float, writer: QPdfWriter) -> QTextDocument:
    document = QTextDocument()
    document.documentLayout().setPaintDevice(writer)
    document.setDocumentMargin(0)
    document.setDefaultStyleSheet(daily_html.STYLE_SHEET)
    document.setHtml(html)
    document.setTextWidth(width)
    return document


def _height(document: QTextDocument) -> float:
    """The block's height with its last border line (QTextDocument's size leaves it out)."""
    return math.ceil(document.size().height()) + 2.0


def _footer(painter: QPainter, printed: daily_html.Printed, page: int, pages: int, width: float, height: float) -> None:
    painter.save()
    font = QFont("DejaVu Sans")
    font.setPointSizeF(FOOTER_POINTS)
    painter.setFont(font)
    painter.setPen(QPen(QColor("#7a8590"), 0.6))
    top = height - _FOOTER_HEIGHT + 8
    painter.drawLine(0, math.floor(top), math.floor(width), math.floor(top))
    painter.setPen(QColor("#303030"))
    box = QRectF(0, top + 3, width, height - top - 3)
    label = printed.page_of(page, pages)
    painter.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, label)
    left = QRectF(0, top + 3, width - painter.fontMetrics().horizontalAdvance(label) - 24, box.height())
    elided = painter.fontMetrics().elidedText(printed.footer, Qt.TextElideMode.ElideRight, math.floor(left.width()))
    painter.drawText(left, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, elided)
    painter.restore()


def write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
