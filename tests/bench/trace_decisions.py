"""Where the decisions taken during a sync lose time, from a kernel scheduler trace of a bench_sync run.

As root, with tracefs mounted (``mount -t tracefs nodev /sys/kernel/tracing``)::

    cd /sys/kernel/tracing && echo 65536 > buffer_size_kb && echo 1 > options/record-tgid
    echo 'sched:sched_switch sched:sched_wakeup ext4:ext4_sync_file_enter ext4:ext4_sync_file_exit' > set_event
    echo > trace && echo 1 > tracing_on
    python -m tests.bench.bench_sync --trace-marks /sys/kernel/tracing/trace_marker &
    sleep 15; ps -eo pid,args > /tmp/ps.txt; wait         # who is who, while the run lasts
    echo 0 > tracing_on; cat trace > /tmp/trace.txt
    python -m tests.bench.trace_decisions /tmp/trace.txt /tmp/ps.txt

For every decision that overlapped a sync it finds the stretches in which the deciding thread could
have run but did not (preempted, or woken and not yet on a CPU) and says what the CPUs ran meanwhile,
by process (bench, server, sync, kernel threads, or nothing: a CPU idle while the thread waited is the
wake-up latency of a virtual CPU); and how long the decision's own flush (the commit's fsync) took
when another process was flushing a file at the same time, and when not.
"""

from __future__ import annotations

import argparse
import bisect
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

_LINE = re.compile(
    r"^\s*(?P<comm>.+?)-(?P<pid>\d+)\s+\(\s*(?P<tgid>\S+)\)\s+\[(?P<cpu>\d+)\]\s+\S+\s+(?P<t>[\d.]+):"
    r"\s+(?P<kind>\w+):\s+(?P<rest>.*)$"
)
_SWITCH = re.compile(r"prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)")
_WAKEUP = re.compile(r"pid=(\d+) ")


@dataclass(frozen=True)
class Event:
    t: float
    cpu: int
    pid: int
    tgid: str
    kind: str
    rest: str


def read_trace(path: Path) -> list[Event]:
    events = []
    for line in path.read_text(errors="replace").splitlines():
        m = _LINE.match(line)
        if m:
            events.append(Event(float(m["t"]), int(m["cpu"]), int(m["pid"]), m["tgid"], m["kind"], m["rest"]))
    return events


def process_names(ps_path: Path | None) -> dict[str, str]:
    """tgid -> bench / server / sync, from `ps -eo pid,args` taken during the run."""
    names: dict[str, str] = {}
    if ps_path is None:
        return names
    for line in ps_path.read_text().splitlines():
        pid, _, args = line.strip().partition(" ")
        if "bench_sync" in args:
            names[pid] = "bench (the deciding process)"
        elif "kiosk.server" in args:
            names[pid] = "reference server"
        elif "spawn_main" in args:
            names[pid] = "sync process"
    return names


def decisions_and_syncs(events: list[Event]) -> tuple[list[tuple[float, float, int]], list[tuple[float, float]]]:
    decisions, syncs = [], []
    started: tuple[float, int] | None = None
    sync_started = 0.0
    for e in events:
        if e.kind != "tracing_mark_write":
            continue
        if e.rest.startswith("dec-start"):
            started = (e.t, int(e.rest.split()[1]))
        elif e.rest.startswith("dec-end") and started is not None:
            decisions.append((started[0], e.t, started[1]))
            started = None
        elif e.rest.startswith("sync-start"):
            sync_started = e.t
        elif e.rest.startswith("sync-end"):
            syncs.append((sync_started, e.t))
    return decisions, syncs


def waiting_stretches(events: list[Event], start: float, end: float, thread: int) -> list[tuple[float, float]]:
    """When `thread` was runnable but not on a CPU between start and end."""
    stretches = []
    state, since = "running", start
    for e in events:
        if e.kind == "sched_wakeup":
            m = _WAKEUP.search(e.rest)
            if m and int(m[1]) == thread and state == "asleep":
                state, since = "woken", e.t
        elif e.kind == "sched_switch":
            m = _SWITCH.search(e.rest)
            if m is None:
                continue
            prev, prev_state, nxt = int(m[1]), m[2], int(m[4])
            if prev == thread:
                state, since = ("preempted" if prev_state.startswith("R") else "asleep"), e.t
            elif nxt == thread:
                if state in ("preempted", "woken"):
                    stretches.append((since, e.t))
                state = "running"
    return stretches


