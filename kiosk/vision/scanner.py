"""The scan loop's logic, without threads or Qt: camera upkeep, idle gating, decoding, health.

Two halves, so the worker can run them on two threads with a latest-frame mailbox in between, and tests
can run them in one: `step()` (capture side) opens the camera when due, reads one frame, checks it and
feeds the watchdog; `process(frame, now)` (decode side) gates and decodes, returning a CodeSeen for
each frame with codes in it. Repeat reads of one code are made one presentation by the door's one
debouncer (kiosk/door/sighting.py), which also sees the hand scanner's codes. Nothing here raises for
bad input: a broken frame, a camera error or a decoder exception is logged (rate-limited) and counted,
and the loop goes on.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import cv2

from kiosk.vision.clock import Clock
from kiosk.vision.decoders import DecodedCode
from kiosk.vision.frames import CameraGone, Frame, FrameSource, frame_problem
from kiosk.vision.gate import GateResult, GateSettings, IdleGate
from kiosk.vision.imaging import to_gray
from kiosk.vision.pipeline import FramePipeline
from kiosk.vision.watchdog import Backoff, FaultKind, FrameProbe, Transition, Watchdog

log = logging.getLogger(__name__)

LOW_RESOLUTION = (640, 480)
LOW_FPS = 10.0


@dataclass(frozen=True, slots=True)
class CodeSeen:
    """The distinct codes read in one frame (more than one: the decision REFERs)."""

    codes: tuple[DecodedCode, ...]
    frame_ts: float  # monotonic time the frame was captured
    seen_at: float  # monotonic time the decode finished
    decode_ms: float
    frame_index: int
    stage: str = "first"  # which pipeline pass read it

    @property
    def latency_ms(self) -> float:
        return (self.seen_at - self.frame_ts) * 1000.0


@dataclass(frozen=True, slots=True)
class ScanStats:
    camera: str
    fps: float
    frames: int  # good frames from the source
    frames_dropped: int  # replaced in the mailbox before the decoder took them
    frames_missed: int  # never delivered (gaps in the source's frame index)
    frames_decoded: int
    frames_idle: int  # skipped by the idle gate
    bad_frames: int
    read_errors: int
    empty_reads: int
    decode_errors: int
    reopens: int
    decode_ms_mean: float
    decode_ms_max: float
    resolution: tuple[int, int] | None
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScanSettings:
    watchdog_s: float = 2.5  # a dead, frozen or black camera is reported after this long (< 3 s)
    error_limit: int = 5  # consecutive read errors before a fault and a reopen
    stall_s: float = 2.0  # no good frame this long: close and reopen the camera
    rescue_budget_s: float | None = 0.05  # live video: the next frame is another chance
    rescue_interval_s: float = 0.1  # at most ten rescues a second: a patterned shirt walking by stays cheap
    idle_gate: bool = True
    gate: GateSettings = field(default_factory=GateSettings)
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 8.0
    empty_read_pause_s: float = 0.01  # after a read that gave nothing, so a broken driver cannot spin
    #: OpenCV's own thread pool (process-wide): capture and decode already use both cores of a kiosk,
    #: and on small images the pool's wake-ups cost more than they save. None leaves OpenCV's default.
    opencv_threads: int | None = 1


class _Counters:
    """Plain counters; each is written by one thread only (capture or decode side)."""

    def __init__(self) -> None:
        self.frames = self.dropped = self.missed = self.decoded = self.idle = 0
        self.bad = self.read_errors = self.empty = self.decode_errors = self.reopens = 0
        self.decode_ms_total = self.decode_ms_max = 0.0
        self.fps = 0.0
        self.resolution: tuple[int, int] | None = None
        self.notes: dict[str, str] = {}


class _Limiter:
    """Log the first few occurrences of a problem, then every hundredth: no log floods from a bad camera."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def warn(self, key: str, message: str, *args: object, exc_info: bool = False) -> None:
        n = self._counts[key] = self._counts.get(key, 0) + 1
        if n <= 3 or n % 100 == 0:
            log.warning(message + f" (occurrence {n})", *args, exc_info=exc_info)


