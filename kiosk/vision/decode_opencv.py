"""OpenCV's QR reader, used only as the pipeline's last rescue: it can read codes on curved surfaces
(cloth, a bent card) that the grid samplers of zxing-cpp and zbar give up on. Slow, so never a first pass.
"""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.vision.decoders import DecodedCode
from kiosk.vision.frames import Image
from kiosk.vision.imaging import clockwise, to_gray


class OpenCVCurvedDecoder:
    """One code per call (OpenCV's curved reader is single-code); QR only by construction."""

    name = "opencv-curved"

    def __init__(self) -> None:
        self._detector = cv2.QRCodeDetector()

    def decode(self, image: Image) -> list[DecodedCode]:
        gray = to_gray(image)
        try:
            text, points, _ = self._detector.detectAndDecodeCurved(gray)
        except cv2.error:  # raised on some degenerate detections; nothing readable then
            return []
        if not text or points is None:
            return []
        raw = text.encode("utf-8")
        return [DecodedCode.of(raw, clockwise(np.asarray(points).reshape(-1, 2)[:4]), text)]


def make() -> OpenCVCurvedDecoder:
    return OpenCVCurvedDecoder()