def cpu_holders(
    window: list[Event], stretches: list[tuple[float, float]], names: dict[str, str], tgids: dict[int, str]
) -> Counter[str]:
    """Seconds of CPU time each process (by name) had during `stretches`, from the switches in `window`."""
    held: Counter[str] = Counter()
    on_cpu: dict[int, tuple[int, str, float]] = {}
    for e in window:
        m = _SWITCH.search(e.rest) if e.kind == "sched_switch" else None
        if m is None:
            continue
        if e.cpu in on_cpu:
            pid, comm, since = on_cpu[e.cpu]
            for a, b in stretches:
                overlap = min(b, e.t) - max(a, since)
                if overlap > 0:
                    who = "nothing (CPU idle)" if pid == 0 else names.get(tgids.get(pid, "?"), f"other: {comm}")
                    held[who] += overlap
        on_cpu[e.cpu] = (int(m[4]), m[3], e.t)
    return held


def flush_spans(events: list[Event]) -> dict[int, list[tuple[float, float]]]:
    """thread -> [(start, end)] of each fsync it made (ext4_sync_file_enter .. _exit)."""
    spans: dict[int, list[tuple[float, float]]] = {}
    open_at: dict[int, float] = {}
    for e in events:
        if e.kind == "ext4_sync_file_enter":
            open_at[e.pid] = e.t
        elif e.kind == "ext4_sync_file_exit" and e.pid in open_at:
            spans.setdefault(e.pid, []).append((open_at.pop(e.pid), e.t))
    return spans


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace", type=Path)
    parser.add_argument("ps", type=Path, nargs="?")
    args = parser.parse_args(argv)
    events = read_trace(args.trace)
    names = process_names(args.ps)
    times = [e.t for e in events]
    decisions, syncs = decisions_and_syncs(events)
    during = [d for d in decisions if any(a < d[1] and d[0] < b for a, b in syncs)]
    if not during:
        print("no decision overlapped a sync: was the run traced with --trace-marks?")
        return 1
    held: Counter[str] = Counter()
    waited = 0.0
    own_flush: dict[bool, list[float]] = {True: [], False: []}
    flushing = flush_spans(events)
    tgids = {e.pid: e.tgid for e in events}
    for start, end, thread in during:
        window = events[bisect.bisect_left(times, start - 0.05) : bisect.bisect_right(times, end)]
        inside = [e for e in window if e.t >= start]
        stretches = waiting_stretches(inside, start, end, thread)
        waited += sum(b - a for a, b in stretches)
        for a, b in flushing.get(thread, []):
            if start <= a <= end:
                shared = any(x < b and a < y for pid, spans in flushing.items() if pid != thread for x, y in spans)
                own_flush[shared].append((b - a) * 1000)
        held.update(cpu_holders(window, stretches, names, tgids))
    cpus = len({e.cpu for e in events})
    print(f"{len(during)} decisions overlapped a sync; {len(decisions)} in the trace")
    print(f"time the deciding thread could have run but did not: {waited * 1000:.1f} ms in all")
    print(f"what the {cpus} CPUs ran meanwhile (ms, CPU time / {cpus}):")
    for who, seconds in held.most_common(10):
        print(f"   {seconds * 1000 / cpus:8.1f}  {who}")
    for shared, label in ((False, "alone"), (True, "while another process flushed too")):
        values = sorted(own_flush[shared])
        if values:
            p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
            print(
                f"the decision's own fsync, {label}: n={len(values)}, median {values[len(values) // 2]:.2f} ms,"
                f" p95 {p95:.2f} ms, max {values[-1]:.1f} ms"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
