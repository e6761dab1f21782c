"""The kiosk's side of the anchored audit chain: which entries to send, and the receipts that come back.

The server holds this kiosk's chain and answers each upload with a signed receipt for its head
(kiosk/server/anchor.py). Here the kiosk decides where the next upload starts (after its newest
receipt, if its chain still holds that entry unchanged; otherwise a little before, so the server sees
the change), follows the server's checkpoints when the chains part, and keeps a receipt only when its
signature verifies with a key the kiosk pinned, names this kiosk, and matches the chain.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from kiosk.protocol.schema import MAX_AUDIT_ENTRIES_PER_BATCH, AuditHead, AuditReceipt, EventBatchResult, WireAuditEntry
from kiosk.protocol.wire import verify_receipt
from kiosk.store import audit, receipts
from kiosk.store.db import KioskStore
from kiosk.store.schema import AuditRow
from kiosk.sync import state

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Checked:
    """The receipts whose signatures verify (newest first) and what is wrong with the others."""

    receipts: list[receipts.Receipt]
    problems: list[str]


def checked_receipts(store: KioskStore) -> Checked:
    """The kept receipts (table and file), with their signatures checked against the pinned keys.

    A receipt signed with a key this kiosk no longer pins (the server's keys were rotated and the old
    one retired, or the kiosk was enrolled with another server) cannot be checked and is left out; a
    receipt with a pinned key and a bad signature is a problem (forged or damaged). A receipt made for
    this database under an earlier enrolment (another kiosk id) still says what the chain held."""
    with store.reading() as connection:
        ring = state.keyring(connection)
    kept, problems = store.audit.stored_receipts()
    good: list[receipts.Receipt] = []
    for receipt in kept:
        wire = _wire(receipt)
        if wire is not None and wire.key_id not in ring:
            continue
        if wire is None or not verify_receipt(ring, wire):
            problems.append(
                f"the receipt for entry {receipt.seq} of {receipt.server_time[:16]}Z does not verify with the "
                "server's keys: it was forged or damaged"
            )
        else:
            good.append(receipt)
    return Checked(good, problems)


def start(store: KioskStore) -> int | None:
    """Where the first upload's entries begin: at the newest receipt's own entry when the chain still
    holds it unchanged (sent again, so that the server sees the next one link to it, or not: a gap
    right after it shows). None when there is no such receipt: the first upload then sends no entries
    and learns from the server's receipt where its copy ends (Walk.after)."""
    newest = _newest_checked(store)
    if newest is None or store.audit.hashes([newest.seq]).get(newest.seq) != newest.hash:
        return None
    return newest.seq


def _newest_checked(store: KioskStore) -> receipts.Receipt | None:
    """The newest kept receipt whose signature verifies (checking stops there: one per sync)."""
    with store.reading() as connection:
        ring = state.keyring(connection)
    for receipt in store.audit.stored_receipts()[0]:
        wire = _wire(receipt)
        if wire is not None and verify_receipt(ring, wire):
            return receipt
    return None


def reportable_head(store: KioskStore) -> AuditHead:
    """The chain's head as the wire can carry it: an entry numbered beyond the wire's range (written by
    hand; `audit verify` names it) must not stop the events from going up, so the newest entry within
    range stands for the head then."""
    head = store.audit.head()
    if head.seq <= audit.MAX_SEQ:
        return AuditHead(seq=head.seq, hash=head.hash)
    log.error("audit entry %d is beyond what can be sent (written by hand?); run kiosk audit verify", head.seq)
    with store.reading() as connection:
        row = connection.execute(
            select(AuditRow.seq, AuditRow.hash)
            .where(AuditRow.seq <= audit.MAX_SEQ)
            .order_by(AuditRow.seq.desc())
            .limit(1)
        ).first()
    return AuditHead(seq=0, hash=audit.GENESIS) if row is None else AuditHead(seq=row.seq, hash=row.hash)


def start_from_checkpoints(store: KioskStore, checkpoints: list[AuditHead]) -> int:
    """At the newest of the server's checkpoints that this chain agrees with (entry 1 when none)."""
    mine = store.audit.hashes([point.seq for point in checkpoints if point.seq >= 1])
    agreed = [point.seq for point in checkpoints if point.seq >= 1 and mine.get(point.seq) == point.hash]
    return max(agreed, default=1)


