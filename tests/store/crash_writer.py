"""A kiosk writer in its own process, for the crash and concurrency tests (run as a script, not collected).

    python tests/store/crash_writer.py --db PATH loop --codes CODE [CODE ...]
        Record scans for ever (cycling through the codes), each with a fresh event UUID, and print the
        UUID (flushed) only after store.decisions.record() has returned: every printed UUID is a promise that the
        event is on disk. The parent kills this process with SIGKILL at a random moment.

    python tests/store/crash_writer.py --db PATH same --code CODE --count N --go FILE
        Wait until FILE exists, then record CODE N times as fast as possible; print one JSON line per
        scan: {"verdict": ..., "reason": ..., "persons": ...}.

Both print "ready" once the store is open. The scan time is a fixed moment on the bookings' day (given
by --now), so the decisions do not depend on the machine's clock.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root, when run as a script

from kiosk.domain.decide import Presentation
from kiosk.domain.payload import parse_payload
from kiosk.store.db import KioskStore


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--now", type=dt.datetime.fromisoformat, required=True)
    modes = parser.add_subparsers(dest="mode", required=True)
    loop = modes.add_parser("loop")
    loop.add_argument("--codes", nargs="+", required=True)
    same = modes.add_parser("same")
    same.add_argument("--code", required=True)
    same.add_argument("--count", type=int, required=True)
    same.add_argument("--go", type=Path, required=True)
    args = parser.parse_args(argv)

    store = KioskStore.open(args.db, create=False)
    print("ready", flush=True)
    if args.mode == "loop":
        for step, code in enumerate(itertools.cycle(args.codes)):
            event_uuid = str(uuid.uuid4())
            now = args.now + dt.timedelta(milliseconds=step)
            store.decisions.record(Presentation(parse_payload(code)), now, source="crash-test", event_uuid=event_uuid)
            print(event_uuid, flush=True)
    while not args.go.exists():
        time.sleep(0.001)
    for _ in range(args.count):
        decision = store.decisions.record(Presentation(parse_payload(args.code)), args.now, source="race-test").decision
        line = {"verdict": decision.verdict.value, "reason": decision.reason.value, "persons": decision.persons}
        print(json.dumps(line), flush=True)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
