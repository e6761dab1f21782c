"""The scan worker: code-seen events, faults and previews as Qt signals, synchronously and on threads."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from kiosk.vision.decoders import make_decoder
from kiosk.vision.frames import Frame
from kiosk.vision.scanner import CodeSeen, ScanSettings, ScanStats
from kiosk.vision.simcam import Fault, Scene, SimulatedCamera, empty
from kiosk.workers import startup
from kiosk.workers.scan import ScanWorker, frame_to_qimage

CODE = "KNM-7F3K-2Q9D"


class Recorder:
    """Everything a worker emits, in order, with the camera's clock time."""

    def __init__(self, worker: ScanWorker, camera: SimulatedCamera) -> None:
        self.events: list[CodeSeen] = []
        self.faults: list[tuple[float, str]] = []
        self.previews = 0
        self.in_view = 0
        worker.codeSeen.connect(self.events.append)
        worker.fault.connect(lambda kind, message: self.faults.append((camera.clock.now(), kind)))
        worker.faultCleared.connect(lambda: self.faults.append((camera.clock.now(), "cleared")))
        worker.preview.connect(self._preview)
        worker.codesInView.connect(self._in_view)

    def _preview(self, frame: Frame) -> None:
        self.previews += 1

    def _in_view(self, codes: object) -> None:
        self.in_view += 1

    def kinds(self) -> list[str]:
        return [kind for _, kind in self.faults]


def sync_worker(
    script: list[Scene], faults: list[Fault] | None = None, fps: float = 30, **kwargs: object
) -> tuple[ScanWorker, SimulatedCamera, Recorder]:
    camera = SimulatedCamera(script, realtime=False, fps=fps, faults=faults or [], **kwargs)  # type: ignore[arg-type]
    worker = ScanWorker(camera, make_decoder("zxing"), clock=camera.clock)
    return worker, camera, Recorder(worker, camera)


@pytest.fixture
def closing() -> Iterator[list[ScanWorker]]:
    workers: list[ScanWorker] = []
    yield workers
    for worker in workers:
        assert worker.stop()
        worker.close()


def test_sync_mode_emits_code_seen_with_timing() -> None:
    worker, camera, seen = sync_worker([empty(1), Scene(2, codes=(CODE,), sway=0.03)])
    events = worker.run_sync(30 * 3)
    worker.close()
    assert events == seen.events and len(events) > 1  # every frame it is read in (the door debounces)
    event = events[0]
    assert all([c.text for c in e.codes] == [CODE] for e in events)
    assert event.frame_ts - camera.clock.now() == pytest.approx(-2.0, abs=0.1)
    assert seen.in_view > 10
    assert seen.previews == worker.stats.frames == 89  # the first step opened the camera


def test_preview_rate_is_capped() -> None:
    camera = SimulatedCamera([empty(2)], realtime=False, fps=30)
    worker = ScanWorker(camera, make_decoder("zxing"), clock=camera.clock, preview_fps=15)
    seen = Recorder(worker, camera)
    worker.run_sync(60)
    worker.close()
    assert 28 <= seen.previews <= 31  # 15 a second over two seconds of virtual time


def test_process_frame_directly() -> None:
    camera = SimulatedCamera([Scene(1, codes=("AAAA-1111-BBBB", "CCCC-2222-DDDD"), size=0.3)], realtime=False)
    worker = ScanWorker(camera, make_decoder("zxing"), clock=camera.clock)
    frame = Frame(camera.render(0.5), 10.0, 1)
    event = worker.process_frame(frame, now=10.0)
    assert event is not None and len(event.codes) == 2  # one event with both: the decision REFERs


@pytest.mark.parametrize("kind", ["frozen", "black", "overexposed"])
def test_bad_pictures_are_reported_within_three_seconds_and_cleared(kind: str) -> None:
    worker, _, seen = sync_worker([empty(10)], [Fault(kind, 1.0, 5.0)])  # type: ignore[arg-type]
    worker.run_sync(30 * 6)
    worker.close()
    assert seen.kinds() == [kind, "cleared"]
    assert seen.faults[0][0] - 1000.0 <= 1.0 + 3.0  # virtual seconds after the fault began


def test_no_frames() -> None:
    worker, _, seen = sync_worker([empty(10)], [Fault("no_frame", 1.0, 5.0)])
    worker.run_sync(30 * 6)
    worker.close()
    assert seen.kinds() == ["no_frames", "cleared"]
    assert seen.faults[0][0] - 1000.0 <= 1.0 + 3.0
    assert worker.stats.reopens >= 1  # a silent camera is reopened


