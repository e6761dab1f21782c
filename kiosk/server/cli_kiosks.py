"""`kiosk server enrol|revoke|kiosks|incidents|events`: the kiosks, their audit chains and their scans."""

from __future__ import annotations

import argparse
import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select

from kiosk.formats.times import from_text
from kiosk.server import anchor, events, health, kiosks, offices
from kiosk.server.cli_common import engine_of, now, print_table
from kiosk.server.db import reading, writing
from kiosk.server.models import BookingRow


def add_kiosk_commands(commands: Any) -> None:
    enrol = commands.add_parser("enrol", help="register a kiosk and print its one-time enrolment token")
    enrol.add_argument("--office", required=True, help="the office the kiosk stands in (its code, e.g. DPS)")
    enrol.add_argument("--gate", required=True, help="the kiosk's gate, e.g. G1")
    enrol.add_argument("--label", default="", help="a note for the administrator, e.g. where the kiosk stands")
    enrol.add_argument("--kiosk-id", default=None, help="the kiosk's id (default: a new K-XXXXXXXX)")
    enrol.set_defaults(handler=_enrol)

    revoke = commands.add_parser("revoke", help="revoke a kiosk (it wipes its personal data at its next sync)")
    revoke.add_argument("kiosk_id")
    revoke.set_defaults(handler=_revoke)

    listing = commands.add_parser(
        "kiosks", help="list kiosks: last contact (SILENT), health (UNHEALTHY), last sync, audit head, pending events"
    )
    listing.add_argument("--office", default=None, help="only this office's kiosks (its code, e.g. DPS); default: all")
    listing.add_argument(
        "--silent-minutes",
        type=_positive,
        default=health.DEFAULT_SILENT_MINUTES,
        help=f"an active kiosk not heard from for longer is SILENT (default {health.DEFAULT_SILENT_MINUTES})",
    )
    listing.add_argument(
        "--min-free-gib",
        type=float,
        default=health.DEFAULT_MIN_FREE_GIB,
        help=f"less free disk makes a kiosk UNHEALTHY (default {health.DEFAULT_MIN_FREE_GIB:g})",
    )
    listing.add_argument(
        "--check", action="store_true", help="exit 1 when a kiosk is SILENT or UNHEALTHY (for monitoring)"
    )
    listing.set_defaults(handler=_kiosks)

    found = commands.add_parser(
        "incidents", help="forks, rewrites, rollbacks and broken entries found in kiosks' audit chains"
    )
    found.add_argument("--kiosk", default=None, help="one kiosk's incidents")
    found.set_defaults(handler=_incidents)

    shown = commands.add_parser("events", help="an office's scan events by gate")
    shown.add_argument("--office", required=True, help="the office's code, e.g. DPS")
    shown.add_argument("--gate", default=None, help="only this gate's events")
    shown.add_argument("--date", default=None, help="YYYY-MM-DD in the office's zone")
    shown.add_argument("--limit", type=int, default=50, help="events listed per gate (counts cover all)")
    shown.set_defaults(handler=_events)


def _enrol(args: argparse.Namespace) -> int:
    with writing(engine_of(args)) as connection:
        enrolment = kiosks.create(connection, args.office, args.gate, now(), args.label, args.kiosk_id)
    print(f"kiosk {enrolment.kiosk_id} for office {args.office.upper()}, gate {args.gate}")
    print(f"one-time enrolment token (valid until {enrolment.expires_at:%Y-%m-%d %H:%M} UTC):")
    print(enrolment.token)
    print(f"on the kiosk: kiosk sync enrol --server https://<this server> --token {enrolment.token}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    with writing(engine_of(args)) as connection:
        kiosks.revoke(connection, args.kiosk_id, now())
    print(f"kiosk {args.kiosk_id} revoked; it wipes its personal data when it next reaches the server")
    return 0


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text}: not a positive number of minutes")
    return value


