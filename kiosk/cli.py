"""`kiosk`: the command line for setting up, feeding, checking and inspecting a kiosk.

Every command says what went wrong in one line on stderr (`kiosk: error: ...`) and exits non-zero;
an expected problem (a missing or damaged database, a wrong PIN, a bad argument) never shows a Python
traceback. Results go to stdout, diagnostics to stderr through logging (-v for more).

This module only wires arguments to the store, the importer and the demo data: the rules live there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import logging
import os
import random
import re
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

import kiosk
from kiosk import cli_audit, demo_data
from kiosk import config as kiosk_config
from kiosk.domain.decide import format_time
from kiosk.domain.explain import explain_both
from kiosk.domain.model import (
    ZONE_ABBREVIATION,
    ZONE_OF_ABBREVIATION,
    Decision,
    OfficeRules,
    PartyAdmission,
    ReentryPolicy,
    zone_named,
)
from kiosk.domain.payload import MAX_PAYLOAD_BYTES
from kiosk.door import Door, DoorSettings, Sighting, Source, decided_text
from kiosk.store import migrate
from kiosk.store.db import KioskStore, StoreError, refuse_if_lost
from kiosk.store.engine import feed_path_for
from kiosk.store.guards import GuardError
from kiosk.store.importer import BookingFile, ImportFileError, ImportFormat, RowProblem, guess_format
from kiosk.store.settings import Identity, rules_to_json
from kiosk.store.settings import rules_from_json as build_rules

log = logging.getLogger("kiosk.cli")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 70, 130
#: Above this many rows (or bytes, for the first pass) an import shows a progress bar on a terminal.
PROGRESS_MIN_ROWS = 5000
PROGRESS_MIN_BYTES = 512 * 1024


class CliError(Exception):
    """A problem the person at the keyboard can fix; the message says how."""


#: What main() reports as `kiosk: error: <message>` instead of a traceback.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (
    CliError,
    kiosk_config.ConfigError,
    StoreError,
    GuardError,
    ImportFileError,
    OSError,
    SQLAlchemyError,
    sqlite3.Error,
)


# --- entry point ------------------------------------------------------------------------------------


#: Command groups with parsers of their own (the central server, the sync client), loaded only when used.
DELEGATED = {"server": "kiosk.server.cli", "sync": "kiosk.cli_sync"}
#: The global options that take a value (before a command group they are skipped with their value).
_VALUE_OPTIONS = frozenset({"--db", "--config"})


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the exit code (the console script passes it to sys.exit).

    Output piped into a reader that leaves early (`kiosk guard list | head -1`) ends the command
    quietly with exit code 1, never with a traceback: the Python docs' recipe for SIGPIPE (stdout
    flushed inside the try, then pointed at devnull, since Python flushes it again at exit)."""
    try:
        code = _run(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        quiet_stdout()
        return EXIT_FAILED
    return code


def _run(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    group = _delegated_group(argv)
    if group is not None:
        at = argv.index(group)
        return _delegate(group, argv[:at] + argv[at + 1 :])
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors: argparse has already printed
        return EXIT_OK if exc.code is None else exc.code if isinstance(exc.code, int) else EXIT_USAGE
    handler = _start_logging(args.verbose + getattr(args, "verbose_after", 0))
    try:
        ctx = Context(args, kiosk_config.load_config(args.config))
        if args.verbose + getattr(args, "verbose_after", 0) == 0:
            handler.setLevel(ctx.config.log_level)
            logging.getLogger("kiosk").setLevel(min(handler.level, logging.WARNING))
        result: int = args.run(ctx)
        return result
    except KeyboardInterrupt:
        print("kiosk: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        quiet_stdout()  # `kiosk guard list | head`: the reader left, nothing to say
        return EXIT_FAILED
    except EXPECTED_ERRORS as exc:
        _print_error(_describe(exc))
        return EXIT_FAILED
    except Exception as exc:  # a bug: say so plainly; the traceback with --verbose
        log.debug("internal error", exc_info=True)
        _print_error(f"internal error ({type(exc).__name__}: {exc}); run again with -v to see where, and report it")
        return EXIT_INTERNAL
    finally:
        _stop_logging(handler)


def _delegated_group(argv: list[str]) -> str | None:
    """The command group with a parser of its own that `argv` names (`kiosk sync ...`, also after
    options: `kiosk --db X sync now`), or None."""
    at = 0
    while at < len(argv):
        token = argv[at]
        if token in DELEGATED:
            return token
        if token == "--" or not token.startswith("-"):
            return None
        at += 2 if token in _VALUE_OPTIONS else 1
    return None


def _delegate(group: str, argv: list[str]) -> int:
    """`kiosk server ...` and `kiosk sync ...`: their own parsers, imported only when asked for. Options
    given before the group's name are the group's own: `kiosk --db X sync now` is `kiosk sync --db X now`."""
    import importlib

    module = importlib.import_module(DELEGATED[group])
    try:
        result: int = module.main(argv)
    except SystemExit as exc:  # --help, usage errors: the group's parser has already printed
        return EXIT_OK if exc.code is None else exc.code if isinstance(exc.code, int) else EXIT_USAGE
    return result


@dataclass
class Context:
    """What every command needs: its arguments, the configuration, and where the database is."""

    args: argparse.Namespace
    config: kiosk_config.KioskConfig

    @property
    def out(self) -> TextIO:
        return sys.stdout

    def db_path(self) -> Path:
        path, _source = kiosk_config.resolve_db_path(getattr(self.args, "db", None), self.config)
        return path

    def open_store(self, *, create: bool = False, upgrade: bool = False) -> KioskStore:
        """Open the kiosk database. Only `setup` and `db upgrade` may create or upgrade it: a typo in
        --db must not leave an empty database behind, and an upgrade is a step someone decides on."""
        path = self.db_path()
        refuse_if_lost(path)  # missing or emptied, but its companions are there: say what to restore
        if not create and not path.exists():
            raise CliError(f"no kiosk database at {path}; create one with `kiosk setup --db {path} --office ...`")
        if path.is_dir():
            raise CliError(f"{path} is a folder, not a database file")
        return KioskStore.open(path, create=create, upgrade=upgrade)

    def say(self, text: str = "") -> None:
        print(text, file=self.out)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False


# --- the parser -------------------------------------------------------------------------------------

_DESCRIPTION = """\
The booking QR gate kiosk for Indonesian immigration offices.

Most commands work on the kiosk database: --db PATH, else $KIOSK_DB, else the configuration file's
[database] path, else ~/.local/share/kiosk/kiosk.db ($XDG_DATA_HOME). The configuration file is
--config, else $KIOSK_CONFIG, else ~/.config/kiosk/kiosk.toml ($XDG_CONFIG_HOME); see `kiosk config show`.
--db, --config and -v go before or after the command (`kiosk --db X db status`, `kiosk db status --db X`).
"""
_EPILOG = """\
exit codes: 0 done; 1 failed (the message says why; for import: some rows were refused; for audit
verify: the chain is broken); 2 bad command line; 70 internal error; 130 interrupted.

more command groups (each with --help):
  kiosk server ...                            the central reference server (FastAPI) and its admin commands
  kiosk sync ...                              enrol this kiosk with a server, sync now, sync status

first steps:
  kiosk demo                                  try the kiosk on made-up bookings (text mode)
  kiosk setup --office DPS --zone WITA --gate G1
  kiosk import bookings.csv
  kiosk check MP7K-4Q9X-H2PT
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"kiosk {kiosk.__version__}")
    parser.add_argument("--config", metavar="FILE", help="configuration file (TOML; also after the command)")
    parser.add_argument("--db", metavar="PATH", help="kiosk database file (also after the command)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    db = _db_option()
    _add_demo(commands)
    _add_demo_data(commands)
    _add_setup(commands, db)
    _add_import(commands, db)
    _add_check(commands, db)
    _add_audit(commands, db)
    _add_guard(commands, db)
    _add_purge(commands, db)
    _add_pii_inventory(commands, db)
    _add_db(commands, db)
    _add_config(commands, db)
    _add_run(commands, db)
    _add_screenshots(commands)
    return parser


def _add_run(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = _command(commands, "run", cmd_run, "run the kiosk: applicant window and guard console", db)
    parser.epilog = (
        "Camera, office, database and the rest come from the configuration file (--config);\n"
        "flags override it. Kiosk mode (fullscreen, no cursor, closing needs a guard PIN)\n"
        "refuses to start when no guard exists: add one with `kiosk guard add NAME`."
    )
    parser.add_argument("--camera", metavar="INDEX|PATH", help="camera index or device path")
    parser.add_argument("--simulate", action="store_true", help="use the simulated camera")
    parser.add_argument(
        "--decoder", choices=["zxing", "zbar", "auto"], help="QR backend (default: [camera] decoder, else zxing)"
    )
    parser.add_argument("--lang", choices=["id", "en"], default="id", help="first language on screen")
    parser.add_argument("--windowed", action="store_true", help="not in kiosk mode (for setting up)")
    parser.add_argument("--single-screen", action="store_true", help="guard console behind a hotkey and PIN")
    parser.add_argument("--reports", type=Path, metavar="DIR", help="where daily reports are exported")


def _add_screenshots(commands: Any) -> None:
    parser = _command(commands, "screenshots", cmd_screenshots, "save a PNG of every screen state", _db_option())
    parser.add_argument("out_dir", metavar="DIR", help="folder for the PNG files")
    parser.add_argument("--lang", choices=["id", "en"], default="id", help="first language on screen")


def _db_option() -> argparse.ArgumentParser:
    """--db after the command too. SUPPRESS keeps a --db given before the command from being reset."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help="kiosk database file")
    return parent


def _global_options() -> argparse.ArgumentParser:
    """--config and -v after the command too (every command and command group takes them, as --db):
    default=SUPPRESS keeps a value given before the command from being reset. -v counts into a name of
    its own, added to the -v count given before the command (main())."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS, help="configuration file (TOML)")
    parent.add_argument(
        "-v",
        "--verbose",
        dest="verbose_after",
        action="count",
        default=argparse.SUPPRESS,
        help="more log output (-vv: debug)",
    )
    return parent


_GLOBAL_OPTIONS = _global_options()


def _command(
    commands: Any, name: str, run: Callable[[Context], int], help_text: str, *parents: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help_text,
        description=help_text[0].upper() + help_text[1:] + ".",
        parents=[_GLOBAL_OPTIONS, *parents],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(run=run)
    return parser


def _add_demo(commands: Any) -> None:
    parser = _command(commands, "demo", cmd_demo, "try the kiosk on its own demo database with made-up bookings")
    parser.epilog = (
        "Opens the applicant window and the guard console on a simulated camera that shows every kind\n"
        "of outcome within the first minute (guard: Demo, PIN 246810). Without a screen, or with --text:\n"
        "prints sample codes for every outcome, then reads codes from standard input, one per line, and\n"
        "prints the kiosk's answer in Bahasa Indonesia and English. End with Ctrl-D (EOF).\n"
        "Works with a pipe: printf 'CODE\\n' | kiosk demo --text\n"
        "The demo never uses $KIOSK_DB or the configured database: only its own, or --db."
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
    parser.add_argument("--office", default=demo_data.DEFAULT_OFFICE, help="office code (default: %(default)s)")
    parser.add_argument("--zone", default=demo_data.DEFAULT_ZONE, help="WIB, WITA or WIT (default: %(default)s)")
    parser.add_argument("--at", metavar="TIME", help="start the demo clock here (ISO-8601 or HH:MM, office time)")
    parser.add_argument("--seed", type=int, help="make the sample codes reproducible")
    parser.add_argument(
        "--count", type=_non_negative, default=30, help="ordinary bookings around the samples (default: %(default)s)"
    )


def _add_demo_data(commands: Any) -> None:
    parser = _command(
        commands, "demo-data", cmd_demo_data, "write demo bookings (CSV, JSON lines) and a QR sheet", _db_option()
    )
    parser.epilog = (
        "Writes bookings.csv, bookings.jsonl, qr-sheet.pdf and qr-sheet-N.png (A4, 12 codes a page) to --out.\n"
        "The names are made up; the sheet shows them to help compare with the guard's view."
    )
    parser.add_argument("--office", help=f"office code (default: the configured one, else {demo_data.DEFAULT_OFFICE})")
    parser.add_argument("--zone", help=f"WIB, WITA or WIT (default: the configured one, else {demo_data.DEFAULT_ZONE})")
    parser.add_argument("--date", type=_date_argument, help="service date YYYY-MM-DD (default: today, office time)")
    parser.add_argument("--out", type=Path, default=Path("demo-data"), help="output folder (default: %(default)s)")
    parser.add_argument(
        "--count",
        type=int,
        default=40,
        help=f"bookings to make, at least {demo_data.MIN_DAY_COUNT} (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, help="make the output reproducible")


def _add_setup(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = _command(commands, "setup", cmd_setup, "create or configure the kiosk database: office, gate, rules", db)
    parser.epilog = (
        "Values come from the database (when configured before), then the configuration file's [kiosk]\n"
        "and [office] sections, then these options. The change is recorded in the audit chain."
    )
    parser.add_argument("--office", help="office code, e.g. DPS")
    parser.add_argument("--zone", help="the office's time zone: WIB, WITA or WIT")
    parser.add_argument("--gate", help="this kiosk's gate, e.g. G1")
    parser.add_argument("--kiosk-id", help="this kiosk's id, e.g. KIOSK-1")
    parser.add_argument("--early-minutes", type=_non_negative, help="entry opens this long before the slot")
    parser.add_argument("--late-minutes", type=_non_negative, help="entry closes this long after the slot end")
    parser.add_argument("--max-data-age-minutes", type=_non_negative, help="older local data REFERs unknown codes")
    parser.add_argument("--allow-later-same-day", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--deny-needs-ack", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--reentry", choices=[p.value for p in ReentryPolicy])
    parser.add_argument("--party-admission", choices=[p.value for p in PartyAdmission])


def _add_import(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = _command(commands, "import", cmd_import, "import a booking export (CSV or JSON lines)", db)
    parser.epilog = (
        "Fields: code, booking_ref, office, service_date (YYYY-MM-DD), slot_start, slot_end (HH:MM),\n"
        "status (active/cancelled/rescheduled/unpaid), party_size (1-5), category (regular/priority/\n"
        "lost_passport/special_reschedule), name, nik_last4 (4 digits or empty; a full NIK is refused),\n"
        "version (optional, default 1), updated_at (optional, ISO-8601). CSV needs a header row.\n\n"
        "Every refused row is reported as FILE:LINE: reason. The good rows are applied in one transaction\n"
        "even when some rows are refused, but the exit code is then 1."
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="the export file")
    parser.add_argument("--format", choices=[f.value for f in ImportFormat], help="default: from the file extension")
    parser.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="progress bar on stderr (auto: on a terminal, for large files)",
    )


def _add_check(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = _command(commands, "check", cmd_check, "check one booking code as if shown at this gate", db)
    parser.epilog = (
        "Without --at the check is real: decided now and recorded like a scan (source: cli).\n"
        "With --at it is a what-if: decided at that time and never recorded, since an event at a\n"
        "made-up time would be false evidence (and would be uploaded to the server)."
    )
    parser.add_argument("code", metavar="CODE", help="the QR text, e.g. MP7K-4Q9X-H2PT")
    parser.add_argument(
        "--at",
        metavar="TIME",
        help="ISO-8601 time, e.g. 2026-12-01T10:30 (office time) or 2026-12-01T10:30+07:00; HH:MM = today",
    )
    parser.add_argument("--dry-run", action="store_true", help="decide now but do not record")


def _add_audit(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = _command(commands, "audit", _needs_subcommand, "the audit chain", db)
    sub = parser.add_subparsers(title="audit commands", metavar="ACTION", required=True)
    verify = _command(
        sub,
        "verify",
        cmd_audit_verify,
        "verify the hash chain, the recorded events and the server's receipts (exit 1 if broken)",
        db,
    )
    verify.add_argument(
        "--expect",
        metavar="SEQ:HASH",
        help="also check that the chain holds this head, as printed in a signed daily report "
        "(at least the first 16 hex digits; spaces allowed)",
    )


def _add_guard(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = _command(commands, "guard", _needs_subcommand, "guards and their personal PINs", db)
    sub = parser.add_subparsers(title="guard commands", metavar="ACTION", required=True)
    pin_help = "read the PIN from standard input (the default when it is not a terminal)"
    add = _command(sub, "add", cmd_guard_add, "add a guard; the PIN is asked twice", db)
    add.add_argument("name", metavar="NAME")
    add.add_argument("--pin-stdin", action="store_true", help=pin_help)
    _command(sub, "list", cmd_guard_list, "list the guards", db)
    for name, active in (("disable", False), ("enable", True)):
        action = _command(sub, name, _set_guard_active(active), f"{name} a guard (audited)", db)
        action.add_argument("name", metavar="NAME")
    verify = _command(sub, "verify", cmd_guard_verify, "check a guard's PIN (counts towards the lockout)", db)
    verify.add_argument("name", metavar="NAME")
    verify.add_argument("--pin-stdin", action="store_true", help=pin_help)


def _add_purge(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = _command(commands, "purge", cmd_purge, "delete bookings older than the retention period", db)
    parser.add_argument(
        "--days", type=_non_negative, help="keep this many days after the service date (default: configured, 7)"
    )


def _add_pii_inventory(commands: Any, db: argparse.ArgumentParser) -> None:
    _command(commands, "pii-inventory", cmd_pii_inventory, "list the personal data this kiosk holds, and where", db)


def _add_db(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = _command(commands, "db", _needs_subcommand, "the database file", db)
    sub = parser.add_subparsers(title="db commands", metavar="ACTION", required=True)
    _command(sub, "status", cmd_db_status, "show the schema version and what the database holds", db)
    _command(sub, "upgrade", cmd_db_upgrade, "upgrade the database to this kiosk's schema version", db)


def _add_config(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = _command(commands, "config", _needs_subcommand, "the configuration", db)
    sub = parser.add_subparsers(title="config commands", metavar="ACTION", required=True)
    _command(sub, "show", cmd_config_show, "show the configuration in effect and where each part comes from", db)


def _needs_subcommand(ctx: Context) -> int:  # argparse requires one; kept for completeness
    raise CliError("choose an action; see --help")


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _date_argument(text: str) -> dt.date:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"no such day: {text!r}") from None


# --- times and zones ----------------------------------------------------------------------------------


def zone_key(text: str) -> str:
    """WIB/WITA/WIT or an Indonesian IANA zone, as its IANA name; anything else is a CliError."""
    try:
        return zone_named(text).key
    except ValueError as exc:
        raise CliError(str(exc)) from None


_ZONE_SUFFIX = re.compile(r"\s+(WIB|WITA|WIT)$", re.IGNORECASE)
_CLOCK_TIME = re.compile(r"([0-9]{1,2})[:.]([0-9]{2})")


def parse_at(text: str, office_zone: ZoneInfo, now: dt.datetime) -> dt.datetime:
    """An ISO-8601 time with or without a zone (without: the office's), "... WITA", or HH:MM today."""
    value = text.strip()
    zone = office_zone
    suffix = _ZONE_SUFFIX.search(value)
    if suffix:
        zone = ZoneInfo(ZONE_OF_ABBREVIATION[suffix[1].upper()])
        value = value[: suffix.start()]
    clock = _CLOCK_TIME.fullmatch(value)
    if clock:
        if int(clock[1]) > 23 or int(clock[2]) > 59:
            raise CliError(f"--at: no such time of day: {text!r}")
        return dt.datetime.combine(now.astimezone(zone).date(), dt.time(int(clock[1]), int(clock[2])), tzinfo=zone)
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise CliError(f"--at: give a time of day as well as the date, e.g. {value}T10:30")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CliError(
            f"--at: cannot read {text!r} as a time; use ISO-8601 such as 2026-12-01T10:30 (office time), "
            "2026-12-01T10:30+07:00, or HH:MM for today"
        ) from None
    if parsed.tzinfo is not None and suffix:
        raise CliError(f"--at: {text!r} names two time zones")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def local_text(moment: dt.datetime, rules: OfficeRules) -> str:
    """A time as the office reads it: 2026-12-01 10.30 WITA."""
    local = moment.astimezone(rules.tz)
    return f"{local.date().isoformat()} {format_time(local.time())} {rules.zone_abbreviation}"


# --- printing decisions -------------------------------------------------------------------------------


def decision_lines(decision: Decision, *, guard_view: bool = True) -> list[str]:
    """The verdict, reason and both sentences; with `guard_view`, what the guard compares with the ID
    card (never on the applicant's screen)."""
    indonesian, english = explain_both(decision)
    persons = f" ({decision.persons} {'person' if decision.persons == 1 else 'people'})" if decision.persons else ""
    lines = [
        f"verdict: {decision.verdict.value}{persons}",
        f"reason:  {decision.reason.value}",
        f"id:      {indonesian.title} - {indonesian.sentence}",
        f"en:      {english.title} - {english.sentence}",
    ]
    booking = decision.booking
    if guard_view and booking is not None:
        name = booking.display_name or "(no name)"
        nik = f"NIK ...{booking.nik_last4}" if booking.nik_last4 else "no NIK digits"
        lines.append(f"guard:   {name} | {nik} | {booking.booking_ref} | party of {booking.party_size}")
    return lines


def shown_input(raw: bytes) -> str:
    """What someone typed, safe to echo: printable ASCII only, shortened."""
    text = raw.decode("utf-8", "replace")
    shown = "".join(ch if " " <= ch <= "~" else "?" for ch in text.strip(" \t\r\n"))
    return shown if len(shown) <= 60 else shown[:57] + "..."


# --- demo -----------------------------------------------------------------------------------------------


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
    from kiosk import app

    rules = OfficeRules(office_code=_office_code(args.office), zone=zone_key(args.zone))
    start = _demo_start(args.at, rules, now_utc()) if args.at else None
    path = Path(args.db).expanduser() if args.db else None
    return app.run_demo(
        path, args.lang, office=args.office, zone=zone_key(args.zone), start=start, seconds=args.seconds, seed=args.seed
    )


def _has_screen() -> bool:
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or platform) or sys.platform in (
        "win32",
        "darwin",
    )


def cmd_run(ctx: Context) -> int:
    """The kiosk itself: camera, office and database from the configuration file, flags on top."""
    from kiosk import app

    args = ctx.args
    camera: int | str | None = None
    if args.camera is not None:
        camera = int(args.camera) if args.camera.isdigit() else args.camera
    return app.run_kiosk(
        ctx.config,
        db_path=getattr(args, "db", None),
        camera=camera,
        lang=args.lang,
        kiosk_mode=not args.windowed,
        single_screen=args.single_screen,
        simulate=args.simulate,
        decoder=args.decoder,
        reports_dir=args.reports,
    )


def cmd_screenshots(ctx: Context) -> int:
    from kiosk import app

    paths = app.save_screenshots(Path(ctx.args.out_dir), ctx.args.lang)
    for path in paths:
        ctx.say(str(path))
    return EXIT_OK


@dataclass
class DemoSession:
    store: KioskStore
    rules: OfficeRules
    samples: list[demo_data.Sample]
    clock: Callable[[], dt.datetime]
    door: Door


def run_text_demo(ctx: Context) -> int:
    args = ctx.args
    path = Path(args.db).expanduser() if args.db else kiosk_config.demo_db_path()
    with _open_demo_store(path) as store:
        session = _prepare_demo(ctx, store)
        _print_demo_table(ctx, session, path)
        checked = _demo_loop(ctx, session)
    ctx.say(f"{checked} code(s) checked; each is recorded in {path} (try: kiosk audit verify --db {path})")
    return EXIT_OK


class _open_demo_store:  # noqa: N801 - used like a function in a with statement
    """Open (or create) the demo database, refusing any database that is not a demo one.

    A database named with --db is looked at before anything is changed in it (no upgrade, no
    settings): only a demo database may be filled with made-up bookings."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.store: KioskStore | None = None

    def __enter__(self) -> KioskStore:
        existed = self.path.exists() and self.path.stat().st_size > 0
        if existed:
            with KioskStore.open(self.path, create=False, upgrade=self._is_default_demo_path()) as store:
                self._refuse_unless_demo(store)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.store = KioskStore.open(self.path, create=True, upgrade=True)
        return self.store

    def __exit__(self, *exc: object) -> None:
        if self.store is not None:
            self.store.close()

    def _is_default_demo_path(self) -> bool:
        return self.path.resolve() == kiosk_config.demo_db_path().resolve()

    def _refuse_unless_demo(self, store: KioskStore) -> None:
        identity = store.identity()
        if identity.kiosk_id == demo_data.DEMO_KIOSK_ID:
            return
        if identity != Identity() or store.booking_count() > 0:
            raise CliError(f"{self.path} is not a demo database; `kiosk demo` writes made-up bookings only to its own")


def _prepare_demo(ctx: Context, store: KioskStore) -> DemoSession:
    args = ctx.args
    office = _office_code(args.office)
    rules = OfficeRules(office_code=office, zone=zone_key(args.zone))
    real_now = now_utc()
    start = _demo_start(args.at, rules, real_now)
    store.configure(Identity(demo_data.DEMO_KIOSK_ID, "G1", office), rules, real_now)
    seed = f"{args.seed}:{store.booking_count()}" if args.seed is not None else None
    rng = random.Random(seed)
    samples = demo_data.showcase(office, rules, start, rng)
    background = _demo_background(args.count, office, rules, start, rng)
    demo_data.fill_demo_store(store, samples, background, start)
    started = time.monotonic()
    clock = lambda: start + dt.timedelta(seconds=time.monotonic() - started)  # noqa: E731
    return DemoSession(store, rules, samples, clock, Door(store, DoorSettings(online_check=False)))


def _demo_start(at: str | None, rules: OfficeRules, real_now: dt.datetime) -> dt.datetime:
    if at:
        start = parse_at(at, rules.tz, real_now)
        if not demo_data.has_room_for_samples(start, rules):
            raise CliError("--at: the demo needs a time between 03.00 and 21.00 office time")
        return start
    start, moved = demo_data.demo_clock_start(real_now, rules)
    if moved:
        log.warning("outside office hours: the demo clock starts at %s (choose with --at)", local_text(start, rules))
    return start


def _demo_background(
    count: int, office: str, rules: OfficeRules, start: dt.datetime, rng: random.Random
) -> list[demo_data.DemoBooking]:
    if count == 0:
        return []
    if count < demo_data.MIN_DAY_COUNT:
        raise CliError(f"--count: 0, or at least {demo_data.MIN_DAY_COUNT}")
    return demo_data.generate_day(office, rules.zone, start.astimezone(rules.tz).date(), count, rng)


def _print_demo_table(ctx: Context, session: DemoSession, path: Path) -> None:
    rules = session.rules
    ctx.say(f"Kiosk demo (text mode): office {rules.office_code} ({rules.zone_abbreviation}), gate G1")
    ctx.say(f"demo clock: {local_text(session.clock(), rules)}   database: {path}")
    ctx.say()
    ctx.say("Sample codes (type or paste one per line; Ctrl-D ends):")
    width = max(len(sample.text) for sample in session.samples)
    for sample in session.samples:
        decision = session.door.preview(sample.text, session.clock())
        if decision.reason is not sample.expect:
            log.warning("sample %r gives %s, not %s", sample.title, decision.reason, sample.expect)
        answer = f"{decision.verdict.value} {decision.reason.value}"
        detail = demo_data.sample_detail(sample, rules.tz.key)
        ctx.say(f"  {sample.text:<{width}}  {answer:<24} {sample.title}{': ' + detail if detail else ''}")
    ctx.say("  (show an ADMIT code twice: the second time it is ALREADY_ADMITTED)")
    ctx.say()


def _demo_loop(ctx: Context, session: DemoSession) -> int:
    checked = 0
    interactive = _stdin_is_terminal()
    for raw in _input_lines(sys.stdin, prompt="code> " if interactive else None):
        if not raw.strip():
            continue
        checked += 1
        ctx.say(f"> {shown_input(raw)}")
        try:
            recorded = session.door.present(Sighting(raw, session.clock(), Source.TEXT_DEMO))
        except StoreError as exc:  # the kiosk shows OUT OF ORDER and keeps running
            ctx.say(f"  OUT OF ORDER: {exc}")
            continue
        for line in decision_lines(recorded.decision):
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


# --- demo-data ------------------------------------------------------------------------------------------


def cmd_demo_data(ctx: Context) -> int:
    args, config = ctx.args, ctx.config
    office = _office_code(args.office or config.office or demo_data.DEFAULT_OFFICE)
    zone = zone_key(args.zone or config.rules.get("zone") or demo_data.DEFAULT_ZONE)
    day = args.date or now_utc().astimezone(ZoneInfo(zone)).date()
    if args.count < demo_data.MIN_DAY_COUNT:
        raise CliError(f"--count must be at least {demo_data.MIN_DAY_COUNT} (one booking of every kind)")
    files = demo_data.write_demo_files(args.out, office, zone, day, args.count, args.seed)
    pngs = ", ".join(path.name for path in files.pngs)
    ctx.say(f"wrote {len(files.bookings)} demo bookings for office {office} on {day.isoformat()} to {args.out}:")
    ctx.say(f"  {files.csv.name}, {files.jsonl.name}, {files.pdf.name}, {pngs}")
    ctx.say("try them:")
    ctx.say(f"  kiosk setup --db demo.db --office {office} --zone {ZONE_ABBREVIATION[zone]}")
    ctx.say(f"  kiosk import --db demo.db {files.csv}")
    ctx.say(f"  kiosk check --db demo.db {files.bookings[0].code} --at {day.isoformat()}T10:00")
    return EXIT_OK


def _office_code(text: str) -> str:
    code = text.strip().upper()
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9_-]{0,31}", code):
        raise CliError(f"not an office code: {text!r} (1 to 32 letters, digits, _ or -)")
    return code


# --- setup ----------------------------------------------------------------------------------------------

_RULE_OPTIONS = (
    "early_minutes",
    "late_minutes",
    "max_data_age_minutes",
    "allow_later_same_day",
    "deny_needs_ack",
    "reentry",
    "party_admission",
)


def cmd_setup(ctx: Context) -> int:
    path = ctx.db_path()
    refuse_if_lost(path)  # a lost database is restored from the backup, never set up anew
    new = not path.exists() or path.stat().st_size == 0
    if new:  # check everything before a file is made: a refused setup leaves nothing behind
        identity = _setup_identity(ctx, None)
        rules = _setup_rules(ctx, identity.office_code, None)
        path.parent.mkdir(parents=True, exist_ok=True)
    with KioskStore.open(path, create=True, upgrade=new) as store:
        if not new:
            stored = store.identity() != Identity()
            identity = _setup_identity(ctx, store.identity() if stored else None)
            rules = _setup_rules(ctx, identity.office_code, store.rules() if stored else None)
        store.configure(identity, rules, now_utc())
    ctx.say(
        f"{'created' if new else 'configured'} {path}: kiosk {identity.kiosk_id}, gate {identity.gate}, "
        f"office {identity.office_code} ({rules.zone_abbreviation}, {rules.zone})"
    )
    return EXIT_OK


def _setup_identity(ctx: Context, stored: Identity | None) -> Identity:
    args = ctx.args
    base = ctx.config.identity(stored)
    office = args.office or (base.office_code if stored or ctx.config.office else None)
    if office is None:
        raise CliError("give the office: kiosk setup --office CODE --zone WIB|WITA|WIT (or [kiosk] office in the file)")
    return Identity(
        kiosk_id=_identity_part(args.kiosk_id or base.kiosk_id, "--kiosk-id"),
        gate=_identity_part(args.gate or base.gate, "--gate"),
        office_code=_office_code(office),
    )


def _identity_part(value: str, option: str) -> str:
    value = value.strip()
    if not value or len(value) > 32 or not value.isprintable():
        raise CliError(f"{option} must be 1 to 32 printable characters")
    return value


def _setup_rules(ctx: Context, office: str, stored: OfficeRules | None) -> OfficeRules:
    args = ctx.args
    values: dict[str, Any] = rules_to_json(stored) if stored else {}
    values.update(ctx.config.rules)
    values.update({name: getattr(args, name) for name in _RULE_OPTIONS if getattr(args, name) is not None})
    if args.zone:
        values["zone"] = zone_key(args.zone)
    if stored is None and "zone" not in values:
        raise CliError("give the office's time zone: --zone WIB, WITA or WIT (or [office] zone in the file)")
    values["office_code"] = office
    try:
        return build_rules(values)
    except ValueError as exc:
        raise CliError(f"office rules: {exc}") from None


# --- import ---------------------------------------------------------------------------------------------


def cmd_import(ctx: Context) -> int:
    args = ctx.args
    path: Path = args.file
    if not path.is_file():
        raise CliError(f"no file {path}" if not path.exists() else f"{path} is not a file")
    fmt = ImportFormat(args.format) if args.format else guess_format(path)
    with ctx.open_store() as store:
        now = now_utc()
        export = BookingFile(path, fmt, naive_zone=store.rules().tz, now=now)
        with _progress_bar(args.progress, f"checking {path.name}", path.stat().st_size >= PROGRESS_MIN_BYTES) as bar:
            export.check(bar.callback)
        for note in export.notes:
            log.warning("%s: %s", path.name, note)
        imported = _apply_import(store, export, args.progress, now)
    return _import_summary(ctx, export, imported)


def _apply_import(store: KioskStore, export: BookingFile, progress: str, now: dt.datetime) -> int:
    large = export.rows >= PROGRESS_MIN_ROWS
    with _progress_bar(progress, f"importing {export.path.name}", large) as bar:

        def report(problem: RowProblem) -> None:
            bar.note(f"{export.path.name}:{problem.line}: {problem.reason}")

        rows = export.bookings(report, bar.callback)
        if export.candidates == 0:
            for _ in rows:  # every row is refused: report them all, open no transaction
                pass
            return 0
        try:
            return store.import_bookings(rows, now, source=f"import {export.format.value} {export.path.name}")
        except StoreError as exc:
            raise CliError(f"nothing was imported: {exc}") from exc


def _import_summary(ctx: Context, export: BookingFile, imported: int) -> int:
    counts = export.counts
    unchanged = counts.good - imported
    extra = f", {unchanged} not applied (the database has a newer version)" if unchanged > 0 else ""
    ctx.say(f"imported {imported} bookings, {counts.refused} rows refused{extra}")
    if counts.refused:
        rest = "the other rows were imported" if counts.good else "nothing was imported"
        _print_error(
            f"{counts.refused} of {counts.rows} rows refused (listed above); {rest}. "
            "Correct the export and import it again: rows already imported are updated, not duplicated"
        )
        return EXIT_FAILED
    return EXIT_OK


class _progress_bar:  # noqa: N801 - used like a function in a with statement
    """A text progress bar on stderr: redrawn in place on a terminal, a line per 10% otherwise."""

    WIDTH = 30

    def __init__(self, mode: str, label: str, large: bool) -> None:
        self.stream = sys.stderr
        tty = self.stream.isatty()
        self.enabled = mode == "always" or (mode == "auto" and tty and large)
        self.in_place = tty
        self.label = label
        self._last = -1

    def __enter__(self) -> _progress_bar:
        return self

    @property
    def callback(self) -> Callable[[int, int], None] | None:
        """What to hand to the importer: None when no bar is wanted (it then skips the bookkeeping)."""
        return self.update if self.enabled else None

    def note(self, line: str) -> None:
        """Print a line on stderr above the bar (the bar is drawn again at its next update)."""
        if self.enabled and self.in_place and self._last >= 0:
            self.stream.write("\r" + " " * (len(self.label) + self.WIDTH + 8) + "\r")
            self._last = -1
        self.stream.write(line + "\n")

    def update(self, done: int, total: int) -> None:
        percent = min(100, done * 100 // max(total, 1))
        step = percent if self.in_place else percent // 10 * 10
        if step == self._last:
            return
        self._last = step
        filled = self.WIDTH * percent // 100
        bar = f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {percent:3d}%"
        self.stream.write(f"\r{bar}" if self.in_place else f"{bar}\n")
        self.stream.flush()

    def __exit__(self, *exc: object) -> None:
        if self.enabled and self.in_place and self._last >= 0:
            self.stream.write("\n")
            self.stream.flush()


# --- check ----------------------------------------------------------------------------------------------


def cmd_check(ctx: Context) -> int:
    """One code through the same door as the running kiosk's (the online check across gates when the
    kiosk is enrolled and `[online] check` is on); --at and --dry-run decide locally, record nothing."""
    args = ctx.args
    online = ctx.config.online
    with ctx.open_store() as store, Door(store, DoorSettings(online.check, online.budget_ms / 1000)) as door:
        rules = store.rules()
        now = now_utc()
        at = parse_at(args.at, rules.tz, now) if args.at else now
        if args.at or args.dry_run:
            decision = door.preview(args.code, at)
            what = "--at: a what-if" if args.at else "--dry-run"
            note = f"not recorded ({what}; decided on this kiosk's data only, without the server)"
        else:
            recorded = door.present(Sighting(args.code, at, Source.CLI))
            decision = recorded.decision
            note = f"recorded as event {recorded.event_uuid}, audit entry {recorded.audit_seq}"
            note += "; " + decided_text(recorded)
    for line in decision_lines(decision):
        ctx.say(line)
    ctx.say(f"time:    {local_text(at, rules)}; {note}")
    return EXIT_OK


# --- audit ----------------------------------------------------------------------------------------------


def cmd_audit_verify(ctx: Context) -> int:
    try:
        expect = None if ctx.args.expect is None else cli_audit.parse_expect(ctx.args.expect)
    except ValueError as exc:
        _print_error(str(exc))
        return EXIT_USAGE
    with ctx.open_store() as store:
        verified = cli_audit.verify(store, expect)
    report = verified.report
    if report.ok:
        ctx.say(f"audit chain OK: {report.entries} entries, {report.events} events")
    else:
        ctx.say(
            f"audit chain BROKEN: {report.entries} entries, {report.events} events, {len(report.problems)} problem(s)"
        )
        for problem in report.problems:
            ctx.say(f"  {problem}")
    for line in verified.lines:
        ctx.say(line)
    if report.ok:
        return EXIT_OK
    where = f"first bad entry: {report.first_bad_seq}" if report.first_bad_seq is not None else "see the problems"
    _print_error(f"the audit chain is broken ({where}); keep this database as evidence and call the IT staff")
    return EXIT_FAILED


# --- guards ---------------------------------------------------------------------------------------------


def cmd_guard_add(ctx: Context) -> int:
    args = ctx.args
    with ctx.open_store() as store:
        pin = _read_pin(args.pin_stdin, f"new PIN for {args.name}: ", confirm=True)
        guard = store.add_guard(args.name, pin, now_utc())
    ctx.say(f"added guard {guard.name} (id {guard.id})")
    return EXIT_OK


def cmd_guard_list(ctx: Context) -> int:
    with ctx.open_store() as store:
        guards = store.guards()
    if not guards:
        ctx.say("no guards yet; add one with: kiosk guard add NAME")
        return EXIT_OK
    width = max(len(guard.name) for guard in guards)
    ctx.say(f"{'NAME':<{width}}  {'STATE':<8}  {'FAILED PINS':<11}  ADDED")
    for guard in guards:
        state = "active" if guard.active else "disabled"
        if guard.locked_until and dt.datetime.fromisoformat(guard.locked_until) > now_utc():
            state = "locked"
        ctx.say(f"{guard.name:<{width}}  {state:<8}  {guard.failed_attempts:<11}  {guard.created_at[:10]}")
    return EXIT_OK


def _set_guard_active(active: bool) -> Callable[[Context], int]:
    def run(ctx: Context) -> int:
        with ctx.open_store() as store:
            guard = store.set_guard_active(ctx.args.name, active, now_utc())
        ctx.say(f"guard {guard.name} is now {'enabled' if guard.active else 'disabled'}")
        return EXIT_OK

    return run


def cmd_guard_verify(ctx: Context) -> int:
    args = ctx.args
    with ctx.open_store() as store:
        pin = _read_pin(args.pin_stdin, f"PIN for {args.name}: ", confirm=False)
        guard = store.authenticate(args.name, pin, now_utc(), purpose="verify")
    ctx.say(f"PIN OK for {guard.name}")
    return EXIT_OK


def _read_pin(from_stdin: bool, prompt: str, *, confirm: bool) -> str:
    """From the terminal without echo (asked twice for a new PIN), or from standard input: one line,
    or two that must match."""
    if from_stdin or not _stdin_is_terminal():
        first = sys.stdin.readline().rstrip("\r\n")
        second = sys.stdin.readline().rstrip("\r\n") if confirm else ""
        if not first:
            raise CliError("no PIN on standard input")
        if second and second != first:
            raise CliError("the two PINs differ")
        return first
    pin = getpass.getpass(prompt)
    if confirm and getpass.getpass("the same PIN again: ") != pin:
        raise CliError("the two PINs differ; nothing was changed")
    return pin


# --- purge, privacy -------------------------------------------------------------------------------------


def cmd_purge(ctx: Context) -> int:
    days = ctx.args.days if ctx.args.days is not None else ctx.config.retention_days
    with ctx.open_store() as store:
        report = store.purge(now_utc(), days)
    ctx.say(
        f"purged {report.bookings} bookings with a service date before {report.cutoff.isoformat()} "
        f"(retention: {days} days)"
    )
    return EXIT_OK


def cmd_pii_inventory(ctx: Context) -> int:
    path = ctx.db_path()
    logs = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    feed = feed_path_for(path)
    logs += [feed.with_name(feed.name + suffix) for suffix in ("-wal", "-shm")]
    running = {file for file in logs if file.exists()}  # before this command's own open makes them
    with ctx.open_store() as store:
        counts = store.pii_inventory()
        personal = [entry for entry in store.pii_files() if entry[1] not in logs or entry[1] in running]
        others = _kiosk_files(store)
    ctx.say("Personal data held by this kiosk (counts of stored values):")
    width = max(len(name) for name in counts)
    for name, count in counts.items():
        ctx.say(f"  {name:<{width}}  {count:>9,}")
    ctx.say("Files holding personal data (back them up, move them and delete them together):")
    for label, path, holds in personal:
        _say_file(ctx, label, path)
        ctx.say(f"      holds: {holds}")
    reports = _reports_with_names(store.path.parent / "reports")
    if reports:
        ctx.say(f"  {'reports':<18} {store.path.parent / 'reports'} ({len(reports)} file(s))")
        ctx.say("      holds: daily reports: guards' names, booking refs, masked codes, guards' notes")
    ctx.say("Other files of this kiosk (no personal data):")
    for label, path in others:
        _say_file(ctx, label, path)
    ctx.say("Never held: full NIKs, booking codes in plain text (keyed hashes only), camera frames, face images.")
    return EXIT_OK


def _say_file(ctx: Context, label: str, path: Path) -> None:
    try:
        size = f"{path.stat().st_size:,} bytes"
    except OSError:
        size = "absent"
    ctx.say(f"  {label:<18} {path} ({size})")


def _reports_with_names(folder: Path) -> list[Path]:
    """The daily reports (CSV and PDF, kiosk/ui/report_pdf.py) in the kiosk's reports folder."""
    try:
        return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".csv", ".pdf") and p.is_file())
    except OSError:
        return []


