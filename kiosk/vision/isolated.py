"""The decode pipeline in a child process, so that native decoders never stall the kiosk's screens.

Why a process and not the decode thread alone: zxing-cpp's Python binding holds the GIL for the whole
decode (measured here: ~4 ms on a 720p frame with no code, up to ~16 ms on a frame with a code and
its rescue passes), and while it does no other thread of the process runs, the GUI thread included.
In a child process the decoders have their own interpreter; the kiosk's decode thread only waits on a
pipe, with the GIL released. A second gain: a native decoder that crashes on a malformed image ends
the child, not the kiosk. The frame counts as a decode error and the child is started again.

The parent copies the grey frame into a memory-mapped file both processes see (in /dev/shm where
there is one; ~1 MB at 720p, a fraction of a millisecond) and sends a small request with the idle
gate's code-like regions over a pipe; the child runs the ordinary ScanPipeline and answers with the
codes. The frame does not travel through the pipe itself, so a child that stopped reading can never
block the kiosk's decode thread in a write: only the small request is written, the answer is awaited
with a timeout. A child that does not answer within `decode_timeout_s` is killed and replaced, at
most once per `restart_pause_s` (kiosk/runtime/supervisor.py starts, watches and ends the child).
When a child cannot be started at all (a frozen build without multiprocessing support, a sandbox that
forbids it) the pipeline says so once in the log and decodes in the kiosk's own process: slower screens
are better than a kiosk that reads nothing. "No QR backend can load" is not such a case: it is raised
as DecoderUnavailableError, as make_decoder() does, and the kiosk shows OUT OF ORDER.
"""

from __future__ import annotations

import contextlib
import logging
import mmap
import multiprocessing.connection
import os
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kiosk.runtime.supervisor import ChildDiedError, ChildSilentError, ChildStartError, Supervisor, exit_text
from kiosk.vision.decoders import DecodedCode, DecoderChoice, DecoderUnavailableError, make_decoder
from kiosk.vision.frames import Image, as_image
from kiosk.vision.gate import Region
from kiosk.vision.imaging import to_gray
from kiosk.vision.pipeline import PipelineResult, ScanPipeline

log = logging.getLogger(__name__)

START_TIMEOUT_S = 30.0  # a cold start on a slow kiosk imports numpy, OpenCV and zxing-cpp
DECODE_TIMEOUT_S = 2.0  # a decode takes milliseconds; this long means a hung native library
RESTART_PAUSE_S = 1.0  # between restarts of a child that keeps dying
START_FAILURES_BEFORE_FALLBACK = 3
DEFAULT_SLOT_BYTES = 1920 * 1080  # a 1080p grey frame; larger frames get a larger file
PROCESS_NAME = "kiosk-decoder"
#: What the child is asked for its list of imported modules (tests: no Qt, no SQLAlchemy there).
MODULES_QUERY = "modules?"


class DecodeFaultError(RuntimeError):
    """This frame could not be decoded (the child died or hung); the next frame gets a new child."""


@dataclass(frozen=True, slots=True)
class _Request:
    seq: int
    slot: str  # the file the frame is in
    shape: tuple[int, int]
    regions: tuple[tuple[int, int, int, int], ...] | None
    rescue: bool
    budget_s: float | None


