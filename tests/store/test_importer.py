"""The booking import: every mistake an exporter makes is refused with its line and a reason; the
good rows come through; conflicting duplicates refuse every copy; the file is streamed, never held. The
date and time forms, encodings, separators, duplicates and progress lines have their own tables in
tests/store/test_import_*.py."""

from __future__ import annotations

import datetime as dt
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.domain.model import Category, OfficeRules, Status
from kiosk.store.db import KioskStore, StoreError
from kiosk.store.importer import (
    ALL_FIELDS,
    BookingFile,
    ImportFileError,
    ImportFormat,
    RowProblem,
    guess_format,
)
from kiosk.store.settings import Identity
from tests.store.import_files import (
    FULL_NIK,
    GOOD,
    HEADER,
    NOW,
    WITA,
    csv_line,
    fail_on_problem,
    other,
    run,
    write,
)

# --- good rows --------------------------------------------------------------------------------------


def test_a_good_row_becomes_a_booking_with_a_canonical_code(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n{csv_line()}\n")
    export = BookingFile(path, ImportFormat.CSV, naive_zone=WITA, now=NOW)
    export.check()
    [incoming] = list(export.bookings(fail_on_problem))
    booking = incoming.booking
    assert incoming.code == "MP7K4Q9XH2PT"
    assert (booking.booking_ref, booking.office_code, booking.service_date) == (
        "MP-261201-0001",
        "DPS",
        dt.date(2026, 12, 1),
    )
    assert (booking.slot_start, booking.slot_end) == (dt.time(10), dt.time(10, 30))
    assert (booking.status, booking.category, booking.party_size) == (Status.ACTIVE, Category.REGULAR, 3)
    assert (booking.display_name, booking.nik_last4, booking.version) == ("Ni Luh Putu Ayu", "4821", 1)
    assert incoming.updated_at == "2026-12-01T08:00:00.000000+00:00"  # the import time when absent


def test_what_spreadsheets_do_to_a_file_is_forgiven(tmp_path: Path) -> None:
    """BOM, CRLF, spaces around values and names, header case, semicolons, trailing empty cells, blank
    lines, an extra column, 8:00 and 08:30:00, upper-case enums, lower-case codes, a spaced NIK."""
    header = "\ufeff CODE ;Booking_Ref;" + ";".join(list(GOOD)[2:]) + ";phone"
    row = " mp7k-4q9x-h2pt ; MP-1 ;dps;2026-12-01; 8:00 ;08:30:00;ACTIVE; 2 ;Priority;  Budi   Santoso ;12 34;0812;;"
    path = write(tmp_path, f"{header}\r\n\r\n{row}\r\n;;;;;;;;;;;;\r\n")
    codes, problems, export = run(path)
    assert problems == []
    assert codes == ["MP7K4Q9XH2PT"]
    assert any("phone" in note for note in export.notes)
    assert any("';'" in note for note in export.notes)


def test_optional_columns_are_read_when_present(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER},version,updated_at\n{csv_line()},7,2026-11-30T09:15:00\n")
    export = BookingFile(path, ImportFormat.CSV, naive_zone=WITA, now=NOW)
    export.check()
    [incoming] = list(export.bookings(fail_on_problem))
    assert incoming.booking.version == 7
    assert incoming.updated_at == "2026-11-30T01:15:00.000000+00:00"  # naive: the office's zone


# --- bad rows ---------------------------------------------------------------------------------------

BAD_ROWS = [
    pytest.param({"service_date": "2026-13-01"}, "no such day", id="month 13"),
    pytest.param({"service_date": "2026-02-30"}, "no such day", id="30 February"),
    pytest.param({"service_date": "02/13/2026"}, "not a date (day/month/year", id="month/day/year"),
    pytest.param({"service_date": "20261201"}, "expected YYYY-MM-DD", id="basic ISO date"),
    pytest.param({"slot_start": "11:00", "slot_end": "10:30"}, "slot_end must be later", id="end before start"),
    pytest.param({"slot_start": "10:30", "slot_end": "10:30"}, "slot_end must be later", id="empty slot"),
    pytest.param({"slot_start": "10h00"}, "expected HH:MM", id="10h00"),
    pytest.param({"slot_end": "24:00"}, "not a time of day", id="24:00"),
    pytest.param({"slot_end": "10:30:15"}, "whole minutes", id="seconds"),
    pytest.param({"status": "done"}, "unknown status 'done'", id="status"),
    pytest.param({"category": "vip"}, "unknown category 'vip'", id="category"),
    pytest.param({"party_size": "0"}, "party_size 0 is out of range (1 to 5)", id="party 0"),
    pytest.param({"party_size": "6"}, "party_size 6 is out of range", id="party 6"),
    pytest.param({"party_size": "2.0"}, "not a whole number", id="party 2.0"),
    pytest.param({"party_size": "٣"}, "not a whole number", id="arabic-indic digit"),
    pytest.param({"nik_last4": FULL_NIK}, "full 16-digit NIK", id="full NIK"),
    pytest.param({"nik_last4": "3171 2345 6789 0001"}, "full 16-digit NIK", id="spaced full NIK"),
    pytest.param({"nik_last4": "482"}, "leading zero", id="3 digits"),
    pytest.param({"nik_last4": "48215"}, "got 5 digits", id="5 digits"),
    pytest.param({"nik_last4": "48x1"}, "exactly 4 digits", id="letter"),
    pytest.param({"code": "bad!"}, "is not a booking code", id="punctuation"),
    pytest.param({"code": "AB12CD"}, "is not a booking code", id="too short"),
    pytest.param({"code": "MP7K 4Q9X H2PT"}, "is not a booking code", id="inner spaces"),
    pytest.param({"code": "MР7K-4Q9X-H2PT"}, "is not a booking code", id="cyrillic look-alike"),
    pytest.param({"code": FULL_NIK}, "(a NIK?)", id="NIK as code"),
    pytest.param({"code": "KS1.ABCDEFGHIJKLMNOPQRST"}, "signed QR payload", id="signed payload"),
    pytest.param({"code": ""}, "code is empty", id="empty code"),
    pytest.param({"office": ""}, "office is empty", id="empty office"),
    pytest.param({"office": "D P S"}, "office 'D P S' must be", id="office with spaces"),
    pytest.param({"booking_ref": "MP 1"}, "booking_ref 'MP 1' must be", id="ref with space"),
    pytest.param({"booking_ref": "R" * 65}, "booking_ref", id="ref too long"),
    pytest.param({"name": "Budi\x07Santoso"}, "control or invisible", id="control character"),
    pytest.param({"name": "Budi \u202eosotnaS"}, "control or invisible", id="bidi override"),
    pytest.param({"name": "Budi\u200bSantoso"}, "control or invisible", id="zero-width space"),
    pytest.param({"name": '=HYPERLINK("x")'}, "spreadsheet formula", id="formula"),
    pytest.param({"name": f"Budi {FULL_NIK}"}, "long number", id="NIK in name"),
    pytest.param({"name": "N" * 121}, "longer than 120", id="long name"),
]


@pytest.mark.parametrize(("changes", "reason"), BAD_ROWS)
def test_a_bad_row_is_refused_with_its_line_and_reason(tmp_path: Path, changes: dict[str, str], reason: str) -> None:
    path = write(tmp_path, f"{HEADER}\n{other(1)}\n{csv_line(**changes)}\n{other(2)}\n")
    codes, problems, _ = run(path)
    assert [problem.line for problem in problems] == [3]
    assert reason in problems[0].reason
    assert codes == ["GOODROW0001", "GOODROW0002"]


@pytest.mark.parametrize(
    ("extra_columns", "values", "reason"),
    [
        pytest.param(",version", ",0", "version 0 is out of range", id="version 0"),
        pytest.param(",version", ",x", "not a whole number", id="version x"),
        pytest.param(",updated_at", ",yesterday", "bad updated_at", id="updated_at"),
    ],
)
def test_bad_optional_values_are_refused(tmp_path: Path, extra_columns: str, values: str, reason: str) -> None:
    path = write(tmp_path, f"{HEADER}{extra_columns}\n{csv_line()}{values}\n")
    codes, problems, _ = run(path)
    assert codes == []
    assert [(p.line, reason in p.reason) for p in problems] == [(2, True)]


def test_no_message_repeats_a_full_nik(tmp_path: Path) -> None:
    rows = [
        csv_line(nik_last4=FULL_NIK),
        other(1, code=FULL_NIK),
        other(2, name=FULL_NIK),
        other(3, booking_ref=FULL_NIK + "X" * 50),
    ]
    path = write(tmp_path, "\n".join([HEADER, *rows]) + "\n")
    _, problems, _ = run(path)
    assert len(problems) == 4
    for problem in problems:
        assert FULL_NIK not in problem.reason
        assert "3171" not in problem.reason


def test_rows_with_the_wrong_number_of_fields_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n{other(1)}\nMP7K-4Q9X-H2PT,MP-9\n{other(2)},surplus\n{other(3)}\n")
    codes, problems, _ = run(path)
    assert [(p.line, p.reason) for p in problems] == [
        (3, "has 2 fields, the header has 11"),
        (4, "has 12 fields, the header has 11"),
    ]
    assert codes == ["GOODROW0001", "GOODROW0003"]


def test_a_line_that_is_not_utf8_in_a_utf8_file_is_refused_and_the_others_kept(tmp_path: Path) -> None:
    """A file that is UTF-8 elsewhere (Dewi Lestarí) cannot be read as Windows-1252: the Latin-1 line
    is refused rather than guessed (tests/store/test_import_reading.py has the other encodings)."""
    latin1 = other(2, name="José").encode("latin-1")
    content = f"{HEADER}\n{other(1, name='Dewi Lestarí')}\n".encode() + latin1 + f"\n{other(3)}\n".encode()
    codes, problems, _ = run(write(tmp_path, content))
    assert [p.line for p in problems] == [3]
    assert "name has bytes that are not UTF-8" in problems[0].reason
    assert codes == ["GOODROW0001", "GOODROW0003"]


def test_line_numbers_count_physical_lines(tmp_path: Path) -> None:
    """A quoted name over two lines is one row (its line break becomes a space); the rows after it
    keep their real line numbers."""
    multi_line = other(2, name='"Budi\nSantoso"')
    path = write(tmp_path, f"{HEADER}\n{other(1)}\n{multi_line}\n\n{other(3, status='gone')}\n")
    codes, problems, _ = run(path)
    assert [p.line for p in problems] == [6]
    assert codes == ["GOODROW0001", "GOODROW0002"]


# --- duplicates ---------------------------------------------------------------------------------------


def test_a_duplicated_code_refuses_every_copy(tmp_path: Path) -> None:
    """Written differently, still the same code: neither booking may be trusted with it."""
    rows = [other(1), csv_line(booking_ref="A-1"), other(2), csv_line(code="mp7k4q9xh2pt", booking_ref="A-2")]
    codes, problems, _ = run(write(tmp_path, "\n".join([HEADER, *rows]) + "\n"))
    assert [(p.line, p.reason) for p in problems] == [
        (3, "duplicate code MP********PT: also on line(s) 5; none of these lines is imported"),
        (5, "duplicate code MP********PT: also on line(s) 3; none of these lines is imported"),
    ]
    assert codes == ["GOODROW0001", "GOODROW0002"]


def test_a_duplicated_booking_ref_refuses_every_copy(tmp_path: Path) -> None:
    rows = [other(1, booking_ref="SAME"), other(2), other(3, booking_ref="SAME"), other(4, booking_ref="SAME")]
    codes, problems, _ = run(write(tmp_path, "\n".join([HEADER, *rows]) + "\n"))
    assert [p.line for p in problems] == [2, 4, 5]
    assert "duplicate booking_ref SAME: also on line(s) 4, 5" in problems[0].reason
    assert codes == ["GOODROW0002"]


def test_a_copy_that_is_bad_for_another_reason_still_counts_as_a_duplicate(tmp_path: Path) -> None:
    rows = [csv_line(booking_ref="A-1", service_date="2026-02-30"), csv_line(booking_ref="A-2")]
    codes, problems, _ = run(write(tmp_path, "\n".join([HEADER, *rows]) + "\n"))
    assert [(p.line, p.reason.split(":")[0]) for p in problems] == [
        (2, "bad service_date '2026-02-30'"),
        (3, "duplicate code MP********PT"),
    ]
    assert codes == []


# --- whole files ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"", "is empty", id="0 bytes"),
        pytest.param(b" \r\n\r\n", "is empty", id="blank lines"),
        pytest.param(f"{HEADER}\r\n".encode(), "has no booking rows", id="header only"),
        pytest.param(b"code,booking_ref,office\nX,Y,Z\n", "missing column(s): service_date, slot_start", id="missing"),
        pytest.param(f"{HEADER},Code\n".encode(), "named twice in the header: code", id="column twice"),
        pytest.param(f"{HEADER}\n{csv_line()}\n".encode("utf-16"), "is UTF-16 text", id="UTF-16"),
    ],
)
def test_an_unusable_file_is_refused_before_anything_is_applied(tmp_path: Path, content: bytes, message: str) -> None:
    export = BookingFile(write(tmp_path, content), ImportFormat.CSV)
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        export.check()


