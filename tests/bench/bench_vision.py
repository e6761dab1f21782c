"""Vision benchmark: decode rates, cost per frame, latency beside a naive loop, and idle CPU.

    .venv/bin/python tests/bench/bench_vision.py            # the full run (about six minutes on 2 cores)
    .venv/bin/python tests/bench/bench_vision.py --quick    # fewer presentations and shorter idle runs
    .venv/bin/python tests/bench/bench_vision.py --record   # also re-record the accuracy test's figure

Not collected by pytest. Timings are measured here, never asserted in unit tests. The "unseen" set is
synthetic: codes rendered by the simulated camera with random payloads, media, tilt, blur, glare,
contrast and JPEG compression, from a seed the pipeline was never tuned on.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import statistics
import string
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import cv2
import numpy as np
from PySide6.QtCore import QCoreApplication, QTimer

from kiosk.vision.decoders import DecodedCode, Decoder, backend_status, make_decoder
from kiosk.vision.frames import Frame, Image, as_image
from kiosk.vision.gate import IdleGate
from kiosk.vision.imaging import to_gray
from kiosk.vision.isolated import IsolatedPipeline
from kiosk.vision.pipeline import ScanPipeline
from kiosk.vision.scanner import CodeSeen, ScanSettings
from kiosk.vision.simcam import Scene, SimulatedCamera, empty
from kiosk.workers.scan import ScanWorker
from tests.bench.blackbox import BLACKBOX, Case, Tally, evaluate, load_cases, matches

RECORDED = Path(__file__).resolve().parents[1] / "vision" / "blackbox_recorded.json"
Decode = Callable[[Image], Sequence[DecodedCode]]


# --- small helpers --------------------------------------------------------------------------------


def pct(read: int, total: int) -> str:
    return f"{read}/{total} ({100 * read / total:.1f}%)" if total else "-"


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    widths = [max(len(str(x)) for x in [h, *(r[i] for r in rows)]) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  " + "  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  " + "  ".join("-" * w for w in widths))
    for row in rows:
        print("  " + "  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def decoders() -> dict[str, Decode]:
    zxing, zbar = make_decoder("zxing"), make_decoder("zbar")
    pipe_zxing, pipe_zbar = ScanPipeline(zxing), ScanPipeline(zbar)
    return {
        "zxing-cpp alone": zxing.decode,
        "pyzbar alone": zbar.decode,
        "pipeline (zxing)": lambda image: pipe_zxing.decode(image).codes,
        "pipeline (zbar)": lambda image: pipe_zbar.decode(image).codes,
    }


# --- 1. the black-box images -------------------------------------------------------------------------


def blackbox_rates(record: bool) -> dict[str, Tally]:
    cases = load_cases()
    tallies = {name: evaluate(decode, cases) for name, decode in decoders().items()}
    names = list(tallies)
    folders = tallies[names[0]].folders
    rows = [[folder, *(pct(*tallies[n].count(True, folder)) for n in names)] for folder in folders]
    rows.append(["ALL ASCII", *(pct(*tallies[n].count(True)) for n in names)])
    rows.append(["non-ASCII", *(pct(*tallies[n].count(False)) for n in names)])
    rows.append(["everything", *(pct(*tallies[n].count()) for n in names)])
    table(
        f"1. Black-box images ({len(cases)} images x 4 rotations; ASCII payloads, per folder)", ["folder", *names], rows
    )
    if record:
        read, total = tallies["pipeline (zxing)"].count(True)
        all_read, all_total = tallies["pipeline (zxing)"].count()
        RECORDED.write_text(
            json.dumps(
                {
                    "note": "ScanPipeline(zxing) on ../shared/testdata/qr-blackbox, 0/90/180/270 degrees; "
                    "re-record with tests/bench/bench_vision.py --record",
                    "ascii_read": read,
                    "ascii_cases": total,
                    "all_read": all_read,
                    "all_cases": all_total,
                },
                indent=2,
            )
            + "\n"
        )
        print(f"  recorded {read}/{total} in {RECORDED.relative_to(RECORDED.parents[2])}")
    return tallies


# --- 2. codes never seen -----------------------------------------------------------------------------------


def random_payload(rng: random.Random) -> str:
    kind = rng.random()
    alnum = string.ascii_uppercase + string.digits
    if kind < 0.5:
        return "-".join("".join(rng.choice(alnum) for _ in range(4)) for _ in range(rng.randint(2, 4)))
    if kind < 0.8:
        return "https://m-paspor.imigrasi.go.id/b/" + "".join(rng.choice(string.ascii_letters) for _ in range(40))
    return "KS1." + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(rng.randint(60, 160)))


@dataclass(frozen=True)
class Conditions:
    """Ranges for random stills: how big, tilted, blurred, dim, glary and compressed codes may be."""

    size: tuple[float, float]
    tilt: float
    yaw: float
    blur: tuple[float, ...]
    glare: tuple[float, ...]
    contrast: tuple[float, ...]
    jpeg: tuple[int | None, ...]
    sway: tuple[float, ...]


TYPICAL = Conditions(
    (0.2, 0.5), 30, 20, (0, 0.5, 1.0, 1.5), (0, 0, 0.3), (1, 1, 0.8, 0.6), (None, 90, 75, 60), (0.0, 0.0, 0.02)
)
STRESS = Conditions(
    (0.12, 0.55),
    50,
    35,
    (0, 0.5, 1.0, 1.5, 2.0, 2.5),
    (0, 0, 0.3, 0.6, 0.9),
    (1, 1, 0.7, 0.5, 0.35),
    (None, 85, 60, 40),
    (0.0, 0.0, 0.02, 0.05),
)


def unseen_cases(n: int, conditions: Conditions, seed: int = 2026) -> list[tuple[str, Case]]:
    """Stills of random codes in random `conditions` at 720p, some JPEG-compressed like a webcam's MJPEG."""
    rng = random.Random(seed)
    c = conditions
    scenes, labels, qualities = [], [], []
    for _ in range(n):
        medium = rng.choice(["phone", "phone", "paper"])
        dark = medium == "phone" and rng.random() < 0.5
        scenes.append(
            Scene(
                1.0,
                codes=(random_payload(rng),),
                medium=medium,
                dark_mode=dark,
                mirrored=rng.random() < 0.1,  # type: ignore[arg-type]
                size=rng.uniform(*c.size),
                position=(rng.uniform(0.35, 0.65), rng.uniform(0.4, 0.6)),
                sway=rng.choice(c.sway),
                phase=rng.uniform(0, 6.3),
                tilt=rng.uniform(-c.tilt, c.tilt),
                yaw=rng.uniform(-c.yaw, c.yaw),
                turn=rng.uniform(0, 360),
                blur=rng.choice(c.blur),
                glare=rng.choice(c.glare),
                contrast=rng.choice(c.contrast),
            )
        )
        labels.append("phone dark" if dark else f"{medium} light" if medium == "phone" else "paper")
        qualities.append(rng.choice(c.jpeg))
    camera = SimulatedCamera(scenes, realtime=False, seed=seed)
    out = []
    for i, (scene, quality) in enumerate(zip(scenes, qualities, strict=True)):
        image = camera.render(i + 0.37, i)
        if quality:
            image = as_image(cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], 1))
        out.append((labels[i], Case("unseen", str(i), image, scene.codes[0].encode())))
    return out


