"""The decode pipeline: first pass, rescue passes in order, regions mapped back, a time budget."""

from __future__ import annotations

import time

import cv2
import numpy as np

from kiosk.vision.decoders import DecodedCode, make_decoder
from kiosk.vision.frames import Image
from kiosk.vision.gate import Region
from kiosk.vision.pipeline import RescuePass, ScanPipeline, default_rescue
from tests.vision.codes import blurred, canvas, qr_image

SQUARE = ((0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0))
WHOLE = Region(0, 0, 1000, 1000)  # crops clip to the image


class Fake:
    """A decoder that reads `text` only in images of `shape`, and counts its calls."""

    def __init__(
        self, name: str, text: str | None = None, shape: tuple[int, ...] | None = None, delay_s: float = 0.0
    ) -> None:
        self.name, self.text, self.shape, self.delay_s = name, text, shape, delay_s
        self.calls: list[tuple[int, ...]] = []

    def decode(self, image: Image) -> list[DecodedCode]:
        self.calls.append(image.shape)
        time.sleep(self.delay_s)
        if self.text is None or (self.shape is not None and image.shape != self.shape):
            return []
        return [DecodedCode.of(self.text.encode(), SQUARE)]


def pipeline(first: Fake, *passes: RescuePass) -> ScanPipeline:
    pipe = ScanPipeline(first, rescue=False)
    pipe.passes = passes
    return pipe


def test_the_first_pass_answers_alone() -> None:
    first, rescue = Fake("first", "ABCD-1234"), Fake("rescue", "OTHER")
    result = pipeline(first, RescuePass("r", 1.0, rescue)).decode(np.zeros((100, 100), np.uint8), [WHOLE])
    assert [c.text for c in result.codes] == ["ABCD-1234"] and result.stage == "first"
    assert rescue.calls == []


def test_rescue_runs_in_order_and_stops_at_the_first_read() -> None:
    first, r1, r2, r3 = Fake("first"), Fake("r1"), Fake("r2", "ABCD-1234"), Fake("r3", "LATE")
    passes = [RescuePass(f.name, 1.0, f) for f in (r1, r2, r3)]
    result = pipeline(first, *passes).decode(np.zeros((100, 100), np.uint8), [WHOLE])
    assert result.stage == "r2" and result.passes == 3
    assert r3.calls == []


def test_rescue_looks_in_regions_and_maps_corners_back() -> None:
    region = Region(40, 30, 50, 20)
    rescue = Fake("x2", "ABCD-1234", shape=(40, 100))
    result = pipeline(Fake("first"), RescuePass("x2", 2.0, rescue)).decode(np.zeros((200, 200), np.uint8), [region])
    assert rescue.calls == [(40, 100)]
    assert result.codes[0].corners == ((40.0, 30.0), (45.0, 30.0), (45.0, 35.0), (40.0, 35.0))


def test_no_rescue_when_asked_not_to() -> None:
    rescue = Fake("r", "X")
    result = pipeline(Fake("first"), RescuePass("r", 1.0, rescue)).decode(
        np.zeros((50, 50), np.uint8), [WHOLE], rescue=False
    )
    assert result.codes == () and rescue.calls == []


def test_no_rescue_where_nothing_looks_like_a_code() -> None:
    rescue = Fake("r", "X")
    result = pipeline(Fake("first"), RescuePass("r", 1.0, rescue)).decode(np.full((200, 200), 90, np.uint8))
    assert result.codes == () and rescue.calls == []


def test_the_budget_stops_the_rescue() -> None:
    slow = [Fake(f"r{i}", delay_s=0.02) for i in range(5)]
    pipe = pipeline(Fake("first"), *[RescuePass(f.name, 1.0, f) for f in slow])
    pipe.rescue_budget_s = 0.01
    result = pipe.decode(np.zeros((50, 50), np.uint8), [WHOLE])
    assert result.stage == "none"
    assert sum(len(f.calls) for f in slow) < 5


def test_a_failing_rescue_pass_costs_nothing_but_itself() -> None:
    class Broken(Fake):
        def decode(self, image: Image) -> list[DecodedCode]:
            raise RuntimeError("native crash")

    result = pipeline(Fake("first"), RescuePass("b", 1.0, Broken("b")), RescuePass("ok", 1.0, Fake("ok", "X"))).decode(
        np.zeros((50, 50), np.uint8), [WHOLE]
    )
    assert result.stage == "ok"


def test_the_real_rescue_reads_what_the_first_pass_misses() -> None:
    # A small, blurred code in a big frame: zxing-cpp alone gives up; the rescue passes read it.
    image = canvas(blurred(qr_image("KNM-7F3K-2Q9D", module=3), 2.0), size=(720, 1280))
    assert make_decoder("zxing").decode(image) == []
    result = ScanPipeline(make_decoder("zxing")).decode(image)
    assert [c.text for c in result.codes] == ["KNM-7F3K-2Q9D"]
    assert result.stage != "first"


def test_default_rescue_names() -> None:
    names = [p.name for p in default_rescue()]
    assert names[:4] == ["sharpen", "x2", "x2-global", "x2-sharpen"]
    assert "curved" in names


def test_bgr_input() -> None:
    image = cv2.cvtColor(qr_image("KNM-7F3K-2Q9D"), cv2.COLOR_GRAY2BGR)
    assert ScanPipeline(make_decoder("zxing")).decode(image).codes[0].text == "KNM-7F3K-2Q9D"
