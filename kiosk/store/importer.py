"""Booking exports in, as checked IncomingBookings: CSV with a header row, or JSON lines.

Files can be large (a province's bookings for weeks: a million rows), so nothing holds the file: it is
read twice, as a stream. The first pass checks every row and keeps only 8-byte digests of the codes and
booking references it saw, to find duplicates; the second pass checks every row again and yields the
good ones, which the store applies in one transaction. A code or reference that appears on more than
one line is refused on every one of those lines: which of them is right cannot be known, and a code
must never admit on the wrong booking's details.

Exporters get things wrong in ordinary ways; each is named with its line number so it can be fixed at
the source: missing columns, a byte-order mark, CRLF line ends, extra spaces, a spreadsheet's "8:00"
or "08:30:00", a dropped leading zero, a Latin-1 file, a full NIK where the last four digits belong
(refused: the kiosk never stores a full NIK, and never repeats one in a message).
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import hashlib
import io
import itertools
import json
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar
from zoneinfo import ZoneInfo

from kiosk.domain.model import MAX_PARTY_SIZE, Booking, Category, Status
from kiosk.domain.payload import PayloadKind, mask_code, parse_payload
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

MAX_LINE_CHARS = 64 * 1024
MAX_NAME_CHARS = 120
MAX_REF_CHARS = 64
MAX_OFFICE_CHARS = 32
#: Callback for progress: (units done, units in total). Pass 1 counts bytes, pass 2 counts rows.
Progress = Callable[[int, int], None]

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]*")
_OFFICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_DIGIT_RUN = re.compile(r"[0-9][0-9 .-]{14,}[0-9]")
_FORMULA_START = ("=", "+", "@")
_BOMS_NOT_UTF8 = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


_Choice = TypeVar("_Choice", bound=enum.StrEnum)


class ImportFormat(enum.StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


class ImportFileError(Exception):
    """The whole file cannot be imported (wrong format, missing columns, empty...); nothing was applied."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One refused row: the line it starts on and why, in words the exporter's owner can act on."""

    line: int
    reason: str


@dataclass(slots=True)
class ImportCounts:
    """Filled in as the second pass runs: rows read, yielded and refused."""

    rows: int = 0
    good: int = 0
    refused: int = 0


class RowError(ValueError):
    """A row's value is wrong; the message is the reason reported for its line."""


# --- the format -------------------------------------------------------------------------------------


_EXTENSIONS = {".csv": ImportFormat.CSV, ".jsonl": ImportFormat.JSONL, ".ndjson": ImportFormat.JSONL}


def guess_format(path: Path) -> ImportFormat:
    """The format from the file name's extension; anything else must be named with --format."""
    fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise ImportFileError(
            f"cannot tell the format of {path.name} from its extension; give --format csv or --format jsonl"
        )
    return fmt


# --- the two passes ---------------------------------------------------------------------------------

#: Progress is reported every this many rows (and at the end), so a million rows cost little.
PROGRESS_EVERY = 1024


