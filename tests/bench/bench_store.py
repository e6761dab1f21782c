"""Benchmark the store on a big office: how long one scan takes with a million bookings on file.

    .venv/bin/python tests/bench/bench_store.py [--bookings 1000000] [--lookups 20000] [--records 2000]

Builds a kiosk database with N bookings (hashed and sealed by the store's own code, bookings.to_row,
rows built in worker processes and inserted in big batches in one transaction), then times, per scan:

  * lookup + decide through the facade (KioskStore.decide_only: one read transaction per scan, the
    stored settings checked, booking and entries looked up, decide()) - the kiosk's per-scan read path;
  * lookup + decide on one open connection (recorder.lookup + decide(), no facade) - the floor;
  * lookup + decide + durable record (KioskStore.record: BEGIN IMMEDIATE, event + outbox + audit,
    COMMIT with synchronous=FULL, anchor file) - what happens before the gate may open.

Scans mix codes for today (70%), codes for other days (10%) and unknown codes (20%). Target: lookup +
decide p99 <= 1 ms. Not collected by pytest (the file name does not start with test_).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import gc
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root, when run as a script

import sqlalchemy
from sqlalchemy import insert

from kiosk.domain.decide import Presentation, decide
from kiosk.domain.model import Booking, Category, Circumstances, OfficeRules, PartyAdmission, Status
from kiosk.domain.payload import parse_payload
from kiosk.store import audit
from kiosk.store.bookings import IncomingBooking, to_row
from kiosk.store.codes import key_path_for, load_or_create_key
from kiosk.store.db import KioskStore
from kiosk.store.recorder import lookup
from kiosk.store.schema import BookingRow
from kiosk.store.settings import Identity
from kiosk.store.times import to_text

OFFICE = "KANIM-JKTSEL"
WIB = ZoneInfo("Asia/Jakarta")
DAY = dt.date(2026, 12, 7)
NOW = dt.datetime(2026, 12, 7, 10, 15, tzinfo=WIB)
DAYS = 7  # bookings spread over the week around DAY
CHUNK = 50_000
TARGET_P99_MS = 1.0
_CIRCUMSTANCES = Circumstances(now=NOW)
STATUSES = (Status.ACTIVE,) * 17 + (Status.CANCELLED, Status.RESCHEDULED, Status.UNPAID)
CATEGORIES = (Category.REGULAR,) * 18 + (Category.PRIORITY_WALKIN, Category.LOST_PASSPORT_WALKIN)


def known_code(number: int) -> str:
    return f"MP{number:09d}KQ"


def unknown_code(number: int) -> str:
    return f"XZ{number:09d}QK"


def booking_for(number: int) -> IncomingBooking:
    """Booking `number`: deterministic, so the scan phase knows which codes exist and for which day."""
    hour = 8 + number % 8
    return IncomingBooking(
        known_code(number),
        Booking(
            booking_ref=f"B-{number:010d}",
            office_code=OFFICE,
            service_date=DAY + dt.timedelta(days=number % DAYS - DAYS // 2),
            slot_start=dt.time(hour, 0),
            slot_end=dt.time(hour, 59),
            status=STATUSES[number % len(STATUSES)],
            party_size=1 + number % 5,
            category=CATEGORIES[number % len(CATEGORIES)],
            display_name=f"Pemohon Nomor {number}",
            nik_last4=f"{number % 10000:04d}",
        ),
        "2026-12-01T00:00:00+00:00",
    )


def build_rows(key_path: str, start: int, stop: int) -> list[dict[str, Any]]:
    """In a worker process: hash and seal bookings start..stop-1 with the store's own code."""
    hasher = load_or_create_key(Path(key_path), create=False)
    return [to_row(hasher, booking_for(number)) for number in range(start, stop)]