def test_bookings_before_check_is_a_programming_error(tmp_path: Path) -> None:
    export = BookingFile(write(tmp_path, f"{HEADER}\n{csv_line()}\n"), ImportFormat.CSV)
    with pytest.raises(RuntimeError):
        list(export.bookings(print))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("b.csv", ImportFormat.CSV),
        ("B.CSV", ImportFormat.CSV),
        ("b.jsonl", ImportFormat.JSONL),
        ("b.ndjson", ImportFormat.JSONL),
    ],
)
def test_the_format_is_guessed_from_the_extension(name: str, expected: ImportFormat) -> None:
    assert guess_format(Path(name)) is expected


@pytest.mark.parametrize("name", ["b.json", "b.txt", "bookings"])
def test_an_unknown_extension_asks_for_format(name: str) -> None:
    with pytest.raises(ImportFileError, match="--format"):
        guess_format(Path(name))


# --- JSON lines -----------------------------------------------------------------------------------------


def jsonl(*rows: object) -> str:
    return "\n".join(row if isinstance(row, str) else json.dumps(row) for row in rows) + "\n"


def test_json_lines_are_read_with_numbers_and_nulls(tmp_path: Path) -> None:
    row = {**GOOD, "party_size": 2, "nik_last4": None, "version": 3, "extra": "ignored"}
    codes, problems, export = run(write(tmp_path, "\ufeff" + jsonl(row, ""), "b.jsonl"), ImportFormat.JSONL)
    assert (codes, problems) == (["MP7K4Q9XH2PT"], [])
    assert export.notes == ["ignored field(s) the kiosk does not keep: extra"]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        pytest.param("{not json", "not valid JSON", id="broken JSON"),
        pytest.param("[1, 2]", "is a JSON list, not an object", id="list"),
        pytest.param(json.dumps({**GOOD, "party_size": True}), "party_size must be text or a whole number", id="bool"),
        pytest.param(json.dumps({**GOOD, "party_size": 2.5}), "party_size must be text or a whole number", id="float"),
        pytest.param(json.dumps({**GOOD, "name": {"first": "Budi"}}), "name must be text", id="object"),
        pytest.param(json.dumps({k: v for k, v in GOOD.items() if k != "slot_end"}), "slot_end is missing", id="key"),
        pytest.param("[" * 60_000, "not valid JSON", id="deep nesting"),
        pytest.param('{"code": "' + "A" * 70_000 + '"}', "is longer than 65536 characters", id="long line"),
    ],
)
def test_bad_json_lines_are_refused_with_their_line(tmp_path: Path, line: str, reason: str) -> None:
    good = {**GOOD, "code": "GOOD-ROW0001", "booking_ref": "REF-1"}
    path = write(tmp_path, jsonl(good, line, {**good, "code": "GOOD-ROW0002", "booking_ref": "REF-2"}), "b.jsonl")
    codes, problems, _ = run(path, ImportFormat.JSONL)
    assert [p.line for p in problems] == [2]
    assert reason in problems[0].reason
    assert codes == ["GOODROW0001", "GOODROW0002"]


