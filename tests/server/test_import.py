"""Booking exports: CSV and JSON lines, bad lines reported, versions, moves between offices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.server import offices
from kiosk.server.db import reading, writing
from kiosk.server.models import BookingRow, RemovalRow
from tests.server.support import Admin, booking, codes, now

HEADER = (
    "code,booking_ref,office_code,service_date,slot_start,slot_end,status,party_size,category,display_name,nik_last4"
)


def test_csv_and_jsonl(admin: Admin, tmp_path: Path) -> None:
    office = admin.office()
    a, b, c = codes("IM", 3)
    csv_file = tmp_path / "export.csv"
    csv_file.write_text(
        "\n".join(
            [
                HEADER,
                f"{a.lower()},{office}-a,{office.lower()},2026-12-01,10:00,10:30,active,2,regular,Budi,1234",
                f"{b},{office}-b,{office},2026-12-01,10:00,10:30,unpaid,1,priority,Siti,",
                '=HYPERLINK("x"),R9,X,2026-12-01,10:00,10:30,active,1,regular,,',
                f"{c},{office}-c,{office},2026-13-01,10:00,10:30,active,1,regular,,",
                f"{c},{office}-c,{office},2026-12-01,10:00,10:30,active,9,regular,,",
                f"{c},{office}-c,{office},2026-12-01,10:00,10:30,active,1,regular,\u202eevil,",
                f"{c},{office}-c,{office},2026-12-01,10:00,10:30,active,1,regular,Ok,12345",
                f"{c},{office}-c,{office},2026-12-01,10:00,10:30,active,1,regular,Ok,1,extra",
            ]
        ),
        encoding="utf-8",
    )
    bookings, errors = offices.read_export(csv_file)
    assert [b.booking_ref for b in bookings] == [f"{office}-a", f"{office}-b"]
    assert bookings[0].code == a and bookings[0].office_code == office
    assert [e.line for e in errors] == [4, 5, 6, 7, 8, 9]
    assert "not a booking code" in errors[0].message
    jsonl = tmp_path / "export.jsonl"
    jsonl.write_text(
        json.dumps(booking(c, f"{office}-c", office)) + "\n\n[1]\nnot json\n" + json.dumps({"bogus": 1}) + "\n"
    )
    more, problems = offices.read_export(jsonl)
    assert len(more) == 1 and [p.line for p in problems] == [3, 4, 5]
    with writing(admin.engine) as connection:
        report = offices.apply_import(connection, [*bookings, *more], now())
    assert (report.inserted, report.updated) == (3, 0)
    assert "3 new" in report.summary()


def test_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("code,booking_ref\nAAAA1111,R1\n")
    _, errors = offices.read_export(path)
    assert errors and "header lacks" in errors[0].message


def test_versions_and_moves(admin: Admin) -> None:
    office, other = admin.office(), admin.office()
    (a,) = codes("VM", 1)
    assert admin.load([booking(a, f"{office}-a", office, version=3)]).inserted == 1
    assert admin.load([booking(a, f"{office}-a", office, version=3)]).unchanged == 1
    assert admin.load([booking(a, f"{office}-a", office, version=2, party_size=2)]).stale == 1
    report = admin.load([booking(a, f"{office}-a", office, version=3, party_size=2)])
    assert report.updated == 1  # same version, other content: still reaches the kiosks
    moved = admin.load([booking(a, f"{office}-a", other, version=5, party_size=2)])
    assert (moved.updated, moved.moved) == (1, 1)
    with reading(admin.engine) as connection:
        row = connection.execute(select(BookingRow).where(BookingRow.booking_ref == f"{office}-a")).one()
        removal = connection.execute(select(RemovalRow).where(RemovalRow.booking_ref == f"{office}-a")).one()
    assert (row.office_code, row.version, row.party_size) == (other, 5, 2)
    assert removal.office_code == office


def test_conflicting_codes_and_unknown_office(admin: Admin) -> None:
    office = admin.office()
    a, b = codes("CC", 2)
    admin.load([booking(a, f"{office}-a", office)])
    with pytest.raises(offices.OfficeError, match="has the code of"):
        admin.load([booking(a, f"{office}-b", office)])
    with pytest.raises(offices.OfficeError, match="same code"):
        admin.load([booking(b, f"{office}-x", office), booking(b, f"{office}-y", office)])
    c = codes("CU", 1)[0]
    report = admin.load([booking(b, f"{office}-z", "NOSUCHOFFICE"), booking(c, f"{office}-c", office)])
    assert report.inserted == 1  # the rest of the file is imported
    (message,) = [e.message for e in report.errors]
    assert message.startswith(f"{office}-z: office NOSUCHOFFICE is not registered here (kiosk server office add")


def test_office_settings(admin: Admin) -> None:
    with pytest.raises(offices.OfficeError, match="bad office settings"):
        admin.office(early_minutes=-5)
    with pytest.raises(offices.OfficeError, match="bad office settings"):
        admin.office(zone="Europe/Paris")
    office = admin.office()
    with pytest.raises(offices.OfficeError, match="exists"):
        admin.office(office)
    with writing(admin.engine) as connection:
        offices.set_office(connection, office, {"early_minutes": 10}, True)
        row = offices.office(connection, office)
    assert offices.rules_of(row).early_minutes == 10 and row.signed_codes
