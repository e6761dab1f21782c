"""The hash-chained audit log and its verifier.

Entry n stores sha256 over (n, time, kind, subject, digest, hash of entry n-1). The digest of a scan
event covers every stored field of that event, so editing an event row by hand breaks the chain at
that entry too. What the chain alone cannot see (entries cut off at the end) is caught by the anchor:
the head (seq, hash) is also written to a file beside the database after each commit, and uploaded to
the server at each sync. Nothing personal goes into the log: subjects are event ids, digests are
hashes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select

from kiosk.store.schema import AuditRow, ScanEventRow

GENESIS = "0" * 64
EVENT_KIND_PREFIX = "event."
#: What the server takes of an entry (kiosk/protocol/schema.py WireAuditEntry; a test keeps the two
#: in step). An entry outside them could never be anchored: append() refuses to write one, and
#: verify() names one written by hand.
KIND_PATTERN = re.compile(r"[a-z][a-z_.]{0,31}")
MAX_AT_CHARS, MAX_SUBJECT_CHARS, MAX_SEQ = 40, 128, 2**62
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    hash: str


@dataclass(slots=True)
class VerifyReport:
    entries: int = 0
    events: int = 0
    problems: list[str] = field(default_factory=list)
    first_bad_seq: int | None = None
    #: The newest receipt the chain was checked against (kiosk/store/receipts.py), if any.
    anchored: Any = None
    #: Entries after the newest receipt (or all of them without one), and the time of the first.
    unanchored: int = 0
    unanchored_since: str | None = None
    #: The newest entry: (seq, hash).
    head: Head = Head(0, GENESIS)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, seq: int | None, problem: str) -> None:
        self.problems.append(problem)
        if seq is not None and (self.first_bad_seq is None or seq < self.first_bad_seq):
            self.first_bad_seq = seq


def canonical_digest(fields: Mapping[str, Any]) -> str:
    """A stable hash of a record: sorted keys, bytes as hex, no whitespace."""
    encoded = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=_jsonable)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def entry_hash(seq: int, at: str, kind: str, subject: str, digest: str, prev_hash: str) -> str:
    material = f"{seq}|{at}|{kind}|{subject}|{digest}|{prev_hash}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def head(connection: Connection) -> Head:
    row = connection.execute(select(AuditRow.seq, AuditRow.hash).order_by(AuditRow.seq.desc()).limit(1)).first()
    return Head(0, GENESIS) if row is None else Head(row.seq, row.hash)


def unsendable(seq: int, at: str, kind: str, subject: str) -> str | None:
    """Why the server could not take this entry as it is (None: it can)."""
    if not 1 <= seq <= MAX_SEQ:
        return f"its number is outside 1..{MAX_SEQ}"
    if not KIND_PATTERN.fullmatch(kind):
        return "its kind is not a lower-case word of up to 32 letters"
    if len(at) > MAX_AT_CHARS or len(subject) > MAX_SUBJECT_CHARS:
        return f"its time or subject is longer than {MAX_AT_CHARS} or {MAX_SUBJECT_CHARS} characters"
    if _CONTROL.search(at) or _CONTROL.search(subject):
        return "its time or subject holds a control character"
    return None


def append(connection: Connection, at: str, kind: str, subject: str, digest: str) -> Head:
    """Add one entry inside the caller's (write) transaction and return the new head. Raises
    ValueError for an entry the server could not anchor (a bug: every caller writes fixed shapes)."""
    previous = head(connection)
    why = unsendable(1, at, kind, subject)  # (a number out of range comes only from a hand edit: verify names it)
    if why is not None:
        raise ValueError(f"audit entry {kind!r} refused: {why}")
    seq = previous.seq + 1
    value = entry_hash(seq, at, kind, subject, digest, previous.hash)
    connection.execute(
        insert(AuditRow).values(
            seq=seq, at=at, kind=kind, subject=subject, digest=digest, prev_hash=previous.hash, hash=value
        )
    )
    return Head(seq, value)


def event_fields(row: Mapping[str, Any] | Any) -> dict[str, Any]:
    """The fields of a scan event that its audit digest covers (all but the row id and audit link)."""
    return {key: value for key, value in row.items() if key not in ("id", "audit_seq")}


# --- the anchor file --------------------------------------------------------------------------------


def anchor_path_for(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".audit-head")


def write_anchor(path: Path, value: Head) -> None:
    """Best effort, after commit: a crash may leave the anchor one step behind, which verify accepts.

    The temporary file is named per process and thread: two writers on one database (the kiosk and a
    command, or the sync thread) must not write into the same temporary file."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        temporary.write_text(json.dumps({"seq": value.seq, "hash": value.hash}), encoding="ascii")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def anchor_blocker(connection: Connection, current: Head | None, new: Head) -> str | None:
    """Why the anchor file must not move from `current` to `new` (None: it may). It moves only forward
    along the same chain.

    An anchor ahead of the chain, or one whose entry the chain no longer holds unchanged, is the trace
    of a rolled-back or rewritten database (yesterday's copy put back): overwriting it would erase the
    evidence, so it stays until someone looks (`verify` reports it). An anchor ahead of `new` is also
    what a slower writer sees after a faster one; keeping the newer head is right then too. An
    unreadable anchor (a power cut while it was replaced) is overwritten."""
    if current is None or current.seq < 0:
        return None
    if current.seq > new.seq:
        return f"it already records entry {current.seq} (another writer, or the database was rolled back)"
    if current.seq == 0:
        stored: str | None = GENESIS
    else:
        stored = connection.execute(select(AuditRow.hash).where(AuditRow.seq == current.seq)).scalar()
    if stored != current.hash:
        return f"entry {current.seq} no longer matches it (the database was rolled back or rewritten)"
    return None