class BookingFile:
    """A booking export on disk, read as a stream as many times as needed.

    `check()` is the first pass (call it once, before any transaction); `bookings()` is the second: it
    yields the good rows and reports each refused row to `on_problem`, in line order.
    """

    def __init__(
        self, path: Path, fmt: ImportFormat, *, naive_zone: ZoneInfo | None = None, now: dt.datetime | None = None
    ) -> None:
        self.path = path
        self.format = fmt
        self.naive_zone = naive_zone or ZoneInfo("UTC")
        #: updated_at for rows that leave it empty: the time of the import.
        self.default_updated_at = to_text(now or dt.datetime.now(dt.UTC))
        self.notes: list[str] = []
        self.counts = ImportCounts()
        self.rows = 0  # data rows found by check(); blank lines are not rows
        self.candidates = 0  # rows with a valid code and booking_ref: no other row can be imported
        self._duplicates: dict[int, list[int]] | None = None
        self._checked_version: tuple[int, int] | None = None

    def check(self, progress: Progress | None = None) -> None:
        """First pass: refuse an unusable file now, and note the lines of duplicate codes and references.
        Rows are checked in full only in the second pass: this one reads just what duplicates need."""
        codes, refs, lines = array("Q"), array("Q"), array("L")
        self.notes = []
        version = self._file_version()
        rows = candidates = 0
        for raw in self._raw_rows(self.notes, progress):
            rows += 1
            if raw.values is None:
                continue
            code_key, ref_key = _keys_of(raw.values)
            if code_key and ref_key:
                candidates += 1
            if code_key or ref_key:
                codes.append(code_key)
                refs.append(ref_key)
                lines.append(raw.line)
        if rows == 0:
            raise ImportFileError(f"{self.path.name} has no booking rows")
        self.rows, self.candidates = rows, candidates
        self._duplicates = _lines_of_duplicates(codes, refs, lines)
        self._checked_version = version if version == self._file_version() else None

    def bookings(
        self, on_problem: Callable[[RowProblem], None], progress: Progress | None = None
    ) -> Iterator[IncomingBooking]:
        """Second pass: yield the good rows; report each refused one. Raises ImportFileError if the file
        changed since `check()` (its duplicates would be unknown): the caller's transaction then applies
        nothing."""
        if self._duplicates is None:
            raise RuntimeError("call check() before bookings()")
        duplicates = self._duplicates
        self.counts = ImportCounts()
        self._refuse_if_changed()
        for raw in self._raw_rows([], None):
            self.counts.rows += 1
            if progress is not None and (self.counts.rows % PROGRESS_EVERY == 0 or self.counts.rows == self.rows):
                progress(self.counts.rows, self.rows)
            try:
                incoming = self._checked(raw, duplicates)
            except RowError as exc:
                self.counts.refused += 1
                on_problem(RowProblem(raw.line, str(exc)))
                continue
            self.counts.good += 1
            yield incoming
        self._refuse_if_changed()

    def _file_version(self) -> tuple[int, int]:
        status = self.path.stat()
        return status.st_size, status.st_mtime_ns

    def _refuse_if_changed(self) -> None:
        if self._checked_version is None or self._file_version() != self._checked_version:
            raise ImportFileError(f"{self.path.name} changed while it was being imported; import it again")

    def _convert(self, values: Mapping[str, str]) -> IncomingBooking:
        return booking_from_fields(values, self.naive_zone, self.default_updated_at)

    def _checked(self, raw: _RawRow, duplicates: Mapping[int, list[int]]) -> IncomingBooking:
        if raw.values is None:
            raise RowError(raw.problem)
        incoming = self._convert(raw.values)
        _refuse_duplicates(incoming, raw.line, duplicates)
        return incoming

    def _raw_rows(self, notes: list[str], progress: Progress | None) -> Iterator[_RawRow]:
        with self.path.open("rb") as binary:
            _refuse_other_encodings(binary, self.path)
            total = max(self.path.stat().st_size, 1)
            text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="surrogateescape", newline="")
            reader = _csv_rows if self.format is ImportFormat.CSV else _jsonl_rows
            for count, row in enumerate(reader(text, self.path, notes), start=1):
                if progress is not None and count % PROGRESS_EVERY == 0:
                    progress(min(binary.tell(), total), total)
                yield row
            if progress is not None:
                progress(total, total)


@dataclass(frozen=True, slots=True)
class _RawRow:
    line: int
    #: The row's known fields as text (absent ones missing), or None when the row could not be read.
    values: Mapping[str, str] | None
    problem: str = ""


def _refuse_other_encodings(binary: IO[bytes], path: Path) -> None:
    head = binary.read(4)
    binary.seek(0)
    for bom, name in _BOMS_NOT_UTF8.items():
        if head.startswith(bom):
            raise ImportFileError(f"{path.name} is {name} text; save the export as UTF-8")
    if not head.strip() and not binary.read(MAX_LINE_CHARS).strip():
        raise ImportFileError(f"{path.name} is empty")
    binary.seek(0)


# --- CSV --------------------------------------------------------------------------------------------

_DELIMITERS = (",", ";", "\t")


def _csv_rows(text: IO[str], path: Path, notes: list[str]) -> Iterator[_RawRow]:
    first = text.readline(MAX_LINE_CHARS)
    delimiter = _delimiter_of(first)
    if delimiter != ",":
        notes.append(f"the file is separated by {delimiter!r}, not commas")
    reader = csv.reader(itertools.chain([first], text), delimiter=delimiter, strict=True)
    header = _csv_header(reader, path)
    _note_unknown_columns(header, notes)
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield _RawRow(line, None, f"not readable as CSV ({exc})")
            continue
        if not any(cell.strip() for cell in cells):
            continue  # a blank line, or a spreadsheet's row of empty cells
        if len(cells) > len(header) and not any(cell.strip() for cell in cells[len(header) :]):
            cells = cells[: len(header)]  # trailing empty cells a spreadsheet added
        if len(cells) != len(header):
            yield _RawRow(line, None, f"has {len(cells)} fields, the header has {len(header)}")
            continue
        yield _RawRow(line, {name: cell for name, cell in zip(header, cells, strict=True) if name in ALL_FIELDS})


