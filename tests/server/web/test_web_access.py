"""The dashboard's security at the HTTP level: login per role, no page without a login, no crossing of
offices by URL, CSRF on every form, expiring sessions, lockout, headers and cookie flags."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select, update

from kiosk.server.db import reading, utc_text, writing
from kiosk.server.models import AdminAuditRow, WebSessionRow, WebUserRow
from kiosk.server.web.routes_login import _safe_next
from tests.server.web.support import OFFICE_A, OFFICE_B, PASSWORD, USERS, WebClient, csrf_of, logged_in, login

OFFICE_PAGES = ("kiosks", "today", "overrides", "report", "bookings", "audit")
EXPORTS = ("report.csv", "report.pdf")


@pytest.mark.parametrize("username", sorted(USERS))
def test_each_role_logs_in_and_sees_its_offices(client: WebClient, username: str) -> None:
    answer = login(client, username)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/web/offices"
    offices = client.get("/web/offices")
    assert offices.status_code == 200
    assert f'id="who">{username}' in offices.text
    _role, office = USERS[username]
    if office is None:
        assert f'id="office-{OFFICE_A}"' in offices.text and f'id="office-{OFFICE_B}"' in offices.text
    else:
        other = OFFICE_B if office == OFFICE_A else OFFICE_A
        assert f'id="office-{office}"' in offices.text
        assert f'id="office-{other}"' not in offices.text


def test_wrong_password_is_refused(client: WebClient) -> None:
    answer = login(client, "viewer_a", "not the password")
    assert answer.status_code == 401
    assert 'id="login-error"' in answer.text
    assert client.get("/web/offices", follow_redirects=False).status_code == 303


LOGIN_NEEDED = [
    *(f"/web/o/{OFFICE_A}/{p}" for p in (*OFFICE_PAGES, *EXPORTS, "admin")),
    "/web/offices",
    "/web/audit",
]


@pytest.mark.parametrize("path", LOGIN_NEEDED)
def test_no_page_without_a_login(client: WebClient, path: str) -> None:
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/web/login")
    assert "WEBA" not in answer.text


def test_the_login_page_returns_to_the_page_asked_for(client: WebClient) -> None:
    answer = client.get(f"/web/o/{OFFICE_A}/today", follow_redirects=False)
    assert answer.headers["location"] == f"/web/login?next=/web/o/{OFFICE_A}/today"
    page = client.get(answer.headers["location"])
    done = client.post(
        "/web/login",
        data={
            "username": "viewer_a",
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": f"/web/o/{OFFICE_A}/today",
        },
        follow_redirects=False,
    )
    assert done.headers["location"] == f"/web/o/{OFFICE_A}/today"
    evil = client.get("/web/login?next=//evil.example/")
    assert 'value="/web/offices"' in evil.text


@pytest.mark.parametrize("username", ["admin_a", "viewer_a"])
@pytest.mark.parametrize("page", [*OFFICE_PAGES, *EXPORTS, "admin"])
def test_an_office_user_cannot_cross_to_another_office(client: WebClient, username: str, page: str) -> None:
    logged_in(client, username)
    answer = client.get(f"/web/o/{OFFICE_B}/{page}", follow_redirects=False)
    assert answer.status_code in (403, 404)
    assert "catatan kantor B rahasia" not in answer.text
    assert client.get(f"/web/o/NOSUCH/{page}", follow_redirects=False).status_code in (403, 404)


def test_an_office_admin_cannot_act_on_another_office(client: WebClient, seeded: object) -> None:
    logged_in(client, "admin_a")
    token = csrf_of(client.get(f"/web/o/{OFFICE_A}/kiosks").text)
    for path, data in (
        (f"/web/o/{OFFICE_B}/admin/enrol", {"gate": "G9"}),
        (f"/web/o/{OFFICE_B}/admin/revoke", {"kiosk_id": seeded.kiosk_b1}),  # type: ignore[attr-defined]
        (f"/web/o/{OFFICE_B}/admin/rules", {"early_minutes": "5"}),
        (f"/web/o/{OFFICE_B}/bookings/cancel", {"booking_ref": "X"}),
    ):
        answer = client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
        assert answer.status_code in (403, 404), path
    # a kiosk of office B through office A's URL
    answer = client.post(
        f"/web/o/{OFFICE_A}/admin/revoke",
        data={"kiosk_id": seeded.kiosk_b1, "csrf_token": token},  # type: ignore[attr-defined]
        follow_redirects=False,
    )
    assert answer.status_code in (403, 404)


@pytest.mark.parametrize("username", ["viewer_a", "auditor"])
def test_readers_cannot_administer(client: WebClient, username: str) -> None:
    logged_in(client, username)
    assert client.get(f"/web/o/{OFFICE_A}/admin", follow_redirects=False).status_code == 403
    token = csrf_of(client.get(f"/web/o/{OFFICE_A}/kiosks").text)
    for path in ("admin/enrol", "admin/rules", "admin/revoke", "bookings/cancel", "bookings/upload"):
        answer = client.post(
            f"/web/o/{OFFICE_A}/{path}", data={"csrf_token": token, "gate": "G5"}, follow_redirects=False
        )
        assert answer.status_code == 403, path


def test_the_auditor_reads_every_office(client: WebClient) -> None:
    logged_in(client, "auditor")
    for office in (OFFICE_A, OFFICE_B):
        for page in OFFICE_PAGES:
            assert client.get(f"/web/o/{office}/{page}").status_code == 200, (office, page)
    assert client.get("/web/audit").status_code == 200


def test_a_form_without_its_csrf_token_is_refused(client: WebClient, engine: Engine) -> None:
    logged_in(client, "admin_a")
    before = _audit_count(engine)
    for data in ({"gate": "G7"}, {"gate": "G7", "csrf_token": "forged"}):
        answer = client.post(f"/web/o/{OFFICE_A}/admin/enrol", data=data, follow_redirects=False)
        assert answer.status_code == 403
    assert client.post("/web/logout", data={}, follow_redirects=False).status_code == 403
    assert client.get("/web/offices").status_code == 200  # still logged in
    assert _audit_count(engine) == before


def test_another_sessions_csrf_token_is_refused(web_app: object, client: WebClient) -> None:
    other = WebClient(client.app)
    logged_in(other, "admin_a")
    token = csrf_of(other.get(f"/web/o/{OFFICE_A}/kiosks").text)
    logged_in(client, "admin_a")
    answer = client.post(
        f"/web/o/{OFFICE_A}/admin/enrol", data={"gate": "G7", "csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 403


def test_the_login_form_needs_its_token(client: WebClient) -> None:
    client.get("/web/login")
    answer = client.post("/web/login", data={"username": "admin_a", "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 403
    assert client.get("/web/offices", follow_redirects=False).status_code == 303


def _age_session(
    engine: Engine, username: str, *, idle: dt.timedelta = dt.timedelta(), age: dt.timedelta = dt.timedelta()
) -> None:
    now = dt.datetime.now(dt.UTC)
    with writing(engine) as connection:
        user_id = connection.execute(select(WebUserRow.id).where(WebUserRow.username == username)).scalar_one()
        connection.execute(
            update(WebSessionRow)
            .where(WebSessionRow.user_id == user_id)
            .values(last_seen_at=utc_text(now - idle), created_at=utc_text(now - age))
        )


@pytest.mark.parametrize("kind", ["idle", "absolute"])
def test_an_expired_session_goes_back_to_the_login_page(client: WebClient, engine: Engine, kind: str) -> None:
    logged_in(client, "viewer_a")
    assert client.get(f"/web/o/{OFFICE_A}/today").status_code == 200
    if kind == "idle":
        _age_session(engine, "viewer_a", idle=dt.timedelta(minutes=31), age=dt.timedelta(minutes=31))
    else:
        _age_session(engine, "viewer_a", age=dt.timedelta(hours=13))
    answer = client.get(f"/web/o/{OFFICE_A}/today", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/web/login")


def test_logout_ends_the_session(client: WebClient) -> None:
    logged_in(client, "viewer_a")
    cookie = client.cookies.get("kiosk_session")
    token = csrf_of(client.get("/web/offices").text)
    assert client.post("/web/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    replay = WebClient(client.app)
    replay.cookies.set("kiosk_session", cookie or "", domain="testserver", path="/web")
    assert replay.get("/web/offices", follow_redirects=False).status_code == 303


def test_lockout_after_repeated_failures(client: WebClient, engine: Engine) -> None:
    with writing(engine) as connection:
        from kiosk.server import accounts

        accounts.add_user(connection, "locked_one", accounts.OFFICE_VIEWER, OFFICE_A, PASSWORD, dt.datetime.now(dt.UTC))
    for _ in range(5):
        assert login(client, "locked_one", "wrong password!").status_code == 401
    assert login(client, "locked_one", PASSWORD).status_code == 401  # locked: the right password too
    with reading(engine) as connection:
        row = connection.execute(select(WebUserRow).where(WebUserRow.username == "locked_one")).one()
        actions = list(
            connection.execute(select(AdminAuditRow.action).where(AdminAuditRow.actor == "locked_one")).scalars()
        )
    assert row.locked_until is not None
    assert "login.locked" in actions
    with writing(engine) as connection:
        connection.execute(
            update(WebUserRow)
            .where(WebUserRow.username == "locked_one")
            .values(locked_until=utc_text(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        )
    assert login(client, "locked_one", PASSWORD).status_code == 303  # the lock ran out


def test_headers_and_cookie_flags(client: WebClient) -> None:
    page = client.get("/web/login")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "<script" not in page.text.lower()
    answer = login(client, "viewer_a")
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/web" in cookie
    assert "secure" not in cookie.replace("kiosk_session", "")  # loopback http in this test


def test_cookies_are_secure_over_https(web_app: object) -> None:
    secure = WebClient(web_app, base_url="https://testserver")  # type: ignore[arg-type]
    secure.app.state.web.settings.secure_cookies = "auto"
    try:
        answer = login(secure, "viewer_a")
        assert answer.status_code == 303
        assert "; secure" in answer.headers["set-cookie"].lower()
    finally:
        secure.app.state.web.settings.secure_cookies = "never"


def test_the_api_keeps_its_own_headers(client: WebClient) -> None:
    answer = client.get("/v1/time")
    assert answer.status_code == 200
    assert "content-security-policy" not in answer.headers


def _audit_count(engine: Engine) -> int:
    with reading(engine) as connection:
        return len(connection.execute(select(AdminAuditRow.id)).all())


def test_each_login_makes_a_new_session(client: WebClient) -> None:
    logged_in(client, "viewer_a")
    first = client.cookies.get("kiosk_session")
    logged_in(client, "viewer_a")
    second = client.cookies.get("kiosk_session")
    assert first and second and first != second
    replay = WebClient(client.app)
    replay.cookies.set("kiosk_session", first, domain="testserver", path="/web")
    assert replay.get("/web/offices", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("asked", "kept"),
    [
        (f"/web/o/{OFFICE_A}/today", True),
        (f"/web/o/{OFFICE_A}/report?day=2026-12-07", True),
        ("/web/..%2f..%2fv1", True),  # "%2f" stays a name to a browser, not a slash
        ("//evil.example/", False),
        ("https://evil.example/web/", False),
        ("/web//evil.example/", False),
        ("/web/\\evil.example", False),
        ("/web/../v1/bookings", False),
        ("/web/%2e%2e/v1/bookings", False),
        ("/web/.%2E/v1/bookings", False),
        ("/web/o/A/..", False),
        ("/web/a\r\nSet-Cookie: x=1", False),
        ("/web/" + "a" * 400, False),
    ],
)
def test_after_login_only_a_path_of_the_dashboard(asked: str, kept: bool) -> None:
    assert _safe_next(asked) == (asked if kept else "/web/offices")
