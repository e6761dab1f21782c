"""Camera health rules, with time passed in: faults within 3 s, one report per change, all clear after."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.vision.watchdog import Backoff, FaultKind, FrameProbe, Transition, Watchdog

WINDOW = 2.5
FPS = 30


def probe(seed: int, level: int = 128) -> FrameProbe:
    """A probe of a noisy frame: each seed gives a different frame, like a live sensor."""
    rng = np.random.default_rng(seed)
    image = np.clip(rng.normal(level, 3, (72, 128)), 0, 255).astype(np.uint8)
    return FrameProbe.of(image)


def feed(dog: Watchdog, start: float, seconds: float, make: object) -> list[Transition]:
    """Frames at 30 fps from `start`, checking health after each; the transitions reported."""
    out = []
    for i in range(round(seconds * FPS)):
        now = start + i / FPS
        dog.frame(make(i), now)  # type: ignore[operator]
        transition = dog.update(now)
        if transition:
            out.append(transition)
    return out


@pytest.fixture
def dog() -> Watchdog:
    watchdog = Watchdog(window_s=WINDOW)
    watchdog.opened(0.0)
    return watchdog


def test_a_live_camera_is_healthy(dog: Watchdog) -> None:
    assert feed(dog, 0.0, 10.0, probe) == []


def test_no_frames_is_reported_within_three_seconds(dog: Watchdog) -> None:
    feed(dog, 0.0, 1.0, probe)
    assert dog.update(1.0 + WINDOW - 0.1) is None
    transition = dog.update(1.0 + WINDOW + 0.1)
    assert transition is not None and transition.kind is FaultKind.NO_FRAMES


def test_fault_then_all_clear_once_each(dog: Watchdog) -> None:
    feed(dog, 0.0, 1.0, probe)
    fault = dog.update(4.0)
    assert fault is not None and fault.kind is FaultKind.NO_FRAMES and "no frames" in fault.message
    assert dog.update(4.5) is None  # reported once, not on every check
    dog.frame(probe(99), 5.0)
    assert dog.update(5.0) == Transition(None)
    assert dog.update(5.1) is None


def test_frozen_frames(dog: Watchdog) -> None:
    same = probe(7)
    transitions = feed(dog, 0.0, 4.0, lambda i: same)
    assert [t.kind for t in transitions] == [FaultKind.FROZEN]
    assert feed(dog, 4.0, 0.2, probe) == [Transition(None)]


def test_frozen_is_reported_by_three_seconds() -> None:
    dog = Watchdog(window_s=WINDOW)
    dog.opened(0.0)
    same = probe(7)
    for i in range(3 * FPS):
        dog.frame(same, i / FPS)
        if (t := dog.update(i / FPS)) is not None:
            assert t.kind is FaultKind.FROZEN
            assert i / FPS <= 3.0
            return
    pytest.fail("frozen frames were not reported within 3 s")


def test_black_frames(dog: Watchdog) -> None:
    transitions = feed(dog, 0.0, 3.0, lambda i: probe(i, level=3))
    assert [t.kind for t in transitions] == [FaultKind.BLACK]


def test_over_exposed_frames(dog: Watchdog) -> None:
    transitions = feed(dog, 0.0, 3.0, lambda i: probe(i, level=254))
    assert [t.kind for t in transitions] == [FaultKind.OVEREXPOSED]


def test_a_dark_room_is_not_black() -> None:
    rng = np.random.default_rng(3)
    dim = np.clip(rng.normal(40, 12, (72, 128)), 0, 255).astype(np.uint8)
    assert not FrameProbe.of(dim).black


def test_read_errors_after_the_limit(dog: Watchdog) -> None:
    for i in range(4):
        dog.read_failed(0.1 * i, "select() timeout")
    assert dog.update(0.5) is None
    dog.read_failed(0.6, "select() timeout")
    transition = dog.update(0.6)
    assert transition is not None and transition.kind is FaultKind.READ_ERRORS
    assert "select() timeout" in transition.message
    dog.frame(probe(1), 0.7)
    assert dog.update(0.7) == Transition(None)


def test_camera_gone_at_once_and_back(dog: Watchdog) -> None:
    feed(dog, 0.0, 1.0, probe)
    dog.closed(1.0, FaultKind.CAMERA_GONE, "camera #0 disconnected")
    assert dog.update(1.0) == Transition(FaultKind.CAMERA_GONE, "camera #0 disconnected")
    dog.opened(6.0)  # the new device gets its own window to deliver frames
    assert dog.update(6.0) == Transition(None)
    assert dog.update(6.0 + WINDOW + 0.1) is not None  # ... but only that window


def test_the_most_important_fault_is_reported() -> None:
    dog = Watchdog(window_s=WINDOW)
    dog.opened(0.0)
    black = probe(1, level=2)
    feed(dog, 0.0, 3.0, lambda i: black)  # black and frozen at once
    faults = [kind for kind, _ in dog.faults(3.0)]
    assert faults == [FaultKind.BLACK, FaultKind.FROZEN]


def test_backoff_doubles_up_to_a_cap_and_resets() -> None:
    backoff = Backoff(initial_s=0.5, factor=2.0, maximum_s=3.0)
    assert [backoff.delay() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.reset()
    assert backoff.delay() == 0.5


def test_a_decoder_failing_on_every_frame_is_a_fault_until_a_decode_works(dog: Watchdog) -> None:
    for i in range(round(WINDOW * FPS)):  # a healthy camera, every decode attempt raising
        now = i / FPS
        dog.frame(probe(i), now)
        dog.decode_failed(now, "DecodeFaultError: the decoder process ended while decoding")
        assert dog.update(now) is None, f"reported after {now:.2f} s"
    now = WINDOW + 0.05
    dog.frame(probe(1000), now)
    dog.decode_failed(now, "DecodeFaultError: the decoder process ended while decoding")
    transition = dog.update(now)
    assert transition is not None and transition.kind is FaultKind.DECODER_FAILING
    assert "QR decoder failed on every frame" in transition.message and "ended while decoding" in transition.message
    dog.decoded()
    assert dog.update(now + 0.1) == Transition(None)


@pytest.mark.parametrize(
    ("errors", "seconds"),
    [(4, 10.0), (100, WINDOW - 0.1)],
    ids=["few errors over a long time", "many errors in a short time"],
)
def test_a_decoder_fault_needs_both_the_error_count_and_the_time(errors: int, seconds: float) -> None:
    dog = Watchdog(window_s=WINDOW, error_limit=5)
    dog.opened(0.0)
    for i in range(errors):
        now = seconds * i / max(errors - 1, 1)
        dog.frame(probe(i), now)
        dog.decode_failed(now, "boom")
    assert FaultKind.DECODER_FAILING not in [kind for kind, _ in dog.faults(seconds)]


def test_one_failed_decode_between_good_ones_is_no_fault(dog: Watchdog) -> None:
    for i in range(10 * FPS):
        now = i / FPS
        dog.frame(probe(i), now)
        if i % 30 == 0:
            dog.decode_failed(now, "a killed child costs one frame")
        else:
            dog.decoded()
        assert dog.update(now) is None
