"""Decide and record in one write transaction: lookup, decide(), the broker patterns over this kiosk's
recent scans (kiosk/domain/patterns.py), event + outbox + audit (and an alert's own entry), commit.

The write lock is taken before the lookup (BEGIN IMMEDIATE), so two scans of one code, even from two
processes on the same database, are decided one after the other and cannot both use the last entry.
Only after the commit has returned (synchronous=FULL: on disk) is the decision handed back: the caller
shows it and pulses the gate after that, never before.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert

from kiosk.domain import patterns
from kiosk.domain.decide import Presentation, decide
from kiosk.domain.model import PATTERN_REASONS, Booking, Circumstances, Decision, Entry, OfficeRules
from kiosk.domain.payload import mask_evidence
from kiosk.store import audit
from kiosk.store import bookings as booking_repo
from kiosk.store.codes import CodeHasher
from kiosk.store.engine import driver
from kiosk.store.schema import OutboxRow, ScanEventRow
from kiosk.store.settings import Identity
from kiosk.store.times import from_text, to_text

#: The source of a code typed in by a guard (kiosk/door/sighting.py, Source.MANUAL): no broker pattern.
MANUAL = "manual"
#: How many recent scans the broker patterns look at, at most (the newest).
RECENT_LIMIT = 200
_RECENT_SQL = (
    f"SELECT occurred_at, reason, code_hash, booking_ref, facts FROM {ScanEventRow.__tablename__}"
    " WHERE kind IN ('scan', 'manual') AND occurred_at >= ? AND occurred_at <= ?"
    " ORDER BY occurred_at DESC, id DESC LIMIT ?"
)


@dataclass(frozen=True, slots=True)
class Recorded:
    """A decision that is on disk: safe to show and act on."""

    event_uuid: str
    decision: Decision
    occurred_at: dt.datetime
    audit_seq: int
    audit_hash: str
    #: Which path decided: "server" (the online check across gates) or "local" (this kiosk's data).
    decided_by: str = "local"
    #: Why the kiosk decided here although an online check was possible ("" when the server decided).
    fallback: str = ""
    #: How long the online check took, when one was made (ms).
    online_ms: float | None = None


def lookup(
    connection: Connection, hasher: CodeHasher, presentation: Presentation
) -> tuple[bytes | None, Booking | None, list[Entry]]:
    """The booking a presentation names, and its previous entries (nothing for non-codes)."""
    if not presentation.payload.is_code:
        return None, None, []
    code_hash = hasher.hash(presentation.payload.code)
    booking = booking_repo.find(connection, hasher, code_hash)
    entries = booking_repo.entries(connection, booking.booking_ref) if booking else []
    return code_hash, booking, entries


@dataclass(frozen=True, slots=True)
class Annotation:
    """What the door adds to an event beyond the decision: who typed the code, and which path decided.

    `facts` go into the event's facts (e.g. decided_by, fallback, entered_by); `guard_id` and `note`
    name the guard who typed a code in by hand."""

    facts: dict[str, str] = field(default_factory=dict)
    guard_id: int | None = None
    note: str | None = None


def decide_and_record(
    connection: Connection,
    hasher: CodeHasher,
    presentation: Presentation,
    rules: OfficeRules,
    circumstances: Circumstances,
    identity: Identity,
    source: str,
    event_uuid: str | None = None,
    annotation: Annotation | None = None,
) -> Recorded:
    """Inside the caller's BEGIN IMMEDIATE transaction: decide, then write event, outbox row, audit entry."""
    code_hash, booking, entries = lookup(connection, hasher, presentation)
    decision = decide(presentation, booking, entries, rules, circumstances)
    decision = with_patterns(connection, decision, code_hash, rules, circumstances, source)
    uuid_ = event_uuid or str(uuid.uuid4())
    row = event_row(hasher, presentation, decision, circumstances.now, uuid_, identity, source, annotation, code_hash)
    row["gate"] = circumstances.gate
    write_alert(connection, row, decision)
    head = write_event(connection, row, identity)
    return Recorded(uuid_, decision, circumstances.now, head.seq, head.hash)


def with_patterns(
    connection: Connection,
    decision: Decision,
    code_hash: bytes | None,
    rules: OfficeRules,
    circumstances: Circumstances,
    source: str,
) -> Decision:
    """The decision with the broker patterns applied (kiosk/domain/patterns.py), over this kiosk's
    recent scans read from its recorded events in the caller's write transaction: an alert survives a
    restart, and a second writer on the database sees the first one's scans."""
    window = max(rules.burst_minutes, rules.retry_minutes, 0)
    recent = recent_scans(connection, circumstances.now, window) if window else []
    scan = patterns.ThisScan(
        circumstances.now, circumstances.gate, code_hash.hex() if code_hash else None, source == MANUAL
    )
    return patterns.detect(decision, scan, recent, rules)


