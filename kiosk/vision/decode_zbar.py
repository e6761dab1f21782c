"""pyzbar (zbar) backend. zbar reads mirrored codes but not inverted ones, so dark mode gets a second pass.

The only module that imports pyzbar. Importing it raises ImportError when the zbar shared library
(libzbar0) is missing; decoders.make_decoder turns that into one warning and a fallback.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from pyzbar import pyzbar

from kiosk.vision.decoders import Corners, DecodedCode, distinct
from kiosk.vision.frames import Image, as_image
from kiosk.vision.imaging import clockwise, to_gray

_QR_ONLY = [pyzbar.ZBarSymbol.QRCODE]


class ZbarDecoder:
    """QR only; `try_invert` adds a pass on the negative image when the first finds nothing."""

    name = "zbar"

    def __init__(self, try_invert: bool = True) -> None:
        self._try_invert = try_invert

    def decode(self, image: Image) -> list[DecodedCode]:
        gray = to_gray(image)
        codes = _read(gray)
        if not codes and self._try_invert:
            codes = _read(as_image(cv2.bitwise_not(gray)))
        return distinct(codes)


def make() -> ZbarDecoder:
    return ZbarDecoder()


def _read(gray: Image) -> list[DecodedCode]:
    return [_code(symbol) for symbol in pyzbar.decode(gray, symbols=_QR_ONLY)]


def _code(symbol: Any) -> DecodedCode:
    raw = bytes(symbol.data)
    return DecodedCode.of(raw, _corners(symbol), raw.decode("utf-8", "replace"))


def _corners(symbol: Any) -> Corners:
    """zbar's polygon, reduced to four points clockwise from the top-left-most one."""
    points: Any = np.array([(p.x, p.y) for p in symbol.polygon], dtype=np.float32)
    if len(points) != 4:
        points = cv2.boxPoints(cv2.minAreaRect(points)) if len(points) >= 3 else _rect_points(symbol.rect)
    return clockwise(points)


def _rect_points(rect: Any) -> Any:
    left, top, width, height = rect.left, rect.top, rect.width, rect.height
    return np.array(
        [(left, top), (left + width, top), (left + width, top + height), (left, top + height)], dtype=np.float32
    )