def test_a_json_array_file_is_refused(tmp_path: Path) -> None:
    export = BookingFile(write(tmp_path, json.dumps([GOOD]), "b.jsonl"), ImportFormat.JSONL)
    with pytest.raises(ImportFileError, match="JSON array"):
        export.check()


# --- into the store -------------------------------------------------------------------------------------


@pytest.fixture
def kiosk_store(tmp_path: Path) -> Iterator[KioskStore]:
    store = KioskStore.open(tmp_path / "kiosk.db")
    store.settings.configure(Identity("KIOSK-1", "G1", "DPS"), OfficeRules("DPS", zone="Asia/Makassar"), NOW)
    yield store
    store.close()


def many_rows(count: int, start: int = 0) -> Iterator[str]:
    yield HEADER
    for n in range(start, start + count):
        yield other(n)


def test_good_rows_are_applied_and_bad_ones_reported(tmp_path: Path, kiosk_store: KioskStore) -> None:
    path = write(tmp_path, "\n".join([HEADER, other(1), csv_line(party_size="9"), other(2)]) + "\n")
    export = BookingFile(path, ImportFormat.CSV, naive_zone=WITA, now=NOW)
    export.check()
    problems: list[RowProblem] = []
    applied = kiosk_store.bookings.import_rows(export.bookings(problems.append), NOW, "test")
    assert applied == 2
    assert kiosk_store.bookings.count() == 2
    assert [p.line for p in problems] == [3]
    assert (export.counts.rows, export.counts.good, export.counts.refused) == (3, 2, 1)


