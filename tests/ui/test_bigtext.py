"""The cached large text of the applicant screen: the same pixels as QLabel's own drawing, drawn once
per text, colour and size, and a cache that stays within its budget."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kiosk.app import qt_app
from kiosk.domain.model import Decision, Reason, Verdict
from kiosk.domain.screen import Screen, checking_screen, decision_screen, idle_screen, out_of_order_screen
from kiosk.ui import bigtext
from kiosk.ui.applicant import ApplicantWindow
from kiosk.ui.bigtext import BigTextLabel, PictureCache
from kiosk.ui.widgets import pixel_font

SCREENS = {
    "idle": idle_screen(),
    "checking": checking_screen(),
    "admit party of 3": decision_screen(Decision(Verdict.ADMIT, Reason.OK, 3, None, {"slot_start": "10.30"})),
    "deny too early": decision_screen(Decision.of(Reason.TOO_EARLY)),
    "refer": decision_screen(Decision.of(Reason.NEEDS_OFFICER)),
    "out of order": out_of_order_screen(),
}


@pytest.fixture
def window(qapp: QApplication, qtbot: QtBot) -> Iterator[ApplicantWindow]:
    qt_app()  # the kiosk's style sheet on the test application
    bigtext.CACHE.clear()
    applicant = ApplicantWindow()
    qtbot.addWidget(applicant)
    applicant.resize(1920, 1080)
    applicant.show()
    qtbot.waitExposed(applicant)
    yield applicant
    bigtext.CACHE.clear()


def picture(window: ApplicantWindow, screen: Screen) -> QImage:
    window.show_screen(screen)
    QApplication.processEvents()
    return window.grab().toImage()


@pytest.mark.parametrize("name", SCREENS)
def test_a_cached_screen_has_the_pixels_qlabel_would_draw(
    window: ApplicantWindow, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setattr(bigtext, "CACHED_ABOVE_PX", 10_000)  # nothing cached: QLabel's own drawing
    plain = picture(window, SCREENS[name])
    monkeypatch.setattr(bigtext, "CACHED_ABOVE_PX", 64)
    cached = picture(window, SCREENS[name])
    assert any(label.drawn for label in window.findChildren(BigTextLabel)), "nothing went through the cache"
    assert cached == plain


def test_a_repeated_result_copies_its_text_instead_of_drawing_it(window: ApplicantWindow) -> None:
    admit = SCREENS["admit party of 3"]
    picture(window, admit)
    picture(window, SCREENS["deny too early"])
    drawn = window.title1.drawn
    assert drawn >= 2
    picture(window, admit)
    window.grab()
    assert window.title1.drawn == drawn  # the ADMIT title came from the cache, twice


def test_the_out_of_order_title_has_its_own_colour_and_its_own_picture(window: ApplicantWindow) -> None:
    picture(window, SCREENS["refer"])
    assert window.title1.palette().color(window.title1.foregroundRole()) == QColor("#ffffff")
    picture(window, out_of_order_screen())
    assert window.title1.palette().color(window.title1.foregroundRole()) == QColor("#ffd54f")
    image = window.title1.grab().toImage()
    yellow = [image.pixelColor(x, image.height() // 2) for x in range(image.width())]
    assert any(c.red() > 200 and c.green() > 180 and c.blue() < 120 for c in yellow)


def test_text_at_or_below_qts_glyph_cache_size_is_not_cached(qapp: QApplication, qtbot: QtBot) -> None:
    cache = PictureCache()
    label = BigTextLabel(cache=cache)
    qtbot.addWidget(label)
    label.setText("OUT OF ORDER")
    label.setFont(pixel_font(64))
    label.resize(900, 100)
    label.grab()  # paints it
    assert len(cache) == 0 and label.drawn == 0
    label.setFont(pixel_font(65))
    label.grab()
    assert len(cache) == 1 and label.drawn == 1


def test_the_cache_keeps_the_most_recently_used_pictures_within_its_budget(qapp: QApplication) -> None:
    side = 100  # 40,000 bytes a picture
    cache = PictureCache(budget=3 * side * side * 4)
    keys = [
        bigtext._Key(f"text {n}", "font", 0, side, side, 1.0, int(Qt.AlignmentFlag.AlignCenter.value), True)
        for n in range(5)
    ]
    for key in keys[:3]:
        cache.put(key, QPixmap(side, side))
    assert cache.get(keys[0]) is not None  # now the most recently used
    cache.put(keys[3], QPixmap(side, side))
    assert cache.get(keys[1]) is None  # the least recently used went
    assert all(cache.get(key) is not None for key in (keys[0], keys[2], keys[3]))
    assert cache.used == 3 * side * side * 4
    cache.put(keys[4], QPixmap(side * 4, side * 4))  # larger than the whole budget: not kept
    assert cache.get(keys[4]) is None and len(cache) == 3


def test_the_same_text_in_another_colour_is_drawn_again(qapp: QApplication, qtbot: QtBot) -> None:
    label = BigTextLabel(cache=PictureCache())
    qtbot.addWidget(label)
    label.setText("SILAKAN MASUK")
    label.setFont(pixel_font(96, bold=True))
    label.resize(900, 140)
    colours = []
    for colour in ("#ff0000", "#0000ff"):
        label.setStyleSheet(f"color: {colour};")
        image = label.grab().toImage()
        colours.append({image.pixelColor(x, 70).name() for x in range(900)} - {"#000000"})
    assert label.drawn == 2
    assert "#ff0000" in colours[0] and "#0000ff" in colours[1]


# --- fitting (issue 15: text that does not fit shrinks) -------------------------------------------------


def test_fitting_font_is_the_largest_size_at_which_the_text_fits(qapp: QApplication) -> None:
    text = "PLEASE WAIT FOR THE OFFICER"
    big = pixel_font(96, bold=True)
    assert not bigtext.fits(text, big, 500, 150)
    fitted = bigtext.fitting_font(text, big, 500, 150, minimum_px=10)
    assert 10 <= fitted.pixelSize() < 96 and fitted.bold()
    assert bigtext.fits(text, fitted, 500, 150)
    larger = pixel_font(fitted.pixelSize() + 1, bold=True)
    assert not bigtext.fits(text, larger, 500, 150)
    assert bigtext.fitting_font(text, big, 5000, 500) is big  # it fits: the same font
    assert bigtext.fitting_font(text, big, 20, 5, minimum_px=12).pixelSize() == 12  # never below the minimum


def test_a_word_wider_than_the_rectangle_does_not_fit_even_when_wrapped(qapp: QApplication) -> None:
    font = pixel_font(96, bold=True)
    size = bigtext.needed_size("PEMERIKSAAN", font, 200)
    assert size.width() > 200
    assert not bigtext.fits("PEMERIKSAAN", font, 200, 10_000)


def test_a_label_given_too_little_room_draws_its_text_smaller(qapp: QApplication, qtbot: QtBot) -> None:
    label = BigTextLabel(cache=PictureCache())
    qtbot.addWidget(label)
    label.setWordWrap(True)
    label.setText("TIDAK DAPAT MASUK")
    label.setFont(pixel_font(96, bold=True))
    label.resize(400, 120)
    drawn = label.drawing_font()
    assert drawn.pixelSize() < 96
    assert bigtext.fits(label.text(), drawn, 400, 120)
    image = label.grab().toImage()  # painted without error, at the smaller size
    assert not image.isNull()
    label.resize(1400, 300)
    assert label.drawing_font().pixelSize() == 96