def unseen_rates(n: int, conditions: Conditions, title: str) -> None:
    cases = unseen_cases(n, conditions)
    names = list(decoders())
    rows = []
    groups = sorted({label for label, _ in cases})
    results = {
        name: [any(matches(c, case.expected) for c in decode(case.image)) for _, case in cases]
        for name, decode in decoders().items()
    }
    for group in groups:
        idx = [i for i, (label, _) in enumerate(cases) if label == group]
        rows.append([group, *(pct(sum(results[n][i] for i in idx), len(idx)) for n in names)])
    rows.append(["ALL", *(pct(sum(results[n]), len(cases)) for n in names)])
    table(title, ["set", *names], rows)


# --- 3. cost per frame --------------------------------------------------------------------------------------


def frames_for(width: int, height: int, with_code: bool, n: int = 30) -> list[Image]:
    script = [Scene(60, codes=("KNM-7F3K-2Q9D",), size=0.35, tilt=15, sway=0.02)] if with_code else [empty(60)]
    camera = SimulatedCamera(script, width=width, height=height, realtime=False)
    return [camera.render(i / 30, i) for i in range(n)]


def ms_per_call(fn: Callable[[Image], object], images: Sequence[Image], repeat: int = 3) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        for image in images:
            start = time.perf_counter()
            fn(image)
            times.append((time.perf_counter() - start) * 1000)
    return statistics.mean(times), quantile(times, 0.95)


