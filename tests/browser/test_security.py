"""Crossing offices by URL, a form without its CSRF token, and an expired session."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import text

from kiosk.server.db import writing
from tests.browser.conftest import OFFICE, OTHER_OFFICE, Account, Web, log_in
from tests.browser.support import PREFIX, shoot

OTHER_PAGES = ("today", "kiosks", "overrides", "report", "report.csv", "report.pdf", "bookings", "admin", "audit")


@pytest.mark.parametrize("role", ["office_admin", "office_viewer"])
def test_another_offices_pages_by_url(page: Any, web: Web, accounts: dict[str, Account], role: str) -> None:
    log_in(page, accounts[role])
    for name in OTHER_PAGES:
        response = page.request.get(f"{PREFIX}/o/{OTHER_OFFICE}/{name}", max_redirects=0)
        assert response.status in (403, 404), (name, response.status)
    response = page.goto(f"{PREFIX}/o/{OTHER_OFFICE}/today")
    assert response is not None and response.status in (403, 404)
    assert page.is_visible("#error-status")
    shoot(page, "crossing-offices")
    # nor may they act on it
    csrf = page.goto(f"{PREFIX}/o/{OFFICE}/today") and page.get_attribute(
        "#logout-form input[name=csrf_token]", "value"
    )
    for action, fields in (("admin/enrol", {"gate": "G9"}), ("bookings/cancel", {"booking_ref": "X"})):
        response = page.request.post(
            f"{PREFIX}/o/{OTHER_OFFICE}/{action}", form={"csrf_token": csrf or "", **fields}, max_redirects=0
        )
        assert response.status in (403, 404), (action, response.status)


def test_a_form_without_its_csrf_token_is_refused(page: Any, web: Web, accounts: dict[str, Account]) -> None:
    log_in(page, accounts["office_admin"])
    for token in (None, "forged-token"):
        form = {"gate": "G8"} if token is None else {"gate": "G8", "csrf_token": token}
        response = page.request.post(f"{PREFIX}/o/{OFFICE}/admin/enrol", form=form, max_redirects=0)
        assert response.status == 403, response.status
    with web.admin.engine.connect() as connection:
        made = connection.execute(text("SELECT count(*) FROM kiosks WHERE gate = 'G8'")).scalar()
    assert made == 0


def test_an_expired_session_goes_back_to_login(page: Any, web: Web, accounts: dict[str, Account]) -> None:
    account = accounts["office_viewer"]
    log_in(page, account)
    response = page.goto(f"{PREFIX}/o/{OFFICE}/today")
    assert response is not None and response.status == 200
    long_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).isoformat()
    with writing(web.admin.engine) as connection:  # as if the person had walked away two days ago
        connection.execute(
            text(
                "UPDATE web_sessions SET created_at = :t, last_seen_at = :t "
                "WHERE user_id = (SELECT id FROM web_users WHERE username = :u)"
            ),
            {"t": long_ago, "u": account.username},
        )
    page.goto(f"{PREFIX}/o/{OFFICE}/today")
    assert f"{PREFIX}/login" in page.url
    shoot(page, "session-expired")
