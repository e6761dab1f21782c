"""Decide and record in one write transaction: lookup, decide(), event + outbox + audit, commit.

The write lock is taken before the lookup (BEGIN IMMEDIATE), so two scans of one code, even from two
processes on the same database, are decided one after the other and cannot both use the last entry.
Only after the commit has returned (synchronous=FULL: on disk) is the decision handed back: the caller
shows it and pulses the gate after that, never before.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert

from kiosk.domain.decide import Presentation, decide
from kiosk.domain.model import Booking, Circumstances, Decision, Entry, OfficeRules
from kiosk.domain.payload import mask_code
from kiosk.store import audit
from kiosk.store import bookings as booking_repo
from kiosk.store.codes import CodeHasher
from kiosk.store.schema import OutboxRow, ScanEventRow
from kiosk.store.settings import Identity
from kiosk.store.times import to_text


@dataclass(frozen=True, slots=True)
class Recorded:
    """A decision that is on disk: safe to show and act on."""

    event_uuid: str
    decision: Decision
    occurred_at: dt.datetime
    audit_seq: int
    audit_hash: str


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


def decide_and_record(
    connection: Connection,
    hasher: CodeHasher,
    presentation: Presentation,
    rules: OfficeRules,
    circumstances: Circumstances,
    identity: Identity,
    source: str,
    event_uuid: str | None = None,
) -> Recorded:
    """Inside the caller's BEGIN IMMEDIATE transaction: decide, then write event, outbox row, audit entry."""
    code_hash, booking, entries = lookup(connection, hasher, presentation)
    decision = decide(presentation, booking, entries, rules, circumstances)
    facts = {**decision.facts, "source": source}
    row: dict[str, Any] = {
        "event_uuid": event_uuid or str(uuid.uuid4()),
        "occurred_at": to_text(circumstances.now),
        "kind": "scan",
        "kiosk_id": identity.kiosk_id,
        "gate": circumstances.gate,
        "booking_ref": booking.booking_ref if booking else None,
        "code_hash": code_hash,
        "code_masked": mask_code(presentation.payload.code) if presentation.payload.is_code else "",
        "payload_kind": presentation.payload.kind.value,
        "verdict": decision.verdict.value,
        "reason": decision.reason.value,
        "persons": decision.persons,
        "service_date": booking.service_date.isoformat() if booking else None,
        "guard_id": None,
        "ref_event": None,
        "note": None,
        "facts": json.dumps(facts, sort_keys=True),
    }
    head = write_event(connection, row, identity)
    return Recorded(row["event_uuid"], decision, circumstances.now, head.seq, head.hash)


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
