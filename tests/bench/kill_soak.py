"""SIGKILL the running GUI kiosk at random moments during scans, restart it, N times; then check that
no committed event was lost, the audit chain verifies, and no door pulse came without an ADMIT event.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.bench.kill_soak --count 200

The kiosk is the assembled one, started as `kiosk -v run --simulate` is (tests/bench/kiosk_launch.py,
kiosk mode, offscreen), its simulated camera holding up one of today's booking codes every 2 s (1 s
shown, 1 s nobody; each start begins at a random code of the list, so the same codes are not shown
first each time). The door's relay is the LCUS board simulator on a pseudo-terminal
(`python -m kiosk.relay.simulator`), a process of its own that lives through every kill and logs
each switch with the time: the evidence of what the kiosk did at the door.

Each round: start the kiosk, wait for its log line "first preview frame X s after start" (the restart
time: X, from the process's start), let it scan for a random 0.3-6 s, SIGKILL it (the kiosk process
only: its decoder and sync processes are left to notice by themselves; any still there after 10 s are
killed and counted).

The evidence, from outside the kiosk:
- committed events: a reader in this process looks at the database every 0.2 s (plain sqlite3, only
  short SELECTs) and notes every scan event it sees: each was committed. At the end each must still
  be there (and nothing else is compared: an event committed just before a kill may never be seen here);
- the audit chain: `kiosk audit verify` at the end (and the head file beside the database with it);
- the door: every ON switch of the relay's door channel is matched, in time order, to an ADMIT event
  committed no later than it (the kiosk commits before it pulses); an ON switch with no such event
  is an ADMIT without an event.
Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sqlite3
import statistics
import subprocess
import threading
import time
from pathlib import Path

from tests.bench.field_kiosk import (
    FIRST_FRAME,
    PYTHON,
    REPO,
    end_orphans,
    kiosk_cli,
    kiosk_processes,
    launch,
    loadavg,
    percentile,
    prepare_kiosk,
    stop,
    wait_for,
    workspace,
)

SWITCH = re.compile(r"^\s*(\d+\.\d+)\s+channel (\d+) (ON|OFF)", re.MULTILINE)
PORT = re.compile(r'port = "([^"]+)"')
DOOR_CHANNEL = 1


class Reaper(threading.Thread):
    """The children a killed kiosk leaves (decoder, sync, multiprocessing's resource tracker) should go
    by themselves: those still there `grace_s` after the kill are killed here, and counted by role.
    In a thread of its own, so that the rounds do not wait for it."""

    def __init__(self, grace_s: float = 10.0) -> None:
        super().__init__(name="orphan-reaper", daemon=True)
        self.grace_s = grace_s
        self.counts: dict[str, int] = {}
        self._pending: list[tuple[float, dict[int, str]]] = []
        self._lock = threading.Lock()
        self._done = threading.Event()
        self.start()

    def watch(self, roles: dict[int, str]) -> None:
        with self._lock:
            self._pending.append((time.monotonic() + self.grace_s, roles))

    def run(self) -> None:
        while not self._done.wait(0.5) or self._pending:
            with self._lock:
                due = [(at, roles) for at, roles in self._pending if at <= time.monotonic()]
                self._pending = [(at, roles) for at, roles in self._pending if at > time.monotonic()]
            for _, roles in due:
                for pid in end_orphans(list(roles), grace_s=0.0):
                    self.counts[roles[pid]] = self.counts.get(roles[pid], 0) + 1
            if self._done.is_set() and self._pending:
                time.sleep(0.2)

    def finish(self) -> dict[str, int]:
        self._done.set()
        self.join()
        return self.counts


def _clock_time(text: str) -> float:
    hours, minutes = (int(part) for part in text.split(":"))
    now = dt.datetime.now(dt.UTC)
    at = now.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    return (at if at > now else at + dt.timedelta(days=1)).timestamp()


class Watcher(threading.Thread):
    """Notes every scan event the database shows, from outside the kiosk, every `every_s` seconds."""

    def __init__(self, db: Path, every_s: float = 0.2) -> None:
        super().__init__(name="event-watcher", daemon=True)
        self.db, self.every_s = db, every_s
        self.seen: dict[str, str] = {}  # event uuid -> verdict
        self.errors = 0
        self._last_id = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.every_s):
            try:
                connection = sqlite3.connect(self.db, timeout=0.5)
                try:
                    rows = connection.execute(
                        "SELECT id, event_uuid, verdict FROM scan_events WHERE id > ? ORDER BY id", (self._last_id,)
                    ).fetchall()
                finally:
                    connection.close()
            except sqlite3.Error:
                self.errors += 1
                continue
            for row_id, uuid, verdict in rows:
                self.seen[uuid] = verdict
                self._last_id = max(self._last_id, row_id)

    def stop(self) -> None:
        self._done.set()
        self.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200, help="how many kills (default 200)")
    parser.add_argument("--bookings", type=int, default=1500)
    parser.add_argument("--min-s", type=float, default=0.3, help="least scanning time before a kill")
    parser.add_argument("--max-s", type=float, default=6.0, help="most scanning time before a kill")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--stop-at", type=_clock_time, help="HH:MM (UTC): start no round after this; report then")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary folder)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with workspace(args.keep) as folder:
        relay_log = folder / "relay.log"
        with relay_log.open("ab") as out:
            relay = subprocess.Popen(
                [str(PYTHON), "-m", "kiosk.relay.simulator", "--channels", "4", "--link", str(folder / "relay")],
                stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
            )  # fmt: skip
        try:
            port = wait_for(relay_log, PORT, timeout=30)
            if port is None:
                raise SystemExit(f"the relay simulator did not start: {relay_log.read_text()}")
            files = prepare_kiosk(folder / "kiosk", bookings=args.bookings, relay_port=port.group(1))
            codes = files.codes.read_text().split()
            log = folder / "kiosk.log"
            watcher = Watcher(files.db)
            watcher.start()
            wall_minus_mono = time.time() - time.monotonic()
            restarts: list[float] = []
            waits: list[float] = []
            reaper = Reaper()
            failures = 0
            print(f"load average at start {loadavg()}", flush=True)
            for round_no in range(1, args.count + 1):
                if args.stop_at and time.time() >= args.stop_at:
                    print(f"stopped at round {round_no} of {args.count}: --stop-at reached", flush=True)
                    break
                since = log.stat().st_size if log.exists() else 0
                env = {
                    "KIOSK_BENCH_CODES": str(files.codes),
                    "KIOSK_BENCH_OFFSET": str(rng.randrange(len(codes))),
                    "KIOSK_BENCH_SHOW_S": "1.0",
                    "KIOSK_BENCH_GAP_S": "1.0",
                }
                began = time.monotonic()
                process = launch(files, log, env=env)
                found = wait_for(log, FIRST_FRAME, since=since, timeout=120, process=process)
                if found is None:
                    failures += 1
                    stop(process, kill=True)
                    tail = log.read_bytes()[since:].decode(errors="replace")[-1500:]
                    print(f"round {round_no}: no first preview frame (exit {process.returncode}):\n{tail}", flush=True)
                    continue
                restarts.append(float(found.group(1)))
                waits.append(time.monotonic() - began)
                time.sleep(rng.uniform(args.min_s, args.max_s))
                roles = {pid: role for role, pid in kiosk_processes(process.pid, log).items() if role != "kiosk"}
                stop(process, kill=True)
                reaper.watch(roles)
                if round_no % 10 == 0 or round_no == args.count:
                    print(
                        f"round {round_no}: restart {restarts[-1]:.2f} s; events seen {len(watcher.seen)}; "
                        f"load {loadavg()}",
                        flush=True,
                    )
            time.sleep(1.0)
            watcher.stop()
            orphans = reaper.finish()
            report(args, files.db, watcher, relay_log, wall_minus_mono, restarts, waits, orphans, failures)
        finally:
            stop(relay)


def report(
    args: argparse.Namespace,
    db: Path,
    watcher: Watcher,
    relay_log: Path,
    wall_minus_mono: float,
    restarts: list[float],
    waits: list[float],
    orphans: dict[str, int],
    failures: int,
) -> None:
    verify = kiosk_cli("audit", "verify", "--db", db, check=False)
    connection = sqlite3.connect(db)
    try:
        events = dict(connection.execute("SELECT event_uuid, verdict FROM scan_events").fetchall())
        admits = sorted(
            _wall(at)
            for (at,) in connection.execute(
                "SELECT occurred_at FROM scan_events WHERE verdict = 'ADMIT' AND kind = 'scan'"
            )
        )
        kinds = connection.execute("SELECT verdict, count(*) FROM scan_events GROUP BY verdict").fetchall()
    finally:
        connection.close()
    lost = sorted(set(watcher.seen) - set(events))
    changed = sorted(uuid for uuid, verdict in watcher.seen.items() if uuid in events and events[uuid] != verdict)
    pulses = sorted(
        float(at) + wall_minus_mono
        for at, channel, state in SWITCH.findall(relay_log.read_text(errors="replace"))
        if int(channel) == DOOR_CHANNEL and state == "ON"
    )
    unmatched = _unmatched_pulses(pulses, admits)
    print()
    print(f"kills: {len(restarts)} of {args.count} rounds started ({failures} starts failed); load average {loadavg()}")
    print(
        "restart to first preview frame (s): "
        f"min {min(restarts):.2f}, median {statistics.median(restarts):.2f}, p95 {percentile(restarts, 95):.2f}, "
        f"max {max(restarts):.2f}; from Popen to the log line: median {statistics.median(waits):.2f}, "
        f"max {max(waits):.2f}"
    )
    print(f"events in the database: {len(events)} ({', '.join(f'{v} {n}' for v, n in kinds)})")
    print(f"committed events seen from outside: {len(watcher.seen)}; lost: {len(lost)}; verdict changed: {len(changed)}"
          f" (watcher read errors: {watcher.errors})")  # fmt: skip
    print(f"door pulses (relay ON): {len(pulses)}; ADMIT scan events: {len(admits)}; pulses without an ADMIT event "
          f"committed before them: {len(unmatched)}")  # fmt: skip
    print(f"children still alive 10 s after a kill (then killed), by role: {orphans or 'none'}")
    print("kiosk audit verify:")
    print("  " + verify.strip().replace("\n", "\n  "))
    ok = not lost and not changed and not unmatched and "OK" in verify
    print("RESULT:", "OK" if ok else "FAILED")
    for uuid in lost[:10]:
        print("  lost:", uuid)
    for at in unmatched[:10]:
        print(f"  pulse without event at {dt.datetime.fromtimestamp(at, dt.UTC).isoformat()}")


def _wall(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()


def _unmatched_pulses(pulses: list[float], admits: list[float], slack_s: float = 0.05) -> list[float]:
    """Pulses with no ADMIT event at or before them, each event used once (both in time order)."""
    unmatched: list[float] = []
    waiting = 0  # events before the current pulse not yet matched
    i = 0
    for pulse in pulses:
        while i < len(admits) and admits[i] <= pulse + slack_s:
            waiting += 1
            i += 1
        if waiting:
            waiting -= 1
        else:
            unmatched.append(pulse)
    return unmatched


if __name__ == "__main__":
    main()