def recent_scans(connection: Connection, now: dt.datetime, minutes: int) -> list[patterns.RecentScan]:
    """This kiosk's decisions in the `minutes` before `now` (at most RECENT_LIMIT, the newest), oldest
    first, each with its own reason (before any pattern)."""
    since = to_text(now - dt.timedelta(minutes=minutes))
    rows = driver(connection).execute(_RECENT_SQL, (since, to_text(now), RECENT_LIMIT)).fetchall()
    scans = []
    for occurred_at, reason, code_hash, booking_ref, facts_text in reversed(rows):
        facts = _facts(facts_text)
        scans.append(
            patterns.RecentScan(
                at=from_text(occurred_at),
                reason=patterns.own_reason(reason, facts),
                code_key=bytes(code_hash).hex() if code_hash else None,
                booking_ref=booking_ref,
                manual=facts.get("source") == MANUAL,
            )
        )
    return scans


def write_alert(connection: Connection, row: Mapping[str, Any], decision: Decision) -> None:
    """A broker pattern's own audit entry (`alert.<reason>`), on the scan's event id, just before the
    scan's entry (which stays the head the caller anchors): what was found, and the reason it replaced."""
    if decision.reason not in PATTERN_REASONS:
        return
    digest = audit.canonical_digest({"reason": decision.reason.value, "facts": decision.facts})
    audit.append(connection, row["occurred_at"], f"alert.{decision.reason.value.lower()}", row["event_uuid"], digest)


def _facts(text: str | None) -> dict[str, str]:
    try:
        facts = json.loads(text or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in facts.items()} if isinstance(facts, dict) else {}


def event_row(
    hasher: CodeHasher,
    presentation: Presentation,
    decision: Decision,
    now: dt.datetime,
    event_uuid: str,
    identity: Identity,
    source: str,
    annotation: Annotation | None = None,
    code_hash: bytes | None = None,
) -> dict[str, Any]:
    """The scan event's row, the same for a decision made here and one made by the server. The masked
    code is bounded (mask_evidence): a long payload, such as a forged signed code, keeps its ends,
    its length and a keyed hash, never its whole text."""
    annotation = annotation or Annotation()
    booking = decision.booking
    payload = presentation.payload
    if payload.is_code and code_hash is None:
        code_hash = hasher.hash(payload.code)
    masked = mask_evidence(payload.code, code_hash.hex()) if payload.is_code and code_hash else ""
    return new_event_row(
        identity,
        event_uuid=event_uuid,
        now=now,
        kind="scan",
        booking_ref=booking.booking_ref if booking else None,
        code_hash=code_hash if payload.is_code else None,
        code_masked=masked,
        payload_kind=payload.kind.value,
        verdict=decision.verdict.value,
        reason=decision.reason.value,
        persons=decision.persons,
        service_date=booking.service_date.isoformat() if booking else None,
        facts={**decision.facts, **annotation.facts, "source": source},
        guard_id=annotation.guard_id,
        note=annotation.note,
    )


def new_event_row(
    identity: Identity,
    *,
    event_uuid: str,
    now: dt.datetime,
    kind: str,
    booking_ref: str | None,
    code_hash: bytes | None,
    code_masked: str,
    payload_kind: str,
    verdict: str,
    reason: str,
    persons: int,
    service_date: str | None,
    facts: Mapping[str, str],
    guard_id: int | None = None,
    ref_event: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """A scan_events row (every column but the row id and audit_seq, which write_event sets), for a
    scan (event_row) and for a guard's action on one: this kiosk and gate, the time as text, the
    facts as sorted JSON."""
    return {
        "event_uuid": event_uuid,
        "occurred_at": to_text(now),
        "kind": kind,
        "kiosk_id": identity.kiosk_id,
        "gate": identity.gate,
        "booking_ref": booking_ref,
        "code_hash": code_hash,
        "code_masked": code_masked,
        "payload_kind": payload_kind,
        "verdict": verdict,
        "reason": reason,
        "persons": persons,
        "service_date": service_date,
        "guard_id": guard_id,
        "ref_event": ref_event,
        "note": note,
        "facts": json.dumps(facts, sort_keys=True),
    }


def write_event(connection: Connection, row: dict[str, Any], identity: Identity) -> audit.Head:
    """Append the audit entry, then the event and its outbox row: all or nothing with the transaction."""
    head = audit.append(
        connection, row["occurred_at"], f"event.{row['kind']}", row["event_uuid"], audit.canonical_digest(row)
    )
    connection.execute(insert(ScanEventRow).values(**row, audit_seq=head.seq))
    body = {key: value for key, value in row.items() if key not in ("code_hash",)}
    body.update(office_code=identity.office_code, audit_seq=head.seq, audit_hash=head.hash)
    connection.execute(
        insert(OutboxRow).values(
            event_uuid=row["event_uuid"],
            body=json.dumps(body, sort_keys=True),
            created_at=row["occurred_at"],
            attempts=0,
        )
    )
    return head
