"""The ZXing black-box QR images (../shared/testdata/qr-blackbox), as cases for the accuracy test and the
benchmark: each image at 0/90/180/270 degrees, read when a decoded code equals N.txt exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2

from kiosk.vision.decoders import DecodedCode
from kiosk.vision.frames import Image, as_image

REPO = Path(__file__).resolve().parents[2]
BLACKBOX = REPO.parent / "shared" / "testdata" / "qr-blackbox"
ROTATIONS = (None, cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_COUNTERCLOCKWISE)

Decode = Callable[[Image], Sequence[DecodedCode]]


@dataclass(frozen=True)
class Case:
    folder: str
    name: str
    image: Image
    expected: bytes

    @property
    def ascii(self) -> bool:
        return self.expected.isascii()

    def rotated(self) -> Iterator[Image]:
        for rotation in ROTATIONS:
            yield self.image if rotation is None else as_image(cv2.rotate(self.image, rotation))


@dataclass
class Tally:
    """Read / total image×rotation cases per folder, ASCII payloads apart from the others."""

    read: dict[tuple[str, bool], int] = field(default_factory=dict)
    total: dict[tuple[str, bool], int] = field(default_factory=dict)

    def add(self, folder: str, ascii_: bool, ok: bool) -> None:
        key = (folder, ascii_)
        self.total[key] = self.total.get(key, 0) + 1
        self.read[key] = self.read.get(key, 0) + int(ok)

    def count(self, ascii_: bool | None = None, folder: str | None = None) -> tuple[int, int]:
        keys = [k for k in self.total if (ascii_ is None or k[1] == ascii_) and (folder is None or k[0] == folder)]
        return sum(self.read[k] for k in keys), sum(self.total[k] for k in keys)

    @property
    def folders(self) -> list[str]:
        return sorted({folder for folder, _ in self.total})


def load_cases(root: Path = BLACKBOX) -> list[Case]:
    cases = []
    for png in sorted(root.glob("*/*.png")):
        image = cv2.imread(str(png), cv2.IMREAD_COLOR)
        if image is not None:
            cases.append(Case(png.parent.name, png.stem, as_image(image), png.with_suffix(".txt").read_bytes()))
    return cases


def matches(code: DecodedCode, expected: bytes) -> bool:
    """Exactly the text of N.txt: the raw bytes, or for non-ASCII payloads the backend's transcoding."""
    return code.raw == expected or code.backend_text.encode("utf-8") == expected


def evaluate(decode: Decode, cases: Sequence[Case]) -> Tally:
    tally = Tally()
    for case in cases:
        for image in case.rotated():
            ok = any(matches(code, case.expected) for code in decode(image))
            tally.add(case.folder, case.ascii, ok)
    return tally
