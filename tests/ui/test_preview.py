"""The preview widget: a ready-made frame is copied to the screen as it is, code outlines land on the
code (mirrored like the picture), and a frame made for another size is still shown whole."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from kiosk.ui.preview import PreviewWidget
from kiosk.vision.imaging import fit_for_screen


def _shown(widget: PreviewWidget) -> QImage:
    return widget.grab().toImage()


def _camera_frame() -> np.ndarray:
    frame = np.full((720, 1280, 3), 40, np.uint8)
    frame[:, :640] = (0, 0, 220)  # red on the camera's left half (BGR)
    return frame


def test_a_ready_frame_is_drawn_unscaled_and_mirrored_with_its_outline(qtbot: QtBot) -> None:
    widget = PreviewWidget(mirrored=True)
    qtbot.addWidget(widget)
    widget.setFixedSize(646, 366)  # area 640 x 360
    widget.show()
    areas: list[tuple[int, int]] = []
    widget.areaChanged.connect(lambda w, h: areas.append((w, h)))
    widget.setFixedSize(966, 546)
    assert areas[-1] == widget.area_size == (960, 540)
    ready = fit_for_screen(_camera_frame(), *widget.area_size, mirrored=True)
    image = QImage(ready.data, ready.shape[1], ready.shape[0], int(ready.strides[0]), QImage.Format.Format_RGB32)
    corners = ((100.0, 100.0), (300.0, 100.0), (300.0, 300.0), (100.0, 300.0))  # camera pixels, left half
    widget.set_screen_image(image, ready, (1280, 720), (corners,))
    shot = _shown(widget)
    assert QColor(shot.pixel(900, 270)).red() > 200  # the camera's left half shows on the right: a mirror
    assert QColor(shot.pixel(60, 270)).red() < 80
    outline = QColor(shot.pixel(3 + 960 - 150, 3 + 75))  # camera (300, 100), halved, mirrored
    assert outline.green() > 150 and outline.red() < 150  # the green outline, not the red picture


def test_a_ready_frame_for_another_size_is_scaled_to_fit(qtbot: QtBot) -> None:
    widget = PreviewWidget(mirrored=False)
    qtbot.addWidget(widget)
    widget.setFixedSize(326, 186)  # area 320 x 180
    widget.show()
    ready = fit_for_screen(_camera_frame(), 640, 360, mirrored=False)  # made before a resize
    image = QImage(ready.data, ready.shape[1], ready.shape[0], int(ready.strides[0]), QImage.Format.Format_RGB32)
    widget.set_screen_image(image, ready, (1280, 720))
    shot = _shown(widget)
    assert QColor(shot.pixel(60, 90)).red() > 200 and QColor(shot.pixel(260, 90)).red() < 80
