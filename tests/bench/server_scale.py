"""The dashboard at national scale (issue 17, item 4): fill PostgreSQL with a year of events of every
office and time what each page reads.

    eval "$(scripts/start-postgres)"                       # or any cluster: --dsn / KIOSK_BENCH_PG_DSN
    python -m tests.bench.server_scale fill --offices 125 --kiosks 3 --days 365    # ~30 M events
    python -m tests.bench.server_scale time --runs 40                               # the pages' queries
    python -m tests.bench.server_scale time --http --runs 40                        # the pages over HTTP
    python -m tests.bench.server_scale explain --out build/explain.txt             # EXPLAIN (ANALYZE, BUFFERS)
    python -m tests.bench.server_scale fill --offices 5 --days 30                   # a quick small run

`fill` makes the database `kiosk_scale` (`--database`) in the cluster afresh, creates the server's
schema with the server's own code (init_schema), then writes the rows with PostgreSQL itself (INSERT
... SELECT over generate_series, one office per transaction): offices, kiosks with their health, the
events of every kiosk and day (weekdays `--per-weekday` scans, weekends `--per-weekend`; verdicts
and reasons in realistic shares; about half the DENY/REFER scans get a guard action: override,
dismiss or note, a few minutes later), each event's audit entry (consecutive per kiosk), and the
bookings of the days retention keeps (7 days back, 14 ahead). Secondary indexes and primary keys are
dropped during the load and built afterwards; then the dashboard's own part runs as on a server
start on an existing database (kiosk.server.summaries.ensure: its indexes, and the hourly counts
filled from the events), then VACUUM ANALYZE. Every step is timed, with /proc/loadavg, and the
database's size is printed.

The audit entries' hashes are placeholders of the right length (a hash chain cannot be made by a
set-based INSERT), which no page verifies. The events span the `--days` days up to today (office
time), so "today" and "yesterday" are full days.

`time` runs each page's queries (kiosk/server/summaries.py, and kiosk/server/kiosks.py's listing as
the CLI and the page use it) `--runs` times against random offices and prints p50/p95 per page;
`--http` GETs the real pages of a `kiosk server run` with `--workers` on the database, logged in as a
national auditor made with `kiosk server user add` (the web pages of kiosk/server/web). Target: every
page <= 300 ms p95.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import secrets
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, create_engine, event, select, text

from kiosk.server import anchor, kiosks, offices, summaries, summary_reads
from kiosk.server.db import init_schema, make_engine, reading
from kiosk.server.models import BookingRow, OfficeRow

TARGET_P95_MS = 300.0
ZONES = {"Asia/Jakarta": 7, "Asia/Makassar": 8, "Asia/Jayapura": 9}
DASHBOARD = summaries.DASHBOARD_INDEXES
BIG_TABLES = ("events", "audit_entries", "bookings")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.server_scale", description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=os.environ.get("KIOSK_BENCH_PG_DSN") or os.environ.get("KIOSK_TEST_PG_DSN"))
    parser.add_argument("--database", default="kiosk_scale")
    commands = parser.add_subparsers(dest="command", required=True)
    fill = commands.add_parser("fill", help="make and fill the database afresh")
    fill.add_argument("--offices", type=int, default=125)
    fill.add_argument("--kiosks", type=int, default=3, help="kiosks (gates) per office")
    fill.add_argument("--days", type=int, default=365)
    fill.add_argument("--per-weekday", type=int, default=285, help="scans per kiosk on a weekday")
    fill.add_argument("--per-weekend", type=int, default=14, help="scans per kiosk on a Saturday or Sunday")
    fill.add_argument("--min-free-gb", type=float, default=15.0, help="refuse to start with less free disk")
    timing = commands.add_parser("time", help="time each page's queries")
    timing.add_argument("--runs", type=int, default=40)
    timing.add_argument("--http", action="store_true", help="GET the real web pages instead")
    timing.add_argument("--workers", type=int, default=2, help="server workers for --http")
    timing.add_argument("--pages", default="", help="only the pages whose name matches this regular expression")
    explain = commands.add_parser("explain", help="EXPLAIN (ANALYZE, BUFFERS) of each page's queries")
    explain.add_argument("--out", type=Path, default=Path("build/dashboard-explain.txt"))
    explain.add_argument("--pages", default="", help="only the pages whose name matches this regular expression")
    commands.add_parser("drop", help="drop the database")
    args = parser.parse_args(argv)
    if not args.dsn:
        raise SystemExit('no PostgreSQL: run eval "$(scripts/start-postgres)" or pass --dsn')
    url = args.dsn.rsplit("/", 1)[0] + f"/{args.database}"
    if args.command == "fill":
        return run_fill(args, url)
    if args.command == "drop":
        _admin(args.dsn, f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
        return 0
    engine = make_engine(url)
    try:
        if args.command == "explain":
            return run_explain(engine, args.out, args.pages)
        if args.http:
            return run_http(url, engine, args)
        return run_time(engine, args)
    finally:
        engine.dispose()


# --- fill -------------------------------------------------------------------------------------------------------


@contextmanager
def step(name: str) -> Iterator[None]:
    start = time.perf_counter()
    print(f"-- {name} ...", flush=True)
    yield
    print(f"   {name}: {time.perf_counter() - start:.1f} s (load {' '.join(_load())})", flush=True)


def _load() -> list[str]:
    return Path("/proc/loadavg").read_text().split()[:3]


def _admin(dsn: str, statement: str) -> None:
    engine = create_engine(dsn, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def run_fill(args: argparse.Namespace, url: str) -> int:
    free_gb = shutil.disk_usage("/tmp").free / 1e9
    events = args.offices * args.kiosks * _scans_per_kiosk(args) * 1.07
    print(f"free disk {free_gb:.0f} GB; about {events / 1e6:.1f} M events (~{events * 1.1e-6:.0f} GB with entries)")
    if free_gb < args.min_free_gb:
        raise SystemExit(f"only {free_gb:.0f} GB free: less than --min-free-gb {args.min_free_gb}")
    started = time.perf_counter()
    _admin(args.dsn, f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
    _admin(args.dsn, f"CREATE DATABASE {args.database}")
    engine = make_engine(url)
    try:
        with step("schema (init_schema)"):
            init_schema(engine)
        with engine.connect() as connection:
            connection.execute(text("SET TIME ZONE 'UTC'"))
            connection.commit()
            kept = _drop_indexes(connection)
            connection.commit()
            codes = _offices(connection, args)
            today = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date()
            first = today - dt.timedelta(days=args.days - 1)
            with step(f"events and audit entries ({args.offices} offices x {args.kiosks} kiosks x {args.days} days)"):
                for number, (code, offset) in enumerate(codes, 1):
                    _office_events(connection, code, offset, first, today, args)
                    connection.commit()
                    if number % 5 == 0 or number == len(codes):
                        print(f"   {number}/{len(codes)} offices, load {' '.join(_load())}", flush=True)
            with step("bookings (7 days back, 14 ahead)"):
                for code, _offset in codes:
                    _office_bookings(connection, code, today, args)
                connection.commit()
            with step("indexes and primary keys"):
                for statement in kept:
                    connection.execute(text(statement))
                connection.commit()
        with step("summaries.ensure (dashboard indexes, hourly counts from the events)"):
            summaries.ensure(engine)
        with step("VACUUM ANALYZE"):
            _admin(url, "VACUUM ANALYZE")
        with engine.connect() as connection:
            report_size(connection)
    finally:
        engine.dispose()
    print(f"fill done in {time.perf_counter() - started:.0f} s")
    return 0


def _scans_per_kiosk(args: argparse.Namespace) -> float:
    return args.days * (5 * args.per_weekday + 2 * args.per_weekend) / 7


def report_size(connection: Connection) -> None:
    rows = connection.execute(
        text(
            "SELECT relname, n_live_tup, pg_size_pretty(pg_total_relation_size(relid)) FROM pg_stat_user_tables "
            "ORDER BY pg_total_relation_size(relid) DESC LIMIT 8"
        )
    ).all()
    for name, live, size in rows:
        print(f"   {name:22} {live:>12,} rows  {size}")
    size = connection.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar()
    print(f"   database size {size}")


def _drop_indexes(connection: Connection) -> list[str]:
    """Drop the big tables' indexes and primary keys for the load; the statements that make them again
    (the dashboard's own ones are left to summaries.ensure, as on an upgraded database)."""
    again: list[str] = []
    for table in BIG_TABLES:
        for name, definition in connection.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = CAST(:t AS regclass) AND contype IN ('p', 'u')"
            ),
            {"t": table},
        ).all():
            connection.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT {name}"))
            again.append(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        for name, definition in connection.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t"), {"t": table}
        ).all():
            connection.execute(text(f"DROP INDEX {name}"))
            if name not in DASHBOARD:
                again.append(definition)
    return again


