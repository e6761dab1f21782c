"""Attacks from the security review of the dashboard: an office admin taking over another office's
booking through the upload (at the preview and at the apply), parallel wrong logins getting around the
lockout, another office's scan shown on the Overrides page through a crafted ref_event."""

from __future__ import annotations

import datetime as dt
import io
import threading
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func, insert, select

from kiosk.server import accounts, offices, summaries
from kiosk.server.db import reading, writing
from kiosk.server.models import AdminAuditRow, BookingRow, EventRow, RemovalRow, WebUserRow
from tests.server.web.support import (
    OFFICE_A,
    OFFICE_B,
    PASSWORD,
    Seeded,
    WebClient,
    _event,
    csrf_of,
    logged_in,
    login,
    page_csrf,
)

WIB = dt.timezone(dt.timedelta(hours=7))
HEADER = "code,booking_ref,office_code,service_date,slot_start,slot_end,display_name,version"


def _today() -> str:
    return dt.datetime.now(WIB).date().isoformat()


def _line(code: str, ref: str, office: str, name: str, version: int = 1) -> str:
    return f"{code},{ref},{office},{_today()},00:00,23:59,{name},{version}"


def _national_import(engine: Engine, *lines: str) -> None:
    """As `kiosk server import` does (every office, no only_office)."""
    good, errors = offices.parse_export("\n".join([HEADER, *lines]) + "\n", "csv")
    assert not errors, errors
    with writing(engine) as connection:
        offices.apply_import(connection, good, dt.datetime.now(dt.UTC))


def _held(engine: Engine, ref: str) -> Any:
    with reading(engine) as connection:
        row = connection.execute(select(BookingRow).where(BookingRow.booking_ref == ref)).one()
        removals = connection.execute(
            select(func.count()).select_from(RemovalRow).where(RemovalRow.booking_ref == ref)
        ).scalar_one()
    return row, removals


def _upload(client: WebClient, *lines: str) -> httpx.Response:
    token = page_csrf(client, f"/web/o/{OFFICE_A}/bookings")
    body = ("\n".join([HEADER, *lines]) + "\n").encode()
    return client.post(
        f"/web/o/{OFFICE_A}/bookings/upload",
        data={"csrf_token": token},
        files={"export": ("export.csv", io.BytesIO(body), "text/csv")},
    )


def _apply(client: WebClient, preview: httpx.Response) -> httpx.Response:
    upload_id = preview.text.split('name="upload_id" value="', 1)[1].split('"', 1)[0]
    return client.post(
        f"/web/o/{OFFICE_A}/bookings/apply", data={"csrf_token": csrf_of(preview.text), "upload_id": upload_id}
    )


FOREIGN = "Jadwal milik kantor lain / Booking belongs to another office"


@pytest.mark.parametrize(
    ("mine", "theirs", "fine"),
    [
        (("MP7K2Q9T3M", "B-SECRET-77"), ("MP7K2Q9T3M", "B-SECRET-77"), "MPV2NX8KQ4"),  # the review's repro
        (("MPQ3ZK8N2T", "B-SECRET-78"), ("MPR8WX3KD7", "B-SECRET-78"), "MPW7KX9QT2"),  # the ref, another code
        (("MPT4KQ7M2X", "B-SECRET-79"), ("MPT4KQ7M2X", "A-OWN-79"), "MPW8KX9QT3"),  # the code, a ref of A's own
    ],
)
def test_an_office_cannot_take_over_another_offices_booking_by_upload(
    client: WebClient, engine: Engine, mine: tuple[str, str], theirs: tuple[str, str], fine: str
) -> None:
    code, ref = mine
    _national_import(engine, _line(code, ref, OFFICE_B, "Pemohon B", version=1))
    before, _ = _held(engine, ref)
    logged_in(client, "admin_a")
    ok_line = _line(fine, f"A-FINE-{ref[-2:]}", OFFICE_A, "Ok")
    preview = _upload(client, _line(*theirs, OFFICE_A, "Hijacked by A", version=5), ok_line)
    assert preview.status_code == 200, preview.text
    assert 'id="preview-good">1<' in preview.text and 'id="preview-bad">1<' in preview.text
    assert FOREIGN in preview.text and theirs[1] in preview.text
    done = _apply(client, preview)
    assert done.status_code == 200, done.text
    assert "1 baru<" in done.text and "0 pindah kantor<" in done.text and "1 ditolak<" in done.text
    after, removals = _held(engine, ref)
    assert (after.office_code, after.display_name, after.version, after.change_seq) == (
        OFFICE_B,
        "Pemohon B",
        before.version,
        before.change_seq,
    )
    assert removals == 0
    with reading(engine) as connection:
        takeover = connection.execute(select(BookingRow).where(BookingRow.booking_ref == theirs[1])).all()
        fine = connection.execute(select(BookingRow.office_code).where(BookingRow.booking_ref == f"A-FINE-{ref[-2:]}"))
        assert fine.scalar_one() == OFFICE_A  # the good row of the same file is applied
    assert all(row.office_code == OFFICE_B for row in takeover)


