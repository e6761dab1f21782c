"""Real cameras and video files through OpenCV: the only module that captures with cv2.

Each OS gets the capture backend that opens fast and delivers MJPEG at 720p: V4L2 on Linux, DirectShow
then Media Foundation on Windows, AVFoundation on macOS.

Which camera: the configured one only. A stable device path (`/dev/v4l/by-id/usb-…-video-index0` on
Linux) names the same camera whichever USB port it is in; an index may change when cameras are
replugged. Another index is tried only when the configuration allows it (`search_other_cameras`), and
then the substitution is logged and named in the camera's description, so the guard sees it: a
second camera pointing at the waiting room must not quietly become the gate's camera.

OpenCV's own log (18 warning lines per failed open, on stderr) is silenced unless the kiosk runs
verbose: the kiosk reports camera faults itself, in words the guard reads.
"""

from __future__ import annotations

import logging
import os
import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2

from kiosk.vision.clock import Clock, MonotonicClock
from kiosk.vision.frames import CameraFault, CameraGone, Frame, as_image, image_problem

log = logging.getLogger(__name__)

MAX_INDEX = 4  # /dev/video0..4 or the first five DirectShow devices
BY_ID = Path("/dev/v4l/by-id")  # udev's stable names of video devices (Linux)

#: Opens a capture device: cv2.VideoCapture, or a fake at the edge of the machine in tests.
CaptureOpener = Callable[[int | str, int], Any]


def _open_capture(target: int | str, backend: int) -> Any:
    return cv2.VideoCapture(target, backend)


def set_opencv_logging(verbose: bool) -> None:
    """OpenCV's log on stderr: silent (the default) or, for `kiosk -v`, its warnings as well.

    Left alone when OPENCV_LOG_LEVEL is set: whoever set it wants OpenCV's own choice."""
    if os.environ.get("OPENCV_LOG_LEVEL"):
        return
    levels = cv2.utils.logging
    levels.setLogLevel(levels.LOG_LEVEL_WARNING if verbose else levels.LOG_LEVEL_SILENT)


set_opencv_logging(False)


def stable_camera_paths(folder: Path = BY_ID) -> list[Path]:
    """The cameras' stable paths (capture interfaces only: `…-video-index0`), for `kiosk.toml`."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if path.name.endswith("-video-index0"))


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
        search_other_indexes: bool = False,
        backends: Sequence[int] | None = None,
        fourcc: str = "MJPG",
        clock: Clock | None = None,
        opener: CaptureOpener | None = None,
    ) -> None:
        self.device = device
        self.width, self.height, self.fps = width, height, fps
        self.search_other_indexes = search_other_indexes
        self.backends = list(backends) if backends is not None else capture_backends()
        self.fourcc = fourcc
        self.clock = clock or MonotonicClock()
        self._opener = opener or _open_capture
        self._cap: Any = None
        self._opened_as: int | str | None = None
        self._last_good: int | None = None
        self._index = 0

    @property
    def description(self) -> str:
        if self._opened_as is None:
            return f"camera {self.device!r} (closed)"
        text = f"camera {self._opened_as!r} {self.width}x{self.height}@{self.fps:g}"
        return f"{text}, instead of camera {self.device!r}" if self.substituted else text

    @property
    def substituted(self) -> bool:
        """Another camera than the configured one is open (only with search_other_indexes)."""
        return self._opened_as is not None and self._opened_as != self.device

    def open(self) -> None:
        self.close()
        for target in self._targets():
            for backend in self.backends:
                cap = self._opener(target, backend)
                if cap.isOpened():
                    self._configure(cap)
                    self._cap, self._opened_as = cap, target
                    if isinstance(target, int):
                        self._last_good = target
                    if self.substituted:
                        log.warning("camera %r not found: using camera %r (search_other_cameras is on)",
                                    self.device, target)  # fmt: skip
                    else:
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
