"""One row's text fields into a checked IncomingBooking, or a RowError naming the first thing wrong.

Apart from the file so that the rules for a value (what a code, a date, a time, a name may be) can be
read, tested and changed without the streaming around them. Messages name the column and quote the
value (shortened, escaped, never a long digit run): the row's line is added by whoever reports it.

Dates are ISO (2026-12-01) or day/month/year as Excel writes them in an Indonesian locale (01/12/2026,
1/12/2026, 01-12-2026). Never month/day/year: 02/13/2026 is refused, not read as 13 February, because
a date that is merely plausible (03/04/2026) cannot be told apart and a guess would admit on the wrong
day. Times are 08:30 or, as an Indonesian locale writes them, 08.30 (also 8.30 and 08.30.00).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping
from typing import TypeVar
from zoneinfo import ZoneInfo

from kiosk.domain.model import MAX_PARTY_SIZE, Booking, Category, Status
from kiosk.domain.payload import PayloadKind, parse_payload
from kiosk.store.bookings import IncomingBooking
from kiosk.store.times import to_text

REQUIRED_FIELDS = (
    "code",
    "booking_ref",
    "office",
    "service_date",
    "slot_start",
    "slot_end",
    "status",
    "party_size",
    "category",
    "name",
    "nik_last4",
)
OPTIONAL_FIELDS = ("version", "updated_at")
ALL_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS
#: Fields that may be empty; every other required field must have a value.
MAY_BE_EMPTY = frozenset({"name", "nik_last4", "version", "updated_at"})

MAX_NAME_CHARS = 120
MAX_REF_CHARS = 64
MAX_OFFICE_CHARS = 32

_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DMY_DATE = re.compile(r"([0-9]{1,2})([/-])([0-9]{1,2})\2([0-9]{4})")
_DMY_SHORT_YEAR = re.compile(r"[0-9]{1,2}([/-])[0-9]{1,2}\1[0-9]{2}")
_DATE_FORMS = "expected YYYY-MM-DD or DD/MM/YYYY, e.g. 2026-12-01 or 01/12/2026"
_TIME = re.compile(r"([0-9]{1,2})([:.])([0-9]{2})(?:\2([0-9]{2}))?")
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]*")
_OFFICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_DIGIT_RUN = re.compile(r"[0-9][0-9 .-]{14,}[0-9]")
_FORMULA_START = ("=", "+", "@")
_MONTHS = 12

_Choice = TypeVar("_Choice", bound=enum.StrEnum)


class RowError(ValueError):
    """A row's value is wrong; the message is the reason reported for its line."""


def booking_from_fields(values: Mapping[str, str], zone: ZoneInfo, default_updated_at: str) -> IncomingBooking:
    """Check and convert one row's text fields. Raises RowError naming the first thing wrong."""
    fields = _present_fields(values)
    nik_last4, name = _nik_last4(fields["nik_last4"]), _name(fields["name"])  # privacy first
    code = _code(fields["code"])
    booking_ref, office = _ref(fields["booking_ref"]), _office(fields["office"])
    service_date = _date(fields["service_date"], "service_date")
    slot_start, slot_end = _time(fields["slot_start"], "slot_start"), _time(fields["slot_end"], "slot_end")
    if slot_end <= slot_start:
        raise RowError(
            f"the slot ends at {fields['slot_end']} but starts at {fields['slot_start']}: slot_end must be later"
        )
    booking = Booking(
        booking_ref=booking_ref,
        office_code=office,
        service_date=service_date,
        slot_start=slot_start,
        slot_end=slot_end,
        status=_choice(Status, fields["status"], "status"),
        party_size=_whole_number(fields["party_size"], "party_size", 1, MAX_PARTY_SIZE),
        category=_choice(Category, fields["category"], "category"),
        display_name=name,
        nik_last4=nik_last4,
        version=_whole_number(fields["version"], "version", 1, 2**62) if fields["version"] else 1,
    )
    updated_at = _updated_at(fields["updated_at"], zone) if fields["updated_at"] else default_updated_at
    return IncomingBooking(code, booking, updated_at)


def _present_fields(values: Mapping[str, str]) -> dict[str, str]:
    """Every field checked for non-UTF-8 bytes and for presence, and stripped."""
    if has_undecodable_bytes("".join(values.values())):  # once per row; find the field only if needed
        bad = next(name for name in ALL_FIELDS if has_undecodable_bytes(values.get(name) or ""))
        raise RowError(f"{bad} has bytes that are not UTF-8 (save the export as UTF-8, not Latin-1/ANSI)")
    fields: dict[str, str] = {}
    for name in ALL_FIELDS:
        value = values.get(name)
        if value is None:
            if name in REQUIRED_FIELDS:
                raise RowError(f"{name} is missing")
            value = ""
        value = value.strip()
        if not value and name not in MAY_BE_EMPTY:
            raise RowError(f"{name} is empty")
        fields[name] = value
    return fields


