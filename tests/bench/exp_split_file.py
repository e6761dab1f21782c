"""Experiment (not the kiosk's code): would a separate SQLite file for the booking feed take the sync out
of a recorded scan's way? Plain sqlite3, shaped like the kiosk's two paths, so the storage question is
measured alone:

- a scan (a thread of this process), every 20 ms: look a booking up, read its earlier events, insert
  event + audit row + outbox row, commit with synchronous=FULL (an fsync of the WAL);
- the sync (a child process at nice +19): transactions of 100 booking upserts with synchronous=NORMAL,
  a PASSIVE checkpoint after each; in "single" an audit row in the same transaction.

Writers queue on a flock per database file, as kiosk/store/locks.py does. Modes:

    single       bookings, events and audit in one file (the kiosk today)
    split        bookings in their own file; the scan reads them in a read transaction, then writes
                 only the events file
    split-audit  split, and the sync also appends one audit row per transaction to the events file

    .venv/bin/python -m tests.bench.exp_split_file single split split-audit

Prints p50/p95 of a scan idle (before and after) and during the sync, and the p95 ratio. Not collected
by pytest (no test_ prefix). Figures: docs/sync-protocol.md §11.
"""

from __future__ import annotations

import fcntl
import hashlib
import multiprocessing
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.synchronize import Event

BOOKINGS = 100_000
ROWS_PER_TRANSACTION = 100
SCAN_EVERY_S = 0.02


def connect(path: str, synchronous: str = "FULL") -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA synchronous={synchronous}")
    connection.execute("PRAGMA busy_timeout=5000")
    return connection


@contextmanager
def writer_lock(path: str) -> Iterator[None]:
    fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def code_hash(n: int) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


def booking(n: int, version: int) -> tuple[object, ...]:
    return (code_hash(n), f"R{n}", f"Name {n} " * 2, "1234", "DPS", "2026-11-29", "10.00", 1, version, "s" * 64)


def create(folder: str, split: bool) -> tuple[str, str]:
    events_path = os.path.join(folder, "kiosk.db")
    bookings_path = os.path.join(folder, "bookings.db") if split else events_path
    bookings = connect(bookings_path)
    bookings.execute(
        "CREATE TABLE bookings(code_hash TEXT PRIMARY KEY, ref TEXT, name TEXT, nik TEXT, office TEXT, day TEXT,"
        " slot TEXT, party INT, version INT, seal TEXT)"
    )
    events = connect(events_path)
    events.execute("CREATE TABLE events(id INTEGER PRIMARY KEY, uuid TEXT UNIQUE, code_hash TEXT, at TEXT, body TEXT)")
    events.execute("CREATE INDEX events_code ON events(code_hash)")
    events.execute("CREATE TABLE audit(seq INTEGER PRIMARY KEY, kind TEXT, digest TEXT)")
    events.execute("CREATE TABLE outbox(uuid TEXT PRIMARY KEY)")
    bookings.execute("BEGIN")
    bookings.executemany("INSERT INTO bookings VALUES(?,?,?,?,?,?,?,?,?,?)", (booking(n, 1) for n in range(BOOKINGS)))
    bookings.execute("COMMIT")
    for connection in (bookings, events):
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
    return bookings_path, events_path


def sync(bookings_path: str, events_path: str, mode: str, go: Event, stop: Event) -> None:
    """The feed, 1,000 changes at a time, until stopped."""
    os.nice(19)
    bookings = connect(bookings_path, "NORMAL")
    events = connect(events_path, "NORMAL") if mode != "single" else bookings
    rng = random.Random(1)
    version = 2
    go.wait()
    while not stop.is_set():
        for _ in range(1000 // ROWS_PER_TRANSACTION):
            changed = [booking(n, version) for n in rng.sample(range(BOOKINGS), ROWS_PER_TRANSACTION)]
            with writer_lock(bookings_path):
                bookings.execute("BEGIN IMMEDIATE")
                bookings.executemany("INSERT OR REPLACE INTO bookings VALUES(?,?,?,?,?,?,?,?,?,?)", changed)
                if mode == "single":
                    bookings.execute("INSERT INTO audit(kind, digest) VALUES('feed', 'd')")
                bookings.execute("COMMIT")
            if mode == "split-audit":
                with writer_lock(events_path):
                    events.execute("BEGIN IMMEDIATE")
                    events.execute("INSERT INTO audit(kind, digest) VALUES('feed', 'd')")
                    events.execute("COMMIT")
                events.execute("PRAGMA wal_checkpoint(PASSIVE)")
            bookings.execute("PRAGMA wal_checkpoint(PASSIVE)")
        version += 1
        time.sleep(0.05)


class Gate:
    def __init__(self, bookings_path: str, events_path: str, split: bool) -> None:
        self.split = split
        self.events_path = events_path
        self.events = connect(events_path)
        self.bookings = connect(bookings_path) if split else self.events
        self.rng = random.Random(2)
        self.count = 0

    def scan(self) -> float:
        """One recorded scan; its time in ms."""
        code = code_hash(self.rng.randrange(BOOKINGS))
        self.count += 1
        started = time.perf_counter()
        if self.split:
            self.bookings.execute("BEGIN")
            self.bookings.execute("SELECT * FROM bookings WHERE code_hash = ?", (code,)).fetchone()
            self.bookings.execute("COMMIT")
        with writer_lock(self.events_path):
            self.events.execute("BEGIN IMMEDIATE")
            if not self.split:
                self.events.execute("SELECT * FROM bookings WHERE code_hash = ?", (code,)).fetchone()
            self.events.execute("SELECT * FROM events WHERE code_hash = ?", (code,)).fetchall()
            uuid = f"{os.getpid()}-{self.count}-{time.time_ns()}"
            self.events.execute(
                "INSERT INTO events(uuid, code_hash, at, body) VALUES(?,?,?,?)", (uuid, code, "now", "b" * 200)
            )
            self.events.execute("INSERT INTO audit(kind, digest) VALUES('scan', ?)", (code,))
            self.events.execute("INSERT INTO outbox VALUES(?)", (uuid,))
            self.events.execute("COMMIT")
        return (time.perf_counter() - started) * 1000

    def for_seconds(self, seconds: float) -> list[float]:
        times: list[float] = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            times.append(self.scan())
            time.sleep(SCAN_EVERY_S)
        return times


def p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95)]


def run(mode: str) -> None:
    split = mode != "single"
    with tempfile.TemporaryDirectory(prefix="kiosk-exp-split-") as folder:
        bookings_path, events_path = create(folder, split)
        gate = Gate(bookings_path, events_path, split)
        context = multiprocessing.get_context("spawn")
        go, stop = context.Event(), context.Event()
        child = context.Process(target=sync, args=(bookings_path, events_path, mode, go, stop))
        child.start()
        time.sleep(1)
        idle = gate.for_seconds(8)
        go.set()
        during = gate.for_seconds(16)
        stop.set()
        child.join()
        time.sleep(0.5)
        idle += gate.for_seconds(8)
        print(
            f"{mode:12s} idle p50 {statistics.median(idle):.2f} p95 {p95(idle):.2f} ms | during p50 "
            f"{statistics.median(during):.2f} p95 {p95(during):.2f} ms | "
            f"p95 during/idle {p95(during) / p95(idle):.2f}x "
            f"({len(idle)} / {len(during)} scans)",
            flush=True,
        )


def main(argv: list[str]) -> int:
    modes = argv or ["single", "split", "split-audit"]
    unknown = set(modes) - {"single", "split", "split-audit"}
    if unknown:
        print(f"unknown mode(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    for mode in modes:
        run(mode)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
