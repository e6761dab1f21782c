"""A simulated camera a test holds codes up to: real QR images, rendered frame by frame in real time.

It stands for the webcam at the edge of the machine. What it shows is SimulatedCamera's rendering (a
phone or a sheet of paper with a real QR code on an office wall, noise, optional tilt, blur, dark
mode), so the kiosk's own capture thread, decoder process and pipeline read it as they read a camera.
"""

from __future__ import annotations

import threading
from typing import Any

from kiosk.vision.frames import Frame
from kiosk.vision.simcam import Scene, SimulatedCamera, empty

HOLD_S = 3600.0


class HeldCodes:
    """A FrameSource: nobody there until `hold(text)`; `take_away()` empties the view again."""

    def __init__(self, width: int = 640, height: int = 480, fps: float = 15.0) -> None:
        self.width, self.height, self.fps = width, height, fps
        self._lock = threading.Lock()
        self._camera = self._make(empty(HOLD_S))
        self._opened = False

    def _make(self, scene: Scene) -> SimulatedCamera:
        return SimulatedCamera([scene], self.width, self.height, self.fps, realtime=True)

    def hold(self, text: str, **look: Any) -> None:
        """Hold `text` up to the camera (as a phone by default), from the next frame on."""
        self._swap(self._make(Scene(HOLD_S, codes=(text,), size=0.6, **look)))

    def take_away(self) -> None:
        self._swap(self._make(empty(HOLD_S)))

    def _swap(self, camera: SimulatedCamera) -> None:
        with self._lock:
            if self._opened:
                camera.open()
            self._camera = camera

    # --- FrameSource ----------------------------------------------------------------------------------

    @property
    def description(self) -> str:
        return f"held codes (simulated camera) {self.width}x{self.height}@{self.fps:g}"

    def open(self) -> None:
        with self._lock:
            self._camera.open()
            self._opened = True

    def read(self) -> Frame | None:
        with self._lock:
            camera = self._camera
        return camera.read()

    def close(self) -> None:
        with self._lock:
            self._opened = False
            self._camera.close()
