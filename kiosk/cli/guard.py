"""`kiosk guard ...`: the guards and their personal PINs (add, list, disable, enable, verify), audited."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from collections.abc import Callable
from typing import Any

from kiosk.cli.common import EXIT_OK, CliError, Context, command, needs_subcommand, stdin_is_terminal
from kiosk.domain.clock import utc_now


def add_commands(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = command(commands, "guard", needs_subcommand, "guards and their personal PINs", db)
    sub = parser.add_subparsers(title="guard commands", metavar="ACTION", required=True)
    pin_help = "read the PIN from standard input (the default when it is not a terminal)"
    add = command(sub, "add", cmd_guard_add, "add a guard; the PIN is asked twice", db)
    add.add_argument("name", metavar="NAME")
    add.add_argument("--pin-stdin", action="store_true", help=pin_help)
    command(sub, "list", cmd_guard_list, "list the guards", db)
    for name, active in (("disable", False), ("enable", True)):
        action = command(sub, name, _set_guard_active(active), f"{name} a guard (audited)", db)
        action.add_argument("name", metavar="NAME")
    verify = command(sub, "verify", cmd_guard_verify, "check a guard's PIN (counts towards the lockout)", db)
    verify.add_argument("name", metavar="NAME")
    verify.add_argument("--pin-stdin", action="store_true", help=pin_help)


def cmd_guard_add(ctx: Context) -> int:
    args = ctx.args
    with ctx.open_store() as store:
        pin = _read_pin(args.pin_stdin, f"new PIN for {args.name}: ", confirm=True)
        guard = store.guards.add(args.name, pin, utc_now())
    ctx.say(f"added guard {guard.name} (id {guard.id})")
    return EXIT_OK


def cmd_guard_list(ctx: Context) -> int:
    with ctx.open_store() as store:
        guards = store.guards.all()
    if not guards:
        ctx.say("no guards yet; add one with: kiosk guard add NAME")
        return EXIT_OK
    width = max(len(guard.name) for guard in guards)
    ctx.say(f"{'NAME':<{width}}  {'STATE':<8}  {'FAILED PINS':<11}  ADDED")
    for guard in guards:
        state = "active" if guard.active else "disabled"
        if guard.locked_until and dt.datetime.fromisoformat(guard.locked_until) > utc_now():
            state = "locked"
        ctx.say(f"{guard.name:<{width}}  {state:<8}  {guard.failed_attempts:<11}  {guard.created_at[:10]}")
    return EXIT_OK


def _set_guard_active(active: bool) -> Callable[[Context], int]:
    def run(ctx: Context) -> int:
        with ctx.open_store() as store:
            guard = store.guards.set_active(ctx.args.name, active, utc_now())
        ctx.say(f"guard {guard.name} is now {'enabled' if guard.active else 'disabled'}")
        return EXIT_OK

    return run


def cmd_guard_verify(ctx: Context) -> int:
    args = ctx.args
    with ctx.open_store() as store:
        pin = _read_pin(args.pin_stdin, f"PIN for {args.name}: ", confirm=False)
        guard = store.guards.authenticate(args.name, pin, utc_now(), purpose="verify")
    ctx.say(f"PIN OK for {guard.name}")
    return EXIT_OK


def _read_pin(from_stdin: bool, prompt: str, *, confirm: bool) -> str:
    """From the terminal without echo (asked twice for a new PIN), or from standard input: one line,
    or two that must match."""
    if from_stdin or not stdin_is_terminal():
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
