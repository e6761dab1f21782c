"""Each kiosk's audit chain, anchored at the server: continuity checks, incidents and signed receipts.

A kiosk uploads its audit entries with every sync (kiosk/sync/upload.py). The server holds them as one
consecutive chain per kiosk and checks every arrival against it:

* each entry's hash must match its contents and link to the entry before it ("broken" otherwise:
  nothing from there on is taken, and the kiosk's own `audit verify` fails too);
* an entry the server holds already must arrive unchanged. Where the kiosk's chain parts from the
  server's copy, the server keeps its copy from there on as evidence under an incident: a **rewrite**
  when the entry at that place has the same time and kind (its content was changed and the chain
  recomputed), a **fork** otherwise (entries deleted or inserted and recomputed, or an old copy of
  the database that went on writing);
* a kiosk whose head is below what the server holds, and agrees with it up to there, was **rolled
  back** (an older copy of its database put back);
* an entry that arrives for a place where the kiosk had earlier reported a head (at a sync or an online
  check) must have that head's hash (a **rewrite** between two syncs).

After an incident the server goes on anchoring the kiosk's chain as it is now: the evidence stays, and
new decisions are still anchored. When the first entry of an upload does not link to what the server
holds, the answer carries checkpoints (the server's hashes at its head and at exponentially older
places); the kiosk sends again from after the newest one its chain agrees with, so the place where the
chains part is found exactly in one more round.

Every answer carries a receipt for the server's head of the kiosk's chain, signed with the server's
Ed25519 key; the kiosk keeps it and `kiosk audit verify` checks its chain against it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from kiosk.protocol.keys import SigningKey
from kiosk.protocol.schema import AuditHead, AuditReceipt, WireAuditEntry
from kiosk.protocol.wire import sign_receipt
from kiosk.server.db import is_postgres, utc_text
from kiosk.server.models import AuditEntryRow, AuditIncidentRow, AuditReportRow, AuditSupersededRow, KioskRow

GENESIS = "0" * 64
ROLLBACK, REWRITE, FORK, BROKEN = "rollback", "rewrite", "fork", "broken"
#: A head reported this long ago or more must not be above the kiosk's head now (_check_cut_off).
PIN_SETTLE_S = 120
_ENTRY_FIELDS = ("seq", "at", "kind", "subject", "digest", "prev_hash", "hash")


@dataclass(slots=True)
class Outcome:
    """What one upload did to the kiosk's anchored chain."""

    taken: int = 0
    incidents: list[str] = field(default_factory=list)
    checkpoints: list[AuditHead] = field(default_factory=list)
    receipt: AuditReceipt | None = None


def entry_hash(seq: int, at: str, kind: str, subject: str, digest: str, prev_hash: str) -> str:
    """The kiosk's formula (kiosk/store/audit.py), restated here: the server and the kiosk are
    independent packages, and the server must not trust the kiosk's arithmetic."""
    material = f"{seq}|{at}|{kind}|{subject}|{digest}|{prev_hash}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


# --- reading ----------------------------------------------------------------------------------------


def held_head(connection: Connection, kiosk_id: str) -> AuditHead:
    """The newest entry the server holds of the kiosk's chain ((0, GENESIS) before the first)."""
    row = connection.execute(
        select(AuditEntryRow.seq, AuditEntryRow.hash)
        .where(AuditEntryRow.kiosk_id == kiosk_id)
        .order_by(AuditEntryRow.seq.desc())
        .limit(1)
    ).first()
    return AuditHead(seq=0, hash=GENESIS) if row is None else AuditHead(seq=row.seq, hash=row.hash)


def held_hashes(connection: Connection, kiosk_id: str, seqs: Sequence[int]) -> dict[int, str]:
    if not seqs:
        return {}
    rows = connection.execute(
        select(AuditEntryRow.seq, AuditEntryRow.hash).where(
            AuditEntryRow.kiosk_id == kiosk_id, AuditEntryRow.seq.in_(list(seqs))
        )
    )
    return {row.seq: row.hash for row in rows}


