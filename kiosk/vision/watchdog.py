"""Camera health: notice a dead, frozen, black or failing camera within a few seconds; reopen with backoff.

Pure logic with time passed in. The scan loop feeds it a cheap probe of every frame (a checksum and the
brightness of a sparse pixel sample) and every read failure, and asks `update(now)` for transitions to
report (a new fault, or all clear). A real sensor never delivers two identical frames, so identical
checksums for `window_s` mean a frozen driver. The decode side reports each decode attempt too: a
decoder that fails on every frame for `window_s` (a decoder process that crashes on each one, say) reads
nothing while the camera looks healthy, and is a fault like a dead camera.
"""

from __future__ import annotations

import enum
import math
import zlib
from dataclasses import dataclass

import numpy as np

from kiosk.vision.frames import Image

SAMPLE_PIXELS = 4096


class FaultKind(enum.StrEnum):
    """Why the kiosk cannot read codes right now (each maps to the OUT OF ORDER screen)."""

    CAMERA_GONE = "camera_gone"
    CAMERA_UNAVAILABLE = "camera_unavailable"  # busy, permission denied, cannot be opened
    READ_ERRORS = "read_errors"
    NO_FRAMES = "no_frames"
    BLACK = "black"
    OVEREXPOSED = "overexposed"
    FROZEN = "frozen"
    DECODER_FAILING = "decoder_failing"  # the camera is fine but every decode attempt fails


#: When several faults hold at once, the first in this order is reported.
PRIORITY = tuple(FaultKind)


@dataclass(frozen=True, slots=True)
class FrameProbe:
    """What the watchdog needs of a frame: a checksum of a sparse sample and how dark/bright it is."""

    signature: int
    black: bool
    overexposed: bool

    @staticmethod
    def of(image: Image) -> FrameProbe:
        height, width = image.shape[:2]
        step = max(1, int(math.sqrt(height * width / SAMPLE_PIXELS)))
        sample = image[::step, ::step]
        mean = float(sample.mean())
        black = mean < 16 and float(np.count_nonzero(sample > 48)) < 0.01 * sample.size
        bright = mean > 240 and float(np.count_nonzero(sample < 200)) < 0.02 * sample.size
        return FrameProbe(zlib.crc32(sample.tobytes()), black, bright)


@dataclass(frozen=True, slots=True)
class Transition:
    """A change to report: a fault (kind and message), or all clear (kind None)."""

    kind: FaultKind | None
    message: str = ""


_MESSAGES = {
    FaultKind.NO_FRAMES: "camera delivers no frames",
    FaultKind.BLACK: "camera shows only black (lens covered, no light, or a failing camera)",
    FaultKind.OVEREXPOSED: "camera image is washed out (over-exposed or facing a light)",
    FaultKind.FROZEN: "camera repeats the same frame (frozen driver)",
}