def _offices(connection: Connection, args: argparse.Namespace) -> list[tuple[str, int]]:
    now = dt.datetime.now(dt.UTC)
    made: list[tuple[str, int]] = []
    zones = list(ZONES)
    for number in range(args.offices):
        code = f"KI{number:03d}"
        zone = zones[0] if number % 5 < 3 else zones[1] if number % 5 == 3 else zones[2]
        offices.add_office(connection, code, now, {"zone": zone}, False)
        made.append((code, ZONES[zone]))
    gates = [f"G{n}" for n in range(1, args.kiosks + 1)]
    for code, _ in made:
        for gate in gates:
            kiosk_id = f"K-{code}-{gate}"
            connection.execute(
                text(
                    "INSERT INTO kiosks (kiosk_id, office_code, gate, label, state, token_hash, created_at, "
                    "enrolled_at, last_sync_at, outbox_pending) VALUES (:k, :o, :g, :g, 'active', :t, :c, :c, :s, 0)"
                ),
                {
                    "k": kiosk_id,
                    "o": code,
                    "g": gate,
                    "t": secrets.token_hex(32),
                    "c": (now - dt.timedelta(days=args.days)).isoformat(timespec="microseconds"),
                    "s": now.isoformat(timespec="microseconds"),
                },
            )
            connection.execute(
                text(
                    "INSERT INTO kiosk_health (kiosk_id, last_contact_at, last_contact, health, health_at) "
                    "VALUES (:k, :s, 'upload', NULL, NULL)"
                ),
                {"k": kiosk_id, "s": now.isoformat(timespec="microseconds")},
            )
    connection.commit()
    return made


