"""`kiosk`: the command line. One module per command group, each with its parser and its commands:

- entry.py: the top parser, the global options, error printing, logging, and the delegation of
  `kiosk server ...` (kiosk/server/cli.py) and `kiosk sync ...` (sync.py) to their own parsers;
- common.py: what the groups share (Context, CliError, exit codes, argument types, times, decisions);
- run.py (run, screenshots), demo.py (demo, demo-data), setup.py, imports.py (import), check.py,
  audit.py (audit verify), guard.py, purge.py (purge, pii-inventory), db.py, config.py (config show),
  relay.py (relay-simulator: the simulated relay board, faults typed on stdin), sync.py (the `kiosk sync`
  group).

The console script and `python -m kiosk` call `kiosk.cli:main` (kiosk/cli/entry.py: the top parser,
global options, errors, logging).
"""

from kiosk.cli.common import EXIT_FAILED, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CliError, Context
from kiosk.cli.entry import build_parser, main

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "CliError",
    "Context",
    "build_parser",
    "main",
]
