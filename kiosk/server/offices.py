"""Offices and the booking import (CSV or JSON lines, many offices in one file).

Each imported line is validated with the wire model (the same rules the kiosk applies to the feed),
its code canonicalised with the kiosk's own payload grammar, and then compared with what the server
holds: unchanged lines hand out no feed position, a line with an older version than the stored one is
skipped as stale, and a booking that moves to another office leaves a "removed" tombstone in its old
office's feed. One transaction per file, holding the writer lock, so feed positions commit in order.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, bindparam, insert, select, update

from kiosk.domain.model import OfficeRules
from kiosk.domain.payload import PayloadKind, parse_payload
from kiosk.formats.rules import rules_for_kiosks, rules_from_json, rules_to_json
from kiosk.protocol.schema import OfficeInfo, OfficeName, WireBooking
from kiosk.server.db import lock_writer, utc_text
from kiosk.server.models import BookingRow, OfficeRow, RemovalRow

FIELDS = (
    "code",
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
    "version",
    "updated_at",
)
_COMPARED = FIELDS[:11]
_CHUNK = 900  # below SQLite's default limit of bound parameters in one IN (...)


class OfficeError(Exception):
    """An office operation or import that cannot be done (the message says why)."""


# --- offices --------------------------------------------------------------------------------------


def add_office(
    connection: Connection,
    code: str,
    now: dt.datetime,
    rules: dict[str, Any] | None = None,
    signed_codes: bool = False,
    name: str = "",
) -> OfficeRules:
    code = code.strip().upper()
    data = dict(rules or {})
    data["office_code"] = code
    try:
        parsed = rules_from_json(data)
        OfficeInfo(office_code=code, rules={}, signed_codes=signed_codes)
    except (ValueError, TypeError, ValidationError) as exc:
        raise OfficeError(f"bad office settings: {exc}") from exc
    name = office_name(code, name)
    if connection.execute(select(OfficeRow.code).where(OfficeRow.code == code)).first():
        raise OfficeError(f"office {code} exists already")
    connection.execute(
        insert(OfficeRow).values(
            code=code,
            name=name,
            rules=json.dumps(rules_to_json(parsed), sort_keys=True),
            signed_codes=signed_codes,
            feed_epoch=secrets.token_hex(4),
            change_seq=0,
            created_at=utc_text(now),
        )
    )
    return parsed


def set_office(
    connection: Connection,
    code: str,
    rules: dict[str, Any] | None,
    signed_codes: bool | None,
    name: str | None = None,
) -> None:
    """Change an office's rules (merged over the stored ones), its signed-codes option or its full name
    ("" removes it). Kiosks get the change with their next page (a name: every kiosk, in the directory)."""
    row = office(connection, code)
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = office_name(row.code, name)
    if rules is not None:
        merged = {**json.loads(row.rules), **rules, "office_code": row.code}
        try:
            values["rules"] = json.dumps(rules_to_json(rules_from_json(merged)), sort_keys=True)
        except (ValueError, TypeError) as exc:
            raise OfficeError(f"bad office settings: {exc}") from exc
    if signed_codes is not None:
        values["signed_codes"] = signed_codes
    if values:
        connection.execute(update(OfficeRow).where(OfficeRow.code == row.code).values(**values))


def office(connection: Connection, code: str) -> Any:
    row = connection.execute(select(OfficeRow).where(OfficeRow.code == code.upper())).first()
    if row is None:
        raise OfficeError(f"no office {code!r}; add it with `kiosk server office add {code}`")
    return row


def offices(connection: Connection) -> list[Any]:
    return list(connection.execute(select(OfficeRow).order_by(OfficeRow.code)).all())


def office_name(code: str, name: str) -> str:
    """An office's full name as stored and sent: runs of white space made one space; "" (no name) or
    what the wire's OfficeName accepts (one printable line of at most 120 characters)."""
    name = " ".join(name.split())
    if not name:
        return ""
    try:
        return OfficeName(office_code=code, name=name).name
    except ValidationError as exc:
        problem = "; ".join(str(e["msg"]) for e in exc.errors()[:2])
        raise OfficeError(f"bad office name {name[:40]!r}: {problem}") from exc


def directory(connection: Connection) -> dict[str, str]:
    """Every office that has a full name: code -> name. Public information: every kiosk gets all of it,
    so that a wrong-office answer can name the office of the applicant's booking."""
    rows = connection.execute(
        select(OfficeRow.code, OfficeRow.name).where(OfficeRow.name != "").order_by(OfficeRow.code)
    )
    return {str(code): str(name) for code, name in rows}


def info(row: Any) -> OfficeInfo:
    rules = rules_for_kiosks(json.loads(row.rules))
    return OfficeInfo(office_code=row.code, rules=rules, signed_codes=row.signed_codes)


def rules_of(row: Any) -> OfficeRules:
    return rules_from_json(json.loads(row.rules))


# --- reading an export ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    message: str


