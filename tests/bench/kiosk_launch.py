"""`kiosk run` as the console script runs it, for the field benchmarks (tests/bench/field_kiosk.py,
kill_soak.py, soak.py). This file is the main module, as `.venv/bin/kiosk` is for a real kiosk: what
multiprocessing's "spawn" would import again in a child is a file like this one.

    .venv/bin/python tests/bench/kiosk_launch.py -v run --simulate --db kiosk.db

The arguments are the `kiosk` command's. Environment variables change three things, nothing else:

- KIOSK_BENCH_CODES=FILE (one code a line), KIOSK_BENCH_SHOW_S, KIOSK_BENCH_GAP_S, KIOSK_BENCH_OFFSET:
  `--simulate`'s camera (which shows nobody) is replaced by one that holds up the codes in turn,
  each for SHOW_S seconds with GAP_S seconds of nobody in between, starting at code OFFSET, looping;
- KIOSK_BENCH_SYNC_S: the sync's interval in seconds (`kiosk run` syncs every 60 s; no setting for it);
- KIOSK_BENCH_SPAWN_MAIN=1: the decoder process is started as before issue 16 (spawn imports this
  main module, and with it the whole command line, in the child; and it starts only when the scan
  worker is built, not before the windows): for "before" figures.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from kiosk.cli import main  # as the console script: the whole command line is imported here


def _scripted_camera() -> None:
    codes_file = os.environ.get("KIOSK_BENCH_CODES")
    if not codes_file:
        return
    import kiosk.app
    from kiosk.vision.simcam import Scene, SimulatedCamera, empty

    codes = [line.strip() for line in Path(codes_file).read_text().splitlines() if line.strip()]
    offset = int(os.environ.get("KIOSK_BENCH_OFFSET", "0")) % len(codes)
    show_s = float(os.environ.get("KIOSK_BENCH_SHOW_S", "1.0"))
    gap_s = float(os.environ.get("KIOSK_BENCH_GAP_S", "1.0"))
    script: list[Scene] = [empty(gap_s)]
    for code in codes[offset:] + codes[:offset]:
        script += [Scene(show_s, codes=(code,), size=0.5), empty(gap_s)]

    def camera(_script: object, width: int, height: int) -> SimulatedCamera:
        return SimulatedCamera(script, width, height, loop=True)

    setattr(kiosk.app, "SimulatedCamera", camera)  # noqa: B010 - replacing what run_kiosk() looks up


def _sync_interval() -> None:
    interval = os.environ.get("KIOSK_BENCH_SYNC_S")
    if interval:
        import kiosk.app

        defaults = kiosk.app.run_kiosk.__kwdefaults__
        assert defaults is not None and "sync_interval_s" in defaults
        defaults["sync_interval_s"] = float(interval)


def _trace_memory() -> None:
    """KIOSK_BENCH_TRACEMALLOC=FILE: every 60 s, the 25 places whose Python allocations grew most since
    the first minute, written to FILE (a diagnosis aid for the soak; slows the kiosk down)."""
    target = os.environ.get("KIOSK_BENCH_TRACEMALLOC")
    if not target:
        return
    import threading
    import time
    import tracemalloc

    tracemalloc.start(8)

    def watch() -> None:
        time.sleep(60)
        base = tracemalloc.take_snapshot()
        while True:
            time.sleep(60)
            top = tracemalloc.take_snapshot().compare_to(base, "traceback")[:25]
            lines = [f"--- {time.strftime('%H:%M:%S')} traced {tracemalloc.get_traced_memory()[0] / 2**20:.1f} MB"]
            for stat in top:
                lines += [f"{stat.size_diff / 1024:+.0f} KB {stat.count_diff:+d}", *stat.traceback.format()[-6:]]
            with open(target, "a", encoding="utf-8") as out:
                out.write("\n".join(lines) + "\n")

    threading.Thread(target=watch, name="bench-tracemalloc", daemon=True).start()


def _spawn_main_as_before() -> None:
    if os.environ.get("KIOSK_BENCH_SPAWN_MAIN") != "1":
        return
    import kiosk.app
    from kiosk.runtime import supervisor

    supervisor.bare_main = contextlib.nullcontext  # type: ignore[assignment]
    setattr(kiosk.app, "prestart", lambda *args, **kwargs: None)  # noqa: B010 - the decoder started in assemble()


if __name__ == "__main__":
    _scripted_camera()
    _sync_interval()
    _trace_memory()
    _spawn_main_as_before()
    sys.argv[0] = "kiosk"
    sys.exit(main(sys.argv[1:]))
