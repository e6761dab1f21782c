"""Uploading a booking export with bad rows: the preview shows them by line, nothing is applied until
the good rows are confirmed; then the search finds a booking, its personal data masked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from tests.browser.conftest import OFFICE, Account, Web, log_in
from tests.browser.support import PREFIX, shoot
from tests.server.support import codes

HEADER = (
    "code,booking_ref,office_code,service_date,slot_start,slot_end,status,party_size,category,display_name,nik_last4"
)


def test_upload_with_bad_rows(page: Any, web: Web, accounts: dict[str, Account], tmp_path: Path) -> None:
    day = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    good1, good2, bad1, bad2 = codes("UP", 4)
    lines = [
        HEADER,
        f"{good1},{OFFICE}-{good1},{OFFICE},{day},08:00,09:00,active,1,regular,Siti Rahmawati,1234",
        f"{bad1},{OFFICE}-{bad1},{OFFICE},not-a-date,08:00,09:00,active,1,regular,Budi,1234",
        f"{good2},{OFFICE}-{good2},{OFFICE},{day},09:00,10:00,active,2,regular,Agus Salim,5678",
        f"{bad2},{OFFICE}-{bad2},{OFFICE},{day},08:00,09:00,active,99,regular,Dewi,12",
    ]
    export = tmp_path / "ekspor.csv"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log_in(page, accounts["office_admin"])
    page.goto(f"{PREFIX}/o/{OFFICE}/bookings")
    page.set_input_files("#export", str(export))
    page.click("#upload-submit")
    page.wait_for_selector("#preview-summary")
    assert page.inner_text("#preview-good") == "2"
    assert page.inner_text("#preview-bad") == "2"
    bad_lines = [row.query_selector("td").inner_text() for row in page.query_selector_all(".bad-row")]
    assert bad_lines == ["3", "5"]  # line numbers of the file (the header is line 1)
    shoot(page, "bookings-preview")
    with web.admin.engine.connect() as connection:  # nothing applied yet
        held = connection.execute(
            text("SELECT count(*) FROM bookings WHERE booking_ref IN (:a, :b)"),
            {"a": f"{OFFICE}-{good1}", "b": f"{OFFICE}-{good2}"},
        ).scalar()
    assert held == 0
    page.click("#apply-submit")
    page.wait_for_load_state()
    page.goto(f"{PREFIX}/o/{OFFICE}/bookings?ref={OFFICE}-{good1}")
    row = page.inner_text(f"#booking-{OFFICE}-{good1}")
    assert "Siti Rahmawati" not in row and "1234" not in row  # masked
    shoot(page, "bookings-search")
