"""The dashboard at national scale: hourly event counts kept with the events, the indexes the pages
need, and the queries that read them (issue 17, item 4; figures in docs/dashboard-scale.md).

A year of 125 offices x 3 kiosks is about 30 million events. The pages never aggregate those rows:

- `event_hourly` (models.EventHourlyRow) holds the events counted per office, UTC hour, gate, kiosk,
  kind, verdict, reason and guard. `count()` adds to it in the SAME transaction that inserts or
  replaces events (kiosk/server/events.py calls it), with an upsert that adds to the stored numbers,
  so any number of server workers (processes, machines) keep it exact; nothing is cached in a process.
  Keys are written in sorted order, so two transactions never take the same rows' locks in opposite
  orders. `kiosk_event_counts` keeps each kiosk's total beside it. Indonesia's zones are whole hours
  from UTC, so UTC hours add up to any office's local day.
- Indexes on `events` (declared in models.py): (office_code, occurred_at) for one office's day across
  gates, a partial index of the guard actions per office and time (Overrides), and one of the actions'
  `ref_event` (is a REFER still open?). Declared here (below): a covering partial index of the actions
  among the hourly counts and one of the actions' keys with the Overrides page's filter columns, and
  `events (received_at)` for retention's daily delete.

`ensure()` runs at every server start (kiosk/server/app.py): CREATE INDEX IF NOT EXISTS for those
indexes (create_all makes indexes only with a new table, never on an existing one) and, once, fills
`event_hourly` from the events a database already holds (marked in server_meta, so it runs once). On
PostgreSQL it holds an advisory lock, so several workers starting together do it once, and locks
`events` against writes while it counts, so no upload is counted twice or missed.

Retention (kiosk/server/retention.py) takes the events it deletes out of the counts too, in its
transaction (`count(..., -1)` on the rows its DELETE returns); `purge_before()` then drops the hours
left at zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Engine,
    Index,
    case,
    cast,
    delete,
    func,
    insert,
    inspect,
    literal,
    not_,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import aliased
from sqlalchemy.schema import CreateIndex

from kiosk.server.db import insert_for, is_postgres, writing
from kiosk.server.models import (
    ACTION_KINDS,
    AuditEntryRow,
    EventHourlyRow,
    EventRow,
    KioskEventCountRow,
    KioskHealthRow,
    KioskRow,
    MetaRow,
)

#: server_meta key: event_hourly was filled from the events already held.
FILLED_KEY = "event_hourly_filled"
#: The advisory lock key of ensure() on PostgreSQL (any constant of our own).
_LOCK_KEY = 17_004_001
#: Indexes that the dashboard needs (models.py), created on an existing table by ensure().
DASHBOARD_INDEXES = (
    "ix_events_office_time",
    "ix_events_office_actions",
    "ix_events_ref_event",
    "ix_event_hourly_office_kind_hour",
    "ix_event_hourly_actions",
    "ix_events_received_at",
    "ix_events_office_actions_keys",
)

#: The guard actions among the hourly counts (a third of them), covering what the Overrides page reads:
#: its filter choices and how many actions a choice keeps over a year are an index-only scan of the
#: office's ~15,000 entries, where the rows themselves lie scattered over the table (a year: ~14,000
#: heap pages read). Declared here (with the table's metadata, so a new database gets it from
#: create_all too) and made on an existing one by ensure().
Index(
    "ix_event_hourly_actions",
    EventHourlyRow.office_code,
    EventHourlyRow.hour,
    postgresql_include=["kind", "gate", "kiosk_id", "guard_id", "reason", "events"],
    postgresql_where=EventHourlyRow.kind.in_(ACTION_KINDS),
    sqlite_where=EventHourlyRow.kind.in_(ACTION_KINDS),
)

#: The Overrides page's rows a page at a time, newest first, by any of its filters (gate, guard, kind,
#: reason): the filters are checked in the index and only the page's rows are read from the table
#: (index-only, then by primary key). By `ix_events_office_actions` alone, a filter that keeps few of
#: an office's ~16,000 actions a year reads each of them from the table first: 0.7-0.8 s when they are
#: not in memory.
Index(
    "ix_events_office_actions_keys",
    EventRow.office_code,
    EventRow.occurred_at,
    EventRow.event_uuid,
    postgresql_include=["gate", "guard_id", "kind", "reason"],
    postgresql_where=EventRow.kind.in_(ACTION_KINDS),
    sqlite_where=EventRow.kind.in_(ACTION_KINDS),
)
#: Retention (kiosk/server/retention.py) deletes the events received before its cutoff: without this,
#: the daily purge reads the whole table (a sequential scan of 30 M rows, 19 GB, in its write
#: transaction); with it, the few days that fall past the cutoff.
Index("ix_events_received_at", EventRow.received_at)

_KEY = ("office_code", "hour", "gate", "kiosk_id", "kind", "verdict", "reason", "guard_id")
#: The columns of `events` the counts are kept by: what count() needs of a row (RETURNING these).
COUNTED = (
    EventRow.office_code, EventRow.occurred_at, EventRow.gate, EventRow.kiosk_id, EventRow.kind,
    EventRow.verdict, EventRow.reason, EventRow.guard_id, EventRow.persons,
)  # fmt: skip
#: "override" written into the SQL text (see actions_only): a reason filter can then still use ix_event_hourly_actions.
_OVERRIDE = literal("override", literal_execute=True)
#: Actions that resolve a REFER or DENY scan (kiosk.store.guard_actions.RESOLVING).
RESOLVING_KINDS = ("override", "dismiss", "ack")


def actions_only(column: Any) -> Any:
    """`column IN ('override', 'dismiss', 'ack', 'note')` with the kinds written into the SQL text, not
    sent as parameters: the partial indexes of the actions (ix_events_office_actions*,
    ix_event_hourly_actions) have this list as their predicate, and psycopg prepares a statement after
    its 5th run, from when PostgreSQL may plan it generically, without the parameters' values, and so
    can no longer prove that the index covers the query (measured: the Overrides page's counts went
    from 10 ms to 85-350 ms from a worker connection's 11th request on)."""
    return column.in_([literal(kind, literal_execute=True) for kind in ACTION_KINDS])


def hour_of(occurred_at: str) -> str:
    """The summary hour of an event's UTC time text ("2026-12-06T07:15:00.000000+00:00" -> "2026-12-06T07")."""
    return occurred_at[:13]


def count(connection: Connection, rows: Iterable[Mapping[Any, Any]], sign: int = 1) -> None:
    """Add (sign 1) or take away (sign -1) events, as rows with EventRow's columns, in the caller's
    transaction."""
    totals: dict[tuple[Any, ...], list[int]] = {}
    for row in rows:
        key = (
            row["office_code"],
            hour_of(row["occurred_at"]),
            row["gate"],
            row["kiosk_id"],
            row["kind"],
            row["verdict"],
            row["reason"],
            row.get("guard_id") or 0,
        )
        total = totals.setdefault(key, [0, 0])
        total[0] += sign
        total[1] += sign * int(row.get("persons") or 0)
    if not totals:
        return
    values = [
        {**dict(zip(_KEY, key, strict=True)), "events": number, "persons": persons}
        for key, (number, persons) in sorted(totals.items())
    ]
    statement = insert_for(connection, EventHourlyRow)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=list(_KEY),
            set_={
                "events": EventHourlyRow.events + statement.excluded.events,
                "persons": EventHourlyRow.persons + statement.excluded.persons,
            },
        ),
        values,
    )
    per_kiosk: dict[str, int] = {}
    for key, (number, _persons) in totals.items():
        per_kiosk[key[3]] = per_kiosk.get(key[3], 0) + number
    kiosk_statement = insert_for(connection, KioskEventCountRow)
    connection.execute(
        kiosk_statement.on_conflict_do_update(
            index_elements=["kiosk_id"],
            set_={"events": KioskEventCountRow.events + kiosk_statement.excluded.events},
        ),
        [{"kiosk_id": kiosk_id, "events": number} for kiosk_id, number in sorted(per_kiosk.items())],
    )