def test_read_errors() -> None:
    worker, _, seen = sync_worker([empty(10)], [Fault("read_error", 1.0, 2.0)])
    worker.run_sync(30 * 4)
    worker.close()
    assert seen.kinds() == ["read_errors", "cleared"]
    assert worker.stats.read_errors >= 5


def test_camera_gone_and_back_at_another_index() -> None:
    worker, camera, seen = sync_worker(
        [empty(2), Scene(3, codes=(CODE,))], [Fault("disconnect", 1.0, 2.5, new_index=1)]
    )
    events = worker.run_sync(30 * 5)
    assert camera.opened_index == 1 and "#1" in worker.stats.camera
    worker.close()
    assert seen.kinds() == ["camera_gone", "cleared"]
    assert events and all([c.text for c in e.codes] == [CODE] for e in events)  # and it reads codes again


def test_no_camera_at_start_then_plugged_in() -> None:
    worker, _, seen = sync_worker([empty(10)], [Fault("disconnect", 0.0, 3.0)])
    worker.run_sync(200)
    worker.close()
    assert seen.kinds() == ["camera_gone", "cleared"]


def test_busy_camera() -> None:
    worker, _, seen = sync_worker([empty(10)], [Fault("busy", 0.0, 2.0)])
    worker.run_sync(100)
    worker.close()
    assert seen.kinds() == ["camera_unavailable", "cleared"]


def test_threaded_code_seen(qtbot: QtBot, closing: list[ScanWorker]) -> None:
    # the code stays in view for 60 s of the camera's real time: however slow a loaded machine is, the
    # waits below end on the signal (their timeouts only bound a failure)
    camera = SimulatedCamera([empty(0.3), Scene(60, codes=(CODE,), sway=0.02)], realtime=True)
    worker = ScanWorker(camera, make_decoder("zxing"), clock=camera.clock)
    closing.append(worker)
    with qtbot.waitSignal(worker.preview, timeout=20000):
        worker.start()
    with qtbot.waitSignal(worker.codeSeen, timeout=20000) as blocker:
        pass
    event = blocker.args[0]
    assert isinstance(event, CodeSeen) and [c.text for c in event.codes] == [CODE]
    assert worker.running
    with qtbot.waitSignal(worker.statsChanged, timeout=20000) as stats:
        pass
    assert isinstance(stats.args[0], ScanStats) and stats.args[0].frames > 0
    assert worker.stop()
    assert not worker.running


def test_threaded_fault_and_recovery(qtbot: QtBot, closing: list[ScanWorker]) -> None:
    camera = SimulatedCamera([empty(30)], realtime=True, faults=[Fault("disconnect", 0.3, 0.6, new_index=2)])
    worker = ScanWorker(camera, make_decoder("zxing"), clock=camera.clock, settings=ScanSettings(backoff_initial_s=0.2))
    closing.append(worker)
    with qtbot.waitSignal(worker.fault, timeout=20000) as fault:
        worker.start()
    assert fault.args[0] == "camera_gone"
    with qtbot.waitSignal(worker.faultCleared, timeout=20000):
        pass
    assert camera.opened_index == 2


def test_stop_is_safe_before_start_and_twice() -> None:
    camera = SimulatedCamera([empty(1)], realtime=True)
    worker = ScanWorker(camera, make_decoder("zxing"))
    assert worker.stop() and worker.stop()


def test_frame_to_qimage() -> None:
    camera = SimulatedCamera([empty(1)], width=320, height=240, realtime=False)
    image = frame_to_qimage(Frame(camera.render(0.1), 0.0, 0))
    assert isinstance(image, QImage) and (image.width(), image.height()) == (320, 240)
    grey = frame_to_qimage(Frame(camera.render(0.1)[:, :, 0], 0.0, 0))
    assert grey.format() == QImage.Format.Format_Grayscale8


