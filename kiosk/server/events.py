"""Events in: idempotent batch upload, audit-head reports, and the online check.

Exactly once in effect: an event is stored under the kiosk's UUID; the same UUID again with the same
body is acknowledged as a duplicate, with another body refused as a conflict (final, the first one
stays). The online check decides with the same domain code the kiosk runs, against the server's
bookings and the entries of every gate, and records its decision at once ("online" origin), so a
second gate sees the first admission. The kiosk's own record of that scan, uploaded later under the
same UUID, replaces the online one: it is what the gate actually did.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from kiosk.domain.decide import Presentation, decide
from kiosk.domain.model import Booking, Category, Circumstances, Decision, Entry, Reason, Status
from kiosk.domain.payload import mask_code, mask_evidence
from kiosk.protocol import codes
from kiosk.protocol.schema import AuditHead, CheckRequest, EventBatch, EventResult, WireEvent
from kiosk.protocol.wire import keyring_of
from kiosk.server import keys, offices, summaries
from kiosk.server.db import evidence_key, insert_for, lock_booking, utc_text
from kiosk.server.models import AuditReportRow, BookingRow, EventRow, KioskRow, OfficeRow, RemovalRow

UPLOAD, ONLINE = "upload", "online"


def body_hash(event: WireEvent) -> str:
    data = event.model_dump(mode="json")
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def ingest(connection: Connection, kiosk_row: Any, batch: EventBatch, now: dt.datetime) -> list[EventResult]:
    """Store a batch in the caller's transaction; one result per event, in order.

    A kiosk writes only its own office's events and only its own records (issue 13): an event for
    another office (its office_code names another office of this server, or its booking_ref a booking
    of another office that never was in this kiosk's office's feed) is refused, as is an event id
    that another kiosk's event holds already; nothing of a refused event is kept. A refusal is
    answered `conflict` (final: the kiosk marks the row refused and never sends it again) with a
    detail that says why, so that a kiosk of today tells it apart from a transient error."""
    received = utc_text(now)
    incoming: dict[str, tuple[WireEvent, str]] = {}
    for event in batch.events:
        incoming.setdefault(event.event_uuid, (event, body_hash(event)))
    uuids = list(incoming)
    before = {
        row.event_uuid: row
        for row in connection.execute(
            select(EventRow.event_uuid, EventRow.body_hash, EventRow.origin, EventRow.kiosk_id).where(
                EventRow.event_uuid.in_(uuids)
            )
        ).all()
    }
    foreign = _foreign(connection, kiosk_row, [event for event, _ in incoming.values()])
    theirs = {uuid for uuid, row in before.items() if row.kiosk_id != kiosk_row.kiosk_id}
    new_rows = [
        _row(event, digest, kiosk_row, received)
        for uuid, (event, digest) in incoming.items()
        if uuid not in before and uuid not in foreign
    ]
    if new_rows:
        statement = insert_for(connection, EventRow).on_conflict_do_nothing(index_elements=["event_uuid"])
        inserted = set(connection.execute(statement.returning(EventRow.event_uuid), new_rows).scalars())
        summaries.count(connection, [row for row in new_rows if row["event_uuid"] in inserted])
    for uuid, row in before.items():
        if row.origin == ONLINE and uuid not in theirs and uuid not in foreign:
            event, digest = incoming[uuid]
            values = _row(event, digest, kiosk_row, received)
            replacing = (
                EventRow.event_uuid == uuid,
                EventRow.origin == ONLINE,
                EventRow.kiosk_id == kiosk_row.kiosk_id,
            )
            # the online row as it is, locked: its counts leave the hourly summary as the kiosk's own enter it
            replaced = connection.execute(select(*summaries.COUNTED).where(*replacing).with_for_update()).first()
            if replaced is None:
                continue
            connection.execute(update(EventRow).where(*replacing).values(**values))
            summaries.count(connection, [replaced._mapping], -1)
            summaries.count(connection, [values])
    stored = {
        row.event_uuid: (row.body_hash, row.kiosk_id)
        for row in connection.execute(
            select(EventRow.event_uuid, EventRow.body_hash, EventRow.kiosk_id).where(EventRow.event_uuid.in_(uuids))
        ).all()
    }
    results: list[EventResult] = []
    for event in batch.events:
        uuid = event.event_uuid
        digest = incoming[uuid][1]
        if uuid in foreign:
            results.append(EventResult(event_uuid=uuid, status="conflict", detail=foreign[uuid]))
        elif uuid in theirs or stored.get(uuid, ("", ""))[1] != kiosk_row.kiosk_id:
            results.append(
                EventResult(event_uuid=uuid, status="conflict", detail=f"{REFUSED}: another kiosk's event has this id")
            )
        elif stored.get(uuid, ("", ""))[0] != digest:
            results.append(
                EventResult(
                    event_uuid=uuid,
                    status="conflict",
                    detail="the server holds a different event with this id; it keeps the first",
                )
            )
        elif uuid in before and before[uuid].origin != ONLINE:
            results.append(EventResult(event_uuid=uuid, status="duplicate"))
        else:
            results.append(EventResult(event_uuid=uuid, status="stored"))
    return results


#: The detail of a refusal for ownership (another office's event, another kiosk's id).
REFUSED = "refused: not this kiosk's to write"


def _foreign(connection: Connection, kiosk_row: Any, batch: list[WireEvent]) -> dict[str, str]:
    """Event id -> why, for each event of another office than the kiosk's."""
    own = kiosk_row.office_code
    named_offices = {e.office_code.upper() for e in batch} - {own}
    other_offices = (
        set(connection.execute(select(OfficeRow.code).where(OfficeRow.code.in_(named_offices))).scalars())
        if named_offices
        else set()
    )
    refs = {e.booking_ref for e in batch if e.booking_ref}
    booking_office = (
        {
            row.booking_ref: row.office_code
            for row in connection.execute(
                select(BookingRow.booking_ref, BookingRow.office_code).where(BookingRow.booking_ref.in_(refs))
            ).all()
        }
        if refs
        else {}
    )
    elsewhere = {ref for ref, office in booking_office.items() if office != own}
    once_ours = (
        set(
            connection.execute(
                select(RemovalRow.booking_ref).where(
                    RemovalRow.office_code == own, RemovalRow.booking_ref.in_(elsewhere)
                )
            ).scalars()
        )
        if elsewhere
        else set()
    )
    why: dict[str, str] = {}
    for event in batch:
        if event.office_code.upper() in other_offices:
            why[event.event_uuid] = f"{REFUSED}: an event of office {event.office_code.upper()}"
        elif event.booking_ref in elsewhere and event.booking_ref not in once_ours:
            why[event.event_uuid] = f"{REFUSED}: booking {event.booking_ref} is another office's"
    return why