def test_if_the_apply_fails_nothing_is_applied(tmp_path: Path, kiosk_store: KioskStore) -> None:
    """A code already stored for another booking makes the database refuse the last row, after more
    than one batch of 2,000 has been written in the transaction: none of them stays."""
    first = write(tmp_path, f"{HEADER}\n{csv_line(booking_ref='EXISTING')}\n", "first.csv")
    export = BookingFile(first, ImportFormat.CSV, now=NOW)
    export.check()
    kiosk_store.bookings.import_rows(export.bookings(fail_on_problem), NOW, "test")
    rows = [*many_rows(4500), csv_line(booking_ref="NEW-REF-SAME-CODE")]
    export = BookingFile(write(tmp_path, "\n".join(rows) + "\n", "second.csv"), ImportFormat.CSV, now=NOW)
    export.check()
    with pytest.raises(StoreError):
        kiosk_store.bookings.import_rows(export.bookings(fail_on_problem), NOW, "test")
    assert kiosk_store.bookings.count() == 1
    assert kiosk_store.audit.verify().ok


def test_a_file_changed_between_the_passes_is_refused(tmp_path: Path, kiosk_store: KioskStore) -> None:
    """Duplicates were counted in the first pass: a file rewritten since then must not be applied."""
    path = write(tmp_path, "\n".join(many_rows(10)) + "\n")
    export = BookingFile(path, ImportFormat.CSV, now=NOW)
    export.check()
    with path.open("a", encoding="utf-8") as handle:
        handle.write(other(3) + "\n")  # a duplicate the first pass never saw
    with pytest.raises(ImportFileError, match="changed while it was being imported"):
        kiosk_store.bookings.import_rows(export.bookings(fail_on_problem), NOW, "test")
    assert kiosk_store.bookings.count() == 0


