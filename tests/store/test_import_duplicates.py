"""Duplicates (kiosk/store/importing/duplicates.py): a row repeated exactly counts once, with a note; a
code or reference on lines that differ refuses every one of those lines. Real files in tmp_path."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.domain.model import OfficeRules
from kiosk.store.db import KioskStore
from kiosk.store.importer import BookingFile, ImportFormat, RowProblem
from kiosk.store.importing.duplicates import NOTE_GROUPS
from kiosk.store.settings import Identity
from tests.store.import_files import GOOD, HEADER, NOW, WITA, fail_on_problem, other, run, write

CONFLICT = "none of these lines is imported"


@pytest.mark.parametrize(
    ("rows", "codes", "refused", "note"),
    [
        pytest.param(
            [other(1), other(2), other(1)],
            ["GOODROW0001", "GOODROW0002"],
            {},
            "2 exact duplicate rows counted once: lines 2, 4",
            id="a row twice",
        ),
        pytest.param(
            [other(1), other(1), other(2), other(1)],
            ["GOODROW0001", "GOODROW0002"],
            {},
            "3 exact duplicate rows counted once: lines 2, 3, 5",
            id="a row three times",
        ),
        pytest.param(
            [other(1), other(2), other(1), other(2)],
            ["GOODROW0001", "GOODROW0002"],
            {},
            "4 exact duplicate rows counted once: lines 2, 4; 3, 5",
            id="two rows twice",
        ),
        pytest.param(
            [other(1), other(1, code=" goodrow0001 ", name="  Ni Luh Putu Ayu ")],
            ["GOODROW0001"],
            {},
            "2 exact duplicate rows counted once: lines 2, 3",
            id="the same code written otherwise, spaces around values",
        ),
        pytest.param(
            [other(1), other(1, name="Made Wirawan")],
            [],
            {2: "duplicate code GO*******01: also on line(s) 3; " + CONFLICT, 3: "also on line(s) 2;"},
            None,
            id="same code, another name",
        ),
        pytest.param(
            [other(1), other(1, slot_start="10.00")],
            [],
            {2: "duplicate code GO*******01", 3: "duplicate code GO*******01"},
            None,
            id="same booking, a time written otherwise: conflicting",
        ),
        pytest.param(
            [other(1), other(2, booking_ref="REF-1")],
            [],
            {2: "duplicate booking_ref REF-1: also on line(s) 3", 3: "duplicate booking_ref REF-1: also on line(s) 2"},
            None,
            id="same reference, another code",
        ),
        pytest.param(
            [other(1), other(1), other(2, booking_ref="REF-1"), other(3)],
            ["GOODROW0003"],
            {
                2: "duplicate booking_ref REF-1: also on line(s) 3, 4",
                3: "duplicate booking_ref REF-1: also on line(s) 2, 4",
                4: "duplicate booking_ref REF-1: also on line(s) 2, 3",
            },
            None,
            id="an exact pair and a third line that conflicts: all refused",
        ),
        pytest.param(
            [other(1, service_date="31/02/2026"), other(2), other(1, service_date="31/02/2026")],
            ["GOODROW0002"],
            {2: "bad service_date '31/02/2026': no such day"},
            "2 exact duplicate rows counted once: lines 2, 4",
            id="a bad row twice: refused once",
        ),
        pytest.param(
            [other(1, code="bad!"), other(1, code="bad!")],
            [],
            {2: "code 'bad!' is not a booking code"},
            "2 exact duplicate rows counted once: lines 2, 3",
            id="a bad code twice: the reference still pairs them",
        ),
    ],
)
def test_duplicates(
    tmp_path: Path, rows: list[str], codes: list[str], refused: dict[int, str], note: str | None
) -> None:
    got_codes, problems, export = run(write(tmp_path, "\n".join([HEADER, *rows]) + "\n"))
    assert got_codes == codes
    assert [p.line for p in problems] == sorted(refused)
    for problem in problems:
        assert refused[problem.line] in problem.reason
    assert [n for n in export.notes if "duplicate" in n] == ([note] if note else [])
    counts = export.counts
    assert counts.rows == len(rows) == counts.good + counts.refused + counts.duplicates


def test_an_exact_duplicate_of_a_bad_code_is_still_refused_on_its_own_line(tmp_path: Path) -> None:
    """Without a valid code or a reference nothing pairs the lines: each is refused for its reason."""
    rows = [other(1, code="bad!", booking_ref=""), other(1, code="bad!", booking_ref="")]
    _, problems, export = run(write(tmp_path, "\n".join([HEADER, *rows]) + "\n"))
    assert [p.line for p in problems] == [2, 3]
    assert export.counts.duplicates == 0


def test_the_note_lists_the_first_groups_only(tmp_path: Path) -> None:
    pairs = NOTE_GROUPS + 5
    rows = [other(n) for n in range(pairs)] * 2
    codes, problems, export = run(write(tmp_path, "\n".join([HEADER, *rows]) + "\n"))
    assert (len(codes), problems) == (pairs, [])
    [note] = [n for n in export.notes if "duplicate" in n]
    assert note.startswith(f"{2 * pairs} exact duplicate rows counted once: lines 2, {pairs + 2}; 3, {pairs + 3};")
    assert note.endswith("; and 5 more group(s)")


def test_json_lines_repeated_with_a_number_or_its_text_are_exact(tmp_path: Path) -> None:
    first = {**GOOD, "party_size": 3, "nik_last4": None}
    again = {**GOOD, "party_size": "3", "nik_last4": ""}
    path = write(tmp_path, "\n".join(json.dumps(row) for row in (first, again)) + "\n", "b.jsonl")
    codes, problems, export = run(path, ImportFormat.JSONL)
    assert (codes, problems, export.counts.duplicates) == (["MP7K4Q9XH2PT"], [], 1)


def test_a_non_utf8_byte_in_a_reference_is_refused_not_a_crash(tmp_path: Path) -> None:
    content = b"\n".join(
        [HEADER.encode(), other(1, name="José").encode(), other(2, booking_ref="R-\xe9").encode("latin-1")]
    )
    codes, problems, _ = run(write(tmp_path, content + b"\n"))
    assert codes == ["GOODROW0001"]
    assert [(p.line, p.reason) for p in problems] == [
        (3, "booking_ref has bytes that are not UTF-8 (save the export as UTF-8, not Latin-1/ANSI)")
    ]


# --- into the store ---------------------------------------------------------------------------------


@pytest.fixture
def kiosk_store(tmp_path: Path) -> Iterator[KioskStore]:
    store = KioskStore.open(tmp_path / "kiosk.db")
    store.settings.configure(Identity("KIOSK-1", "G1", "DPS"), OfficeRules("DPS", zone="Asia/Makassar"), NOW)
    yield store
    store.close()


def test_an_exact_duplicate_is_applied_once(tmp_path: Path, kiosk_store: KioskStore) -> None:
    path = write(tmp_path, "\n".join([HEADER, other(1), other(2), other(1)]) + "\n")
    export = BookingFile(path, ImportFormat.CSV, naive_zone=WITA, now=NOW)
    export.check()
    problems: list[RowProblem] = []
    applied = kiosk_store.bookings.import_rows(export.bookings(problems.append), NOW + dt.timedelta(1), "test")
    assert (applied, kiosk_store.bookings.count(), problems) == (2, 2, [])
    counts = export.counts
    assert (counts.rows, counts.good, counts.refused, counts.duplicates) == (3, 2, 0, 1)


def test_fail_on_problem_is_not_called_for_a_copy(tmp_path: Path) -> None:
    export = BookingFile(write(tmp_path, f"{HEADER}\n{other(1)}\n{other(1)}\n"), ImportFormat.CSV, now=NOW)
    export.check()
    assert len(list(export.bookings(fail_on_problem))) == 1