def _kiosk_files(store: KioskStore) -> list[tuple[str, Path]]:
    path = store.path
    return [
        ("code key", path.with_name(path.name + ".key")),
        ("audit head", store.anchor_path),
    ]


# --- db ------------------------------------------------------------------------------------------------


def cmd_db_status(ctx: Context) -> int:
    path = ctx.db_path()
    refuse_if_lost(path)
    if not path.exists():
        raise CliError(f"no kiosk database at {path}")
    revision, state = _schema_state(path)
    ctx.say(f"database:       {path}")
    ctx.say(f"schema version: {revision or 'none'} ({state}; this kiosk's: {migrate.head_revision()})")
    if state != "up to date":
        return EXIT_FAILED if state.startswith("newer") else EXIT_OK
    with ctx.open_store() as store:
        identity, rules = store.identity(), store.rules()
        ctx.say(f"kiosk:          {identity.kiosk_id}, gate {identity.gate}, office {identity.office_code}")
        ctx.say(f"office zone:    {rules.zone} ({rules.zone_abbreviation})")
        lost = (
            " (the booking file was lost: import the bookings again; until then unknown codes go to the officer)"
            if store.booking_data_lost()
            else ""
        )
        ctx.say(f"bookings:       {store.booking_count():,}{lost}")
        behind = store.booking_file_behind()
        if behind is not None and not lost:  # a lost file is said above; it is behind its anchor too
            ctx.say(
                f"bookings:       OLDER than this database last saw ({behind}): the booking file was rolled "
                "back or replaced; every code goes to the officer until the next sync / import"
            )
        ctx.say(f"guards:         {len(store.guards())}")
        ctx.say(f"not uploaded:   {store.outbox_size():,} event(s)")
        refused = store.refused_uploads()
        if refused:
            ctx.say(f"refused:        {refused:,} upload(s) refused for good, kept for IT (kiosk sync status)")
        ctx.say(f"audit head:     entry {store.audit_head().seq}")
        intact = store.integrity_ok()
        ctx.say(f"file integrity: {'ok' if intact else 'DAMAGED (restore from backup, or re-create and sync)'}")
    return EXIT_OK if intact else EXIT_FAILED


