"""Every page of the dashboard in Chromium, with what it must show of the seeded events, and its
screenshots at 1366x768 and 1920x1080 (build/screenshots/web/)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.browser.conftest import OFFICE, Account, Seeded, Web, log_in
from tests.browser.support import PREFIX, shoot


def test_the_pages_of_an_office(page: Any, web: Web, accounts: dict[str, Account], seeded: Seeded) -> None:
    log_in(page, accounts["office_admin"])
    page.goto(f"{PREFIX}/o/{OFFICE}/today")
    assert page.is_visible("#today-totals")
    assert page.is_visible(f"#refer-{seeded.open_refer}")  # the open REFER of today
    shoot(page, "today")

    page.goto(f"{PREFIX}/o/{OFFICE}/kiosks")
    assert page.is_visible(f"#kiosk-{seeded.kiosk_id}")
    shoot(page, "kiosks")

    page.goto(f"{PREFIX}/o/{OFFICE}/overrides")
    assert page.is_visible(f"#action-{seeded.override}")
    assert page.is_visible("#per-guard-table")
    shoot(page, "overrides")
    year = f"from={dt.date.today() - dt.timedelta(days=365)}&to={dt.date.today()}"
    page.goto(f"{PREFIX}/o/{OFFICE}/overrides?{year}")  # over a month: a summary per guard, not a grid
    assert page.is_visible("#per-guard-table.per-guard-summary")
    assert page.is_visible(f"#action-{seeded.override}")
    shoot(page, "overrides-year")

    page.goto(f"{PREFIX}/o/{OFFICE}/report")  # yesterday by default
    assert page.is_visible("#heads-table")
    assert page.is_visible(f"#report-action-{seeded.override}")
    shoot(page, "report")

    page.goto(f"{PREFIX}/o/{OFFICE}/bookings?ref={seeded.booking_ref}")
    assert page.is_visible(f"#booking-{seeded.booking_ref}")
    shoot(page, "bookings")

    page.goto(f"{PREFIX}/o/{OFFICE}/admin")
    assert page.is_visible("#enrol-form") and page.is_visible("#rules-form")
    shoot(page, "admin")

    page.goto(f"{PREFIX}/o/{OFFICE}/audit")
    assert page.is_visible("#audit-table")
    shoot(page, "audit-office")


def test_the_national_audit_log(page: Any, web: Web, accounts: dict[str, Account]) -> None:
    log_in(page, accounts["national_auditor"])
    page.goto(f"{PREFIX}/audit")
    assert page.is_visible("#audit-table")
    shoot(page, "audit-national")


def test_a_viewer_reads_but_does_not_administer(page: Any, web: Web, accounts: dict[str, Account]) -> None:
    log_in(page, accounts["office_viewer"])
    response = page.goto(f"{PREFIX}/o/{OFFICE}/today")
    assert response is not None and response.status == 200
    response = page.goto(f"{PREFIX}/o/{OFFICE}/admin")
    assert response is not None and response.status == 403
    page.goto(f"{PREFIX}/o/{OFFICE}/bookings")
    assert not page.is_visible("#upload-form")
    shoot(page, "bookings-viewer")