#: One office's events: scans of every kiosk and day (verdict and reason by shares), the guard
#: actions on about half of the DENY/REFER ones, numbered per kiosk in time order (the audit seq).
_GENERATE = """
CREATE TEMP TABLE scans ON COMMIT DROP AS
SELECT g.gate, 'K-' || CAST(:office AS text) || '-' || g.gate AS kiosk_id, d.day::date AS day, i,
       d.day + make_interval(hours => 8 - CAST(:offset AS int)) + random() * interval '8 hours' AS at,
       random() AS r1, random() AS r2, random() AS r3, random() AS r4
FROM unnest(CAST(:gates AS text[])) AS g(gate)
CROSS JOIN generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 day') AS d(day)
CROSS JOIN LATERAL generate_series(
    1, CASE WHEN extract(isodow FROM d.day) < 6 THEN CAST(:weekday AS int) ELSE CAST(:weekend AS int) END
) AS i;

CREATE TEMP TABLE gen ON COMMIT DROP AS
WITH decided AS (
  SELECT *,
    CASE WHEN r1 < 0.86 THEN 'ADMIT' WHEN r1 < 0.90 THEN 'REFER' ELSE 'DENY' END AS verdict,
    CASE WHEN r1 < 0.86 THEN 'OK'
         WHEN r1 < 0.88 THEN 'NEEDS_OFFICER' WHEN r1 < 0.89 THEN 'MULTIPLE_CODES' WHEN r1 < 0.90 THEN 'STALE_DATA'
         WHEN r1 < 0.92 THEN 'WRONG_DAY' WHEN r1 < 0.94 THEN 'TOO_EARLY' WHEN r1 < 0.95 THEN 'TOO_LATE'
         WHEN r1 < 0.96 THEN 'ALREADY_ADMITTED' WHEN r1 < 0.97 THEN 'CANCELLED' WHEN r1 < 0.98 THEN 'UNKNOWN_CODE'
         WHEN r1 < 0.99 THEN 'NOT_A_BOOKING' ELSE 'WRONG_OFFICE' END AS reason,
    gen_random_uuid()::text AS event_uuid
  FROM scans
), rows AS (
  SELECT gate, kiosk_id, day, i, at, event_uuid, 'scan' AS kind, verdict, reason,
         CASE WHEN verdict = 'ADMIT' THEN CASE WHEN r4 < 0.1 THEN 2 ELSE 1 END ELSE 0 END AS persons,
         NULL::int AS guard_id, NULL::text AS ref_event, NULL::text AS note,
         reason NOT IN ('NOT_A_BOOKING', 'UNKNOWN_CODE') AS has_booking
  FROM decided
  UNION ALL
  SELECT gate, kiosk_id, day, i, at + (1 + r3 * 4) * interval '1 minute', gen_random_uuid()::text,
         CASE WHEN r4 < 0.45 THEN 'override' WHEN r4 < 0.85 THEN 'dismiss' ELSE 'note' END,
         CASE WHEN r4 < 0.45 THEN 'ADMIT' ELSE verdict END,
         CASE WHEN r4 < 0.45 THEN (ARRAY['ID_CHECKED','PRIORITY_ELDERLY','LOST_PASSPORT','SPECIAL_RESCHEDULE',
                                         'PRIORITY_DISABILITY','OTHER'])[1 + floor(r3 * 6)::int]
              WHEN r4 < 0.85 THEN 'DISMISSED' ELSE 'NOTE' END,
         CASE WHEN r4 < 0.45 THEN 1 ELSE 0 END,
         1 + floor(r2 * 8)::int, event_uuid,
         CASE WHEN r4 < 0.45 THEN 'KTP dicocokkan dengan data booking' WHEN r4 >= 0.85 THEN 'pemohon diarahkan ke loket'
         END,
         reason NOT IN ('NOT_A_BOOKING', 'UNKNOWN_CODE')
  FROM decided WHERE verdict <> 'ADMIT' AND r2 < 0.5
)
SELECT *, row_number() OVER (PARTITION BY kiosk_id ORDER BY at, kind DESC) AS seq,
       to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') AS at_text,
       to_char(at + interval '40 seconds', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') AS received_text
FROM rows;

INSERT INTO events (event_uuid, office_code, kiosk_id, gate, kind, occurred_at, received_at, booking_ref,
                    code_masked, payload_kind, verdict, reason, persons, service_date, guard_id, ref_event, note,
                    facts, extra, audit_seq, audit_hash, origin, body_hash)
SELECT event_uuid, CAST(:office AS text), kiosk_id, gate, kind, at_text, received_text,
       CASE WHEN has_booking THEN 'B' || CAST(:office AS text) || to_char(day, 'YYMMDD') || lpad(i::text, 4, '0')
       END,
       CASE WHEN kind = 'scan' THEN 'K' || CAST(:office AS text) || '******' || lpad((i % 100)::text, 2, '0')
            ELSE '' END,
       CASE WHEN kind = 'scan' THEN 'code' ELSE '' END,
       verdict, reason, persons, CASE WHEN has_booking THEN to_char(day, 'YYYY-MM-DD') END, guard_id, ref_event,
       note, '{"source": "camera", "slot": "08:00-16:00"}', '{}', seq,
       md5(kiosk_id || seq) || md5(seq || kiosk_id), 'upload', md5(event_uuid) || md5(kiosk_id || event_uuid)
FROM gen;

INSERT INTO audit_entries (kiosk_id, seq, at, kind, subject, digest, prev_hash, hash, received_at)
SELECT kiosk_id, seq, at_text, 'event.' || kind, event_uuid, md5(event_uuid || 'd') || md5('d' || event_uuid),
       CASE WHEN seq = 1 THEN repeat('0', 64) ELSE md5(kiosk_id || (seq - 1)) || md5((seq - 1) || kiosk_id) END,
       md5(kiosk_id || seq) || md5(seq || kiosk_id), received_text
FROM gen;

UPDATE kiosks SET audit_seq = top.seq, audit_hash = md5(kiosks.kiosk_id || top.seq) || md5(top.seq || kiosks.kiosk_id)
FROM (SELECT kiosk_id, max(seq) AS seq FROM gen GROUP BY kiosk_id) AS top WHERE kiosks.kiosk_id = top.kiosk_id;
"""

