"""store.decisions: deciding a scan and recording it (event, outbox row and audit entry in one
transaction), and reading back what was recorded and what waits to be uploaded.

Its own part because this is the gate's path: everything a scan needs (settings, circumstances,
lookup, decision, record) in one transaction, failing closed; the rows are kiosk/store/recorder.py's."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, func, select

import kiosk
from kiosk.domain.clock import clock_trusted
from kiosk.domain.decide import Presentation, decide
from kiosk.domain.model import Circumstances, Decision
from kiosk.store import audit
from kiosk.store import bookings as booking_repo
from kiosk.store.engine import driver
from kiosk.store.errors import DAMAGED_VALUE, TAMPERED, StoreError, damaged, require_aware
from kiosk.store.feed_state import FileState, behind
from kiosk.store.parts import Part
from kiosk.store.parts.settings import CurrentSettings
from kiosk.store.recorder import (
    Annotation,
    Recorded,
    decide_and_record,
    event_row,
    lookup,
    with_patterns,
    write_alert,
    write_event,
)
from kiosk.store.schema import OutboxRow, ScanEventRow, SyncStateRow
from kiosk.store.times import from_text

log = logging.getLogger(__name__)

MAX_CLOCK_OFFSET_S = 120.0
#: A clock reading this much earlier than the data it holds (sync_state.data_as_of, taken from this same
#: clock) was set back: distrusted like a clock far from the server's. The margin absorbs small
#: corrections (NTP steps) that are no reason to send everyone to the guard.
MAX_CLOCK_BEHIND_DATA = dt.timedelta(minutes=5)
_SYNC_STATE_SQL = (
    f"SELECT server_offset_s, data_as_of, cursor, import_generation FROM {SyncStateRow.__tablename__} WHERE id = 1"
)
_BUILD_DATE = dt.date.fromisoformat(kiosk.BUILD_DATE)


class Decisions(Part):
    """Scans decided and recorded, and the outbox (store.decisions)."""

    __slots__ = ()

    def circumstances(self, now: dt.datetime) -> Circumstances:
        with self._store.reading() as connection:
            return self.circumstances_in(connection, now, self._store.settings.current(connection))

    def decide_only(self, presentation: Presentation, now: dt.datetime) -> Decision:
        """Lookup + decide without recording (previews and the benchmark), in one read transaction.
        Fails closed: a database problem or a tampered booking raises StoreError."""
        require_aware(now)
        store = self._store
        store.refuse_if_damaged()
        try:
            with store.scanning(), store.reading() as connection:
                current = store.settings.current(connection)
                circumstances = self.circumstances_in(connection, now, current)
                _, booking, entries = lookup(connection, store.hasher, presentation)
        except booking_repo.TamperedRowError as exc:
            log.error("refusing a tampered booking row: %s", exc)
            raise StoreError(TAMPERED) from exc
        except DAMAGED_VALUE as exc:
            raise damaged(store.path, exc) from exc
        return decide(presentation, booking, entries, current.rules, circumstances)

    def record(
        self,
        presentation: Presentation,
        now: dt.datetime,
        source: str = "camera",
        event_uuid: str | None = None,
        annotation: Annotation | None = None,
    ) -> Recorded:
        """Decide and make the decision durable. Raises StoreError if it could not be recorded: the
        caller must then show OUT OF ORDER and keep the gate shut. (The kiosk's code reaches this
        through the door, kiosk/door, which builds the presentation.)"""
        require_aware(now)
        store = self._store
        store.refuse_if_damaged()
        with store.scanning():
            return self._recorded_in_one_transaction(
                now,
                lambda connection, current, circumstances: decide_and_record(
                    connection,
                    store.hasher,
                    presentation,
                    current.rules,
                    circumstances,
                    current.identity,
                    source,
                    event_uuid,
                    annotation,
                ),
            )

    def record_decided(
        self,
        presentation: Presentation,
        decision: Decision,
        now: dt.datetime,
        source: str,
        event_uuid: str,
        annotation: Annotation | None = None,
    ) -> Recorded:
        """Record a decision made elsewhere (the server's, across gates) exactly as a local one is
        recorded: event, outbox row and audit entry in one transaction."""
        require_aware(now)
        store = self._store
        store.refuse_if_damaged()

        def write(connection: Connection, current: CurrentSettings, circumstances: Circumstances) -> Recorded:
            identity = current.identity
            payload = presentation.payload
            code_hash = store.hasher.hash(payload.code) if payload.is_code else None
            found = with_patterns(connection, decision, code_hash, current.rules, circumstances, source)
            row = event_row(store.hasher, presentation, found, now, event_uuid, identity, source, annotation, code_hash)
            write_alert(connection, row, found)
            head = write_event(connection, row, identity)
            return Recorded(event_uuid, found, now, head.seq, head.hash)

        with store.scanning():
            return self._recorded_in_one_transaction(now, write)

    def _recorded_in_one_transaction(
        self, now: dt.datetime, write: Callable[[Connection, CurrentSettings, Circumstances], Recorded]
    ) -> Recorded:
        store = self._store
        try:
            with store.writing() as connection:
                current = store.settings.current(connection)
                circumstances = self.circumstances_in(connection, now, current)
                recorded = write(connection, current, circumstances)
                new_head = audit.Head(recorded.audit_seq, recorded.audit_hash)
                blocker, overtaken = store.audit.anchor_check(connection, new_head)
        except booking_repo.TamperedRowError as exc:
            log.error("refusing a tampered booking row: %s", exc)
            raise StoreError(TAMPERED) from exc
        except DAMAGED_VALUE as exc:
            raise damaged(store.path, exc) from exc
        except StoreError as exc:
            log.error("could not record a scan: %s", exc)
            raise
        store.audit.move_anchor(new_head, blocker, overtaken)
        return recorded

    def circumstances_in(self, connection: Connection, now: dt.datetime, current: CurrentSettings) -> Circumstances:
        """What the decision at `now` depends on besides the booking, read in the caller's transaction."""
        state = driver(connection).execute(_SYNC_STATE_SQL).fetchone()
        offset, data_as_of, cursor, generation = state if state else (None, None, None, None)
        on_file = FileState(cursor, int(generation or 0))
        rolled_back = behind(on_file, current.booking_anchor) is not None or current.bookings_reported
        as_of = from_text(data_as_of) if data_as_of else None
        data_age: dt.timedelta | None = None
        if current.enrolled:
            data_age = now - as_of if as_of else dt.timedelta.max
        elif current.feed_lost:
            data_age = dt.timedelta.max  # bookings imported by hand were lost with the file: an incomplete list
        trusted = clock_trusted(now, _BUILD_DATE, offset, MAX_CLOCK_OFFSET_S)
        if as_of is not None and now < as_of - MAX_CLOCK_BEHIND_DATA:
            trusted = False  # the clock was set back since the data came (ClockWatch may not have run yet)
        return Circumstances(
            now=now,
            gate=current.identity.gate,
            data_age=data_age,
            clock_trusted=trusted,
            bookings_trusted=not rolled_back,  # an older booking file than this database saw decides nothing
        )

    def event(self, event_uuid: str) -> dict[str, Any] | None:
        with self._store.reading() as connection:
            row = connection.execute(select(ScanEventRow).where(ScanEventRow.event_uuid == event_uuid)).first()
            return None if row is None else dict(row._mapping)

    def outbox_size(self) -> int:
        """Outbox rows waiting to be uploaded (not those marked refused: see refused_uploads())."""
        with self._store.reading() as connection:
            query = select(func.count()).select_from(OutboxRow).where(OutboxRow.refused_at.is_(None))
            return int(connection.execute(query).scalar_one())

    def refused_uploads(self) -> int:
        """Outbox rows the server refused for good, or that can never be sent: kept for the IT person,
        never sent again (kiosk/sync/apply.py; listed by `kiosk sync status`)."""
        with self._store.reading() as connection:
            query = select(func.count()).select_from(OutboxRow).where(OutboxRow.refused_at.is_not(None))
            return int(connection.execute(query).scalar_one())