def kiosk_stream_ms(images: Sequence[Image], decoder: Decoder, fps: float = 30.0) -> float:
    """What the scan loop spends per frame on a 30 fps stream: gate, and decode when the gate says so."""
    gate, pipeline = IdleGate(), ScanPipeline(decoder, rescue_budget_s=0.05)
    start = time.perf_counter()
    for i in range(300):
        image = images[i % len(images)]
        verdict = gate.inspect(image, i / fps)
        if verdict.decode:
            pipeline.decode(to_gray(image), verdict.regions, rescue=bool(verdict.regions) and verdict.reason != "retry")
    return (time.perf_counter() - start) * 1000 / 300


def frame_costs() -> None:
    rows = []
    zxing, zbar = make_decoder("zxing"), make_decoder("zbar")
    for width, height in ((1280, 720), (1920, 1080)):
        for with_code in (False, True):
            images = frames_for(width, height, with_code)
            label = f"{height}p {'code' if with_code else 'no code'}"
            zx = ms_per_call(zxing.decode, images)
            zb = ms_per_call(zbar.decode, images)
            pipe = ScanPipeline(zxing)
            pp = ms_per_call(lambda image, p=pipe: p.decode(image), images)  # type: ignore[misc]  # gate regions
            cells = [f"{mean:.1f} / {p95:.1f}" for mean, p95 in (zx, zb, pp)]
            rows.append([label, *cells, f"{kiosk_stream_ms(images, zxing):.2f}"])
    table(
        "3. Milliseconds per frame (mean / p95; whole frame, incl. grey conversion)",
        [
            "frames",
            "zxing-cpp",
            "pyzbar",
            "pipeline (zxing, every frame)",
            "kiosk loop on a 30 fps stream (gate, decode when gated in)",
        ],
        rows,
    )


# --- 4. latency -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Presentation:
    text: str
    kind: str
    onset: float  # script time of the first frame that shows the code


def presentation_script(n: int, fps: float, seed: int = 11) -> tuple[list[Scene], list[Presentation]]:
    """`n` presentations, each a new code held up after an empty gap: phone light, phone dark, paper."""
    rng = random.Random(seed)
    scenes: list[Scene] = []
    shows: list[Presentation] = []
    t = 0.0
    for i in range(n):
        gap, hold = rng.uniform(0.3, 0.45), 0.6
        scenes.append(empty(gap))
        t += gap
        kind = ("phone light", "phone dark", "paper")[i % 3]
        text = f"BOOK-{i:04d}-{rng.randrange(10**6):06d}"
        scenes.append(
            Scene(
                hold,
                codes=(text,),
                medium="paper" if kind == "paper" else "phone",
                dark_mode=kind == "phone dark",
                size=rng.uniform(0.28, 0.45),
                tilt=rng.uniform(-20, 20),
                yaw=rng.uniform(-15, 15),
                turn=rng.uniform(-15, 15),
                sway=0.02,
                phase=rng.uniform(0, 6.3),
                blur=0.5,
                position=(rng.uniform(0.4, 0.6), 0.5),
            )
        )
        shows.append(Presentation(text, kind, math.ceil(t * fps - 1e-9) / fps))
        t += hold
    scenes.append(empty(1.0))
    return scenes, shows