def report_head(
    connection: Connection, kiosk_row: Any, head: AuditHead, outbox_pending: int, cursor: str | None, now: dt.datetime
) -> str:
    """Note the kiosk's audit head; an alert when its chain went backwards or forked. Returns the alert."""
    alert = ""
    if kiosk_row.audit_seq is not None:
        if head.seq < kiosk_row.audit_seq:
            alert = (
                f"audit chain went back from entry {kiosk_row.audit_seq} to {head.seq}: "
                "the kiosk database was restored or rolled back"
            )
        elif head.seq == kiosk_row.audit_seq and head.hash != kiosk_row.audit_hash:
            alert = f"audit entry {head.seq} changed since the last sync: the kiosk's chain was rewritten"
    values: dict[str, Any] = {
        "audit_seq": head.seq,
        "audit_hash": head.hash,
        "outbox_pending": outbox_pending,
        "last_sync_at": utc_text(now),
    }
    if cursor is not None:
        values["last_cursor"] = cursor
    if alert:
        values["audit_alert"] = f"{utc_text(now)[:19]}Z {alert}"
    connection.execute(update(KioskRow).where(KioskRow.kiosk_id == kiosk_row.kiosk_id).values(**values))
    connection.execute(
        insert(AuditReportRow).values(
            kiosk_id=kiosk_row.kiosk_id, seq=head.seq, hash=head.hash, reported_at=utc_text(now)
        )
    )
    return alert


def check(connection: Connection, kiosk_row: Any, request: CheckRequest, now: dt.datetime) -> Decision:
    """Decide a presentation for a kiosk with the server's data and record it (origin "online")."""
    office_row = offices.office(connection, kiosk_row.office_code)
    rules = offices.rules_of(office_row)
    reading = codes.read(request.payload, keyring_of(keys.listed(connection)))
    presentation = Presentation(reading.payload, request.other_codes, reading.signature_valid)  # the server's own
    booking: Booking | None = None
    entries: list[Entry] = []
    if presentation.payload.is_code and presentation.signature_valid is not False:
        row = connection.execute(select(BookingRow).where(BookingRow.code == presentation.payload.code)).first()
        booking = _booking(row) if row is not None else (reading.fields.booking() if reading.fields else None)
        if booking is not None and booking.office_code == kiosk_row.office_code:
            lock_booking(connection, booking.booking_ref)
            entries = _entries(connection, booking, request.event_uuid, kiosk_row.kiosk_id)
    decision = decide(presentation, booking, entries, rules, Circumstances(now=now, gate=request.gate))
    if booking is not None and booking.office_code != kiosk_row.office_code:
        # another office's booking: this kiosk learns that, and which office, nothing else of it
        # (no ref, date, slot, party, name), and its record of the scan holds nothing of it either
        decision = Decision.of(Reason.WRONG_OFFICE, office=booking.office_code)
        booking = None
    existing = connection.execute(select(EventRow.origin).where(EventRow.event_uuid == request.event_uuid)).first()
    if existing is None:
        code = presentation.payload.code if presentation.payload.is_code else ""
        recorded = connection.execute(
            insert_for(connection, EventRow)
            .values(
                event_uuid=request.event_uuid,
                office_code=kiosk_row.office_code,
                kiosk_id=kiosk_row.kiosk_id,
                gate=request.gate,
                kind="scan",
                occurred_at=utc_text(now),
                received_at=utc_text(now),
                booking_ref=booking.booking_ref if booking else None,
                code_masked=masked_evidence(connection, code) if code else "",
                payload_kind=presentation.payload.kind.value,
                verdict=decision.verdict.value,
                reason=decision.reason.value,
                persons=decision.persons,
                service_date=booking.service_date.isoformat() if booking else None,
                facts=json.dumps({**decision.facts, "source": "online"}, sort_keys=True),
                extra="{}",
                origin=ONLINE,
            )
            .on_conflict_do_nothing(index_elements=["event_uuid"])
            .returning(*summaries.COUNTED)
        ).first()
        if recorded is not None:
            summaries.count(connection, [recorded._mapping])
    return decision