def _code(value: str) -> str:
    payload = parse_payload(value)
    if payload.kind is PayloadKind.BOOKING_CODE:
        return payload.code
    if payload.kind is PayloadKind.NATIONAL_ID:
        raise RowError("code is a 16-digit number (a NIK?), not a booking code")
    if payload.kind is PayloadKind.SIGNED_CODE:
        raise RowError("code is a signed QR payload; export the plain booking code")
    raise RowError(
        f"code {shown(value)} is not a booking code (8 to 32 letters and digits, "
        "optionally in groups joined by '-', with at least one letter)"
    )


def _ref(value: str) -> str:
    if len(value) > MAX_REF_CHARS or not value.isascii() or not _REF.fullmatch(value):
        raise RowError(
            f"booking_ref {shown(value)} must be 1 to {MAX_REF_CHARS} ASCII letters, digits or . _ : / - (no spaces)"
        )
    return value


def _office(value: str) -> str:
    if len(value) > MAX_OFFICE_CHARS or not value.isascii() or not _OFFICE.fullmatch(value):
        raise RowError(f"office {shown(value)} must be 1 to {MAX_OFFICE_CHARS} ASCII letters, digits, _ or -")
    return value.upper()


def _date(value: str, name: str) -> dt.date:
    """YYYY-MM-DD, or day/month/year with '/' or '-' (one or two digits each, the year in full)."""
    if iso := _ISO_DATE.fullmatch(value):
        year, month, day = int(iso[1]), int(iso[2]), int(iso[3])
    elif dmy := _DMY_DATE.fullmatch(value):
        day, month, year = int(dmy[1]), int(dmy[3]), int(dmy[4])
        if month > _MONTHS:
            raise RowError(
                f"bad {name} {shown(value)}: not a date (day/month/year: there is no month {month}; "
                "month/day/year is never read)"
            )
    elif _DMY_SHORT_YEAR.fullmatch(value):
        raise RowError(f"bad {name} {shown(value)}: give the year in full ({_DATE_FORMS})")
    else:
        raise RowError(f"bad {name} {shown(value)} ({_DATE_FORMS})")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise RowError(f"bad {name} {shown(value)}: no such day") from None


def _time(value: str, name: str) -> dt.time:
    """HH:MM or HH.MM (the hour may have one digit), optionally with :00 or .00 seconds."""
    match = _TIME.fullmatch(value)
    if not match:
        raise RowError(f"bad {name} {shown(value)} (expected HH:MM or HH.MM, e.g. 08:30)")
    hour, minute, second = int(match[1]), int(match[3]), int(match[4] or 0)
    if hour > 23 or minute > 59 or second != 0:
        raise RowError(f"bad {name} {shown(value)}: not a time of day in whole minutes")
    return dt.time(hour, minute)


def _whole_number(value: str, name: str, low: int, high: int) -> int:
    if not value.isascii() or not value.isdigit():
        raise RowError(f"{name} {shown(value)} is not a whole number")
    number = int(value)
    if not low <= number <= high:
        raise RowError(f"{name} {number} is out of range ({low} to {high})")
    return number


def _choice(kind: type[_Choice], value: str, name: str) -> _Choice:
    try:
        return kind(value.lower())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise RowError(f"unknown {name} {shown(value)} (expected one of: {allowed})") from None


def _name(value: str) -> str:
    name = " ".join(value.split())  # tabs, double spaces and no-break spaces from spreadsheets
    if _DIGIT_RUN.search(name):
        raise RowError("name holds a long number (a NIK?); the kiosk keeps only the name")
    if len(name) > MAX_NAME_CHARS:
        raise RowError(f"name is longer than {MAX_NAME_CHARS} characters")
    if not name.isprintable():
        raise RowError("name has control or invisible characters (bidi, zero-width...)")
    if name.startswith(_FORMULA_START):
        raise RowError("name starts like a spreadsheet formula (=, +, @)")
    return name


def _nik_last4(value: str) -> str:
    if not value:
        return ""
    digits = re.sub(r"[ .-]", "", value)
    if not (digits.isascii() and digits.isdigit()):
        raise RowError("nik_last4 must be exactly 4 digits or empty")
    if len(digits) == 4:
        return digits
    if len(digits) == 16:
        raise RowError(
            "nik_last4 holds a full 16-digit NIK; the kiosk never stores full NIKs: export only the last 4 digits"
        )
    hint = "; did a spreadsheet drop a leading zero?" if len(digits) < 4 else ""
    raise RowError(f"nik_last4 must be exactly 4 digits or empty (got {len(digits)} digits{hint})")


def _updated_at(value: str, zone: ZoneInfo) -> str:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise RowError(f"bad updated_at {shown(value)} (expected ISO-8601, e.g. 2026-11-28T09:15:00+08:00)") from None
    return to_text(parsed if parsed.tzinfo else parsed.replace(tzinfo=zone))


# --- messages ---------------------------------------------------------------------------------------


def has_undecodable_bytes(value: str) -> bool:
    """True when text read with errors="surrogateescape" kept bytes that were not UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def shown(value: str, limit: int = 40) -> str:
    """A value as it may appear in a message: quoted, escaped, shortened, never a long digit run."""
    if _DIGIT_RUN.search(value):
        return "(a long number, not shown)"
    text = value if len(value) <= limit else value[: limit - 1] + "…"
    return repr(text)


def short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
