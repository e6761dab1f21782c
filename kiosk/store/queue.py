"""The guard's queue: today's denied and referred scans, open ones first, with what the guard needs to
compare with the applicant's ID card (names and NIK last 4), who resolved them and the notes.

Its own module because it is what the console reads, not what it writes (guard_actions.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from kiosk.domain.model import Booking, OfficeRules, Verdict
from kiosk.store import bookings as booking_repo
from kiosk.store.db import KioskStore
from kiosk.store.guard_actions import DECISION_KINDS, RESOLVING, ActionKind
from kiosk.store.schema import BookingRow, GuardRow, ScanEventRow
from kiosk.store.times import from_text, to_text


@dataclass(frozen=True, slots=True)
class Resolution:
    kind: ActionKind
    guard_name: str
    at: dt.datetime
    reason: str
    persons: int
    note: str


@dataclass(frozen=True, slots=True)
class GuardNote:
    guard_name: str
    at: dt.datetime
    text: str


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One denied or referred scan as the guard sees it: enough to compare with the applicant's ID card."""

    event_uuid: str
    at: dt.datetime  # UTC
    local_time: str  # "HH.MM" in the office's zone
    verdict: Verdict
    reason: str
    source: str
    gate: str
    code_masked: str
    payload_kind: str
    booking_ref: str | None
    display_name: str
    nik_last4: str
    party_size: int | None
    category: str
    slot: str  # "10.30-11.30", empty when the booking is unknown
    first_entry_time: str  # for ALREADY_ADMITTED: "HH.MM" office time
    first_entry_gate: str
    booking_tampered: bool = False
    resolution: Resolution | None = None
    notes: tuple[GuardNote, ...] = ()
    #: Which path decided (the door's facts): "server" (the online check across gates) or "local".
    decided_by: str = "local"
    #: Why this kiosk decided without the server's answer (timeout, unreachable, not enrolled, ...).
    fallback: str = ""

    @property
    def is_open(self) -> bool:
        return self.resolution is None


def today_bounds(rules: OfficeRules, now: dt.datetime, day: dt.date | None = None) -> tuple[dt.date, str, str]:
    """The office-local day holding `now` (or `day`) and its start and end as stored UTC text."""
    tz = rules.tz
    day = day or now.astimezone(tz).date()
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    return day, to_text(start), to_text(start + dt.timedelta(days=1))


def queue(store: KioskStore, now: dt.datetime, limit: int = 500) -> list[QueueItem]:
    """Today's DENY and REFER scans, open ones first, newest first within each group."""
    rules = store.settings.rules()
    _, start, end = today_bounds(rules, now)
    with store.reading() as connection:
        rows = [
            dict(r._mapping)
            for r in connection.execute(
                select(ScanEventRow)
                .where(
                    ScanEventRow.occurred_at >= start,
                    ScanEventRow.occurred_at < end,
                    ScanEventRow.kind.in_(DECISION_KINDS),
                    ScanEventRow.verdict.in_([Verdict.DENY.value, Verdict.REFER.value]),
                )
                .order_by(ScanEventRow.occurred_at.desc())
                .limit(limit)
            )
        ]
        uuids = [r["event_uuid"] for r in rows]
        actions = _actions_for(connection, uuids)
        bookings = _bookings_for(store, connection, {r["code_hash"] for r in rows if r["code_hash"]})
    items = [
        _queue_item(row, rules, bookings.get(row["code_hash"]), actions.get(row["event_uuid"], [])) for row in rows
    ]
    items.sort(key=lambda item: (not item.is_open, -item.at.timestamp()))
    return items


def _actions_for(connection: Connection, uuids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for chunk_start in range(0, len(uuids), 500):
        chunk = uuids[chunk_start : chunk_start + 500]
        for row in connection.execute(
            select(ScanEventRow, GuardRow.name.label("guard_name"))
            .join(GuardRow, GuardRow.id == ScanEventRow.guard_id, isouter=True)
            .where(ScanEventRow.ref_event.in_(chunk))
            .order_by(ScanEventRow.id)
        ):
            mapping = dict(row._mapping)
            found.setdefault(mapping["ref_event"], []).append(mapping)
    return found


_TAMPERED = object()


def _bookings_for(store: KioskStore, connection: Connection, hashes: Iterable[bytes]) -> dict[bytes, Any]:
    """Bookings by code hash; a row that fails its seal maps to _TAMPERED (shown as such, not trusted)."""
    found: dict[bytes, Any] = {}
    wanted = list(hashes)
    for chunk_start in range(0, len(wanted), 500):
        chunk = wanted[chunk_start : chunk_start + 500]
        for row in connection.execute(select(BookingRow).where(BookingRow.code_hash.in_(chunk))):
            try:
                found[row.code_hash] = booking_repo.from_row(store.hasher, row)
            except booking_repo.TamperedRowError:
                found[row.code_hash] = _TAMPERED
    return found


def _queue_item(row: dict[str, Any], rules: OfficeRules, booking: Any, actions: list[dict[str, Any]]) -> QueueItem:
    facts = _facts(row["facts"])
    at = from_text(row["occurred_at"])
    known: Booking | None = booking if isinstance(booking, Booking) else None
    resolution: Resolution | None = None
    notes: list[GuardNote] = []
    for action in actions:
        action_at = from_text(action["occurred_at"])
        guard_name = action["guard_name"] or "?"
        if action["kind"] == ActionKind.NOTE:
            notes.append(GuardNote(guard_name, action_at, action["note"] or ""))
        elif resolution is None and action["kind"] in RESOLVING:
            resolution = Resolution(
                ActionKind(action["kind"]),
                guard_name,
                action_at,
                action["reason"],
                action["persons"],
                action["note"] or "",
            )
            if action["note"]:
                notes.append(GuardNote(guard_name, action_at, action["note"]))
    return QueueItem(
        event_uuid=row["event_uuid"],
        at=at,
        local_time=f"{at.astimezone(rules.tz):%H.%M}",
        verdict=Verdict(row["verdict"]),
        reason=row["reason"],
        source=facts.get("source", row["kind"]),
        gate=row["gate"],
        code_masked=row["code_masked"],
        payload_kind=row["payload_kind"],
        booking_ref=row["booking_ref"],
        display_name=known.display_name if known else "",
        nik_last4=known.nik_last4 if known else "",
        party_size=known.party_size if known else None,
        category=known.category.value if known else "",
        slot=f"{known.slot_start:%H.%M}-{known.slot_end:%H.%M}" if known else "",
        first_entry_time=facts.get("first_entry_time", ""),
        first_entry_gate=facts.get("first_entry_gate", ""),
        booking_tampered=booking is _TAMPERED,
        resolution=resolution,
        notes=tuple(notes),
        decided_by=facts.get("decided_by", "local"),
        fallback=facts.get("fallback", ""),
    )


def _facts(text: str | None) -> dict[str, str]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
