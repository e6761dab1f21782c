"""Idle gating: decide per frame, cheaply, whether a full decode is worth it.

Most frames show an empty wall. On a half-size grey copy the gate marks 16x16-pixel blocks dense with
strong steps between neighbouring pixels in both directions (what QR modules look like at any polarity
and angle; walls, door frames and lines of text have steps in one direction), groups them into regions,
and keeps a thumbnail of block means to notice change. A frame is decoded when a code-like region
changed since the last attempt (a code arriving is both), when a code-like region has not been tried for
`retry_s`, and in any case every `probe_s` (a safety net for codes too faint for the gate). A code that
appears is therefore decoded on its first frame; a static poster costs a decode a few times a second at
most; an empty wall costs under a millisecond per 720p frame. Time is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from kiosk.vision.frames import Image, as_image

BLOCK = 16  # full-resolution pixels per gate block
_KERNEL = np.ones((3, 3), np.uint8)


@dataclass(frozen=True, slots=True)
class Region:
    """An axis-aligned box in full-frame pixels."""

    x: int
    y: int
    width: int
    height: int

    def crop(self, image: Image) -> Image:
        return image[self.y : self.y + self.height, self.x : self.x + self.width]


@dataclass(frozen=True, slots=True)
class GateResult:
    decode: bool
    reason: str  # "first", "changed", "retry", "probe", "idle", "static"
    regions: tuple[Region, ...] = ()


@dataclass(frozen=True, slots=True)
class GateSettings:
    edge_level: int = 16  # grey-level step between neighbours (half size) that counts (sensor noise: ~2)
    block_density: float = 0.12  # share of edge pixels that makes a block code-like
    min_blocks: int = 3  # code-like blocks a region needs (a code of about 50x50 pixels has more)
    change_level: int = 6  # change of a block's mean grey level that counts as movement
    retry_s: float = 0.25  # a code-like region that did not change is retried this often
    probe_s: float = 1.0  # a full decode at least this often, whatever the gate thinks
    max_regions: int = 4


class IdleGate:
    """See the module docstring. Not thread-safe: one gate per decode loop."""

    def __init__(self, settings: GateSettings | None = None) -> None:
        self.settings = settings or GateSettings()
        self._ref: Image | None = None
        self._last_attempt = -1e18

    def inspect(self, image: Image, now: float) -> GateResult:
        """Whether to decode `image` (the grey or BGR frame) now, and its code-like regions."""
        small = _half_gray(image)
        regions, mask, thumb = self._analyse(small, image.shape[:2])
        reason = self._reason(thumb, mask, now)
        if reason in ("idle", "static"):
            return GateResult(False, reason, regions)
        self._ref, self._last_attempt = thumb, now
        return GateResult(True, reason, regions)

    def regions(self, image: Image) -> tuple[Region, ...]:
        """Only the code-like regions (for stills: where to look harder)."""
        return self._analyse(_half_gray(image), image.shape[:2])[0]

    def _reason(self, thumb: Image, mask: Image, now: float) -> str:
        s = self.settings
        if self._ref is None or self._ref.shape != thumb.shape:
            return "first"
        if now - self._last_attempt >= s.probe_s or now < self._last_attempt:
            return "probe"
        if not mask.any():
            return "idle"
        moved = cv2.absdiff(thumb, self._ref) >= s.change_level
        if np.logical_and(moved, mask).any():
            return "changed"
        return "retry" if now - self._last_attempt >= s.retry_s else "static"

    def _analyse(self, small: Image, full_shape: tuple[int, ...]) -> tuple[tuple[Region, ...], Image, Image]:
        """Code-like regions in full-frame pixels, the block mask they come from, and the block thumbnail.

        A block is code-like when it is dense with both horizontal and vertical steps: QR modules are,
        while the lines of a wall, a door frame or a row of text have steps in one direction only. A
        region needs `min_blocks` such blocks, so the corner of a door frame is not a code.
        """
        s = self.settings
        half = BLOCK // 2
        rows, cols = (small.shape[0] - 1) // half, (small.shape[1] - 1) // half
        if rows < 1 or cols < 1:
            empty = np.zeros((1, 1), np.uint8)
            return (), empty, empty
        h, w = rows * half, cols * half
        across = _step_density(cv2.absdiff(small[:h, 1 : w + 1], small[:h, :w]), s.edge_level, (cols, rows))
        down = _step_density(cv2.absdiff(small[1 : h + 1, :w], small[:h, :w]), s.edge_level, (cols, rows))
        dense = (np.minimum(across, down) >= s.block_density * 255).astype(np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(dense, _KERNEL), connectivity=8)
        votes = np.bincount(labels.ravel(), weights=dense.ravel(), minlength=count)
        keep = sorted((i for i in range(1, count) if votes[i] >= s.min_blocks), key=lambda i: -votes[i])
        keep = keep[: s.max_regions]
        lookup = np.zeros(count, np.uint8)
        lookup[keep] = 1
        thumb = as_image(cv2.resize(small[:h, :w], (cols, rows), interpolation=cv2.INTER_AREA))
        return tuple(_region(stats[i], (rows, cols), full_shape) for i in keep), as_image(lookup[labels]), thumb


def _half_gray(image: Image) -> Image:
    """Every other pixel of every other row, green channel for colour frames: a grey enough half-size
    copy for finding steps, five times cheaper than averaging and converting (the gate runs on every
    frame; the decoders get the properly converted full frame)."""
    if image.ndim == 2:
        return np.ascontiguousarray(image[::2, ::2])
    channel = 1 if image.shape[2] >= 3 else 0
    return np.ascontiguousarray(image[::2, ::2, channel])


def _step_density(steps: Any, level: int, size: tuple[int, int]) -> Image:
    """Per block, the share (0..255) of pixels whose step to the next pixel is at least `level`."""
    _, marked = cv2.threshold(steps, level - 1, 255, cv2.THRESH_BINARY)
    return as_image(cv2.resize(marked, size, interpolation=cv2.INTER_AREA))


def _region(stat: np.ndarray, grid: tuple[int, int], full_shape: tuple[int, ...]) -> Region:
    """A component's blocks as a full-resolution box, padded by one block for the quiet zone; a box at
    the edge of the block grid runs to the edge of the frame (the grid leaves a few pixels out)."""
    rows, cols = grid
    height, width = int(full_shape[0]), int(full_shape[1])
    left, top = int(stat[cv2.CC_STAT_LEFT]), int(stat[cv2.CC_STAT_TOP])
    right, bottom = left + int(stat[cv2.CC_STAT_WIDTH]), top + int(stat[cv2.CC_STAT_HEIGHT])
    x0, y0 = max(0, (left - 1) * BLOCK), max(0, (top - 1) * BLOCK)
    x1 = width if right + 1 >= cols else min(width, (right + 1) * BLOCK)
    y1 = height if bottom + 1 >= rows else min(height, (bottom + 1) * BLOCK)
    return Region(x0, y0, x1 - x0, y1 - y0)
