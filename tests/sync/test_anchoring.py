"""The kiosk's side of the anchored audit chain (kiosk/sync/anchoring.py, the upload in
kiosk/sync/upload.py) against the real server on loopback: receipts kept only when they are genuine,
long chains in batches, a server that lost entries, a broken entry that does not hold up the events."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from sqlalchemy import delete, func, select

from kiosk.cli import audit as cli_audit
from kiosk.domain.decide import Presentation
from kiosk.domain.payload import parse_payload
from kiosk.protocol.keys import SigningKey
from kiosk.protocol.wire import sign_receipt
from kiosk.server import anchor
from kiosk.server.db import reading, writing
from kiosk.server.models import AuditEntryRow, KioskRow
from kiosk.store import receipts
from kiosk.store.db import KioskStore
from kiosk.store.schema import AuditReceiptRow
from kiosk.sync import anchoring, state
from tests.server.support import Admin, ServerProcess, enrolled_kiosk, now, sync


def scan(store: KioskStore, text: str = "NOSUCHCODE1") -> None:
    store.decisions.record(Presentation(parse_payload(text)), now())


def kiosk_id_of(store: KioskStore) -> str:
    with store.reading() as connection:
        enrolled = state.enrolment(connection)
    assert enrolled is not None
    return enrolled.kiosk_id


def server_head(admin: Admin, kiosk_id: str) -> int:
    with reading(admin.engine) as connection:
        return anchor.held_head(connection, kiosk_id).seq


def test_a_sync_anchors_the_whole_chain_and_keeps_the_receipt(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    office = admin.office()
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        for _ in range(3):
            scan(store)
        sync(store)
        head = store.audit.head()
        assert server_head(admin, kiosk_id_of(store)) == head.seq
        kept, problems = store.audit.stored_receipts()
        assert problems == [] and kept[0].seq == head.seq and kept[0].hash == head.hash
        in_file = receipts.read_file(store.receipt_path)
        assert isinstance(in_file, receipts.Receipt) and in_file.seq == head.seq
        verified = cli_audit.verify(store)
        assert verified.ok and "every entry is anchored" in verified.lines[2]
        scan(store)
        later = cli_audit.verify(store)
        assert later.ok and later.report.unanchored == 1 and "1 entries not yet anchored" in later.lines[2]


def test_a_long_chain_goes_up_in_batches(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office = admin.office()
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        for _ in range(1200):
            scan(store)
        sync(store)
        assert server_head(admin, kiosk_id_of(store)) == store.audit.head().seq > 1200
        assert cli_audit.verify(store).report.unanchored == 0


def test_a_server_that_lost_entries_gets_them_again_without_an_incident(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    """A server database restored from yesterday's backup: the kiosk's receipt is ahead of it."""
    office = admin.office()
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        for _ in range(20):
            scan(store)
        sync(store)
        kiosk = kiosk_id_of(store)
        with writing(admin.engine) as connection:
            connection.execute(delete(AuditEntryRow).where(AuditEntryRow.kiosk_id == kiosk, AuditEntryRow.seq > 5))
        scan(store)
        result = sync(store)
        assert result.audit_alert == ""
        assert server_head(admin, kiosk) == store.audit.head().seq
        with reading(admin.engine) as connection:
            assert anchor.incidents(connection, kiosk) == []


def test_a_broken_entry_is_reported_and_the_events_still_go_up(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    office = admin.office()
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        scan(store)
        sync(store)
        anchored = store.audit.head().seq
        for _ in range(3):
            scan(store)
        with store.writing() as connection:
            connection.exec_driver_sql(f"UPDATE audit_log SET subject = 'x' WHERE seq = {anchored + 2}")
        result = sync(store)
        # the event whose entry was edited is no longer vouched for: kept, refused, for IT (vouched.py)
        assert (result.uploaded, result.refused) == (2, 1) and store.decisions.outbox_size() == 0
        assert "broken" in result.audit_alert
        kiosk = kiosk_id_of(store)
        with reading(admin.engine) as connection:
            assert [(row.kind, row.seq) for row in anchor.incidents(connection, kiosk)] == [("broken", anchored + 2)]
        assert server_head(admin, kiosk) == anchored + 1


def test_only_a_genuine_receipt_for_this_kiosk_and_chain_is_kept(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    office = admin.office()
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        scan(store)
        sync(store)
        kiosk, head = kiosk_id_of(store), store.audit.head()
        genuine = store.audit.stored_receipts()[0][0]
        kept_before = len(store.audit.stored_receipts()[0])
        stranger = SigningKey.generate(genuine.key_id)  # the same key id, another key
        time = now().isoformat()
        forged = sign_receipt(stranger, kiosk, head.seq, head.hash, time)
        assert not anchoring.accept(store, forged, now())
        with store.reading() as connection:
            ring = state.keyring(connection)
        assert genuine.key_id in ring
        scan(store)
        assert not anchoring.accept(store, forged.model_copy(update={"kiosk_id": "K-OTHER"}), now())
        assert len(store.audit.stored_receipts()[0]) == kept_before

        receipt = dataclasses.replace(genuine, seq=head.seq + 1, server_time=time)  # a signature for another seq
        with store.writing() as connection:
            receipts.keep(connection, receipt, now())
        checked = anchoring.checked_receipts(store)
        assert checked.receipts[0] == genuine and receipt not in checked.receipts
        assert any("does not verify" in problem for problem in checked.problems)
        verified = cli_audit.verify(store)
        assert not verified.ok and any("forged or damaged" in p for p in verified.report.problems)


def test_the_receipt_file_moves_only_forward(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db.audit-receipt"
    newer = receipts.Receipt("K-1", 9, "a" * 64, "2026-12-06T10:00:00+00:00", "k-1", "sig")
    receipts.write_file(path, newer)
    receipts.write_file(path, dataclasses.replace(newer, seq=4))
    assert receipts.read_file(path) == newer
    path.write_text("{not json", encoding="ascii")
    assert "unreadable" in str(receipts.read_file(path))
    receipts.write_file(path, newer)
    assert receipts.read_file(path) == newer


def test_receipts_are_thinned_to_the_newest_and_one_a_day(tmp_path: Path) -> None:
    store = KioskStore.open(tmp_path / "kiosk.db")
    try:
        start = dt.datetime(2026, 1, 1, 8, tzinfo=dt.UTC)
        with store.writing() as connection:
            for seq in range(1, receipts.KEEP_NEWEST + 41):
                day = start + dt.timedelta(hours=seq * 6)  # four a day
                receipt = receipts.Receipt("K-1", seq, "a" * 64, day.isoformat(), "k-1", "sig")
                receipts.keep(connection, receipt, day)
        with store.reading() as connection:
            kept = receipts.stored(connection)
            count = connection.execute(select(func.count()).select_from(AuditReceiptRow)).scalar_one()
        assert count == len(kept) < receipts.KEEP_NEWEST + 40
        assert kept[0].seq == receipts.KEEP_NEWEST + 40
        days = {r.day for r in kept}
        assert len(days) == len(
            {(start + dt.timedelta(hours=s * 6)).date() for s in range(1, receipts.KEEP_NEWEST + 41)}
        )
    finally:
        store.close()


def test_kiosks_listing_shows_anchoring_and_incidents(calm_server: ServerProcess, admin: Admin, tmp_path: Path) -> None:
    office = admin.office()
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        scan(store)
        sync(store)
        kiosk = kiosk_id_of(store)
        from kiosk.server import kiosks

        with reading(admin.engine) as connection:
            (row,) = [r for r in kiosks.listing(connection, office) if r["kiosk_id"] == kiosk]
            assert connection.execute(select(KioskRow.kiosk_id).where(KioskRow.kiosk_id == kiosk)).scalar_one()
        assert row["anchored"] == str(store.audit.head().seq) and row["incidents"] == "0"


def test_an_anchored_entry_rewritten_in_a_long_chain_with_the_receipts_gone_is_a_fork(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    """Review finding 2: with more entries than one upload carries, a kiosk without a receipt must
    still walk up to where the server's copy ends, not stop after the first batch."""
    from tests.e2e import tamper

    office = admin.office()
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        for _ in range(620):
            scan(store)
        sync(store)
        anchored = store.audit.head().seq
        kiosk = kiosk_id_of(store)
        assert server_head(admin, kiosk) == anchored
        tamper.delete_and_recompute(store.path, anchored - 3)
        tamper.drop_receipts(store.path)
        for _ in range(3):
            scan(store)
        result = sync(store)
        assert "fork" in result.audit_alert
        with reading(admin.engine) as connection:
            assert [(r.kind, r.seq) for r in anchor.incidents(connection, kiosk)] == [("fork", anchored - 3)]
        last = tamper.entries(store.path)[-1]
        assert last["kind"] == "audit.server_alert"  # the kiosk noted what it was told (anchored next time)
        assert server_head(admin, kiosk) == last["seq"] - 1