class ScanCore:
    """See the module docstring. `step` runs on one thread, `process` on another (or both on one)."""

    def __init__(
        self, source: FrameSource, pipeline: FramePipeline, clock: Clock, settings: ScanSettings | None = None
    ) -> None:
        self.source, self.pipeline, self.clock = source, pipeline, clock
        self.settings = s = settings or ScanSettings()
        self.pipeline.rescue_budget_s = s.rescue_budget_s
        if s.opencv_threads is not None:
            cv2.setNumThreads(s.opencv_threads)
        self._watchdog = Watchdog(s.watchdog_s, s.error_limit)
        self._lock = threading.Lock()
        self._backoff = Backoff(s.backoff_initial_s, maximum_s=s.backoff_max_s)
        self._gate = IdleGate(s.gate)
        self._open = False
        self._reopen_at = clock.now()
        self._last_good_at = 0.0
        self._last_index: int | None = None
        self._last_ts: float | None = None
        self._pause = 0.0
        self._last_ms = 0.0
        self._last_rescue = -1e18
        #: The codes read in the last decoded frame, repeats included (for outlines in the preview).
        self.last_codes: tuple[DecodedCode, ...] = ()
        self.counters = _Counters()
        self._limit = _Limiter()

    # --- capture side ---------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._open

    def step(self) -> Frame | None:
        """Open the camera if due, else read one frame; a usable frame or None, never an exception."""
        now = self.clock.now()
        if not self._open:
            if now >= self._reopen_at:
                self._try_open(now)
            return None
        return self._read()

    def pause_s(self) -> float:
        """How long the capture loop may wait before the next `step` is useful."""
        if not self._open:
            return max(0.0, self._reopen_at - self.clock.now())
        return self._pause

    def close(self) -> None:
        self._open = False
        self._close_source()

    def count_dropped(self, n: int = 1) -> None:
        self.counters.dropped += n

    def _try_open(self, now: float) -> None:
        try:
            self.source.open()
        except CameraGone as exc:
            self._closed(now, FaultKind.CAMERA_GONE, str(exc))
        except Exception as exc:  # busy, permission denied, a driver bug: all mean "try again later"
            self._closed(now, FaultKind.CAMERA_UNAVAILABLE, f"{type(exc).__name__}: {exc}")
        else:
            self._open, self._last_good_at, self._pause = True, now, 0.0
            with self._lock:
                self._watchdog.opened(now)
            log.info("camera open: %s", self.source.description)

    def _closed(self, now: float, kind: FaultKind, message: str) -> None:
        self._close_source()
        delay = self._backoff.delay()
        self._open, self._reopen_at = False, now + delay
        with self._lock:
            self._watchdog.closed(now, kind, message)
        self._limit.warn("closed", "camera unavailable: %s; next attempt in %.1f s", message, delay)

    def _stall(self, now: float, why: str) -> None:
        """A camera that stopped delivering: close and reopen it (a driver reset often helps)."""
        self._close_source()
        delay = self._backoff.delay()
        self._open, self._reopen_at = False, now + delay
        self.counters.reopens += 1
        with self._lock:
            self._watchdog.reopening()
        self._limit.warn("stall", "camera stalled (%s); reopening in %.1f s", why, delay)

    def _close_source(self) -> None:
        try:
            self.source.close()
        except Exception:
            log.exception("closing the camera failed")

    def _read(self) -> Frame | None:
        try:
            frame = self.source.read()
        except CameraGone as exc:
            self.counters.read_errors += 1
            self._closed(self.clock.now(), FaultKind.CAMERA_GONE, str(exc))
            return None
        except Exception as exc:  # CameraFault or a driver bug: counted, and the loop goes on
            self._failed_read(f"{type(exc).__name__}: {exc}")
            return None
        now = self.clock.now()
        if frame is None:
            self.counters.empty += 1
            self._nothing(now)
            return None
        problem = frame_problem(frame)
        if problem is not None:
            self.counters.bad += 1
            self._limit.warn("bad-frame", "unusable frame from the camera: %s", problem)
            self._nothing(now)
            return None
        self._accept(frame, now)
        return frame

    def _failed_read(self, message: str) -> None:
        now = self.clock.now()
        self.counters.read_errors += 1
        with self._lock:
            self._watchdog.read_failed(now, message)
            errors = self._watchdog.consecutive_errors
        self._limit.warn("read-error", "camera read failed: %s", message)
        if errors >= self.settings.error_limit:
            self._stall(now, f"{errors} read errors")
        self._nothing(now)

    def _nothing(self, now: float) -> None:
        self._pause = self.settings.empty_read_pause_s
        if self._open and now - self._last_good_at >= self.settings.stall_s:
            self._stall(now, f"no usable frame for {now - self._last_good_at:.1f} s")

    def _accept(self, frame: Frame, now: float) -> None:
        probe = FrameProbe.of(frame.image)
        with self._lock:
            self._watchdog.frame(probe, now)
        c = self.counters
        c.frames += 1
        if self._last_index is not None and frame.index > self._last_index + 1:
            c.missed += frame.index - self._last_index - 1
        if self._last_ts is not None and frame.ts > self._last_ts:
            rate = 1.0 / (frame.ts - self._last_ts)
            c.fps = rate if c.fps == 0 else 0.9 * c.fps + 0.1 * rate
        self._last_index, self._last_ts, self._last_good_at, self._pause = frame.index, frame.ts, now, 0.0
        self._backoff.reset()
        self._note_quality(frame)

    def _note_quality(self, frame: Frame) -> None:
        c = self.counters
        if c.resolution != frame.size:
            c.resolution = frame.size
            low = frame.size[0] * frame.size[1] < LOW_RESOLUTION[0] * LOW_RESOLUTION[1]
            text = f"low resolution {frame.size[0]}x{frame.size[1]}: hold codes closer" if low else ""
            self._note("resolution", text)
        if c.frames >= 20:
            self._note("fps", f"low frame rate {c.fps:.1f} fps: reads will be slower" if c.fps < LOW_FPS else "")

    def _note(self, key: str, text: str) -> None:
        notes = self.counters.notes
        if text and key not in notes:
            log.warning("camera degraded: %s", text)
        if text:
            notes[key] = text
        else:
            notes.pop(key, None)

    # --- decode side --------------------------------------------------------------------------------

    def process(self, frame: Frame, now: float) -> CodeSeen | None:
        """Gate and decode one frame; a CodeSeen when it shows codes, else None."""
        problem = frame_problem(frame)
        if problem is not None:
            self.counters.bad += 1
            self._limit.warn("bad-frame", "unusable frame: %s", problem)
            return None
        try:
            return self._decode(frame, now)
        except Exception as exc:  # a decoder bug must never stop the kiosk: counted, logged, next frame
            self.counters.decode_errors += 1
            self._limit.warn("decode-error", "decoding a frame failed", exc_info=True)
            with self._lock:  # a decoder that keeps failing reads nothing: the watchdog says so
                self._watchdog.decode_failed(now, f"{type(exc).__name__}: {exc}")
            return None

    def _decode(self, frame: Frame, now: float) -> CodeSeen | None:
        self.last_codes = ()
        image = frame.image
        verdict = (
            self._gate.inspect(image, now)
            if self.settings.idle_gate
            else GateResult(True, "ungated", self._gate.regions(image))
        )
        if not verdict.decode:
            self.counters.idle += 1
            return None
        started = time.perf_counter()
        since = now - self._last_rescue
        rescue = verdict.reason != "retry" and (since >= self.settings.rescue_interval_s or since < 0)
        result = self.pipeline.decode(to_gray(image), verdict.regions, rescue=rescue)
        with self._lock:
            self._watchdog.decoded()
        if result.passes > 1:
            self._last_rescue = now
        self._record_decode((time.perf_counter() - started) * 1000.0)
        self.last_codes = result.codes
        if not result.codes:
            return None
        return CodeSeen(result.codes, frame.ts, self.clock.now(), self._last_ms, frame.index, result.stage)

    def _record_decode(self, ms: float) -> None:
        c = self.counters
        c.decoded += 1
        c.decode_ms_total += ms
        c.decode_ms_max = max(c.decode_ms_max, ms)
        self._last_ms = ms

    # --- health and stats ----------------------------------------------------------------------------

    def health(self, now: float) -> Transition | None:
        """A fault to report, or the all clear, when camera health changed."""
        with self._lock:
            return self._watchdog.update(now)

    def current_faults(self, now: float) -> list[tuple[FaultKind, str]]:
        with self._lock:
            return self._watchdog.faults(now)

    def stats(self) -> ScanStats:
        c = self.counters
        return ScanStats(
            camera=self.source.description,
            fps=round(c.fps, 2),
            frames=c.frames,
            frames_dropped=c.dropped,
            frames_missed=c.missed,
            frames_decoded=c.decoded,
            frames_idle=c.idle,
            bad_frames=c.bad,
            read_errors=c.read_errors,
            empty_reads=c.empty,
            decode_errors=c.decode_errors,
            reopens=c.reopens,
            decode_ms_mean=round(c.decode_ms_total / c.decoded, 2) if c.decoded else 0.0,
            decode_ms_max=round(c.decode_ms_max, 2),
            resolution=c.resolution,
            notes=tuple(c.notes.values()),
        )
