"""What every command group of `kiosk` shares: the context a command runs in, exit codes, the error a
person can fix, the small argument types, and how times and decisions are read and printed."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from kiosk import config as kiosk_config
from kiosk.domain.decide import format_time
from kiosk.domain.explain import explain_both
from kiosk.domain.model import ZONE_OF_ABBREVIATION, Decision, OfficeRules, zone_named
from kiosk.store.db import KioskStore
from kiosk.store.opening import refuse_if_lost

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 70, 130

#: What `kiosk db status` and `kiosk config show` say for an office whose full name is not known yet.
NO_OFFICE_NAME = "(not known yet: the next sync brings it, or `kiosk setup --office-name`)"


class CliError(Exception):
    """A problem the person at the keyboard can fix; the message says how."""


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


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False


def print_error(message: str) -> None:
    print(f"kiosk: error: {message}", file=sys.stderr)


def quiet_stdout() -> None:
    """Point stdout at devnull when its reader left (`| head -1`): Python flushes it again at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


# --- building the parser ------------------------------------------------------------------------------


def db_option() -> argparse.ArgumentParser:
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


def command(
    commands: Any, name: str, run: Callable[[Context], int], help_text: str, *parents: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    """Add the command `name` (running `run`) to `commands`, with the global options after it too."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help_text,
        description=help_text[0].upper() + help_text[1:] + ".",
        parents=[_GLOBAL_OPTIONS, *parents],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(run=run)
    return parser


def needs_subcommand(ctx: Context) -> int:  # argparse requires one; kept for completeness
    raise CliError("choose an action; see --help")


def non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def date_argument(text: str) -> dt.date:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"no such day: {text!r}") from None


def office_code(text: str) -> str:
    code = text.strip().upper()
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9_-]{0,31}", code):
        raise CliError(f"not an office code: {text!r} (1 to 32 letters, digits, _ or -)")
    return code


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


def decision_lines(
    decision: Decision, *, guard_view: bool = True, offices: Mapping[str, str] | None = None
) -> list[str]:
    """The verdict, reason and both sentences (`offices`: the kiosk's office directory, so a booking for
    another office is named as on the screen); with `guard_view`, what the guard compares with the ID
    card (never on the applicant's screen)."""
    indonesian, english = explain_both(decision, offices)
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
