"""`kiosk check CODE`: one code through the same door as the running kiosk's, or a what-if (--at,
--dry-run) that is decided locally and never recorded."""

from __future__ import annotations

import argparse
from typing import Any

from kiosk.cli.common import EXIT_OK, Context, command, decision_lines, local_text, parse_at
from kiosk.domain.clock import utc_now
from kiosk.door import Door, DoorSettings, Sighting, Source, decided_text


def add_commands(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = command(commands, "check", cmd_check, "check one booking code as if shown at this gate", db)
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


def cmd_check(ctx: Context) -> int:
    """One code through the same door as the running kiosk's (the online check across gates when the
    kiosk is enrolled and `[online] check` is on); --at and --dry-run decide locally, record nothing."""
    args = ctx.args
    online = ctx.config.online
    with ctx.open_store() as store, Door(store, DoorSettings(online.check, online.budget_ms / 1000)) as door:
        rules = store.settings.rules()
        offices = store.settings.office_names()
        now = utc_now()
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
    for line in decision_lines(decision, offices=offices):
        ctx.say(line)
    ctx.say(f"time:    {local_text(at, rules)}; {note}")
    return EXIT_OK
