"""Outbox rows refused for good, against the real server on loopback: a row that can never be sent and a
row the server refuses (`conflict`) are marked, kept for the IT person, audited once and never sent
again; `kiosk sync now` counts them, `kiosk sync status` lists them; a transient failure is no refusal;
and an outbox row an older kiosk left too long uploads once migration 0004 has bounded it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, update

from kiosk.cli import sync as cli_sync
from kiosk.domain.decide import Presentation
from kiosk.domain.payload import parse_payload
from kiosk.server.db import writing
from kiosk.server.models import EventRow
from kiosk.store.db import KioskStore
from kiosk.store.schema import AuditRow, OutboxRow
from kiosk.store.status import store_status
from kiosk.store.times import to_text
from kiosk.sync.client import SyncClient, TransientError, enrol
from tests.server.support import Admin, ServerProcess, enrolled_kiosk, now
from tests.store.legacy import LONG_UUID, SHORT_UUID, build_0003_with_a_long_masked_code

BAD_UUID = "0b5d4c1e-0000-4f00-8000-00000000ba02"


def scan(store: KioskStore, code: str) -> str:
    return store.decisions.record(Presentation(parse_payload(code)), now()).event_uuid


def body_of(store: KioskStore, uuid: str) -> dict[str, object]:
    with store.reading() as connection:
        text = connection.execute(select(OutboxRow.body).where(OutboxRow.event_uuid == uuid)).scalar_one()
    data: dict[str, object] = json.loads(text)
    return data


def put_outbox(store: KioskStore, uuid: str, body: dict[str, object]) -> None:
    with store.writing() as connection:
        connection.execute(
            OutboxRow.__table__.insert().values(
                event_uuid=uuid, body=json.dumps(body, sort_keys=True), created_at=to_text(now()), attempts=0
            )
        )


def row(store: KioskStore, uuid: str) -> tuple[object, ...] | None:
    with store.reading() as connection:
        found = connection.execute(
            select(OutboxRow.refused_at, OutboxRow.refused_reason, OutboxRow.attempts).where(
                OutboxRow.event_uuid == uuid
            )
        ).first()
    return None if found is None else tuple(found)


def refusal_entries(store: KioskStore) -> list[str]:
    with store.reading() as connection:
        return list(connection.execute(select(AuditRow.subject).where(AuditRow.kind == "sync.refused")).scalars())


def test_a_row_that_can_never_be_sent_is_refused_once_and_never_retried(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    office = admin.office()
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        first = scan(store, "NOTABOOKING1")
        put_outbox(store, BAD_UUID, {**body_of(store, first), "event_uuid": BAD_UUID, "code_masked": "KS" + "*" * 158})
        second = scan(store, "NOTABOOKING2")  # recorded after the bad row: not held up by it
        with SyncClient(store, upload_batch=2) as client:
            result = client.sync_once()
            assert (result.uploaded, result.refused, result.unsendable) == (2, 1, 1)
            assert sorted(admin.event_uuids(office)) == sorted([first, second])
            refused_at, reason, attempts = row(store, BAD_UUID) or ()
            assert refused_at is not None and attempts == 0
            assert reason == "cannot be sent: code_masked: String should have at most 40 characters"
            assert (store.decisions.outbox_size(), store.decisions.refused_uploads()) == (0, 1)
            assert store_status(store, now()).refused_uploads == 1
            again = client.sync_once()
            assert (again.uploaded, again.refused, again.unsendable) == (0, 0, 0)
            assert row(store, BAD_UUID) == (refused_at, reason, 0)  # not tried again
            assert client.status().outbox_pending == 0 and client.status().outbox_refused == 1
        assert refusal_entries(store) == [BAD_UUID]
        assert store.audit.verify().ok
        path = store.path
    assert cli_sync.main(["status", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "  outbox_refused: 1" in out
    assert "refused uploads: 1, kept for the office's IT person" in out
    listed = [line for line in out.splitlines() if line.startswith(f"  {BAD_UUID}")]
    assert len(listed) == 1
    assert f"refused {refused_at}  cannot be sent: code_masked" in listed[0] and "  recorded 20" in listed[0]


def test_the_servers_conflict_is_refused_kept_and_counted_by_sync_now(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The server keeps the first body it got under a uuid; another body under it is refused for good."""
    office = admin.office()
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        uuid = scan(store, "NOTABOOKING3")
        first = body_of(store, uuid)
        with SyncClient(store) as client:
            assert client.sync_once().uploaded == 1
        # the server holds another body under this uuid (its copy changed, or another kiosk's record),
        # and the kiosk sends its own again (e.g. a database restored from before the upload); a copy
        # changed on the kiosk is never sent at all (tests/e2e/test_tamper.py)
        with writing(admin.engine) as connection:
            connection.execute(
                update(EventRow).where(EventRow.event_uuid == uuid).values(reason="FORGED", body_hash="f" * 64)
            )
        put_outbox(store, uuid, first)
        path = store.path
    assert cli_sync.main(["now", "--db", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("uploaded 0 event(s), 1 refused; ")
    assert lines[1] == "1 event(s) refused for good, kept for IT: see `kiosk sync status`"
    with KioskStore.open(path) as store:
        refused_at, reason, _ = row(store, uuid) or ()
        assert refused_at is not None and str(reason).startswith("refused by the server (conflict)")
        assert [r.reason for r in admin.events(office)] == ["FORGED"]  # the server kept what it had
        with SyncClient(store) as client:
            assert client.sync_once().refused == 0  # never sent again
        assert refusal_entries(store) == [uuid]
        assert store.audit.verify().ok


def test_a_transient_failure_is_not_a_refusal(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office = admin.office()
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store, SyncClient(store) as client:
        uuid = scan(store, "NOTABOOKING4")
        for kind in ("503", "429", "drop"):
            calm_server.faults(rules=[{"kind": kind, "path": "/v1/events", "count": 1}])
            with pytest.raises(TransientError):
                client.sync_once()
            assert (store.decisions.outbox_size(), store.decisions.refused_uploads()) == (1, 0), kind
        refused_at, _, attempts = row(store, uuid) or ()
        assert (refused_at, attempts) == (None, 3)
        result = client.sync_once()
        assert (result.uploaded, result.refused) == (1, 0)
        assert admin.event_uuids(office) == [uuid]
        assert refusal_entries(store) == []


def test_a_too_long_row_of_an_older_kiosk_uploads_after_migration_0004(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    old = build_0003_with_a_long_masked_code(tmp_path / "old.db")
    office = admin.office()
    with KioskStore.open(tmp_path / "old.db") as store:  # upgraded to 0004 here
        enrol(store, calm_server.url, admin.enrol(office), "G1")
        with SyncClient(store) as client:
            result = client.sync_once()
        assert (result.uploaded, result.refused) == (2, 0)
        assert (store.decisions.outbox_size(), store.decisions.refused_uploads()) == (0, 0)
    stored = {event.event_uuid: event for event in admin.events(office)}
    assert set(stored) == {LONG_UUID, SHORT_UUID}
    assert stored[LONG_UUID].code_masked == f"KS****..**67/160#{old.code_hash.hex()[:8]}"
