"""One office day across every gate: the Today page and the daily report share it.

Scans (kinds scan and manual) are counted per hour, gate and verdict; DENY and REFER per reason; guard
actions per guard, reason and kind; open REFERs are referred scans no guard resolved (override,
dismiss, acknowledge). Times are the office's local time; events are stored in UTC."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from kiosk.server.models import EventRow
from kiosk.server.web.labels import ACTION_KINDS, DECISION_KINDS, RESOLVING_KINDS, is_broker
from kiosk.server.web.queries.common import day_bounds, local_time


def guard_label(kiosk_id: str, gate: str, guard_id: int | None) -> str:
    """A guard as the server knows one: the kiosk keeps the names, the server only the guard's number
    on that kiosk, so "G1 #3" (gate, number)."""
    return f"{gate} #{guard_id if guard_id is not None else '?'}"


@dataclass
class Scan:
    event_uuid: str
    at: dt.datetime
    gate: str
    kiosk_id: str
    verdict: str
    reason: str
    booking_ref: str | None
    code_masked: str
    persons: int


@dataclass
class Action:
    event_uuid: str
    at: dt.datetime
    gate: str
    kiosk_id: str
    guard: str
    kind: str
    reason: str
    persons: int
    booking_ref: str | None
    code_masked: str
    note: str
    ref_event: str | None
    ref_at: dt.datetime | None = None
    ref_verdict: str = ""
    ref_reason: str = ""


@dataclass
class Day:
    day: dt.date
    zone: ZoneInfo
    gates: list[str] = field(default_factory=list)
    #: (hour, gate) -> verdict -> scans
    per_hour_gate: dict[tuple[int, str], Counter[str]] = field(default_factory=dict)
    #: hour -> verdict -> scans (all gates)
    per_hour: dict[int, Counter[str]] = field(default_factory=dict)
    totals: Counter[str] = field(default_factory=Counter)
    #: (verdict, reason) -> scans, DENY and REFER only
    per_reason: Counter[tuple[str, str]] = field(default_factory=Counter)
    persons_admitted: int = 0
    open_refers: list[Scan] = field(default_factory=list)
    brokers: list[Scan] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    overrides_per_guard: Counter[str] = field(default_factory=Counter)
    overrides_per_reason: Counter[str] = field(default_factory=Counter)
    actions_per_kind: Counter[str] = field(default_factory=Counter)

    @property
    def hours(self) -> list[int]:
        return sorted(self.per_hour)

    @property
    def peak(self) -> int:
        return max((sum(c.values()) for c in self.per_hour_gate.values()), default=0)


def _rows(connection: Connection, office_code: str, start: str, end: str) -> list[Any]:
    return list(
        connection.execute(
            select(
                EventRow.event_uuid,
                EventRow.kiosk_id,
                EventRow.gate,
                EventRow.kind,
                EventRow.occurred_at,
                EventRow.verdict,
                EventRow.reason,
                EventRow.persons,
                EventRow.booking_ref,
                EventRow.code_masked,
                EventRow.guard_id,
                EventRow.ref_event,
                EventRow.note,
            )
            .where(EventRow.office_code == office_code, EventRow.occurred_at >= start, EventRow.occurred_at < end)
            .order_by(EventRow.occurred_at)
        ).all()
    )


def office_day(connection: Connection, office_code: str, day: dt.date, zone: ZoneInfo) -> Day:
    start, end = day_bounds(day, zone)
    result = Day(day, zone)
    scans: dict[str, Scan] = {}
    resolved: set[str] = set()
    gates: set[str] = set()
    for row in _rows(connection, office_code, start, end):
        at = local_time(row.occurred_at, zone)
        gates.add(row.gate)
        if row.kind in DECISION_KINDS:
            scan = Scan(
                row.event_uuid, at, row.gate, row.kiosk_id, row.verdict, row.reason, row.booking_ref,
                row.code_masked, row.persons,
            )  # fmt: skip
            scans[row.event_uuid] = scan
            result.per_hour_gate.setdefault((at.hour, row.gate), Counter())[row.verdict] += 1
            result.per_hour.setdefault(at.hour, Counter())[row.verdict] += 1
            result.totals[row.verdict] += 1
            result.persons_admitted += row.persons
            if row.verdict in ("DENY", "REFER"):
                result.per_reason[(row.verdict, row.reason)] += 1
            if is_broker(row.reason):
                result.brokers.append(scan)
        elif row.kind in ACTION_KINDS:
            guard = guard_label(row.kiosk_id, row.gate, row.guard_id)
            action = Action(
                row.event_uuid, at, row.gate, row.kiosk_id, guard, row.kind, row.reason, row.persons,
                row.booking_ref, row.code_masked, row.note or "", row.ref_event,
            )  # fmt: skip
            result.actions.append(action)
            result.actions_per_kind[row.kind] += 1
            if row.kind == "override":
                result.overrides_per_guard[guard] += 1
                result.overrides_per_reason[row.reason] += 1
                result.persons_admitted += row.persons
            if row.kind in RESOLVING_KINDS and row.ref_event:
                resolved.add(row.ref_event)
    for action in result.actions:
        ref = scans.get(action.ref_event or "")
        if ref is not None:
            action.ref_at, action.ref_verdict, action.ref_reason = ref.at, ref.verdict, ref.reason
    result.open_refers = [s for s in scans.values() if s.verdict == "REFER" and s.event_uuid not in resolved]
    result.gates = sorted(gates)
    return result
