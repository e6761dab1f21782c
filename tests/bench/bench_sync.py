"""Sync benchmark: a first sync of 100,000 bookings and incremental syncs of 1,000 changes, on SQLite
and on PostgreSQL, with the gate's decision latency measured while the syncs run.

    python -m tests.bench.bench_sync                       # SQLite (+ PostgreSQL if KIOSK_TEST_PG_DSN is set)
    eval "$(scripts/start-postgres --durable)"; python -m tests.bench.bench_sync --backend both

The server runs as its own process on loopback, standing in for another machine; here it shares the
kiosk's CPUs and disk, so it runs niced (`--server-nice`, default 19) and, with its PostgreSQL (the
cluster of scripts/start-postgres), gets what the kiosk gives background work: the background CPU of
the kiosk's CPU partition (kiosk/store/cpus.py; `--no-partition` runs without it). The kiosk side
runs as in the app: the sync client in its own process at the lowest priority, kept to the background
CPU (kiosk.sync.process.SyncProcess, started before the measurement as the app starts it once; with
`--in-thread` on a thread of the kiosk's process, as before), decisions on a thread of the kiosk's
process kept to the other CPUs, as the app's database writer thread, with the gate's KioskStore, both
on one database file. All of it is said in the output. A decision is the whole gate path, store.decisions.record():
lookup, decide, and the commit of event + outbox + audit entry (WAL, synchronous=FULL); "lookup" is
decide_only(), the read path alone. One decision every 20 ms, on one thread, all through; "during"
counts the decisions that overlap a running sync; "idle", the baseline, those of the same run that lie
wholly in a quiet window: the `--gap-s` before each sync (once the bench has loaded the next changes
into the server's database, which it does in this process: decisions meanwhile count for neither) and
a pause after the last one (as long as the sync, after the first sync). Interleaved so, both sets see
the machine in the same state; a baseline measured after all the syncs drifted with the machine's
load from run to run. The incremental sync runs 40 times (1,000 changes each: 900 changed bookings,
100 cancellations) so that its latency percentiles rest on enough samples.

The control, last: the same measurement with bursts of two processes that only compute (lowest
priority, kept where the sync's process is kept) in place of the syncs: what any background work
costs the decisions on this machine, the floor under the sync's own figure.
Targets: first sync <= 10 s; incremental <= 1 s; decision p95 during a sync within 10 % of idle.

`--phases` splits each recorded decision into its phases (from the call to BEGIN: the queue for the
writer lock; the transaction's statements and Python; its commit and what follows), with the GUI-less
gate thread's CPU time and involuntary context switches in the body: where a sync still slows a scan.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event, text

from kiosk.domain.decide import Presentation
from kiosk.domain.payload import parse_payload
from kiosk.runtime import cpus
from kiosk.store.db import KioskStore
from kiosk.sync.client import FIRST_SYNC_PAGE_LIMIT, STEADY_PAGE_LIMIT, SyncClient, SyncResult, enrol
from kiosk.sync.process import NICE, SyncProcess
from tests.server.support import PG_ENV, WIB, Admin, ServerProcess

TARGET_FIRST_S, TARGET_INCREMENTAL_S, TARGET_P95_RATIO = 10.0, 1.0, 1.10
INCREMENTAL_ROUNDS = 40
#: After the bench's own work in this process (loading changes into the server), before a quiet
#: window counts as one.
SETTLE_S = 0.05


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bench_sync", description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default=None)
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=1_000)
    parser.add_argument(
        "--page-limit", type=int, default=FIRST_SYNC_PAGE_LIMIT, help="bookings per page (server and client)"
    )
    parser.add_argument(
        "--steady-page-limit", type=int, default=STEADY_PAGE_LIMIT, help="page size once the data is complete"
    )
    parser.add_argument("--interval-ms", type=float, default=20.0, help="time between measured decisions")
    parser.add_argument("--gap-s", type=float, default=0.4, help="quiet time before each sync (idle baseline)")
    parser.add_argument("--incremental-rounds", type=int, default=INCREMENTAL_ROUNDS, help="incremental syncs measured")
    parser.add_argument("--in-thread", action="store_true", help="sync on a thread of the kiosk's process (old way)")
    parser.add_argument("--sync-nice", type=int, default=NICE, help="niceness increment of the sync process")
    parser.add_argument("--server-nice", type=int, default=19, help="niceness of the reference server (0: none)")
    parser.add_argument("--phases", action="store_true", help="time the phases of each recorded decision")
    parser.add_argument(
        "--no-partition",
        action="store_true",
        help=f"run without the kiosk's CPU partition ({cpus.ENV_SWITCH}=off for the whole run)",
    )
    parser.add_argument(
        "--no-control",
        dest="control",
        action="store_false",
        help="skip the control (bursts of two computing processes instead of the syncs)",
    )
    parser.add_argument(
        "--trace-marks",
        metavar="FILE",
        help="write each decision's and sync's start and end to FILE, the kernel's trace_marker "
        "(/sys/kernel/tracing/trace_marker, as root), for tests/bench/trace_decisions.py",
    )
    args = parser.parse_args(argv)
    if args.no_partition:
        os.environ[cpus.ENV_SWITCH] = "off"  # the sync's process and the control's inherit it
    if args.trace_marks:
        _MARKS.append(open(args.trace_marks, "w", buffering=1))  # noqa: SIM115 - open for the whole run
    choice = args.backend or ("both" if os.environ.get(PG_ENV) else "sqlite")
    backends = ["sqlite", "postgres"] if choice == "both" else [choice]
    print(
        f"kiosk sync benchmark: {args.bookings:,} bookings, {args.changes:,} changes, pages of {args.page_limit:,} "
        f"(first sync) and {args.steady_page_limit:,} (incremental)"
    )
    print(
        f"machine: {os.cpu_count()} CPU(s), Python {sys.version.split()[0]}; kiosk database: SQLite, WAL "
        "(scans synchronous=FULL, feed pages NORMAL)"
    )
    where = "a thread of the kiosk's process" if args.in_thread else f"its own process (nice +{args.sync_nice})"
    print(
        f"sync client on {where}; decisions on a thread of the kiosk's process; reference server niced "
        f"+{args.server_nice} (it stands in for another machine but shares these CPUs)"
    )
    available = cpus.available_cpus()
    background = cpus.background_cpus(available) if cpus.partition_on() else None
    print(
        "CPU partition: "
        + (
            f"background work (the sync's process, the reference server and its PostgreSQL, the control) on CPU "
            f"{_listed(background)}, "
            f"decisions on CPU {_listed(cpus.foreground_cpus(available) or set())}"
            if background is not None
            else "none (one CPU, or --no-partition): every process on every CPU"
        )
    )
    print(
        f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())} "
        "(other work on the machine skews every figure)"
    )
    missed = [name for backend in backends for name in run(backend, args)]
    print(f"\nload average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("all targets met" if not missed else f"targets missed: {', '.join(missed)}")
    return 1 if missed else 0


def run(backend: str, args: argparse.Namespace) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as folder, database(backend, Path(folder)) as url:
        directory = Path(folder)
        admin = Admin(url)
        office = admin.office("BENCH")
        today = dt.datetime.now(dt.UTC).astimezone(WIB).date()
        codes = [f"BK{index:08d}" for index in range(args.bookings)]
        started = time.perf_counter()
        for start in range(0, args.bookings, 20_000):
            admin.load([_row(i, office, today) for i in range(start, min(start + 20_000, args.bookings))])
        print(f"\n== server on {backend}: import of {args.bookings:,} bookings {time.perf_counter() - started:.1f} s")
        server = ServerProcess(url, directory / "server.log", page_limit=args.page_limit).start()
        if args.server_nice > 0:
            os.setpriority(os.PRIO_PROCESS, server._process.pid, args.server_nice)  # type: ignore[union-attr]
        confine_to_background(server._process.pid)  # type: ignore[union-attr]
        try:
            path = directory / "kiosk.db"
            with KioskStore.open(path) as store:
                enrol(store, server.url, admin.enrol(office), "G1")
            rng = random.Random(2)
            first = measure(path, codes, args, [None])
            report("first sync", first, TARGET_FIRST_S)
            batches = []
            for round_number in range(args.incremental_rounds):
                changed = rng.sample(range(args.bookings), args.changes)
                split = args.changes * 9 // 10
                version = round_number + 2
                batches.append(
                    [_row(i, office, today, party_size=2, version=version) for i in changed[:split]]
                    + [_row(i, office, today, status="cancelled", version=version) for i in changed[split:]]
                )
            incremental = measure(path, codes, args, batches, admin)
            report(
                f"incremental sync ({args.incremental_rounds} x {args.changes:,} changes)",
                incremental,
                TARGET_INCREMENTAL_S,
            )
            if args.control:
                burst_s = statistics.mean(incremental["seconds"])
                with control_load(burst_s) as burst:
                    control = measure(path, codes, args, [None] * args.incremental_rounds, load=burst)
                report_control(control, burst_s)
        finally:
            server.stop()
            admin.close()
    missed = []
    for name, result, target in (("first", first, TARGET_FIRST_S), ("incremental", incremental, TARGET_INCREMENTAL_S)):
        if max(result["seconds"]) > target:
            missed.append(f"{backend} {name} sync time")
        if result["ratio"] > TARGET_P95_RATIO:
            missed.append(f"{backend} {name} sync decision p95")
    return missed


def _listed(numbers: set[int]) -> str:
    return ", ".join(str(number) for number in sorted(numbers))


def confine_to_background(*pids: int) -> None:
    """Every thread of processes `pids` on the background CPU, as the sync's process keeps itself
    (kiosk/store/cpus.py): the server (and its PostgreSQL) stands in for another machine, and of this
    one it gets what the kiosk gives background work. Processes they start later inherit it."""
    background = cpus.background_cpus(cpus.available_cpus()) if cpus.partition_on() else None
    if background is not None:
        _set_cpus(pids, background)


def restore_cpus(*pids: int) -> None:
    _set_cpus(pids, cpus.available_cpus() or set())


def _set_cpus(pids: tuple[int, ...], chosen: set[int]) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):  # a process that ended meanwhile
            for task in Path(f"/proc/{pid}/task").iterdir():
                os.sched_setaffinity(int(task.name), chosen)


def _postgres_processes() -> list[int]:
    """The PostgreSQL cluster of scripts/start-postgres (KIOSK_TEST_PG_DIR): its postmaster and the
    processes it has started; none when the bench does not know the cluster."""
    pid_file = Path(os.environ.get("KIOSK_TEST_PG_DIR", "/nonexistent")) / "data" / "postmaster.pid"
    if not pid_file.exists():
        return []
    postmaster = int(pid_file.read_text().split()[0])
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                children.append(int(stat.parent.name))
    return [postmaster, *children]


def _overlaps(start: float, end: float, windows: list[tuple[float, float]]) -> bool:
    return any(a < end and start < b for a, b in windows)


def measure(
    path: Path,
    codes: list[str],
    args: argparse.Namespace,
    batches: list[Any],
    admin: Admin | None = None,
    load: Callable[[], Any] | None = None,
) -> dict[str, Any]:
    """Decisions on one thread, one every `interval_ms`, from before the first sync to after the last.
    "during": those that overlap a running sync. "idle", the baseline: those that lie wholly in a quiet
    window of the same run, between syncs (after the bench has loaded the next changes into the
    server, which it does in this process) and after the last one, so that both sets see the machine
    in the same state; the first sync is followed by a quiet window as long as itself."""
    with KioskStore.open(path) as gate_store, syncer(path, args, load) as sync_once:
        phases = PhaseTrace(gate_store) if args.phases else None
        stop = threading.Event()
        sampled: dict[str, list[Any]] = {}
        thread = threading.Thread(
            target=lambda: sampled.update(decisions(gate_store, codes, args.interval_ms, stop, phases=phases))
        )
        seconds: list[float] = []
        syncing: list[tuple[float, float]] = []
        quiet: list[tuple[float, float]] = []
        loading: list[tuple[float, float]] = []  # the bench's own work in this process (GIL)
        results: list[SyncResult] = []
        if admin is not None:
            sync_once()  # upload what earlier measurements recorded, outside the timing
        thread.start()
        for batch in batches:
            if batch is not None and admin is not None:
                loading_from = time.perf_counter()
                admin.load(batch)
                loading.append((loading_from, time.perf_counter() + SETTLE_S))
            calm = time.perf_counter() + SETTLE_S
            time.sleep(args.gap_s)
            started = time.perf_counter()
            quiet.append((calm, started))
            _mark("sync-start")
            results.append(sync_once())
            _mark("sync-end")
            ended = time.perf_counter()
            seconds.append(ended - started)
            syncing.append((started, ended))
        calm = time.perf_counter() + SETTLE_S
        time.sleep(SETTLE_S + max(args.gap_s, sum(seconds) if len(seconds) == 1 else args.gap_s))
        quiet.append((calm, time.perf_counter()))
        stop.set()
        thread.join()
        sync_once()
    during_mask = [_overlaps(a, b, syncing) and not _overlaps(a, b, loading) for a, b in sampled["at"]]
    idle_mask = [any(start <= a and b <= end for start, end in quiet) for a, b in sampled["at"]]
    during = {kind: [v for v, keep in zip(sampled[kind], during_mask, strict=True) if keep] for kind in KINDS}
    idle = {kind: [v for v, keep in zip(sampled[kind], idle_mask, strict=True) if keep] for kind in KINDS}
    measured = {"seconds": seconds, "results": results, "idle": idle, "during": during, "ratio": ratio(idle, during)}
    if phases is not None:
        measured["phases"] = phases.split(syncing, quiet, loading)
    return measured


@contextmanager
def syncer(path: Path, args: argparse.Namespace, load: Callable[[], Any] | None = None) -> Iterator[Callable[[], Any]]:
    """sync_once() of the kiosk's sync as the app runs it: a started SyncProcess, or a SyncClient on the
    caller's thread with its own store (--in-thread); or `load` instead (the control)."""
    if load is not None:
        yield load
        return
    options = {"page_limit": args.page_limit, "steady_page_limit": args.steady_page_limit, "timeout_s": 60}
    if args.in_thread:
        with KioskStore.open(path) as store, SyncClient(store, **options) as client:  # type: ignore[arg-type]
            yield client.sync_once
        return
    with SyncProcess(path, client_options=options, nice=args.sync_nice) as runner:
        runner.start()
        yield runner.sync_once