class IsolatedPipeline:
    """A ScanPipeline (same `decode()`, `name`, `rescue_budget_s`) that runs in a child process."""

    def __init__(
        self,
        choice: DecoderChoice = "auto",
        *,
        rescue: bool = True,
        start_timeout_s: float = START_TIMEOUT_S,
        decode_timeout_s: float = DECODE_TIMEOUT_S,
        restart_pause_s: float = RESTART_PAUSE_S,
    ) -> None:
        self.choice, self.rescue = choice, rescue
        self.rescue_budget_s: float | None = None
        self.start_timeout_s, self.decode_timeout_s = start_timeout_s, decode_timeout_s
        self.name = ""  # the pipeline's, e.g. "zxing then sharpen+x2+..."
        self.decoder_name = ""  # the first-pass backend's, e.g. "zxing"
        # killed at once when lost: a decoder stuck in native code (or a stopped child) ignores SIGTERM
        self._child = Supervisor(PROCESS_NAME, restart_pause_s=restart_pause_s)
        self._seq = 0
        self._start_failures = 0
        self._fallback: ScanPipeline | None = None
        self._slot: _FrameSlot | None = None
        self._start()

    @property
    def isolated(self) -> bool:
        """True while decoding happens in a child process (False after falling back to this process)."""
        return self._fallback is None

    @property
    def child_pid(self) -> int | None:
        return self._child.pid

    @property
    def restarts(self) -> int:
        """How many times a child was started again after the first."""
        return self._child.restarts

    @property
    def restart_pause_s(self) -> float:
        """The least time between two starts of a child (a child that keeps dying cannot spin)."""
        return self._child.restart_pause_s

    @restart_pause_s.setter
    def restart_pause_s(self, value: float) -> None:
        self._child.restart_pause_s = value

    def decode(self, image: Image, regions: Sequence[Region] | None = None, rescue: bool = True) -> PipelineResult:
        """Codes in `image`; raises DecodeFaultError when the child died or hung on this frame."""
        if self._fallback is not None:
            self._fallback.rescue_budget_s = self.rescue_budget_s
            return self._fallback.decode(image, regions, rescue)
        if self._child.pid is None:
            self._restart()  # raises, or leaves a new child or the in-process fallback
            return self.decode(image, regions, rescue)
        gray = np.ascontiguousarray(to_gray(image))
        slot = self._slot_for(gray.nbytes)
        slot.put(gray)
        self._seq += 1
        request = _Request(
            self._seq,
            slot.path,
            (int(gray.shape[0]), int(gray.shape[1])),
            None if regions is None else tuple((r.x, r.y, r.width, r.height) for r in regions),
            rescue,
            self.rescue_budget_s,
        )
        try:
            self._child.send(request)
            reply = self._child.receive(self.decode_timeout_s)
        except ChildSilentError as exc:
            self._lost(exc.pid, f"no answer within {self.decode_timeout_s:.1f} s")
            raise DecodeFaultError(f"the decoder process did not answer within {self.decode_timeout_s:.1f} s") from None
        except ChildDiedError as exc:
            self._lost(exc.pid, str(exc))
            raise DecodeFaultError(f"the decoder process ended while decoding ({exit_text(exc.exitcode)})") from exc
        result = _result(reply, self._seq)
        slot.forget_name()  # the child has it mapped now: nothing is left in /dev/shm if the kiosk is killed
        return result

    def child_modules(self) -> tuple[str, ...]:
        """The names of the modules imported in the child process (empty after falling back to this one)."""
        if self._fallback is not None or self._child.pid is None:
            return ()
        self._child.send(MODULES_QUERY)
        return tuple(self._child.receive(self.decode_timeout_s))

    def close(self) -> None:
        """End the child (it exits when its pipe says None; killed if it does not within a second)."""
        self._child.stop(None, 1.0)
        if self._slot is not None:
            self._slot.close()
            self._slot = None

    def _slot_for(self, size: int) -> _FrameSlot:
        """The shared frame file, grown (a new file) when a frame does not fit."""
        if self._slot is None or self._slot.capacity < size:
            if self._slot is not None:
                self._slot.close()
            self._slot = _FrameSlot(max(size, DEFAULT_SLOT_BYTES))
        return self._slot

    def __enter__(self) -> IsolatedPipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- child upkeep (kiosk/runtime/supervisor.py starts, watches and ends it) ---------------------

    def _start(self) -> None:
        """Start a child (or take over the one prestart() began) and wait for its hello. Raises
        DecoderUnavailableError when no backend loads."""
        level = logging.getLogger("kiosk").getEffectiveLevel()
        early = _take_prestarted((self.choice, self.rescue, level))
        if early is not None:
            early.restart_pause_s = self._child.restart_pause_s
            self._child = early
            pid = early.pid
        else:
            try:
                pid = _start_child(self._child, (self.choice, self.rescue, level))
            except ChildStartError as exc:  # no way to make processes here: decode in this process instead
                self._start_failed(str(exc))
                return
        try:
            kind, detail = self._child.receive(self.start_timeout_s)
        except ChildSilentError:
            kind, detail = "silent", f"no hello within {self.start_timeout_s:.0f} s"
        except ChildDiedError as exc:
            kind, detail = "died", str(exc)
        if kind == "ready":
            self.decoder_name, self.name = (str(part) for part in detail)
            self._start_failures = 0
            log.info("QR decoding in process %s (%s)", pid, self.name)
            return
        self._child.end()
        self._lost(pid, str(detail))
        if kind == "unavailable":
            raise DecoderUnavailableError(str(detail))
        self._start_failed(str(detail))

    def _restart(self) -> None:
        wait = self._child.restart_wait()
        if wait > 0:
            raise DecodeFaultError(f"the decoder process is restarting (in {wait:.1f} s)")
        log.warning("starting the decoder process again (restart %d)", self._child.restarts + 1)
        self._start()
        if self._child.pid is None and self._fallback is None:
            raise DecodeFaultError("the decoder process could not be started again")

    def _start_failed(self, why: str) -> None:
        self._start_failures += 1
        log.error("the decoder process could not start (%s)", why)
        if self._start_failures >= START_FAILURES_BEFORE_FALLBACK or not self.name:
            log.error(
                "QR decoding continues inside the kiosk's own process: codes are still read, but the "
                "screens may stutter while a frame is decoded"
            )
            self._fallback = ScanPipeline(make_decoder(self.choice), rescue=self.rescue)
            self.name, self.decoder_name = self._fallback.name, self._fallback.decoder.name

    def _lost(self, pid: int | None, why: str) -> None:
        """The child was ended (by the supervisor, or here): say so, and drop the frame file."""
        log.error("decoder process %s lost: %s", pid, why)
        if self._slot is not None:  # its name is gone: the next child gets a new file
            self._slot.close()
            self._slot = None