def checkpoints(connection: Connection, kiosk_id: str, head: AuditHead) -> list[AuditHead]:
    """The server's hashes at its head and 1, 2, 4, 8 ... entries below it, down to entry 1."""
    if head.seq < 1:
        return []
    places: list[int] = [head.seq]
    step = 1
    while head.seq - step >= 1:
        places.append(head.seq - step)
        step *= 2
    if places[-1] != 1:
        places.append(1)
    held = held_hashes(connection, kiosk_id, places)
    return [AuditHead(seq=seq, hash=held[seq]) for seq in places if seq in held]


def incidents(connection: Connection, kiosk_id: str | None = None) -> list[Any]:
    statement = select(AuditIncidentRow).order_by(AuditIncidentRow.id)
    if kiosk_id is not None:
        statement = statement.where(AuditIncidentRow.kiosk_id == kiosk_id)
    return list(connection.execute(statement).all())


def superseded(connection: Connection, incident_id: int) -> list[Any]:
    return list(
        connection.execute(
            select(AuditSupersededRow)
            .where(AuditSupersededRow.incident_id == incident_id)
            .order_by(AuditSupersededRow.seq)
        ).all()
    )


def summary(connection: Connection) -> dict[str, tuple[int, int, str]]:
    """Per kiosk: (anchored up to, incidents, the newest incident in a few words)."""
    # per kiosk one probe of the primary key's newest entry: a GROUP BY over every entry held reads them
    # all (a year of a country's kiosks: 30 million, 20 s; docs/dashboard-scale.md)
    newest = select(func.max(AuditEntryRow.seq)).where(AuditEntryRow.kiosk_id == KioskRow.kiosk_id).scalar_subquery()
    anchored = {kiosk: seq for kiosk, seq in connection.execute(select(KioskRow.kiosk_id, newest)).all() if seq}
    counts: dict[str, tuple[int, str]] = {}
    for row in incidents(connection):
        number, _ = counts.get(row.kiosk_id, (0, ""))
        counts[row.kiosk_id] = (number + 1, f"{row.kind} at entry {row.seq} ({row.detected_at[:16]}Z)")
    kiosks = set(anchored) | set(counts)
    return {
        kiosk: (int(anchored.get(kiosk) or 0), counts.get(kiosk, (0, ""))[0], counts.get(kiosk, (0, ""))[1])
        for kiosk in kiosks
    }


# --- heads and uploads -------------------------------------------------------------------------------


def pin(connection: Connection, kiosk_id: str, head: AuditHead, now: dt.datetime) -> None:
    """Note a head the kiosk reported with an online check: the entries that later fill its place must
    have its hash (_check_claims), so a rewrite between two syncs shows."""
    connection.execute(
        insert(AuditReportRow).values(kiosk_id=kiosk_id, seq=head.seq, hash=head.hash, reported_at=utc_text(now))
    )


# --- taking an upload -------------------------------------------------------------------------------


def take(
    connection: Connection,
    kiosk_id: str,
    reported: AuditHead,
    entries: Sequence[WireAuditEntry],
    now: dt.datetime,
    signer: SigningKey,
) -> Outcome:
    """Check and keep the entries of one upload in the caller's transaction; note incidents; sign a
    receipt for what the server holds afterwards."""
    _lock_kiosk(connection, kiosk_id)
    outcome = Outcome()
    usable = _self_consistent(connection, kiosk_id, reported, entries, now, outcome)
    if usable:
        _merge(connection, kiosk_id, reported, usable, now, outcome)
    _check_rollback(connection, kiosk_id, reported, now, outcome)
    _check_cut_off(connection, kiosk_id, reported, now, outcome)
    head = held_head(connection, kiosk_id)
    if head.seq >= 1 and not outcome.checkpoints:
        outcome.receipt = sign_receipt(signer, kiosk_id, head.seq, head.hash, utc_text(now))
    return outcome


def _lock_kiosk(connection: Connection, kiosk_id: str) -> None:
    """Two uploads of one kiosk (two server instances) must not merge at once. SQLite is serialised."""
    if is_postgres(connection):
        connection.execute(select(KioskRow.kiosk_id).where(KioskRow.kiosk_id == kiosk_id).with_for_update())