def report(name: str, measured: dict[str, Any], target: float) -> None:
    seconds, results = measured["seconds"], measured["results"]
    idle, during = measured["idle"], measured["during"]
    timing = (
        f"{seconds[0]:.2f} s"
        if len(seconds) == 1
        else f"mean {statistics.mean(seconds):.2f} s, max {max(seconds):.2f} s"
    )
    last = results[-1]
    print(
        f"   {name}: {timing} (target {target:g} s) - {sum(r.pages for r in results)} page(s), "
        f"{sum(r.bookings for r in results):,} bookings, {sum(r.tombstones for r in results):,} tombstones, "
        f"{sum(r.uploaded for r in results):,} events uploaded, longest write lock per page "
        f"{max(r.max_lock_ms for r in results):.0f} ms, clock offset {last.server_offset_s:+.3f} s"
    )
    for kind, label in (("record", "decision (record)"), ("lookup", "lookup + decide  ")):
        print(
            f"      {label} ms  p50/p95/max  idle {_summary(idle[kind])}  during {_summary(during[kind])}"
            f"  p95 ratio {p95(during[kind]) / p95(idle[kind]):.2f}  (n={len(idle[kind])}/{len(during[kind])})"
        )
    if "phases" in measured:
        PhaseTrace.report(*measured["phases"])


