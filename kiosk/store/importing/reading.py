"""A booking export's bytes into rows of text fields, one line number each: the format, the encoding,
the CSV dialect and JSON lines. Nothing here knows what a valid booking is (that is `fields`).

Apart because this is where files from the outside world differ: Excel in an Indonesian locale writes
';' between fields (the separator is read from the header line: ',', ';' or a tab), a UTF-8 byte-order
mark, CRLF line ends and, saved as plain "CSV (Comma delimited)", Windows-1252 rather than UTF-8.

The encoding is decided for the whole file before the first pass, from all of its bytes:
* valid UTF-8 throughout, or starting with a UTF-8 byte-order mark: UTF-8;
* not UTF-8 anywhere it is not ASCII (no valid multi-byte UTF-8 sequence at all) and nothing Windows-1252
  leaves undefined: Windows-1252 (a superset of Latin-1's letters), with a note naming the first line
  that is not ASCII, so that a person can check a name;
* anything else (UTF-8 mixed with other bytes): UTF-8, and each row holding bytes that are not UTF-8 is
  refused. Reading such a file either way would turn some name into something else, silently.
"""

from __future__ import annotations

import codecs
import csv
import enum
import io
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from kiosk.store.importing.fields import ALL_FIELDS, OPTIONAL_FIELDS, REQUIRED_FIELDS, short
from kiosk.store.importing.progress import PROGRESS_EVERY, Progress

MAX_LINE_CHARS = 64 * 1024
UTF8 = "utf-8-sig"
WINDOWS_1252 = "cp1252"

_BOMS_NOT_UTF8 = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}
_SNIFF_CHUNK = 64 * 1024
_ESCAPED = re.compile("[\udc80-\udcff]")  # a byte that is not UTF-8, as errors="surrogateescape" keeps it
_MULTIBYTE = re.compile("[^\x00-\x7f\udc80-\udcff]")  # a character that came from valid multi-byte UTF-8
_UNDEFINED_IN_1252 = re.compile("[\udc81\udc8d\udc8f\udc90\udc9d]")


