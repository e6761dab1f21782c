"""What the guard's status panel shows about the data: freshness, sync, uploads, audit chain, disk.

Its own module because it gathers figures from every part of the store (settings, bookings,
decisions, audit) for one screen."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from kiosk.store import receipts
from kiosk.store.db import KioskStore
from kiosk.store.schema import SyncStateRow
from kiosk.store.times import from_text


@dataclass(frozen=True, slots=True)
class StoreStatus:
    """What the status panel shows about the data: freshness, sync, uploads, audit chain, disk."""

    data_as_of: dt.datetime | None
    last_sync: dt.datetime | None
    last_sync_error: str
    data_age: dt.timedelta | None  # None: standalone (imported data, no sync)
    pending_uploads: int
    audit_head_seq: int
    audit_ok: bool | None  # None: not verified in this call
    audit_problem: str
    free_disk_bytes: int
    bookings: int
    #: Outbox rows the server refused for good, or that can never be sent: kept for the IT person.
    refused_uploads: int = 0
    #: The booking file was lost and the bookings not imported again (store.bookings.data_lost()).
    bookings_lost: bool = False
    #: The booking file is older than the database last saw (store.bookings.file_behind()): what it
    #: has and should have, e.g. "cursor 0a1b2c3d.5, expected at least cursor 0a1b2c3d.9"; "" when not.
    bookings_rolled_back: str = ""
    #: The newest server receipt kept (its entry, its server time), unverified: for display only.
    anchored: tuple[int, str] | None = None
    #: The server's newest finding about this kiosk's audit chain: (when the kiosk was told, what).
    server_alert: tuple[dt.datetime, str] | None = None


def store_status(
    store: KioskStore,
    now: dt.datetime,
    verify: bool = False,
    checked_receipts: Sequence[receipts.Receipt] = (),
    receipt_problems: Sequence[str] = (),
) -> StoreStatus:
    """The panel's figures; verifying the whole audit chain is slower, so the caller asks for it now and
    then, with the server's receipts whose signatures it checked (and what was wrong with the others)."""
    with store.reading() as connection:
        state = connection.execute(select(SyncStateRow).where(SyncStateRow.id == 1)).first()
    circumstances = store.decisions.circumstances(now)
    lost = store.bookings.data_lost()
    behind = store.bookings.file_behind()
    pending = store.decisions.outbox_size()
    report = store.audit.verify(checked_receipts) if verify else None
    if report is not None:
        for problem in receipt_problems:
            report.add(None, problem)
    kept, _ = store.audit.stored_receipts()
    try:
        free = shutil.disk_usage(store.path.parent).free
    except OSError:
        free = -1
    return StoreStatus(
        data_as_of=from_text(state.data_as_of) if state and state.data_as_of else None,
        last_sync=from_text(state.last_success_at) if state and state.last_success_at else None,
        last_sync_error=(state.last_error or "") if state else "",
        data_age=None if lost else circumstances.data_age,  # imported by hand: no age, whatever the loss
        pending_uploads=pending,
        audit_head_seq=store.audit.head().seq,
        audit_ok=None if report is None else report.ok,
        audit_problem=(report.problems[0] if report and report.problems else ""),
        free_disk_bytes=free,
        bookings=store.bookings.count(),
        refused_uploads=store.decisions.refused_uploads(),
        bookings_lost=lost,
        bookings_rolled_back="" if behind is None else str(behind),
        anchored=(kept[0].seq, kept[0].server_time) if kept else None,
        server_alert=store.audit.server_alert(),
    )
