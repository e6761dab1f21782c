"""Retention on the server (issue 13): what it keeps, and for how long.

* Bookings (names, NIK digits, codes) are deleted `booking_days` after their service date (default 7,
  as on the kiosk), counted in each office's own time zone.
* Events and audit-head reports are deleted `event_months` calendar months after the server received
  them (default 13): the server's own clock, so a kiosk whose clock was wrong cannot make its events
  go early or stay for ever.
* Removal notes of bookings no longer held are deleted with them.
* Kiosks' anchored audit entries (kiosk/server/anchor.py) go after `event_months` too, except each
  kiosk's newest (the next upload links to it). Incidents, and the entries kept under them as their
  evidence, stay until someone deletes them on purpose.

`kiosk server purge` runs it once and prints the counts; `kiosk server run` runs it at start and then
once a day on a thread of its own (`DailyPurge`), stopped with the server. Every delete is idempotent,
so several server instances may each run it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, func, select

from kiosk.server import offices, summaries
from kiosk.server.db import utc_text, writing
from kiosk.server.models import AuditEntryRow, AuditReportRow, BookingRow, EventRow, RemovalRow

log = logging.getLogger(__name__)

DEFAULT_BOOKING_DAYS = 7
DEFAULT_EVENT_MONTHS = 13
DAY_S = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class Retention:
    booking_days: int = DEFAULT_BOOKING_DAYS
    event_months: int = DEFAULT_EVENT_MONTHS

    def __post_init__(self) -> None:
        if self.booking_days < 0 or self.event_months < 1:
            raise ValueError("retention: booking days must be 0 or more, event months 1 or more")


@dataclass(frozen=True, slots=True)
class Purged:
    bookings: int
    removals: int
    events: int
    audit_reports: int
    audit_entries: int = 0

    def summary(self) -> str:
        return (
            f"deleted {self.bookings} bookings, {self.removals} removal notes, {self.events} events, "
            f"{self.audit_reports} audit reports, {self.audit_entries} anchored audit entries"
        )


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time `months` calendar months earlier (the month's last day when it is shorter)."""
    year, month = divmod(moment.year * 12 + (moment.month - 1) - months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return moment.replace(year=year, month=month + 1, day=min(moment.day, last))


def purge(engine: Engine, now: dt.datetime, retention: Retention | None = None) -> Purged:
    """Delete what is past its retention, in one write transaction; the counts of what went."""
    retention = retention or Retention()
    bookings = 0
    with writing(engine) as connection:
        for office_row in offices.offices(connection):
            today = now.astimezone(offices.rules_of(office_row).tz).date()
            cutoff = today - dt.timedelta(days=retention.booking_days)
            result = connection.execute(
                delete(BookingRow).where(
                    BookingRow.office_code == office_row.code, BookingRow.service_date < cutoff.isoformat()
                )
            )
            bookings += result.rowcount or 0
        held = select(BookingRow.id).where(BookingRow.booking_ref == RemovalRow.booking_ref)
        removals = connection.execute(delete(RemovalRow).where(~held.exists())).rowcount or 0
        before = utc_text(months_before(now.astimezone(dt.UTC), retention.event_months))
        # by ix_events_received_at (summaries.py, made by summaries.ensure), not a scan of the whole table
        gone = connection.execute(delete(EventRow).where(EventRow.received_at < before).returning(*summaries.COUNTED))
        events = summaries.forget(connection, gone)  # out of the dashboard's counts too (kiosk/server/summaries.py)
        summaries.purge_before(connection, before)
        reports = connection.execute(delete(AuditReportRow).where(AuditReportRow.reported_at < before)).rowcount or 0
        entries = _purge_entries(connection, before)
    return Purged(bookings, removals, events, reports, entries)


def _purge_entries(connection: Connection, before: str) -> int:
    """Anchored audit entries received before `before`, except each kiosk's newest: the next upload
    links to it. Incidents and the entries kept under them stay: they are the evidence."""
    newest = (
        select(AuditEntryRow.kiosk_id, func.max(AuditEntryRow.seq).label("seq"))
        .group_by(AuditEntryRow.kiosk_id)
        .subquery()
    )
    is_newest = (
        select(newest.c.seq)
        .where(newest.c.kiosk_id == AuditEntryRow.kiosk_id, newest.c.seq == AuditEntryRow.seq)
        .exists()
    )
    result = connection.execute(delete(AuditEntryRow).where(AuditEntryRow.received_at < before, ~is_newest))
    return result.rowcount or 0


class DailyPurge:
    """`purge` at start and then every `interval_s`, on a thread of its own; `stop()` ends it at once."""

    def __init__(
        self,
        engine: Engine,
        retention: Retention,
        now: Callable[[], dt.datetime],
        interval_s: float = DAY_S,
    ) -> None:
        self.engine, self.retention, self.now, self.interval_s = engine, retention, now, interval_s
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kiosk-server-purge", daemon=True)

    def start(self) -> DailyPurge:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                purged = purge(self.engine, self.now(), self.retention)
                log.info("retention: %s", purged.summary())
            except Exception:  # a failed purge must not end the server; it is tried again tomorrow
                log.exception("retention: the purge failed")
            self.runs += 1
            self._stop.wait(self.interval_s)