KINDS = ("record", "lookup")


@contextmanager
def control_load(burst_s: float, processes: int = 2) -> Iterator[Callable[[], None]]:
    """The control: `processes` processes at the lowest priority that only compute (no files, no
    network, no locks), as busy as the server and the sync are while a sync runs; burst() lets them
    run for `burst_s`. What their bursts cost the gate's decisions is what any background work costs
    on this machine, whatever it does: the floor under the sync's own figure."""
    context = multiprocessing.get_context("spawn")
    running, stop = context.Event(), context.Event()
    workers = [context.Process(target=_burn, args=(running, stop), daemon=True) for _ in range(processes)]
    for worker in workers:
        worker.start()

    def burst() -> None:
        running.set()
        time.sleep(burst_s)
        running.clear()

    try:
        yield burst
    finally:
        stop.set()
        running.set()
        for worker in workers:
            worker.join(10)


def _burn(running: Any, stop: Any) -> None:
    os.nice(19)
    cpus.confine_this_thread("background")  # as the sync's process
    while not stop.is_set():
        if running.wait(0.1):
            total = 0
            for number in range(20_000):
                total += number * number


def report_control(measured: dict[str, Any], burst_s: float) -> None:
    idle, during = measured["idle"], measured["during"]
    print(
        f"   control: {len(measured['seconds'])} bursts of {burst_s:.2f} s of two processes that only compute (nice "
        "+19; no files, network or locks): what any background work costs the decisions on this machine"
    )
    print(
        f"      decision (record) ms  p50/p95/max  idle {_summary(idle['record'])}  during {_summary(during['record'])}"
        f"  p95 ratio {measured['ratio']:.2f}  (n={len(idle['record'])}/{len(during['record'])})"
    )


