"""The booking feed: pages of an office's changes after a cursor, signed over their exact bytes.

Positions (`change_seq`) are handed out per office under the writer lock (see offices.py), so they
commit in order; a page reads only up to the office's committed position, so nothing committed later
can appear behind a cursor already given out. Live bookings (active, unpaid) travel in full;
cancelled and rescheduled ones as tombstones without personal fields; bookings that left the office
as "removed" tombstones.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select

from kiosk.domain.model import Status
from kiosk.protocol import PROTOCOL_VERSION
from kiosk.protocol.schema import OfficeName, PageBody, Tombstone, WireBooking
from kiosk.protocol.wire import CursorValue, directory_digest, sign_page
from kiosk.server import keys, offices
from kiosk.server.models import BookingRow, RemovalRow

DEFAULT_LIMIT = 2000
LIVE = (Status.ACTIVE.value, Status.UNPAID.value)


class CursorResetError(Exception):
    """The cursor belongs to another epoch of the feed, or lies beyond it: the kiosk must start over."""


def build_page(
    connection: Connection,
    kiosk_row: Any,
    since: str | None,
    limit: int,
    known_keys: Iterable[str],
    now: dt.datetime,
    held_directory: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """One signed page of the kiosk's office's feed after `since`. `held_directory`: the digest of the
    office directory the kiosk holds (query `offices`); the page carries the directory when the server's
    differs. None (a kiosk older than the directory): never, and the page has no `offices` key at all."""
    office_row = offices.office(connection, kiosk_row.office_code)
    start = 0
    if since is not None:
        cursor = CursorValue.parse(since)
        if cursor.epoch != office_row.feed_epoch or cursor.seq > office_row.change_seq:
            raise CursorResetError(f"cursor {since} is not from this feed; start again without one")
        start = cursor.seq
    upto = office_row.change_seq
    # the past stays out of a first sync, every page of it: it gets the bookings of yesterday (office
    # time) and later only. A first sync is a download from no cursor, or by a kiosk that has not yet
    # reported a cursor of its own (its upload before each download says where it stands); after it,
    # a page carries every change after its cursor, as the kiosk must hear of each.
    oldest = (now.astimezone(offices.rules_of(office_row).tz).date() - dt.timedelta(days=1)).isoformat()
    query = select(BookingRow).where(
        BookingRow.office_code == office_row.code,
        BookingRow.change_seq > start,
        BookingRow.change_seq <= upto,
    )
    if since is None or kiosk_row.last_cursor is None:
        query = query.where(BookingRow.service_date >= oldest)
    booking_rows = connection.execute(query.order_by(BookingRow.change_seq).limit(limit + 1)).all()
    removal_rows = connection.execute(
        select(RemovalRow)
        .where(RemovalRow.office_code == office_row.code, RemovalRow.change_seq > start, RemovalRow.change_seq <= upto)
        .order_by(RemovalRow.change_seq)
        .limit(limit + 1)
    ).all()
    merged = list(heapq.merge(booking_rows, removal_rows, key=lambda r: r.change_seq))
    has_more = len(merged) > limit
    taken = merged[:limit]
    next_seq = taken[-1].change_seq if has_more else upto
    live: list[dict[str, Any]] = []
    dead: list[dict[str, Any]] = []
    for row in taken:
        mapping = row._mapping
        if "code" not in mapping:
            dead.append({**_TOMBSTONE, "booking_ref": row.booking_ref, "version": row.version, "status": "removed"})
        elif row.status in LIVE:
            live.append({name: mapping[name] for name in _LIVE_FIELDS})
        else:
            dead.append(_dead(mapping))
    directory: list[OfficeName] | None = None
    if held_directory is not None:
        names = offices.directory(connection)
        if directory_digest(names) != held_directory:
            directory = [OfficeName(office_code=code, name=name) for code, name in names.items()]
    header = PageBody(
        protocol=PROTOCOL_VERSION,
        kiosk_id=kiosk_row.kiosk_id,
        office=offices.info(office_row),
        since=since,
        cursor=str(CursorValue(office_row.feed_epoch, next_seq)),
        has_more=has_more,
        server_time=now,
        keys=keys.listed(connection),
        bookings=[],
        tombstones=[],
        offices=directory,
    ).model_dump(mode="json", exclude=None if directory is not None else {"offices"})
    # The bookings are serialised as plain dicts (pydantic per row costs more than the rest of the page);
    # their fields are exactly WireBooking's, as the kiosk's validation of every page checks.
    data = json.dumps({**header, "bookings": live, "tombstones": dead}, separators=(",", ":")).encode("utf-8")
    return data, sign_page(keys.signer_for(connection, known_keys), data)


_LIVE_FIELDS = tuple(name for name in WireBooking.model_fields)
_TOMBSTONE: dict[str, Any] = {name: None for name in Tombstone.model_fields}


def _dead(row: Any) -> dict[str, Any]:
    return {
        "booking_ref": row["booking_ref"],
        "version": row["version"],
        "status": "rescheduled" if row["status"] == Status.RESCHEDULED.value else "cancelled",
        "code": row["code"],
        "office_code": row["office_code"],
        "service_date": row["service_date"],
        "slot_start": row["slot_start"],
        "slot_end": row["slot_end"],
    }
