"""Both backends read generated QR codes the way the kiosk meets them, through one interface."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.vision.decoders import DecodedCode, Decoder, make_decoder
from tests.vision.codes import blurred, canvas, qr_image, require_backend

BACKENDS = ["zxing", "zbar"]
CODE = "KNM-7F3K-2Q9D"


@pytest.fixture(params=BACKENDS)
def decoder(request: pytest.FixtureRequest) -> Decoder:
    require_backend(request.param)
    chosen = make_decoder(request.param)
    assert chosen.name == request.param
    return chosen


def texts(codes: list[DecodedCode]) -> list[str | None]:
    return [code.text for code in codes]


@pytest.mark.parametrize("generator", ["segno", "qrcode"])
def test_reads_a_plain_code(decoder: Decoder, generator: str) -> None:
    codes = decoder.decode(qr_image(CODE, generator=generator))
    assert texts(codes) == [CODE]
    assert codes[0].raw == CODE.encode()


@pytest.mark.parametrize(
    "image",
    [
        pytest.param(qr_image(CODE, dark_mode=True), id="dark-mode"),
        pytest.param(qr_image(CODE, mirrored=True), id="mirrored"),
        pytest.param(qr_image(CODE, module=2), id="tiny"),
        pytest.param(blurred(qr_image(CODE, module=6), 1.5), id="blurred"),
        pytest.param(canvas(qr_image(CODE, module=4)), id="small-in-a-big-frame"),
    ],
)
def test_reads_the_hard_cases(decoder: Decoder, image: np.ndarray) -> None:
    assert texts(decoder.decode(image)) == [CODE]


def test_reads_bgr_frames(decoder: Decoder) -> None:
    bgr = np.dstack([qr_image(CODE)] * 3)
    assert texts(decoder.decode(bgr)) == [CODE]


def test_several_codes_are_reported_as_such(decoder: Decoder) -> None:
    codes = decoder.decode(canvas(qr_image("AAAA-1111-BBBB", module=5), qr_image("CCCC-2222-DDDD", module=5)))
    assert sorted(texts(codes)) == ["AAAA-1111-BBBB", "CCCC-2222-DDDD"]  # type: ignore[type-var]


def test_the_same_code_twice_is_one_code(decoder: Decoder) -> None:
    code = qr_image(CODE, module=5)
    assert texts(decoder.decode(canvas(code, code))) == [CODE]


def test_nothing_in_an_empty_frame(decoder: Decoder) -> None:
    noise = np.random.default_rng(1).integers(0, 255, (480, 640), dtype=np.uint8)
    assert decoder.decode(noise) == []
    assert decoder.decode(np.full((480, 640), 128, np.uint8)) == []


def test_non_ascii_payload_has_bytes_but_no_text(decoder: Decoder) -> None:
    codes = decoder.decode(qr_image("Jalan Kebon Sirih Raya No. 1 — ü"))
    assert len(codes) == 1
    assert codes[0].text is None
    assert codes[0].raw.decode("utf-8") == "Jalan Kebon Sirih Raya No. 1 — ü"


def test_corners_are_the_code_outline_clockwise(decoder: Decoder) -> None:
    image = canvas(qr_image(CODE, module=6, border=0))
    (code,) = decoder.decode(image)
    ys, xs = np.nonzero(image < 128)
    box = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    side = box[2] - box[0]
    xs_c = [x for x, _ in code.corners]
    ys_c = [y for _, y in code.corners]
    assert min(xs_c) == pytest.approx(box[0], abs=side * 0.1)
    assert max(xs_c) == pytest.approx(box[2], abs=side * 0.1)
    assert min(ys_c) == pytest.approx(box[1], abs=side * 0.1)
    assert max(ys_c) == pytest.approx(box[3], abs=side * 0.1)
    (x0, y0), (x1, _), (_, y2), _ = code.corners
    assert x1 > x0 and y2 > y0  # clockwise in image coordinates, from the top-left
