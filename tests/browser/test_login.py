"""Logging in as each role in Chromium, what each sees, logging out, and the login's refusals."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import OFFICE, OTHER_OFFICE, Account, Web, log_in
from tests.browser.support import PREFIX, shoot


@pytest.mark.parametrize("role", ["office_admin", "office_viewer", "national_auditor"])
def test_each_role_logs_in(page: Any, web: Web, accounts: dict[str, Account], role: str) -> None:
    account = accounts[role]
    log_in(page, account)
    assert page.url.endswith(f"{PREFIX}/offices")
    assert account.username in page.inner_text("#who")
    listed = {row.get_attribute("id") for row in page.query_selector_all("#offices-table tbody tr[id^=office-]")}
    if role == "national_auditor":
        assert {f"office-{OFFICE}", f"office-{OTHER_OFFICE}"} <= listed
    else:
        assert listed == {f"office-{OFFICE}"}
    shoot(page, f"offices-{role}")
    page.click("#logout")
    page.wait_for_url(f"**{PREFIX}/login")
    page.goto(f"{PREFIX}/o/{OFFICE}/today")
    assert f"{PREFIX}/login" in page.url  # the session ended with the logout


def test_wrong_password_is_refused(page: Any, web: Web, accounts: dict[str, Account]) -> None:
    wrong = Account(accounts["office_viewer"].username, "not-the-password", "office_viewer", OFFICE)
    log_in(page, wrong)
    assert f"{PREFIX}/login" in page.url
    assert page.is_visible("#login-error")
    shoot(page, "login-refused")


def test_no_page_without_login(page: Any, web: Web) -> None:
    for path in ("offices", f"o/{OFFICE}/today", f"o/{OFFICE}/kiosks", f"o/{OFFICE}/report.csv", "audit"):
        page.goto(f"{PREFIX}/{path}")
        assert f"{PREFIX}/login" in page.url, path
    shoot(page, "login")
