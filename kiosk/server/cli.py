"""`kiosk server ...`: run the central server and administer it.

    kiosk server init                       create the tables and the first signing key
    kiosk server run [--port 8800]          serve the API (add --faults ... for a fault drill)
    kiosk server office add JKTSEL --zone WIB [--signed-codes] [--rules '{"early_minutes": 20}']
    kiosk server import bookings.csv        CSV or JSON lines, many offices per file
    kiosk server enrol --office JKTSEL --gate G1     prints the one-time enrolment token
    kiosk server revoke K-1A2B3C4D
    kiosk server kiosks                     last sync, audit head, anchoring, incidents, alerts
    kiosk server incidents [--kiosk K-...]  forks, rewrites and rollbacks of kiosks' audit chains
    kiosk server events --office JKTSEL [--gate G1] [--date 2026-12-01]
    kiosk server keys list|rotate|retire KEY_ID
    kiosk server sign-code --code MP7K2Q9T3M        the KS1 text for a booking's signed QR
    kiosk server cancel --code MP7K2Q9T3M           cancel a booking (revokes its signed code)
    kiosk server purge [--booking-days 7] [--event-months 13]    delete what is past retention
    kiosk server openapi --out docs/openapi.json

The same commands are `kiosk-server ...`. Both need the `server` extra (pip install 'kiosk[server]'):
a kiosk's own install has no FastAPI, uvicorn or psycopg, and there `kiosk server` says so in one line.

The database is --db, else $KIOSK_SERVER_DB, else sqlite:///kiosk-server.db. --db may come before
the command or after it (`kiosk server --db URL init` and `kiosk server init --db URL` are the same).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib.util
import json
import os
import socket
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from kiosk.domain.model import ZONE_OF_ABBREVIATION, Category, zone_named
from kiosk.formats.times import from_text
from kiosk.protocol import codes
from kiosk.server import anchor, events, keys, kiosks, offices
from kiosk.server.db import DEFAULT_URL, ServerDbError, init_schema, make_engine, reading, writing
from kiosk.server.faults import KINDS, FaultPlan, with_faults
from kiosk.server.limits import BodyLimits
from kiosk.server.models import BookingRow
from kiosk.server.retention import DEFAULT_BOOKING_DAYS, DEFAULT_EVENT_MONTHS, DailyPurge, Retention, purge

#: What the `server` extra installs (pyproject.toml): without it the kiosk has no central server.
SERVER_PACKAGES = ("fastapi", "uvicorn", "psycopg")
NOT_INSTALLED = "the central server is not installed: pip install 'kiosk[server]'"
EXIT_NOT_INSTALLED = 2

#: The exit status of a command whose reader went away (`kiosk server events ... | head -1`): what a
#: shell reports for a process ended by SIGPIPE (128 + 13).
EXIT_BROKEN_PIPE = 141


def main(argv: Sequence[str] | None = None) -> int:
    if not server_installed():
        print(NOT_INSTALLED, file=sys.stderr)
        return EXIT_NOT_INSTALLED
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):
            parser.print_help()
            return 2
        return _handle(args)
    except BrokenPipeError:
        _quiet_stdout()  # the reader left (`| head -1`): nothing more to say, and no traceback
        return EXIT_BROKEN_PIPE


def server_installed() -> bool:
    """Whether the `server` extra is installed (a kiosk's own install, and its frozen bundle, lack it)."""
    return all(importlib.util.find_spec(name) is not None for name in SERVER_PACKAGES)


def _handle(args: argparse.Namespace) -> int:
    try:
        result: int = args.handler(args)
        sys.stdout.flush()  # a pipe closed early shows here, inside main(), rather than at exit
    except (
        offices.OfficeError,
        kiosks.KioskError,
        keys.KeyAdminError,
        ServerDbError,
        ValueError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        engine = getattr(args, "engine", None)
        if engine is not None:
            engine.dispose()
    return result


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that what is still buffered is not written (and fails again) at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk server", description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("KIOSK_SERVER_DB", DEFAULT_URL), help="database URL")
    commands = parser.add_subparsers(metavar="COMMAND")

    init = commands.add_parser("init", help="create the tables and the first signing key")
    init.set_defaults(handler=_init)

    run = commands.add_parser("run", help="serve the API")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8800, help="0: any free port (printed)")
    run.add_argument("--workers", type=int, default=1, help="worker processes (PostgreSQL only)")
    run.add_argument("--page-limit", type=int, default=2000, help="largest booking page")
    run.add_argument("--faults", default="", help=f"comma-separated faults to inject at random: {','.join(KINDS)}|all")
    run.add_argument("--fault-rate", type=float, default=0.0, help="share of requests that get a fault")
    run.add_argument("--fault-seed", type=int, default=None)
    run.add_argument("--fault-token", default="", help="enables POST /_faults with header X-Fault-Token")
    run.add_argument("--fault-timeout", type=float, default=2.0, help="seconds a 'timeout' fault holds a reply")
    run.add_argument("--max-events-kb", type=int, default=None, help="largest event upload body, KiB (default 1024)")
    run.add_argument(
        "--max-body-kb", type=int, default=None, help="largest body of the other kiosk routes, KiB (default 64)"
    )
    run.add_argument(
        "--max-open-kb",
        type=int,
        default=None,
        help="largest body of routes without a token (enrol...), KiB (default 8)",
    )
    _retention_options(run)
    run.add_argument("--no-purge", action="store_true", help="no daily retention purge in this process")
    run.set_defaults(handler=_run)

    purge = commands.add_parser("purge", help="delete bookings, events and audit reports past their retention")
    _retention_options(purge)
    purge.set_defaults(handler=_purge)

    _office_commands(commands)
    _kiosk_commands(commands)
    _key_commands(commands)
    _share_options(parser)
    return parser


def _retention_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--booking-days",
        type=int,
        default=DEFAULT_BOOKING_DAYS,
        help=f"days after its service date a booking is kept (default {DEFAULT_BOOKING_DAYS})",
    )
    parser.add_argument(
        "--event-months",
        type=int,
        default=DEFAULT_EVENT_MONTHS,
        help=f"months events and audit reports are kept after they arrived (default {DEFAULT_EVENT_MONTHS})",
    )