def _kiosks(args: argparse.Namespace) -> int:
    limits = health.Limits(dt.timedelta(minutes=args.silent_minutes), int(args.min_free_gib * health.GIB))
    with reading(engine_of(args)) as connection:
        rows = kiosks.listing(connection, args.office, now=now(), limits=limits)
    print_table(rows)
    marked = [row for row in rows if row["mark"]]
    if marked:
        print(
            f"\n{len(marked)} of {len(rows)} kiosk(s) need a look: "
            + ", ".join(f"{row['kiosk_id']} {row['mark']}" for row in marked)
        )
    return 1 if args.check and marked else 0


def _incidents(args: argparse.Namespace) -> int:
    """Each incident with its evidence: what the server held, what the kiosk showed, what it kept."""
    with reading(engine_of(args)) as connection:
        found = anchor.incidents(connection, args.kiosk)
        kept = {row.id: anchor.superseded(connection, row.id) for row in found}
    if not found:
        print("no incidents: every kiosk's audit chain continued as the server holds it")
        return 0
    for row in found:
        print(f"#{row.id} {row.detected_at[:19]}Z kiosk {row.kiosk_id}: {row.kind.upper()} at entry {row.seq}")
        print(f"    {row.detail}")
        print(
            f"    server held up to entry {row.held_seq} ({row.held_hash[:16]}), kiosk reported entry "
            f"{row.reported_seq} ({row.reported_hash[:16]})"
        )
        entries = kept[row.id]
        if entries:
            first, last = entries[0], entries[-1]
            print(
                f"    kept as evidence: {len(entries)} entries {first.seq}..{last.seq}, the first "
                f"{first.kind} {first.subject[:40]} of {first.at[:19]} ({first.hash[:16]})"
            )
    return 0


def _events(args: argparse.Namespace) -> int:
    with reading(engine_of(args)) as connection:
        office_row = offices.office(connection, args.office)
        tz = offices.rules_of(office_row).tz
        rows = events.events_of(connection, office_row.code, args.gate)
        refs = {row.booking_ref for row in rows if row.booking_ref}
        party = (
            dict(
                connection.execute(
                    select(BookingRow.booking_ref, BookingRow.party_size).where(BookingRow.booking_ref.in_(refs))
                ).all()
            )
            if refs
            else {}
        )
    if args.date:
        rows = [r for r in rows if from_text(r.occurred_at).astimezone(tz).date().isoformat() == args.date]
    by_gate: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_gate[row.gate].append(row)
    print(f"office {office_row.code}: {len(rows)} event(s){' on ' + args.date if args.date else ''}")
    for gate in sorted(by_gate):
        gate_rows = by_gate[gate]
        verdicts = Counter(r.verdict for r in gate_rows)
        summary = ", ".join(f"{v} {n}" for v, n in sorted(verdicts.items()))
        print(f"\ngate {gate}: {len(gate_rows)} event(s) ({summary})")
        table = [
            {
                "time": from_text(r.occurred_at).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                "kiosk": r.kiosk_id,
                "kind": r.kind,
                "verdict": r.verdict,
                "reason": r.reason,
                "persons": str(r.persons),
                "booking": r.booking_ref or "",
                "code": r.code_masked,
                "origin": r.origin,
                "event": r.event_uuid,
            }
            for r in gate_rows[-args.limit :]
        ]
        print_table(table)
    used: dict[tuple[str, str], int] = Counter()
    for row in rows:
        if row.booking_ref and row.persons > 0:
            used[(row.booking_ref, from_text(row.occurred_at).astimezone(tz).date().isoformat())] += row.persons
    over = {key: n for key, n in used.items() if n > party.get(key[0], 1)}
    if over:
        print("\nbookings used more often than their party size (two gates admitting while offline):")
        for (ref, day), n in sorted(over.items()):
            print(f"  {ref} on {day}: {n} admitted, party of {party.get(ref, '?')}")
    return 0
