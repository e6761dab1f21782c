"""What the dashboard's pages read from the summary tables and the indexes kiosk/server/summaries.py
keeps (issue 17, item 4; figures and EXPLAIN output in docs/dashboard-scale.md): a day's flow and
reasons, guard actions per guard and day, open REFERs, kiosks' counts and anchoring. Every page sums
hours, never a year of event rows."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Date, DateTime, case, cast, func, literal, not_, select, tuple_
from sqlalchemy.orm import aliased

from kiosk.server.db import is_postgres
from kiosk.server.models import (
    AuditEntryRow,
    EventHourlyRow,
    EventRow,
    KioskHealthRow,
    KioskRow,
)
from kiosk.server.summaries import OVERRIDE, RESOLVING_KINDS, actions_only


def day_hours(day: dt.date, zone: str | ZoneInfo) -> tuple[str, str]:
    """The UTC hours [first, end) of an office's local day, as event_hourly.hour text."""
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    start = dt.datetime.combine(day, dt.time(), tz).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.UTC)
    return start.strftime("%Y-%m-%dT%H"), end.strftime("%Y-%m-%dT%H")


def day_times(day: dt.date, zone: str | ZoneInfo) -> tuple[str, str]:
    """The UTC time texts [start, end) of an office's local day, to compare with events.occurred_at."""
    start, end = day_hours(day, zone)
    return start + ":00:00", end + ":00:00"


def flow_by_hour(connection: Connection, office: str, first: str, end: str) -> list[Any]:
    """Scans per UTC hour, gate and verdict: (hour, gate, verdict, events, persons)."""
    h = EventHourlyRow
    return list(
        connection.execute(
            select(h.hour, h.gate, h.verdict, func.sum(h.events), func.sum(h.persons))
            .where(h.office_code == office, h.hour >= first, h.hour < end, h.kind.in_(("scan", "manual")))
            .group_by(h.hour, h.gate, h.verdict)
            .order_by(h.hour, h.gate, h.verdict)
        ).all()
    )


def by_reason(connection: Connection, office: str, first: str, end: str) -> list[Any]:
    """DENY and REFER scans per verdict and reason: (verdict, reason, events)."""
    h = EventHourlyRow
    return list(
        connection.execute(
            select(h.verdict, h.reason, func.sum(h.events))
            .where(
                h.office_code == office,
                h.hour >= first,
                h.hour < end,
                h.kind.in_(("scan", "manual")),
                h.verdict.in_(("DENY", "REFER")),
            )
            .group_by(h.verdict, h.reason)
            .order_by(func.sum(h.events).desc())
        ).all()
    )


