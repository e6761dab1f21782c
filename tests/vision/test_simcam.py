"""The simulated camera: a steady sensor clock, scripted scenes that decode, and faults like a real one."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.vision.decoders import make_decoder
from kiosk.vision.frames import CameraFault, CameraGone, Frame
from kiosk.vision.pipeline import ScanPipeline
from kiosk.vision.simcam import Fault, Scene, SimulatedCamera, empty
from kiosk.vision.watchdog import FrameProbe

CODE = "KNM-7F3K-2Q9D"


def opened(camera: SimulatedCamera) -> SimulatedCamera:
    camera.open()
    return camera


def frames(camera: SimulatedCamera, n: int) -> list[Frame | None]:
    return [camera.read() for _ in range(n)]


def read_codes(image: np.ndarray) -> list[str | None]:
    return sorted(c.text or "" for c in ScanPipeline(make_decoder("zxing")).decode(image).codes)  # type: ignore[misc]


def test_frames_come_at_a_steady_rate() -> None:
    camera = opened(SimulatedCamera([empty(5)], fps=30, realtime=False))
    got = [f for f in frames(camera, 30) if f is not None]
    assert [f.index for f in got] == list(range(30))
    gaps = np.diff([f.ts for f in got])
    assert np.allclose(gaps, 1 / 30)


def test_a_late_reader_gets_the_newest_frame_and_the_rest_are_missed() -> None:
    camera = opened(SimulatedCamera([empty(5)], fps=30, realtime=False))
    camera.read()
    camera.clock.sleep(0.2)  # the reader was busy for six frame times
    frame = camera.read()
    assert frame is not None and frame.index == 6
    assert camera.frames_missed == 5


def test_low_resolution_and_low_frame_rate() -> None:
    camera = opened(SimulatedCamera([empty(5)], width=320, height=240, fps=2, realtime=False))
    a, b = frames(camera, 2)
    assert a is not None and b is not None
    assert a.image.shape == (240, 320, 3)
    assert b.ts - a.ts == pytest.approx(0.5)


def test_idle_frames_are_noisy_and_read_only() -> None:
    camera = opened(SimulatedCamera([empty(5)], realtime=False))
    a, b = frames(camera, 2)
    assert a is not None and b is not None
    assert not np.array_equal(a.image, b.image)  # sensor noise: a live camera never repeats a frame
    assert not a.image.flags.writeable


def test_reading_a_closed_camera_fails() -> None:
    with pytest.raises(CameraFault):
        SimulatedCamera([empty(1)], realtime=False).read()


@pytest.mark.parametrize(
    ("scene", "size"),
    [
        pytest.param(Scene(1, codes=(CODE,)), (1280, 720), id="phone-light-720p"),
        pytest.param(Scene(1, codes=(CODE,), dark_mode=True), (1280, 720), id="phone-dark-720p"),
        pytest.param(Scene(1, codes=(CODE,), medium="paper", size=0.3), (1920, 1080), id="paper-1080p"),
        pytest.param(Scene(1, codes=(CODE,), tilt=35, yaw=20, turn=25), (1280, 720), id="tilted"),
        pytest.param(Scene(1, codes=(CODE,), blur=1.2, sway=0.05, glare=0.5), (1280, 720), id="blur-motion-glare"),
        pytest.param(Scene(1, codes=(CODE,), mirrored=True, dark_mode=True), (1280, 720), id="mirrored"),
        pytest.param(Scene(1, codes=(CODE,), contrast=0.45, medium="paper"), (1280, 720), id="poor-light"),
        pytest.param(Scene(1, codes=(CODE,), size=0.7), (320, 240), id="320x240"),
    ],
)
def test_scenes_show_codes_that_decode(scene: Scene, size: tuple[int, int]) -> None:
    camera = SimulatedCamera([scene], width=size[0], height=size[1], realtime=False)
    assert read_codes(camera.render(0.4, 3)) == [CODE]


def test_two_codes_at_once_and_a_forged_one() -> None:
    camera = SimulatedCamera([Scene(1, codes=("AAAA-1111-BBBB", "FORGED-0000-XXXX"), size=0.3)], realtime=False)
    assert read_codes(camera.render(0.5)) == ["AAAA-1111-BBBB", "FORGED-0000-XXXX"]


def test_empty_frames_show_no_code() -> None:
    camera = SimulatedCamera([empty(1)], realtime=False)
    assert read_codes(camera.render(0.5)) == []


def test_the_script_ends_in_empty_frames_unless_it_loops() -> None:
    script = [Scene(1, codes=(CODE,))]
    assert read_codes(SimulatedCamera(script, realtime=False).render(1.5)) == []
    assert read_codes(SimulatedCamera(script, realtime=False, loop=True).render(1.5)) == [CODE]


def test_reads_that_return_nothing_or_fail() -> None:
    camera = opened(
        SimulatedCamera([empty(5)], realtime=False, faults=[Fault("no_frame", 0.0, 0.1), Fault("read_error", 0.1, 0.2)])
    )
    assert frames(camera, 3) == [None, None, None]
    with pytest.raises(CameraFault):
        camera.read()
    camera.clock.sleep(0.2)
    assert camera.read() is not None


def test_frozen_black_and_over_exposed_frames() -> None:
    camera = opened(
        SimulatedCamera(
            [empty(5)],
            realtime=False,
            faults=[Fault("frozen", 0.05, 1.0), Fault("black", 1.0, 2.0), Fault("overexposed", 2.0, 3.0)],
        )
    )
    _first, *frozen = frames(camera, 5)
    assert all(f is not None and np.array_equal(f.image, frozen[0].image) for f in frozen)  # type: ignore[union-attr]
    camera.clock.sleep(1.0)
    black = camera.read()
    camera.clock.sleep(1.0)
    bright = camera.read()
    assert black is not None and FrameProbe.of(black.image).black
    assert bright is not None and FrameProbe.of(bright.image).overexposed


def test_a_busy_camera_cannot_be_opened_until_it_is_free() -> None:
    camera = SimulatedCamera([empty(5)], realtime=False, faults=[Fault("busy", 0.0, 1.0)])
    with pytest.raises(CameraFault, match="busy") as caught:
        camera.open()
    assert not isinstance(caught.value, CameraGone)
    camera.clock.sleep(1.0)
    camera.open()


def test_unplugged_and_back_at_another_index() -> None:
    camera = opened(SimulatedCamera([empty(9)], realtime=False, faults=[Fault("disconnect", 1.0, 2.0, new_index=1)]))
    camera.clock.sleep(1.0)
    with pytest.raises(CameraGone):
        camera.read()
    with pytest.raises(CameraGone):
        camera.open()  # still unplugged
    camera.clock.sleep(1.0)
    with pytest.raises(CameraGone):
        camera.read()  # the old handle stays dead after the replug
    camera.open()
    assert camera.opened_index == 1 and "#1" in camera.description
    assert camera.read() is not None


def test_without_index_search_the_moved_camera_is_not_found() -> None:
    camera = opened(
        SimulatedCamera(
            [empty(9)], realtime=False, search_other_indexes=False, faults=[Fault("disconnect", 0.5, 1.0, new_index=2)]
        )
    )
    camera.clock.sleep(1.5)
    with pytest.raises(CameraGone):
        camera.open()