def kiosk_latency(n: int, fps: float, isolated: bool = False) -> dict[str, float]:
    """Latencies (ms) from the first frame showing each code to the codeSeen signal in the GUI thread;
    `isolated`: the decoder in its own process (IsolatedPipeline), as `kiosk run` and the demo do."""
    script, shows = presentation_script(n, fps)
    camera = SimulatedCamera(script, fps=fps, realtime=True)
    pipeline = IsolatedPipeline("zxing") if isolated else None
    worker = ScanWorker(camera, make_decoder("zxing"), clock=camera.clock, pipeline=pipeline)
    received: dict[str, float] = {}

    def on_seen(event: CodeSeen) -> None:
        now = time.monotonic()
        for code in event.codes:
            received.setdefault(code.text or "", now)

    worker.codeSeen.connect(on_seen)
    app = QCoreApplication.instance() or QCoreApplication([])
    worker.start()
    QTimer.singleShot(int((sum(s.duration for s in script) + 1.0) * 1000), app.quit)
    app.exec()
    worker.stop()
    origin = camera.started_at or 0.0
    return {p.text: (received[p.text] - origin - p.onset) * 1000 for p in shows if p.text in received}


def naive_latency(n: int, fps: float) -> dict[str, float]:
    """The naive loop in one thread: read a frame, pyzbar-decode the whole frame, repeat."""
    from pyzbar import pyzbar

    script, shows = presentation_script(n, fps)
    camera = SimulatedCamera(script, fps=fps, realtime=True)
    camera.open()
    end = time.monotonic() + sum(s.duration for s in script)
    seen: dict[str, float] = {}
    while time.monotonic() < end:
        frame = camera.read()
        if frame is None:
            continue
        for symbol in pyzbar.decode(cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY), symbols=[pyzbar.ZBarSymbol.QRCODE]):
            seen.setdefault(symbol.data.decode("ascii", "replace"), time.monotonic())
    camera.close()
    origin = camera.started_at or 0.0
    return {p.text: (seen[p.text] - origin - p.onset) * 1000 for p in shows if p.text in seen}


def latency(n: int, fps: float = 30.0) -> None:
    _, shows = presentation_script(n, fps)
    results = {
        "kiosk (threads, gate, zxing pipeline)": kiosk_latency(n, fps),
        "kiosk, decoder in its own process": kiosk_latency(n, fps, isolated=True),
        "naive loop (read + pyzbar whole frame)": naive_latency(n, fps),
    }
    rows = []
    for name, lat in results.items():
        for kind in ("phone light", "paper", "phone dark", "all"):
            wanted = [p.text for p in shows if kind in ("all", p.kind)]
            got = [lat[t] for t in wanted if t in lat]
            row = [name if kind == "phone light" else "", kind, f"{len(got)}/{len(wanted)}"]
            row += [f"{quantile(got, 0.5):.1f}", f"{quantile(got, 0.95):.1f}", f"{max(got):.1f}"] if got else ["-"] * 3
            rows.append(row)
    table(
        f"4. Latency, first frame showing a code -> code-seen event (720p, {fps:g} fps, {n} presentations)",
        ["loop", "presentations", "read", "p50 ms", "p95 ms", "max ms"],
        rows,
    )


# --- 5. idle CPU ----------------------------------------------------------------------------------------------


def cpu_of(run: Callable[[float], None], seconds: float) -> float:
    """CPU seconds per second of this process and of any decoder process `run` reports in CHILD_CPU."""
    CHILD_CPU.clear()
    wall, cpu = time.monotonic(), time.process_time()
    run(seconds)
    return (time.process_time() - cpu + sum(CHILD_CPU)) / (time.monotonic() - wall)