def cmd_db_upgrade(ctx: Context) -> int:
    path = ctx.db_path()
    refuse_if_lost(path)
    if not path.exists():
        raise CliError(f"no kiosk database at {path}")
    before, _state = _schema_state(path)
    with ctx.open_store(upgrade=True):
        pass
    after, _state = _schema_state(path)
    if before == after:
        ctx.say(f"{path}: already at schema version {after}")
    else:
        ctx.say(f"{path}: upgraded from schema version {before or 'none'} to {after}")
    return EXIT_OK


def _schema_state(path: Path) -> tuple[str | None, str]:
    """The schema version in the file, read without changing it, and how it compares with ours."""
    with path.open("rb") as handle:
        if handle.read(16) not in (b"SQLite format 3\x00", b""):
            raise CliError(f"{path} is not an SQLite database (is it the right file? is it damaged?)")
    try:
        revision, tables = _read_schema_version(path)
    except sqlite3.Error as exc:
        raise CliError(f"cannot read the schema version of {path}: {exc} (is the file damaged?)") from exc
    problem = migrate.refusal(revision, tables)
    if problem is not None and revision is not None:
        return revision, "newer than this kiosk knows: install the newer kiosk software"
    if problem is not None:
        raise CliError(f"{path}: {problem}")
    if revision == migrate.head_revision():
        return revision, "up to date"
    return revision, "needs `kiosk db upgrade`"


