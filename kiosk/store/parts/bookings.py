"""store.bookings: the booking file as the kiosk sees it: imports, its count, and whether it can be
trusted (lost, rolled back, replaced).

Its own part because every change of the booking rows moves the anchor that holds the file to what
this database saw (kiosk/store/feed_anchor.py); the rows themselves are kiosk/store/bookings.py's."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from kiosk.store import audit, feed_anchor, feed_state, settings
from kiosk.store import bookings as booking_repo
from kiosk.store.errors import DAMAGED_VALUE, damaged
from kiosk.store.feed_state import Behind
from kiosk.store.parts import Part
from kiosk.store.parts.settings import FEED_LOST, SYNC_ENROLLED
from kiosk.store.times import to_text

log = logging.getLogger(__name__)


class Bookings(Part):
    """The booking file (store.bookings)."""

    __slots__ = ()

    def import_rows(self, incoming: Iterable[booking_repo.IncomingBooking], now: dt.datetime, source: str) -> int:
        """Apply bookings in one transaction and note the import in the audit chain. (Both files: the
        chain's entry is committed first, then the rows; an import cut off between them is run again.)"""
        store = self._store
        with store.writing(feed=True) as connection:
            repair = feed_anchor.wrong_file(connection)  # then every row it carries replaces the file's
            before = feed_state.file_content(connection)
            applied = booking_repo.upsert(connection, store.hasher, incoming, force=repair)
            digest = audit.canonical_digest({"source": source, "applied": applied})
            # the entry, the generation and the content in both files (store/feed_anchor.py)
            feed_anchor.imported(connection, now, f"bookings:{applied}", digest, repair=repair, before=before)
            if settings.get(connection, FEED_LOST):
                settings.delete(connection, FEED_LOST)  # imported again: the list is the office's again
                log.info("bookings imported again after the booking file was lost: unknown codes are denied again")
        store.settings.forget()
        store.audit.write_anchor()
        return applied

    def count(self) -> int:
        with self._store.reading() as connection:
            return booking_repo.count(connection)

    def data_lost(self) -> bool:
        """The booking file was lost and the bookings, imported by hand, have not been imported again
        since (see FEED_LOST). An enrolled kiosk's lost bookings come back with its next sync: False."""
        with self._store.reading() as connection:
            current = self._store.settings.current(connection)
        return current.feed_lost and not current.enrolled

    def note_file_lost(self, now: dt.datetime) -> None:
        """Evidence that the booking file was made again empty, and the flag that makes unknown codes
        go to the officer until bookings are imported again."""
        store = self._store
        with store.writing() as connection:
            settings.put(connection, FEED_LOST, {"at": to_text(now)})
            digest = audit.canonical_digest({"file": store.feed_path.name})
            entry = ("feed.lost", f"file:{store.feed_path.name}", digest)
            late = feed_anchor.examine(connection, deep=True)  # an empty file: nothing to count
            enrolled = bool(settings.get(connection, SYNC_ENROLLED))
            if late is None or not feed_anchor.note_wrong(  # said as lost, not as rolled back
                connection, now, store.feed_path.name, late, enrolled=enrolled, entry=entry
            ):
                feed_anchor.covered_append(connection, now, *entry, feed_anchor.read_anchor(connection))
        store.settings.forget()
        store.audit.write_anchor()

    def file_behind(self) -> Behind | None:
        """Why the booking file is older than this database last saw it (rolled back or replaced), or
        holds rows this kiosk did not write (found at open or at the periodic check), or None. Until
        a sync or an import repairs it, every code goes to the officer (STALE_DATA)."""
        try:
            with self._store.reading() as connection:
                return feed_anchor.file_behind(connection)[2] or feed_anchor.reported(connection)
        except DAMAGED_VALUE as exc:
            raise damaged(self._store.path, exc) from exc

    def note_feed_rollback(self, now: dt.datetime) -> bool:
        """At open and at the periodic check of the files: one audit entry `feed.rolled_back` the first
        time the booking file is found older than its anchor or holding rows this kiosk did not write
        (its rows are counted: feed_anchor.examine()); an enrolled kiosk's file is emptied then, for the
        next sync. A page cut off with its process is downloaded again (feed_anchor.recover_cut_page()).
        Nothing written otherwise (but what an older kiosk did not record: feed_anchor.adopt()). True:
        noted now."""
        store = self._store
        written = changed = False
        try:
            with store.reading() as connection:
                anchor = feed_anchor.read_anchor(connection)
                cut = anchor.applying is not None and feed_state.process_gone(anchor.applying)
                late = None if cut else feed_anchor.examine(connection, deep=True)
                unrecorded = feed_anchor.needs_adoption(connection)
            if cut or late is not None or unrecorded:
                with store.writing(feed=True) as connection:  # again, both files still: not a change half seen
                    if feed_anchor.recover_cut_page(connection, now) is not None:
                        log.warning("a page of bookings was cut off with its process: downloading them again")
                        changed = True
                    late = feed_anchor.examine(connection, deep=True)
                    if late is not None:
                        enrolled = bool(settings.get(connection, SYNC_ENROLLED))
                        written = feed_anchor.note_wrong(connection, now, store.feed_path.name, late, enrolled=enrolled)
                    else:
                        changed = feed_anchor.adopt(connection, now) or changed
        except DAMAGED_VALUE as exc:
            raise damaged(store.path, exc) from exc
        if changed and not written:
            store.settings.forget()
            store.audit.write_anchor()
        if written:
            log.error("the booking file %s is not what this database last saw (%s)", store.feed_path, late)
            store.audit.write_anchor()
        return written
