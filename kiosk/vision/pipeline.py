"""The decode pipeline: a cheap first pass, and rescue passes only when it finds nothing.

The first pass is the chosen backend on the whole grey frame (zxing-cpp already tries the inverted image
for dark mode, mirrored codes and downscaled copies itself). When it finds nothing, the rescue passes
look again at the code-like regions the idle gate found (none: no rescue, nothing there looks like a
code), each attacking one general failure, cheapest first:

1. unsharp mask: focus and motion blur;
2. upscaled x2: modules of one or two pixels;
3. upscaled x2 with a global-histogram threshold: low contrast, print texture, logos;
4. upscaled x2 and sharpened: small *and* blurred;
5. zbar after light smoothing (when zbar loads): an independent sampler for noisy or damaged codes;
6. OpenCV's curved-surface reader: codes on cloth or a bent card, which grid samplers give up on.

The rescue stops at the first pass that reads something, or when its time budget is spent (live video:
the next frame is another chance). Results are mapped back to frame coordinates and de-duplicated.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2

from kiosk.vision.decoders import DecodedCode, Decoder, distinct
from kiosk.vision.frames import Image, as_image
from kiosk.vision.gate import IdleGate, Region
from kiosk.vision.imaging import resize, to_gray

log = logging.getLogger(__name__)

MAX_RESCUE_SIDE = 1600  # an upscaled crop is capped at this many pixels a side


@dataclass(frozen=True, slots=True)
class PipelineResult:
    codes: tuple[DecodedCode, ...]
    stage: str  # "first", the name of the rescue pass that read the code, or "none"
    passes: int  # decoder calls made


@dataclass(frozen=True, slots=True)
class RescuePass:
    """One rescue: a name, how much to scale the crop, the decoder, and an optional filter before it."""

    name: str
    scale: float
    decoder: Decoder
    prepare: Callable[[Image], Image] | None = None


class FramePipeline(Protocol):
    """What the scan loop needs of a pipeline: ScanPipeline, or IsolatedPipeline (kiosk.vision.isolated)."""

    rescue_budget_s: float | None

    @property
    def name(self) -> str: ...

    def decode(self, image: Image, regions: Sequence[Region] | None = None, rescue: bool = True) -> PipelineResult: ...


class ScanPipeline:
    """First pass + rescue passes; see the module docstring."""

    def __init__(self, decoder: Decoder, rescue: bool = True, rescue_budget_s: float | None = None) -> None:
        self.decoder = decoder
        self.rescue_budget_s = rescue_budget_s
        self.passes: tuple[RescuePass, ...] = default_rescue() if rescue else ()

    @property
    def name(self) -> str:
        extra = "+".join(p.name for p in self.passes)
        return f"{self.decoder.name}" + (f" then {extra}" if extra else "")

    def decode(self, image: Image, regions: Sequence[Region] | None = None, rescue: bool = True) -> PipelineResult:
        """Codes in `image` (grey or BGR). Rescue passes look only in code-like `regions` (the gate's; found
        here when None), so a frame with nothing code-like costs one first pass and no more."""
        gray = to_gray(image)
        codes = self.decoder.decode(gray)
        if codes or not self.passes or not rescue:
            return PipelineResult(tuple(codes), "first" if codes else "none", 1)
        found = IdleGate().regions(gray) if regions is None else regions
        return self._rescue(gray, found) if found else PipelineResult((), "none", 1)

    def _rescue(self, gray: Image, regions: Sequence[Region]) -> PipelineResult:
        deadline = None if self.rescue_budget_s is None else time.perf_counter() + self.rescue_budget_s
        calls = 1
        for rescue in self.passes:
            found: list[DecodedCode] = []
            for region in regions:
                if deadline is not None and time.perf_counter() > deadline:
                    return PipelineResult((), "none", calls)
                found += _run(rescue, gray, region)
                calls += 1
            if found:
                return PipelineResult(tuple(distinct(found)), rescue.name, calls)
        return PipelineResult((), "none", calls)


def default_rescue() -> tuple[RescuePass, ...]:
    """The rescue passes whose backends can load here (each backend is optional)."""
    local = _optional("kiosk.vision.decode_zxing")
    global_ = _optional("kiosk.vision.decode_zxing", binarizer="global")
    candidates = [
        ("sharpen", 1.0, local, _sharpen),
        ("x2", 2.0, local, None),
        ("x2-global", 2.0, global_, None),
        ("x2-sharpen", 2.0, local, _sharpen_wide),
        ("zbar-smooth", 1.0, _optional("kiosk.vision.decode_zbar"), _smooth),
        ("curved", 1.0, _optional("kiosk.vision.decode_opencv"), None),
    ]
    return tuple(RescuePass(name, scale, dec, prep) for name, scale, dec, prep in candidates if dec is not None)


def _run(rescue: RescuePass, gray: Image, region: Region) -> list[DecodedCode]:
    crop = region.crop(gray)
    scale = min(rescue.scale, MAX_RESCUE_SIDE / max(crop.shape[:2]))
    if abs(scale - 1.0) > 0.05:
        crop = resize(crop, scale, cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
    else:
        scale = 1.0
    if rescue.prepare is not None:
        crop = rescue.prepare(crop)
    try:
        codes = rescue.decoder.decode(crop)
    except Exception:  # a rescue pass must never cost the frame: log and go on
        log.exception("rescue pass %s failed", rescue.name)
        return []
    return [code.shifted(region.x, region.y, scale) for code in codes]


def _smooth(gray: Image) -> Image:
    return as_image(cv2.GaussianBlur(gray, (3, 3), 0))


def _unsharp(gray: Image, amount: float, sigma: float) -> Image:
    return as_image(cv2.addWeighted(gray, 1 + amount, cv2.GaussianBlur(gray, (0, 0), sigma), -amount, 0))


def _sharpen(gray: Image) -> Image:
    return _unsharp(gray, 2.0, 2.0)


def _sharpen_wide(gray: Image) -> Image:
    return _unsharp(gray, 1.0, 3.0)


def _optional(module_name: str, **options: str) -> Decoder | None:
    """A backend's decoder, or None when its native library cannot load (make_decoder warns about it)."""
    try:
        module = importlib.import_module(module_name)
    except (ImportError, OSError):
        return None
    decoder: Decoder = module.make(**options)
    return decoder
