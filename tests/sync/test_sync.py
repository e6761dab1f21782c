"""The sync client against the real server on loopback: first sync in pages, incremental changes with
tombstones, uploads exactly once, data age and clock offset, resumption after an interruption."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kiosk.domain.decide import Presentation
from kiosk.domain.model import Reason, Verdict
from kiosk.domain.payload import parse_payload
from kiosk.store.schema import AuditRow, BookingRow
from kiosk.sync import state
from kiosk.sync.client import ResponseRefusedError, SyncClient, SyncError, TransientError
from tests.server.support import Admin, ServerProcess, booking, codes, enrolled_kiosk, kiosk_event_uuids, now


def scan(store: object, code: str, at: dt.datetime | None = None) -> str:
    recorded = store.decisions.record(Presentation(parse_payload(code)), at or now())  # type: ignore[attr-defined]
    return str(recorded.event_uuid)


def booking_count(store: object) -> int:
    with store.reading() as connection:  # type: ignore[attr-defined]
        return int(connection.execute(select(func.count()).select_from(BookingRow)).scalar_one())


def test_first_sync_in_pages_then_incremental_with_tombstones(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    office, other = admin.office(), admin.office()
    all_codes, (fresh,) = codes("FS", 120), codes("FN", 1)
    admin.load([booking(code, f"{office}-{i}", office) for i, code in enumerate(all_codes)])
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store, SyncClient(store, timeout_s=5) as client:
        assert store.decisions.decide_only(Presentation(parse_payload(all_codes[0])), now()).reason is Reason.STALE_DATA
        result = client.sync_once()
        assert (result.pages, result.bookings) == (3, 120)  # the server's pages hold 50
        assert booking_count(store) == 120
        status = client.status()
        assert status.data_as_of is not None and now() - status.data_as_of < dt.timedelta(seconds=30)
        assert status.server_offset_s is not None and abs(status.server_offset_s) < 1.0
        assert store.decisions.decide_only(Presentation(parse_payload(all_codes[0])), now()).verdict is Verdict.ADMIT
        assert (
            store.decisions.decide_only(Presentation(parse_payload("UNKNOWN0001")), now()).reason is Reason.UNKNOWN_CODE
        )

        admin.cancel(all_codes[1])
        admin.cancel(all_codes[2], rescheduled=True)
        admin.load(
            [
                booking(all_codes[3], f"{office}-3", other),  # moved to another office
                booking(all_codes[4], f"{office}-4", office, party_size=3),  # changed
                booking(fresh, f"{office}-new", office),  # new
            ]
        )
        result = client.sync_once()
        assert result.pages == 1 and result.bookings == 2 and result.tombstones == 3
        reasons = {
            code: store.decisions.decide_only(Presentation(parse_payload(code)), now()).reason
            for code in (all_codes[1], all_codes[2], all_codes[3], fresh)
        }
        assert reasons == {
            all_codes[1]: Reason.CANCELLED,
            all_codes[2]: Reason.RESCHEDULED,
            all_codes[3]: Reason.UNKNOWN_CODE,
            fresh: Reason.OK,
        }
        with store.reading() as connection:
            cancelled = connection.execute(
                select(BookingRow.display_name, BookingRow.nik_last4).where(BookingRow.booking_ref == f"{office}-1")
            ).one()
        assert tuple(cancelled) == ("", "")  # a tombstone carries nothing personal, and erases it locally
        assert client.sync_once().bookings == 0


def test_events_reach_the_server_exactly_once(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office = admin.office()
    admin.load([booking(code, f"{office}-{i}", office) for i, code in enumerate(codes("EV", 5))])
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store, SyncClient(store, upload_batch=3) as client:
        client.sync_once()
        for code in [*codes("EV", 5), "NOTABOOKING1", "https://x.example"]:
            scan(store, code)
        result = client.sync_once()
        assert result.uploaded == 7
        assert store.decisions.outbox_size() == 0
        assert sorted(admin.event_uuids(office)) == sorted(kiosk_event_uuids(store))
        server_rows = {row.event_uuid: row for row in admin.events(office)}
        for uuid in kiosk_event_uuids(store):
            local = store.decisions.event(uuid)
            assert local is not None
            assert (server_rows[uuid].verdict, server_rows[uuid].reason) == (local["verdict"], local["reason"])
        kiosk_row = admin.kiosk(client.status().kiosk_id)
        # the head goes up before the download, and again after it: its page's own entry is anchored too
        with store.reading() as connection:
            local_hash = connection.execute(select(AuditRow.hash).where(AuditRow.seq == kiosk_row.audit_seq)).scalar()
        assert kiosk_row.audit_seq == store.audit.head().seq and kiosk_row.audit_hash == local_hash
        assert kiosk_row.outbox_pending == 0


def test_interrupted_first_sync_resumes_where_it_stopped(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    office = admin.office()
    all_codes = codes("RS", 230)
    admin.load([booking(code, f"{office}-{i}", office) for i, code in enumerate(all_codes)])
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store, SyncClient(store, timeout_s=5) as client:
        calm_server.faults(rules=[{"kind": "drop", "path": "/v1/bookings", "count": 1, "after": 2}])
        with pytest.raises(TransientError):
            client.sync_once()
        assert booking_count(store) == 100  # two pages of 50 applied with their cursor, the third lost
        status = client.status()
        assert status.data_as_of is None and status.last_error
        # an incomplete first sync is not fresh data: unknown codes still go to the guard
        assert (
            store.decisions.decide_only(Presentation(parse_payload("UNKNOWN0001")), now()).reason is Reason.STALE_DATA
        )
        cursor = status.cursor
        result = client.sync_once()
        assert (result.pages, result.bookings) == (3, 130)  # resumed after page 2, not from the start
        assert booking_count(store) == 230
        assert client.status().cursor != cursor and client.status().data_as_of is not None


def test_not_enrolled_and_unreachable(tmp_path: Path) -> None:
    from kiosk.store.db import KioskStore
    from kiosk.sync.client import NotEnrolledError, enrol

    with KioskStore.open(tmp_path / "k.db") as store:
        with pytest.raises(NotEnrolledError), SyncClient(store) as client:
            client.sync_once()
        with pytest.raises(TransientError):
            enrol(store, "http://127.0.0.1:9", "x" * 20, "G1", timeout_s=0.5)
        assert state.status(store).enrolled is False


def test_bad_enrolment_token_is_refused(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    from kiosk.store.db import KioskStore
    from kiosk.sync.client import enrol

    office = admin.office()
    token = admin.enrol(office)
    with KioskStore.open(tmp_path / "k.db") as store, KioskStore.open(tmp_path / "k2.db") as second:
        enrol(store, calm_server.url, token, "G1")
        with pytest.raises(SyncError, match="refused"):
            enrol(second, calm_server.url, token, "G2")  # one-time
        with pytest.raises(SyncError, match="refused"):
            enrol(second, calm_server.url, "y" * 30, "G2")


def test_refused_page_changes_nothing(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office = admin.office()
    admin.load([booking(code, f"{office}-{i}", office) for i, code in enumerate(codes("RP", 3))])
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store, SyncClient(store) as client:
        calm_server.faults(rules=[{"kind": "bad-signature", "path": "/v1/bookings", "count": 1}])
        with pytest.raises(ResponseRefusedError, match="signature"):
            client.sync_once()
        assert booking_count(store) == 0 and client.status().cursor is None
        client.sync_once()
        assert booking_count(store) == 3


def test_guard_actions_travel_like_scans(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    from kiosk.store import guard_actions

    office = admin.office()
    (code,) = codes("GA", 1)
    admin.load([booking(code, f"{office}-1", office, category="priority")])
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store, SyncClient(store) as client:
        client.sync_once()
        referred = store.decisions.record(Presentation(parse_payload(code)), now())
        assert referred.decision.reason is Reason.NEEDS_OFFICER
        guard = store.guards.add("Pak Joko", "482913", now())
        guard_actions.add_note(store, referred.event_uuid, guard.id, "kursi roda", now())
        guard_actions.override(
            store, referred.event_uuid, guard.id, guard_actions.OverrideReason.PRIORITY_ELDERLY, now()
        )
        assert client.sync_once().uploaded == 3
        rows = {row.kind: row for row in admin.events(office)}
        assert rows["override"].persons == 1 and rows["override"].guard_id == guard.id
        assert rows["note"].note == "kursi roda" and rows["note"].ref_event == referred.event_uuid
        # the override is an entry: another gate asking online is told ALREADY_ADMITTED (at G1 just now:
        # the broker pattern TWO_GATES, kiosk/domain/patterns.py)
        with enrolled_kiosk(tmp_path, calm_server, admin, office, "G2") as other:
            from tests.sync.doorgate import OnlineGate

            with OnlineGate(other) as gate:
                decision = gate.present(code, now()).recorded.decision
                assert (decision.reason, decision.facts["pattern_of"]) == (Reason.TWO_GATES, "ALREADY_ADMITTED")
