"""The dashboard's hourly counts (kiosk/server/summaries.py) stay equal to a count of the events
themselves: through uploads (new, duplicate, conflicting, refused), the online check, the kiosk's own
record replacing an online one, and concurrent uploads to several server workers (PostgreSQL); and a
database from before them gets its indexes and counts at the server's start."""

from __future__ import annotations

import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import bindparam, delete, func, select, text

from kiosk.server import summaries, summary_reads
from kiosk.server.app import create_app
from kiosk.server.db import reading, writing
from kiosk.server.models import EventHourlyRow, EventRow, KioskEventCountRow, MetaRow
from tests.browser.support import ServerUnderTest
from tests.server.support import Admin, ServerProcess, booking, codes, fresh_database, now, postgres_dsn
from tests.server.test_api import auth, enrol, event

HEAD = {"seq": 0, "hash": "0" * 64}


def held_counts(
    admin: Admin, office: str
) -> tuple[dict[tuple[Any, ...], tuple[int, int]], dict[tuple[Any, ...], tuple[int, int]]]:
    """(what event_hourly says, what counting the events says) for one office; zero rows left out."""
    with reading(admin.engine) as connection:
        h = EventHourlyRow
        kept = {
            tuple(row[:8]): (int(row[8]), int(row[9]))
            for row in connection.execute(
                select(
                    h.office_code,
                    h.hour,
                    h.gate,
                    h.kiosk_id,
                    h.kind,
                    h.verdict,
                    h.reason,
                    h.guard_id,
                    h.events,
                    h.persons,
                ).where(h.office_code == office)
            ).all()
            if row[8] != 0 or row[9] != 0
        }
        hour = func.substr(EventRow.occurred_at, 1, 13)
        guard = func.coalesce(EventRow.guard_id, 0)
        columns = (EventRow.office_code, hour, EventRow.gate, EventRow.kiosk_id, EventRow.kind, EventRow.verdict,
                   EventRow.reason, guard)  # fmt: skip
        counted = {
            tuple(row[:8]): (int(row[8]), int(row[9]))
            for row in connection.execute(
                select(*columns, func.count(), func.sum(EventRow.persons))
                .where(EventRow.office_code == office)
                .group_by(*columns)
            ).all()
        }
    return kept, counted


def per_kiosk(admin: Admin, kiosk_id: str) -> tuple[int, int]:
    with reading(admin.engine) as connection:
        kept = connection.execute(
            select(KioskEventCountRow.events).where(KioskEventCountRow.kiosk_id == kiosk_id)
        ).scalar()
        counted = connection.execute(select(func.count()).where(EventRow.kiosk_id == kiosk_id)).scalar()
    return int(kept or 0), int(counted or 0)


def upload(server: ServerProcess, enrolled: Any, *events: dict[str, Any]) -> list[str]:
    body = {"events": list(events), "audit_head": HEAD}
    response = httpx.post(f"{server.url}/v1/events", json=body, headers=auth(enrolled), timeout=30)
    assert response.status_code == 200, response.text
    return [result["status"] for result in response.json()["results"]]


def test_counts_follow_uploads_checks_and_replacements(calm_server: ServerProcess, admin: Admin) -> None:
    office = admin.office()
    (code,) = codes("SU", 1)
    admin.load([booking(code, f"{office}-{code}", office, party_size=2)])
    enrolled = enrol(calm_server, admin, office)
    kiosk = enrolled.kiosk_id
    earlier = (now() - dt.timedelta(hours=3)).isoformat()
    scans = [
        event(office, kiosk),
        event(office, kiosk, verdict="ADMIT", reason="OK", persons=2, occurred_at=earlier),
        event(office, kiosk, verdict="REFER", reason="NEEDS_OFFICER", gate="G2"),
    ]
    action = event(office, kiosk, kind="override", verdict="ADMIT", reason="ID_CHECKED", persons=1, guard_id=3,
                   ref_event=scans[2]["event_uuid"], note="KTP dicocokkan")  # fmt: skip
    assert upload(calm_server, enrolled, *scans, action) == ["stored"] * 4
    assert upload(calm_server, enrolled, scans[0], {**scans[1], "reason": "FORGED"}) == ["duplicate", "conflict"]
    # the online check records its decision at once; the kiosk's own record of that scan replaces it
    check_id = str(uuid.uuid4())
    response = httpx.post(
        f"{calm_server.url}/v1/check",
        json={"event_uuid": check_id, "payload": code, "gate": "G1", "occurred_at": now().isoformat()},
        headers=auth(enrolled),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    kept, counted = held_counts(admin, office)
    assert kept == counted and sum(n for n, _ in kept.values()) == 5
    own = event(office, kiosk, event_uuid=check_id, verdict="REFER", reason="MULTIPLE_CODES", persons=0)
    assert upload(calm_server, enrolled, own) == ["stored"]
    kept, counted = held_counts(admin, office)
    assert kept == counted
    verdicts = {(key[4], key[5], key[6]): value for key, value in kept.items() if key[4] == "scan"}
    assert verdicts[("scan", "REFER", "MULTIPLE_CODES")] == (1, 0)
    assert ("scan", "ADMIT", "OK") in verdicts  # the upload of earlier, still there
    assert per_kiosk(admin, kiosk) == (5, 5)
    # what the pages read of it
    with reading(admin.engine) as connection:
        first, end = summary_reads.day_hours(now().astimezone(dt.UTC).date(), "Asia/Jakarta")
        start, stop = summary_reads.day_times(now().astimezone(dt.UTC).date(), "Asia/Jakarta")
        wide = ("2000-01-01T00", "2100-01-01T00")
        assert {(r.verdict, r.reason) for r in summary_reads.by_reason(connection, office, *wide)} >= {
            ("DENY", "UNKNOWN_CODE"),
            ("REFER", "MULTIPLE_CODES"),
        }
        assert [a.reason for a in summary_reads.actions(connection, office, "2000", "2100")] == ["ID_CHECKED"]
        assert [r.event_uuid for r in summary_reads.open_refers(connection, office, "2000", "2100")] == [check_id]
        assert summary_reads.anchored(connection, office) == {kiosk: 0}
        assert summary_reads.anchored_at(connection, [kiosk]) == {}
        assert first < end and start < stop


@pytest.mark.postgres
def test_several_workers_count_the_same(tmp_path: Path) -> None:
    """Four kiosks upload at once to a server of three worker processes: every hourly count still
    equals a count of the events (the upsert adds in the database, not in one process's memory)."""
    postgres_dsn()
    with fresh_database("postgres", tmp_path) as url:
        admin = Admin(url)
        server = ServerUnderTest(url, tmp_path / "server.log", workers=3).start()
        try:
            office = admin.office()
            kiosks = [enrol(server, admin, office, f"G{n}") for n in range(1, 5)]
            hour = now().replace(minute=0, second=0, microsecond=0)

            def send(enrolled: Any) -> None:
                for batch in range(6):
                    events = [
                        event(
                            office,
                            enrolled.kiosk_id,
                            gate="G1",
                            occurred_at=(hour + dt.timedelta(seconds=i)).isoformat(),
                            verdict=("ADMIT", "DENY", "REFER")[i % 3],
                            reason=("OK", "UNKNOWN_CODE", "NEEDS_OFFICER")[i % 3],
                            persons=1 if i % 3 == 0 else 0,
                        )
                        for i in range(batch * 20, batch * 20 + 20)
                    ]
                    assert upload(server, enrolled, *events) == ["stored"] * 20

            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(send, kiosks))
            kept, counted = held_counts(admin, office)
            assert kept == counted
            assert sum(n for n, _ in kept.values()) == 4 * 6 * 20
        finally:
            server.stop()
            admin.close()