def _share_options(parser: argparse.ArgumentParser) -> None:
    """Give every (sub)command the group's --db too, so that it may follow the command. The copies
    default to SUPPRESS: absent, they leave the value the group's own option set (flag, $KIOSK_SERVER_DB
    or the default) alone."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                sub.add_argument("--db", default=argparse.SUPPRESS, help="database URL (also before the command)")
                _share_options(sub)


def _office_commands(commands: Any) -> None:
    office = commands.add_parser("office", help="add, change or list offices").add_subparsers(metavar="ACTION")
    add = office.add_parser("add", help="add an office")
    add.add_argument("code")
    add.add_argument("--zone", default="WIB", help=f"one of {', '.join(ZONE_OF_ABBREVIATION)} or an IANA name")
    add.add_argument("--rules", default="{}", help="JSON object of office rules (OfficeRules fields)")
    add.add_argument("--signed-codes", action="store_true", help="this office issues signed booking codes")
    add.set_defaults(handler=_office_add)
    change = office.add_parser("set", help="change an office's rules or signed-codes option")
    change.add_argument("code")
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


def _kiosk_commands(commands: Any) -> None:
    enrol = commands.add_parser("enrol", help="register a kiosk and print its one-time enrolment token")
    enrol.add_argument("--office", required=True)
    enrol.add_argument("--gate", required=True)
    enrol.add_argument("--label", default="")
    enrol.add_argument("--kiosk-id", default=None)
    enrol.set_defaults(handler=_enrol)

    revoke = commands.add_parser("revoke", help="revoke a kiosk (it wipes its personal data at its next sync)")
    revoke.add_argument("kiosk_id")
    revoke.set_defaults(handler=_revoke)

    listing = commands.add_parser("kiosks", help="list kiosks: last sync, audit head, pending events")
    listing.add_argument("--office", default=None)
    listing.set_defaults(handler=_kiosks)

    found = commands.add_parser(
        "incidents", help="forks, rewrites, rollbacks and broken entries found in kiosks' audit chains"
    )
    found.add_argument("--kiosk", default=None, help="one kiosk's incidents")
    found.set_defaults(handler=_incidents)

    shown = commands.add_parser("events", help="an office's scan events by gate")
    shown.add_argument("--office", required=True)
    shown.add_argument("--gate", default=None)
    shown.add_argument("--date", default=None, help="YYYY-MM-DD in the office's zone")
    shown.add_argument("--limit", type=int, default=50, help="events listed per gate (counts cover all)")
    shown.set_defaults(handler=_events)


def _key_commands(commands: Any) -> None:
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

    spec = commands.add_parser("openapi", help="write the OpenAPI spec")
    spec.add_argument("--out", type=Path, default=None)
    spec.set_defaults(handler=_openapi)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _engine(args: argparse.Namespace) -> Any:
    """The command's engine (disposed by main() when the command ends)."""
    if getattr(args, "engine", None) is None:
        args.engine = make_engine(args.db)
        init_schema(args.engine)
        with writing(args.engine) as connection:
            keys.ensure_key(connection, _now())
    return args.engine


