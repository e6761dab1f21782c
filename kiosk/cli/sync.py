"""`kiosk sync ...`: enrol this kiosk, sync now, show the sync state, try one code with the online check.

(Above the door in the layers, unlike kiosk/sync: `check` takes a code through the kiosk's door.)

kiosk sync enrol --db kiosk.db --server https://server --token TOKEN --gate G1
kiosk sync --db kiosk.db enrol ...       (--db goes before or after the command)
kiosk sync now --db kiosk.db [--until-done]
kiosk sync status --db kiosk.db          the sync state, and the uploads refused for good
kiosk sync check --db kiosk.db CODE      decide and record one code (online first, else local)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from kiosk import config as kiosk_config
from kiosk.cli.common import quiet_stdout
from kiosk.domain.clock import utc_now
from kiosk.door import Door, DoorSettings, Sighting, Source, decided_text
from kiosk.store.db import KioskStore, StoreError
from kiosk.sync import anchoring, outbox
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import SyncClient, SyncError, enrol

#: At most this many refused outbox rows are listed by `kiosk sync status` (then a count of the rest).
REFUSED_LISTED = 50


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `kiosk sync` command. Output piped into a reader that leaves early (`| head -1`) ends
    the command quietly (the Python docs' recipe for SIGPIPE), never with a traceback."""
    try:
        try:
            code = _main(argv)
        except SystemExit as exc:  # --help, usage errors: argparse has printed (maybe only into the buffer)
            code = 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 2
        sys.stdout.flush()  # inside the try: a reader gone is noticed here, not at exit
    except BrokenPipeError:
        quiet_stdout()
        return 1
    return code


MIN_MS, MAX_MS = kiosk_config.ONLINE_BUDGET_MS