def read_anchor(path: Path) -> Head | None:
    try:
        data = json.loads(path.read_text(encoding="ascii"))
        return Head(int(data["seq"]), str(data["hash"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return Head(-1, "unreadable")


# --- verification -----------------------------------------------------------------------------------


def verify(
    connection: Connection,
    anchor: Head | None = None,
    receipts: Sequence[Any] = (),
    expect: tuple[int, str] | None = None,
) -> VerifyReport:
    """Walk the whole chain; name every place where it breaks (edited, deleted, reordered, inserted,
    cut off) and every scan event whose row no longer matches its audit entry. `receipts`: the server's
    receipts whose signatures were checked (seq, hash, server_time): the chain must hold each one's
    entry unchanged. `expect`: a head printed on paper (seq, the start of its hash) it must hold."""
    report = VerifyReport()
    chain: dict[int, AuditRow] = {}
    previous_hash, expected_seq = GENESIS, 1
    for row in _entries(connection):
        report.entries += 1
        chain[row.seq] = row
        if row.seq != expected_seq:
            report.add(expected_seq, f"entry {expected_seq} is missing (deleted); the chain jumps to {row.seq}")
        elif row.prev_hash != previous_hash:
            report.add(row.seq, f"entry {row.seq} does not follow entry {row.seq - 1} (reordered or inserted)")
        recomputed = entry_hash(row.seq, row.at, row.kind, row.subject, row.digest, row.prev_hash)
        if recomputed != row.hash:
            report.add(row.seq, f"entry {row.seq} was edited (its hash does not match its contents)")
        why = unsendable(row.seq, row.at, row.kind, row.subject)
        if why is not None:
            report.add(row.seq, f"entry {row.seq} can never be anchored at the server: {why} (written by hand?)")
        previous_hash, expected_seq = row.hash, row.seq + 1
    _check_anchor(report, chain, anchor)
    _check_events(connection, report, chain)
    _check_receipts(report, chain, receipts)
    _check_expected(report, chain, expect)
    if chain:
        last = chain[max(chain)]
        report.head = Head(last.seq, last.hash)
    return report


def _check_receipts(report: VerifyReport, chain: dict[int, Any], receipts: Sequence[Any]) -> None:
    """A change at or before an anchored entry, and a chain that ends below one, are caught here."""
    last = max(chain, default=0)
    for receipt in sorted(receipts, key=lambda r: r.seq, reverse=True):
        when = f"{receipt.server_time[:16]}Z"
        entry = chain.get(receipt.seq)
        if receipt.seq > last:
            report.add(
                last + 1,
                f"the chain ends at entry {last}, but the server anchored entry {receipt.seq} on {when}: "
                "the database was rolled back to an older copy, or entries were cut off",
            )
        elif entry is None or entry.hash != receipt.hash:
            report.add(
                receipt.seq,
                f"entry {receipt.seq} differs from the server's receipt of {when}: the chain was rewritten "
                f"at or before entry {receipt.seq}",
            )
    newest = max(receipts, key=lambda r: r.seq, default=None)
    report.anchored = newest
    anchored_up_to = 0 if newest is None else newest.seq
    later = [chain[seq] for seq in chain if seq > anchored_up_to]
    report.unanchored = len(later)
    report.unanchored_since = min((entry.at for entry in later), default=None)


def _check_expected(report: VerifyReport, chain: dict[int, Any], expect: tuple[int, str] | None) -> None:
    if expect is None:
        return
    seq, prefix = expect
    entry = chain.get(seq)
    if entry is None:
        last = max(chain, default=0)
        report.add(
            last + 1 if seq > last else seq, f"the expected head, entry {seq}, is not in the chain (it ends at {last})"
        )
    elif not entry.hash.startswith(prefix.lower()):
        report.add(seq, f"entry {seq} is not the expected head: its hash begins {entry.hash[:16]}, not {prefix[:16]}")


def _entries(connection: Connection) -> Iterator[Any]:
    yield from connection.execute(select(AuditRow).order_by(AuditRow.seq)).all()


def _check_anchor(report: VerifyReport, chain: dict[int, Any], anchor: Head | None) -> None:
    if anchor is None:
        return
    if anchor.seq < 0:
        report.add(None, "the audit head file beside the database is unreadable")
        return
    last = max(chain, default=0)
    if anchor.seq > last:
        report.add(last + 1, f"the chain was cut off: it ends at entry {last}, but entry {anchor.seq} was written")
    elif anchor.seq > 0 and anchor.seq not in chain:
        report.add(anchor.seq, f"entry {anchor.seq}, recorded as the head after it was written, is missing")
    elif anchor.seq > 0 and chain[anchor.seq].hash != anchor.hash:
        report.add(anchor.seq, f"entry {anchor.seq} differs from the head recorded after it was written (rewritten)")


def _check_events(connection: Connection, report: VerifyReport, chain: dict[int, Any]) -> None:
    seen: set[str] = set()
    for row in connection.execute(select(ScanEventRow).order_by(ScanEventRow.id)).mappings():
        report.events += 1
        seen.add(row["event_uuid"])
        entry = chain.get(row["audit_seq"])
        if entry is None:
            report.add(row["audit_seq"], f"event {row['event_uuid']} has no audit entry {row['audit_seq']} (cut off?)")
        elif entry.subject != row["event_uuid"] or entry.digest != canonical_digest(event_fields(row)):
            report.add(row["audit_seq"], f"event {row['event_uuid']} was edited after it was recorded")
    for seq, entry in chain.items():
        if entry.kind.startswith(EVENT_KIND_PREFIX) and entry.subject not in seen:
            report.add(seq, f"event {entry.subject} of audit entry {seq} was deleted from the event table")


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot put {type(value).__name__} in an audit digest")
