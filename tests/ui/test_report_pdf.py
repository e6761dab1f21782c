"""The daily report exported as CSV and PDF (kiosk/ui/report_pdf.py): the report's blocks
(kiosk/store/reports/daily_html.py) laid out on pages, each whole on one page, with page numbers and
the signature block; read back with pdftotext (poppler-utils, installed by scripts/bootstrap)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from kiosk.domain.explain import Lang
from kiosk.store import guard_actions
from kiosk.store.db import KioskStore
from kiosk.store.guard_actions import OverrideReason
from kiosk.store.reports import daily
from kiosk.store.reports.daily_csv import report_csv
from kiosk.store.reports.daily_html import BlockKind
from kiosk.ui.report_pdf import HEADING, Placed, export_report, paginate, write_pdf
from tests.ui.fixtures import GUARD_A, GUARD_B, NOW, UNKNOWN_CODE, guard_id, presentation

K = BlockKind
OVERRIDES = 40
DENIED_CODES = ("MPCANCEL0001", "MPUNPAID0001", "MPRESCHED001", "MPOTHEROFF01", "MPPRIORITY01", UNKNOWN_CODE)


def test_the_report_is_written_as_csv_and_pdf(qapp: QApplication, store: KioskStore, tmp_path: Path) -> None:
    store.decisions.record(presentation("MPPRIORITY01"), NOW)
    exported = export_report(store, NOW, tmp_path / "reports")
    assert exported.csv.name == f"report-KIOSK-T-{exported.report.stats.day.isoformat()}.csv"
    assert exported.csv.read_bytes().decode("utf-8") == report_csv(exported.report)
    assert exported.csv.read_bytes().startswith(b"\xef\xbb\xbf")
    assert exported.pdf.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in exported.pdf.parent.iterdir()) == sorted([exported.csv.name, exported.pdf.name])


# --- pagination (no Qt) -------------------------------------------------------------------------------


def blocks_of(pages: list[list[Placed]]) -> list[list[int]]:
    return [[p.block for p in page] for page in pages]


def test_a_block_that_does_not_fit_starts_the_next_page_whole() -> None:
    kinds = [K.HEAD, K.SECTION, K.ACTIONS_HEADING, K.ACTION, K.ACTION, K.ACTION, K.SIGNATURE]
    pages = paginate([40, 30, 10, 20, 20, 20, 80], kinds, 100, 8)
    assert blocks_of(pages) == [[0, 1, 2, 3], [HEADING, 4, 5], [6]]
    assert all(p.offset == 0 for page in pages for p in page)  # nothing cut
    assert [p.top for p in pages[1]] == [0, 8, 28]


def test_the_actions_heading_never_ends_a_page() -> None:
    kinds = [K.HEAD, K.ACTIONS_HEADING, K.ACTION, K.SIGNATURE]
    assert blocks_of(paginate([80, 10, 20, 30], kinds, 100, 8)) == [[0], [1, 2, 3]]


def test_only_a_block_taller_than_a_page_is_cut() -> None:
    pages = paginate([250, 10], [K.SECTION, K.SIGNATURE], 100, 8)
    assert [[(p.block, p.offset, p.height) for p in page] for page in pages] == [
        [(0, 0, 100)],
        [(0, 100, 100)],
        [(0, 200, 50), (1, 0, 10)],
    ]


# --- the printed PDF ------------------------------------------------------------------------------------


def busy_day(store: KioskStore) -> daily.DailyReport:
    """OVERRIDES overrides with notes of one to four lines' length, each marked at its start and end."""
    reasons = list(OverrideReason)
    for i in range(OVERRIDES):
        at = NOW + dt.timedelta(minutes=2 * i)
        event = store.decisions.record(presentation(DENIED_CODES[i % len(DENIED_CODES)]), at).event_uuid
        words = "pemohon membawa surat keterangan dari kelurahan dan diperiksa atasan " * (1 + i % 4)
        guard = guard_id(store, GUARD_A if i % 2 else GUARD_B)
        guard_actions.override(
            store,
            event,
            guard,
            reasons[i % len(reasons)],
            at + dt.timedelta(seconds=20),
            note=f"AWAL{i:03d} {words}AKHIR{i:03d}",
        )
    return daily.daily_report(store, NOW + dt.timedelta(hours=3), office_name="Kantor Imigrasi Kelas I TPI Jakarta")


def page_texts(pdf: Path) -> list[str]:
    assert shutil.which("pdftotext"), "pdftotext is missing: scripts/bootstrap installs poppler-utils"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return unicodedata.normalize("NFKC", text).split("\f")[:-1]  # each page ends with a form feed; NFKC: no ligatures


@pytest.mark.parametrize(
    ("lang", "page_word", "signature"),
    [
        (Lang.ID, "Halaman {} dari {}", ("Dibuat oleh", "Mengetahui", "Kepala Kantor", "NIP")),
        (Lang.EN, "Page {} of {}", ("Prepared by", "Acknowledged by", "Head of Office", "NIP")),
    ],
)
def test_no_override_is_split_across_pages_and_every_page_is_numbered(
    qapp: QApplication, store: KioskStore, tmp_path: Path, lang: Lang, page_word: str, signature: tuple[str, ...]
) -> None:
    report = busy_day(store)
    pdf = tmp_path / "report.pdf"
    count = write_pdf(report, pdf, lang, prepared_by="Agus Setiawan")

    pages = page_texts(pdf)
    assert len(pages) == count >= 3
    for number, text in enumerate(pages, start=1):
        assert page_word.format(number, count) in text
    for i in range(OVERRIDES):
        holding = [n for n, text in enumerate(pages) if f"AWAL{i:03d}" in text]
        assert len(holding) == 1 and f"AKHIR{i:03d}" in pages[holding[0]], f"override {i} is split"
    heading = "Tindakan petugas" if lang == Lang.ID else "Guard actions"
    assert all(heading in text for text in pages[1:-1])  # repeated on every page that continues them
    last = pages[-1]
    for word in signature:
        assert word in last
    assert "Agus Setiawan" in last
    head = " ".join(report.audit_head_hash[i : i + 4] for i in range(0, 64, 4))
    assert head in pages[0].replace("\n", " ") or head[:39] in pages[0]
    assert f"{report.audit_head_seq}: " in pages[0] and "Kantor Imigrasi Kelas I TPI Jakarta" in pages[0]
    assert "WIB" in pages[0] and "UTC" not in "".join(pages)