def build_parser() -> argparse.ArgumentParser:
    """--db before or after the command (`kiosk sync --db X now`, `kiosk sync now --db X`): each command
    takes it too, with default=SUPPRESS so that it does not reset a value given before the command."""
    parser = argparse.ArgumentParser(prog="kiosk sync", description="the kiosk's link to the central server")
    parser.add_argument(
        "--db", type=Path, default=None, help="the kiosk database (default: $KIOSK_DB, then kiosk.toml, as `kiosk`)"
    )
    parser.add_argument("--config", default=None, help="the kiosk.toml to read (default: as `kiosk`)")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, default=argparse.SUPPRESS, help="the kiosk database")
    common.add_argument("--config", default=argparse.SUPPRESS, help="the kiosk.toml to read")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    enrol_cmd = commands.add_parser(
        "enrol", parents=[common], help="enrol with a one-time token from `kiosk server enrol`"
    )
    enrol_cmd.add_argument("--server", required=True, help="the server's base URL (https:// in production)")
    enrol_cmd.add_argument("--token", required=True)
    enrol_cmd.add_argument("--gate", required=True)
    enrol_cmd.add_argument("--label", default="")
    now_cmd = commands.add_parser("now", parents=[common], help="sync once (upload the outbox, then download the feed)")
    now_cmd.add_argument("--until-done", action="store_true", help="retry with backoff until a sync succeeds")
    now_cmd.add_argument("--max-attempts", type=int, default=20)
    commands.add_parser("status", parents=[common], help="show the sync state and the uploads refused for good")
    check = commands.add_parser("check", parents=[common], help="decide and record one code, asking the server first")
    check.add_argument("code")
    check.add_argument(
        "--timeout-ms",
        type=int,
        default=None,
        help=f"how long to wait for the server (default: [online] budget_ms of kiosk.toml; {MIN_MS}-{MAX_MS})",
    )
    return parser


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        config = kiosk_config.load_config(args.config)
        path, _where = kiosk_config.resolve_db_path(str(args.db) if args.db else None, config)
        budget_ms = config.online.budget_ms if getattr(args, "timeout_ms", None) is None else args.timeout_ms
        if not MIN_MS <= budget_ms <= MAX_MS:
            raise ValueError(f"--timeout-ms must be between {MIN_MS} and {MAX_MS}, not {budget_ms}")
        # only enrolment may make a new database: a status or sync in the wrong folder must not
        with KioskStore.open(path, create=args.command == "enrol") as store:
            if args.command == "enrol":
                enrolled = enrol(store, args.server, args.token, args.gate, args.label)
                print(f"enrolled as kiosk {enrolled.kiosk_id} of office {enrolled.office_code}; run `kiosk sync now`")
                return 0
            if args.command == "now":
                return _sync(store, args.until_done, args.max_attempts)
            if args.command == "check":
                # the online check, whatever [online] check says: this command is for trying it
                with Door(store, DoorSettings(online_check=True, budget_s=budget_ms / 1000)) as door:
                    recorded = door.present(Sighting(args.code, utc_now(), Source.CLI))
                decision = recorded.decision
                print(f"{decision.verdict} {decision.reason} persons={decision.persons} {decided_text(recorded)}")
                print(f"event {recorded.event_uuid}")
                return 0
            return _status(store)
    except (StoreError, SyncError, ValueError, kiosk_config.ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _sync(store: KioskStore, until_done: bool, max_attempts: int) -> int:
    backoff = Backoff()
    with SyncClient(store) as client:
        for attempt in range(1, max_attempts + 1):
            try:
                result = client.sync_once()
            except SyncError as exc:
                if not until_done or attempt == max_attempts:
                    raise
                delay = backoff.failure(exc.retry_after_s)
                print(f"attempt {attempt} failed ({exc}); again in {delay:.1f} s", file=sys.stderr)
                time.sleep(delay)
                continue
            line = f"uploaded {result.uploaded} event(s), {result.refused} refused"
            if result.server_offset_s is not None:
                line += (
                    f"; {result.pages} page(s): {result.bookings} booking(s), {result.tombstones} tombstone(s); "
                    f"clock offset {result.server_offset_s:+.3f} s"
                )
            print(line)
            if result.refused:
                print(f"{result.refused} event(s) refused for good, kept for IT: see `kiosk sync status`")
            if result.audit_alert:
                print(
                    f"kiosk: the server found this kiosk's audit chain altered: {result.audit_alert}\n"
                    "kiosk: keep this kiosk's files as evidence, run `kiosk audit verify` and tell the head of office",
                    file=sys.stderr,
                )
                return 1
            return 0
    return 1


def _status(store: KioskStore) -> int:
    """The sync state, then the refused uploads: event uuid, when it was recorded, when refused, why."""
    status = SyncClient(store).status()
    print(status.summary(utc_now()))
    for name in (
        "server_url",
        "kiosk_id",
        "office_code",
        "cursor",
        "data_as_of",
        "last_success_at",
        "server_offset_s",
        "outbox_pending",
        "outbox_refused",
        "last_error",
    ):
        print(f"  {name}: {getattr(status, name)}")
    print(f"  audit: {_anchoring(store)}")
    listed, total = outbox.refused_uploads(store, REFUSED_LISTED)
    if total:
        print(f"refused uploads: {total}, kept for the office's IT person, never sent again (newest first):")
        for item in listed:
            print(f"  {item.event_uuid}  recorded {item.recorded_at}  refused {item.refused_at}  {item.reason}")
        if total > len(listed):
            print(f"  ... and {total - len(listed)} more, refused earlier")
    return 0


def _anchoring(store: KioskStore) -> str:
    """How far the server has anchored this kiosk's audit chain (receipts whose signatures verify)."""
    head = store.audit.head()
    newest = next(iter(anchoring.checked_receipts(store).receipts), None)
    if newest is None:
        return f"head entry {head.seq}; no receipt from the server yet"
    waiting = max(head.seq - newest.seq, 0)
    return (
        f"head entry {head.seq}; anchored by the server up to entry {newest.seq} "
        f"(receipt of {newest.server_time[:16]}Z), {waiting} not yet"
    )


if __name__ == "__main__":
    sys.exit(main())
