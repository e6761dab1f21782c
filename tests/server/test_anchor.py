"""The server's copy of each kiosk's audit chain (kiosk/server/anchor.py), on SQLite and PostgreSQL:
entries taken only when they link, checkpoints when they do not, and every kind of incident with its
evidence kept. Chains are built here with the kiosk's own hash formula."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from kiosk.protocol.keys import Keyring, SigningKey
from kiosk.protocol.schema import AuditHead, WireAuditEntry
from kiosk.protocol.wire import verify_receipt
from kiosk.server import anchor
from kiosk.server.db import writing
from kiosk.server.models import AuditReportRow, KioskRow
from kiosk.store.audit import GENESIS, entry_hash
from tests.server.support import Admin, now

KEY = SigningKey.generate("k-test")
RING = Keyring({"k-test": KEY.public_raw})


@dataclass
class Chain:
    """A kiosk's chain as the kiosk would build it."""

    entries: list[WireAuditEntry]

    @classmethod
    def of(cls, count: int, tag: str = "a", start_at: int = 0) -> Chain:
        chain = cls([])
        chain.extend(count, tag, start_at)
        return chain

    def extend(self, count: int, tag: str = "a", start_at: int = 0) -> Chain:
        for _ in range(count):
            seq = len(self.entries) + 1
            at = (dt.datetime(2026, 12, 6, 8, tzinfo=dt.UTC) + dt.timedelta(seconds=seq + start_at)).isoformat()
            self.append(at, "event.scan", f"{tag}-{seq}", f"{seq:064x}")
        return self

    def append(self, at: str, kind: str, subject: str, digest: str) -> None:
        seq = len(self.entries) + 1
        prev = self.entries[-1].hash if self.entries else GENESIS
        value = entry_hash(seq, at, kind, subject, digest, prev)
        self.entries.append(
            WireAuditEntry(seq=seq, at=at, kind=kind, subject=subject, digest=digest, prev_hash=prev, hash=value)
        )

    def upto(self, seq: int) -> Chain:
        return Chain(self.entries[:seq])

    def head(self) -> AuditHead:
        last = self.entries[-1] if self.entries else None
        return AuditHead(seq=0, hash=GENESIS) if last is None else AuditHead(seq=last.seq, hash=last.hash)

    def part(self, first: int, last: int | None = None) -> list[WireAuditEntry]:
        return self.entries[first - 1 : last]


@pytest.fixture
def kiosk_id(admin: Admin) -> str:
    office = admin.office()
    admin.enrol(office)
    with writing(admin.engine) as connection:
        rows = connection.execute(select(KioskRow.kiosk_id).where(KioskRow.office_code == office)).scalars()
        return str(next(iter(rows)))


def take(admin: Admin, kiosk: str, reported: AuditHead, entries: list[WireAuditEntry]) -> anchor.Outcome:
    with writing(admin.engine) as connection:
        return anchor.take(connection, kiosk, reported, entries, now(), KEY)


def incidents(admin: Admin, kiosk: str) -> list[tuple[str, int]]:
    with writing(admin.engine) as connection:
        return [(row.kind, row.seq) for row in anchor.incidents(connection, kiosk)]


def held(admin: Admin, kiosk: str) -> AuditHead:
    with writing(admin.engine) as connection:
        return anchor.held_head(connection, kiosk)


def test_a_clean_chain_is_taken_and_receipted(admin: Admin, kiosk_id: str) -> None:
    chain = Chain.of(12)
    first = take(admin, kiosk_id, chain.head(), chain.part(1, 5))
    assert first.taken == 5 and first.receipt is not None and first.receipt.seq == 5
    assert verify_receipt(RING, first.receipt)
    assert first.receipt.kiosk_id == kiosk_id and first.receipt.hash == chain.entries[4].hash
    again = take(admin, kiosk_id, chain.head(), chain.part(3, 12))  # overlap: sent again after a lost answer
    assert again.taken == 7 and again.receipt is not None and again.receipt.seq == 12
    assert incidents(admin, kiosk_id) == [] and held(admin, kiosk_id) == chain.head()


def test_a_receipt_names_its_kiosk_and_fails_for_another() -> None:
    chain = Chain.of(1)
    from kiosk.protocol.wire import sign_receipt

    receipt = sign_receipt(KEY, "K-ONE", 1, chain.entries[0].hash, "2026-12-06T08:00:00+00:00")
    assert verify_receipt(RING, receipt)
    assert not verify_receipt(RING, receipt.model_copy(update={"kiosk_id": "K-TWO"}))
    assert not verify_receipt(RING, receipt.model_copy(update={"seq": 2}))
    assert not verify_receipt(Keyring(), receipt)