_BOOKINGS = """
INSERT INTO bookings (booking_ref, code, office_code, service_date, slot_start, slot_end, status, party_size,
                      category, display_name, nik_last4, version, updated_at, change_seq)
SELECT 'B' || CAST(:office AS text) || to_char(d.day, 'YYMMDD') || lpad(i::text, 4, '0'),
       'K' || CAST(:office AS text) || to_char(d.day, 'YYMMDD') || lpad(i::text, 4, '0'),
       CAST(:office AS text), to_char(d.day, 'YYYY-MM-DD'),
       lpad((8 + i % 8)::text, 2, '0') || ':' || '00', lpad((9 + i % 8)::text, 2, '0') || ':' || '00',
       CASE WHEN i % 40 = 0 THEN 'cancelled' ELSE 'active' END, 1 + (i % 10 = 0)::int, 'regular',
       'Pemohon ' || i, lpad((i % 10000)::text, 4, '0'), 1, now()::text,
       row_number() OVER (ORDER BY d.day, i)
FROM generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 day') AS d(day)
CROSS JOIN generate_series(1, CAST(:per_day AS int)) AS i;
UPDATE offices SET change_seq = (SELECT count(*) FROM bookings WHERE office_code = CAST(:office AS text))
WHERE code = CAST(:office AS text);
"""