def entries(store: KioskStore, first: int, until: int, limit: int) -> list[WireAuditEntry]:
    """Entries first..until for the upload. An entry the wire cannot carry as it is (a hand edit put a
    control character or an over-long text into it) goes as a stand-in whose fields fit, so the server
    finds it broken and records that; nothing after it is sent (the server would not take it)."""
    wired: list[WireAuditEntry] = []
    for row in store.audit.entries(first, until, limit):
        try:
            wired.append(WireAuditEntry.model_validate(row))
        except ValueError:
            log.error("audit entry %s cannot be sent as it is (edited by hand?); run kiosk audit verify", row["seq"])
            stand_in = _stand_in(row)
            if stand_in is not None:
                wired.append(stand_in)
            break
    return wired


def _stand_in(row: dict[str, Any]) -> WireAuditEntry | None:
    """The entry with each field made to fit the wire: its hash no longer matches, which is the point."""

    def text(value: object, limit: int) -> str:
        return "".join(ch if ch.isprintable() else "?" for ch in str(value))[:limit]

    def hex64(value: object) -> str:
        value = str(value)
        return value if len(value) == 64 and all(ch in "0123456789abcdef" for ch in value) else "0" * 64

    kind = str(row["kind"])
    try:
        return WireAuditEntry(
            seq=row["seq"],
            at=text(row["at"], 40),
            kind=kind if re.fullmatch(r"[a-z][a-z_.]{0,31}", kind) else "unsendable",
            subject=text(row["subject"], 128),
            digest=hex64(row["digest"]),
            prev_hash=hex64(row["prev_hash"]),
            hash=hex64(row["hash"]),
        )
    except ValueError:  # a seq no wire can carry: audit verify names it
        return None


def accept(store: KioskStore, answer: AuditReceipt, now: dt.datetime) -> bool:
    """Keep a receipt that verifies, is for this kiosk and matches this chain. False (logged) otherwise."""
    with store.reading() as connection:
        ring = state.keyring(connection)
        enrolled = state.enrolment(connection)
    if enrolled is None or answer.kiosk_id != enrolled.kiosk_id:
        log.error("the server sent an audit receipt for another kiosk (%s): not kept", answer.kiosk_id[:64])
        return False
    if not verify_receipt(ring, answer):
        log.error("the server's audit receipt for entry %d does not verify: not kept", answer.seq)
        return False
    if store.audit.hashes([answer.seq]).get(answer.seq) != answer.hash:
        log.error("the server's audit receipt for entry %d does not match this chain: not kept", answer.seq)
        return False
    store.audit.keep_receipt(receipts.Receipt.of(answer.model_dump()), now)
    return True


def _wire(receipt: receipts.Receipt) -> AuditReceipt | None:
    try:
        return AuditReceipt(
            kiosk_id=receipt.kiosk_id,
            seq=receipt.seq,
            hash=receipt.hash,
            server_time=receipt.server_time,
            key_id=receipt.key_id,
            signature=receipt.signature,
        )
    except ValueError:
        return None


@dataclass
class Walk:
    """Where each upload's audit entries begin, round after round, until the server holds this chain
    up to its head (or the server found it broken, which it records). One per upload."""

    store: KioskStore
    #: The first entry to send next; None: send none, to learn where the server's copy ends.
    start: int | None
    done: bool = False
    tried: set[int | None] = field(default_factory=set)

    @classmethod
    def begin(cls, store: KioskStore) -> Walk:
        first = start(store)
        return cls(store, first, tried={first})

    def entries(self, head_seq: int) -> list[WireAuditEntry]:
        if self.done or self.start is None:
            return []
        return entries(self.store, self.start, head_seq, MAX_AUDIT_ENTRIES_PER_BATCH)

    def after(self, answer: EventBatchResult, sent: list[WireAuditEntry], head_seq: int, now: dt.datetime) -> None:
        """Move on from the server's answer to the entries `sent` (the chain's head was `head_seq`)."""
        if answer.checkpoints:
            again = start_from_checkpoints(self.store, answer.checkpoints)
            log.warning("the server's copy of the audit chain differs; sending again from entry %d", again)
            self._go(again)
            return
        receipt = answer.receipt
        if receipt is None:  # the server holds nothing of this chain (or took nothing: it says why)
            if sent:
                self._stop()
            else:
                self._go(1)
            return
        if accept(self.store, receipt, now):
            if receipt.seq >= head_seq or (sent and receipt.seq < sent[-1].seq):
                self._stop()  # all anchored, or the server stopped at a broken entry (and recorded it)
            else:
                self._go(receipt.seq)
            return
        # the receipt names a place where this chain differs, or one it does not reach
        target = min(receipt.seq, head_seq)
        self._go(sent[-1].seq if sent and sent[-1].seq < target else max(target, 1))

    def _go(self, first: int) -> None:
        if first in self.tried:  # no way forward: the server has recorded what it found
            self._stop()
            return
        self.tried.add(first)
        self.start = first

    def _stop(self) -> None:
        self.done = True