def masked_evidence(connection: Connection, code: str) -> str:
    """What an event keeps of a presented code: its masked form, never longer than the column
    (mask_evidence). A long text (a signed code, genuine or forged) keeps its ends, its length and a
    hash keyed with the server's evidence key, so two reports of one forged code match on this server."""
    digest = hmac.new(evidence_key(connection), code.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return mask_evidence(code, digest)


def events_of(connection: Connection, office_code: str, gate: str | None = None, day: str | None = None) -> list[Any]:
    query = (
        select(EventRow)
        .where(EventRow.office_code == office_code.upper())
        .order_by(EventRow.gate, EventRow.occurred_at)
    )
    if gate:
        query = query.where(EventRow.gate == gate)
    if day:
        query = query.where(EventRow.occurred_at >= day, EventRow.occurred_at < day + "T99")
    return list(connection.execute(query).all())


def _entries(connection: Connection, booking: Booking, except_uuid: str, kiosk_id: str) -> list[Entry]:
    """The entries recorded for a booking by the gates of its own office (another office's events can
    never use it up), but for this kiosk's own record of the scan being decided (another kiosk's event
    id does not hide that kiosk's entry)."""
    rows = connection.execute(
        select(EventRow.occurred_at, EventRow.gate, EventRow.persons).where(
            EventRow.booking_ref == booking.booking_ref,
            EventRow.office_code == booking.office_code,
            EventRow.persons > 0,
            or_(EventRow.event_uuid != except_uuid, EventRow.kiosk_id != kiosk_id),
        )
    ).all()
    return [Entry(dt.datetime.fromisoformat(r.occurred_at), r.gate, r.persons) for r in rows]


def _booking(row: Any) -> Booking:
    return Booking(
        booking_ref=row.booking_ref,
        office_code=row.office_code,
        service_date=dt.date.fromisoformat(row.service_date),
        slot_start=dt.time.fromisoformat(row.slot_start),
        slot_end=dt.time.fromisoformat(row.slot_end),
        status=Status(row.status),
        party_size=row.party_size,
        category=Category(row.category),
        display_name=row.display_name,
        nik_last4=row.nik_last4,
        code_masked=mask_code(row.code),
        version=row.version,
    )


def _row(event: WireEvent, digest: str, kiosk_row: Any, received: str) -> dict[str, Any]:
    extra = dict(event.extra)
    if event.kiosk_id != kiosk_row.kiosk_id:
        extra["reported_kiosk_id"] = event.kiosk_id
    if event.office_code != kiosk_row.office_code:
        extra["reported_office_code"] = event.office_code
    return {
        "event_uuid": event.event_uuid,
        "office_code": kiosk_row.office_code,
        "kiosk_id": kiosk_row.kiosk_id,
        "gate": event.gate,
        "kind": event.kind,
        "occurred_at": utc_text(event.occurred_at),
        "received_at": received,
        "booking_ref": event.booking_ref,
        "code_masked": event.code_masked,
        "payload_kind": event.payload_kind,
        "verdict": event.verdict,
        "reason": event.reason,
        "persons": event.persons,
        "service_date": event.service_date.isoformat() if event.service_date else None,
        "guard_id": event.guard_id,
        "ref_event": event.ref_event,
        "note": event.note,
        "facts": json.dumps(event.facts, sort_keys=True),
        "extra": json.dumps(extra, sort_keys=True, default=str),
        "audit_seq": event.audit_seq,
        "audit_hash": event.audit_hash,
        "origin": UPLOAD,
        "body_hash": digest,
    }
