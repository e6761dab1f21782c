"""store.retention: personal data kept only so long, and where it is.

Its own part because purging and the inventory of personal data (for a breach notice) concern every
table and file holding it, not one of the other parts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from kiosk.store import audit, feed_anchor, feed_state
from kiosk.store import bookings as booking_repo
from kiosk.store.parts import Part
from kiosk.store.schema import BookingRow, OutboxRow, ScanEventRow

DEFAULT_RETENTION_DAYS = 7


@dataclass(frozen=True, slots=True)
class PurgeReport:
    bookings: int
    cutoff: dt.date


class Retention(Part):
    """Purging old personal data, and the inventory of what is kept (store.retention)."""

    __slots__ = ()

    def purge(self, now: dt.datetime, retention_days: int = DEFAULT_RETENTION_DAYS) -> PurgeReport:
        """Delete bookings (names, NIK digits) whose service date is older than the retention period.
        Scan events stay: they are the record the audit chain covers, and hold no names (a guard's
        note is the one free text among them; it is not blanked, since the chain covers it too)."""
        store = self._store
        cutoff = (now.astimezone(store.settings.rules().tz) - dt.timedelta(days=retention_days)).date()
        with store.writing(feed=True) as connection:
            before = feed_state.file_content(connection)
            deleted = booking_repo.delete_rows(connection, "service_date < ?", (cutoff.isoformat(),))
            feed_anchor.rows_changed(  # the entry, and the booking file's content in both files
                connection,
                before,
                now,
                "purge",
                f"bookings:{deleted}",
                audit.canonical_digest({"cutoff": cutoff.isoformat(), "deleted": deleted}),
            )
        store.audit.write_anchor()
        return PurgeReport(deleted, cutoff)

    def pii_inventory(self) -> dict[str, int]:
        """How many stored values of each personal field there are (for a breach notice)."""
        with self._store.reading() as connection:

            def count(column: Any, table: Any) -> int:
                query = select(func.count()).select_from(table).where(column.is_not(None), column != "")
                return int(connection.execute(query).scalar_one())

            return {
                "bookings.display_name": count(BookingRow.display_name, BookingRow),
                "bookings.nik_last4": count(BookingRow.nik_last4, BookingRow),
                "bookings (rows)": booking_repo.count(connection),
                "scan_events.note (guard notes)": count(ScanEventRow.note, ScanEventRow),
                "outbox (events not yet uploaded)": int(
                    connection.execute(select(func.count()).select_from(OutboxRow)).scalar_one()
                ),
            }

    def pii_files(self) -> list[tuple[str, Path, str]]:
        """Every file of this kiosk that holds personal data, with what it holds: (label, path, holds).
        SQLite's -wal and -shm files are there while the database is open (the running kiosk, this
        store): the write-ahead log holds recent changes of its file's rows (names and NIK digits among
        them, for the booking file's) until they are copied into it, and -shm its index. They are
        listed whether present now or not: a caller that opened the store itself made them."""
        store = self._store
        feed = store.feed_path
        files = [
            ("database", store.path, "scan events (booking refs, masked codes, guard notes), guards' names, outbox"),
            ("booking file", feed, "bookings: applicants' names, last 4 digits of their NIK, booking refs"),
        ]
        bases = (("database", store.path, "the database's"), ("booking file", feed, "the booking file's"))
        for label, base, what in bases:
            files.append(
                (f"{label} log", base.with_name(base.name + "-wal"), f"recent changes of {what} rows, not yet in it")
            )
            files.append(
                (f"{label} index", base.with_name(base.name + "-shm"), f"the index of {what} log (no row data)")
            )
        return files