def test_a_gap_or_a_chain_that_does_not_link_gets_checkpoints(admin: Admin, kiosk_id: str) -> None:
    chain = Chain.of(40)
    take(admin, kiosk_id, chain.head(), chain.part(1, 20))
    gap = take(admin, kiosk_id, chain.head(), chain.part(25, 30))
    assert gap.taken == 0 and gap.receipt is None
    assert [point.seq for point in gap.checkpoints] == [20, 19, 18, 16, 12, 4, 1]
    other = Chain.of(40, tag="b")  # a different history altogether
    unlinked = take(admin, kiosk_id, other.head(), other.part(21, 30))
    assert unlinked.taken == 0 and unlinked.checkpoints
    assert incidents(admin, kiosk_id) == []  # not yet: where the chains part is not known


def test_nothing_held_and_a_start_past_one_asks_for_entry_one(admin: Admin, kiosk_id: str) -> None:
    chain = Chain.of(5)
    outcome = take(admin, kiosk_id, chain.head(), chain.part(3, 5))
    assert [(p.seq, p.hash) for p in outcome.checkpoints] == [(0, GENESIS)]


def test_an_entry_changed_and_recomputed_is_a_rewrite_with_evidence(admin: Admin, kiosk_id: str) -> None:
    chain = Chain.of(10)
    take(admin, kiosk_id, chain.head(), chain.part(1, 10))
    changed = chain.upto(6)
    original = chain.entries[6]
    changed.append(original.at, original.kind, original.subject, "f" * 64)  # entry 7, other digest
    changed.extend(3)
    outcome = take(admin, kiosk_id, changed.head(), changed.part(7, 10))
    assert incidents(admin, kiosk_id) == [("rewrite", 7)]
    assert outcome.receipt is not None and outcome.receipt.hash == changed.head().hash
    with writing(admin.engine) as connection:
        (row,) = anchor.incidents(connection, kiosk_id)
        kept = anchor.superseded(connection, row.id)
    assert [entry.hash for entry in kept] == [entry.hash for entry in chain.part(7, 10)]
    assert "changed after the server received it" in row.detail


def test_a_deleted_entry_and_recomputed_chain_is_a_fork(admin: Admin, kiosk_id: str) -> None:
    chain = Chain.of(10)
    take(admin, kiosk_id, chain.head(), chain.part(1, 10))
    forged = chain.upto(4)
    for entry in chain.part(6, 10):  # entry 5 deleted, the rest renumbered and rehashed
        forged.append(entry.at, entry.kind, entry.subject, entry.digest)
    outcome = take(admin, kiosk_id, forged.head(), forged.part(5, 9))
    assert incidents(admin, kiosk_id) == [("fork", 5)]
    assert held(admin, kiosk_id) == forged.head() and outcome.receipt is not None


def test_an_older_copy_put_back_is_a_rollback_then_a_fork_when_it_goes_on(admin: Admin, kiosk_id: str) -> None:
    chain = Chain.of(10)
    take(admin, kiosk_id, chain.head(), chain.part(1, 10))
    old = chain.upto(6)
    outcome = take(admin, kiosk_id, old.head(), [])
    assert incidents(admin, kiosk_id) == [("rollback", 7)]
    assert outcome.receipt is not None and outcome.receipt.seq == 6
    take(admin, kiosk_id, old.head(), [])  # the same finding again is not a second incident
    assert incidents(admin, kiosk_id) == [("rollback", 7)]
    old.extend(2, tag="again", start_at=100)
    take(admin, kiosk_id, old.head(), old.part(7, 8))
    assert held(admin, kiosk_id) == old.head()


def test_an_older_copy_that_went_on_writing_is_found_through_checkpoints(admin: Admin, kiosk_id: str) -> None:
    chain = Chain.of(30)
    take(admin, kiosk_id, chain.head(), chain.part(1, 30))
    went_on = chain.upto(12).extend(25, tag="after", start_at=1000)  # 37 entries, parted at 13
    first = take(admin, kiosk_id, went_on.head(), went_on.part(31, 37))  # after its (old) receipt 30
    assert first.checkpoints and first.taken == 0
    agreed = [p.seq for p in first.checkpoints if went_on.entries[p.seq - 1].hash == p.hash]
    start = max(agreed) + 1
    second = take(admin, kiosk_id, went_on.head(), went_on.part(start, 37))
    assert incidents(admin, kiosk_id) == [("fork", 13)]
    assert second.receipt is not None and second.receipt.seq == 37


