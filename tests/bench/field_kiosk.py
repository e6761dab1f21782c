"""Field figures of issue 16 ("months without a visit"), the assembled kiosk run as `kiosk run` is:
start to first preview frame, and memory. The kill and soak runs are kill_soak.py and soak.py, on the
helpers here. Figures and how they were taken: docs/field-figures.md.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.bench.field_kiosk start --runs 15
    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.bench.field_kiosk memory --seconds 120
    ... either with --before: the decoder process started as before issue 16 (see kiosk_launch.py)

Every kiosk here is a child process started as `.venv/bin/python tests/bench/kiosk_launch.py -v run
--simulate --db ...` (the console script's way, with its main module) under QT_QPA_PLATFORM=offscreen, in
kiosk mode with one guard, on its own database in a temporary folder; without KIOSK_BENCH_CODES its
simulated camera shows nobody, as `kiosk run --simulate` does. The kiosk logs "first preview frame X s
after start" itself (kiosk/workers/scan.py); "start" is the process's start as the kernel noted it.
Every figure is printed with the load average beside it: this machine has 2 CPUs, shared.
Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import re
import signal
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYTHON = REPO / ".venv" / "bin" / "python"
KIOSK = REPO / ".venv" / "bin" / "kiosk"
LAUNCH = REPO / "tests" / "bench" / "kiosk_launch.py"
FIRST_FRAME = re.compile(r"first preview frame (\d+\.\d+) s after start")
DECODER_PID = re.compile(r"QR decoding in process (\d+)")
OFFICE, ZONE, GATE = "DPS", "WITA", "G1"
GUARD, PIN = "Sari", "731905"


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def kiosk_cli(*args: str | Path, check: bool = True, stdin: str | None = None) -> str:
    done = subprocess.run(
        [str(KIOSK), *map(str, args)], input=stdin, capture_output=True, text=True, check=False, cwd=REPO
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"kiosk {' '.join(map(str, args))}: {done.returncode}\n{done.stdout}{done.stderr}")
    return done.stdout + done.stderr


@dataclass
class KioskFiles:
    folder: Path
    db: Path
    codes: Path  # one booking code a line, in a shuffled order
    config: Path


def compile_bytecode() -> None:
    """The kiosk's modules compiled once, as the frozen bundle carries them (and a pip install writes
    them): a source checkout under PYTHONDONTWRITEBYTECODE=1 (this machine's environment) would
    otherwise compile all ~240 of them at every start, 0.3 s of the start measured with cProfile."""
    subprocess.run([str(PYTHON), "-m", "compileall", "-q", str(REPO / "kiosk"), str(LAUNCH)], check=True)


def prepare_kiosk(
    folder: Path, *, bookings: int = 400, relay_port: str | None = None, seed: int = 16, local_import: bool = True
) -> KioskFiles:
    """A kiosk database with an office (entry open all of today), a guard and today's bookings
    (`kiosk demo-data`: mostly regular, some priority, unpaid, cancelled...), and a kiosk.toml."""
    folder.mkdir(parents=True, exist_ok=True)
    compile_bytecode()
    db = folder / "kiosk.db"
    kiosk_cli("setup", "--db", db, "--office", OFFICE, "--zone", ZONE, "--gate", GATE,
              "--early-minutes", "900", "--late-minutes", "900", "--allow-later-same-day")  # fmt: skip
    kiosk_cli("guard", "add", GUARD, "--pin-stdin", "--db", db, stdin=PIN + "\n")
    data = folder / "demo-data"
    kiosk_cli(
        "demo-data", "--office", OFFICE, "--zone", ZONE, "--out", data, "--count", str(bookings), "--seed", str(seed)
    )
    if local_import:
        kiosk_cli("import", data / "bookings.csv", "--db", db, check=False)  # a refused row is fine here
    with (data / "bookings.csv").open(newline="") as file:
        codes = [row["code"] for row in csv.DictReader(file)]
    import random

    random.Random(seed).shuffle(codes)
    codes_file = folder / "codes.txt"
    codes_file.write_text("\n".join(codes) + "\n")
    config = folder / "kiosk.toml"
    text = f'[database]\npath = "{db}"\n'
    if relay_port is not None:
        text += f'\n[relay]\ndriver = "lcus"\nport = "{relay_port}"\nhold_ms = 300\n'
    config.write_text(text)
    return KioskFiles(folder, db, codes_file, config)


def launch(
    files: KioskFiles,
    log: Path,
    *,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
) -> subprocess.Popen[bytes]:
    """`kiosk -v run --simulate` on `files`, its log (stderr and stdout) appended to `log`."""
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(PYTHON), str(LAUNCH), "-v", "--config", str(files.config), "run", "--simulate",
             "--db", str(files.db), *args],
            stdout=out, stderr=subprocess.STDOUT, env=full_env, cwd=REPO,
        )  # fmt: skip


def wait_for(log: Path, pattern: re.Pattern[str], *, since: int = 0, timeout: float = 60.0,
             process: subprocess.Popen[bytes] | None = None) -> re.Match[str] | None:  # fmt: skip
    """The first match of `pattern` in `log` after byte `since`, waiting up to `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with log.open("rb") as file:
            file.seek(since)
            found = pattern.search(file.read().decode(errors="replace"))
        if found:
            return found
        if process is not None and process.poll() is not None:
            return None
        time.sleep(0.05)
    return None


# --- /proc -------------------------------------------------------------------------------------------


def smaps(pid: int) -> dict[str, float]:
    """Rss and Pss (and their anonymous part) in MB, from /proc/PID/smaps_rollup."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("Rss", "Pss", "Pss_Anon", "Pss_File"):
            out[key] = int(rest.split()[0]) / 1024
    return out


def threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                found += [int(p) for p in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return found


def cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return ""


def kiosk_processes(pid: int, log: Path) -> dict[str, int]:
    """The kiosk's processes by role: kiosk, decoder (from its log line), sync, resource tracker."""
    roles = {"kiosk": pid}
    found = DECODER_PID.findall(log.read_text(errors="replace"))
    decoder = int(found[-1]) if found else None
    for child in children(pid):
        if child == decoder:
            roles["decoder"] = child
        elif "resource_tracker" in cmdline(child):
            roles["tracker"] = child
        else:
            roles["sync"] = child
    return roles


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def stop(process: subprocess.Popen[bytes], *, kill: bool = False, timeout: float = 15.0) -> None:
    """SIGTERM (the kiosk quits cleanly) or SIGKILL, and wait for it."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


def end_orphans(pids: Sequence[int], grace_s: float = 3.0) -> list[int]:
    """Children a killed kiosk left: wait for them to go by themselves, then kill them. Those that
    were still there after the grace period."""
    deadline = time.monotonic() + grace_s
    left = list(pids)
    while left and time.monotonic() < deadline:
        left = [p for p in left if _alive(p)]
        time.sleep(0.05)
    left = [p for p in left if _alive(p)]
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return left


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@contextlib.contextmanager
def workspace(keep: str | None) -> Iterator[Path]:
    if keep:
        path = Path(keep)
        path.mkdir(parents=True, exist_ok=True)
        yield path
    else:
        with tempfile.TemporaryDirectory(prefix="kiosk-field-") as folder:
            yield Path(folder)


# --- start to first preview frame ------------------------------------------------------------------


def bench_start(args: argparse.Namespace) -> None:
    env = {"KIOSK_BENCH_SPAWN_MAIN": "1"} if args.before else {}
    with workspace(args.keep) as folder:
        files = prepare_kiosk(folder / "kiosk", bookings=40)
        log = folder / "start.log"
        figures: list[float] = []
        loads: list[str] = []
        for run in range(args.runs):
            since = log.stat().st_size if log.exists() else 0
            loads.append(loadavg())
            process = launch(files, log, env=env)
            found = wait_for(log, FIRST_FRAME, since=since, timeout=120, process=process)
            stop(process)
            if found is None:
                print(f"run {run + 1}: no first preview frame (exit {process.returncode})")
                continue
            figures.append(float(found.group(1)))
            print(f"run {run + 1}: first preview frame {figures[-1]:.2f} s after start (load {loads[-1]})", flush=True)
            time.sleep(args.pause)
        if figures:
            print(
                f"start to first preview frame, {len(figures)} starts{' (before)' if args.before else ''}: "
                f"min {min(figures):.2f}, median {statistics.median(figures):.2f}, "
                f"p95 {percentile(figures, 95):.2f}, max {max(figures):.2f} s; "
                f"load average {loads[0]} .. {loadavg()}"
            )


# --- memory ------------------------------------------------------------------------------------------


def bench_memory(args: argparse.Namespace) -> None:
    env: dict[str, str] = {"KIOSK_BENCH_SPAWN_MAIN": "1"} if args.before else {}
    with workspace(args.keep) as folder:
        files = prepare_kiosk(folder / "kiosk", bookings=400)
        if args.scans:
            env |= {"KIOSK_BENCH_CODES": str(files.codes), "KIOSK_BENCH_SHOW_S": "1.0", "KIOSK_BENCH_GAP_S": "1.0"}
        log = folder / "memory.log"
        process = launch(files, log, env=env)
        try:
            if wait_for(log, FIRST_FRAME, timeout=120, process=process) is None:
                raise SystemExit(f"the kiosk did not start: {log.read_text()[-2000:]}")
            started = time.monotonic()
            while time.monotonic() - started < args.seconds:
                time.sleep(min(args.every, args.seconds))
                roles = kiosk_processes(process.pid, log)
                parts = []
                total_pss = total_rss = 0.0
                for role in ("kiosk", "decoder", "sync"):
                    if role in roles:
                        mem = smaps(roles[role])
                        parts.append(f"{role} PSS {mem['Pss']:.1f} RSS {mem['Rss']:.1f}")
                        if role in ("kiosk", "decoder"):
                            total_pss += mem["Pss"]
                            total_rss += mem["Rss"]
                print(
                    f"{time.monotonic() - started:6.0f} s: {'; '.join(parts)}; kiosk+decoder PSS {total_pss:.1f} "
                    f"RSS {total_rss:.1f} MB (load {loadavg()})",
                    flush=True,
                )
        finally:
            stop(process)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start to first preview frame, over several starts")
    start.add_argument("--runs", type=int, default=15)
    start.add_argument("--pause", type=float, default=2.0, help="seconds between a stop and the next start")
    memory = commands.add_parser("memory", help="kiosk and decoder process memory, steady state")
    memory.add_argument("--seconds", type=float, default=120.0)
    memory.add_argument("--every", type=float, default=30.0)
    memory.add_argument("--scans", action="store_true", help="the camera shows a code every 2 s")
    for sub in (start, memory):
        sub.add_argument("--before", action="store_true", help="the decoder process as before issue 16")
        sub.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    {"start": bench_start, "memory": bench_memory}[args.command](args)


if __name__ == "__main__":
    main()