def test_an_older_database_gets_indexes_and_counts(backend: str, tmp_path: Path) -> None:
    """A database whose events came before the summaries: the server's start builds both, once."""
    with fresh_database(backend, tmp_path) as url:
        admin = Admin(url)
        try:
            office = admin.office()
            server = ServerProcess(url, tmp_path / "server.log").start()
            try:
                enrolled = enrol(server, admin, office)
                assert upload(server, enrolled, *[event(office, enrolled.kiosk_id) for _ in range(3)]) == ["stored"] * 3
            finally:
                server.stop()
            with writing(admin.engine) as connection:  # as before this version: no counts, no indexes
                connection.execute(delete(EventHourlyRow))
                connection.execute(delete(KioskEventCountRow))
                connection.execute(delete(MetaRow).where(MetaRow.key == summaries.FILLED_KEY))
                for name in summaries.DASHBOARD_INDEXES:
                    connection.execute(text(f"DROP INDEX {name}"))
            create_app(engine=admin.engine)
            create_app(engine=admin.engine)  # a second start (or worker) does nothing again
            kept, counted = held_counts(admin, office)
            assert kept == counted and sum(n for n, _ in kept.values()) == 3
            assert per_kiosk(admin, enrolled.kiosk_id) == (3, 3)
            with reading(admin.engine) as connection:
                if backend == "postgres":
                    names = set(
                        connection.execute(
                            text("SELECT indexname FROM pg_indexes WHERE tablename IN ('events', 'event_hourly')")
                        ).scalars()
                    )
                else:
                    names = set(
                        connection.execute(
                            text("SELECT name FROM sqlite_master WHERE tbl_name IN ('events', 'event_hourly')")
                        ).scalars()
                    )
            assert set(summaries.DASHBOARD_INDEXES) <= names
        finally:
            admin.close()


def test_retention_takes_purged_events_out_of_the_counts(calm_server: ServerProcess, admin: Admin) -> None:
    from kiosk.server import retention

    office = admin.office()
    enrolled = enrol(calm_server, admin, office)
    old = now() - dt.timedelta(days=430)
    aged = [event(office, enrolled.kiosk_id, occurred_at=(old + dt.timedelta(minutes=i)).isoformat()) for i in range(4)]
    fresh = [event(office, enrolled.kiosk_id) for _ in range(2)]
    assert upload(calm_server, enrolled, *aged, *fresh) == ["stored"] * 6
    with writing(admin.engine) as connection:  # received long ago, as they were
        connection.execute(
            text("UPDATE events SET received_at = occurred_at WHERE event_uuid IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": [e["event_uuid"] for e in aged]},
        )
    retention.purge(admin.engine, now())
    kept, counted = held_counts(admin, office)
    assert kept == counted and sum(n for n, _ in kept.values()) == 2
    assert per_kiosk(admin, enrolled.kiosk_id) == (2, 2)
    with reading(admin.engine) as connection:  # the emptied hours are gone, not kept at zero
        old_hours = connection.execute(
            select(func.count()).where(
                EventHourlyRow.office_code == office,
                EventHourlyRow.hour < summaries.hour_of((old + dt.timedelta(days=1)).isoformat()),
            )
        ).scalar()
    assert old_hours == 0
