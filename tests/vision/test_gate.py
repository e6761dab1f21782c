"""Idle gating: an empty wall is not decoded, a code is decoded on the frame it appears."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.vision.gate import GateSettings, IdleGate
from kiosk.vision.simcam import Scene, SimulatedCamera, empty

FPS = 30


@pytest.fixture(scope="module")
def camera() -> SimulatedCamera:
    return SimulatedCamera([empty(2.0), Scene(3.0, codes=("KNM-7F3K-2Q9D",), size=0.3, sway=0.03)], realtime=False)


def reasons(gate: IdleGate, camera: SimulatedCamera, start: float, seconds: float) -> list[str]:
    out = []
    for i in range(round(seconds * FPS)):
        t = start + i / FPS
        out.append(gate.inspect(camera.render(t, i), 1000.0 + t).reason)
    return out


def test_an_empty_wall_is_only_probed(camera: SimulatedCamera) -> None:
    seen = reasons(IdleGate(), camera, 0.0, 1.9)
    assert seen[0] == "first"
    assert set(seen[1:]) <= {"idle", "probe"}
    assert seen.count("probe") == 1  # once a second (probe_s), as a safety net


def test_a_code_is_decoded_on_the_frame_it_appears(camera: SimulatedCamera) -> None:
    gate = IdleGate(GateSettings(probe_s=10.0))
    reasons(gate, camera, 0.0, 1.9)
    result = gate.inspect(camera.render(2.0, 60), 1002.0)
    assert result.decode and result.reason == "changed"
    (region,) = result.regions
    assert region.width * region.height < 1280 * 720 / 4  # a region around the code, not the frame


def test_a_still_code_is_retried_a_few_times_a_second() -> None:
    still = SimulatedCamera([Scene(5.0, codes=("KNM-7F3K-2Q9D",), size=0.3)], realtime=False, noise=0.0)
    gate = IdleGate(GateSettings(retry_s=0.25, probe_s=10.0))
    seen = reasons(gate, still, 0.0, 2.0)
    attempts = [r for r in seen if r not in ("static", "idle")]
    assert attempts[0] == "first"
    assert 6 <= len(attempts) <= 10  # every 0.25 s over 2 s


def test_lines_and_corners_are_not_code_like() -> None:
    wall = np.full((720, 1280), 170, np.uint8)
    wall[600:] = 90  # the floor
    wall[100:600, 900:906] = 60  # a door frame
    wall[100:106, 900:1100] = 60
    for y in range(150, 300, 30):  # lines of text on a notice
        wall[y : y + 6, 100:400] = 40
    assert IdleGate().regions(wall) == ()


def test_grey_and_colour_frames_alike(camera: SimulatedCamera) -> None:
    frame = camera.render(2.5, 75)
    grey = frame.mean(axis=2).astype(np.uint8)
    assert IdleGate().regions(frame) and IdleGate().regions(grey)


def test_tiny_frames_do_not_break_the_gate() -> None:
    result = IdleGate().inspect(np.zeros((16, 16), np.uint8), 0.0)
    assert result.decode and result.regions == ()