def decisions(
    store: KioskStore,
    codes: list[str],
    interval_ms: float,
    stop: threading.Event | None = None,
    count: int | None = None,
    phases: PhaseTrace | None = None,
) -> dict[str, list[Any]]:
    """Milliseconds per decision ("record") and per lookup + decide ("lookup"); "at": when each
    sample began and ended (time.perf_counter())."""
    rng = random.Random(1)
    record: list[float] = []
    lookup: list[float] = []
    at: list[tuple[float, float]] = []
    cpus.confine_this_thread("foreground")  # as the kiosk's database writer thread does
    while not (stop is not None and stop.is_set()) and (count is None or len(record) < count):
        presentation = Presentation(parse_payload(rng.choice(codes)))
        now = dt.datetime.now(dt.UTC)
        began = started = time.perf_counter()
        _mark(f"dec-start {threading.get_native_id()}")
        store.decisions.decide_only(presentation, now)
        lookup.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        if phases is not None:
            phases.started(started)
        store.decisions.record(presentation, now, source="bench")
        ended = time.perf_counter()
        if phases is not None:
            phases.ended(ended)
        record.append((ended - started) * 1000)
        _mark(f"dec-end {(ended - started) * 1000:.2f}")
        at.append((began, ended))
        time.sleep(interval_ms / 1000)
    return {"record": record, "lookup": lookup, "at": at}


