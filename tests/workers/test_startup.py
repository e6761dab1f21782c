"""after_first_frame (kiosk/workers/startup.py): the start-up's upkeep (the kiosk's collection before
gc.freeze) runs once, after the first preview frame, or at the latest without one."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

from kiosk.workers.startup import after_first_frame


class Camera(QObject):
    preview = Signal(object)


def test_the_upkeep_waits_for_the_first_frame_then_runs_once(qtbot: QtBot) -> None:
    camera, runs = Camera(), []
    timer = after_first_frame(camera.preview, lambda: runs.append(1), latest_ms=3_600_000)
    assert runs == []  # nothing before the camera shows
    camera.preview.emit("frame 1")
    assert runs == []  # not in front of the frame: on the event loop, after it
    qtbot.waitUntil(lambda: runs == [1])
    camera.preview.emit("frame 2")
    camera.preview.emit("frame 3")
    qtbot.wait(20)  # let any posted call run: none may
    assert runs == [1] and not timer.isActive()


def test_without_a_camera_the_upkeep_runs_at_the_latest(qtbot: QtBot) -> None:
    runs: list[int] = []
    timer = after_first_frame(None, lambda: runs.append(1), latest_ms=10)
    qtbot.waitUntil(lambda: runs == [1])
    assert not timer.isActive()


def test_a_camera_that_never_shows_does_not_hold_the_upkeep_back(qtbot: QtBot) -> None:
    camera, runs = Camera(), []
    after_first_frame(camera.preview, lambda: runs.append(1), latest_ms=10)
    qtbot.waitUntil(lambda: runs == [1])
    camera.preview.emit("late frame")
    qtbot.wait(20)
    assert runs == [1]
