"""Which camera the kiosk opens, and how quiet OpenCV is about it (kiosk/vision/capture_cv2.py).

The machine has no webcam, so the devices are a fake at the edge: it answers like cv2.VideoCapture
(isOpened, set/get, read, release) for the indexes and paths that "exist".
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from kiosk.vision.capture_cv2 import OpenCVCamera, stable_camera_paths
from kiosk.vision.frames import CameraGone


class FakeDevices:
    """Cameras plugged in at some indexes or paths; every open attempt is remembered."""

    def __init__(self, *present: int | str) -> None:
        self.present = set(present)
        self.tried: list[int | str] = []

    def __call__(self, target: int | str, backend: int) -> Any:
        self.tried.append(target)
        return _FakeCapture(target in self.present)


class _FakeCapture:
    def __init__(self, opened: bool) -> None:
        self._opened = opened
        self._props: dict[int, float] = {}

    def isOpened(self) -> bool:  # OpenCV's name
        return self._opened

    def set(self, prop: int, value: float) -> bool:
        self._props[prop] = value
        return True

    def get(self, prop: int) -> float:
        return self._props.get(prop, 0.0)

    def read(self) -> tuple[bool, np.ndarray | None]:
        if not self._opened:
            return False, None
        return True, np.full((720, 1280, 3), 128, np.uint8)

    def release(self) -> None:
        self._opened = False


def test_only_the_configured_camera_is_opened_by_default() -> None:
    devices = FakeDevices(2)
    camera = OpenCVCamera(0, opener=devices, backends=[cv2.CAP_ANY])
    with pytest.raises(CameraGone, match=r"no camera at 0$"):
        camera.open()
    assert devices.tried == [0]


def test_another_camera_only_when_allowed_and_then_logged_and_named(caplog: pytest.LogCaptureFixture) -> None:
    devices = FakeDevices(2)
    camera = OpenCVCamera(0, opener=devices, backends=[cv2.CAP_ANY], search_other_indexes=True)
    with caplog.at_level(logging.WARNING, logger="kiosk.vision.capture_cv2"):
        camera.open()
    assert camera.substituted
    assert "instead of camera 0" in camera.description
    assert "camera 0 not found: using camera 2" in caplog.text
    frame = camera.read()
    assert frame is not None and frame.image.shape == (720, 1280, 3)
    camera.close()


def test_the_configured_camera_is_not_a_substitute() -> None:
    camera = OpenCVCamera(1, opener=FakeDevices(1), backends=[cv2.CAP_ANY], search_other_indexes=True)
    camera.open()
    assert not camera.substituted
    assert "instead" not in camera.description
    camera.close()


def test_a_stable_path_is_opened_as_given_and_never_searched() -> None:
    path = "/dev/v4l/by-id/usb-Cam_ABC-video-index0"
    devices = FakeDevices(0, 1)
    camera = OpenCVCamera(path, opener=devices, backends=[cv2.CAP_ANY], search_other_indexes=True)
    with pytest.raises(CameraGone, match=r"no camera at '/dev/v4l/by-id/usb-Cam_ABC-video-index0'$"):
        camera.open()
    assert devices.tried == [path]
    devices.present.add(path)
    camera.open()
    assert not camera.substituted
    camera.close()


def test_stable_camera_paths_lists_capture_interfaces_only(tmp_path: Path) -> None:
    for name in ("usb-Cam_B-video-index0", "usb-Cam_B-video-index1", "usb-Cam_A-video-index0"):
        (tmp_path / name).touch()
    assert [p.name for p in stable_camera_paths(tmp_path)] == ["usb-Cam_A-video-index0", "usb-Cam_B-video-index0"]
    assert stable_camera_paths(tmp_path / "none") == []


def _stderr_of_a_failed_open(*, verbose: bool) -> str:
    script = (
        "import cv2\n"
        "from kiosk.vision.capture_cv2 import set_opencv_logging\n"
        f"set_opencv_logging({verbose})\n"
        "assert not cv2.VideoCapture(63, cv2.CAP_V4L2).isOpened()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENCV_LOG_LEVEL"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="V4L2 is Linux's capture API")
def test_opencv_is_silent_unless_verbose() -> None:
    assert _stderr_of_a_failed_open(verbose=False) == ""
    assert "WARN" in _stderr_of_a_failed_open(verbose=True)
