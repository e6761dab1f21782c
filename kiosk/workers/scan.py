"""The scan worker: camera frames in, "code seen" events, camera faults and a live preview out, as Qt signals.

Two threads run the vision ScanCore: capture (blocking reads, camera upkeep, preview) and decode (gate,
decode, watchdog), joined by a one-slot mailbox so the decoder always takes the newest frame.
They are plain Python threads (joined by stop(); Python 3.11 would keep a phantom entry for every QThread
that ever logged) emitting queued Qt signals to the GUI thread, which never decodes. The synchronous mode
(`process_frame`, `run_sync`) runs the same code in the caller's thread, for tests without threads.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from kiosk.vision.clock import Clock, MonotonicClock
from kiosk.vision.decoders import Decoder, check_backends, make_decoder
from kiosk.vision.frames import Frame, FrameSource, Image
from kiosk.vision.imaging import fit_for_screen
from kiosk.vision.pipeline import FramePipeline, ScanPipeline
from kiosk.vision.scanner import CodeSeen, ScanCore, ScanSettings, ScanStats
from kiosk.workers.mailbox import LatestMailbox
from kiosk.workers.startup import FIRST_FRAME_TARGET_S, process_age_s

log = logging.getLogger(__name__)

JOIN_TIMEOUT_S = 5.0
TAKE_TIMEOUT_S = 0.1  # the decode thread checks camera health at least this often


class ScanWorker(QObject):
    """See the module docstring. Signals are delivered in the thread that owns the worker (the GUI's)."""

    codeSeen = Signal(object)  # CodeSeen: the distinct codes of one frame (the door debounces)
    codesInView = Signal(object)  # tuple[DecodedCode, ...] of every frame read, for outlines
    fault = Signal(str, str)  # FaultKind value, message for the log and the guard
    faultCleared = Signal()
    statsChanged = Signal(object)  # ScanStats, about once a second while running
    preview = Signal(object)  # Frame: the newest frame, at up to preview_fps (see frame_to_qimage)
    #: ScreenFrame: the same frame already fitted to the preview (set_preview_size), off the GUI thread
    previewReady = Signal(object)
    _preview_ready = Signal()  # internal: at most one pending, so a busy GUI drops previews, never queues them

    def __init__(
        self,
        source: FrameSource,
        decoder: Decoder | None = None,
        settings: ScanSettings | None = None,
        *,
        clock: Clock | None = None,
        preview_fps: float = 30.0,
        pipeline: FramePipeline | None = None,
        parent: QObject | None = None,
    ) -> None:
        """`pipeline` (e.g. an IsolatedPipeline, decoding in a child process) is used instead of a
        ScanPipeline around `decoder`; the worker closes it when it stops."""
        super().__init__(parent)
        self._clock = clock or MonotonicClock()
        if pipeline is None:
            check_backends()  # one clear warning per missing native library, at start
            pipeline = ScanPipeline(decoder or make_decoder("auto"))
        self.core = ScanCore(source, pipeline, self._clock, settings)
        self._preview_interval = 1.0 / preview_fps if preview_fps > 0 else float("inf")
        self._last_preview = -1e18
        self._preview_lock = threading.Lock()
        self._preview_frame: Frame | None = None
        self._screen_frame: ScreenFrame | None = None
        self._preview_size: tuple[int, int, bool] | None = None
        self._preview_ready.connect(self._deliver_preview)
        self._stop = threading.Event()
        self._mailbox: LatestMailbox[Frame] = LatestMailbox()
        self._threads: list[threading.Thread] = []
        #: time.monotonic() of the latest start(), until its first preview frame has been delivered
        self._awaiting_first_preview: float | None = None
        #: seconds from the process's start to the first preview frame after the first start()
        self.first_preview_s: float | None = None
        #: time.monotonic() of each loop's latest pass (with or without a camera): the watchdog's signs of
        #: life (kiosk/runtime/notify.py). A read stuck in the camera driver stops the capture beat.
        self.beats = {"capture loop": time.monotonic(), "decode loop": time.monotonic()}

    # --- threaded mode ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    @property
    def stats(self) -> ScanStats:
        return self.core.stats()

    def start(self) -> None:
        """Start capture and decode threads; the camera is opened by the capture thread, not here."""
        if self.running:
            return
        self._stop.clear()
        self._awaiting_first_preview = time.monotonic()
        self.beats = dict.fromkeys(self.beats, time.monotonic())
        self._mailbox = LatestMailbox()
        self._threads = [
            threading.Thread(target=self._capture_loop, name="kiosk-capture"),
            threading.Thread(target=self._decode_loop, name="kiosk-decode"),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = JOIN_TIMEOUT_S) -> bool:
        """Stop and join both threads (the camera is closed by its own thread); False if one hangs."""
        self._stop.set()
        self._mailbox.close()
        for thread in self._threads:
            thread.join(timeout)
        alive = [thread.name for thread in self._threads if thread.is_alive()]
        if alive:
            log.error("scan threads did not stop within %.1f s: %s", timeout, alive)
            return False
        self._threads = []
        self.close_pipeline()
        return True

    def close_pipeline(self) -> None:
        """End a decoder process, if the pipeline has one (a later start() begins a new one)."""
        close = getattr(self.core.pipeline, "close", None)
        if close is not None:
            close()

    def _capture_loop(self) -> None:
        try:
            while not self._stop.is_set():
                self._capture_once()
        finally:
            self.core.close()

    def _capture_once(self) -> None:
        self.beats["capture loop"] = time.monotonic()
        try:
            frame = self.core.step()
        except Exception:  # ScanCore never raises by design; this is the last line of defence
            log.exception("capture step failed")
            self._stop.wait(0.1)
            return
        if frame is None:
            pause = self.core.pause_s()
            if pause > 0:
                self._stop.wait(min(pause, TAKE_TIMEOUT_S))
            return
        if self._mailbox.put(frame):
            self.core.count_dropped()
        self._maybe_preview(frame)

    def _decode_loop(self) -> None:
        next_stats = self._clock.now() + 1.0
        while not self._stop.is_set():
            self.beats["decode loop"] = time.monotonic()
            frame = self._mailbox.take(TAKE_TIMEOUT_S)
            now = self._clock.now()
            try:
                if frame is not None:
                    self._process(frame, now)
                self._report_health(now)
            except Exception:  # a slot or signal problem must not end the decode thread
                log.exception("decode step failed")
            if now >= next_stats:
                next_stats = now + 1.0
                self.statsChanged.emit(self.core.stats())

    def set_preview_size(self, width: int, height: int, mirrored: bool) -> None:
        """From now on also deliver each preview frame fitted to `width` x `height` (previewReady),
        prepared on the capture thread; a size of 0 stops that."""
        self._preview_size = (width, height, mirrored) if width > 0 and height > 0 else None

    @property
    def preview_fitted(self) -> bool:
        """True when previews are also delivered ready for the screen (previewReady)."""
        return self._preview_size is not None

    def _maybe_preview(self, frame: Frame) -> None:
        """Offer the newest frame to the GUI; if it has not taken the last one yet, replace that one."""
        if frame.ts - self._last_preview < self._preview_interval * 0.9:
            return
        self._last_preview = frame.ts
        screen = self._fit(frame)
        with self._preview_lock:
            pending, self._preview_frame, self._screen_frame = self._preview_frame is not None, frame, screen
        if not pending:
            self._preview_ready.emit()

    def _fit(self, frame: Frame) -> ScreenFrame | None:
        size = self._preview_size
        if size is None:
            return None
        width, height, mirrored = size
        try:
            image = fit_for_screen(frame.image, width, height, mirrored)
        except Exception:  # an odd frame: the preview skips it, the decoder still gets it
            log.debug("preview: cannot fit frame %s", frame.index, exc_info=True)
            return None
        source_height, source_width = frame.image.shape[:2]
        return ScreenFrame(frame, image, (source_width, source_height), mirrored)

    def _deliver_preview(self) -> None:
        """Runs in the worker's own (GUI) thread."""
        with self._preview_lock:
            frame, screen = self._preview_frame, self._screen_frame
            self._preview_frame = self._screen_frame = None
        if frame is not None:
            self.preview.emit(frame)
        if screen is not None:
            self.previewReady.emit(screen)
        if frame is not None and self._awaiting_first_preview is not None:
            self._first_preview_shown(self._awaiting_first_preview)

    def _first_preview_shown(self, started: float) -> None:
        """Log, once per start(), how long the kiosk took to show the camera: from the process's start
        (and from start()) to the first preview frame handed to the applicant's window. A later start()
        of the same worker (the process has been running for a while) is logged from start() only."""
        self._awaiting_first_preview = None
        if self.first_preview_s is not None:
            log.info("first preview frame %.2f s after the camera threads started again", time.monotonic() - started)
            return
        self.first_preview_s = age = process_age_s()
        level = logging.INFO if age <= FIRST_FRAME_TARGET_S else logging.WARNING
        log.log(
            level,
            "first preview frame %.2f s after start (%.2f s after the camera threads started%s)",
            age,
            time.monotonic() - started,
            "" if level == logging.INFO else f"; target {FIRST_FRAME_TARGET_S:g} s",
        )

    # --- synchronous mode ---------------------------------------------------------------------------

    def process_frame(self, frame: Frame, now: float | None = None) -> CodeSeen | None:
        """Decode one frame in this thread (tests, benchmarks); emits the same signals as the threads."""
        at = self._clock.now() if now is None else now
        event = self._process(frame, at)
        self._report_health(at)
        return event

    def run_sync(self, n_frames: int) -> list[CodeSeen]:
        """Run the whole loop in this thread for `n_frames` camera steps (an open attempt or a read each).

        While the camera is closed, time passes on the worker's clock (instantly with a ManualClock).
        """
        events: list[CodeSeen] = []
        for _ in range(n_frames):
            frame = self.core.step()
            now = self._clock.now()
            if frame is not None:
                self._maybe_preview(frame)
                event = self._process(frame, now)
                if event is not None:
                    events.append(event)
            self._report_health(now)
            if frame is None:
                self._clock.sleep(self.core.pause_s())
        return events

    def close(self) -> None:
        """Release the camera after synchronous use (threaded use closes it in stop())."""
        if not self.running:
            self.core.close()
            self.close_pipeline()

    # --- shared -------------------------------------------------------------------------------------

    def _process(self, frame: Frame, now: float) -> CodeSeen | None:
        event = self.core.process(frame, now)
        if self.core.last_codes:
            self.codesInView.emit(self.core.last_codes)
        if event is not None:
            self.codeSeen.emit(event)
        return event

    def _report_health(self, now: float) -> None:
        transition = self.core.health(now)
        if transition is None:
            return
        if transition.kind is None:
            log.info("camera healthy again")
            self.faultCleared.emit()
        else:
            log.warning("camera fault %s: %s", transition.kind.value, transition.message)
            self.fault.emit(transition.kind.value, transition.message)


@dataclass(frozen=True, slots=True)
class ScreenFrame:
    """A preview frame ready for the screen: `image` is BGRA, fitted and (if `mirrored`) mirrored;
    `source_size` (width, height) is the camera frame's, in which code corners are given."""

    frame: Frame
    image: Image
    source_size: tuple[int, int]
    mirrored: bool

    def qimage(self) -> QImage:
        """A QImage over the prepared pixels, no copy: keep this object alive while it is shown."""
        height, width = self.image.shape[:2]
        return QImage(self.image.data, width, height, int(self.image.strides[0]), QImage.Format.Format_RGB32)


def frame_to_qimage(frame: Frame) -> QImage:
    """A QImage copy of a frame for the preview widget (grey, BGR or BGRA; the frame stays untouched)."""
    image = np.ascontiguousarray(frame.image)
    height, width = image.shape[:2]
    channels = 1 if image.ndim == 2 else int(image.shape[2])
    fmt = {1: QImage.Format.Format_Grayscale8, 3: QImage.Format.Format_BGR888, 4: QImage.Format.Format_ARGB32}
    view = QImage(image.data, width, height, int(image.strides[0]), fmt[channels])
    return view.copy()
