"""The daily report's CSV (kiosk/server/web/report_csv.py) never hands a spreadsheet a formula: a guard's
note is free text, and the file may be opened with either list separator (Excel in an Indonesian locale
splits on ';', in an English one on ',')."""

from __future__ import annotations

import pytest

from kiosk.server.web.report_csv import _cell


@pytest.mark.parametrize(
    ("note", "shown"),
    [
        ("KTP dicocokkan", "KTP dicocokkan"),
        ("=1+1", "'=1+1"),
        ("+62 812", "'+62 812"),
        ("-", "'-"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("  =1+1", "'  =1+1"),  # after spaces
        ("\uff1dcmd|' /C calc'!A0", "'\uff1dcmd|' /C calc'!A0"),  # fullwidth '='
        ("x;=1+1;@SUM(1+1)", "x;'=1+1;'@SUM(1+1)"),  # a ',' file split on ';'
        ("x,=2+2", "x,'=2+2"),  # a ';' file split on ','
        ("x; -1", "x; '-1"),
        ("baris\n+2", "baris\n'+2"),
        ("tab\t@x", "tab\t'@x"),
        ("3 orang, 2 anak; 10.30", "3 orang, 2 anak; 10.30"),  # numbers and times stay as they are
    ],
)
def test_no_text_reaches_a_spreadsheet_as_a_formula(note: str, shown: str) -> None:
    assert _cell(note) == shown


def test_numbers_stay_numbers() -> None:
    assert _cell(5) == 5 and _cell(-3) == -3
