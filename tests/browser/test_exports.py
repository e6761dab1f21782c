"""Exporting yesterday's merged daily report from the page: CSV (with a BOM, for Excel) and PDF."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.browser.conftest import OFFICE, Account, Seeded, Web, log_in
from tests.browser.support import PREFIX


def test_yesterdays_report_downloads(
    page: Any, web: Web, accounts: dict[str, Account], seeded: Seeded, tmp_path: Path
) -> None:
    log_in(page, accounts["office_viewer"])  # the head of office reads and exports
    page.goto(f"{PREFIX}/o/{OFFICE}/report")
    yesterday = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date() - dt.timedelta(days=1)
    assert yesterday.isoformat() in page.inner_text("main")
    with page.expect_download() as csv_download:
        page.click("#report-csv")
    csv_path = tmp_path / csv_download.value.suggested_filename
    csv_download.value.save_as(str(csv_path))
    assert csv_path.name == f"laporan-harian-{OFFICE}-{yesterday.isoformat()}.csv"
    data = csv_path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs
    text = data.decode("utf-8-sig")
    assert OFFICE in text and "ID_CHECKED" in text and "WRONG_DAY" in text
    with page.expect_download() as pdf_download:
        page.click("#report-pdf")
    pdf_path = tmp_path / pdf_download.value.suggested_filename
    pdf_download.value.save_as(str(pdf_path))
    assert pdf_path.read_bytes().startswith(b"%PDF")