@dataclass(slots=True)
class ImportReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    moved: int = 0
    errors: list[LineError] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.inserted} new, {self.updated} changed, {self.unchanged} unchanged, {self.stale} stale "
            f"(older version than stored), {self.moved} moved to another office, {len(self.errors)} refused"
        )
        shown = "".join(f"\n  {f'line {e.line}: ' if e.line else ''}{e.message}" for e in self.errors[:20])
        more = f"\n  ... and {len(self.errors) - 20} more" if len(self.errors) > 20 else ""
        return text + shown + more


def read_export(path: Path, fmt: str | None = None) -> tuple[list[WireBooking], list[LineError]]:
    """Parse a CSV (header row with the FIELDS names) or JSON-lines export. Bad lines are reported, not fatal."""
    fmt = fmt or ("jsonl" if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise OfficeError(f"cannot read {path}: {exc}") from exc
    return parse_export(text, fmt)


def parse_export(text: str, fmt: str) -> tuple[list[WireBooking], list[LineError]]:
    records = _jsonl_records(text) if fmt == "jsonl" else _csv_records(text)
    bookings: list[WireBooking] = []
    errors: list[LineError] = []
    for line, record in records:
        if isinstance(record, str):
            errors.append(LineError(line, record))
            continue
        try:
            bookings.append(wire_booking(record))
        except (ValidationError, ValueError) as exc:
            errors.append(LineError(line, _short(exc)))
    return bookings, errors


def wire_booking(record: dict[str, Any]) -> WireBooking:
    unknown = set(record) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown column(s): {', '.join(sorted(unknown))}")
    values = {k: v for k, v in record.items() if v not in (None, "")}
    payload = parse_payload(str(values.get("code", "")))
    if payload.kind is not PayloadKind.BOOKING_CODE:
        raise ValueError(f"code is not a booking code ({payload.kind.value})")
    values["code"] = payload.code
    for name in ("office_code",):
        if isinstance(values.get(name), str):
            values[name] = values[name].strip().upper()
    return WireBooking.model_validate(values)


def _csv_records(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {"code", "booking_ref", "office_code", "service_date", "slot_start", "slot_end"} - set(
        reader.fieldnames or ()
    )
    if missing:
        yield 1, f"header lacks column(s): {', '.join(sorted(missing))}"
        return
    for row in reader:
        if None in row:
            yield reader.line_num, "more fields than the header names"
            continue
        yield reader.line_num, dict(row)


def _jsonl_records(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            yield number, "not a JSON object"
            continue
        yield number, record if isinstance(record, dict) else "not a JSON object"


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3]]
        return "; ".join(parts)
    return str(exc)[:200]


# --- applying an export ---------------------------------------------------------------------------


FOREIGN_BOOKING = "Jadwal milik kantor lain / Booking belongs to another office"


def apply_import(
    connection: Connection, bookings: Sequence[WireBooking], now: dt.datetime, only_office: str | None = None
) -> ImportReport:
    """Apply validated bookings in the caller's write transaction.

    With `only_office` (an office's own upload, the dashboard) every booking must be for that office, and
    one whose booking_ref or code already belongs to another office is refused (in report.errors), never
    moved: only the national import (`kiosk server import`) moves bookings between offices."""
    report = ImportReport()
    latest: dict[str, WireBooking] = {}
    for booking in bookings:  # the last line for a ref wins within one file
        latest[booking.booking_ref] = booking
    lock_writer(connection)
    if only_office is not None:  # checked under the writer lock: nothing moves a booking meanwhile
        _keep_own(connection, latest, only_office, report)
    offices_known = {row.code: row for row in offices(connection)}
    _leave_out_unknown_offices(latest, set(offices_known), report)
    existing = _existing(connection, list(latest))
    _check_code_owners(connection, latest)
    seqs = {code: row.change_seq for code, row in offices_known.items()}
    now_text = utc_text(now)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    removals: list[dict[str, Any]] = []
    for ref in sorted(latest, key=lambda r: (latest[r].office_code, r)):
        _plan(latest[ref], existing.get(ref), now_text, seqs, report, inserts, updates, removals)
    if inserts:
        connection.execute(insert(BookingRow), inserts)
    if updates:
        connection.execute(update(BookingRow).where(BookingRow.booking_ref == bindparam("b_ref")), updates)
    if removals:
        connection.execute(insert(RemovalRow), removals)
    for code, seq in seqs.items():
        if seq != offices_known[code].change_seq:
            connection.execute(update(OfficeRow).where(OfficeRow.code == code).values(change_seq=seq))
    return report


def _leave_out_unknown_offices(latest: dict[str, WireBooking], known: set[str], report: ImportReport) -> None:
    """A booking for an office this server does not have is refused (in report.errors), the rest of the
    file imported: a national export that names an office not registered yet must not leave every
    other office without its bookings for the day."""
    for ref, booking in list(latest.items()):
        if booking.office_code not in known:
            del latest[ref]
            report.errors.append(
                LineError(
                    0,
                    f"{ref}: office {booking.office_code} is not registered here "
                    f"(kiosk server office add {booking.office_code} ..., then import the file again)",
                )
            )


def _keep_own(connection: Connection, latest: dict[str, WireBooking], office_code: str, report: ImportReport) -> None:
    """An office's own upload: refuse the file if a booking is for another office, and leave out (as
    refused) a booking whose ref or code belongs to another office already."""
    for booking in latest.values():
        if booking.office_code != office_code:
            raise OfficeError(f"booking {booking.booking_ref} is not for office {office_code}")
    for ref in foreign_bookings(connection, list(latest.values()), office_code):
        del latest[ref]
        report.errors.append(LineError(0, f"{ref}: {FOREIGN_BOOKING}"))


def _plan(
    booking: WireBooking,
    old: dict[str, Any] | None,
    now_text: str,
    seqs: dict[str, int],
    report: ImportReport,
    inserts: list[dict[str, Any]],
    updates: list[dict[str, Any]],
    removals: list[dict[str, Any]],
) -> None:
    """Sort one imported booking into insert, update (with a removal from its old office), or nothing."""
    row = _row(booking, now_text)
    if old is None:
        seqs[booking.office_code] += 1
        inserts.append({**row, "change_seq": seqs[booking.office_code]})
        report.inserted += 1
        return
    if booking.version < old["version"]:
        report.stale += 1
        return
    if booking.version == old["version"] and all(row[k] == old[k] for k in _COMPARED):
        report.unchanged += 1
        return
    if row["version"] <= old["version"]:
        row["version"] = old["version"] + 1  # a content change always reaches the kiosks
    if old["office_code"] != booking.office_code:
        seqs[old["office_code"]] += 1
        removal = {"booking_ref": booking.booking_ref, "version": row["version"]}
        removals.append({**removal, "office_code": old["office_code"], "change_seq": seqs[old["office_code"]]})
        report.moved += 1
    seqs[booking.office_code] += 1
    updates.append({**row, "change_seq": seqs[booking.office_code], "b_ref": booking.booking_ref})
    report.updated += 1


def cancel(connection: Connection, code: str, status: str, now: dt.datetime) -> str:
    """Mark a booking cancelled (or rescheduled) by its code: it reaches every kiosk of its office as a
    tombstone, which also revokes a signed code for it. Returns the booking ref."""
    lock_writer(connection)
    payload = parse_payload(code)
    row = connection.execute(select(BookingRow).where(BookingRow.code == payload.code)).first()
    if row is None:
        raise OfficeError("no booking with that code")
    office_row = office(connection, row.office_code)
    seq = office_row.change_seq + 1
    connection.execute(
        update(BookingRow)
        .where(BookingRow.id == row.id)
        .values(status=status, version=row.version + 1, updated_at=utc_text(now), change_seq=seq)
    )
    connection.execute(update(OfficeRow).where(OfficeRow.code == office_row.code).values(change_seq=seq))
    return str(row.booking_ref)


def _row(booking: WireBooking, now_text: str) -> dict[str, Any]:
    return {
        "code": booking.code,
        "booking_ref": booking.booking_ref,
        "office_code": booking.office_code,
        "service_date": booking.service_date.isoformat(),
        "slot_start": booking.slot_start,
        "slot_end": booking.slot_end,
        "status": booking.status.value,
        "party_size": booking.party_size,
        "category": booking.category.value,
        "display_name": booking.display_name,
        "nik_last4": booking.nik_last4,
        "version": booking.version,
        "updated_at": utc_text(booking.updated_at) if booking.updated_at else now_text,
    }


def _existing(connection: Connection, refs: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(refs):
        rows = connection.execute(select(BookingRow).where(BookingRow.booking_ref.in_(chunk))).mappings()
        for row in rows:
            found[row["booking_ref"]] = dict(row)
    return found


def foreign_bookings(connection: Connection, bookings: Sequence[WireBooking], office_code: str) -> list[str]:
    """The booking refs among `bookings` whose ref or code the server holds already for another office
    than `office_code` (in the order given, each once)."""
    by_ref = {b.booking_ref: b for b in bookings}
    by_code = {b.code: b.booking_ref for b in bookings}
    foreign: set[str] = set()
    for chunk in _chunks(list(by_ref)):
        foreign.update(
            connection.execute(
                select(BookingRow.booking_ref).where(
                    BookingRow.booking_ref.in_(chunk), BookingRow.office_code != office_code
                )
            ).scalars()
        )
    for chunk in _chunks(list(by_code)):
        for code in connection.execute(
            select(BookingRow.code).where(BookingRow.code.in_(chunk), BookingRow.office_code != office_code)
        ).scalars():
            foreign.add(by_code[code])
    return [ref for ref in by_ref if ref in foreign]


def _check_code_owners(connection: Connection, latest: dict[str, WireBooking]) -> None:
    """A code belongs to one booking: refuse a file that gives one code to two refs."""
    by_code: dict[str, str] = {}
    for ref, booking in latest.items():
        other = by_code.setdefault(booking.code, ref)
        if other != ref:
            raise OfficeError(f"bookings {other} and {ref} have the same code")
    for chunk in _chunks(list(by_code)):
        rows = connection.execute(select(BookingRow.code, BookingRow.booking_ref).where(BookingRow.code.in_(chunk)))
        for code, ref in rows:
            if by_code[code] != ref:
                raise OfficeError(f"booking {by_code[code]} has the code of booking {ref}")


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