def _read_schema_version(path: Path) -> tuple[str | None, set[str]]:
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "alembic_version" not in tables:
            return None, tables
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        return (None if row is None else str(row[0])), tables
    finally:
        connection.close()


# --- config show ----------------------------------------------------------------------------------------


def cmd_config_show(ctx: Context) -> int:
    config = ctx.config
    path, source = kiosk_config.resolve_db_path(getattr(ctx.args, "db", None), config)
    ctx.say(f"configuration file: {config.source or 'none (defaults)'}")
    ctx.say(f"data folder:        {kiosk_config.data_dir()}")
    ctx.say(f"database:           {path} (from {source}){'' if path.exists() else ' - does not exist yet'}")
    ctx.say(f"demo database:      {kiosk_config.demo_db_path()}")
    ctx.say(f"retention:          {config.retention_days} days")
    ctx.say(f"camera:             index {config.camera.index}, {config.camera.width}x{config.camera.height}")
    online = config.online
    state = "on" if online.check else "off"
    ctx.say(f"online check:       {state}, budget {online.budget_ms} ms (asked only when enrolled)")
    ctx.say(f"log level:          {config.log_level}")
    declared = {"id": config.kiosk_id, "gate": config.gate, "office": config.office}
    ctx.say(f"[kiosk] in file:    {_rules_text({k: v for k, v in declared.items() if v}) or '(none)'}")
    ctx.say(f"[office] in file:   {_rules_text(config.rules) or '(none)'}")
    if path.exists():
        _show_stored_settings(ctx)
    return EXIT_OK


