"""fit_for_screen: the preview's pixels, prepared on the camera thread."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.vision.imaging import fit_for_screen


@pytest.mark.parametrize(
    ("source", "area", "expected"),
    [
        ((720, 1280, 3), (960, 540), (540, 960)),  # 16:9 into 16:9: exact
        ((720, 1280, 3), (960, 700), (540, 960)),  # taller area: width decides
        ((1080, 1920, 3), (400, 225), (225, 400)),  # downscale
        ((480, 640), (960, 540), (540, 720)),  # grey 4:3 into 16:9: height decides
        ((480, 640, 4), (320, 240), (240, 320)),  # BGRA stays BGRA
    ],
)
def test_fits_inside_the_area_keeping_the_aspect(
    source: tuple[int, ...], area: tuple[int, int], expected: tuple[int, int]
) -> None:
    image = np.zeros(source, np.uint8)
    fitted = fit_for_screen(image, *area, mirrored=False)
    assert fitted.shape == (*expected, 4) and fitted.dtype == np.uint8
    assert fitted.flags.c_contiguous


def test_mirrors_and_keeps_colours_in_screen_order() -> None:
    image = np.zeros((100, 200, 3), np.uint8)
    image[:, :100] = (255, 0, 0)  # blue on the left (BGR)
    plain = fit_for_screen(image, 200, 100, mirrored=False)
    mirrored = fit_for_screen(image, 200, 100, mirrored=True)
    assert tuple(plain[50, 10]) == (255, 0, 0, 255)  # B, G, R, A: QImage.Format_RGB32 in memory
    assert tuple(mirrored[50, 10]) == (0, 0, 0, 255)
    assert tuple(mirrored[50, 190]) == (255, 0, 0, 255)