def _statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";\n") if part.strip()]


def _office_events(
    connection: Connection, code: str, offset: int, first: dt.date, last: dt.date, args: argparse.Namespace
) -> None:
    values = {
        "office": code,
        "offset": offset,
        "gates": [f"G{n}" for n in range(1, args.kiosks + 1)],
        "first": first.isoformat(),
        "last": last.isoformat(),
        "weekday": args.per_weekday,
        "weekend": args.per_weekend,
    }
    for statement in _statements(_GENERATE):
        connection.execute(text(statement), {k: v for k, v in values.items() if f":{k}" in statement})


def _office_bookings(connection: Connection, code: str, today: dt.date, args: argparse.Namespace) -> None:
    values = {
        "office": code,
        "first": (today - dt.timedelta(days=7)).isoformat(),
        "last": (today + dt.timedelta(days=14)).isoformat(),
        "per_day": args.per_weekday,
    }
    for statement in _statements(_BOOKINGS):
        connection.execute(text(statement), {k: v for k, v in values.items() if f":{k}" in statement})


# --- the pages' queries --------------------------------------------------------------------------------------------


Page = Callable[[Connection, str, ZoneInfo, dt.date], Any]


def _today(connection: Connection, office: str, zone: ZoneInfo, today: dt.date) -> Any:
    first, end = summary_reads.day_hours(today, zone)
    start, stop = summary_reads.day_times(today, zone)
    return (
        summary_reads.flow_by_hour(connection, office, first, end),
        summary_reads.by_reason(connection, office, first, end),
        summary_reads.open_refers(connection, office, start, stop),
    )


def _overrides(days: int) -> Page:
    def page(connection: Connection, office: str, zone: ZoneInfo, today: dt.date) -> Any:
        first, _ = summary_reads.day_hours(today - dt.timedelta(days=days - 1), zone)
        _, end = summary_reads.day_hours(today, zone)
        start, _ = summary_reads.day_times(today - dt.timedelta(days=days - 1), zone)
        _, stop = summary_reads.day_times(today, zone)
        return (
            summary_reads.actions(connection, office, start, stop, limit=200),
            summary_reads.guard_days(connection, office, first, end, zone),
        )

    return page


def _overrides_filtered(connection: Connection, office: str, zone: ZoneInfo, today: dt.date) -> Any:
    start, _ = summary_reads.day_times(today - dt.timedelta(days=89), zone)
    _, stop = summary_reads.day_times(today, zone)
    return summary_reads.actions(connection, office, start, stop, guard_id=3, gate="G2", reason="ID_CHECKED", limit=200)