def test_a_booking_taken_by_another_office_after_the_preview_is_refused_at_apply(
    client: WebClient, engine: Engine
) -> None:
    logged_in(client, "admin_a")
    preview = _upload(client, _line("MPK8ZQ3T2N", "B-LATER-1", OFFICE_A, "Hijacked later", version=9))
    assert preview.status_code == 200, preview.text
    assert 'id="preview-good">1<' in preview.text and 'id="preview-bad">0<' in preview.text
    # meanwhile the national import gives the booking to office B
    _national_import(engine, _line("MPK8ZQ3T2N", "B-LATER-1", OFFICE_B, "Pemohon B later"))
    done = _apply(client, preview)
    assert done.status_code == 200, done.text
    assert "0 baru<" in done.text and "0 pindah kantor<" in done.text and "1 ditolak<" in done.text
    assert FOREIGN in done.text.split('id="refused-rows-table"', 1)[1]  # refused under the writer lock
    after, removals = _held(engine, "B-LATER-1")
    assert (after.office_code, after.display_name, after.version) == (OFFICE_B, "Pemohon B later", 1)
    assert removals == 0


def test_apply_import_for_one_office_refuses_cross_office_moves(engine: Engine) -> None:
    _national_import(engine, _line("MPX3KQ8T2M", "B-DIRECT-1", OFFICE_B, "Pemohon B"))
    good, _ = offices.parse_export(
        "\n".join([HEADER, _line("MPX3KQ8T2M", "B-DIRECT-1", OFFICE_A, "Moved", 4)]) + "\n", "csv"
    )
    with writing(engine) as connection:
        report = offices.apply_import(connection, good, dt.datetime.now(dt.UTC), only_office=OFFICE_A)
    assert (report.inserted, report.updated, report.moved) == (0, 0, 0)
    assert [e.message for e in report.errors] == [f"B-DIRECT-1: {FOREIGN}"]
    with pytest.raises(offices.OfficeError), writing(engine) as connection:  # a row for another office
        offices.apply_import(connection, good, dt.datetime.now(dt.UTC), only_office=OFFICE_B.replace("B", "C"))
    assert _held(engine, "B-DIRECT-1")[0].office_code == OFFICE_B
    with writing(engine) as connection:  # the national import still moves it
        report = offices.apply_import(connection, good, dt.datetime.now(dt.UTC))
    assert report.moved == 1
    row, removals = _held(engine, "B-DIRECT-1")
    assert (row.office_code, removals) == (OFFICE_A, 1)


PARALLEL = 24


