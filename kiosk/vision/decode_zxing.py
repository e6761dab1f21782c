"""zxing-cpp backend (the default): fast, reads inverted (dark-mode) and mirrored QR codes natively.

The only module that imports zxingcpp.
"""

from __future__ import annotations

from typing import Any

import zxingcpp

from kiosk.vision.decoders import Corners, DecodedCode, distinct
from kiosk.vision.frames import Image
from kiosk.vision.imaging import to_gray

_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
BINARIZERS = {
    "local": zxingcpp.Binarizer.LocalAverage,
    "global": zxingcpp.Binarizer.GlobalHistogram,
}


class ZxingDecoder:
    """QR only. `binarizer` "global" reads some low-contrast or textured codes that "local" misses."""

    name = "zxing"

    def __init__(self, binarizer: str = "local", try_downscale: bool = True) -> None:
        self._binarizer = BINARIZERS[binarizer]
        self._try_downscale = try_downscale

    def decode(self, image: Image) -> list[DecodedCode]:
        found = zxingcpp.read_barcodes(
            to_gray(image),
            formats=_QR,
            try_rotate=True,
            try_downscale=self._try_downscale,
            try_invert=True,
            binarizer=self._binarizer,
        )
        return distinct([_code(barcode) for barcode in found if barcode.valid])


def make(binarizer: str = "local") -> ZxingDecoder:
    return ZxingDecoder(binarizer)


def _code(barcode: Any) -> DecodedCode:
    pos = barcode.position
    corners: Corners = tuple(  # type: ignore[assignment]
        (float(p.x), float(p.y)) for p in (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)
    )
    return DecodedCode.of(bytes(barcode.bytes), corners, str(barcode.text))