def test_a_busy_gui_gets_the_newest_preview_not_a_backlog(qtbot: QtBot, closing: list[ScanWorker]) -> None:
    camera = SimulatedCamera([empty(30)], realtime=True)
    worker = ScanWorker(camera, make_decoder("zxing"), clock=camera.clock)
    closing.append(worker)
    previews: list[Frame] = []
    with qtbot.waitSignal(worker.preview, timeout=20000):
        worker.start()
    worker.preview.connect(previews.append)
    stats_before = worker.stats.frames
    # the GUI thread is busy (events not processed) until the camera has delivered ten frames more: a
    # condition, not a guess at how many frames half a second brings on a loaded machine
    deadline = time.monotonic() + 30
    while worker.stats.frames - stats_before < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker.stats.frames - stats_before >= 10
    QCoreApplication.processEvents()
    assert 1 <= len(previews) <= 2  # the newest frame, not ten queued ones
    assert previews[0].index >= stats_before + 4


def test_previews_come_fitted_and_mirrored_for_the_screen_off_the_gui_thread(
    qtbot: QtBot, closing: list[ScanWorker]
) -> None:
    camera = SimulatedCamera([empty(5)], realtime=True)
    worker = ScanWorker(camera, make_decoder("zxing"), clock=camera.clock)
    closing.append(worker)
    assert not worker.preview_fitted
    worker.set_preview_size(640, 400, mirrored=True)
    assert worker.preview_fitted
    with qtbot.waitSignal(worker.previewReady, timeout=5000) as ready:
        worker.start()
    screen = ready.args[0]
    assert screen.source_size == (camera.width, camera.height) and screen.mirrored
    assert screen.image.shape == (360, 640, 4)  # 1280x720 fitted into 640x400
    expected = np.ascontiguousarray(screen.frame.image[::2, ::-2])  # the same frame, halved and mirrored
    assert np.abs(screen.image[:, :, :3].astype(int) - expected.astype(int)).mean() < 6
    image = screen.qimage()
    assert (image.width(), image.height(), image.format()) == (640, 360, QImage.Format.Format_RGB32)
    worker.set_preview_size(0, 0, mirrored=True)
    assert not worker.preview_fitted


def test_the_first_preview_frame_after_each_start_is_logged_once(
    qtbot: QtBot, closing: list[ScanWorker], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="kiosk.workers.scan")
    camera = SimulatedCamera([empty(30)], realtime=True)
    worker = ScanWorker(camera, make_decoder("zxing"), clock=camera.clock)
    closing.append(worker)
    assert _first_preview_s(worker) is None
    with qtbot.waitSignal(worker.preview, timeout=20000):
        worker.start()
    for _ in range(2):  # more frames: still one line
        with qtbot.waitSignal(worker.preview, timeout=20000):
            pass
    lines = [r for r in caplog.records if r.getMessage().startswith("first preview frame")]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    pattern = r"first preview frame \d+\.\d\d s after start \(\d+\.\d\d s after the camera threads started.*\)"
    assert re.fullmatch(pattern, lines[0].getMessage())
    first = _first_preview_s(worker)
    assert first is not None and 0 < first <= startup.process_age_s()
    assert worker.stop()
    with qtbot.waitSignal(worker.preview, timeout=20000):  # a start again: its own line, from start() only
        worker.start()
    again = [r.getMessage() for r in caplog.records if r.getMessage().startswith("first preview frame")][1:]
    assert len(again) == 1 and again[0].endswith("s after the camera threads started again")
    assert _first_preview_s(worker) == first


def _first_preview_s(worker: ScanWorker) -> float | None:
    return worker.first_preview_s


def test_a_start_slower_than_the_target_is_a_warning(
    qtbot: QtBot, closing: list[ScanWorker], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kiosk.workers.scan.process_age_s", lambda: startup.FIRST_FRAME_TARGET_S + 1.5)
    camera = SimulatedCamera([empty(30)], realtime=True)
    worker = ScanWorker(camera, make_decoder("zxing"), clock=camera.clock)
    closing.append(worker)
    with qtbot.waitSignal(worker.preview, timeout=20000):
        worker.start()
    (line,) = [r for r in caplog.records if r.getMessage().startswith("first preview frame")]
    assert line.levelno == logging.WARNING and "4.50 s after start" in line.getMessage()
    assert "target 3 s" in line.getMessage()


def test_the_process_age_counts_from_the_process_start() -> None:
    with open("/proc/self/stat", encoding="ascii") as file:
        assert file.read()  # Linux: the kernel's start time, not this module's import
    age = startup.process_age_s()
    assert age > time.monotonic() - startup._IMPORTED_AT - 0.05  # older than the module's import
    assert age < 24 * 3600
