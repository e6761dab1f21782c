"""Retention on the server (issue 13): bookings go 7 days after their service date (office time),
events and audit reports 13 months after they arrived; `kiosk server purge` says what it deleted;
`kiosk server run` purges at start and daily, and stops cleanly; a first sync never downloads the
past (bookings before yesterday, office time).
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select

from kiosk.server import retention
from kiosk.server.cli import main
from kiosk.server.db import reading, utc_text, writing
from kiosk.server.models import AuditReportRow, BookingRow, EventRow
from kiosk.server.retention import DailyPurge, Retention, months_before, purge
from tests.server.support import WIB, Admin, ServerProcess, booking, codes, fresh_database, now, wait_until


def _today() -> dt.date:
    return now().astimezone(WIB).date()


def _refs(admin: Admin, office: str) -> set[str]:
    with reading(admin.engine) as connection:
        return set(connection.execute(select(BookingRow.booking_ref).where(BookingRow.office_code == office)).scalars())


def _event(office: str, received: dt.datetime) -> dict[str, Any]:
    return {
        "event_uuid": str(uuid.uuid4()),
        "office_code": office,
        "kiosk_id": "K-RET",
        "gate": "G1",
        "kind": "scan",
        "occurred_at": utc_text(received),
        "received_at": utc_text(received),
        "booking_ref": None,
        "code_masked": "",
        "payload_kind": "booking_code",
        "verdict": "DENY",
        "reason": "UNKNOWN_CODE",
        "persons": 0,
        "facts": "{}",
        "extra": "{}",
        "origin": "upload",
    }


def _aged(admin: Admin, office: str) -> dict[str, list[str]]:
    """Bookings 8, 7 and 0 days after their date; events and reports 14, 13 (less a day) months old."""
    today = _today()
    refs = {days: f"{office}-D{days}" for days in (8, 7, 0)}
    admin.load(
        [
            booking(code, refs[days], office, today - dt.timedelta(days=days))
            for code, days in zip(codes("RT", 3), refs, strict=True)
        ]
    )
    old, kept = (
        _event(office, months_before(now(), 14)),
        _event(office, months_before(now(), 13) + dt.timedelta(days=1)),
    )
    with writing(admin.engine) as connection:
        connection.execute(insert(EventRow), [old, kept])
        for when in (months_before(now(), 14), now()):
            connection.execute(
                insert(AuditReportRow).values(kiosk_id="K-RET", seq=1, hash="c" * 64, reported_at=utc_text(when))
            )
    return {"gone": [refs[8], old["event_uuid"]], "kept": [refs[7], refs[0], kept["event_uuid"]]}


def _events(admin: Admin, office: str) -> set[str]:
    return set(admin.event_uuids(office))


def test_months_before() -> None:
    at = dt.datetime(2026, 3, 31, 10, 0, tzinfo=dt.UTC)
    assert months_before(at, 1) == dt.datetime(2026, 2, 28, 10, 0, tzinfo=dt.UTC)
    assert months_before(at, 13) == dt.datetime(2025, 2, 28, 10, 0, tzinfo=dt.UTC)
    assert months_before(dt.datetime(2026, 1, 15, tzinfo=dt.UTC), 1) == dt.datetime(2025, 12, 15, tzinfo=dt.UTC)
    with pytest.raises(ValueError):
        Retention(event_months=0)


def test_purge_deletes_what_is_past_retention(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        admin = Admin(url)
        try:
            office = admin.office()
            aged = _aged(admin, office)
            purged = purge(admin.engine, now())
            assert (purged.bookings, purged.events, purged.audit_reports) == (1, 1, 1)
            refs, events = _refs(admin, office), _events(admin, office)
            assert aged["gone"][0] not in refs and aged["gone"][1] not in events
            assert {aged["kept"][0], aged["kept"][1]} <= refs and aged["kept"][2] in events
            with reading(admin.engine) as connection:
                assert len(connection.execute(select(AuditReportRow)).all()) == 1
            assert purge(admin.engine, now()) == retention.Purged(0, 0, 0, 0)  # nothing twice
            shorter = purge(admin.engine, now(), Retention(booking_days=0, event_months=1))
            assert shorter.bookings == 1 and _refs(admin, office) == {aged["kept"][1]}
        finally:
            admin.close()


def test_purge_command_prints_what_it_deleted(backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with fresh_database(backend, tmp_path) as url:
        admin = Admin(url)
        try:
            office = admin.office()
            _aged(admin, office)
            assert main(["--db", url, "purge"]) == 0
            out = capsys.readouterr().out
            assert "deleted 1 bookings" in out and "1 events" in out and "1 audit reports" in out, out
            assert main(["purge", "--db", url, "--booking-days", "0", "--event-months", "1"]) == 0
            assert "deleted 1 bookings" in capsys.readouterr().out
        finally:
            admin.close()


def test_daily_purge_thread_stops(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        admin = Admin(url)
        try:
            office = admin.office()
            aged = _aged(admin, office)
            daily = DailyPurge(admin.engine, Retention(), now, interval_s=3600).start()
            try:
                assert wait_until(lambda: daily.runs >= 1)
            finally:
                daily.stop()
            assert not daily._thread.is_alive()
            assert aged["gone"][0] not in _refs(admin, office)
        finally:
            admin.close()


def test_server_run_purges_at_start_and_stops_cleanly(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        admin = Admin(url)
        try:
            office = admin.office()
            aged = _aged(admin, office)
            server = ServerProcess(url, tmp_path / "server.log").start()
            process = server._process
            assert process is not None
            try:
                assert wait_until(lambda: aged["gone"][0] not in _refs(admin, office))
                assert aged["gone"][1] not in _events(admin, office)
                assert httpx.get(f"{server.url}/v1/time").status_code == 200
            finally:
                server.stop()
            # uvicorn ends by raising the SIGTERM it caught again, after its shutdown (which stops the
            # purge); a server that had to be killed would say -9
            assert process.returncode in (0, -signal.SIGTERM), (tmp_path / "server.log").read_text()[-2000:]
            assert "Traceback" not in (tmp_path / "server.log").read_text()
        finally:
            admin.close()


def test_first_sync_never_downloads_the_past(calm_server: ServerProcess, admin: Admin) -> None:
    office = admin.office()
    today = _today()
    refs = {days: f"{office}-P{days}" for days in (2, 1, 0, -3)}
    admin.load(
        [
            booking(code, refs[days], office, today - dt.timedelta(days=days))
            for code, days in zip(codes("QA", 4), refs, strict=True)
        ]
    )
    answer = httpx.post(f"{calm_server.url}/v1/enrol", json={"token": admin.enrol(office), "gate": "G1"})
    headers = {"Authorization": f"Bearer {answer.json()['device_token']}"}
    page = json.loads(httpx.get(f"{calm_server.url}/v1/bookings", headers=headers).content)
    sent = {b["booking_ref"] for b in page["bookings"]} | {t["booking_ref"] for t in page["tombstones"]}
    assert sent == {refs[1], refs[0], refs[-3]}
    assert not page["has_more"]


def test_a_first_sync_of_many_pages_never_downloads_the_past(calm_server: ServerProcess, admin: Admin) -> None:
    """Every page of a first sync leaves the past out, not only the first (the server pages by 50 here);
    a kiosk that finished its first sync (its upload reports a cursor) gets every change after it."""
    office = admin.office()
    today = _today()
    past = {f"{office}-OLD{i}": code for i, code in enumerate(codes("QO", 120))}
    current = {f"{office}-NEW{i}": code for i, code in enumerate(codes("QN", 70))}
    admin.load(
        [booking(code, ref, office, today - dt.timedelta(days=3)) for ref, code in past.items()]
        + [booking(code, ref, office, today) for ref, code in current.items()]
    )
    answer = httpx.post(f"{calm_server.url}/v1/enrol", json={"token": admin.enrol(office), "gate": "G1"})
    headers = {"Authorization": f"Bearer {answer.json()['device_token']}"}
    head = {"seq": 0, "hash": "0" * 64}

    def download(since: str | None) -> tuple[set[str], str]:
        upload = {"events": [], "audit_head": head, "outbox_pending": 0, "cursor": since}
        assert httpx.post(f"{calm_server.url}/v1/events", json=upload, headers=headers).status_code == 200
        refs: set[str] = set()
        pages = 0
        while True:
            query = {"since": since} if since else {}
            page = httpx.get(f"{calm_server.url}/v1/bookings", params=query, headers=headers).json()
            refs |= {b["booking_ref"] for b in page["bookings"]} | {t["booking_ref"] for t in page["tombstones"]}
            since, pages = page["cursor"], pages + 1
            if not page["has_more"]:
                assert since is not None
                return refs, since

    first, cursor = download(None)
    assert first == set(current)
    admin.load([booking(past[ref], ref, office, today - dt.timedelta(days=3), version=2) for ref in list(past)[:3]])
    later, _ = download(cursor)
    assert later == set(list(past)[:3])
