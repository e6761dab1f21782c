"""Files as Excel writes them (kiosk/store/importing/reading.py): the separator read from the header,
byte-order marks, line ends, and the encoding decided for the whole file (UTF-8, else Windows-1252
when that reads every byte, else the rows that are not UTF-8 are refused). Real files in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.store.importer import ImportFormat
from kiosk.store.importing import reading
from tests.store.import_files import GOOD, HEADER, csv_line, other, read_all, write

# --- separators and line ends -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("separator", "note"),
    [
        pytest.param(",", None, id="comma"),
        pytest.param(";", "the file is separated by ';', not commas", id="semicolon"),
        pytest.param("\t", "the file is separated by '\\t', not commas", id="tab"),
    ],
)
def test_the_separator_is_read_from_the_header(tmp_path: Path, separator: str, note: str | None) -> None:
    """A name with a comma needs no quotes when the separator is not a comma."""
    name = '"Putu, Ayu"' if separator == "," else "Putu, Ayu"
    lines = [
        separator.join(GOOD),
        csv_line(separator, name=name),
        csv_line(separator, code="GOOD-ROW0001", booking_ref="R-1"),
    ]
    bookings, problems, export = read_all(write(tmp_path, "\n".join(lines) + "\n"))
    assert problems == []
    assert [b.booking.display_name for b in bookings] == ["Putu, Ayu", "Ni Luh Putu Ayu"]
    assert export.notes == ([note] if note else [])


@pytest.mark.parametrize(
    ("header", "separator"),
    [
        pytest.param("code;booking_ref;office,x", ";", id="more semicolons than commas"),
        pytest.param("code;booking_ref,office,x", ",", id="more commas than semicolons"),
        pytest.param("code;booking_ref\toffice,x", ",", id="a tie goes to the comma"),
        pytest.param("code", ",", id="one column"),
        pytest.param("code\tbooking_ref\toffice;x", "\t", id="tabs"),
    ],
)
def test_the_separator_is_the_one_the_header_has_most_of(header: str, separator: str) -> None:
    assert reading.delimiter_of(header) == separator


@pytest.mark.parametrize("bom", ["", "\ufeff"], ids=["no BOM", "BOM"])
@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_byte_order_marks_and_line_ends_are_read(tmp_path: Path, bom: str, end: str) -> None:
    content = bom + end.join([HEADER, other(1), "", other(2, name='"Budi' + end + 'Santoso"'), other(3)]) + end
    bookings, problems, _ = read_all(write(tmp_path, content))
    assert problems == []
    assert [b.booking.display_name for b in bookings] == ["Ni Luh Putu Ayu", "Budi Santoso", "Ni Luh Putu Ayu"]


# --- encodings --------------------------------------------------------------------------------------

CP1252_NOTE = "the file is not UTF-8: read as Windows-1252"


def encoded(names: list[str], encoding: str, bom: bytes = b"") -> bytes:
    """A file with one row per name (from line 2), all in `encoding`, with CRLF line ends."""
    lines = [HEADER.encode()] + [other(n, name=name).encode(encoding) for n, name in enumerate(names, start=1)]
    return bom + b"\r\n".join(lines) + b"\r\n"


@pytest.mark.parametrize(
    ("content", "names", "refused", "note"),
    [
        pytest.param(encoded(["José", "Dewi"], "utf-8"), ["José", "Dewi"], [], None, id="UTF-8"),
        pytest.param(encoded(["José"], "utf-8", b"\xef\xbb\xbf"), ["José"], [], None, id="UTF-8 with BOM"),
        pytest.param(encoded(["Budi", "Dewi"], "ascii"), ["Budi", "Dewi"], [], None, id="ASCII"),
        pytest.param(
            encoded(["Budi", "François Müller", "Zoë “Zee” O’Neil"], "cp1252"),
            ["Budi", "François Müller", "Zoë “Zee” O’Neil"],
            [],
            f'{CP1252_NOTE}, as Excel saves "CSV (Comma delimited)"; check the names from line 3 on, '
            'or save the export as "CSV UTF-8"',
            id="Windows-1252 (quotes are C1 in Latin-1)",
        ),
        pytest.param(encoded(["Müller"], "latin-1"), ["Müller"], [], CP1252_NOTE, id="Latin-1"),
        pytest.param(
            b"\r\n".join([HEADER.encode(), other(1, name="José").encode(), other(2, name="José").encode("latin-1")]),
            ["José"],
            [3],
            "the file has bytes that are not UTF-8 (first on line 3) but is not Windows-1252 throughout either",
            id="UTF-8 mixed with Latin-1",
        ),
        pytest.param(
            b"\r\n".join([HEADER.encode(), other(1).encode(), other(2).encode()[:-2] + b"\x81x"]),
            ["Ni Luh Putu Ayu"],
            [3],
            "not Windows-1252 throughout either",
            id="a byte Windows-1252 leaves undefined",
        ),
        pytest.param(
            encoded(["José"], "latin-1", b"\xef\xbb\xbf"), [], [2], None, id="a UTF-8 BOM then Latin-1: refused"
        ),
    ],
)
def test_the_encoding_is_decided_for_the_whole_file(
    tmp_path: Path, content: bytes, names: list[str], refused: list[int], note: str | None
) -> None:
    bookings, problems, export = read_all(write(tmp_path, content))
    assert [b.booking.display_name for b in bookings] == names
    assert [p.line for p in problems] == refused
    assert all("has bytes that are not UTF-8" in p.reason for p in problems)
    encoding_notes = [n for n in export.notes if "UTF-8" in n]
    assert encoding_notes == [] if note is None else (len(encoding_notes) == 1 and note in encoding_notes[0])


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 8, 64])
def test_the_encoding_is_the_same_whatever_the_chunks_it_is_sniffed_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """With small chunks, characters of two and three bytes (é, “) are split between chunks."""
    monkeypatch.setattr(reading, "_SNIFF_CHUNK", chunk)
    utf8 = write(tmp_path, encoded(["José “Joe”", "Zoë"], "utf-8"), "utf8.csv")
    cp1252 = write(tmp_path, encoded(["Budi", "José “Joe”", "Zoë"], "cp1252"), "cp1252.csv")
    assert reading.choose_encoding(utf8) == reading.Encoding(reading.UTF8)
    assert reading.choose_encoding(cp1252).codec == reading.WINDOWS_1252
    assert "from line 3 on" in reading.choose_encoding(cp1252).note


def test_the_line_of_the_first_windows_1252_byte_is_counted_across_chunks(tmp_path: Path) -> None:
    rows = [other(n) for n in range(1, 2000)]  # about 150 kB: the sniffer reads it in several chunks
    content = "\n".join([HEADER, *rows]).encode() + b"\n" + other(2000, name="Müller").encode("cp1252") + b"\n"
    encoding = reading.choose_encoding(write(tmp_path, content))
    assert encoding.codec == reading.WINDOWS_1252
    assert "from line 2001 on" in encoding.note


def test_json_lines_in_windows_1252_are_read_too(tmp_path: Path) -> None:
    line = '{"code": "JSON-2345-WXYZ", "booking_ref": "J-1", "office": "DPS", "service_date": "01/12/2026", '
    line += '"slot_start": "10.00", "slot_end": "10.30", "status": "active", "party_size": 2, "category": "regular", '
    line += '"name": "François", "nik_last4": null}\r\n'
    bookings, problems, export = read_all(write(tmp_path, line.encode("cp1252"), "b.jsonl"), ImportFormat.JSONL)
    assert (problems, [b.booking.display_name for b in bookings]) == ([], ["François"])
    assert CP1252_NOTE in export.notes[0]


# --- Excel in an Indonesian locale --------------------------------------------------------------------

EXCEL_ID_HEADER = "code;booking_ref;office;service_date;slot_start;slot_end;status;party_size;category;name;nik_last4"
EXCEL_ID_ROWS = [
    "MP7K-4Q9X-H2PT;MP-261201-0001;DPS;01/12/2026;8.00;8.30;active;3;regular;Ni Luh Putu Ayu;4821",
    "GOOD-ROW0001;REF-1;DPS;13/02/2026;13.30;14.00;active;1;priority;François Müller, Jr.;",
    "GOOD-ROW0002;REF-2;DPS;02/13/2026;13.30;14.00;active;1;regular;Made Wirawan;1234",
    "GOOD-ROW0001;REF-1;DPS;13/02/2026;13.30;14.00;active;1;priority;François Müller, Jr.;",
    "GOOD-ROW0003;REF-3;DPS;5/1/2027;09.00.00;09.30.00;active;2;regular;Ketut;0042;;",
]


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        pytest.param("cp1252", b"", id='"CSV (Comma delimited)": Windows-1252'),
        pytest.param("utf-8", b"\xef\xbb\xbf", id='"CSV UTF-8": with a BOM'),
    ],
)
def test_a_file_excel_saved_in_an_indonesian_locale_is_imported(tmp_path: Path, encoding: str, bom: bytes) -> None:
    """';' between fields, CRLF, day/month/year dates, dotted times, trailing empty cells, a name with
    a comma and an accent, a row repeated exactly (counted once) and a month/day/year date (refused)."""
    content = bom + "\r\n".join([EXCEL_ID_HEADER, *EXCEL_ID_ROWS, ";;;;;;;;;;"]).encode(encoding) + b"\r\n"
    bookings, problems, export = read_all(write(tmp_path, content))
    assert [(p.line, p.reason.split(":")[0]) for p in problems] == [(4, "bad service_date '02/13/2026'")]
    assert [
        (b.code, b.booking.service_date.isoformat(), b.booking.slot_start.isoformat("minutes")) for b in bookings
    ] == [
        ("MP7K4Q9XH2PT", "2026-12-01", "08:00"),
        ("GOODROW0001", "2026-02-13", "13:30"),
        ("GOODROW0003", "2027-01-05", "09:00"),
    ]
    assert bookings[1].booking.display_name == "François Müller, Jr."
    assert "the file is separated by ';', not commas" in export.notes
    assert "2 exact duplicate rows counted once: lines 3, 5" in export.notes
    assert any(CP1252_NOTE in note for note in export.notes) == (encoding == "cp1252")
    counts = export.counts
    assert (counts.rows, counts.good, counts.refused, counts.duplicates) == (5, 3, 1, 1)