def load(store: KioskStore, bookings: int) -> float:
    """Insert `bookings` rows in one transaction, rows built by a process pool while the last batch goes
    in. Returns the seconds taken."""
    started = time.perf_counter()
    key_path = str(key_path_for(store.path))
    ranges = [(start, min(start + CHUNK, bookings)) for start in range(0, bookings, CHUNK)]
    workers = max(1, (os.cpu_count() or 1))
    with concurrent.futures.ProcessPoolExecutor(workers) as pool, store.writing() as connection:
        connection.exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MiB while the indexes fill
        futures = [pool.submit(build_rows, key_path, start, stop) for start, stop in ranges]
        for future in futures:
            connection.execute(insert(BookingRow), future.result())
        digest = audit.canonical_digest({"source": "benchmark", "applied": bookings})
        audit.append(connection, to_text(NOW - dt.timedelta(hours=3)), "import", f"bookings:{bookings}", digest)
        connection.exec_driver_sql("PRAGMA cache_size = -2000")
    return time.perf_counter() - started


def scan_mix(bookings: int, count: int, rng: random.Random) -> list[Presentation]:
    """Codes as they come to the gate: 70% today's bookings, 10% other days', 20% unknown."""
    today = [n for n in range(min(bookings, 200_000)) if n % DAYS == DAYS // 2]
    other = [n for n in range(min(bookings, 200_000)) if n % DAYS != DAYS // 2]
    codes = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.7 and today:
            codes.append(known_code(rng.choice(today)))
        elif roll < 0.8 and other:
            codes.append(known_code(rng.choice(other)))
        else:
            codes.append(unknown_code(rng.randrange(10**9)))
    return [Presentation(parse_payload(code)) for code in codes]


def timed(presentations: list[Presentation], step: Callable[[Presentation], Any]) -> tuple[list[float], Counter[str]]:
    """Milliseconds per call, and how the decisions came out."""
    durations, outcomes = [], Counter[str]()
    for presentation in presentations:
        started = time.perf_counter_ns()
        result = step(presentation)
        durations.append((time.perf_counter_ns() - started) / 1e6)
        decision = getattr(result, "decision", result)
        outcomes[f"{decision.verdict.value}/{decision.reason.value}"] += 1
    return durations, outcomes


def calibrated_spin(milliseconds: float) -> Callable[[Presentation], Any]:
    """A pure-Python loop as long as `milliseconds`: no database, no I/O. Its tail shows how much of the
    measured tail is the machine (other processes on the same cores) rather than the store."""
    rounds = 1000
    while True:
        started = time.perf_counter()
        _spin(rounds)
        elapsed_ms = (time.perf_counter() - started) * 1e3
        if elapsed_ms > 5:
            break
        rounds *= 2
    rounds = max(1, int(rounds * milliseconds / elapsed_ms))
    idle = decide(Presentation(parse_payload("")), None, (), OfficeRules(office_code=OFFICE), _CIRCUMSTANCES)

    def step(_presentation: Presentation) -> Any:
        _spin(rounds)
        return idle

    return step


def _spin(rounds: int) -> int:
    total = 0
    for number in range(rounds):
        total += number
    return total


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def machine(start_load: str) -> list[tuple[str, str]]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return [
        ("cores", str(os.cpu_count())),
        ("cpu", cpu),
        ("os", platform.platform()),
        ("python", platform.python_version()),
        ("sqlite", sqlite3.sqlite_version),
        ("sqlalchemy", sqlalchemy.__version__),
        ("load avg", f"{start_load} at the start, {_load()} at the end (1/5/15 min: other work on the machine)"),
    ]


def one_connection(store: KioskStore) -> Iterator[Callable[[Presentation], Any]]:
    """lookup + decide on one open read connection, with rules and circumstances read once."""
    rules, circumstances = store.settings.rules(), store.decisions.circumstances(NOW)
    with store.reading() as connection:

        def step(presentation: Presentation) -> Any:
            _, booking, entries = lookup(connection, store.hasher, presentation)
            return decide(presentation, booking, entries, rules, circumstances)

        yield step


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=20_000, help="timed lookup + decide calls per variant")
    parser.add_argument("--records", type=int, default=2_000, help="timed durable records")
    parser.add_argument("--dir", type=Path, default=None, help="where to build the database (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    start_load = _load()
    folder = Path(tempfile.mkdtemp(prefix="kiosk-bench-", dir=args.dir))
    db_path = folder / "bench.db"
    rng = random.Random(args.seed)
    try:
        store = KioskStore.open(db_path)
        try:
            identity = Identity(kiosk_id="BENCH-1", gate="G1", office_code=OFFICE)
            rules = OfficeRules(office_code=OFFICE, party_admission=PartyAdmission.WHOLE_PARTY)
            store.settings.configure(identity, rules, NOW - dt.timedelta(hours=3))
            load_s = load(store, args.bookings)
            assert store.bookings.count() == args.bookings
            size_mb = db_path.stat().st_size / 1e6 + _wal_mb(db_path)

            # A kiosk that has been running has its database in the OS page cache: read the files once,
            # then warm SQLite's and SQLAlchemy's caches with scans not used in the timed runs below.
            warm_files(db_path)
            for presentation in scan_mix(args.bookings, 5_000, rng):
                store.decisions.decide_only(presentation, NOW)

            results: list[tuple[str, list[float], Counter[str]]] = []
            mix = scan_mix(args.bookings, args.lookups, rng)
            results.append(
                ("lookup+decide  (store.decide_only)", *timed(mix, lambda p: store.decisions.decide_only(p, NOW)))
            )
            for step in one_connection(store):  # other codes than the facade's, so neither warms the other
                results.append(
                    ("lookup+decide  (one connection)", *timed(scan_mix(args.bookings, args.lookups, rng), step))
                )
            spin = calibrated_spin(percentile(results[0][1], 0.5))
            results.append(("control: CPU only, as long as p50", *timed(mix, spin)))
            records = scan_mix(args.bookings, args.records, rng)
            gc.collect()
            results.append(
                ("lookup+decide+record (store.record)", *timed(records, lambda p: store.decisions.record(p, NOW)))
            )
            verified = store.audit.verify()
        finally:
            store.close()
        report(args, start_load, load_s, size_mb, results, verified.ok)
        decide_p99 = percentile(results[0][1], 0.99)
        return 0 if decide_p99 <= TARGET_P99_MS else 1
    finally:
        if args.keep:
            print(f"\ndatabase kept at {db_path}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def warm_files(db_path: Path) -> None:
    for path in (db_path, db_path.with_name(db_path.name + "-wal")):
        if path.exists():
            with path.open("rb") as handle:
                while handle.read(1 << 20):
                    pass


def _wal_mb(db_path: Path) -> float:
    wal = db_path.with_name(db_path.name + "-wal")
    return wal.stat().st_size / 1e6 if wal.exists() else 0.0


def report(
    args: argparse.Namespace,
    start_load: str,
    load_s: float,
    size_mb: float,
    results: list[tuple[str, list[float], Counter[str]]],
    audit_ok: bool,
) -> None:
    print("kiosk store benchmark")
    for name, value in machine(start_load):
        print(f"  {name:<11} {value}")
    print(f"  {'database':<11} {args.bookings:,} bookings, {size_mb:,.0f} MB, on {args.dir or tempfile.gettempdir()}")
    print(f"  {'load':<11} {load_s:.1f} s ({args.bookings / load_s:,.0f} bookings/s, hashed + sealed + inserted)")
    print()
    header = f"{'per scan':<38}{'n':>7}{'mean':>9}{'p50':>9}{'p90':>9}{'p99':>9}{'max':>9}   (ms)"
    print(header)
    print("-" * len(header))
    for name, durations, _ in results:
        cells = [statistics.fmean(durations), *(percentile(durations, f) for f in (0.5, 0.9, 0.99)), max(durations)]
        print(f"{name:<38}{len(durations):>7}" + "".join(f"{value:>9.3f}" for value in cells))
    print()
    for name, _, outcomes in (results[0], results[-1]):
        shown = ", ".join(f"{key} {count}" for key, count in outcomes.most_common(6))
        print(f"decisions, {name.split('(')[1].rstrip(')')}: {shown}")
    rounds = [results[0][1][i : i + 4000] for i in range(0, len(results[0][1]), 4000)]
    per_round = ", ".join(f"{percentile(chunk, 0.99):.3f}" for chunk in rounds if chunk)
    print(f"store.decide_only p99 per run of 4000 scans, in order (ms): {per_round}")
    decide_p99 = percentile(results[0][1], 0.99)
    verdict = "met" if decide_p99 <= TARGET_P99_MS else "MISSED"
    print(f"\ntarget lookup+decide p99 <= {TARGET_P99_MS:.1f} ms: {verdict} ({decide_p99:.3f} ms)")
    print(f"audit chain after the run: {'verifies' if audit_ok else 'BROKEN'}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