def guard_days(
    connection: Connection,
    office: str,
    first: str,
    end: str,
    zone: str | ZoneInfo,
    *,
    gate: str | None = None,
    guard_id: int | None = None,
    reason: str | None = None,
) -> list[Any]:
    """Overrides per kiosk, guard and local day: (kiosk_id, gate, guard_id, day, overrides, persons),
    optionally of one gate, guard number or reason. The local day is the UTC hour shifted by the zone's
    (whole-hour) offset."""
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    offset = int((dt.datetime.now(tz).utcoffset() or dt.timedelta()).total_seconds() // 3600)
    h = EventHourlyRow
    query = select(h.kiosk_id, h.gate, h.guard_id, h.hour, func.sum(h.events), func.sum(h.persons)).where(
        h.office_code == office, h.hour >= first, h.hour < end, h.kind == OVERRIDE
    )
    query = _override_filters(query, gate, guard_id, reason)
    rows = connection.execute(query.group_by(h.kiosk_id, h.gate, h.guard_id, h.hour)).all()
    days: dict[tuple[str, str, int, str], list[int]] = {}
    local_day: dict[str, str] = {}
    shift = dt.timedelta(hours=offset)
    for kiosk_id, gate_of, guard, hour, number, persons in rows:
        day = local_day.get(hour)
        if day is None:
            day = local_day[hour] = (dt.datetime.fromisoformat(hour + ":00") + shift).date().isoformat()
        total = days.setdefault((kiosk_id, gate_of, guard, day), [0, 0])
        total[0] += int(number)
        total[1] += int(persons)
    return [(*key, number, persons) for key, (number, persons) in sorted(days.items())]


def _zone_offset(zone: str | ZoneInfo) -> int:
    """The zone's whole-hour offset from UTC (Indonesia's zones have no summer time)."""
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    return int((dt.datetime.now(tz).utcoffset() or dt.timedelta()).total_seconds() // 3600)


def _local_day(connection: Connection, offset: int) -> Any:
    """SQL: the office-local day of event_hourly.hour ("YYYY-MM-DDTHH", UTC) shifted by `offset` hours."""
    moment = func.replace(EventHourlyRow.hour, "T", " ") + ":00:00"
    if is_postgres(connection):
        return cast(cast(moment, DateTime) + func.make_interval(0, 0, 0, 0, offset), Date)
    return func.date(moment, f"{offset:+d} hours")


def guard_summary(
    connection: Connection,
    office: str,
    first: str,
    end: str,
    zone: str | ZoneInfo,
    norm: int,
    *,
    gate: str | None = None,
    guard_id: int | None = None,
    reason: str | None = None,
) -> list[Any]:
    """Overrides per guard (gate and guard number) over the UTC hours [first, end), summed up in the
    database against the office's norm per day: (gate, guard_id, days with overrides, days over the
    norm, most in one local day, total). For a long range, where `guard_days` would hand a year of
    guard-days to Python (~6,000 rows for an office) only to sum them up again."""
    h = EventHourlyRow
    day = _local_day(connection, _zone_offset(zone))
    query = select(h.gate, h.guard_id, day.label("day"), func.sum(h.events).label("n")).where(
        h.office_code == office, h.hour >= first, h.hour < end, h.kind == OVERRIDE
    )
    query = _override_filters(query, gate, guard_id, reason)
    per_day = query.group_by(h.gate, h.guard_id, day).subquery()
    return list(
        connection.execute(
            select(
                per_day.c.gate,
                per_day.c.guard_id,
                func.count(),
                func.sum(case((per_day.c.n > norm, 1), else_=0)),
                func.max(per_day.c.n),
                func.sum(per_day.c.n),
            )
            .where(per_day.c.n > 0)
            .group_by(per_day.c.gate, per_day.c.guard_id)
            .order_by(per_day.c.gate, per_day.c.guard_id)
        ).all()
    )


def action_groups(connection: Connection, office: str, first: str, end: str) -> list[Any]:
    """The guard actions of an office in the UTC hours [first, end), counted per gate, kiosk, guard,
    kind and reason: (gate, kiosk_id, guard_id, kind, reason, events). What the Overrides page offers
    in its filters, and how many actions each choice of filters keeps, without reading the actions."""
    h = EventHourlyRow
    return list(
        connection.execute(
            select(h.gate, h.kiosk_id, h.guard_id, h.kind, h.reason, func.sum(h.events))
            .where(h.office_code == office, h.hour >= first, h.hour < end, actions_only(h.kind))
            .group_by(h.gate, h.kiosk_id, h.guard_id, h.kind, h.reason)
            .having(func.sum(h.events) > 0)
        ).all()
    )


def open_refers(connection: Connection, office: str, start: str, end: str) -> list[Any]:
    """REFER scans of an office in [start, end) that no guard resolved yet, newest first."""
    action = aliased(EventRow)
    resolved = (
        select(literal(1)).where(action.ref_event == EventRow.event_uuid, action.kind.in_(RESOLVING_KINDS)).exists()
    )
    return list(
        connection.execute(
            select(EventRow.event_uuid, EventRow.gate, EventRow.occurred_at, EventRow.reason, EventRow.booking_ref)
            .where(
                EventRow.office_code == office,
                EventRow.occurred_at >= start,
                EventRow.occurred_at < end,
                EventRow.verdict == "REFER",
                EventRow.kind.in_(("scan", "manual")),
                not_(resolved),
            )
            .order_by(EventRow.occurred_at.desc())
        ).all()
    )


def actions(
    connection: Connection,
    office: str,
    start: str,
    end: str,
    *,
    guard_id: int | None = None,
    gate: str | None = None,
    reason: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Any]:
    """Guard actions of an office in [start, end), newest first, a page at a time (ix_events_office_actions)."""
    query = select(
        EventRow.event_uuid, EventRow.occurred_at, EventRow.gate, EventRow.kiosk_id, EventRow.kind,
        EventRow.reason, EventRow.persons, EventRow.guard_id, EventRow.ref_event, EventRow.note,
    ).where(
        EventRow.office_code == office,
        EventRow.occurred_at >= start,
        EventRow.occurred_at < end,
        actions_only(EventRow.kind),
    )  # fmt: skip
    if guard_id is not None:
        query = query.where(EventRow.guard_id == guard_id)
    if gate:
        query = query.where(EventRow.gate == gate)
    if reason:
        query = query.where(EventRow.reason == reason)
    return list(connection.execute(query.order_by(EventRow.occurred_at.desc()).limit(limit).offset(offset)).all())


def anchored(connection: Connection, office: str | None = None) -> dict[str, int]:
    """Per kiosk: the last audit entry the server holds, one index probe per kiosk (not a GROUP BY
    over every entry held, which reads them all: seconds at national scale)."""
    newest = select(func.max(AuditEntryRow.seq)).where(AuditEntryRow.kiosk_id == KioskRow.kiosk_id).scalar_subquery()
    query = select(KioskRow.kiosk_id, newest)
    if office:
        query = query.where(KioskRow.office_code == office)
    return {kiosk_id: int(seq or 0) for kiosk_id, seq in connection.execute(query).all()}


def anchored_at(connection: Connection, kiosk_ids: list[str]) -> dict[str, tuple[int, str | None]]:
    """Per kiosk: (its newest anchored audit entry, when the server received that entry), by one index
    probe and one primary-key read per kiosk: what the Kiosks page needs, without the
    `max(seq), max(received_at) GROUP BY` that reads every entry of the kiosks' year. The entry with the
    highest seq is the last one received (a kiosk sends its chain in order)."""
    if not kiosk_ids:
        return {}
    newest = {
        kiosk_id: int(seq)
        for kiosk_id, seq in connection.execute(
            select(
                KioskRow.kiosk_id,
                select(func.max(AuditEntryRow.seq))
                .where(AuditEntryRow.kiosk_id == KioskRow.kiosk_id)
                .scalar_subquery(),
            ).where(KioskRow.kiosk_id.in_(kiosk_ids))
        ).all()
        if seq
    }
    if not newest:
        return {}
    received = dict(
        ((kiosk_id, seq), at)
        for kiosk_id, seq, at in connection.execute(
            select(AuditEntryRow.kiosk_id, AuditEntryRow.seq, AuditEntryRow.received_at).where(
                tuple_(AuditEntryRow.kiosk_id, AuditEntryRow.seq).in_(list(newest.items()))
            )
        ).all()
    )
    return {kiosk_id: (seq, received.get((kiosk_id, seq))) for kiosk_id, seq in newest.items()}


def kiosk_rows(connection: Connection, office: str | None = None) -> list[Any]:
    """The Kiosks page's rows: each kiosk, its last contact and health, and how far it is anchored."""
    newest = select(func.max(AuditEntryRow.seq)).where(AuditEntryRow.kiosk_id == KioskRow.kiosk_id).scalar_subquery()
    query = (
        select(
            KioskRow.kiosk_id, KioskRow.office_code, KioskRow.gate, KioskRow.state, KioskRow.last_sync_at,
            KioskRow.audit_seq, KioskRow.audit_alert, KioskRow.outbox_pending, KioskHealthRow.last_contact_at,
            KioskHealthRow.health, newest.label("anchored"),
        )
        .outerjoin(KioskHealthRow, KioskHealthRow.kiosk_id == KioskRow.kiosk_id)
        .order_by(KioskRow.office_code, KioskRow.gate)
    )  # fmt: skip
    if office:
        query = query.where(KioskRow.office_code == office)
    return list(connection.execute(query).all())


def audit_heads(connection: Connection, office: str, end: str) -> list[tuple[str, str, int, str]]:
    """Each kiosk of an office: its last anchored audit entry before `end` (the heads the daily
    report prints for signing): (kiosk_id, gate, seq, hash); seq 0 and no hash where none. Walks each
    kiosk's entries back from the newest (primary key), so a recent day costs a few index pages."""
    newest = (
        select(func.max(AuditEntryRow.seq))
        .where(AuditEntryRow.kiosk_id == KioskRow.kiosk_id, AuditEntryRow.at < end)
        .scalar_subquery()
    )
    heads = connection.execute(
        select(KioskRow.kiosk_id, KioskRow.gate, newest).where(KioskRow.office_code == office).order_by(KioskRow.gate)
    ).all()
    wanted = [(kiosk_id, seq) for kiosk_id, _gate, seq in heads if seq]
    hashes: dict[tuple[str, int], str] = {}
    if wanted:
        hashes = {
            (kiosk_id, seq): value
            for kiosk_id, seq, value in connection.execute(
                select(AuditEntryRow.kiosk_id, AuditEntryRow.seq, AuditEntryRow.hash).where(
                    tuple_(AuditEntryRow.kiosk_id, AuditEntryRow.seq).in_(wanted)
                )
            ).all()
        }
    return [(kiosk_id, gate, int(seq or 0), hashes.get((kiosk_id, seq or 0), "")) for kiosk_id, gate, seq in heads]


def _override_filters(query: Any, gate: str | None, guard_id: int | None, reason: str | None) -> Any:
    """The overrides page's filters (gate, guard, reason) on a query of EventHourlyRow."""
    h = EventHourlyRow
    if gate:
        query = query.where(h.gate == gate)
    if guard_id is not None:
        query = query.where(h.guard_id == guard_id)
    if reason:
        query = query.where(h.reason == reason)
    return query
