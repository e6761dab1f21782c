"""`kiosk sync ...`: enrol this kiosk, sync now, show the sync state, try one code with the online check.

kiosk sync enrol --db kiosk.db --server https://server --token TOKEN --gate G1
kiosk sync now --db kiosk.db [--until-done]
kiosk sync status --db kiosk.db
kiosk sync check --db kiosk.db CODE      decide and record one code (online first, else local)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from kiosk.store.db import KioskStore, StoreError
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import SyncClient, SyncError, enrol, utc_now
from kiosk.sync.online import OnlineGate


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk sync", description="the kiosk's link to the central server")
    parser.add_argument("--db", type=Path, default=Path("kiosk.db"), help="the kiosk database")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    enrol_cmd = commands.add_parser("enrol", help="enrol with a one-time token from `kiosk server enrol`")
    enrol_cmd.add_argument("--server", required=True, help="the server's base URL (https:// in production)")
    enrol_cmd.add_argument("--token", required=True)
    enrol_cmd.add_argument("--gate", required=True)
    enrol_cmd.add_argument("--label", default="")
    now_cmd = commands.add_parser("now", help="sync once (upload the outbox, then download the feed)")
    now_cmd.add_argument("--until-done", action="store_true", help="retry with backoff until a sync succeeds")
    now_cmd.add_argument("--max-attempts", type=int, default=20)
    commands.add_parser("status", help="show the sync state")
    check = commands.add_parser("check", help="decide and record one code, asking the server first")
    check.add_argument("code")
    check.add_argument("--timeout-ms", type=int, default=300)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        with KioskStore.open(args.db) as store:
            if args.command == "enrol":
                enrolled = enrol(store, args.server, args.token, args.gate, args.label)
                print(f"enrolled as kiosk {enrolled.kiosk_id} of office {enrolled.office_code}; run `kiosk sync now`")
                return 0
            if args.command == "now":
                return _sync(store, args.until_done, args.max_attempts)
            if args.command == "check":
                gate = OnlineGate(store, timeout_s=args.timeout_ms / 1000)
                try:
                    result = gate.present(args.code, utc_now(), source="manual")
                finally:
                    gate.close()
                decision = result.recorded.decision
                how = "server" if result.online else f"local ({result.fallback or 'online check off'})"
                print(f"{decision.verdict} {decision.reason} persons={decision.persons} decided by {how}")
                print(f"event {result.recorded.event_uuid}")
                return 0
            print(SyncClient(store).status().summary(utc_now()))
            status = SyncClient(store).status()
            for name in (
                "server_url",
                "kiosk_id",
                "office_code",
                "cursor",
                "data_as_of",
                "last_success_at",
                "server_offset_s",
                "outbox_pending",
                "last_error",
            ):
                print(f"  {name}: {getattr(status, name)}")
            return 0
    except (StoreError, SyncError, ValueError) as exc:
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
            print(
                f"uploaded {result.uploaded} event(s), {result.refused} refused; "
                f"{result.pages} page(s): {result.bookings} booking(s), {result.tombstones} tombstone(s); "
                f"clock offset {result.server_offset_s:+.3f} s"
                if result.server_offset_s is not None
                else f"uploaded {result.uploaded} event(s)"
            )
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