_PRESTART_LOCK = threading.Lock()
_PRESTARTED: dict[tuple[DecoderChoice, bool, int], Supervisor] = {}


def prestart(choice: DecoderChoice = "auto", *, rescue: bool = True) -> None:
    """Start a decoder process now, without waiting for it: the next IsolatedPipeline with the same
    choice takes it over and waits for its hello then. The kiosk calls this before it builds its
    windows, so that the child's start (importing numpy, OpenCV and the decoders: about 0.5 s on the
    reference machine) overlaps theirs instead of following it; the first preview frame comes that
    much sooner. Does nothing when a child cannot be started here (the pipeline then says why)."""
    key = (choice, rescue, logging.getLogger("kiosk").getEffectiveLevel())
    with _PRESTART_LOCK:
        if key in _PRESTARTED:
            return
    child = Supervisor(PROCESS_NAME)
    try:
        _start_child(child, key)
    except ChildStartError:
        return
    with _PRESTART_LOCK:
        _PRESTARTED[key] = child


def _take_prestarted(key: tuple[DecoderChoice, bool, int]) -> Supervisor | None:
    with _PRESTART_LOCK:
        child = _PRESTARTED.pop(key, None)
    if child is not None and not child.running:
        child.end()
        return None
    return child


def _start_child(child: Supervisor, args: tuple[DecoderChoice, bool, int]) -> int:
    return child.start(serve, args)


