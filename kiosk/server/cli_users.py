"""`kiosk server user add|disable|reset|list`: the office dashboard's accounts (kiosk/server/accounts.py).

    kiosk server user add NAME --role office_admin --office JKTSEL     prints a generated password once
    kiosk server user add NAME --role national_auditor --password-stdin
    kiosk server user disable NAME                                      ends its sessions too
    kiosk server user reset NAME [--password-stdin]                     new password, lock cleared
    kiosk server user list

Every change is written to the server's audit log (kiosk/server/admin_audit.py) as done by
"cli:<the OS user>". Needs no web stack (no Jinja2): the kiosk's frozen bundle never carries it anyway.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kiosk.server import accounts, admin_audit
from kiosk.server.cli_common import engine_of, now, print_table
from kiosk.server.db import reading, writing


def add_user_commands(commands: Any) -> None:
    user = commands.add_parser("user", help="accounts of the office dashboard (/web): add, disable, reset, list")
    actions = user.add_subparsers(metavar="ACTION")

    add = actions.add_parser("add", help="add an account (a generated password is printed once)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=accounts.ROLES)
    add.add_argument("--office", default=None, help="the office of an office_admin or office_viewer")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(handler=_add)

    disable = actions.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("username")
    disable.set_defaults(handler=_disable)

    reset = actions.add_parser("reset", help="a new password (printed once, or --password-stdin); clears the lockout")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    reset.set_defaults(handler=_reset)

    listing = actions.add_parser("list", help="list the accounts")
    listing.set_defaults(handler=_list)


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password, and whether it was generated (then printed once)."""
    if args.password_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise ValueError("no password on standard input")
        return line, False
    return accounts.generated_password(), True


def _add(args: argparse.Namespace) -> int:
    password, generated = _password(args)
    with writing(engine_of(args)) as connection:
        user = accounts.add_user(connection, args.username, args.role, args.office, password, now())
        admin_audit.record(
            connection, now(), admin_audit.cli_actor(), "user.add", user.office_code, user.username, user.role
        )
    print(f"user {user.username} added: {user.role}{' of office ' + user.office_code if user.office_code else ''}")
    if generated:
        print(f"password (shown once): {password}")
    return 0


def _disable(args: argparse.Namespace) -> int:
    with writing(engine_of(args)) as connection:
        user = accounts.disable(connection, args.username)
        admin_audit.record(connection, now(), admin_audit.cli_actor(), "user.disable", user.office_code, user.username)
    print(f"user {user.username} disabled; its sessions ended")
    return 0


def _reset(args: argparse.Namespace) -> int:
    password, generated = _password(args)
    with writing(engine_of(args)) as connection:
        user = accounts.reset(connection, args.username, password)
        admin_audit.record(connection, now(), admin_audit.cli_actor(), "user.reset", user.office_code, user.username)
    print(f"user {user.username}: new password set, lockout cleared, sessions ended")
    if generated:
        print(f"password (shown once): {password}")
    return 0


def _list(args: argparse.Namespace) -> int:
    with reading(engine_of(args)) as connection:
        rows = accounts.users(connection)
    print_table(
        [
            {
                "user": row.username,
                "role": row.role,
                "office": row.office_code or "(all)",
                "active": "yes" if row.active else "no",
                "locked_until": row.locked_until or "",
                "last_login": row.last_login_at or "never",
            }
            for row in rows
        ]
    )
    return 0