def _init(args: argparse.Namespace) -> int:
    _engine(args)
    print(f"server database ready: {args.db}")
    return 0


def _run(args: argparse.Namespace) -> int:
    plan = None
    if args.faults or args.fault_token:
        kinds = KINDS if args.faults in ("", "all") else tuple(k.strip() for k in args.faults.split(",") if k.strip())
        plan = FaultPlan(
            rate=args.fault_rate,
            random_kinds=kinds,
            seed=args.fault_seed,
            token=args.fault_token,
            timeout_s=args.fault_timeout,
        )
    limits = BodyLimits.of_kib(args.max_events_kb, args.max_body_kb, args.max_open_kb)
    retention = Retention(args.booking_days, args.event_months)
    daily = None if args.no_purge else DailyPurge(_engine(args), retention, _now)
    try:
        if daily is not None:
            daily.start()
        return _serve(args, plan, limits, daily.stop if daily is not None else _nothing)
    finally:
        if daily is not None:
            daily.stop()  # the server ended otherwise than by a signal (which _serve's shutdown handles)


def _nothing() -> None:
    return None


def _serve(args: argparse.Namespace, plan: FaultPlan | None, limits: BodyLimits, on_shutdown: Any) -> int:
    import uvicorn

    class Server(uvicorn.Server):
        """Stops the daily purge as the server shuts down: uvicorn ends the process by raising the
        signal it caught again, so code after run() never runs after SIGTERM or SIGINT."""

        async def shutdown(self, sockets: Any = None) -> None:
            await super().shutdown(sockets)
            on_shutdown()

    from kiosk.server.app import ENV_DB, ENV_LIMITS, create_app

    if args.workers > 1:
        if plan is not None:
            raise ValueError("fault injection runs in one worker process only")
        os.environ[ENV_DB] = args.db
        os.environ[ENV_LIMITS] = limits.to_env()
        uvicorn.run(
            "kiosk.server.app:app_from_env",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level="warning",
            access_log=False,
        )
        return 0
    app: Any = create_app(args.db, page_limit=args.page_limit, body_limits=limits)
    if plan is not None:  # the drill: the fault layer wraps the production app from outside
        app = with_faults(app, plan)
    # Collect once and freeze what start-up made (FastAPI, SQLAlchemy, pydantic): the first full
    # collection otherwise walks ~110,000 objects (57 ms measured) in the middle of some kiosk's
    # online check, which waits for it with its scan (tests/bench/bench_door.py).
    gc.collect()
    gc.freeze()
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(2048)  # connections queue from now on, so "listening" below is true when printed
    port = sock.getsockname()[1]
    print(f"kiosk server listening on http://{args.host}:{port}", flush=True)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=port,
        log_level="warning",
        access_log=False,
        http="h11",
        lifespan="off",
        timeout_graceful_shutdown=5,
    )
    Server(config).run(sockets=[sock])
    return 0


def _office_add(args: argparse.Namespace) -> int:
    rules = json.loads(args.rules)
    if not isinstance(rules, dict):
        raise ValueError("--rules must be a JSON object")
    rules["zone"] = zone_named(args.zone).key
    with writing(_engine(args)) as connection:
        offices.add_office(connection, args.code, _now(), rules, args.signed_codes)
    print(f"office {args.code.upper()} added ({rules['zone']}{', signed codes' if args.signed_codes else ''})")
    return 0


def _office_set(args: argparse.Namespace) -> int:
    rules = json.loads(args.rules) if args.rules else None
    if rules is not None and not isinstance(rules, dict):
        raise ValueError("--rules must be a JSON object")
    with writing(_engine(args)) as connection:
        offices.set_office(connection, args.code, rules, args.signed)
    print(f"office {args.code.upper()} changed; kiosks get it with their next page")
    return 0


