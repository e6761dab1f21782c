"""Door benchmark: scan to verdict on the camera path, with the online check off, on with the server up,
with the server hanging, and with the server down.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.bench.bench_door
    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.bench.bench_door --presentations 48 --budget-ms 300
    eval "$(scripts/start-postgres)"; .venv/bin/python -m tests.bench.bench_door --backend postgres

"Scan to verdict": from the capture time of the camera frame the code was read in (CodeSeen.frame_ts,
the simulated camera's sensor clock, time.monotonic) to the moment the applicant window has been
given the verdict screen (KioskController.screenChanged with ADMIT, REFER or DENY; time.monotonic in
that slot, on the GUI thread). Measured in the assembled kiosk (`kiosk.app.assemble`, as `kiosk run`
builds it): the simulated camera renders real QR images (1280x720, 30 fps, in real time) through the
capture thread and the decoder process, the door decides on the database writer thread (asking the
server within the budget when the check is on) and records (WAL, synchronous=FULL), the GUI thread
shows the answer. The applicant window is shown offscreen at 1920x1080.

Each case assembles a fresh kiosk around the same kiosk database (enrolled and synced once first), with
a camera script of presentations (a code held up for --show-s, then nobody for --gap-s); one warm-up
presentation first, not counted. Every presentation is a booking code not shown before in the run
(today, slot 00:00-23:59: ADMIT), except every eighth, a code that must not be admitted, in turn: a
code admitted four presentations earlier (ALREADY_ADMITTED), a cancelled booking, a code the server
does not know. The cases:

  1. online check off: the baseline, in two halves, the first and the last of the run, pooled (the
     halves are printed too: a machine shared with other work drifts over the five minutes);
  2. online check on, the reference server up on loopback;
  3. online check on, the server hanging: every POST /v1/check held back past the budget (the server's
     fault drill, kind "timeout": the API runs and commits, then the answer waits --hang-s);
  4. online check on, the server down (its process stopped, the port closed).

The server (a `kiosk server run` process on loopback, SQLite or PostgreSQL) stands in for another
machine but shares these CPUs. Unlike in bench_sync and bench_ui it is neither niced nor kept to the
background CPU by default: there it is background load whose effect on the kiosk is measured; here its
answer is on the measured path, and niced it waits behind every other process on the machine, kept
to the background CPU it shares that CPU with whatever else the machine keeps there (on the project's
shared machines, other sessions' sync processes and benchmarks), neither of which another machine
would do. --server-nice 19 --server-background runs it as bench_sync does.

Targets: with the server up, p95 at most 30 ms above the p95 of the check-off case of the same run;
with the server hanging, p95 and max at most the budget plus 50 ms. p50/p95 are statistics.median and
statistics.quantiles (inclusive method: bench_sync's exclusive one puts a p95 of few values beyond
their maximum). Each case also prints its parts: frame -> code seen (the decoder
process), code seen -> verdict shown (the door on the writer thread, the record, the GUI thread), and
the door's own timing of the question to the server (Recorded.online_ms). At the end: no ADMIT was
shown for a code that must not be admitted (the run fails otherwise), and every thread and child
process the bench started has ended. About five minutes with the defaults. Not collected by pytest
(no test_ prefix).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QTimer

from kiosk.app import assemble, settle
from kiosk.domain.model import Verdict
from kiosk.domain.screen import Screen, ScreenState
from kiosk.door import DoorSettings
from kiosk.runtime import cpus
from kiosk.store.db import KioskStore
from kiosk.store.recorder import Recorded
from kiosk.sync.client import enrol
from kiosk.ui.sound import SilentPlayer
from kiosk.vision.scanner import CodeSeen
from kiosk.vision.simcam import Scene, SimulatedCamera, empty
from kiosk.workers.gate import FakeRelay
from tests.server.support import PG_ENV, WIB, Admin, ServerProcess, booking, codes, fresh_database, sync

VERDICTS = (ScreenState.ADMIT, ScreenState.REFER, ScreenState.DENY)
#: Target: online check on, server up: p95 at most this much above the check-off p95 of the same run.
TARGET_UP_EXTRA_MS = 30.0
#: Target: server hanging: p95 and max at most the budget plus this.
TARGET_HUNG_EXTRA_MS = 50.0
#: Every NEGATIVE_EVERY-th presentation (1-based) is a code that must not be admitted.
NEGATIVE_EVERY = 8
#: A code shown again this many presentations later (its gap is longer than the 3 s debounce window).
AGAIN_AFTER = 4
LEAD_S = 3.0  # nobody in front of the camera while the decoder process starts
TAIL_S = 5.0
FPS = 30.0


@dataclass(frozen=True, slots=True)
class Planned:
    """One presentation of a case: the code held up, and what it is (fresh: must be admitted)."""

    text: str
    kind: str  # "fresh", "again", "cancelled", "unknown"
    warm_up: bool = False

    @property
    def may_admit(self) -> bool:
        return self.kind == "fresh"


@dataclass(frozen=True, slots=True)
class Case:
    number: int  # 1-4; case 1 runs in two halves, first and last
    title: str
    online: bool
    plan: tuple[Planned, ...]
    part: str = ""  # "first half", "second half"
    seed: int = 0


@dataclass
class Seen:
    """What one presentation gave: its times (monotonic seconds) and what was recorded and shown."""

    planned: Planned
    index: int  # in the case's plan (0: the warm-up)
    frame_ts: float
    seen_at: float
    code_seen_at: float  # when the GUI thread got the CodeSeen
    verdict_at: float | None = None
    state: ScreenState | None = None
    event_uuid: str = ""
    recorded: Recorded | None = None

    @property
    def total_ms(self) -> float:
        assert self.verdict_at is not None
        return (self.verdict_at - self.frame_ts) * 1000.0


@dataclass
class Outcome:
    case: Case
    seen: list[Seen] = field(default_factory=list)
    missed: list[Planned] = field(default_factory=list)  # presentations the kiosk never decided
    odd_screens: Counter[str] = field(default_factory=Counter)  # OUT OF ORDER and the like
    seconds: float = 0.0
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)
    injected: dict[str, int] = field(default_factory=dict)

    @property
    def measured(self) -> list[Seen]:
        return [s for s in self.seen if not s.planned.warm_up and s.verdict_at is not None]

    def totals(self) -> list[float]:
        return [s.total_ms for s in self.measured]


def pooled(outcomes: list[Outcome], number: int) -> Outcome:
    """The outcomes of case `number` as one (case 1's two halves)."""
    parts = [o for o in outcomes if o.case.number == number]
    merged = Outcome(parts[0].case)
    for part in parts:
        merged.seen += part.seen
        merged.missed += part.missed
        merged.odd_screens += part.odd_screens
        merged.seconds += part.seconds
        merged.load = max(merged.load, part.load)
        for kind, n in part.injected.items():
            merged.injected[kind] = merged.injected.get(kind, 0) + n
    return merged


class Timing:
    """Slots on the GUI thread: the first CodeSeen of each planned code starts its presentation, the
    next verdict screen (a new event) ends it. Presentations follow each other with the camera's script,
    one at a time, so the verdict belongs to the presentation started last; scanRecorded checks that by
    event id."""

    def __init__(self, plan: tuple[Planned, ...], on_done: Callable[[], None]) -> None:
        self.plan = plan
        self.on_done = on_done
        self.next = 0
        self.current: Seen | None = None
        self.outcome_seen: list[Seen] = []
        self.missed: list[Planned] = []
        self.odd: Counter[str] = Counter()
        self.by_uuid: dict[str, Seen] = {}
        self.recorded: dict[str, Recorded] = {}

    @property
    def done(self) -> bool:
        return self.next >= len(self.plan) and (self.current is None or self.current.verdict_at is not None)

    def code_seen(self, event: CodeSeen) -> None:
        texts = {code.text or code.raw.decode("latin-1") for code in event.codes}
        for index in range(self.next, min(self.next + 3, len(self.plan))):
            if self.plan[index].text in texts:
                break
        else:
            return  # a repeat read of the code being decided, or of one already decided
        if self.current is not None and self.current.verdict_at is None:
            self.missed.append(self.current.planned)  # no verdict before the next code came
        self.missed.extend(self.plan[self.next : index])  # never read
        self.current = Seen(self.plan[index], index, event.frame_ts, event.seen_at, time.monotonic())
        self.outcome_seen.append(self.current)
        self.next = index + 1

    def screen(self, screen: Screen) -> None:
        now = time.monotonic()
        if screen.state not in VERDICTS:
            if screen.state is ScreenState.OUT_OF_ORDER:
                self.odd["OUT OF ORDER shown"] += 1
            return
        if not screen.event_uuid or screen.event_uuid in self.by_uuid:
            return  # the same answer again (or a guard's admit, which has no event here)
        current = self.current
        if current is None or current.verdict_at is not None:
            self.odd["verdict screen with no presentation waiting"] += 1
            return
        current.verdict_at, current.state, current.event_uuid = now, screen.state, screen.event_uuid
        self.by_uuid[screen.event_uuid] = current
        if self.done:
            self.on_done()

    def scan_recorded(self, recorded: Recorded, _source: str) -> None:
        self.recorded[recorded.event_uuid] = recorded
        seen = self.by_uuid.get(recorded.event_uuid)
        if seen is None:
            self.odd["recorded scan with no verdict screen before it"] += 1
        else:
            seen.recorded = recorded


def make_plan(prefix: str, count: int, cancelled: list[str], unknown: list[str]) -> tuple[Planned, ...]:
    """A warm-up presentation, then `count` measured ones; returns the plan (the fresh codes are the
    plan's texts of kind "fresh", loaded on the server by the caller)."""
    fresh = iter(codes(prefix, count + 1))
    plan = [Planned(next(fresh), "fresh", warm_up=True)]
    negatives = ("again", "cancelled", "unknown")
    turn = 0
    for number in range(1, count + 1):
        if number % NEGATIVE_EVERY == 0:
            kind = negatives[turn % len(negatives)]
            turn += 1
            if kind == "again":
                text = plan[-AGAIN_AFTER].text  # admitted (fresh) four presentations earlier
                assert plan[-AGAIN_AFTER].kind == "fresh"
            elif kind == "cancelled":
                text = cancelled.pop()
            else:
                text = unknown.pop()
            plan.append(Planned(text, kind))
        else:
            plan.append(Planned(next(fresh), "fresh"))
    return tuple(plan)


def camera_script(plan: tuple[Planned, ...], show_s: float, gap_s: float) -> list[Scene]:
    """Nobody, then each code held up as a phone (light and dark mode in turn), nobody in between."""
    script = [empty(LEAD_S)]
    for index, planned in enumerate(plan):
        script.append(Scene(duration=show_s, codes=(planned.text,), medium="phone", dark_mode=index % 2 == 1))
        script.append(empty(gap_s))
    script.append(empty(TAIL_S))
    return script


def run_case(store: KioskStore, case: Case, args: argparse.Namespace) -> Outcome:
    """Assemble a kiosk for the case, let the camera's script play, stop everything."""
    script = camera_script(case.plan, args.show_s, args.gap_s)
    camera = SimulatedCamera(script, 1280, 720, fps=FPS, seed=case.seed, realtime=True)
    kiosk = assemble(
        store,
        source=camera,
        decoder_process=True,
        door=DoorSettings(online_check=case.online, budget_s=args.budget_ms / 1000.0),
        player=SilentPlayer(),
        relay=FakeRelay(),
        wedge=False,
    )
    assert kiosk.scanner is not None, "the kiosk has no scanner (decoder unavailable?)"
    app = kiosk.app
    # Timer objects, stopped below: a pending static singleShot would quit the next case's event loop.
    finish = QTimer(singleShot=True, interval=300)
    finish.timeout.connect(app.quit)
    last_resort = QTimer(singleShot=True)
    last_resort.timeout.connect(app.quit)
    timing = Timing(case.plan, finish.start)
    kiosk.scanner.codeSeen.connect(timing.code_seen)
    kiosk.controller.screenChanged.connect(timing.screen)
    kiosk.controller.scanRecorded.connect(timing.scan_recorded)
    kiosk.applicant.resize(1920, 1080)
    kiosk.applicant.show()
    kiosk.applicant.warm_up()
    script_s = sum(scene.duration for scene in script)
    load_before = os.getloadavg()
    started = time.monotonic()
    try:
        kiosk.start()
        settle()
        last_resort.start(int((script_s + 10.0) * 1000))  # the last presentation's verdict quits first
        app.exec()
    finally:
        finish.stop()
        last_resort.stop()
        kiosk.stop()
        app.processEvents()
    seconds = time.monotonic() - started
    if timing.current is not None and timing.current.verdict_at is None:
        timing.missed.append(timing.current.planned)
    timing.missed.extend(timing.plan[timing.next :])
    load_after = os.getloadavg()
    return Outcome(
        case,
        timing.outcome_seen,
        timing.missed,
        timing.odd,
        seconds,
        tuple(max(a, b) for a, b in zip(load_before, load_after, strict=True)),  # type: ignore[arg-type]
    )


@contextmanager
def reference_server(directory: Path, backend: str) -> Iterator[tuple[ServerProcess, Admin]]:
    """The server's database (fresh) and its process, not started yet; stopped and removed at the end."""
    with fresh_database(backend, directory) as url:
        admin = Admin(url)
        server = ServerProcess(url, directory / "server.log")
        try:
            yield server, admin
        finally:
            server.stop()
            admin.close()


def start_server(server: ServerProcess, nice: int, background_cpu: bool) -> str:
    """Start the server, niced by `nice`, and with `background_cpu` kept to the background CPU of the
    kiosk's partition (as bench_sync keeps it). Says where it runs."""
    server.start()
    process = server._process
    assert process is not None
    if nice > 0:
        os.setpriority(os.PRIO_PROCESS, process.pid, nice)
    background = cpus.background_cpus(cpus.available_cpus()) if cpus.partition_on() else None
    if background is None or not background_cpu:
        return f"niced +{nice}, on every CPU"
    for task in Path(f"/proc/{process.pid}/task").iterdir():
        os.sched_setaffinity(int(task.name), background)
    return f"niced +{nice}, kept to CPU {', '.join(str(c) for c in sorted(background))} (the background CPU)"


# --- the report ------------------------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    """Inclusive method: never beyond the largest value, however few the values."""
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def p50(values: list[float]) -> float:
    return statistics.median(values)


def describe_paths(outcome: Outcome) -> str:
    paths: Counter[str] = Counter()
    for seen in outcome.measured:
        recorded = seen.recorded
        if recorded is None:
            paths["(not recorded?)"] += 1
        elif recorded.decided_by == "server":
            paths["server"] += 1
        else:
            paths[f"here: {recorded.fallback or 'no reason'}"] += 1
    return ", ".join(f"{name} {n}" for name, n in paths.most_common())


def report_case(outcome: Outcome, baseline: Outcome | None, halves: list[Outcome] | None = None) -> None:
    values = outcome.totals()
    measured = outcome.measured
    case = outcome.case
    print(f"\n{case.number}. {case.title}")
    if halves:
        shown = [
            f"{h.case.part} p50 {p50(h.totals()):.1f} / p95 {p95(h.totals()):.1f} ms" for h in halves if h.totals()
        ]
        print(f"   (two halves, first and last in the run, pooled: {';  '.join(shown)})")
    if not values:
        print("   no presentation was decided")
        return
    line = (
        f"   scan to verdict ms: n {len(values)}  p50 {p50(values):6.1f}  p95 {p95(values):6.1f}  "
        f"max {max(values):6.1f}  mean {statistics.mean(values):6.1f}"
    )
    if baseline is not None and baseline.totals():
        base = baseline.totals()
        line += (
            f"   vs check off: p50 {p50(values) - p50(base):+6.1f} ms ({p50(values) / p50(base):.2f}x)  "
            f"p95 {p95(values) - p95(base):+6.1f} ms ({p95(values) / p95(base):.2f}x)"
        )
    print(line)
    decode = [(s.seen_at - s.frame_ts) * 1000 for s in measured]
    door = [(s.verdict_at - s.seen_at) * 1000 for s in measured if s.verdict_at is not None]
    print(
        f"   parts (p50/p95/max ms): frame -> code seen (decoder process) {_three(decode)};  "
        f"code seen -> verdict shown (door, record, GUI) {_three(door)}"
    )
    online = [s.recorded.online_ms for s in measured if s.recorded is not None and s.recorded.online_ms is not None]
    if online:
        rest = [
            (s.verdict_at - s.seen_at) * 1000 - s.recorded.online_ms
            for s in measured
            if s.verdict_at is not None and s.recorded is not None and s.recorded.online_ms is not None
        ]
        print(
            f"   asking the server (the door's own timing, p50/p95/max ms): {_three(online)};  "
            f"code seen -> verdict shown without it {_three(rest)}"
        )
    slowest = sorted(measured, key=lambda s: s.total_ms, reverse=True)[:3]
    print("   slowest: " + ";  ".join(_one(s) for s in slowest))
    states = Counter(s.state.value if s.state else "?" for s in measured)
    print(f"   verdicts shown: {dict(states)};  decided: {describe_paths(outcome)}")
    if outcome.injected:
        print(f"   faults the server injected: {outcome.injected}")
    extras = []
    if outcome.missed:
        extras.append(f"never decided: {len(outcome.missed)} ({', '.join(p.kind for p in outcome.missed)})")
    if outcome.odd_screens:
        extras.append(f"odd: {dict(outcome.odd_screens)}")
    print(
        f"   {outcome.seconds:.0f} s, load average up to {outcome.load[0]:.2f}"
        + (f"; {'; '.join(extras)}" if extras else "")
    )


def _one(seen: Seen) -> str:
    """One presentation's figures: which one, its total and its parts."""
    assert seen.verdict_at is not None
    asked = seen.recorded.online_ms if seen.recorded is not None else None
    parts = f"decode {(seen.seen_at - seen.frame_ts) * 1000:.0f}, door {(seen.verdict_at - seen.seen_at) * 1000:.0f}"
    if asked is not None:
        parts += f" (server {asked:.0f})"
    return f"#{seen.index} {seen.total_ms:.0f} ms ({parts})"


def _three(values: list[float]) -> str:
    return f"{p50(values):.1f}/{p95(values):.1f}/{max(values):.1f}" if values else "-"


def targets(outcomes: dict[int, Outcome], budget_ms: float) -> list[tuple[str, bool]]:
    off, up, hung = (outcomes[n].totals() if n in outcomes else [] for n in (1, 2, 3))
    checks = []
    if off and up:
        extra = p95(up) - p95(off)
        checks.append(
            (
                f"server up: p95 {p95(up):.1f} ms is {extra:+.1f} ms against check off {p95(off):.1f} ms "
                f"(target at most +{TARGET_UP_EXTRA_MS:.0f} ms)",
                extra <= TARGET_UP_EXTRA_MS,
            )
        )
    else:
        checks.append(("server up: no figures", False))
    limit = budget_ms + TARGET_HUNG_EXTRA_MS
    if hung:
        checks.append((f"server hanging: p95 {p95(hung):.1f} ms (target at most {limit:.0f} ms)", p95(hung) <= limit))
        checks.append((f"server hanging: max {max(hung):.1f} ms (target at most {limit:.0f} ms)", max(hung) <= limit))
    else:
        checks.append(("server hanging: no figures", False))
    return checks


def sanity(outcomes: dict[int, Outcome]) -> list[str]:
    """Problems: an ADMIT shown for a code that must not be admitted (fatal); and, reported, anything
    else that does not add up (a fresh code not admitted, a screen that disagrees with the record)."""
    wrong_admits, other = [], []
    for number, outcome in outcomes.items():
        for seen in outcome.seen:
            if seen.state is None:
                continue
            if seen.state is ScreenState.ADMIT and not seen.planned.may_admit:
                wrong_admits.append(f"case {number}: ADMIT shown for a code that is '{seen.planned.kind}'")
            if seen.planned.may_admit and seen.state is not ScreenState.ADMIT:
                reason = seen.recorded.decision.reason.value if seen.recorded else "?"
                other.append(f"case {number}: fresh code shown {seen.state.value} ({reason})")
            if seen.recorded is not None and (seen.state is ScreenState.ADMIT) != (
                seen.recorded.decision.verdict is Verdict.ADMIT
            ):
                wrong_admits.append(f"case {number}: screen {seen.state.value} but recorded {seen.recorded.decision}")
    for line in other:
        print(f"   note: {line}")
    return wrong_admits


def leftovers(threads_before: set[int]) -> list[str]:
    """Threads and child processes the bench started that are still alive."""
    deadline = time.monotonic() + 5.0
    while True:
        threads = [t for t in threading.enumerate() if t.ident not in threads_before and t.is_alive()]
        children = multiprocessing.active_children()
        if not (threads or children) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    return [f"thread {t.name}" for t in threads] + [f"process {p.name} (pid {p.pid})" for p in children]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bench_door", description=__doc__.splitlines()[0])
    parser.add_argument("--presentations", type=int, default=48, help="measured presentations per case")
    parser.add_argument("--budget-ms", type=float, default=300.0, help="the online check's budget")
    parser.add_argument("--hang-s", type=float, default=None, help="how long the hanging server holds each answer")
    parser.add_argument("--show-s", type=float, default=0.8, help="how long each code is held up")
    parser.add_argument("--gap-s", type=float, default=0.6, help="nobody in front of the camera between codes")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite", help="the server's database")
    parser.add_argument(
        "--server-nice",
        type=int,
        default=0,
        help="niceness of the reference server (default 0: its answer is on the measured path)",
    )
    parser.add_argument(
        "--server-background",
        action="store_true",
        help="keep the reference server to the background CPU of the kiosk's partition, as bench_sync does",
    )
    args = parser.parse_args(argv)
    if args.presentations < 4:
        parser.error("--presentations must be at least 4")
    if args.backend == "postgres" and not os.environ.get(PG_ENV):
        parser.error(f'{PG_ENV} is not set: run `eval "$(scripts/start-postgres)"` first')
    hang_s = args.hang_s if args.hang_s is not None else max(1.5, 5 * args.budget_ms / 1000.0)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    threads_before = {t.ident for t in threading.enumerate() if t.ident is not None}

    print(
        f"kiosk door benchmark: scan to verdict on the camera path, {args.presentations} presentations per case "
        f"(+1 warm-up), online budget {args.budget_ms:.0f} ms"
    )
    print(
        f"machine: {os.cpu_count()} CPU(s) ({len(os.sched_getaffinity(0))} usable), Python {sys.version.split()[0]}, "
        f"Qt platform {os.environ['QT_QPA_PLATFORM']}; load average before: "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(
        f"camera: simulated, 1280x720 @ {FPS:g} fps, real time; each code held {args.show_s:g} s, "
        f"{args.gap_s:g} s between; decoder in its own process; every {NEGATIVE_EVERY}th code must not be admitted"
    )
    print(
        f"server: `kiosk server run` on loopback, {args.backend}; hanging = every /v1/check answered {hang_s:g} s late"
    )
    runs: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-door-") as scratch:
        directory = Path(scratch)
        with reference_server(directory, args.backend) as (server, admin):
            office = admin.office()
            cases = plan_cases(args.presentations, hang_s)
            today = dt.datetime.now(dt.UTC).astimezone(WIB).date()
            fresh = [p.text for case in cases for p in case.plan if p.kind == "fresh"]
            rows = [booking(code, f"REF-{code}", office, today) for code in fresh]
            rows += [booking(c, f"REF-{c}", office, today, status="cancelled") for c in codes_used(cases, "cancelled")]
            admin.load(rows)
            where = start_server(server, args.server_nice, args.server_background)
            store = KioskStore.open(directory / "kiosk.db")
            try:
                enrol(store, server.url, admin.enrol(office, "G1"), "G1")
                synced = sync(store)
                print(
                    f"server started {where}; kiosk enrolled and synced once ({synced.bookings} bookings, "
                    f"{synced.tombstones} cancelled, of {len(rows)} on the server)"
                )
                for case in cases:
                    if case.number == 3:
                        server.faults(
                            rules=[{"kind": "timeout", "path": "/v1/check", "count": 100_000}], timeout_s=hang_s
                        )
                    if case.number == 4:
                        server.stop()
                    outcome = run_case(store, case, args)
                    if case.number == 3:
                        outcome.injected = dict(server.calm().get("injected", {}))
                    runs.append(outcome)
            finally:
                store.close()
    print(f"\n== figures (load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())})")
    outcomes = {number: pooled(runs, number) for number in sorted({o.case.number for o in runs})}
    for number, outcome in outcomes.items():
        halves = [o for o in runs if o.case.number == number and o.case.part]
        report_case(outcome, outcomes.get(1) if number != 1 else None, halves)
    print("\n== targets")
    missed = 0
    for text, met in targets(outcomes, args.budget_ms):
        print(f"   {'met    ' if met else 'NOT met'}  {text}")
        missed += not met
    print("\n== sanity")
    wrong = sanity(outcomes)
    left = leftovers(threads_before)
    print(f"   threads and processes left running: {', '.join(left) if left else 'none'}")
    print(f"   at {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    if wrong:
        raise AssertionError("ADMIT shown for a code that must not be admitted: " + "; ".join(wrong))
    print("   no ADMIT shown for a code that must not be admitted")
    return 1 if missed or left else 0


def plan_cases(presentations: int, hang_s: float) -> list[Case]:
    """The run's cases in order: check off (first half), server up, hanging, down, check off (second half)."""
    negatives = presentations // NEGATIVE_EVERY + 2
    cancelled = codes("CX", 5 * negatives)
    unknown = codes("UX", 5 * negatives)
    first_half = (presentations + 1) // 2
    off = "online check off"
    order = (
        (1, off, False, first_half, "first half"),
        (2, "online check on, server up (loopback)", True, presentations, ""),
        (3, f"online check on, server hanging (answers after {hang_s:g} s)", True, presentations, ""),
        (4, "online check on, server down (process stopped, port closed)", True, presentations, ""),
        (1, off, False, presentations - first_half, "second half"),
    )
    return [
        Case(number, title, online, make_plan(f"B{seed}", count, cancelled, unknown), part, seed)
        for seed, (number, title, online, count, part) in enumerate(order, start=1)
    ]


def codes_used(cases: list[Case], kind: str) -> list[str]:
    return sorted({p.text for case in cases for p in case.plan if p.kind == kind})


if __name__ == "__main__":
    raise SystemExit(main())
