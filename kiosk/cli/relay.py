"""`kiosk relay-simulator`: the simulated LCUS relay board (kiosk/relay/simulator.py) from the kiosk's own
program, so that a bundle install (no Python on the PC) can try the kiosk and `kiosk doctor` against a
board that is not wired yet. The same program as `python -m kiosk.relay.simulator`: it prints the
`[relay]` section for kiosk.toml, logs every switch, and takes fault commands on standard input
(kiosk/relay/console.py)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from kiosk.cli.common import CliError, Context, command
from kiosk.relay import console


def add_commands(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = command(
        commands, "relay-simulator", cmd_relay_simulator, "run a simulated USB relay board, faults on command", db
    )  # --db is every command's (tests/cli/test_entry.py); the simulator has no use for it
    console.add_arguments(parser)
    parser.description = (
        "Run a simulated LCUS USB relay board on a pseudo-terminal until Ctrl-C: it prints the [relay]\n"
        "section for kiosk.toml, logs every switch of its contacts, and takes the faults of a real board\n"
        "(unplugged, no answer, a jammed link, a stuck contact) as commands typed on standard input."
    )


def cmd_relay_simulator(ctx: Context) -> int:
    args = ctx.args
    if not hasattr(os, "openpty"):
        raise CliError("the relay simulator needs a pseudo-terminal (Linux); on Windows use a real board")
    if any(channel > args.channels for channel in args.stuck):
        raise CliError(f"--stuck: the board has channels 1 to {args.channels}")
    return console.run(args)