#: --trace-marks: the kernel's trace_marker, open for the whole run (see tests/bench/trace_decisions.py).
_MARKS: list[Any] = []


def _mark(text: str) -> None:
    for marks in _MARKS:
        marks.write(text + "\n")


class PhaseTrace:
    """--phases: each recorded decision of the gate store split at its BEGIN and at its COMMIT (events
    of its engine, on the deciding thread), with the thread's CPU time and involuntary context
    switches (the CPU taken away: by another thread, process or the kernel) between the two."""

    PHASES = ("to BEGIN", "body", "commit+", "body CPU", "body preempted")

    def __init__(self, store: KioskStore) -> None:
        self.rows: list[tuple[float, ...]] = []
        self._marks: dict[str, float] = {}
        self._thread = 0
        event.listen(store.engine, "begin", self._begun)
        event.listen(store.engine, "commit", self._committing)

    def started(self, at: float) -> None:
        self._thread = threading.get_ident()
        self._marks = {"start": at}

    def _begun(self, _connection: Connection) -> None:
        if threading.get_ident() == self._thread and "start" in self._marks:
            self._marks.update(begun=time.perf_counter(), cpu=time.thread_time(), ivcsw=_preempted())

    def _committing(self, _connection: Connection) -> None:
        if threading.get_ident() == self._thread and "begun" in self._marks:
            self._marks.update(committing=time.perf_counter(), cpu_end=time.thread_time(), ivcsw_end=_preempted())

    def ended(self, at: float) -> None:
        m = self._marks
        if {"begun", "committing"} <= m.keys():
            self.rows.append(
                (
                    m["start"],
                    (m["begun"] - m["start"]) * 1000,
                    (m["committing"] - m["begun"]) * 1000,
                    (at - m["committing"]) * 1000,
                    (m["cpu_end"] - m["cpu"]) * 1000,
                    m["ivcsw_end"] - m["ivcsw"],
                )
            )
        self._marks = {}

    def split(
        self, syncing: list[tuple[float, float]], quiet: list[tuple[float, float]], loading: list[tuple[float, float]]
    ) -> tuple[list[tuple[float, ...]], list[tuple[float, ...]]]:
        """(idle, during): during if the decision began while a sync ran and did not overlap the
        bench's own loading; idle if it began in a quiet window (as measure() sorts them)."""
        during = [
            row
            for row in self.rows
            if any(a <= row[0] <= b for a, b in syncing)
            and not _overlaps(row[0], row[0] + sum(row[1:4]) / 1000, loading)
        ]
        idle = [row for row in self.rows if any(a <= row[0] <= b for a, b in quiet)]
        self.rows = []
        return idle, during

    @classmethod
    def report(cls, idle: list[tuple[float, ...]], during: list[tuple[float, ...]]) -> None:
        for index, name in enumerate(cls.PHASES, start=1):
            unit = "" if name == "body preempted" else " ms"
            pick = [row[index] for row in idle], [row[index] for row in during]
            print(
                f"         {name:15s} p50/p95/max  idle {_summary(pick[0])}  during {_summary(pick[1])}{unit}"
                if pick[0] and pick[1]
                else f"         {name:15s} (no samples)"
            )