def _report(connection: Connection, office: str, zone: ZoneInfo, today: dt.date) -> Any:
    day = today - dt.timedelta(days=1)
    first, end = summary_reads.day_hours(day, zone)
    start, stop = summary_reads.day_times(day, zone)
    return (
        summary_reads.flow_by_hour(connection, office, first, end),
        summary_reads.by_reason(connection, office, first, end),
        summary_reads.guard_days(connection, office, first, end, zone),
        summary_reads.actions(connection, office, start, stop, limit=100_000),
        summary_reads.audit_heads(connection, office, stop),
    )


def _kiosks_office(connection: Connection, office: str, zone: ZoneInfo, today: dt.date) -> Any:
    return kiosks.listing(connection, office)


def _kiosks_all(connection: Connection, office: str, zone: ZoneInfo, today: dt.date) -> Any:
    return kiosks.listing(connection)


def _kiosks_rows(connection: Connection, office: str, zone: ZoneInfo, today: dt.date) -> Any:
    return summary_reads.kiosk_rows(connection), summaries.events_per_kiosk(connection), anchor.incidents(connection)


def _kiosks_anchored_at(connection: Connection, office: str, zone: ZoneInfo, today: dt.date) -> Any:
    ids = [f"K-{office}-G{n}" for n in range(1, 4)]
    return summary_reads.anchored_at(connection, ids)


def _booking_search(connection: Connection, office: str, zone: ZoneInfo, today: dt.date) -> Any:
    ref = f"B{office}{today:%y%m%d}{random.randint(1, 250):04d}"
    booking = connection.execute(
        select(BookingRow).where(BookingRow.booking_ref == ref, BookingRow.office_code == office)
    ).first()
    from kiosk.server.models import EventRow

    scans = connection.execute(
        select(EventRow.occurred_at, EventRow.gate, EventRow.verdict, EventRow.reason).where(
            EventRow.booking_ref == ref
        )
    ).all()
    return booking, scans


def _web_pages() -> dict[str, Page]:
    """The web pages' own query functions (kiosk/server/web/queries), in process, when they exist."""
    try:
        from kiosk.server.web.queries import day, overrides
        from kiosk.server.web.queries import kiosks as web_kiosks
    except ImportError:
        return {}

    def office_row(connection: Connection, office: str) -> Any:
        return connection.execute(select(OfficeRow).where(OfficeRow.code == office)).one()

    def today(connection: Connection, office: str, zone: ZoneInfo, today: dt.date) -> Any:
        return day.office_day(connection, office, today, zone)

    def report(connection: Connection, office: str, zone: ZoneInfo, today: dt.date) -> Any:
        return day.office_day(connection, office, today - dt.timedelta(days=1), zone)

    def ranged(days: int) -> Page:
        def page(connection: Connection, office: str, zone: ZoneInfo, today: dt.date) -> Any:
            first = today - dt.timedelta(days=days - 1)
            return overrides.overrides(connection, office, zone, overrides.Filters(first, today))

        return page

    def kiosk_page(connection: Connection, office: str, zone: ZoneInfo, today: dt.date) -> Any:
        return web_kiosks.kiosk_lines(connection, office_row(connection, office), dt.datetime.now(dt.UTC))

    return {
        "web: today (office_day)": today,
        "web: report data (office_day, yesterday)": report,
        "web: overrides (7 days)": ranged(7),
        "web: overrides (30 days)": ranged(30),
        "web: overrides (365 days)": ranged(365),
        "web: kiosks (kiosk_lines)": kiosk_page,
    }


PAGES: dict[str, Page] = {
    "today": _today,
    "overrides (30 days)": _overrides(30),
    "overrides (365 days)": _overrides(365),
    "overrides (90 days, filtered)": _overrides_filtered,
    "daily report (yesterday)": _report,
    "kiosks (one office)": _kiosks_office,
    "kiosks (national)": _kiosks_all,
    "kiosks (summary_reads.kiosk_rows)": _kiosks_rows,
    "kiosks anchored at (summary_reads.anchored_at)": _kiosks_anchored_at,
    "booking search": _booking_search,
    **_web_pages(),
}


def _office_list(engine: Engine) -> list[tuple[str, ZoneInfo]]:
    with reading(engine) as connection:
        return [(row.code, ZoneInfo(offices.rules_of(row).zone)) for row in connection.execute(select(OfficeRow)).all()]