def _show_stored_settings(ctx: Context) -> None:
    try:
        with ctx.open_store() as store:
            identity, rules = store.identity(), store.rules()
    except (StoreError, CliError) as exc:
        ctx.say(f"in the database:    cannot read it: {exc}")
        return
    ctx.say(f"in the database:    kiosk {identity.kiosk_id}, gate {identity.gate}, office {identity.office_code}")
    ctx.say(f"                    {_rules_text(rules_to_json(rules))}")
    declared = ctx.config.identity(identity)
    differs = declared != identity or any(rules_to_json(rules).get(k) != v for k, v in ctx.config.rules.items())
    if differs:
        ctx.say("                    (differs from the file: run `kiosk setup` to apply the file)")


def _rules_text(rules: dict[str, Any] | Any) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(dict(rules).items()) if key != "office_code")


# --- errors and logging ---------------------------------------------------------------------------------


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f" {exc.filename}" if exc.filename else ""
        return f"cannot use{where}: {exc.strerror}"
    if isinstance(exc, SQLAlchemyError | sqlite3.Error):
        return f"database error: {getattr(exc, 'orig', None) or exc}"
    return str(exc) or type(exc).__name__


def _print_error(message: str) -> None:
    print(f"kiosk: error: {message}", file=sys.stderr)


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = f"kiosk: {record.levelname.lower()}: {record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def _start_logging(verbosity: int) -> logging.Handler:
    """Log to stderr for this run only (main() may run many times in one process, as in the tests)."""
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    handler.setLevel(level)
    logger = logging.getLogger("kiosk")
    logger.addHandler(handler)
    logger.setLevel(min(level, logging.WARNING))
    return handler


def _stop_logging(handler: logging.Handler) -> None:
    logger = logging.getLogger("kiosk")
    logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)


def quiet_stdout() -> None:
    """Point stdout at devnull when its reader left (`| head -1`): Python flushes it again at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
