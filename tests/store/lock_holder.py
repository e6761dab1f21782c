"""Another process on a kiosk database, for the cross-process lock tests (run as a script, not collected).

    python tests/store/lock_holder.py --db PATH writer|write|scan

Opens a KioskStore on PATH, then holds, until a line (or end of file) arrives on stdin:
    writer  the file's writer turn only (kiosk/store/locks.py), no SQLite transaction;
    write   a write transaction (KioskStore.writing(), an insert in it), which takes the writer turn;
    scan    a scan in progress (KioskStore.scanning()).
It prints "holding" once it holds, and, once it let go, "released <time.monotonic()>" read just
before letting go (the monotonic clock is the machine's, so the test compares it with its own: what
waited for it cannot have gone on before that time). Flushed lines.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root, when run as a script

from kiosk.store.db import KioskStore


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("mode", choices=("writer", "write", "scan"))
    args = parser.parse_args(argv)
    with KioskStore.open(args.db, create=False) as store:
        with holding(store, args.mode):
            print("holding", flush=True)
            sys.stdin.readline()
            letting_go = time.monotonic()
        print(f"released {letting_go!r}", flush=True)
    return 0


@contextmanager
def holding(store: KioskStore, mode: str) -> Iterator[None]:
    if mode == "scan":
        with store.scanning():
            yield
    elif mode == "write":
        with store.writing() as connection:
            connection.exec_driver_sql("INSERT OR REPLACE INTO settings (key, value) VALUES ('test.holder', '1')")
            yield
    else:
        with store._locks.writer(30.0):
            yield


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