def _preempted() -> int:
    return resource.getrusage(resource.RUSAGE_THREAD).ru_nivcsw


def ratio(idle: dict[str, list[Any]], during: dict[str, list[float]]) -> float:
    return p95(during["record"]) / p95(idle["record"])


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f}/{p95(values):6.2f}/{max(values):6.1f}"


@contextmanager
def database(backend: str, directory: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'server.db'}"
        return
    dsn = os.environ.get(PG_ENV)
    if not dsn:
        raise SystemExit(f'{PG_ENV} is not set: run eval "$(scripts/start-postgres --durable)" first')
    name = f"kiosk_bench_{os.getpid()}"
    admin = create_engine(dsn, isolation_level="AUTOCOMMIT")
    postgres = _postgres_processes()
    try:
        confine_to_background(*postgres)  # the central database stands in for another machine too
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            connection.execute(text(f"CREATE DATABASE {name}"))
            version = connection.execute(text("SHOW server_version")).scalar()
            fsync = connection.execute(text("SHOW fsync")).scalar()
        print(f"\nPostgreSQL {version}, fsync={fsync}")
        yield dsn.rsplit("/", 1)[0] + f"/{name}"
    finally:
        restore_cpus(*_postgres_processes())  # the cluster may serve the tests next
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def _row(index: int, office: str, day: dt.date, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "code": f"BK{index:08d}",
        "booking_ref": f"BENCH-{index:08d}",
        "office_code": office,
        "service_date": day.isoformat(),
        "slot_start": "00:00",
        "slot_end": "23:59",
        "status": "active",
        "party_size": 1,
        "category": "regular",
        "display_name": f"Pemohon Nomor {index}",
        "nik_last4": f"{index % 10000:04d}",
        "version": 1,
    }
    row.update(changes)
    return row


if __name__ == "__main__":
    sys.exit(main())
