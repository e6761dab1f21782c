"""The dashboard at national scale: hourly event counts kept with the events, the indexes the pages
need (issue 17, item 4; figures in docs/dashboard-scale.md); what the pages read from them is in
kiosk/server/summary_reads.py.

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

from sqlalchemy import (
    Connection,
    Engine,
    Index,
    delete,
    func,
    insert,
    inspect,
    literal,
    select,
    text,
)
from sqlalchemy.schema import CreateIndex

from kiosk.server.db import insert_for, is_postgres, writing
from kiosk.server.models import (
    ACTION_KINDS,
    EventHourlyRow,
    EventRow,
    KioskEventCountRow,
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
OVERRIDE = literal("override", literal_execute=True)
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
