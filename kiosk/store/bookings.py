"""Bookings in and out of the database, as domain objects.

A booking row is found by the keyed hash of its code and checked against its row MAC on the way out:
a row edited by hand is refused (the caller fails closed), never decided on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from kiosk.domain.model import Booking, Category, Entry, Status
from kiosk.domain.payload import mask_code
from kiosk.store import feed_state
from kiosk.store.codes import CodeHasher
from kiosk.store.engine import driver
from kiosk.store.schema import BookingRow, ScanEventRow
from kiosk.store.times import from_text


class TamperedRowError(Exception):
    """A stored booking no longer matches its seal: someone edited the database by hand."""


@dataclass(frozen=True, slots=True)
class IncomingBooking:
    """A booking as it arrives (import or sync): the plain code is hashed here and never stored."""

    code: str  # canonical
    booking: Booking
    updated_at: str


#: What a row's seal covers, in this order (the seal of every stored row depends on it: never reorder).
SEALED_COLUMNS = (
    "code_hash",
    "booking_ref",
    "office_code",
    "service_date",
    "slot_start",
    "slot_end",
    "status",
    "party_size",
    "category",
    "display_name",
    "nik_last4",
    "code_masked",
    "version",
    "updated_at",
)
#: The columns upsert_rows() writes: everything but the row id.
ROW_COLUMNS = (*SEALED_COLUMNS, "row_mac")


def seal_material(row: dict[str, Any]) -> str:
    parts = [row[k].hex() if isinstance(row[k], bytes) else str(row[k]) for k in SEALED_COLUMNS]
    return "\x1f".join(parts)


def sealed_row(
    hasher: CodeHasher,
    code: str,
    *,
    booking_ref: str,
    office_code: str,
    service_date: str,
    slot_start: str,
    slot_end: str,
    status: str,
    party_size: int,
    category: str,
    display_name: str | None,
    nik_last4: str | None,
    code_masked: str | None,
    version: int,
    updated_at: str,
) -> dict[str, Any]:
    """The stored row for a booking given as stored values (dates ISO, slot times "HH:MM"): the code
    hashed with the kiosk's key, never kept; the row sealed. The one place rows are made: to_row()
    makes them from domain bookings (imports, learned codes), the sync straight from the feed's strings."""
    row: dict[str, Any] = {
        "code_hash": hasher.hash(code),
        "booking_ref": booking_ref,
        "office_code": office_code,
        "service_date": service_date,
        "slot_start": slot_start,
        "slot_end": slot_end,
        "status": status,
        "party_size": party_size,
        "category": category,
        "display_name": display_name,
        "nik_last4": nik_last4,
        "code_masked": code_masked or mask_code(code),
        "version": version,
        "updated_at": updated_at,
    }
    row["row_mac"] = hasher.mac(seal_material(row))
    return row


def to_row(hasher: CodeHasher, incoming: IncomingBooking) -> dict[str, Any]:
    booking = incoming.booking
    return sealed_row(
        hasher,
        incoming.code,
        booking_ref=booking.booking_ref,
        office_code=booking.office_code,
        service_date=booking.service_date.isoformat(),
        slot_start=booking.slot_start.strftime("%H:%M"),
        slot_end=booking.slot_end.strftime("%H:%M"),
        status=booking.status.value,
        party_size=booking.party_size,
        category=booking.category.value,
        display_name=booking.display_name,
        nik_last4=booking.nik_last4,
        code_masked=booking.code_masked,
        version=booking.version,
        updated_at=incoming.updated_at,
    )


def from_row(hasher: CodeHasher, row: Any) -> Booking:
    mapping = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    if hasher.mac(seal_material(mapping)) != mapping["row_mac"]:
        raise TamperedRowError(f"booking row {mapping['id']} does not match its seal")
    return Booking(
        booking_ref=mapping["booking_ref"],
        office_code=mapping["office_code"],
        service_date=dt.date.fromisoformat(mapping["service_date"]),
        slot_start=dt.time.fromisoformat(mapping["slot_start"]),
        slot_end=dt.time.fromisoformat(mapping["slot_end"]),
        status=Status(mapping["status"]),
        party_size=mapping["party_size"],
        category=Category(mapping["category"]),
        display_name=mapping["display_name"],
        nik_last4=mapping["nik_last4"],
        code_masked=mapping["code_masked"],
        version=mapping["version"],
    )


# The two lookups of every scan go straight to SQLite (see engine.driver), with the columns of the models.
_COLUMNS = tuple(column.name for column in BookingRow.__table__.columns)
_FIND_SQL = f"SELECT {', '.join(_COLUMNS)} FROM {BookingRow.__tablename__} WHERE code_hash = ?"
_ENTRIES_SQL = (
    f"SELECT occurred_at, gate, persons FROM {ScanEventRow.__tablename__}"
    " WHERE booking_ref = ? AND persons > 0 ORDER BY occurred_at"
)