def forget(connection: Connection, deleted: Any) -> int:
    """Take deleted events (a DELETE ... RETURNING COUNTED) out of the counts; how many there were."""
    number = 0
    for rows in deleted.mappings().partitions(10_000):
        count(connection, rows, -1)
        number += len(rows)
    return number


def ensure(engine: Engine) -> None:
    """The dashboard's indexes on an existing database, and event_hourly filled once from its events."""
    with writing(engine) as connection:
        postgres = is_postgres(connection)
        if postgres:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        for table in ("events", "event_hourly"):
            # only the missing ones: even CREATE INDEX IF NOT EXISTS locks the table against writes first
            held = {index["name"] for index in inspect(connection).get_indexes(table)}
            for index in EventRow.metadata.tables[table].indexes:
                if index.name in DASHBOARD_INDEXES and index.name not in held:
                    connection.execute(CreateIndex(index, if_not_exists=True))
        if connection.execute(select(MetaRow.value).where(MetaRow.key == FILLED_KEY)).scalar() is not None:
            return
        if postgres:  # no upload may commit events between the count and the mark
            connection.execute(text("LOCK TABLE events IN SHARE MODE"))
        fill(connection)
        connection.execute(insert(MetaRow).values(key=FILLED_KEY, value=_now_text()))


def fill(connection: Connection) -> None:
    """Count every event held into event_hourly afresh (ensure(), and the benchmark after its bulk load)."""
    connection.execute(delete(EventHourlyRow))
    hour = func.substr(EventRow.occurred_at, 1, 13)
    guard = func.coalesce(EventRow.guard_id, 0)
    columns = (EventRow.office_code, hour, EventRow.gate, EventRow.kiosk_id, EventRow.kind, EventRow.verdict,
               EventRow.reason, guard)  # fmt: skip
    counted = select(*columns, func.count(), func.coalesce(func.sum(EventRow.persons), 0)).group_by(*columns)
    connection.execute(insert(EventHourlyRow).from_select([*_KEY, "events", "persons"], counted))
    connection.execute(delete(KioskEventCountRow))
    per_kiosk = select(EventHourlyRow.kiosk_id, func.sum(EventHourlyRow.events)).group_by(EventHourlyRow.kiosk_id)
    connection.execute(insert(KioskEventCountRow).from_select(["kiosk_id", "events"], per_kiosk))


