"""Fixtures of the browser tests (issue 17, item 3): the real server on PostgreSQL in a child process,
an account of each role made with `kiosk server user add`, and Debian's Chromium driven by Playwright.

Chromium is /usr/bin/chromium from Debian's `chromium` package (scripts/bootstrap installs it; Playwright
never downloads a browser here), started headless with the flags of support.CHROMIUM_ARGS; Playwright
gives each launch a fresh profile directory (--user-data-dir). Without Chromium, the playwright package
or PostgreSQL (KIOSK_TEST_PG_DSN from scripts/start-postgres), these tests FAIL under CI (CI set) and
are skipped elsewhere.

One server and one database serve the whole package (starting them is the slow part); each test gets
a new browser context (no cookies of another test) and makes its own offices' data where it needs it.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.browser.support import (
    CHROMIUM_ARGS,
    PREFIX,
    ServerUnderTest,
    add_user,
    chromium_path,
    missing,
)
from tests.server.support import Admin, booking, codes, fresh_database

OFFICE, OTHER_OFFICE = "BRWA", "BRWB"


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    role: str
    office: str | None


@dataclass(frozen=True)
class Web:
    """The server under test, its database and the admin side on it (offices, bookings, kiosks)."""

    url: str
    db_url: str
    admin: Admin


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here is a browser test, and needs PostgreSQL."""
    for item in items:
        if "tests/browser/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="package")
def chromium_browser() -> Iterator[Any]:
    """Debian's Chromium, headless, launched once for tests/browser through Playwright. Package scope:
    Playwright's event loop runs on this thread while it lives, and every later test that runs an event
    loop of its own (asyncio.run) would find one running."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright package is not installed")
    manager = sync_playwright()
    playwright = manager.start()
    try:
        _own_io_thread(manager)
        browser = playwright.chromium.launch(executable_path=str(executable), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


def _own_io_thread(manager: Any) -> None:
    """Playwright writes screenshots and downloads through its event loop's default executor, whose
    thread would start inside the first test that saves a file (and count as a thread that test left
    running). Give the loop a one-thread executor and start its thread now, for the whole package."""
    loop = getattr(manager, "_loop", None)
    if loop is None:  # a Playwright of another shape: the thread check will say so
        return
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playwright-io")
    loop.set_default_executor(executor)
    executor.submit(lambda: None).result()


@pytest.fixture(scope="package")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    """The server on a fresh PostgreSQL database with two offices (OFFICE, OTHER_OFFICE)."""
    with fresh_database("postgres", tmp_path_factory.mktemp("web")) as db_url:
        admin = Admin(db_url)
        try:
            admin.office(OFFICE)
            admin.office(OTHER_OFFICE)
            log = tmp_path_factory.mktemp("web-log") / "server.log"
            with ServerUnderTest(db_url, log) as server:
                yield Web(server.url, db_url, admin)
        finally:
            admin.close()


@pytest.fixture(scope="package")
def accounts(web: Web) -> dict[str, Account]:
    """An account of each role for OFFICE, and an office admin of OTHER_OFFICE, made with
    `kiosk server user add` (support.add_user)."""
    made = {
        "office_admin": Account("admin-a", secrets.token_urlsafe(12), "office_admin", OFFICE),
        "office_viewer": Account("head-a", secrets.token_urlsafe(12), "office_viewer", OFFICE),
        "national_auditor": Account("auditor", secrets.token_urlsafe(12), "national_auditor", None),
        "other_admin": Account("admin-b", secrets.token_urlsafe(12), "office_admin", OTHER_OFFICE),
    }
    for account in made.values():
        add_user(web.db_url, account.username, account.role, account.office, account.password)
    return made


@pytest.fixture
def page(chromium_browser: Any, web: Web) -> Iterator[Any]:
    """A new browser context (no cookies) at 1366x768 on the server, and its page."""
    context = chromium_browser.new_context(viewport={"width": 1366, "height": 768}, base_url=web.url)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def log_in(page: Any, account: Account, next_path: str = "") -> None:
    """Log in through the login form, as a person does."""
    page.goto(f"{PREFIX}/login" + (f"?next={next_path}" if next_path else ""))
    page.fill("#username", account.username)
    page.fill("#password", account.password)
    page.click("#login-submit")
    page.wait_for_load_state()


@dataclass(frozen=True)
class Seeded:
    """What `seeded` put on the server: a kiosk of OFFICE at gate G1 and its events of today and
    yesterday (office time), among them an open REFER and a guard's override."""

    kiosk_id: str
    open_refer: str
    override: str
    booking_ref: str


@pytest.fixture(scope="package")
def seeded(web: Web) -> Seeded:
    """Events of OFFICE through the real API (enrolment, then an upload): the pages have something to show."""
    zone = ZoneInfo("Asia/Jakarta")
    (code,) = codes("BW", 1)
    ref = f"{OFFICE}-{code}"
    web.admin.load([booking(code, ref, OFFICE)])
    token = web.admin.enrol(OFFICE, "G1")
    enrolled = httpx.post(f"{web.url}/v1/enrol", json={"token": token, "gate": "G1"}, timeout=30)
    enrolled.raise_for_status()
    kiosk_id, device = enrolled.json()["kiosk_id"], enrolled.json()["device_token"]
    today = dt.datetime.now(zone).replace(hour=9, minute=0, second=0, microsecond=0)
    yesterday = today - dt.timedelta(days=1)

    def scan(at: dt.datetime, verdict: str, reason: str, **more: Any) -> dict[str, Any]:
        return {
            "event_uuid": str(uuid.uuid4()),
            "occurred_at": at.isoformat(),
            "kind": "scan",
            "kiosk_id": kiosk_id,
            "gate": "G1",
            "office_code": OFFICE,
            "verdict": verdict,
            "reason": reason,
            "payload_kind": "booking_code",
            "facts": {"source": "camera"},
            **more,
        }

    refer = scan(today, "REFER", "NEEDS_OFFICER", booking_ref=ref)
    denied = scan(yesterday, "DENY", "WRONG_DAY", booking_ref=ref)
    override = scan(yesterday + dt.timedelta(minutes=3), "ADMIT", "ID_CHECKED", kind="override", persons=1,
                    guard_id=2, ref_event=denied["event_uuid"], note="KTP dicocokkan", booking_ref=ref)  # fmt: skip
    events = [
        *(
            scan(day + dt.timedelta(minutes=7 * n), "ADMIT", "OK", persons=1)
            for day in (today, yesterday)
            for n in range(6)
        ),
        scan(today + dt.timedelta(hours=1), "DENY", "UNKNOWN_CODE"),
        refer,
        denied,
        override,
    ]
    response = httpx.post(
        f"{web.url}/v1/events",
        json={"events": events, "audit_head": {"seq": 0, "hash": "0" * 64}},
        headers={"Authorization": f"Bearer {device}"},
        timeout=30,
    )
    response.raise_for_status()
    assert {r["status"] for r in response.json()["results"]} == {"stored"}
    return Seeded(kiosk_id, refer["event_uuid"], override["event_uuid"], ref)
