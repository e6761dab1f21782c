"""Choosing a frame source: the office's camera when there is one, else the simulated camera (demo)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from kiosk.vision.capture_cv2 import OpenCVCamera
from kiosk.vision.frames import CameraFault, FrameSource
from kiosk.vision.simcam import SimulatedCamera, demo_script

log = logging.getLogger(__name__)


def camera_or_simulation(
    device: int | str = 0, width: int = 1280, height: int = 720, fps: float = 30.0, demo_codes: Sequence[str] = ()
) -> FrameSource:
    """A real camera if one opens now (closed again: the scan worker opens it on its own thread), else
    a looping simulated camera showing `demo_codes`."""
    camera = OpenCVCamera(device, width, height, fps)
    try:
        camera.open()
    except CameraFault as exc:
        log.warning("no camera (%s): using the simulated camera", exc)
        return SimulatedCamera(demo_script(demo_codes), width, height, fps, loop=True)
    camera.close()
    return camera