def _office_list(args: argparse.Namespace) -> int:
    with reading(_engine(args)) as connection:
        rows = offices.offices(connection)
        counts: dict[str, int] = dict(
            connection.execute(select(BookingRow.office_code, func.count()).group_by(BookingRow.office_code)).all()
        )
    table = [
        {
            "office": row.code,
            "zone": json.loads(row.rules)["zone"],
            "signed_codes": "yes" if row.signed_codes else "no",
            "bookings": str(counts.get(row.code, 0)),
            "feed": f"{row.feed_epoch}.{row.change_seq}",
        }
        for row in rows
    ]
    _print_table(table)
    return 0


def _import(args: argparse.Namespace) -> int:
    engine = _engine(args)
    status = 0
    for path in args.files:
        bookings, errors = offices.read_export(path, args.format)
        with writing(engine) as connection:
            report = offices.apply_import(connection, bookings, _now())
        report.errors = errors
        print(f"{path}: {report.summary()}")
        status = status or (1 if errors else 0)
    return status


def _enrol(args: argparse.Namespace) -> int:
    with writing(_engine(args)) as connection:
        enrolment = kiosks.create(connection, args.office, args.gate, _now(), args.label, args.kiosk_id)
    print(f"kiosk {enrolment.kiosk_id} for office {args.office.upper()}, gate {args.gate}")
    print(f"one-time enrolment token (valid until {enrolment.expires_at:%Y-%m-%d %H:%M} UTC):")
    print(enrolment.token)
    print(f"on the kiosk: kiosk sync enrol --server https://<this server> --token {enrolment.token}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    with writing(_engine(args)) as connection:
        kiosks.revoke(connection, args.kiosk_id, _now())
    print(f"kiosk {args.kiosk_id} revoked; it wipes its personal data when it next reaches the server")
    return 0


def _kiosks(args: argparse.Namespace) -> int:
    with reading(_engine(args)) as connection:
        _print_table(kiosks.listing(connection, args.office))
    return 0


def _incidents(args: argparse.Namespace) -> int:
    """Each incident with its evidence: what the server held, what the kiosk showed, what it kept."""
    with reading(_engine(args)) as connection:
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
    with reading(_engine(args)) as connection:
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
        _print_table(table)
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


def _keys_list(args: argparse.Namespace) -> int:
    with reading(_engine(args)) as connection:
        rows = keys.all_keys(connection)
    _print_table(
        [{"key_id": r.key_id, "state": r.state, "created": r.created_at, "public": r.public_key} for r in rows]
    )
    return 0


def _keys_rotate(args: argparse.Namespace) -> int:
    with writing(_engine(args)) as connection:
        key_id = keys.rotate(connection, _now())
    print(f"new active key {key_id}; retire the old one once every kiosk has synced (kiosk server kiosks)")
    return 0


def _keys_retire(args: argparse.Namespace) -> int:
    with writing(_engine(args)) as connection:
        keys.retire(connection, args.key_id)
    print(f"key {args.key_id} retired; kiosks drop it at their next sync")
    return 0


def _sign_code(args: argparse.Namespace) -> int:
    import segno

    from kiosk.domain.payload import parse_payload

    with reading(_engine(args)) as connection:
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


def _cancel(args: argparse.Namespace) -> int:
    status = "rescheduled" if args.rescheduled else "cancelled"
    with writing(_engine(args)) as connection:
        ref = offices.cancel(connection, args.code, status, _now())
    print(f"booking {ref} {status}; kiosks get its tombstone with their next page")
    return 0


def _purge(args: argparse.Namespace) -> int:
    purged = purge(_engine(args), _now(), Retention(args.booking_days, args.event_months))
    print(
        f"{purged.summary()} (bookings {args.booking_days} days after their service date, "
        f"events and audit reports {args.event_months} months after they arrived)"
    )
    return 0


def _openapi(args: argparse.Namespace) -> int:
    text = openapi_text()
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return 0


def openapi_text() -> str:
    """The OpenAPI spec as committed in docs/openapi.json (built without a database)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import StaticPool

    from kiosk.server.app import create_app

    engine = create_engine("sqlite://", poolclass=StaticPool)
    try:
        app = create_app(engine=engine)
        return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"
    finally:
        engine.dispose()


def _print_table(rows: list[dict[str, str]]) -> None:
    if not rows:
        print("(none)")
        return
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns).rstrip())
    for row in rows:
        print("  ".join(str(row[c]).ljust(widths[c]) for c in columns).rstrip())


if __name__ == "__main__":
    sys.exit(main())
