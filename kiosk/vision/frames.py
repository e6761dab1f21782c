"""Frames and the one interface every frame source implements (camera, video file, folder, simulation).

A source behaves like a real camera: `read()` returns None when no frame came (a timeout, the end of a
file), raises CameraFault for an error and CameraGone when the device vanished. Frames are shared
read-only buffers: nothing downstream writes into them, and nothing ever writes them to disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, cast

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]

MIN_SIDE = 16
MAX_SIDE = 8192


class CameraFault(Exception):  # noqa: N818 - the name the rest of the kiosk uses
    """The source failed (read error, busy, permission denied); it may work again later."""


class CameraGone(CameraFault):
    """The device disappeared (unplugged, driver reset): close it and reopen with backoff."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One captured image: HxW grey or HxWx3 BGR uint8, its monotonic capture time and sensor index."""

    image: Image
    ts: float
    index: int

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return int(self.image.shape[1]), int(self.image.shape[0])


class FrameSource(Protocol):
    @property
    def description(self) -> str:
        """What is open, for logs and the guard's status line (never a frame)."""
        ...

    def open(self) -> None:
        """Open the device; raise CameraFault (or CameraGone) when it cannot be opened."""
        ...

    def read(self) -> Frame | None:
        """The next frame, None when none came, CameraFault/CameraGone on failure."""
        ...

    def close(self) -> None:
        """Release the device; safe to call twice."""
        ...


def as_image(array: Any) -> Image:
    """Type an OpenCV result as the uint8 image it is (OpenCV's stubs only say "some array")."""
    return cast(Image, array)


def frame_problem(frame: object) -> str | None:
    """Why `frame` cannot be decoded (wrong type, dtype, shape), or None when it is usable."""
    if not isinstance(frame, Frame):
        return f"not a Frame: {type(frame).__name__}"
    return image_problem(frame.image)


def image_problem(image: object) -> str | None:
    """Why `image` is not a usable uint8 grey/BGR/BGRA array, or None when it is."""
    if not isinstance(image, np.ndarray):
        return f"image is {type(image).__name__}, not a numpy array"
    if image.dtype != np.uint8:
        return f"image dtype is {image.dtype}, not uint8"
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        return f"image shape {image.shape} is neither HxW nor HxWx1/3/4"
    height, width = image.shape[:2]
    if not (MIN_SIDE <= height <= MAX_SIDE and MIN_SIDE <= width <= MAX_SIDE):
        return f"image size {width}x{height} outside {MIN_SIDE}..{MAX_SIDE}"
    return None