def _delimiter_of(header_line: str) -> str:
    """Spreadsheets set to Indonesian number format export CSV with semicolons; accept those and tabs."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _csv_header(reader: Iterator[list[str]], path: Path) -> list[str]:
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(f"{path.name} is empty") from None
    except csv.Error as exc:
        raise ImportFileError(f"{path.name}: the header row is not readable as CSV ({exc})") from exc
    names = [cell.strip().lower() for cell in header]
    duplicates = sorted({name for name in names if name and names.count(name) > 1})
    if duplicates:
        raise ImportFileError(f"{path.name}: column(s) named twice in the header: {', '.join(duplicates)}")
    missing = [name for name in REQUIRED_FIELDS if name not in names]
    if missing:
        raise ImportFileError(
            f"{path.name}: missing column(s): {', '.join(missing)} (the header row must name "
            f"{', '.join(REQUIRED_FIELDS)}; optional: {', '.join(OPTIONAL_FIELDS)})"
        )
    return names


def _note_unknown_columns(names: Iterable[str], notes: list[str]) -> None:
    unknown = [name or "(blank)" for name in names if name not in ALL_FIELDS]
    if unknown:
        notes.append(f"ignored column(s) the kiosk does not keep: {', '.join(unknown)}")


# --- JSON lines -------------------------------------------------------------------------------------


def _jsonl_rows(text: IO[str], path: Path, notes: list[str]) -> Iterator[_RawRow]:
    unknown: set[str] = set()
    line = 0
    while True:
        chunk = text.readline(MAX_LINE_CHARS + 1)
        if not chunk:
            break
        line += 1
        if len(chunk) > MAX_LINE_CHARS and not chunk.endswith(("\n", "\r")):
            _skip_rest_of_line(text)
            yield _RawRow(line, None, f"is longer than {MAX_LINE_CHARS} characters")
            continue
        stripped = chunk.strip()
        if not stripped:
            continue
        if line == 1 and stripped.startswith("["):
            raise ImportFileError(f"{path.name} holds a JSON array; export JSON lines (one object per line)")
        yield _jsonl_row(line, stripped, unknown)
    if unknown:
        notes.append(f"ignored field(s) the kiosk does not keep: {', '.join(sorted(unknown))}")


def _jsonl_row(line: int, text: str, unknown: set[str]) -> _RawRow:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return _RawRow(line, None, f"not valid JSON ({_short(str(exc))})")
    if not isinstance(data, dict):
        return _RawRow(line, None, f"is a JSON {type(data).__name__}, not an object")
    unknown.update(key for key in data if key not in ALL_FIELDS)
    values: dict[str, str] = {}
    for name in ALL_FIELDS:
        if name in data:
            value = data[name]
            if isinstance(value, bool) or not isinstance(value, str | int | None):
                return _RawRow(line, None, f"{name} must be text or a whole number, not {type(value).__name__}")
            values[name] = "" if value is None else str(value)
    return _RawRow(line, values)


def _skip_rest_of_line(text: IO[str]) -> None:
    while True:
        rest = text.readline(MAX_LINE_CHARS)
        if not rest or rest.endswith(("\n", "\r")):
            return


# --- one row ----------------------------------------------------------------------------------------


def _refuse_duplicates(incoming: IncomingBooking, line: int, duplicates: Mapping[int, list[int]]) -> None:
    for kind, key, shown in (
        ("code", _digest("c", incoming.code), mask_code(incoming.code)),
        ("booking_ref", _digest("r", incoming.booking.booking_ref), incoming.booking.booking_ref),
    ):
        lines = duplicates.get(key)
        if lines:
            others = ", ".join(str(n) for n in lines if n != line)
            raise RowError(f"duplicate {kind} {shown}: also on line(s) {others}; none of these lines is imported")


def booking_from_fields(values: Mapping[str, str], zone: ZoneInfo, default_updated_at: str) -> IncomingBooking:
    """Check and convert one row's text fields. Raises RowError naming the first thing wrong."""
    fields = _present_fields(values)
    nik_last4, name = _nik_last4(fields["nik_last4"]), _name(fields["name"])  # privacy first
    code = _code(fields["code"])
    booking_ref, office = _ref(fields["booking_ref"]), _office(fields["office"])
    service_date = _date(fields["service_date"])
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
    if _has_undecodable_bytes("".join(values.values())):  # once per row; find the field only if needed
        bad = next(name for name in ALL_FIELDS if _has_undecodable_bytes(values.get(name) or ""))
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
        f"code {_shown(value)} is not a booking code (8 to 32 letters and digits, "
        "optionally in groups joined by '-', with at least one letter)"
    )


