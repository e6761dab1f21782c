"""The Overrides page: the guard actions of an office across gates in a date range, with filters, a page
at a time (newest first), and per guard the overrides per day against the office's norm.

At national scale (docs/dashboard-scale.md) an office holds ~16,000 actions a year. The page never reads
them all: the filter choices, the number of actions the filters keep and the overrides per guard per
day come from the hourly counts (kiosk/server/summaries.py: `action_groups`, `guard_days`), and the
rows are read a page at a time from `ix_events_office_actions`, continuing before the last row shown
(`before`: its event id) rather than by an offset, so an older page costs the same as the first; the
filters are checked in `ix_events_office_actions_keys` (summaries.py), and only the page's rows read."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, or_, select

from kiosk.server import summaries, summary_reads
from kiosk.server.models import EventRow
from kiosk.server.web.labels import ACTION_KINDS
from kiosk.server.web.queries.common import local_time, range_bounds
from kiosk.server.web.queries.day import Action, guard_label

#: Actions shown per page; the rest are a click on "older" away.
PAGE = 200
MAX_DAYS = 366
#: Ranges up to this many days get the per-guard-per-day grid; longer ones a summary per guard.
GRID_DAYS = 31
_GUARD = re.compile(r"^(?P<gate>.{1,32}) #(?P<id>\d{1,9})$")
_EVENT_ID = re.compile(r"^[0-9A-Za-z-]{1,36}$")


@dataclass(frozen=True)
class Filters:
    first: dt.date
    last: dt.date
    guard: str = ""
    reason: str = ""
    gate: str = ""
    kind: str = ""

    def query(self) -> dict[str, str]:
        """The filters as the page's URL parameters (for the "older" and "newest" links)."""
        values = {"from": self.first.isoformat(), "to": self.last.isoformat(), "guard": self.guard,
                  "reason": self.reason, "gate": self.gate, "kind": self.kind}  # fmt: skip
        return {name: value for name, value in values.items() if value}


@dataclass
class GuardLine:
    """One guard's overrides in the range against the office's norm per day: per day for a short range
    (the grid), summed up by the database for a long one."""

    guard: str
    per_day: Counter[dt.date] = field(default_factory=Counter)
    #: days with overrides, days over the norm, most in one day, overrides in all
    days: int = 0
    over: int = 0
    most: int = 0
    total: int = 0

    def add_up(self, norm: int) -> None:
        counts = [n for n in self.per_day.values() if n]
        self.days, self.over = len(counts), sum(1 for n in counts if n > norm)
        self.most, self.total = max(counts, default=0), sum(counts)


@dataclass
class Overrides:
    filters: Filters
    #: this page of actions, newest first
    actions: list[Action] = field(default_factory=list)
    #: every action the filters keep in the range (not only this page)
    total: int = 0
    #: the event id this page continues before ("" on the first page)
    before: str = ""
    #: the event id to continue before for the next, older page ("" when this is the last)
    older: str = ""
    per_guard: list[GuardLine] = field(default_factory=list)
    #: the days of the per-guard grid (empty for a range longer than GRID_DAYS: a summary per guard instead)
    days: list[dt.date] = field(default_factory=list)
    gates: list[str] = field(default_factory=list)
    guards: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def grid(self) -> bool:
        return bool(self.days)

    @property
    def range_days(self) -> int:
        return (self.filters.last - self.filters.first).days + 1


def overrides(
    connection: Connection, office_code: str, zone: ZoneInfo, filters: Filters, before: str = "", norm: int = 10
) -> Overrides:
    start, end = range_bounds(filters.first, filters.last, zone)
    first_hour, end_hour = summaries.hour_of(start), summaries.hour_of(end)
    result = Overrides(filters)
    kind = filters.kind if filters.kind in ACTION_KINDS else ""
    match = _GUARD.match(filters.guard) if filters.guard else None
    guard_gate, guard_id = (match["gate"], int(match["id"])) if match is not None else ("", None)
    # the choices of the filter form (what the range holds, before the filters narrow it), and how many
    # actions the filters keep: from the hourly counts, never from the actions themselves
    total = 0
    gates: set[str] = set()
    guards: set[str] = set()
    reasons: set[str] = set()
    for gate, kiosk_id, guard, kind_of, reason, number in summary_reads.action_groups(
        connection, office_code, first_hour, end_hour
    ):
        gates.add(gate)
        guards.add(guard_label(kiosk_id, gate, guard or None))
        reasons.add(reason)
        if (
            (not filters.gate or gate == filters.gate)
            and (not filters.reason or reason == filters.reason)
            and (not kind or kind_of == kind)
            and (match is None or (gate == guard_gate and guard == guard_id))
        ):
            total += int(number)
    result.gates, result.guards, result.reasons = sorted(gates), sorted(guards), sorted(reasons)
    if filters.guard and match is None:
        return result  # a guard that cannot exist: nothing
    result.total = total
    if filters.gate and match is not None and filters.gate != guard_gate:
        result.total = 0
    where = [
        EventRow.office_code == office_code,
        EventRow.occurred_at >= start,
        EventRow.occurred_at < end,
        summaries.actions_only(EventRow.kind),  # in the SQL text: the partial indexes' predicate
    ]
    if filters.gate:
        where.append(EventRow.gate == filters.gate)
    if filters.reason:
        where.append(EventRow.reason == filters.reason)
    if kind:
        where.append(EventRow.kind == kind)
    if match is not None:
        where += [EventRow.gate == guard_gate, EventRow.guard_id == guard_id]
    if result.total:
        _page(connection, result, office_code, zone, where, before)
    _per_guard(connection, result, office_code, zone, norm, (first_hour, end_hour), kind, guard_gate, guard_id)
    return result