class ImportFormat(enum.StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


class ImportFileError(Exception):
    """The whole file cannot be imported (wrong format, missing columns, empty...); nothing was applied."""


_EXTENSIONS = {".csv": ImportFormat.CSV, ".jsonl": ImportFormat.JSONL, ".ndjson": ImportFormat.JSONL}


def guess_format(path: Path) -> ImportFormat:
    """The format from the file name's extension; anything else must be named with --format."""
    fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise ImportFileError(
            f"cannot tell the format of {path.name} from its extension; give --format csv or --format jsonl"
        )
    return fmt


@dataclass(frozen=True, slots=True)
class RawRow:
    line: int
    #: The row's known fields as text (absent ones missing), or None when the row could not be read.
    values: Mapping[str, str] | None
    problem: str = ""


# --- the encoding -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Encoding:
    """How the file's text is decoded (a Python codec name), and what to tell the person importing it."""

    codec: str
    note: str = ""


def choose_encoding(path: Path) -> Encoding:
    """Refuse a file that is empty or UTF-16/32, and decide its encoding (see the module's docstring).
    Reads the file once, in binary, in chunks: about as fast as the disk."""
    with path.open("rb") as binary:
        _refuse_other_encodings(binary, path)
        if binary.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8:
            return Encoding(UTF8)
        binary.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        multibyte = undefined = False
        first_bad = 0  # the line of the first byte that is not UTF-8
        lines = 0
        while True:
            chunk = binary.read(_SNIFF_CHUNK)
            text = decoder.decode(chunk, final=not chunk)
            if not text.isascii():
                multibyte = multibyte or _MULTIBYTE.search(text) is not None
                undefined = undefined or _UNDEFINED_IN_1252.search(text) is not None
                if not first_bad and (bad := _ESCAPED.search(text)):
                    first_bad = lines + text.count("\n", 0, bad.start()) + 1
            if not chunk or (multibyte and first_bad):
                break
            if not first_bad:
                lines += text.count("\n")
    if not first_bad:
        return Encoding(UTF8)
    if multibyte or undefined:
        return Encoding(
            UTF8,
            f"the file has bytes that are not UTF-8 (first on line {first_bad}) but is not Windows-1252 "
            "throughout either: the rows with such bytes are refused",
        )
    return Encoding(
        WINDOWS_1252,
        f'the file is not UTF-8: read as Windows-1252, as Excel saves "CSV (Comma delimited)"; check the names '
        f'from line {first_bad} on, or save the export as "CSV UTF-8"',
    )


def _refuse_other_encodings(binary: IO[bytes], path: Path) -> None:
    head = binary.read(4)
    binary.seek(0)
    for bom, name in _BOMS_NOT_UTF8.items():
        if head.startswith(bom):
            raise ImportFileError(f"{path.name} is {name} text; save the export as UTF-8")
    if not head.strip() and not binary.read(MAX_LINE_CHARS).strip():
        raise ImportFileError(f"{path.name} is empty")
    binary.seek(0)


# --- rows -------------------------------------------------------------------------------------------


def read_rows(
    path: Path, fmt: ImportFormat, codec: str, notes: list[str], progress: Progress | None
) -> Iterator[RawRow]:
    """The file's rows in line order, blank lines skipped; `progress` gets (bytes read, file size)."""
    with path.open("rb") as binary:
        total = max(path.stat().st_size, 1)
        text = io.TextIOWrapper(binary, encoding=codec, errors="surrogateescape", newline="")
        reader = _csv_rows if fmt is ImportFormat.CSV else _jsonl_rows
        for count, row in enumerate(reader(text, path, notes), start=1):
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(min(binary.tell(), total), total)
            yield row
        if progress is not None:
            progress(total, total)


# --- CSV --------------------------------------------------------------------------------------------

_DELIMITERS = (",", ";", "\t")


def _csv_rows(text: IO[str], path: Path, notes: list[str]) -> Iterator[RawRow]:
    first = text.readline(MAX_LINE_CHARS)
    delimiter = delimiter_of(first)
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
            yield RawRow(line, None, f"not readable as CSV ({exc})")
            continue
        if not any(cell.strip() for cell in cells):
            continue  # a blank line, or a spreadsheet's row of empty cells
        if len(cells) > len(header) and not any(cell.strip() for cell in cells[len(header) :]):
            cells = cells[: len(header)]  # trailing empty cells a spreadsheet added
        if len(cells) != len(header):
            yield RawRow(line, None, f"has {len(cells)} fields, the header has {len(header)}")
            continue
        yield RawRow(line, {name: cell for name, cell in zip(header, cells, strict=True) if name in ALL_FIELDS})


def delimiter_of(header_line: str) -> str:
    """Spreadsheets set to Indonesian number format export CSV with semicolons; accept those and tabs.
    The separator is the one the header line has most of; commas win a tie (and a header of one column)."""
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


def _jsonl_rows(text: IO[str], path: Path, notes: list[str]) -> Iterator[RawRow]:
    unknown: set[str] = set()
    line = 0
    while True:
        chunk = text.readline(MAX_LINE_CHARS + 1)
        if not chunk:
            break
        line += 1
        if len(chunk) > MAX_LINE_CHARS and not chunk.endswith(("\n", "\r")):
            _skip_rest_of_line(text)
            yield RawRow(line, None, f"is longer than {MAX_LINE_CHARS} characters")
            continue
        stripped = chunk.strip()
        if not stripped:
            continue
        if line == 1 and stripped.startswith("["):
            raise ImportFileError(f"{path.name} holds a JSON array; export JSON lines (one object per line)")
        yield _jsonl_row(line, stripped, unknown)
    if unknown:
        notes.append(f"ignored field(s) the kiosk does not keep: {', '.join(sorted(unknown))}")


def _jsonl_row(line: int, text: str, unknown: set[str]) -> RawRow:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return RawRow(line, None, f"not valid JSON ({short(str(exc))})")
    if not isinstance(data, dict):
        return RawRow(line, None, f"is a JSON {type(data).__name__}, not an object")
    unknown.update(key for key in data if key not in ALL_FIELDS)
    values: dict[str, str] = {}
    for name in ALL_FIELDS:
        if name in data:
            value = data[name]
            if isinstance(value, bool) or not isinstance(value, str | int | None):
                return RawRow(line, None, f"{name} must be text or a whole number, not {type(value).__name__}")
            values[name] = "" if value is None else str(value)
    return RawRow(line, values)


def _skip_rest_of_line(text: IO[str]) -> None:
    while True:
        rest = text.readline(MAX_LINE_CHARS)
        if not rest or rest.endswith(("\n", "\r")):
            return