def test_a_large_file_is_streamed_not_held(tmp_path: Path) -> None:
    """20,000 rows held as bookings would take tens of MB; streaming keeps a few MB of digests."""
    path = write(tmp_path, "\n".join(many_rows(20_000)) + "\n")
    tracemalloc.start()
    try:
        export = BookingFile(path, ImportFormat.CSV, now=NOW)
        export.check()
        count = sum(1 for _ in export.bookings(fail_on_problem))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert peak < path.stat().st_size, f"peak {peak:,} bytes for a {path.stat().st_size:,}-byte file"


def test_progress_is_reported_in_both_passes(tmp_path: Path) -> None:
    path = write(tmp_path, "\n".join(many_rows(3000)) + "\n")
    export = BookingFile(path, ImportFormat.CSV, now=NOW)
    first: list[tuple[int, int]] = []
    second: list[tuple[int, int]] = []
    export.check(lambda done, total: first.append((done, total)))
    list(export.bookings(fail_on_problem, lambda done, total: second.append((done, total))))
    size = path.stat().st_size
    assert first[-1] == (size, size)
    assert all(done <= total == size for done, total in first)
    assert second[-1] == (3000, 3000)
    assert [done for done, _ in second] == sorted(done for done, _ in second)


def test_the_export_columns_are_the_documented_ones() -> None:
    assert (*GOOD, "version", "updated_at") == ALL_FIELDS
