"""`kiosk demo` (the windows on the simulated camera, or the text demo reading codes from standard input)
and `kiosk demo-data` (demo bookings and a QR sheet to import and print).

The demo's set-up (its database, office, bookings and clock) is kiosk/demo's, shared with the windowed
demo and the screenshots; here are only the options, the text demo's table and its reading loop.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any, TextIO
from zoneinfo import ZoneInfo

from kiosk import config as kiosk_config
from kiosk.cli.common import (
    EXIT_OK,
    CliError,
    Context,
    command,
    date_argument,
    db_option,
    decision_lines,
    local_text,
    non_negative,
    office_code,
    parse_at,
    shown_input,
    stdin_is_terminal,
    zone_key,
)
from kiosk.demo import data
from kiosk.demo.setup import DemoSetup, open_demo_store, prepare_demo
from kiosk.demo.showcase import demo_clock_start, has_room_for_samples, sample_detail
from kiosk.domain.clock import utc_now
from kiosk.domain.model import ZONE_ABBREVIATION, OfficeRules
from kiosk.domain.payload import MAX_PAYLOAD_BYTES
from kiosk.door import Door, DoorSettings, Sighting, Source
from kiosk.store.db import KioskStore, StoreError

log = logging.getLogger("kiosk.cli")


def add_commands(commands: Any, db: argparse.ArgumentParser) -> None:
    _add_demo(commands)
    _add_demo_data(commands)


def _add_demo(commands: Any) -> None:
    parser = command(commands, "demo", cmd_demo, "try the kiosk on its own demo database with made-up bookings")
    parser.epilog = (
        "Opens the applicant window and the guard console on a simulated camera that shows every kind\n"
        "of outcome within the first minute (guard: Demo, PIN 246810). Without a screen, or with --text:\n"
        "prints sample codes for every outcome, then reads codes from standard input, one per line, and\n"
        "prints the kiosk's answer in Bahasa Indonesia and English. End with Ctrl-D (EOF).\n"
        "Works with a pipe: printf 'CODE\\n' | kiosk demo --text\n"
        "The demo never uses $KIOSK_DB or the configured database: only its own, or --db.\n"
        "With a [relay] in the configuration file (--config), the windowed demo opens that door relay\n"
        "(a board, or `python -m kiosk.relay.simulator`); without one, a relay in memory."
    )
    parser.add_argument("--text", action="store_true", help="text mode: read codes from standard input")
    parser.add_argument("--lang", choices=["id", "en"], default="id", help="first language on screen")
    parser.add_argument("--seconds", type=float, help="end the demo by itself after this many seconds")
    parser.add_argument(
        "--db",
        metavar="PATH",
        default=argparse.SUPPRESS,  # as for every command: a --db before the command is not reset
        help="demo database (default: demo/kiosk-demo.db in the data folder)",
    )
    parser.add_argument("--office", default=data.DEFAULT_OFFICE, help="office code (default: %(default)s)")
    parser.add_argument("--zone", default=data.DEFAULT_ZONE, help="WIB, WITA or WIT (default: %(default)s)")
    parser.add_argument("--at", metavar="TIME", help="start the demo clock here (ISO-8601 or HH:MM, office time)")
    parser.add_argument("--seed", type=int, help="make the sample codes reproducible")
    parser.add_argument(
        "--count", type=non_negative, default=30, help="ordinary bookings around the samples (default: %(default)s)"
    )


def _add_demo_data(commands: Any) -> None:
    parser = command(
        commands, "demo-data", cmd_demo_data, "write demo bookings (CSV, JSON lines) and a QR sheet", db_option()
    )
    parser.epilog = (
        "Writes bookings.csv, bookings.jsonl, qr-sheet.pdf and qr-sheet-N.png (A4, 12 codes a page) to --out.\n"
        "The names are made up; the sheet shows them to help compare with the guard's view."
    )
    parser.add_argument("--office", help=f"office code (default: the configured one, else {data.DEFAULT_OFFICE})")
    parser.add_argument("--zone", help=f"WIB, WITA or WIT (default: the configured one, else {data.DEFAULT_ZONE})")
    parser.add_argument("--date", type=date_argument, help="service date YYYY-MM-DD (default: today, office time)")
    parser.add_argument("--out", type=Path, default=Path("demo-data"), help="output folder (default: %(default)s)")
    parser.add_argument(
        "--count",
        type=int,
        default=40,
        help=f"bookings to make, at least {data.MIN_DAY_COUNT} (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, help="make the output reproducible")


def cmd_demo(ctx: Context) -> int:
    """Both windows on the simulated camera; the text mode with --text, or when there is no screen."""
    args = ctx.args
    if args.text:
        return run_text_demo(ctx)
    if not _has_screen():
        print(
            "kiosk: no screen (DISPLAY / WAYLAND_DISPLAY unset): running the text demo instead. "
            "For the windows on a headless machine: xvfb-run -a kiosk demo",
            file=sys.stderr,
        )
        return run_text_demo(ctx)
    from kiosk.demo.gui import run_demo
    from kiosk.workers.relay_board import configured_relay

    rules = OfficeRules(office_code=office_code(args.office), zone=zone_key(args.zone))
    start = _demo_start(args.at, rules, utc_now()) if args.at else None
    path = Path(args.db).expanduser() if args.db else None
    relay = ctx.config.relay  # a [relay] in kiosk.toml: the demo drives that board (or the relay simulator)
    return run_demo(
        path,
        args.lang,
        office=args.office,
        zone=zone_key(args.zone),
        start=start,
        seconds=args.seconds,
        seed=args.seed,
        relay=configured_relay(relay) if relay.driver != "none" else None,
    )


def _has_screen() -> bool:
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or platform) or sys.platform in (
        "win32",
        "darwin",
    )


def run_text_demo(ctx: Context) -> int:
    args = ctx.args
    path = Path(args.db).expanduser() if args.db else kiosk_config.demo_db_path()
    with open_demo_store(path) as store:
        setup = _prepare_text_demo(ctx, store)
        with Door(store, DoorSettings(online_check=False)) as door:
            _print_demo_table(ctx, setup, door, path)
            checked = _demo_loop(ctx, setup, door, store.settings.office_names())
    ctx.say(f"{checked} code(s) checked; each is recorded in {path} (try: kiosk audit verify --db {path})")
    return EXIT_OK


def _prepare_text_demo(ctx: Context, store: KioskStore) -> DemoSetup:
    """The demo office in `store` as the options ask (the text demo has no guard console: no guard)."""
    args = ctx.args
    office = office_code(args.office)
    rules = OfficeRules(office_code=office, zone=zone_key(args.zone))
    start = _demo_start(args.at, rules, utc_now())
    if 0 < args.count < data.MIN_DAY_COUNT:
        raise CliError(f"--count: 0, or at least {data.MIN_DAY_COUNT}")
    return prepare_demo(
        store, office=office, zone=rules.zone, start=start, seed=args.seed, background=args.count, guard=False
    )


def _demo_start(at: str | None, rules: OfficeRules, real_now: dt.datetime) -> dt.datetime:
    if at:
        start = parse_at(at, rules.tz, real_now)
        if not has_room_for_samples(start, rules):
            raise CliError("--at: the demo needs a time between 03.00 and 21.00 office time")
        return start
    start, moved = demo_clock_start(real_now, rules)
    if moved:
        log.warning("outside office hours: the demo clock starts at %s (choose with --at)", local_text(start, rules))
    return start


def _print_demo_table(ctx: Context, session: DemoSetup, door: Door, path: Path) -> None:
    rules = session.rules
    ctx.say(f"Kiosk demo (text mode): office {rules.office_code} ({rules.zone_abbreviation}), gate G1")
    ctx.say(f"demo clock: {local_text(session.clock(), rules)}   database: {path}")
    ctx.say()
    ctx.say("Sample codes (type or paste one per line; Ctrl-D ends):")
    width = max(len(sample.text) for sample in session.samples)
    for sample in session.samples:
        decision = door.preview(sample.text, session.clock())
        if decision.reason is not sample.expect:
            log.warning("sample %r gives %s, not %s", sample.title, decision.reason, sample.expect)
        answer = f"{decision.verdict.value} {decision.reason.value}"
        detail = sample_detail(sample, rules.tz.key)
        ctx.say(f"  {sample.text:<{width}}  {answer:<24} {sample.title}{': ' + detail if detail else ''}")
    ctx.say("  (show an ADMIT code twice: the second time it is ALREADY_ADMITTED)")
    ctx.say()


def _demo_loop(ctx: Context, session: DemoSetup, door: Door, offices: Mapping[str, str]) -> int:
    checked = 0
    interactive = stdin_is_terminal()
    for raw in _input_lines(sys.stdin, prompt="code> " if interactive else None):
        if not raw.strip():
            continue
        checked += 1
        ctx.say(f"> {shown_input(raw)}")
        try:
            recorded = door.present(Sighting(raw, session.clock(), Source.TEXT_DEMO))
        except StoreError as exc:  # the kiosk shows OUT OF ORDER and keeps running
            ctx.say(f"  OUT OF ORDER: {exc}")
            continue
        for line in decision_lines(recorded.decision, offices=offices):
            ctx.say(f"  {line}")
        ctx.say()
    return checked


def _input_lines(stream: TextIO, prompt: str | None) -> Iterator[bytes]:
    """Lines of standard input as bytes (a QR payload need not be UTF-8); very long lines are cut, so
    they still reach the parser as too long, without filling memory."""
    binary: IO[bytes] | None = getattr(stream, "buffer", None)
    limit = 4 * MAX_PAYLOAD_BYTES
    while True:
        if prompt:
            print(prompt, end="", file=sys.stdout, flush=True)
        line = binary.readline(limit) if binary is not None else stream.readline(limit).encode("utf-8")
        if not line:
            return
        if len(line) >= limit and not line.endswith(b"\n"):
            _drain_line(binary, stream, limit)
        yield line


def _drain_line(binary: IO[bytes] | None, stream: TextIO, limit: int) -> None:
    while True:
        rest = binary.readline(limit) if binary is not None else stream.readline(limit).encode("utf-8")
        if not rest or rest.endswith(b"\n"):
            return


def cmd_demo_data(ctx: Context) -> int:
    args, config = ctx.args, ctx.config
    office = office_code(args.office or config.office or data.DEFAULT_OFFICE)
    zone = zone_key(args.zone or config.rules.get("zone") or data.DEFAULT_ZONE)
    day = args.date or utc_now().astimezone(ZoneInfo(zone)).date()
    if args.count < data.MIN_DAY_COUNT:
        raise CliError(f"--count must be at least {data.MIN_DAY_COUNT} (one booking of every kind)")
    files = data.write_demo_files(args.out, office, zone, day, args.count, args.seed)
    pngs = ", ".join(path.name for path in files.pngs)
    ctx.say(f"wrote {len(files.bookings)} demo bookings for office {office} on {day.isoformat()} to {args.out}:")
    ctx.say(f"  {files.csv.name}, {files.jsonl.name}, {files.pdf.name}, {pngs}")
    ctx.say("try them:")
    ctx.say(f"  kiosk setup --db demo.db --office {office} --zone {ZONE_ABBREVIATION[zone]}")
    ctx.say(f"  kiosk import --db demo.db {files.csv}")
    ctx.say(f"  kiosk check --db demo.db {files.bookings[0].code} --at {day.isoformat()}T10:00")
    return EXIT_OK
