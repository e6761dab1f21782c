"""Enrolling a kiosk from the Administration page: the one-time token (text and QR) taken to a kiosk
database, which enrols with it and syncs with the server; the Kiosks page then lists it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import zxingcpp

from tests.browser.conftest import OFFICE, Account, Web, log_in
from tests.browser.support import PREFIX, shoot
from tests.server.support import booking, codes, sync


def test_enrol_from_the_page_then_sync(page: Any, web: Web, accounts: dict[str, Account], tmp_path: Path) -> None:
    from kiosk.store.db import KioskStore
    from kiosk.sync.client import enrol

    (code,) = codes("EN", 1)
    web.admin.load([booking(code, f"{OFFICE}-{code}", OFFICE)])
    log_in(page, accounts["office_admin"])
    page.goto(f"{PREFIX}/o/{OFFICE}/admin")
    page.fill("#enrol-gate", "G5")
    page.fill("#enrol-label", "Pintu samping")
    page.click("#enrol-submit")
    page.wait_for_selector("#enrol-token")
    token = page.inner_text("#enrol-token").strip()
    kiosk_id = page.inner_text("#enrolled-kiosk-id").strip()
    # the QR, as the kiosk's camera would read it off the screen: the same one-time token
    seen = cv2.imdecode(np.frombuffer(page.locator("#enrol-qr").screenshot(), np.uint8), cv2.IMREAD_GRAYSCALE)
    assert [found.text for found in zxingcpp.read_barcodes(seen)] == [token]
    shoot(page, "admin-enrolled")

    store = KioskStore.open(tmp_path / "kiosk.db")
    try:
        enrol(store, web.url, token, "G5")
        result = sync(store)
        assert result.complete and result.bookings >= 1, result
        assert store.bookings.count() >= 1
    finally:
        store.close()

    page.goto(f"{PREFIX}/o/{OFFICE}/kiosks")
    assert page.is_visible(f"#kiosk-{kiosk_id}")
    shoot(page, "kiosks-after-enrol")