def _self_consistent(
    connection: Connection,
    kiosk_id: str,
    reported: AuditHead,
    entries: Sequence[WireAuditEntry],
    now: dt.datetime,
    outcome: Outcome,
) -> list[WireAuditEntry]:
    """The leading run of entries whose hashes match their contents and link one to the next."""
    usable: list[WireAuditEntry] = []
    for entry in entries:
        recomputed = entry_hash(entry.seq, entry.at, entry.kind, entry.subject, entry.digest, entry.prev_hash)
        linked = not usable or (entry.seq == usable[-1].seq + 1 and entry.prev_hash == usable[-1].hash)
        genesis_ok = entry.seq != 1 or entry.prev_hash == GENESIS
        if recomputed == entry.hash and linked and genesis_ok:
            usable.append(entry)
            continue
        if recomputed != entry.hash:
            what = "its hash does not match its contents (edited without recomputing the chain)"
        elif usable and entry.seq != usable[-1].seq + 1:
            what = f"it follows entry {usable[-1].seq}, so the entries between are missing (deleted)"
        else:
            what = "it does not link to the entry before it (reordered, or replaced without recomputing)"
        _note(
            connection, kiosk_id, BROKEN, entry.seq, reported, now, f"entry {entry.seq} arrived broken: {what}", outcome
        )
        break
    return usable


def _merge(
    connection: Connection,
    kiosk_id: str,
    reported: AuditHead,
    entries: list[WireAuditEntry],
    now: dt.datetime,
    outcome: Outcome,
) -> None:
    head = held_head(connection, kiosk_id)
    entries = _within_retention(connection, kiosk_id, entries)
    if not entries:
        return
    first = entries[0]
    if first.seq > head.seq + 1 or not _links_to_held(connection, kiosk_id, first):
        outcome.checkpoints = checkpoints(connection, kiosk_id, head)
        if not outcome.checkpoints:  # the server holds nothing: only a chain from entry 1 can start it
            outcome.checkpoints = [AuditHead(seq=0, hash=GENESIS)]
        return
    overlap = [entry.seq for entry in entries if entry.seq <= head.seq]
    held = _held_rows(connection, kiosk_id, overlap)
    fresh: list[WireAuditEntry] = []
    for entry in entries:
        mine = held.get(entry.seq)
        if not fresh and entry.seq <= head.seq:
            if mine is None or mine.hash == entry.hash:
                continue  # the same entry (or a place retention emptied)
            _part(connection, kiosk_id, entry, mine, reported, now, outcome)  # the entry before it matched
        fresh.append(entry)
    if fresh:
        _check_claims(connection, kiosk_id, fresh, reported, now, outcome)
        received = utc_text(now)
        connection.execute(
            insert(AuditEntryRow),
            [{"kiosk_id": kiosk_id, "received_at": received, **_fields(entry)} for entry in fresh],
        )
        outcome.taken = len(fresh)


def _within_retention(connection: Connection, kiosk_id: str, entries: list[WireAuditEntry]) -> list[WireAuditEntry]:
    """Entries below the oldest one retention left here cannot be compared with anything: left out."""
    lowest = connection.execute(select(func.min(AuditEntryRow.seq)).where(AuditEntryRow.kiosk_id == kiosk_id)).scalar()
    if lowest is None or lowest <= 1:
        return entries
    return [entry for entry in entries if entry.seq >= lowest]


def _links_to_held(connection: Connection, kiosk_id: str, first: WireAuditEntry) -> bool:
    """The first entry links to the server's copy of the one before it (or that one is gone with
    retention, and the first entry's own hash is compared instead)."""
    if first.seq == 1:
        return first.prev_hash == GENESIS
    before = held_hashes(connection, kiosk_id, [first.seq - 1]).get(first.seq - 1)
    return before is None or before == first.prev_hash


