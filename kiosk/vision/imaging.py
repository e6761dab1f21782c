"""Small image helpers shared by the decoders, the pipeline, the gate and the watchdog."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from kiosk.vision.decoders import Corners
from kiosk.vision.frames import Image, as_image


def to_gray(image: Image) -> Image:
    """A contiguous HxW uint8 view or copy of a grey, BGR or BGRA image."""
    if image.ndim == 2:
        return np.ascontiguousarray(image)
    if image.shape[2] == 1:
        return np.ascontiguousarray(image[:, :, 0])
    code = cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY
    return as_image(cv2.cvtColor(image, code))


def resize(gray: Image, scale: float, interpolation: int = cv2.INTER_AREA) -> Image:
    height, width = gray.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return as_image(cv2.resize(gray, size, interpolation=interpolation))


def fit_for_screen(image: Image, width: int, height: int, mirrored: bool) -> Image:
    """The frame as the preview shows it: scaled to fit `width` x `height` (aspect kept), mirrored if
    asked, as 4-channel BGRA (a screen's native pixel layout). Done on the capture thread, where OpenCV
    works without holding the GIL, so the GUI thread only copies finished pixels to the screen."""
    src_h, src_w = image.shape[:2]
    scale = min(width / src_w, height / src_h)
    size = (max(1, round(src_w * scale)), max(1, round(src_h * scale)))
    fitted = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    if mirrored:
        fitted = cv2.flip(fitted, 1)
    channels = 1 if fitted.ndim == 2 else fitted.shape[2]
    if channels == 4:
        return as_image(np.ascontiguousarray(fitted))
    return as_image(cv2.cvtColor(fitted, cv2.COLOR_GRAY2BGRA if channels == 1 else cv2.COLOR_BGR2BGRA))


def clockwise(points: Any) -> Corners:
    """Four points ordered clockwise (y down), starting at the one with the smallest x + y."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    center = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - center[1], pts[:, 0] - center[0])
    ordered = pts[np.argsort(angles)]
    ordered = np.roll(ordered, -int(np.argmin(ordered.sum(axis=1))), axis=0)
    return tuple((float(x), float(y)) for x, y in ordered[:4])  # type: ignore[return-value]