class _FrameSlot:
    """A file mapped into memory that holds one grey frame: the parent writes, the child reads.

    Only one frame is in flight at a time (the parent waits for the answer, or kills the child), so
    the two never touch it at once. The file lives in /dev/shm (memory, never the disk) where there is
    one, is readable by this user only, and its name is deleted as soon as the child has mapped it (a
    killed kiosk leaves nothing behind)."""

    def __init__(self, capacity: int) -> None:
        folder = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        fd, self.path = tempfile.mkstemp(prefix="kiosk-frame-", dir=folder)
        try:
            os.ftruncate(fd, capacity)
            self._map = mmap.mmap(fd, capacity)
        finally:
            os.close(fd)
        self.capacity = capacity
        self._named = True

    def put(self, gray: Image) -> None:
        self._map[: gray.nbytes] = gray.reshape(-1).data

    def forget_name(self) -> None:
        """Delete the file's name once the child has mapped it; the mappings stay valid."""
        if not self._named:
            return
        self._named = False
        with contextlib.suppress(OSError):
            os.unlink(self.path)

    def close(self) -> None:
        self._map.close()
        self.forget_name()


def _result(reply: Any, seq: int) -> PipelineResult:
    kind, reply_seq, *rest = reply
    if reply_seq != seq:
        raise DecodeFaultError(f"the decoder process answered frame {reply_seq} for frame {seq}")
    if kind == "error":
        raise DecodeFaultError(f"the decoder process failed on this frame: {rest[0]}")
    found, stage, passes = rest
    codes = tuple(DecodedCode.of(raw, corners, text) for raw, corners, text in found)
    return PipelineResult(codes, stage, passes)


# --- the child -------------------------------------------------------------------------------------


def serve(
    conn: multiprocessing.connection.Connection, choice: DecoderChoice, rescue: bool, log_level: int = logging.WARNING
) -> None:
    """The child's loop: one frame in, its codes out, until the pipe closes or says None. Its log
    lines go to stderr, as the kiosk's own do, marked with the process they come from."""
    logging.basicConfig(level=log_level, format="kiosk decoder process: %(levelname)s %(name)s: %(message)s")
    try:
        pipeline = ScanPipeline(make_decoder(choice), rescue=rescue)
    except DecoderUnavailableError as exc:
        conn.send(("unavailable", str(exc)))
        return
    conn.send(("ready", (pipeline.decoder.name, pipeline.name)))
    slots = _ChildSlots()
    try:
        while True:
            try:
                request = conn.recv()
            except (EOFError, OSError):
                return
            if request is None:
                return
            if request == MODULES_QUERY:
                conn.send(tuple(sorted(sys.modules)))
                continue
            conn.send(_decode_one(pipeline, request, slots))
    finally:
        slots.close()


class _ChildSlots:
    """The child's view of the parent's frame files (a new one when the parent grew it)."""

    def __init__(self) -> None:
        self._path = ""
        self._map: mmap.mmap | None = None

    def frame(self, path: str, shape: tuple[int, int]) -> Image:
        if path != self._path or self._map is None:
            self.close()
            with open(path, "r+b") as file:
                self._map = mmap.mmap(file.fileno(), 0)
            self._path = path
        return as_image(np.frombuffer(self._map, dtype=np.uint8, count=shape[0] * shape[1]).reshape(shape))

    def close(self) -> None:
        if self._map is not None:
            with contextlib.suppress(BufferError):  # a frame view still alive: the OS unmaps at exit
                self._map.close()
        self._path = ""
        self._map = None


def _decode_one(pipeline: ScanPipeline, request: _Request, slots: _ChildSlots) -> tuple[Any, ...]:
    try:
        gray = slots.frame(request.slot, request.shape)
        regions = None if request.regions is None else tuple(Region(*box) for box in request.regions)
        pipeline.rescue_budget_s = request.budget_s
        result = pipeline.decode(gray, regions, rescue=request.rescue)
    except Exception as exc:  # answer with the reason; the parent counts it and goes on
        return ("error", request.seq, f"{type(exc).__name__}: {exc}")
    found = [(code.raw, code.corners, code.backend_text) for code in result.codes]
    return ("ok", request.seq, found, result.stage, result.passes)