def run_time(engine: Engine, args: argparse.Namespace) -> int:
    chosen = _office_list(engine)
    rng = random.Random(17)
    print(f"load {' '.join(_load())}; {args.runs} runs per page, random offices of {len(chosen)}")
    worst = 0.0
    for name, page in PAGES.items():
        if not re.search(args.pages, name):
            continue
        timings = []
        for _ in range(args.runs):
            office, zone = rng.choice(chosen)
            today = dt.datetime.now(zone).date()
            with reading(engine) as connection:
                start = time.perf_counter()
                page(connection, office, zone, today)
                timings.append((time.perf_counter() - start) * 1000)
        p50, p95 = percentile(timings, 50), percentile(timings, 95)
        worst = max(worst, p95)
        print(f"{name:32} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  max {max(timings):8.1f} ms", flush=True)
    print(f"load {' '.join(_load())}; worst p95 {worst:.1f} ms (target {TARGET_P95_MS:.0f} ms)")
    return 0 if worst <= TARGET_P95_MS else 1


def percentile(values: list[float], q: int) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[q - 1]


def run_explain(engine: Engine, out: Path, pages: str = "") -> int:
    """Each page's statements as one run issues them, replayed under EXPLAIN (ANALYZE, BUFFERS)."""
    chosen = _office_list(engine)
    office, zone = chosen[len(chosen) // 2]
    today = dt.datetime.now(zone).date()
    lines: list[str] = [f"office {office} ({zone.key}), today {today}, load {' '.join(_load())}"]
    for name, page in PAGES.items():
        if not re.search(pages, name):
            continue
        captured: list[tuple[str, Any]] = []

        def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
            captured.append((statement, parameters))  # noqa: B023 (used within this iteration only)

        with reading(engine) as connection:
            event.listen(engine, "before_cursor_execute", capture)
            try:
                page(connection, office, zone, today)
            finally:
                event.remove(engine, "before_cursor_execute", capture)
            for statement, parameters in captured:
                plan = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars()
                lines += ["", f"== {name}", _one_line(statement), *plan]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


def _one_line(statement: str) -> str:
    return re.sub(r"\s+", " ", statement).strip()


# --- over HTTP -------------------------------------------------------------------------------------------------------


def run_http(url: str, engine: Engine, args: argparse.Namespace) -> int:
    """GET the real pages of `kiosk server run --workers N`, logged in as a national auditor."""
    import httpx

    from tests.browser.support import WEB_PAGES, ServerUnderTest, add_user, log_in_http

    chosen = _office_list(engine)
    password = secrets.token_urlsafe(12)
    username = f"bench-{secrets.token_hex(3)}"
    add_user(url, username, "national_auditor", None, password)
    rng = random.Random(17)
    with ServerUnderTest(url, Path("build/bench-server.log"), workers=args.workers) as server:
        client = httpx.Client(base_url=server.url, timeout=30, follow_redirects=False)
        try:
            log_in_http(client, username, password)
            print(f"load {' '.join(_load())}; {args.runs} runs per page over HTTP, {args.workers} workers")
            worst = 0.0
            for name, path in WEB_PAGES.items():
                if not re.search(args.pages, name):
                    continue
                timings = []
                for _ in range(args.runs):
                    office, zone = rng.choice(chosen)
                    day = dt.datetime.now(zone).date()
                    target = path.format(
                        office=office,
                        yesterday=day - dt.timedelta(days=1),
                        year_ago=day - dt.timedelta(days=365),
                        ref=f"B{office}{day:%y%m%d}{rng.randint(1, 250):04d}",
                    )
                    start = time.perf_counter()
                    response = client.get(target)
                    timings.append((time.perf_counter() - start) * 1000)
                    if response.status_code != 200:
                        print(f"   {target}: HTTP {response.status_code}", file=sys.stderr)
                p50, p95 = percentile(timings, 50), percentile(timings, 95)
                worst = max(worst, p95)
                print(f"{name:32} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  max {max(timings):8.1f} ms", flush=True)
        finally:
            client.close()
    print(f"load {' '.join(_load())}; worst p95 {worst:.1f} ms (target {TARGET_P95_MS:.0f} ms)")
    return 0 if worst <= TARGET_P95_MS else 1


if __name__ == "__main__":
    sys.exit(main())