class Watchdog:
    """Tracks camera health; see the module docstring. Not thread-safe (the scan loop holds a lock)."""

    def __init__(self, window_s: float = 2.5, error_limit: int = 5) -> None:
        self.window_s = window_s
        self.error_limit = error_limit
        self._open = False
        self._closed_fault: tuple[FaultKind, str] | None = None
        self._last_frame_at: float | None = None
        self._last_change_at = 0.0
        self._signature: int | None = None
        self._dark_since: float | None = None
        self._bright_since: float | None = None
        self._errors = 0
        self._last_error = ""
        self._decode_errors = 0
        self._decode_failing_since: float | None = None
        self._last_decode_error = ""
        self._reported: FaultKind | None = None

    @property
    def consecutive_errors(self) -> int:
        return self._errors

    def opened(self, now: float) -> None:
        """The camera opened; after an outage it gets a fresh `window_s` to deliver frames."""
        if self._closed_fault is not None or self._last_frame_at is None:
            self._last_frame_at = now
            self._last_change_at = now
        self._open, self._closed_fault = True, None  # read errors are forgiven by a good frame only

    def closed(self, now: float, kind: FaultKind, message: str) -> None:
        """The camera is gone or could not be opened: a fault at once, until it opens again."""
        self._open = False
        self._closed_fault = (kind, message)

    def reopening(self) -> None:
        """The scan loop closes a stalled camera to reopen it: not an outage, timers keep running."""
        self._open = False

    def frame(self, probe: FrameProbe, now: float) -> None:
        self._errors = 0
        self._last_frame_at = now
        if probe.signature != self._signature:
            self._signature, self._last_change_at = probe.signature, now
        self._dark_since = (self._dark_since or now) if probe.black else None
        self._bright_since = (self._bright_since or now) if probe.overexposed else None

    def read_failed(self, now: float, message: str) -> None:
        self._errors += 1
        self._last_error = message

    def decode_failed(self, now: float, message: str) -> None:
        """A decode attempt raised (a decoder process that died or hung, a decoder bug)."""
        self._decode_errors += 1
        self._last_decode_error = message
        if self._decode_failing_since is None:
            self._decode_failing_since = now

    def decoded(self) -> None:
        """A decode attempt finished (with or without codes): the decoder works."""
        self._decode_errors = 0
        self._decode_failing_since = None

    def faults(self, now: float) -> list[tuple[FaultKind, str]]:
        """Every fault that holds at `now`, most important first."""
        found: list[tuple[FaultKind, str]] = []
        if self._closed_fault is not None:
            found.append(self._closed_fault)
        if self._errors >= self.error_limit:
            found.append((FaultKind.READ_ERRORS, f"{self._errors} reads failed in a row: {self._last_error}"))
        if self._last_frame_at is not None and now - self._last_frame_at >= self.window_s:
            found.append(self._timed(FaultKind.NO_FRAMES, now - self._last_frame_at))
        for kind, since in ((FaultKind.BLACK, self._dark_since), (FaultKind.OVEREXPOSED, self._bright_since)):
            if since is not None and now - since >= self.window_s:
                found.append(self._timed(kind, now - since))
        if self._signature is not None and now - self._last_change_at >= self.window_s and self._fresh(now):
            found.append(self._timed(FaultKind.FROZEN, now - self._last_change_at))
        failing = self._decode_failing_since
        if failing is not None and self._decode_errors >= self.error_limit and now - failing >= self.window_s:
            found.append(
                (
                    FaultKind.DECODER_FAILING,
                    f"the QR decoder failed on every frame for {now - failing:.1f} s "
                    f"({self._decode_errors} in a row): {self._last_decode_error}",
                )
            )
        return sorted(found, key=lambda f: PRIORITY.index(f[0]))

    def update(self, now: float) -> Transition | None:
        """A transition to report when the most important fault changed since the last call."""
        faults = self.faults(now)
        current = faults[0] if faults else None
        kind = current[0] if current else None
        if kind == self._reported:
            return None
        self._reported = kind
        return Transition(kind, current[1]) if current else Transition(None)

    def _fresh(self, now: float) -> bool:
        return self._last_frame_at is not None and now - self._last_frame_at < self.window_s

    def _timed(self, kind: FaultKind, seconds: float) -> tuple[FaultKind, str]:
        return kind, f"{_MESSAGES[kind]} for {seconds:.1f} s"


class Backoff:
    """Reopen delays: initial, doubling, capped; reset after a success."""

    def __init__(self, initial_s: float = 0.5, factor: float = 2.0, maximum_s: float = 8.0) -> None:
        self.initial_s, self.factor, self.maximum_s = initial_s, factor, maximum_s
        self._next = initial_s

    def delay(self) -> float:
        """The delay before the next attempt; each call makes the following one longer."""
        current = self._next
        self._next = min(self.maximum_s, self._next * self.factor)
        return current

    def reset(self) -> None:
        self._next = self.initial_s
