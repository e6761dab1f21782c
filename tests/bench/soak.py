"""A soak of the assembled kiosk: scans, syncs against a real server on loopback, the server restarted
on a schedule; RSS, file descriptors, threads, and the database and WAL sizes sampled throughout.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.bench.soak --minutes 30 --scale 3

The field day it stands for: a code held up every 2 s, a sync every 5 s, the server restarted every
10 minutes. `--scale K` compresses time K times: a code every 2/K s (shown 1/K s, then 1/K s of
nobody), a sync every 5/K s, a server restart every 600/K s; so `--minutes M` stands for M*K minutes
of that day. (Scans cannot be compressed much: a code must be in view for a few frames and the door
debounces; at K=3 the kiosk decides about 1.5 codes a second.)

The kiosk is started as `kiosk -v run --simulate` is (tests/bench/kiosk_launch.py: kiosk mode,
offscreen), enrolled at the server (`kiosk sync enrol`), with the online check on (each scan asks the
server first, within its 300 ms budget); its camera shows the office's booking codes in turn
(`kiosk demo-data`, 3,000 of today's bookings imported at the server, which the kiosk's first sync
fetches). The server is `kiosk server run` on SQLite, stopped (SIGTERM) and started again on schedule.

Sampled every `--every` seconds, printed as one line each: the kiosk process's RSS and PSS
(/proc/PID/smaps_rollup), its open file descriptors and threads, the decoder and sync processes' RSS,
and the sizes of kiosk.db, kiosk.db-wal, kiosk.bookings.db and kiosk.bookings.db-wal; with the events
in the database and the load average. The summary compares start (after `--warmup` s), middle and end.
Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import argparse
import csv
import re
import socket
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.bench.field_kiosk import (
    FIRST_FRAME,
    KIOSK,
    OFFICE,
    REPO,
    ZONE,
    KioskFiles,
    fds,
    kiosk_cli,
    kiosk_processes,
    launch,
    loadavg,
    prepare_kiosk,
    smaps,
    stop,
    threads,
    wait_for,
    workspace,
)

TOKEN = re.compile(r"\b([A-Za-z0-9_\-]{20,})\b")
DAY_CODE_S, DAY_SYNC_S, DAY_RESTART_S = 2.0, 5.0, 600.0


@dataclass
class Sample:
    t: float
    rss: float
    pss: float
    fds: int
    threads: int
    decoder_rss: float
    sync_rss: float
    files: dict[str, int]
    events: int
    load: str

    def line(self) -> str:
        sizes = ", ".join(f"{name} {size / 1024:.0f} KB" for name, size in self.files.items())
        return (
            f"{self.t / 60:6.1f} min: kiosk RSS {self.rss:.1f} PSS {self.pss:.1f} MB, fds {self.fds}, threads "
            f"{self.threads}; decoder RSS {self.decoder_rss:.1f}, sync RSS {self.sync_rss:.1f} MB; {sizes}; "
            f"events {self.events}; load {self.load}"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_cli(db_url: str, *args: str) -> str:
    done = subprocess.run(
        [str(KIOSK), "server", "--db", db_url, *args], capture_output=True, text=True, check=False, cwd=REPO
    )
    if done.returncode != 0:
        raise RuntimeError(f"kiosk server {' '.join(args)}: {done.stdout}{done.stderr}")
    return done.stdout


def start_server(db_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(KIOSK), "server", "--db", db_url, "run", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.1)
    raise SystemExit(f"the server did not start: {log.read_text()[-2000:]}")


def server_bookings(files: KioskFiles) -> Path:
    """`kiosk demo-data`'s CSV with the server's column names (office_code, display_name)."""
    source = files.folder / "demo-data" / "bookings.csv"
    target = files.folder / "demo-data" / "server-bookings.csv"
    with source.open(newline="") as file:
        rows = [row for row in csv.DictReader(file) if row["office"] == OFFICE]  # the server knows one office
    renamed = [{"office": "office_code", "name": "display_name"}.get(k, k) for k in rows[0]]
    with target.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(renamed)
        writer.writerows([list(row.values()) for row in rows])
    return target


def prepare(folder: Path, port: int, bookings: int) -> tuple[KioskFiles, str]:
    files = prepare_kiosk(folder / "kiosk", bookings=bookings, local_import=False)  # the sync brings them
    db_url = f"sqlite:///{folder / 'server.db'}"
    server_cli(db_url, "init")
    rules = '{"early_minutes": 900, "late_minutes": 900, "allow_later_same_day": true}'
    server_cli(db_url, "office", "add", OFFICE, "--zone", ZONE, "--rules", rules)
    server_cli(db_url, "import", str(server_bookings(files)))
    enrolment = server_cli(db_url, "enrol", "--office", OFFICE, "--gate", "G1")
    token = max(TOKEN.findall(enrolment), key=len)
    return files, db_url + "|" + token


def sample(t: float, process: subprocess.Popen[bytes], log: Path, files: KioskFiles) -> Sample:
    roles = kiosk_processes(process.pid, log)
    mem = smaps(process.pid)
    sizes = {}
    for name in ("kiosk.db", "kiosk.db-wal", "kiosk.bookings.db", "kiosk.bookings.db-wal"):
        path = files.db.parent / name
        sizes[name] = path.stat().st_size if path.exists() else 0
    connection = sqlite3.connect(files.db, timeout=1.0)
    try:
        events = int(connection.execute("SELECT count(*) FROM scan_events").fetchone()[0])
    finally:
        connection.close()
    return Sample(
        t,
        mem["Rss"],
        mem["Pss"],
        fds(process.pid),
        threads(process.pid),
        smaps(roles["decoder"])["Rss"] if "decoder" in roles else 0.0,
        smaps(roles["sync"])["Rss"] if "sync" in roles else 0.0,
        sizes,
        events,
        loadavg(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0, help="wall-clock length of the run")
    parser.add_argument("--scale", type=float, default=3.0, help="how many times faster than the field day")
    parser.add_argument("--every", type=float, default=30.0, help="seconds between samples")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before the first sample counts")
    parser.add_argument("--bookings", type=int, default=3000)
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary folder)")
    parser.add_argument("--tracemalloc", type=Path, metavar="FILE", help="the kiosk traces its allocations to FILE")
    args = parser.parse_args()
    code_s, sync_s, restart_s = DAY_CODE_S / args.scale, DAY_SYNC_S / args.scale, DAY_RESTART_S / args.scale
    print(
        f"soak: {args.minutes:g} min wall at {args.scale:g}x = {args.minutes * args.scale / 60:.2f} h of the field "
        f"day; a code every {code_s:.2f} s, a sync every {sync_s:.2f} s, the server restarted every {restart_s:.0f} s",
        flush=True,
    )
    with workspace(args.keep) as folder:
        port = free_port()
        files, server = prepare(folder, port, args.bookings)
        db_url, token = server.split("|")
        server_log = folder / "server.log"
        server_process = start_server(db_url, port, server_log)
        kiosk_cli("sync", "enrol", "--db", files.db, "--server", f"http://127.0.0.1:{port}", "--token", token,
                  "--gate", "G1")  # fmt: skip
        log = folder / "kiosk.log"
        env = {
            "KIOSK_BENCH_CODES": str(files.codes),
            "KIOSK_BENCH_SHOW_S": f"{code_s / 2:.3f}",
            "KIOSK_BENCH_GAP_S": f"{code_s / 2:.3f}",
            "KIOSK_BENCH_SYNC_S": f"{sync_s:.3f}",
        }
        if args.tracemalloc:
            env["KIOSK_BENCH_TRACEMALLOC"] = str(args.tracemalloc.resolve())
        process = launch(files, log, env=env)
        samples: list[Sample] = []
        restarts = 0
        try:
            if wait_for(log, FIRST_FRAME, timeout=120, process=process) is None:
                raise SystemExit(f"the kiosk did not start: {log.read_text()[-3000:]}")
            started = time.monotonic()
            next_sample, next_restart = started + args.warmup, started + restart_s
            end = started + args.minutes * 60
            while time.monotonic() < end:
                if process.poll() is not None:
                    raise SystemExit(f"the kiosk ended ({process.returncode}): {log.read_text()[-3000:]}")
                now = time.monotonic()
                if now >= next_restart:
                    stop(server_process)
                    server_process = start_server(db_url, port, server_log)
                    restarts += 1
                    next_restart = now + restart_s
                if now >= next_sample:
                    samples.append(sample(now - started, process, log, files))
                    print(samples[-1].line(), flush=True)
                    next_sample = now + args.every
                time.sleep(0.2)
            samples.append(sample(time.monotonic() - started, process, log, files))
            print(samples[-1].line(), flush=True)
        finally:
            stop(process)
            stop(server_process)
        summary(samples, restarts, log, files)


def _file_kb(name: str) -> Callable[[Sample], str]:
    return lambda s: f"{s.files[name] / 1024:.0f}"


def summary(samples: list[Sample], restarts: int, log: Path, files: KioskFiles) -> None:
    if len(samples) < 3:
        print("too short for a summary")
        return
    first, middle, last = samples[0], samples[len(samples) // 2], samples[-1]
    print()
    print(f"server restarts: {restarts}; events recorded: {last.events - first.events} from the first sample to "
          f"the last ({last.events} in all)")  # fmt: skip
    rows: list[tuple[str, Callable[[Sample], str]]] = [
        ("kiosk RSS MB", lambda s: f"{s.rss:.1f}"),
        ("kiosk PSS MB", lambda s: f"{s.pss:.1f}"),
        ("file descriptors", lambda s: str(s.fds)),
        ("threads", lambda s: str(s.threads)),
        ("decoder RSS MB", lambda s: f"{s.decoder_rss:.1f}"),
        ("sync RSS MB", lambda s: f"{s.sync_rss:.1f}"),
        *[(f"{name} KB", _file_kb(name)) for name in first.files],
        ("events", lambda s: str(s.events)),
        ("load average", lambda s: s.load),
    ]
    print(
        f"| | start ({first.t / 60:.1f} min) | middle ({middle.t / 60:.1f} min) | end ({last.t / 60:.1f} min) | max |"
    )
    print("|---|---|---|---|---|")
    maxima = {
        "kiosk RSS MB": f"{max(s.rss for s in samples):.1f}",
        "kiosk PSS MB": f"{max(s.pss for s in samples):.1f}",
        "file descriptors": str(max(s.fds for s in samples)),
        "threads": str(max(s.threads for s in samples)),
        "decoder RSS MB": f"{max(s.decoder_rss for s in samples):.1f}",
        "sync RSS MB": f"{max(s.sync_rss for s in samples):.1f}",
        **{f"{n} KB": f"{max(s.files[n] for s in samples) / 1024:.0f}" for n in first.files},
    }
    for name, value in rows:
        print(f"| {name} | {value(first)} | {value(middle)} | {value(last)} | {maxima.get(name, '')} |")
    text = log.read_text(errors="replace")
    warnings = [line for line in text.splitlines() if ": warning:" in line or ": error:" in line]
    print(f"kiosk log: {len(warnings)} warning/error lines; last ones:")
    for line in warnings[-8:]:
        print("  " + line[:200])
    print("kiosk audit verify:", kiosk_cli("audit", "verify", "--db", files.db, check=False).splitlines()[0])


if __name__ == "__main__":
    main()
