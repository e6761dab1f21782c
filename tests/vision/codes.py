"""Generated QR images for decoder and pipeline tests (segno and qrcode, so no test depends on one)."""

from __future__ import annotations

import os

import cv2
import numpy as np
import numpy.typing as npt
import pytest
import qrcode
import segno

from kiosk.vision.decoders import backend_status

Gray = npt.NDArray[np.uint8]


def modules(text: str, generator: str = "segno") -> npt.NDArray[np.bool_]:
    """The module matrix (True = dark), without quiet zone."""
    if generator == "segno":
        return np.array(segno.make(text, micro=False).matrix, dtype=bool)
    code = qrcode.QRCode(border=0)
    code.add_data(text)
    code.make(fit=True)
    return np.array(code.get_matrix(), dtype=bool)


def qr_image(
    text: str,
    module: int = 6,
    *,
    dark_mode: bool = False,
    mirrored: bool = False,
    generator: str = "segno",
    border: int = 4,
) -> Gray:
    """A grey image of the code; dark mode draws light modules on a dark background."""
    matrix = modules(text, generator)
    if mirrored:
        matrix = matrix[:, ::-1]
    matrix = np.pad(matrix, border, constant_values=False)
    dark, light = (230, 25) if dark_mode else (0, 255)
    image = np.where(matrix, dark, light).astype(np.uint8)
    return np.repeat(np.repeat(image, module, axis=0), module, axis=1)


def blurred(image: Gray, sigma: float) -> Gray:
    out: Gray = cv2.GaussianBlur(image, (0, 0), sigma)
    return out


def canvas(*images: Gray, size: tuple[int, int] = (480, 960), level: int = 200) -> Gray:
    """Codes side by side on a plain grey background."""
    out = np.full(size, level, np.uint8)
    x = 20
    for image in images:
        h, w = image.shape
        out[20 : 20 + h, x : x + w] = image
        x += w + 40
    return out


def require_backend(name: str) -> None:
    """Skip on a developer machine without the backend; in CI a missing backend is a failure."""
    error = backend_status()[name]  # type: ignore[index]
    if error is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"QR backend {name} must be available in CI: {error}")
    pytest.skip(f"QR backend {name} not available here: {error}")
