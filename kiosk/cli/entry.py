"""`kiosk`: the command line for setting up, feeding, checking and inspecting a kiosk.

Every command says what went wrong in one line on stderr (`kiosk: error: ...`) and exits non-zero;
an expected problem (a missing or damaged database, a wrong PIN, a bad argument) never shows a Python
traceback. Results go to stdout, diagnostics to stderr through logging (-v for more).

This module is the top: the parser with the global options, the error printing and logging, and the
delegation of `kiosk server ...` and `kiosk sync ...` to their own parsers. Each command group, its
parser and its commands side by side, is a module of its own beside this one; they only wire
arguments to the store, the importer and the demo: the rules live there.
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

import kiosk
from kiosk import config as kiosk_config
from kiosk.cli import audit, check, db, demo, doctor, guard, imports, purge, relay, report, run, setup
from kiosk.cli import config as config_show
from kiosk.cli.common import (
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    Context,
    db_option,
    print_error,
    quiet_stdout,
)
from kiosk.store.db import StoreError
from kiosk.store.guards import GuardError
from kiosk.store.importer import ImportFileError

log = logging.getLogger("kiosk.cli")

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
DELEGATED = {"server": "kiosk.server.cli", "sync": "kiosk.cli.sync"}
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
    if argv[:1] == ["--self-test"]:  # the frozen build's self-test: the doctor's checks
        argv = ["doctor", *argv[1:]]
    group = _delegated_group(argv)
    if group is not None:
        at = argv.index(group)
        return _delegate(group, argv[:at] + argv[at + 1 :])
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors: argparse has already printed
        return EXIT_OK if exc.code is None else exc.code if isinstance(exc.code, int) else EXIT_USAGE
    verbosity = args.verbose + getattr(args, "verbose_after", 0)
    handler = _start_logging(verbosity)
    if verbosity:  # OpenCV's own warnings too (kiosk/vision/capture_cv2.py silences them otherwise)
        os.environ.setdefault("OPENCV_LOG_LEVEL", "WARNING")
    try:
        ctx = Context(args, kiosk_config.load_config(args.config))
        if verbosity == 0:
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
        print_error(_describe(exc))
        return EXIT_FAILED
    except Exception as exc:  # a bug: say so plainly; the traceback with --verbose
        log.debug("internal error", exc_info=True)
        print_error(f"internal error ({type(exc).__name__}: {exc}); run again with -v to see where, and report it")
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
  kiosk report --date 2026-12-01              a past day's daily report, PDF or CSV (--format csv)
  kiosk doctor                                is this PC ready? (the frozen build: kiosk --self-test)
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
    db_after = db_option()
    for group in (demo, setup, imports, check, audit, guard, report, purge, db, config_show, run, doctor, relay):
        group.add_commands(commands, db_after)
    return parser


# --- errors and logging ---------------------------------------------------------------------------------


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f" {exc.filename}" if exc.filename else ""
        return f"cannot use{where}: {exc.strerror}"
    if isinstance(exc, SQLAlchemyError | sqlite3.Error):
        return f"database error: {getattr(exc, 'orig', None) or exc}"
    return str(exc) or type(exc).__name__


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
