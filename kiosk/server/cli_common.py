"""What the `kiosk server` commands share: the clock, the command's engine, plain tables."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from kiosk.server import keys
from kiosk.server.db import init_schema, make_engine, writing


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def engine_of(args: argparse.Namespace) -> Any:
    """The command's engine (disposed by main() when the command ends)."""
    if getattr(args, "engine", None) is None:
        args.engine = make_engine(args.db)
        init_schema(args.engine)
        with writing(args.engine) as connection:
            keys.ensure_key(connection, now())
    return args.engine


def print_table(rows: list[dict[str, str]]) -> None:
    if not rows:
        print("(none)")
        return
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns).rstrip())
    for row in rows:
        print("  ".join(str(row[c]).ljust(widths[c]) for c in columns).rstrip())