def _ref(value: str) -> str:
    if len(value) > MAX_REF_CHARS or not value.isascii() or not _REF.fullmatch(value):
        raise RowError(
            f"booking_ref {_shown(value)} must be 1 to {MAX_REF_CHARS} ASCII letters, digits or . _ : / - (no spaces)"
        )
    return value


def _office(value: str) -> str:
    if len(value) > MAX_OFFICE_CHARS or not value.isascii() or not _OFFICE.fullmatch(value):
        raise RowError(f"office {_shown(value)} must be 1 to {MAX_OFFICE_CHARS} ASCII letters, digits, _ or -")
    return value.upper()


def _date(value: str) -> dt.date:
    if not _DATE.fullmatch(value):
        raise RowError(f"bad service_date {_shown(value)} (expected YYYY-MM-DD, e.g. 2026-12-01)")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise RowError(f"bad service_date {_shown(value)}: no such day") from None


def _time(value: str, name: str) -> dt.time:
    match = _TIME.fullmatch(value)
    if not match:
        raise RowError(f"bad {name} {_shown(value)} (expected HH:MM, e.g. 08:30)")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 23 or minute > 59 or second != 0:
        raise RowError(f"bad {name} {_shown(value)}: not a time of day in whole minutes")
    return dt.time(hour, minute)


def _whole_number(value: str, name: str, low: int, high: int) -> int:
    if not value.isascii() or not value.isdigit():
        raise RowError(f"{name} {_shown(value)} is not a whole number")
    number = int(value)
    if not low <= number <= high:
        raise RowError(f"{name} {number} is out of range ({low} to {high})")
    return number


def _choice(kind: type[_Choice], value: str, name: str) -> _Choice:
    try:
        return kind(value.lower())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise RowError(f"unknown {name} {_shown(value)} (expected one of: {allowed})") from None


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
        raise RowError(f"bad updated_at {_shown(value)} (expected ISO-8601, e.g. 2026-11-28T09:15:00+08:00)") from None
    return to_text(parsed if parsed.tzinfo else parsed.replace(tzinfo=zone))


# --- duplicates -------------------------------------------------------------------------------------


def _keys_of(values: Mapping[str, str]) -> tuple[int, int]:
    """The digests of a row's code and reference (0 when absent or not valid). Rows refused for another
    reason count too: a second row with the same code must not be trusted either."""
    code = parse_payload(values.get("code") or "")
    ref = (values.get("booking_ref") or "").strip()
    code_key = _digest("c", code.code) if code.kind is PayloadKind.BOOKING_CODE else 0
    return code_key, _digest("r", ref) if ref else 0


def _digest(kind: str, value: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{kind}:{value}".encode(), digest_size=8).digest(), "big")


def _lines_of_duplicates(codes: array[int], refs: array[int], lines: array[int]) -> dict[int, list[int]]:
    """For every digest seen on more than one line, those lines. Sorting keeps memory to the arrays."""
    repeated = _repeated(codes) | _repeated(refs)
    found: dict[int, list[int]] = {}
    if not repeated:
        return found
    for code, ref, line in zip(codes, refs, lines, strict=True):
        for key in (code, ref):
            if key in repeated:
                found.setdefault(key, []).append(line)
    return found


def _repeated(digests: array[int]) -> set[int]:
    ordered = sorted(digests)
    return {a for a, b in itertools.pairwise(ordered) if a == b and a != 0}


# --- messages ---------------------------------------------------------------------------------------


def _has_undecodable_bytes(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _shown(value: str, limit: int = 40) -> str:
    """A value as it may appear in a message: quoted, escaped, shortened, never a long digit run."""
    if _DIGIT_RUN.search(value):
        return "(a long number, not shown)"
    text = value if len(value) <= limit else value[: limit - 1] + "…"
    return repr(text)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