def _page(
    connection: Connection, result: Overrides, office_code: str, zone: ZoneInfo, where: list[Any], before: str
) -> None:
    """One page of actions, newest first, continuing before the event `before` (when it is one of them)."""
    if before and _EVENT_ID.match(before):
        cursor = connection.execute(
            select(EventRow.occurred_at, EventRow.event_uuid).where(*where, EventRow.event_uuid == before)
        ).first()
        if cursor is not None:
            at, uuid = cursor
            result.before = uuid
            where = [
                *where,
                EventRow.occurred_at <= at,
                or_(EventRow.occurred_at < at, and_(EventRow.occurred_at == at, EventRow.event_uuid < uuid)),
            ]
    # the page's keys first (index-only by ix_events_office_actions_keys, the filters checked in the
    # index), then those rows by primary key: a filter that keeps few actions reads no others
    keys = connection.execute(
        select(EventRow.event_uuid)
        .where(*where)
        .order_by(EventRow.occurred_at.desc(), EventRow.event_uuid.desc())
        .limit(PAGE + 1)
    ).all()
    ids = [key.event_uuid for key in keys[:PAGE]]
    if len(keys) > PAGE:
        result.older = ids[-1]
    if not ids:
        return
    fetched = {row.event_uuid: row for row in connection.execute(select(EventRow).where(EventRow.event_uuid.in_(ids)))}
    rows = [fetched[event_id] for event_id in ids if event_id in fetched]
    for row in rows:
        result.actions.append(
            Action(
                row.event_uuid,
                local_time(row.occurred_at, zone),
                row.gate,
                row.kiosk_id,
                guard_label(row.kiosk_id, row.gate, row.guard_id),
                row.kind,
                row.reason,
                row.persons,
                row.booking_ref,
                row.code_masked,
                row.note or "",
                row.ref_event,
            )
        )
    refs = sorted({a.ref_event for a in result.actions if a.ref_event})  # scans of this office only
    found: dict[str, Any] = {}
    if refs:  # at most PAGE: one primary-key read each
        for ref in connection.execute(
            select(EventRow.event_uuid, EventRow.occurred_at, EventRow.verdict, EventRow.reason).where(
                EventRow.event_uuid.in_(refs), EventRow.office_code == office_code
            )
        ):
            found[ref.event_uuid] = ref
    for action in result.actions:
        scan = found.get(action.ref_event or "")
        if scan is not None:
            action.ref_at = local_time(scan.occurred_at, zone)
            action.ref_verdict, action.ref_reason = scan.verdict, scan.reason


def _per_guard(
    connection: Connection,
    result: Overrides,
    office_code: str,
    zone: ZoneInfo,
    norm: int,
    hours: tuple[str, str],
    kind: str,
    guard_gate: str,
    guard_id: int | None,
) -> None:
    """Overrides per guard from the hourly counts, kept by the same filters as the rows: per local day
    for a short range, summed up against the norm by the database for a long one."""
    filters = result.filters
    if result.range_days <= GRID_DAYS:
        day = filters.first
        while day <= filters.last:
            result.days.append(day)
            day += dt.timedelta(days=1)
    if kind and kind != "override":
        return
    if filters.gate and guard_gate and filters.gate != guard_gate:
        return
    narrowed: dict[str, Any] = {"gate": filters.gate or guard_gate or None, "guard_id": guard_id,
                                "reason": filters.reason or None}  # fmt: skip
    lines: dict[str, GuardLine] = {}
    if not result.grid:
        for gate, guard, days, over, most, total in summary_reads.guard_summary(
            connection, office_code, *hours, zone, norm, **narrowed
        ):
            label = guard_label("", gate, guard or None)
            lines[label] = GuardLine(label, days=int(days), over=int(over), most=int(most), total=int(total))
        result.per_guard = [lines[label] for label in sorted(lines)]
        return
    for kiosk_id, gate, guard, day_text, number, _persons in summary_reads.guard_days(
        connection, office_code, *hours, zone, **narrowed
    ):
        if number:
            label = guard_label(kiosk_id, gate, guard or None)
            lines.setdefault(label, GuardLine(label)).per_day[dt.date.fromisoformat(day_text)] += int(number)
    for line in lines.values():
        line.add_up(norm)
    result.per_guard = [lines[label] for label in sorted(lines)]