def _held_rows(connection: Connection, kiosk_id: str, seqs: list[int]) -> dict[int, Any]:
    if not seqs:
        return {}
    rows = connection.execute(
        select(AuditEntryRow).where(AuditEntryRow.kiosk_id == kiosk_id, AuditEntryRow.seq.between(min(seqs), max(seqs)))
    )
    return {row.seq: row for row in rows}


def _part(
    connection: Connection,
    kiosk_id: str,
    entry: WireAuditEntry,
    mine: Any,
    reported: AuditHead,
    now: dt.datetime,
    outcome: Outcome,
) -> None:
    """The kiosk's chain parts from the server's copy at `entry.seq`: keep the copy from there on."""
    same_moment = mine.at == entry.at and mine.kind == entry.kind
    kind = REWRITE if same_moment else FORK
    if same_moment:
        detail = (
            f"entry {entry.seq} ({mine.kind}, {mine.at[:19]}) was changed after the server received it "
            f"on {mine.received_at[:16]}Z; the chain after it was recomputed"
        )
    else:
        detail = (
            f"the kiosk's chain parts from the server's copy at entry {entry.seq}: the server holds "
            f"{mine.kind} {mine.subject[:40]} of {mine.at[:19]} (received {mine.received_at[:16]}Z), the kiosk "
            f"now has {entry.kind} {entry.subject[:40]} of {entry.at[:19]} (entries deleted, inserted or an "
            "older copy of the database in use)"
        )
    incident = _note(connection, kiosk_id, kind, entry.seq, reported, now, detail, outcome)
    _supersede(connection, kiosk_id, entry.seq, incident)


def _check_rollback(
    connection: Connection, kiosk_id: str, reported: AuditHead, now: dt.datetime, outcome: Outcome
) -> None:
    """The kiosk's head must agree with the server's copy at its place. Below the server's head and
    agreeing: an older database put back (rollback). Not agreeing: the chains part somewhere at or
    below it, found with the entries the kiosk sends after the checkpoints."""
    if outcome.checkpoints:
        return
    head = held_head(connection, kiosk_id)
    if reported.seq > head.seq:
        return
    if reported.seq == 0:
        agrees = reported.hash == GENESIS
    else:
        agrees = held_hashes(connection, kiosk_id, [reported.seq]).get(reported.seq) == reported.hash
    if not agrees:
        outcome.checkpoints = checkpoints(connection, kiosk_id, head)
        return
    if reported.seq == head.seq:
        return
    detail = (
        f"the kiosk's chain went back from entry {head.seq} to entry {reported.seq}: an older copy of its "
        f"database was put back; entries {reported.seq + 1} to {head.seq} are kept here as evidence"
    )
    incident = _note(connection, kiosk_id, ROLLBACK, reported.seq + 1, reported, now, detail, outcome)
    _supersede(connection, kiosk_id, reported.seq + 1, incident)


def _check_cut_off(
    connection: Connection, kiosk_id: str, reported: AuditHead, now: dt.datetime, outcome: Outcome
) -> None:
    """A head below one the kiosk reported earlier (at an online check or a sync) lost entries the
    server never received. Only reports older than PIN_SETTLE_S count: a check sent after the sync
    read its head may arrive first."""
    if outcome.checkpoints or any(found.startswith(ROLLBACK) for found in outcome.incidents):
        return
    since = _last_incident_at(connection, kiosk_id)
    statement = select(AuditReportRow.seq, AuditReportRow.reported_at).where(
        AuditReportRow.kiosk_id == kiosk_id,
        AuditReportRow.seq > reported.seq,
        AuditReportRow.reported_at < utc_text(now - dt.timedelta(seconds=PIN_SETTLE_S)),
    )
    if since is not None:
        statement = statement.where(AuditReportRow.reported_at > since)
    higher = connection.execute(statement.order_by(AuditReportRow.seq.desc()).limit(1)).first()
    if higher is None:
        return
    detail = (
        f"the kiosk reported entry {higher.seq} on {higher.reported_at[:19]}Z, but its chain now ends at entry "
        f"{reported.seq}: entries the server had not received yet were cut off"
    )
    _note(connection, kiosk_id, ROLLBACK, reported.seq + 1, reported, now, detail, outcome)


