"""The outbox: the events the kiosk uploads, batched as wire events, deleted when delivered, counted
when an attempt fails, marked when refused for good (and listed for the IT person).

An outbox row leaves the outbox only when the server has its event (`stored`, `duplicate`). A row is
*refused* (marked with refused_at and refused_reason, kept, never sent again, not counted as
pending) when its failure is final:
* the server answered `conflict`: it holds another body under this event's uuid and keeps it;
* its stored body can never be sent: it is not a JSON object, or it fails the wire model's
  validation (kiosk.protocol.schema.WireEvent; e.g. a masked code longer than the wire allows).
  The body is the kiosk's own record and nothing changes it by itself, so sending it again can
  never succeed; retrying it at every sync would only log the same error for ever. (A later kiosk
  version that can send such a row must say so in a migration that clears its mark, as 0004 made
  the too long masked codes of older events sendable.)
Each refusal is one audit entry `sync.refused` (subject: the event's uuid), in the transaction that
marks the row, with writing() (FULL; the audit head file is moved after it, forward only). Anything
else (a timeout, a dropped connection, 5xx, 429, a garbled answer) is not a refusal: the rows stay
pending, with their attempt count and error, for the next attempt: acknowledgements and attempt
counts use bulk_writing() (see outbox_done()). `kiosk sync status` lists the refused rows; the
guard's status panel counts them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import Connection, delete, func, select, update

from kiosk.protocol.schema import WireEvent
from kiosk.store import audit
from kiosk.store.db import KioskStore
from kiosk.store.schema import OutboxRow
from kiosk.store.times import to_text

log = logging.getLogger(__name__)

_CHUNK = 900

#: Outbox fields that WireEvent names; any other key goes into `extra`.
_WIRE_FIELDS = frozenset(WireEvent.model_fields) - {"extra"}


@dataclass(frozen=True, slots=True)
class Outgoing:
    event_uuid: str
    event: WireEvent | None  # None: the stored body cannot be sent (see `problem`)
    problem: str = ""


@dataclass(frozen=True, slots=True)
class RefusedUpload:
    """An outbox row kept for the IT person: its event, when it was recorded, when and why it was refused."""

    event_uuid: str
    recorded_at: str
    refused_at: str
    reason: str


#: The longest reason kept with a refused row.
_MAX_REASON = 500


def outbox_batch(store: KioskStore, limit: int) -> list[Outgoing]:
    """The oldest pending outbox rows (never refused ones), as wire events. Rows that fail validation
    are returned with their problem: the caller marks them refused (outbox_refused())."""
    with store.reading() as connection:
        rows = connection.execute(
            select(OutboxRow.event_uuid, OutboxRow.body)
            .where(OutboxRow.refused_at.is_(None))
            .order_by(OutboxRow.id)
            .limit(limit)
        ).all()
    return [_outgoing(row.event_uuid, row.body) for row in rows]


def outbox_done(
    store: KioskStore, delivered: Sequence[str], refused: Sequence[tuple[str, str]], now: dt.datetime
) -> int:
    """Delete delivered rows; mark the ones the server refused (a final answer), each with an audit
    entry, in the same transaction. Returns how many were marked refused now.

    Deliveries alone are written with bulk_writing() (no flush under the lock that every scan needs):
    a power cut that takes the deletion back only means uploading those events again, which the
    server answers with `duplicate` (section 4 of docs/sync-protocol.md). A refusal is audited, so
    that transaction is flushed before the audit head file names it (writing())."""
    if not delivered and not refused:
        return 0
    with store.writing() if refused else store.bulk_writing() as connection:
        for chunk in _chunks(list(delivered)):
            connection.execute(delete(OutboxRow).where(OutboxRow.event_uuid.in_(chunk)))
        reasons = [
            (uuid, f"refused by the server (conflict){': ' if detail else ''}{detail}") for uuid, detail in refused
        ]
        marked = _mark_refused(connection, reasons, now)
    if refused:
        store.audit.write_anchor()
    return marked


def outbox_refused(store: KioskStore, refused: Sequence[tuple[str, str]], now: dt.datetime) -> int:
    """Mark rows refused for good (`refused`: uuid and reason), each with an audit entry `sync.refused`
    in the same transaction (flushed; the audit head file then names it). Rows already marked, or
    gone, are left alone. Returns how many were marked now."""
    if not refused:
        return 0
    with store.writing() as connection:
        marked = _mark_refused(connection, refused, now)
    store.audit.write_anchor()
    return marked


def _mark_refused(connection: Connection, refused: Sequence[tuple[str, str]], now: dt.datetime) -> int:
    marked = 0
    for uuid, given in refused:
        reason = " ".join(given.split())[:_MAX_REASON]
        result = connection.execute(
            update(OutboxRow)
            .where(OutboxRow.event_uuid == uuid, OutboxRow.refused_at.is_(None))
            .values(refused_at=to_text(now), refused_reason=reason)
        )
        if not result.rowcount:
            continue
        marked += 1
        log.error("outbox event %s refused for good, kept for the IT person: %s", uuid, reason)
        audit.append(connection, to_text(now), "sync.refused", uuid, audit.canonical_digest({"detail": reason}))
    return marked


def refused_uploads(store: KioskStore, limit: int) -> tuple[list[RefusedUpload], int]:
    """The refused outbox rows, newest refusal first, at most `limit`; and how many there are in all."""
    with store.reading() as connection:
        refused = OutboxRow.refused_at.is_not(None)
        total = int(connection.execute(select(func.count()).select_from(OutboxRow).where(refused)).scalar_one())
        rows = connection.execute(
            select(OutboxRow.event_uuid, OutboxRow.created_at, OutboxRow.refused_at, OutboxRow.refused_reason)
            .where(refused)
            .order_by(OutboxRow.refused_at.desc(), OutboxRow.id.desc())
            .limit(max(limit, 0))
        ).all()
    listed = [RefusedUpload(row[0], row[1], row[2] or "", row[3] or "") for row in rows]
    return listed, total


def outbox_failed(store: KioskStore, uuids: Iterable[str], error: str) -> None:
    """Count a failed attempt on each row (notes for the guard console and the log: bulk_writing())."""
    uuids = list(uuids)
    if not uuids:
        return
    with store.bulk_writing() as connection:
        for chunk in _chunks(uuids):
            connection.execute(
                update(OutboxRow)
                .where(OutboxRow.event_uuid.in_(chunk))
                .values(attempts=OutboxRow.attempts + 1, last_error=error[:500])
            )


def _outgoing(uuid: str, body: str) -> Outgoing:
    try:
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("outbox body is not an object")
        known = {k: v for k, v in data.items() if k in _WIRE_FIELDS}
        facts = known.get("facts")
        if isinstance(facts, str):
            facts = json.loads(facts) if facts else {}
        if isinstance(facts, dict):
            known["facts"] = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in facts.items()}
        extra = {k: v for k, v in data.items() if k not in _WIRE_FIELDS}
        return Outgoing(uuid, WireEvent.model_validate({**known, "extra": extra}))
    except ValidationError as exc:
        return Outgoing(uuid, None, f"cannot be sent: {_validation_problem(exc)}")
    except ValueError as exc:
        return Outgoing(uuid, None, f"cannot be sent: {str(exc)[:300]}")


def _validation_problem(exc: ValidationError) -> str:
    """What fails, field by field, without the values (a note may hold what a guard typed)."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(part) for part in error.get("loc", ())) or "body"
        parts.append(f"{where}: {error.get('msg', '')}")
    more = len(exc.errors()) - len(parts)
    return "; ".join(parts)[:300] + (f" (and {more} more)" if more > 0 else "")


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
