"""The scan loop without threads: bad input is counted and survived, repeat reads are one scan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pytest

from kiosk.door import Intake, Source
from kiosk.vision.clock import ManualClock
from kiosk.vision.decoders import DecodedCode, make_decoder
from kiosk.vision.frames import CameraFault, Frame, Image
from kiosk.vision.pipeline import ScanPipeline
from kiosk.vision.scanner import CodeSeen, ScanCore, ScanSettings
from kiosk.vision.simcam import Scene, SimulatedCamera, empty
from kiosk.vision.watchdog import FaultKind

CODE = "KNM-7F3K-2Q9D"


class ScriptedSource:
    """A source that plays back a list of outcomes: a frame-like object, None, or an exception to raise."""

    description = "scripted"

    def __init__(self, outcomes: Sequence[object], clock: ManualClock) -> None:
        self.outcomes, self.clock, self.opens = list(outcomes), clock, 0

    def open(self) -> None:
        self.opens += 1

    def read(self) -> Frame | None:
        self.clock.advance(1 / 30)
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if isinstance(outcome, Exception):
            raise outcome
        return outcome  # type: ignore[return-value]

    def close(self) -> None:
        pass


def run(core: ScanCore, clock: ManualClock, steps: int) -> list[CodeSeen]:
    events = []
    for _ in range(steps):
        frame = core.step()
        if frame is not None:
            event = core.process(frame, clock.now())
            if event is not None:
                events.append(event)
        else:
            clock.sleep(core.pause_s())
    return events


def camera_core(
    script: Sequence[Scene], settings: ScanSettings | None = None, fps: float = 30
) -> tuple[ScanCore, ManualClock]:
    camera = SimulatedCamera(script, realtime=False, fps=fps)
    clock = camera.clock
    assert isinstance(clock, ManualClock)
    return ScanCore(camera, ScanPipeline(make_decoder("zxing")), clock, settings), clock


def presentations(events: list[CodeSeen], window_s: float = 3.0) -> list[CodeSeen]:
    """The reads that the door's one debouncer (kiosk/door Intake) takes as new presentations."""
    intake = Intake(window_s)
    at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    return [e for e in events if intake.accept([c.raw for c in e.codes], Source.CAMERA, at, e.frame_ts)]


def test_a_code_held_for_ten_seconds_is_read_every_frame_and_is_one_scan() -> None:
    core, clock = camera_core([empty(0.5), Scene(10, codes=(CODE,), sway=0.02)], fps=10)
    start = clock.now()
    events = run(core, clock, 10 * 11)
    assert len(events) > 20 and all([c.text for c in e.codes] == [CODE] for e in events)  # every read is told
    assert events[0].frame_ts == pytest.approx(start + 0.5, abs=0.01)  # the first frame that shows it
    (scan,) = presentations(events)  # and the door makes it one scan
    assert scan is events[0]


def test_shown_again_after_the_window_is_a_new_scan() -> None:
    core, clock = camera_core([Scene(1, codes=(CODE,)), empty(3.5), Scene(1, codes=(CODE,))], fps=10)
    assert len(presentations(run(core, clock, 10 * 6), 3.0)) == 2


def test_the_window_is_configurable() -> None:
    core, clock = camera_core([Scene(1, codes=(CODE,)), empty(2.0), Scene(1, codes=(CODE,))], fps=10)
    assert len(presentations(run(core, clock, 10 * 4), 5.0)) == 1


def test_two_codes_in_one_frame_are_one_event_with_both() -> None:
    core, clock = camera_core([Scene(2, codes=("AAAA-1111-BBBB", "CCCC-2222-DDDD"), size=0.3)])
    events = run(core, clock, 30)
    assert events and all(sorted(c.text or "" for c in e.codes) == ["AAAA-1111-BBBB", "CCCC-2222-DDDD"] for e in events)
    assert len(presentations(events)) == 1


