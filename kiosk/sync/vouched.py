"""The upload sends only events the audit chain vouches for.

An outbox row is a copy of its event, made in the same transaction (kiosk/store/recorder.py
write_event). The chain covers the event row, not the copy: someone with the file could change the copy
(a DENY sent as ADMIT, an override credited to another guard) and the server would store it. So each
copy is checked before it is sent: its event is still there, unchanged since its audit entry was
written, and the copy says what the event says. A copy that fails is never sent; it is marked refused
with an audit entry saying why (kiosk/sync/apply.py outbox_refused), and `kiosk audit verify` names it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from kiosk.store import audit
from kiosk.store.db import KioskStore
from kiosk.store.schema import AuditRow, OutboxRow, ScanEventRow

#: The fields an upload copy takes from its event row (all but the keyed code hash and the row id).
COPIED = (
    "event_uuid",
    "occurred_at",
    "kind",
    "kiosk_id",
    "gate",
    "booking_ref",
    "payload_kind",
    "verdict",
    "reason",
    "persons",
    "service_date",
    "guard_id",
    "ref_event",
    "note",
    "facts",
)
GONE = "its event is no longer in this kiosk's records (deleted by hand?)"
CHANGED = "its event was changed after it was recorded (its audit entry no longer matches)"
DIFFERS = "its upload copy says something else than the recorded event (changed by hand?)"


def unvouched(store: KioskStore, uuids: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """(event uuid, why) for each pending outbox row (or those of `uuids`) the chain does not vouch for."""
    with store.reading() as connection:
        statement = select(OutboxRow.event_uuid, OutboxRow.body).where(OutboxRow.refused_at.is_(None))
        if uuids is not None:
            statement = statement.where(OutboxRow.event_uuid.in_(list(uuids)))
        copies = {row.event_uuid: row.body for row in connection.execute(statement)}
        events = {
            row["event_uuid"]: dict(row)
            for row in connection.execute(
                select(ScanEventRow).where(ScanEventRow.event_uuid.in_(list(copies)))
            ).mappings()
        }
        seqs = [event["audit_seq"] for event in events.values()]
        entries = {row.seq: row for row in connection.execute(select(AuditRow).where(AuditRow.seq.in_(seqs)))}
    found: list[tuple[str, str]] = []
    for uuid, body in copies.items():
        why = _why(uuid, body, events.get(uuid), entries)
        if why is not None:
            found.append((uuid, why))
    return found


def _why(uuid: str, body: str, event: dict[str, Any] | None, entries: dict[int, Any]) -> str | None:
    if event is None:
        return GONE
    entry = entries.get(event["audit_seq"])
    if entry is None or entry.subject != uuid or entry.digest != audit.canonical_digest(audit.event_fields(event)):
        return CHANGED
    try:
        copy = json.loads(body)
    except ValueError:
        return None  # an unreadable copy is refused on the way anyway (apply.outbox_batch)
    if not isinstance(copy, dict):
        return None
    if any(copy.get(name) != event[name] for name in COPIED):
        return DIFFERS
    if copy.get("audit_seq") != entry.seq or copy.get("audit_hash") != entry.hash:
        return DIFFERS
    return None
