"""A folder of still images as a camera: for trying the kiosk on photos of real codes, and for tests.

Images are read with OpenCV (decode only: nothing is ever written back). Unreadable files are logged and
skipped, like a camera delivering a bad frame, so one broken file never stops the scan loop.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2

from kiosk.vision.clock import Clock, MonotonicClock
from kiosk.vision.frames import CameraFault, CameraGone, Frame, as_image, image_problem

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}


class ImageFolderSource:
    """Images of `folder` in name order, one per read; None when done (or again from the start with loop).

    `fps` paces reads on `clock` (None: as fast as asked).
    """

    def __init__(
        self, folder: str | Path, *, loop: bool = False, fps: float | None = None, clock: Clock | None = None
    ) -> None:
        self.folder = Path(folder)
        self.loop, self.fps = loop, fps
        self.clock = clock or MonotonicClock()
        self._files: list[Path] = []
        self._pos = 0
        self._index = 0
        self._open = False

    @property
    def description(self) -> str:
        return f"image folder {self.folder.name} ({len(self._files)} images)"

    def open(self) -> None:
        if not self.folder.is_dir():
            raise CameraGone(f"no folder at {self.folder}")
        self._files = sorted(p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        self._pos, self._open = 0, True

    def read(self) -> Frame | None:
        if not self._open:
            raise CameraFault("image folder is not open")
        if self.fps:
            self.clock.sleep(1.0 / self.fps)
        for _ in range(max(1, len(self._files))):
            path = self._next_path()
            if path is None:
                return None
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is not None and image_problem(image) is None:
                self._index += 1
                return Frame(as_image(image), self.clock.now(), self._index)
            log.warning("skipping unreadable image %s", path.name)
        return None

    def close(self) -> None:
        self._open = False

    def _next_path(self) -> Path | None:
        if self._pos >= len(self._files):
            if not (self.loop and self._files):
                return None
            self._pos = 0
        path = self._files[self._pos]
        self._pos += 1
        return path