def test_receipts_from_a_key_no_longer_pinned_are_left_out_not_alarms(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    """After the server's keys were rotated and the old one dropped, or an enrolment with another
    server, old receipts cannot be checked: they are left out of `audit verify`, not reported."""
    office = admin.office()
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        scan(store)
        sync(store)
        genuine = store.audit.stored_receipts()[0][0]
        with store.writing() as connection:
            receipts.keep(connection, dataclasses.replace(genuine, key_id="k-gone-0000"), now())
        checked = anchoring.checked_receipts(store)
        assert checked.problems == [] and all(r.key_id != "k-gone-0000" for r in checked.receipts)
        assert cli_audit.verify(store).ok


def test_an_entry_numbered_beyond_the_wire_does_not_stop_the_events(
    calm_server: ServerProcess, admin: Admin, tmp_path: Path
) -> None:
    """Review finding 8: an entry numbered 2**62 + 1 written by hand made every sync fail; the events
    go up, and `audit verify` names the entry."""
    office = admin.office()
    with enrolled_kiosk(tmp_path, calm_server, admin, office) as store:
        scan(store)
        with store.writing() as connection:
            connection.exec_driver_sql(
                "INSERT INTO audit_log (seq, at, kind, subject, digest, prev_hash, hash) "
                f"VALUES ({2**62 + 1}, 'x', 'guard.login', 'guard:1', '{'0' * 64}', '{'0' * 64}', '{'0' * 64}')"
            )
        result = sync(store)
        assert result.uploaded == 1 and store.decisions.outbox_size() == 0
        assert any("can never be anchored" in p for p in cli_audit.verify(store).report.problems)