def find(connection: Connection, hasher: CodeHasher, code_hash: bytes) -> Booking | None:
    row = driver(connection).execute(_FIND_SQL, (code_hash,)).fetchone()
    return None if row is None else from_row(hasher, dict(zip(_COLUMNS, row, strict=True)))


def entries(connection: Connection, booking_ref: str) -> list[Entry]:
    rows = driver(connection).execute(_ENTRIES_SQL, (booking_ref,)).fetchall()
    return [Entry(from_text(occurred_at), gate, persons) for occurred_at, gate, persons in rows]


def upsert(
    connection: Connection,
    hasher: CodeHasher,
    incoming: Iterable[IncomingBooking],
    batch: int = 2000,
    *,
    force: bool = False,
) -> int:
    """Insert or replace bookings by booking_ref (a newer version wins; every one with `force`), in
    the caller's transaction.

    Returns how many rows were written: an incoming booking older than the stored one is not."""
    count = 0
    chunk: list[dict[str, Any]] = []
    for item in incoming:
        chunk.append(to_row(hasher, item))
        if len(chunk) >= batch:
            count += upsert_rows(connection, chunk, force=force)
            chunk = []
    if chunk:
        count += upsert_rows(connection, chunk, force=force)
    return count


#: Insert, or replace the row with the same booking_ref unless the stored version is newer (an equal
#: version is written again: a page applied twice is harmless).
_UPSERT_SQL = (
    f"INSERT INTO {BookingRow.__tablename__} ({', '.join(ROW_COLUMNS)}) VALUES ({', '.join('?' * len(ROW_COLUMNS))})"
    " ON CONFLICT (booking_ref) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in ROW_COLUMNS if c != "booking_ref")
    + f" WHERE {BookingRow.__tablename__}.version <= excluded.version"
)
#: The same, whatever the stored version (an import repairing a booking file found wrong).
_REPLACE_SQL = _UPSERT_SQL.rsplit(" WHERE ", 1)[0]
_CHUNK = 900


def upsert_rows(connection: Connection, rows: Sequence[dict[str, Any]], *, force: bool = False) -> int:
    """Write rows made by sealed_row()/to_row() in the caller's transaction (see _UPSERT_SQL; every
    one with `force`); returns how many were written (a row older than the stored one is not). The
    booking file's content digest follows (feed_state.change_content()): the seals of the rows
    replaced are read first.

    Straight to SQLite (engine.driver): SQLAlchemy's per-row parameter handling costs more than SQLite
    takes to write the rows, and the write lock is held meanwhile. A database error is sqlite3.Error."""
    if not rows:
        return 0
    raw = driver(connection)
    refs = list({row["booking_ref"] for row in rows})
    stored: dict[str, tuple[int, bytes]] = {}
    for start in range(0, len(refs), _CHUNK):
        chunk = refs[start : start + _CHUNK]
        found = raw.execute(
            f"SELECT booking_ref, version, row_mac FROM {BookingRow.__tablename__}"
            f" WHERE booking_ref IN ({', '.join('?' * len(chunk))})",
            chunk,
        )
        stored.update((ref, (version, mac)) for ref, version, mac in found)
    added: list[bytes] = []
    removed: list[bytes] = []
    for row in rows:  # as the statement decides, row by row
        old = stored.get(row["booking_ref"])
        if old is None or force or old[0] <= row["version"]:
            if old is not None:
                removed.append(old[1])
            added.append(row["row_mac"])
            stored[row["booking_ref"]] = (row["version"], row["row_mac"])
    sql = _REPLACE_SQL if force else _UPSERT_SQL
    cursor = raw.executemany(sql, [tuple(row[c] for c in ROW_COLUMNS) for row in rows])
    feed_state.change_content(connection, added, removed)
    # sqlite3 sums the changes: rows the WHERE clause left alone (a newer stored version) do not count.
    return max(cursor.rowcount, 0)


def delete_rows(connection: Connection, where: str, parameters: Sequence[Any] = ()) -> int:
    """Delete the rows `where` (SQL over the bookings table's columns) in the caller's transaction,
    the booking file's content digest following. Returns how many were deleted."""
    raw = driver(connection)
    table = BookingRow.__tablename__
    macs = [mac for (mac,) in raw.execute(f"SELECT row_mac FROM {table} WHERE {where}", tuple(parameters))]
    if not macs:
        return 0
    deleted = raw.execute(f"DELETE FROM {table} WHERE {where}", tuple(parameters)).rowcount
    feed_state.change_content(connection, [], macs)
    return max(deleted, 0)


def count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(BookingRow)).scalar_one())