def events_per_kiosk(connection: Connection) -> dict[str, int]:
    """Events held per kiosk (the Kiosks page's "events here")."""
    return {k: int(n) for k, n in connection.execute(select(KioskEventCountRow.kiosk_id, KioskEventCountRow.events))}


def purge_before(connection: Connection, before: str) -> int:
    """Delete the counts left at zero of hours before `before` (UTC time text); how many rows went."""
    result = connection.execute(
        delete(EventHourlyRow).where(
            EventHourlyRow.hour < hour_of(before), EventHourlyRow.events == 0, EventHourlyRow.persons == 0
        )
    )
    return int(result.rowcount or 0)


def _now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# --- what the pages read --------------------------------------------------------------------------------------------


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
        h.office_code == office, h.hour >= first, h.hour < end, h.kind == _OVERRIDE
    )
    if gate:
        query = query.where(h.gate == gate)
    if guard_id is not None:
        query = query.where(h.guard_id == guard_id)
    if reason:
        query = query.where(h.reason == reason)
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
        h.office_code == office, h.hour >= first, h.hour < end, h.kind == _OVERRIDE
    )
    if gate:
        query = query.where(h.gate == gate)
    if guard_id is not None:
        query = query.where(h.guard_id == guard_id)
    if reason:
        query = query.where(h.reason == reason)
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