def test_parallel_wrong_logins_lock_the_account_exactly(web_app: FastAPI, engine: Engine) -> None:
    name = f"racer_{id(engine) % 100000}"
    with writing(engine) as connection:
        accounts.add_user(connection, name, accounts.OFFICE_VIEWER, OFFICE_A, PASSWORD, dt.datetime.now(dt.UTC))
    clients = [WebClient(web_app) for _ in range(PARALLEL)]
    pages = [client.get("/web/login") for client in clients]
    start = threading.Barrier(PARALLEL)
    codes: list[int] = []
    failures: list[BaseException] = []

    def guess(client: WebClient, page: httpx.Response) -> None:
        try:
            start.wait()
            answer = client.post(
                "/web/login",
                data={"username": name, "password": "wrong password!", "csrf_token": csrf_of(page.text)},
                follow_redirects=False,
            )
            codes.append(answer.status_code)
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=guess, args=pair) for pair in zip(clients, pages, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert codes == [401] * PARALLEL
    assert login(WebClient(web_app), name, PASSWORD).status_code == 401  # locked: the right password too
    with reading(engine) as connection:
        row = connection.execute(select(WebUserRow).where(WebUserRow.username == name)).one()
        actions = list(connection.execute(select(AdminAuditRow.action).where(AdminAuditRow.actor == name)).scalars())
    assert row.locked_until is not None
    assert row.fail_count == accounts.MAX_FAILURES  # each failure counted once, none after the lock
    assert actions.count("login.bad") == accounts.MAX_FAILURES - 1
    assert actions.count("login.locked") == PARALLEL - (accounts.MAX_FAILURES - 1) + 1
    assert "login" not in actions


def test_the_right_password_during_parallel_guesses_never_passes_the_lock(web_app: FastAPI, engine: Engine) -> None:
    """Wrong guesses and the right password at once: once the lock is set nobody logs in; the right
    password either came first (a login, the count back to 0) or is refused."""
    name = f"mixed_{id(engine) % 100000}"
    with writing(engine) as connection:
        accounts.add_user(connection, name, accounts.OFFICE_VIEWER, OFFICE_A, PASSWORD, dt.datetime.now(dt.UTC))
    for _ in range(accounts.MAX_FAILURES - 1):
        assert login(WebClient(web_app), name, "wrong password!").status_code == 401
    clients = [WebClient(web_app) for _ in range(8)]
    pages = [client.get("/web/login") for client in clients]
    start = threading.Barrier(len(clients))
    codes: dict[int, int] = {}

    def attempt(n: int) -> None:
        start.wait()
        password = PASSWORD if n == len(clients) - 1 else "wrong password!"
        answer = clients[n].post(
            "/web/login",
            data={"username": name, "password": password, "csrf_token": csrf_of(pages[n].text)},
            follow_redirects=False,
        )
        codes[n] = answer.status_code

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with reading(engine) as connection:
        actions = list(connection.execute(select(AdminAuditRow.action).where(AdminAuditRow.actor == name)).scalars())
    right = codes[len(clients) - 1]
    assert right in (303, 401)
    assert actions.count("login") == (1 if right == 303 else 0)  # in before the lock, or refused
    assert login(WebClient(web_app), name, PASSWORD).status_code == 401  # locked by now either way


def test_another_offices_scan_is_not_shown_as_the_reference_of_an_override(
    client: WebClient, engine: Engine, seeded: Seeded
) -> None:
    at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=4)
    secret = _event(seeded.kiosk_b1, OFFICE_B, "G1", at, verdict="REFER", reason="B_SECRET_REASON")
    crafted = _event(
        seeded.kiosk_a1, OFFICE_A, "G1", at, kind="override", reason="OTHER", guard_id=4,
        ref_event=secret["event_uuid"], note="crafted",
    )  # fmt: skip
    with writing(engine) as connection:
        connection.execute(insert(EventRow), [secret, crafted])
        summaries.count(connection, [secret, crafted])
    logged_in(client, "admin_a")
    page = client.get(f"/web/o/{OFFICE_A}/overrides").text
    assert f'id="action-{crafted["event_uuid"]}"' in page
    assert "B_SECRET_REASON" not in page
    assert "Terlalu awal" in page  # the office's own referenced scan (TOO_EARLY) is still shown, by name