def _check_claims(
    connection: Connection,
    kiosk_id: str,
    fresh: list[WireAuditEntry],
    reported: AuditHead,
    now: dt.datetime,
    outcome: Outcome,
) -> None:
    """Heads the kiosk reported (sync, online check) for places these entries now fill must agree."""
    since = _last_incident_at(connection, kiosk_id)
    statement = select(AuditReportRow.seq, AuditReportRow.hash, AuditReportRow.reported_at).where(
        AuditReportRow.kiosk_id == kiosk_id, AuditReportRow.seq.between(fresh[0].seq, fresh[-1].seq)
    )
    if since is not None:
        statement = statement.where(AuditReportRow.reported_at > since)
    by_seq = {entry.seq: entry for entry in fresh}
    for claim in connection.execute(statement.order_by(AuditReportRow.seq)):
        entry = by_seq.get(claim.seq)
        if entry is not None and entry.hash != claim.hash:
            detail = (
                f"entry {claim.seq} differs from the head the kiosk reported on {claim.reported_at[:19]}Z: "
                "the chain was rewritten between that report and this upload"
            )
            _note(connection, kiosk_id, REWRITE, claim.seq, reported, now, detail, outcome)
            return


def _last_incident_at(connection: Connection, kiosk_id: str) -> str | None:
    value = connection.execute(
        select(func.max(AuditIncidentRow.detected_at)).where(AuditIncidentRow.kiosk_id == kiosk_id)
    ).scalar()
    return None if value is None else str(value)


def _note(
    connection: Connection,
    kiosk_id: str,
    kind: str,
    seq: int,
    reported: AuditHead,
    now: dt.datetime,
    detail: str,
    outcome: Outcome,
) -> int:
    """Record an incident, once: the same finding at the same place as the kiosk's newest incident
    (a broken entry the kiosk sends again at every sync, a rolled-back head reported again) is not
    recorded a second time."""
    head = held_head(connection, kiosk_id)
    newest = connection.execute(
        select(AuditIncidentRow.id, AuditIncidentRow.kind, AuditIncidentRow.seq, AuditIncidentRow.held_hash)
        .where(AuditIncidentRow.kiosk_id == kiosk_id)
        .order_by(AuditIncidentRow.id.desc())
        .limit(1)
    ).first()
    repeated: int | None = None
    if newest is not None and (newest.kind, newest.seq) == (kind, seq):
        repeated = newest.id if kind == BROKEN or newest.held_hash == head.hash else None
    outcome.incidents.append(f"{kind}: {detail}")
    if repeated is not None:
        return int(repeated)
    result = connection.execute(
        insert(AuditIncidentRow).values(
            kiosk_id=kiosk_id,
            kind=kind,
            seq=seq,
            detected_at=utc_text(now),
            held_seq=head.seq,
            held_hash=head.hash,
            reported_seq=reported.seq,
            reported_hash=reported.hash,
            detail=detail,
        )
    )
    key = result.inserted_primary_key
    return int(key[0]) if key else 0


def _supersede(connection: Connection, kiosk_id: str, from_seq: int, incident_id: int) -> None:
    """Move the server's copy from `from_seq` on out of the live chain, under the incident."""
    rows = connection.execute(
        select(AuditEntryRow).where(AuditEntryRow.kiosk_id == kiosk_id, AuditEntryRow.seq >= from_seq)
    ).all()
    if rows:
        kept = {
            (incident_id, seq)
            for (seq,) in connection.execute(
                select(AuditSupersededRow.seq).where(AuditSupersededRow.incident_id == incident_id)
            )
        }
        values = [
            {"incident_id": incident_id, "received_at": row.received_at, **{k: getattr(row, k) for k in _ENTRY_FIELDS}}
            for row in rows
            if (incident_id, row.seq) not in kept
        ]
        if values:
            connection.execute(insert(AuditSupersededRow), values)
    connection.execute(delete(AuditEntryRow).where(AuditEntryRow.kiosk_id == kiosk_id, AuditEntryRow.seq >= from_seq))


def _fields(entry: WireAuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in _ENTRY_FIELDS}
