"""Real cameras and video files through OpenCV: the only module that captures with cv2.

Each OS gets the capture backend that opens fast and delivers MJPEG at 720p: V4L2 on Linux, DirectShow
then Media Foundation on Windows, AVFoundation on macOS. A camera opened by index searches the other
indexes when its own is empty, because a replugged USB camera often comes back under another number.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Sequence
from pathlib import Path

import cv2

from kiosk.vision.clock import Clock, MonotonicClock
from kiosk.vision.frames import CameraFault, CameraGone, Frame, as_image, image_problem

log = logging.getLogger(__name__)

MAX_INDEX = 4  # /dev/video0..4 or the first five DirectShow devices


def capture_backends(system: str | None = None) -> list[int]:
    """OpenCV capture backends to try, in order, on `system` (platform.system() by default)."""
    name = system or platform.system()
    if name == "Linux":
        return [cv2.CAP_V4L2, cv2.CAP_ANY]
    if name == "Windows":
        return [cv2.CAP_DSHOW, cv2.CAP_MSMF]
    if name == "Darwin":
        return [cv2.CAP_AVFOUNDATION]
    return [cv2.CAP_ANY]


def index_order(
    preferred: int, last_good: int | None = None, search: bool = True, max_index: int = MAX_INDEX
) -> list[int]:
    """Indexes to try: where the camera last worked, the configured one, then the rest (if searching)."""
    order = [i for i in (last_good, preferred) if i is not None]
    if search:
        order += range(max_index + 1)
    return list(dict.fromkeys(order))


class OpenCVCamera:
    """A webcam by index or device path; see the module docstring. Reads block until a frame comes."""

    def __init__(
        self,
        device: int | str = 0,
        width: int = 1280,
        height: int = 720,
        fps: float = 30.0,
        *,
        search_other_indexes: bool = True,
        backends: Sequence[int] | None = None,
        fourcc: str = "MJPG",
        clock: Clock | None = None,
    ) -> None:
        self.device = device
        self.width, self.height, self.fps = width, height, fps
        self.search_other_indexes = search_other_indexes
        self.backends = list(backends) if backends is not None else capture_backends()
        self.fourcc = fourcc
        self.clock = clock or MonotonicClock()
        self._cap: cv2.VideoCapture | None = None
        self._opened_as: int | str | None = None
        self._last_good: int | None = None
        self._index = 0

    @property
    def description(self) -> str:
        if self._opened_as is None:
            return f"camera {self.device!r} (closed)"
        return f"camera {self._opened_as!r} {self.width}x{self.height}@{self.fps:g}"

    def open(self) -> None:
        self.close()
        for target in self._targets():
            for backend in self.backends:
                cap = cv2.VideoCapture(target, backend)
                if cap.isOpened():
                    self._configure(cap)
                    self._cap, self._opened_as = cap, target
                    if isinstance(target, int):
                        self._last_good = target
                    log.info("opened %s", self.description)
                    return
                cap.release()
        raise CameraGone(f"no camera at {self.device!r}" + (" or any other index" if self._searching else ""))

    def read(self) -> Frame | None:
        if self._cap is None:
            raise CameraFault("camera is not open")
        try:
            ok, image = self._cap.read()
        except cv2.error as exc:
            raise CameraFault(f"read failed: {exc}") from exc
        if not ok or image is None:
            if not self._cap.isOpened():
                raise CameraGone(f"camera {self._opened_as!r} disconnected")
            return None
        if image_problem(image) is not None:
            raise CameraFault(f"camera delivered an unusable image: {image_problem(image)}")
        self._index += 1
        # The time read() returned: OpenCV does not expose the driver's capture timestamp portably.
        return Frame(as_image(image), self.clock.now(), self._index)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
        self._cap, self._opened_as = None, None

    @property
    def _searching(self) -> bool:
        return isinstance(self.device, int) and self.search_other_indexes

    def _targets(self) -> list[int | str]:
        if isinstance(self.device, str):
            return [self.device]
        return list(index_order(self.device, self._last_good, self.search_other_indexes))

    def _configure(self, cap: cv2.VideoCapture) -> None:
        """Ask for the size, rate and MJPEG; a one-frame buffer keeps frames fresh (latest wins)."""
        if self.fourcc:
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*self.fourcc))
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        cap.set(cv2.CAP_PROP_FPS, self.fps)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        got = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        if got not in ((self.width, self.height), (0, 0)):
            log.warning("camera delivers %dx%d instead of %dx%d", *got, self.width, self.height)
            self.width, self.height = got


class VideoFileSource:
    """A video file as a camera; at the end it returns None (or starts again with loop=True).

    With realtime=True frames are paced at the file's frame rate, like a live camera.
    """

    def __init__(
        self, path: str | Path, *, loop: bool = False, realtime: bool = False, clock: Clock | None = None
    ) -> None:
        self.path = Path(path)
        self.loop, self.realtime = loop, realtime
        self.clock = clock or MonotonicClock()
        self._cap: cv2.VideoCapture | None = None
        self._index = 0
        self._interval = 0.0
        self._next_at = 0.0

    @property
    def description(self) -> str:
        return f"video file {self.path.name}"

    def open(self) -> None:
        if not self.path.is_file():
            raise CameraGone(f"no video file at {self.path}")
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise CameraFault(f"cannot open video file {self.path.name}")
        fps = cap.get(cv2.CAP_PROP_FPS)
        self._interval = 1.0 / fps if fps and fps > 0 else 1.0 / 30
        self._cap, self._next_at = cap, self.clock.now()

    def read(self) -> Frame | None:
        if self._cap is None:
            raise CameraFault("video file is not open")
        self._pace()
        ok, image = self._cap.read()
        if not ok and self.loop and self._index > 0:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._cap.read()
        if not ok or image is None:
            return None
        self._index += 1
        return Frame(as_image(image), self.clock.now(), self._index)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
        self._cap = None

    def _pace(self) -> None:
        if not self.realtime:
            return
        wait = self._next_at - self.clock.now()
        if wait > 0:
            self.clock.sleep(wait)
        self._next_at = max(self._next_at + self._interval, self.clock.now() - self._interval)
