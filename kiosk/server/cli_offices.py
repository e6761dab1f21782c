"""`kiosk server office|import|cancel|keys|sign-code`: offices, their bookings and the signing keys."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from kiosk.domain.model import ZONE_OF_ABBREVIATION, Category, zone_named
from kiosk.protocol import codes
from kiosk.server import admin_audit, keys, offices
from kiosk.server.cli_common import engine_of, now, print_table
from kiosk.server.db import reading, writing
from kiosk.server.models import BookingRow

_NAME_HELP = (
    "the office's full name, e.g. \"Kantor Imigrasi Kelas I TPI Semarang\": shown on its kiosks' screens and "
    "reports, and by every kiosk that sends an applicant of this office away"
)


def add_office_commands(commands: Any) -> None:
    office = commands.add_parser("office", help="add, change or list offices").add_subparsers(metavar="ACTION")
    add = office.add_parser("add", help="add an office")
    add.add_argument("code")
    add.add_argument("--zone", default="WIB", help=f"one of {', '.join(ZONE_OF_ABBREVIATION)} or an IANA name")
    add.add_argument("--rules", default="{}", help="JSON object of office rules (OfficeRules fields)")
    add.add_argument("--signed-codes", action="store_true", help="this office issues signed booking codes")
    add.add_argument("--name", default="", help=_NAME_HELP)
    add.set_defaults(handler=_office_add)
    change = office.add_parser("set", help="change an office's rules, signed-codes option or full name")
    change.add_argument("code")
    change.add_argument("--name", default=None, help=_NAME_HELP + ' ("" removes it)')
    change.add_argument("--rules", default=None)
    change.add_argument("--signed-codes", dest="signed", action="store_true", default=None)
    change.add_argument("--no-signed-codes", dest="signed", action="store_false")
    change.set_defaults(handler=_office_set)
    listing = office.add_parser("list", help="list offices")
    listing.set_defaults(handler=_office_list)

    importer = commands.add_parser("import", help="import booking exports (CSV or JSON lines)")
    importer.add_argument("files", nargs="+", type=Path)
    importer.add_argument("--format", choices=("csv", "jsonl"), default=None, help="default: from the file name")
    importer.set_defaults(handler=_import)

    cancel = commands.add_parser("cancel", help="cancel a booking (its tombstone also revokes a signed code)")
    cancel.add_argument("--code", required=True)
    cancel.add_argument("--rescheduled", action="store_true")
    cancel.set_defaults(handler=_cancel)


def add_key_commands(commands: Any) -> None:
    key = commands.add_parser("keys", help="signing keys").add_subparsers(metavar="ACTION")
    key.add_parser("list").set_defaults(handler=_keys_list)
    key.add_parser("rotate", help="new active key; the old one keeps working until retired").set_defaults(
        handler=_keys_rotate
    )
    retire = key.add_parser("retire", help="drop a retiring key from the list kiosks trust")
    retire.add_argument("key_id")
    retire.set_defaults(handler=_keys_retire)

    sign = commands.add_parser("sign-code", help="print the signed QR text (KS1) for a booking")
    sign.add_argument("--code", required=True)
    sign.set_defaults(handler=_sign_code)


def _office_add(args: argparse.Namespace) -> int:
    rules = json.loads(args.rules)
    if not isinstance(rules, dict):
        raise ValueError("--rules must be a JSON object")
    rules["zone"] = zone_named(args.zone).key
    with writing(engine_of(args)) as connection:
        offices.add_office(connection, args.code, now(), rules, args.signed_codes, args.name)
        name = offices.office(connection, args.code).name
    named = f": {name}" if name else ""
    print(f"office {args.code.upper()} added ({rules['zone']}{', signed codes' if args.signed_codes else ''}){named}")
    return 0


def _office_set(args: argparse.Namespace) -> int:
    rules = json.loads(args.rules) if args.rules else None
    if rules is not None and not isinstance(rules, dict):
        raise ValueError("--rules must be a JSON object")
    with writing(engine_of(args)) as connection:
        offices.set_office(connection, args.code, rules, args.signed, args.name)
    print(f"office {args.code.upper()} changed; kiosks get it with their next page")
    return 0


def _office_list(args: argparse.Namespace) -> int:
    with reading(engine_of(args)) as connection:
        rows = offices.offices(connection)
        counts: dict[str, int] = dict(
            connection.execute(select(BookingRow.office_code, func.count()).group_by(BookingRow.office_code)).all()
        )
    table = [
        {
            "office": row.code,
            "name": row.name or "-",
            "zone": json.loads(row.rules)["zone"],
            "signed_codes": "yes" if row.signed_codes else "no",
            "bookings": str(counts.get(row.code, 0)),
            "feed": f"{row.feed_epoch}.{row.change_seq}",
        }
        for row in rows
    ]
    print_table(table)
    return 0


def _import(args: argparse.Namespace) -> int:
    engine = engine_of(args)
    status = 0
    for path in args.files:
        bookings, errors = offices.read_export(path, args.format)
        with writing(engine) as connection:
            report = offices.apply_import(connection, bookings, now())
        report.errors = [*errors, *report.errors]
        print(f"{path}: {report.summary()}")
        status = status or (1 if report.errors else 0)  # a refused row, unreadable or for an unknown office
    return status


def _cancel(args: argparse.Namespace) -> int:
    status = "rescheduled" if args.rescheduled else "cancelled"
    with writing(engine_of(args)) as connection:
        ref = offices.cancel(connection, args.code, status, now())
    print(f"booking {ref} {status}; kiosks get its tombstone with their next page")
    return 0


def _keys_list(args: argparse.Namespace) -> int:
    with reading(engine_of(args)) as connection:
        rows = keys.all_keys(connection)
    print_table([{"key_id": r.key_id, "state": r.state, "created": r.created_at, "public": r.public_key} for r in rows])
    return 0


def _keys_rotate(args: argparse.Namespace) -> int:
    with writing(engine_of(args)) as connection:
        key_id = keys.rotate(connection, now())
        admin_audit.record(connection, now(), admin_audit.cli_actor(), "keys.rotate", None, key_id, "server-wide")
    print(f"new active key {key_id}; retire the old one once every kiosk has synced (kiosk server kiosks)")
    return 0


def _keys_retire(args: argparse.Namespace) -> int:
    with writing(engine_of(args)) as connection:
        keys.retire(connection, args.key_id)
        admin_audit.record(connection, now(), admin_audit.cli_actor(), "keys.retire", None, args.key_id, "server-wide")
    print(f"key {args.key_id} retired; kiosks drop it at their next sync")
    return 0


def _sign_code(args: argparse.Namespace) -> int:
    import segno

    from kiosk.domain.payload import parse_payload

    with reading(engine_of(args)) as connection:
        row = connection.execute(select(BookingRow).where(BookingRow.code == parse_payload(args.code).code)).first()
        if row is None:
            raise ValueError("no booking with that code")
        key = keys.active(connection)
    fields = codes.SignedFields(
        code=row.code,
        booking_ref=row.booking_ref,
        office_code=row.office_code,
        service_date=dt.date.fromisoformat(row.service_date),
        slot_start=dt.time.fromisoformat(row.slot_start),
        slot_end=dt.time.fromisoformat(row.slot_end),
        party_size=row.party_size,
        category=Category(row.category),
    )
    text = codes.encode(fields, key)
    qr = segno.make(text, error="m", boost_error=False)
    print(text)
    print(f"{len(text)} characters; QR version {qr.version} at error correction M ({qr.mode} mode)", file=sys.stderr)
    return 0
