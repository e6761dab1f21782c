"""Frame sources besides the simulation: image folders, video files, and OpenCV camera setup."""

from __future__ import annotations

import ast
from pathlib import Path

import cv2
import numpy as np
import pytest

import kiosk
from kiosk.vision.capture_cv2 import OpenCVCamera, VideoFileSource, capture_backends, index_order
from kiosk.vision.clock import ManualClock
from kiosk.vision.folder import ImageFolderSource
from kiosk.vision.frames import CameraGone, Frame, frame_problem, image_problem
from tests.vision.codes import qr_image


def test_capture_backend_per_os() -> None:
    assert capture_backends("Linux")[0] == cv2.CAP_V4L2
    assert capture_backends("Windows") == [cv2.CAP_DSHOW, cv2.CAP_MSMF]
    assert capture_backends("Darwin") == [cv2.CAP_AVFOUNDATION]
    assert capture_backends("Plan9") == [cv2.CAP_ANY]


def test_index_order_tries_the_last_good_index_then_the_rest() -> None:
    assert index_order(0) == [0, 1, 2, 3, 4]
    assert index_order(0, last_good=2) == [2, 0, 1, 3, 4]
    assert index_order(1, search=False) == [1]


def test_a_missing_camera_is_camera_gone() -> None:
    camera = OpenCVCamera("/nonexistent/video99", backends=[cv2.CAP_ANY])
    with pytest.raises(CameraGone):
        camera.open()
    camera.close()


def test_image_folder(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "a.png"), qr_image("AAAA-1111"))
    cv2.imwrite(str(tmp_path / "b.png"), qr_image("BBBB-2222"))
    (tmp_path / "c.png").write_bytes(b"not an image")
    (tmp_path / "notes.txt").write_text("ignored")
    source = ImageFolderSource(tmp_path, clock=ManualClock())
    source.open()
    got = [source.read() for _ in range(3)]
    side = qr_image("AAAA-1111").shape[0]
    assert [f.image.shape for f in got if f is not None] == [(side, side, 3)] * 2
    assert got[2] is None
    looping = ImageFolderSource(tmp_path, loop=True)
    looping.open()
    assert all(looping.read() is not None for _ in range(5))


def test_image_folder_missing(tmp_path: Path) -> None:
    with pytest.raises(CameraGone):
        ImageFolderSource(tmp_path / "nope").open()


def test_video_file(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, (160, 120))
    for i in range(5):
        writer.write(np.full((120, 160, 3), 40 * i, np.uint8))
    writer.release()
    source = VideoFileSource(path)
    source.open()
    got = [source.read() for _ in range(6)]
    assert [f.index for f in got if f is not None] == [1, 2, 3, 4, 5]
    assert got[5] is None
    source.close()
    looping = VideoFileSource(path, loop=True, realtime=True, clock=ManualClock())
    looping.open()
    assert all(looping.read() is not None for _ in range(12))
    looping.close()


def test_video_file_missing(tmp_path: Path) -> None:
    with pytest.raises(CameraGone):
        VideoFileSource(tmp_path / "none.avi").open()


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        (np.zeros((100, 100), np.uint8), None),
        (np.zeros((100, 100, 3), np.uint8), None),
        (np.zeros((100, 100, 4), np.uint8), None),
        (np.zeros((100, 100), np.float32), "dtype"),
        (np.zeros((100, 100, 2), np.uint8), "shape"),
        (np.zeros((100,), np.uint8), "shape"),
        (np.zeros((4, 4), np.uint8), "size"),
        ("a string", "numpy"),
    ],
)
def test_image_problems(image: object, problem: str | None) -> None:
    found = image_problem(image)
    assert found is None if problem is None else problem in (found or "")


def test_frame_problem_rejects_non_frames() -> None:
    assert frame_problem(np.zeros((100, 100), np.uint8)) is not None
    assert frame_problem(Frame(np.zeros((100, 100), np.uint8), 0.0, 0)) is None


def test_no_kiosk_vision_code_can_write_a_frame() -> None:
    """Invariant 6: no camera frame is ever written to disk. No writer is even called in vision/workers."""
    writers = {"imwrite", "imwritemulti", "VideoWriter", "save", "tofile", "write_bytes", "dump"}
    root = Path(kiosk.__file__).parent
    found = []
    for package in ("vision", "workers"):
        for path in (root / package).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in writers:
                    found.append(f"{path.name}:{node.lineno} {node.func.attr}")
    assert found == []