def test_events_carry_timing() -> None:
    core, clock = camera_core([Scene(1, codes=(CODE,))])
    event = run(core, clock, 10)[0]
    assert event.seen_at >= event.frame_ts and event.decode_ms > 0 and event.latency_ms >= 0


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(Frame(np.zeros((720, 1280), np.float64), 0.0, 1), id="float-image"),  # type: ignore[arg-type]
        pytest.param(Frame(np.zeros((720, 1280, 2), np.uint8), 0.0, 1), id="two-channels"),
        pytest.param(Frame(np.zeros((3, 3), np.uint8), 0.0, 1), id="too-small"),
        pytest.param(np.zeros((720, 1280), np.uint8), id="not-a-frame"),
        pytest.param("garbage", id="garbage"),
    ],
)
def test_bad_frames_are_counted_and_the_loop_goes_on(bad: object) -> None:
    clock = ManualClock()
    good = Frame(np.full((480, 640), 128, np.uint8), 0.0, 2)
    core = ScanCore(ScriptedSource([bad, good], clock), ScanPipeline(make_decoder("zxing")), clock)
    run(core, clock, 3)
    assert core.stats().bad_frames == 1 and core.stats().frames == 1
    assert core.process(bad, clock.now()) is None  # type: ignore[arg-type]
    assert core.stats().bad_frames == 2


def test_a_decoder_that_raises_is_counted_and_the_loop_goes_on() -> None:
    class Exploding:
        name = "exploding"
        calls = 0

        def decode(self, image: Image) -> list[DecodedCode]:
            self.calls += 1
            raise RuntimeError("native decoder crashed")

    clock = ManualClock()
    frames = [Frame(np.full((480, 640), 128, np.uint8), clock.now() + i, i) for i in range(3)]
    core = ScanCore(
        ScriptedSource([], clock), ScanPipeline(Exploding(), rescue=False), clock, ScanSettings(idle_gate=False)
    )
    for frame in frames:
        assert core.process(frame, frame.ts) is None
    assert core.stats().decode_errors == 3


def test_a_camera_that_returns_nothing_is_reopened_and_reported() -> None:
    clock = ManualClock()
    source = ScriptedSource([], clock)  # every read: None
    core = ScanCore(source, ScanPipeline(make_decoder("zxing")), clock, ScanSettings(stall_s=2.0))
    run(core, clock, 200)
    assert source.opens >= 2 and core.stats().reopens >= 1
    assert [kind for kind, _ in core.current_faults(clock.now())] == [FaultKind.NO_FRAMES]


def test_read_errors_fault_and_reopen() -> None:
    clock = ManualClock()
    source = ScriptedSource([CameraFault("VIDIOC_DQBUF: No such device")] * 10, clock)
    core = ScanCore(source, ScanPipeline(make_decoder("zxing")), clock, ScanSettings(error_limit=5))
    run(core, clock, 7)
    assert core.stats().read_errors >= 5 and core.stats().reopens == 1
    transition = core.health(clock.now())
    assert transition is not None and transition.kind is FaultKind.READ_ERRORS


def test_idle_frames_skip_the_decoder() -> None:
    core, clock = camera_core([empty(3)])
    run(core, clock, 90)
    stats = core.stats()
    assert stats.frames_idle > 80 and stats.frames_decoded <= 5


def test_low_resolution_and_frame_rate_are_noted() -> None:
    camera = SimulatedCamera([empty(30)], width=320, height=240, fps=2, realtime=False)
    clock = camera.clock
    assert isinstance(clock, ManualClock)
    core = ScanCore(camera, ScanPipeline(make_decoder("zxing")), clock)
    run(core, clock, 25)
    notes = " ".join(core.stats().notes)
    assert "320x240" in notes and "2.0 fps" in notes
    assert core.current_faults(clock.now()) == []  # degraded, not broken: the kiosk keeps reading


def test_a_decoder_that_fails_on_every_frame_puts_the_scanner_out_of_order_until_it_reads_again() -> None:
    class Switchable:
        name = "switchable"
        broken = True

        def decode(self, image: Image) -> list[DecodedCode]:
            if self.broken:
                raise RuntimeError("the decoder process ended while decoding (killed by SIGSEGV)")
            return []

    decoder = Switchable()
    camera = SimulatedCamera([empty(20)], realtime=False, fps=30)
    clock = camera.clock
    assert isinstance(clock, ManualClock)
    core = ScanCore(camera, ScanPipeline(decoder, rescue=False), clock, ScanSettings(idle_gate=False))
    run(core, clock, 30)  # one second: not yet
    assert core.health(clock.now()) is None
    run(core, clock, 60)
    transition = core.health(clock.now())
    assert transition is not None and transition.kind is FaultKind.DECODER_FAILING
    assert "SIGSEGV" in transition.message
    decoder.broken = False
    run(core, clock, 2)
    assert core.health(clock.now()) is not None and core.current_faults(clock.now()) == []