CHILD_CPU: list[float] = []


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_worker(
    width: int, height: int, settings: ScanSettings | None = None, preview: bool = False, isolated: bool = False
) -> Callable[[float], None]:
    def run(seconds: float) -> None:
        camera = SimulatedCamera([empty(seconds + 5)], width=width, height=height, realtime=True)
        pipeline = IsolatedPipeline("zxing") if isolated else None
        child = pipeline.child_pid if pipeline is not None else None
        child_before = process_cpu_s(child) if child else 0.0
        worker = ScanWorker(camera, make_decoder("zxing"), settings, clock=camera.clock, pipeline=pipeline)
        app = QCoreApplication.instance() or QCoreApplication([])
        if preview:  # the applicant screen's share: each preview frame made into a QImage in the GUI thread
            from kiosk.workers.scan import frame_to_qimage

            worker.preview.connect(frame_to_qimage)
        worker.start()
        QTimer.singleShot(int(seconds * 1000), app.quit)
        app.exec()
        if child:
            CHILD_CPU.append(process_cpu_s(child) - child_before)
        worker.stop()

    return run


def idle_camera_only(seconds: float) -> None:
    camera = SimulatedCamera([empty(seconds + 5)], realtime=True)
    camera.open()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        camera.read()


def idle_naive(seconds: float) -> None:
    from pyzbar import pyzbar

    camera = SimulatedCamera([empty(seconds + 5)], realtime=True)
    camera.open()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        frame: Frame | None = camera.read()
        if frame is not None:
            pyzbar.decode(cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY), symbols=[pyzbar.ZBarSymbol.QRCODE])


def idle_cpu(seconds: float) -> None:
    runs = [
        ("kiosk worker, 720p 30 fps (gate on)", idle_worker(1280, 720)),
        ("kiosk worker + preview to QImage, 720p", idle_worker(1280, 720, preview=True)),
        ("kiosk worker, decoder in its own process (both counted), 720p", idle_worker(1280, 720, isolated=True)),
        ("kiosk worker, gate off (decode every frame), 720p", idle_worker(1280, 720, ScanSettings(idle_gate=False))),
        ("kiosk worker, 1080p 30 fps (gate on)", idle_worker(1920, 1080)),
        ("simulated camera alone, 720p", idle_camera_only),
        ("naive loop (pyzbar every frame), 720p", idle_naive),
    ]
    rows = [[name, f"{cpu_of(run, seconds):.3f}"] for name, run in runs]
    table(
        f"5. CPU seconds per second while idle (empty scene, {seconds:g} s each; 2 cores = 2.0 max)",
        ["loop", "CPU s/s"],
        rows,
    )


# --- main ---------------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer presentations, shorter idle runs")
    parser.add_argument("--record", action="store_true", help="re-record the accuracy test's figure")
    parser.add_argument(
        "--only", default="blackbox,unseen,cost,latency,idle", help="comma-separated sections to run (default: all)"
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    from importlib.metadata import version

    import PySide6

    print("Vision benchmark")
    print(f"  {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(
        f"  opencv {cv2.__version__}, zxing-cpp {version('zxing-cpp')}, pyzbar {version('pyzbar')}, "
        f"numpy {np.__version__}, PySide6 {PySide6.__version__}, backends: {backend_status()}"
    )
    print(f"  load average at start: {load()} (other processes on this machine skew timings, not decode rates)")
    started = time.monotonic()
    if "blackbox" in only:
        if BLACKBOX.is_dir():
            blackbox_rates(args.record)
        else:
            print(f"\n1. Black-box images: not found at {BLACKBOX}; skipped")
    n = 120 if args.quick else 300
    if "unseen" in only:
        unseen_rates(
            n,
            TYPICAL,
            f"2a. Codes never seen, typical: {n} synthetic 720p stills (random payloads; "
            "code 20-50% of the frame height, tilt <=30 deg, blur <=1.5 px, contrast >=60%, light glare, "
            "JPEG q>=60)",
        )
        unseen_rates(
            n,
            STRESS,
            f"2b. Codes never seen, stress: {n} synthetic 720p stills (code 12-55%, tilt <=50 "
            "deg, blur <=2.5 px, contrast >=35%, strong glare, JPEG q40-85)",
        )
    if "cost" in only:
        frame_costs()
    if "latency" in only:
        latency(30 if args.quick else 120)
    if "idle" in only:
        idle_cpu(4.0 if args.quick else 10.0)
    print(f"\nTotal {time.monotonic() - started:.0f} s; load average at end: {load()}")
    return 0


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