def test_an_entry_edited_without_recomputing_is_broken_and_stops_there(admin: Admin, kiosk_id: str) -> None:
    chain = Chain.of(8)
    edited = chain.entries[4].model_copy(update={"digest": "e" * 64})
    outcome = take(admin, kiosk_id, chain.head(), [*chain.part(1, 4), edited, *chain.part(6, 8)])
    assert outcome.taken == 4 and outcome.receipt is not None and outcome.receipt.seq == 4
    assert incidents(admin, kiosk_id) == [("broken", 5)]


def test_a_head_reported_at_an_online_check_pins_the_place(admin: Admin, kiosk_id: str) -> None:
    chain = Chain.of(10)
    take(admin, kiosk_id, chain.head(), chain.part(1, 5))
    with writing(admin.engine) as connection:
        anchor.pin(connection, kiosk_id, AuditHead(seq=8, hash=chain.entries[7].hash), now())
    rewritten = chain.upto(6)
    for entry in chain.part(8, 10):  # entry 7 deleted before the next sync; 8..10 renumbered
        rewritten.append(entry.at, entry.kind, entry.subject, entry.digest)
    take(admin, kiosk_id, rewritten.head(), rewritten.part(6, 9))
    assert incidents(admin, kiosk_id) == [("rewrite", 8)]


def test_a_pin_agreeing_with_the_entries_is_no_incident(admin: Admin, kiosk_id: str) -> None:
    chain = Chain.of(6)
    with writing(admin.engine) as connection:
        anchor.pin(connection, kiosk_id, AuditHead(seq=4, hash=chain.entries[3].hash), now())
        reports = connection.execute(select(AuditReportRow).where(AuditReportRow.kiosk_id == kiosk_id)).all()
    assert len(reports) == 1
    take(admin, kiosk_id, chain.head(), chain.part(1, 6))
    assert incidents(admin, kiosk_id) == []


def test_summary_lists_anchoring_and_incidents(admin: Admin, kiosk_id: str) -> None:
    chain = Chain.of(5)
    take(admin, kiosk_id, chain.head(), chain.part(1, 5))
    take(admin, kiosk_id, chain.upto(3).head(), [])
    with writing(admin.engine) as connection:
        anchored, count, last = anchor.summary(connection)[kiosk_id]
    assert (anchored, count) == (3, 1) and last.startswith("rollback at entry 4")


def test_a_chain_cut_below_a_head_it_reported_is_a_rollback(admin: Admin, kiosk_id: str) -> None:
    chain = Chain.of(10)
    take(admin, kiosk_id, chain.head(), chain.part(1, 5))
    earlier = now() - dt.timedelta(seconds=anchor.PIN_SETTLE_S + 60)
    with writing(admin.engine) as connection:
        anchor.pin(connection, kiosk_id, AuditHead(seq=9, hash=chain.entries[8].hash), earlier)
        anchor.pin(connection, kiosk_id, AuditHead(seq=10, hash=chain.entries[9].hash), now())  # still settling
    cut = chain.upto(7)  # 8..10 cut off before they reached the server, the head file rewritten
    take(admin, kiosk_id, cut.head(), cut.part(6, 7))
    assert incidents(admin, kiosk_id) == [("rollback", 8)]


def test_a_head_reported_just_now_above_the_upload_is_no_incident(admin: Admin, kiosk_id: str) -> None:
    """A check sent after the sync read its head may reach the server first."""
    chain = Chain.of(6)
    with writing(admin.engine) as connection:
        anchor.pin(connection, kiosk_id, AuditHead(seq=6, hash=chain.entries[5].hash), now())
    take(admin, kiosk_id, chain.upto(5).head(), chain.part(1, 5))
    assert incidents(admin, kiosk_id) == []


def test_after_retention_the_oldest_entries_are_not_compared_and_nothing_breaks(admin: Admin, kiosk_id: str) -> None:
    """Review finding 6: entries purged by retention must not be taken again (a unique violation,
    a 500 and a stalled kiosk); a rewrite of what is still held is still found."""
    from kiosk.server.models import AuditEntryRow

    chain = Chain.of(12)
    take(admin, kiosk_id, chain.head(), chain.part(1, 12))
    with writing(admin.engine) as connection:
        connection.execute(
            AuditEntryRow.__table__.delete().where(AuditEntryRow.kiosk_id == kiosk_id, AuditEntryRow.seq < 9)
        )
    again = take(admin, kiosk_id, chain.head(), chain.part(1, 12))  # a kiosk that lost its receipts
    assert again.taken == 0 and again.receipt is not None and again.receipt.seq == 12
    changed = chain.upto(9)
    original = chain.entries[9]
    changed.append(original.at, original.kind, original.subject, "a" * 64)
    changed.extend(2)
    take(admin, kiosk_id, changed.head(), changed.part(1, 12))
    assert incidents(admin, kiosk_id) == [("rewrite", 10)]
