"""The applicant's window: one big answer in two languages, an icon, and the live preview while idle.

The window renders a `kiosk.domain.screen.Screen` and nothing else; it never decides and never waits
on anything. Both languages are always on screen, in two blocks: the first (Bahasa Indonesia unless
the applicant toggles) large, the second a little smaller, every result line at least 48 px at 1080p
(sizes scale with the window height). Texts are plain text, never rich text. No names: the applicant
screen is seen by everyone in the queue.

Kiosk mode: no frame, no cursor, and closing asks for a guard (the window refuses and emits
closeRequested). Ctrl+Alt+G calls the guard console.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QImage, QKeySequence, QPixmap, QResizeEvent, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QSizePolicy, QVBoxLayout, QWidget

from kiosk.domain.explain import Lang
from kiosk.domain.model import Decision, Reason, Verdict
from kiosk.domain.screen import (
    AWAITING_GUARD,
    PRIVACY_NOTICE,
    Screen,
    ScreenState,
    checking_screen,
    data_age_text,
    decision_screen,
    idle_screen,
    out_of_order_screen,
)
from kiosk.ui.bigtext import BigTextLabel
from kiosk.ui.preview import Corners, FrameImage, PreviewWidget
from kiosk.ui.resources import icon
from kiosk.ui.widgets import button, frame, label, pixel_font

#: The other language's name, on the toggle button, in that language.
LANGUAGE_NAME = {Lang.ID: "Bahasa Indonesia", Lang.EN: "English"}
REFERENCE_HEIGHT = 1080


@dataclass(frozen=True, slots=True)
class Sizes:
    """Pixel sizes at 1080p for one kind of screen; scaled with the window height."""

    icon: int
    title1: int
    line1: int
    sentence1: int
    title2: int
    line2: int
    sentence2: int


RESULT_SIZES = Sizes(icon=190, title1=96, line1=76, sentence1=52, title2=64, line2=56, sentence2=48)
IDLE_SIZES = Sizes(icon=150, title1=68, line1=0, sentence1=40, title2=48, line2=0, sentence2=34)
SMALL_PRINT = 24
PREVIEW_SHARE = 0.38  # of the window width; 16:9 like the 720p/1080p webcams the kiosk uses
TOGGLE = 28


class ApplicantWindow(QWidget):
    languageToggled = Signal(object)  # noqa: N815 - the Lang now shown first
    guardRequested = Signal()  # noqa: N815
    closeRequested = Signal()  # noqa: N815

    def __init__(self, first: Lang = Lang.ID, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("applicant")
        self.setWindowTitle("Kiosk")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.first = first
        self.current = idle_screen()
        self._data_age: dt.timedelta | None = None
        self._close_allowed = True
        self._kiosk_mode = False
        self._icons: dict[tuple[ScreenState, int], QPixmap] = {}

        self.place = label("smallprint")
        self.toggle = button("langToggle")
        self.toggle.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.toggle.clicked.connect(self._toggle_language)
        top = QHBoxLayout()
        top.addWidget(self.place, 1, Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignRight)

        self.preview = PreviewWidget(self)
        self.preview.placeholder = "Kamera / Camera"
        body = QHBoxLayout()
        body.addLayout(self._build_column(), 1)
        body.addSpacing(30)
        body.addWidget(self.preview, 0, Qt.AlignmentFlag.AlignVCenter)

        self.smallprint = label("smallprint", wrap=True)

        root = QVBoxLayout(self)
        # The window's size is the screen's: wrapped labels get their height for the real width,
        # instead of forcing a minimum size computed for a narrow guess.
        root.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        root.setContentsMargins(48, 28, 48, 28)
        root.addLayout(top)
        root.addLayout(body, 1)
        root.addWidget(self.smallprint)

        QShortcut(QKeySequence("Ctrl+Alt+G"), self).activated.connect(self.guardRequested)
        QShortcut(QKeySequence("Ctrl+Alt+Q"), self).activated.connect(self.closeRequested)
        self.show_screen(self.current)

    def _build_column(self) -> QVBoxLayout:
        """Icon, then the first language's block, a divider, the second language's block."""
        self.icon = label(align=Qt.AlignmentFlag.AlignCenter)
        self.title1, self.line1, self.sentence1 = (self._label(n) for n in ("title1", "party1", "sentence1"))
        self.divider = frame("divider")
        self.divider.setFixedHeight(2)
        self.title2, self.line2, self.sentence2 = (self._label(n) for n in ("title2", "party2", "sentence2"))
        self.awaiting = self._label("awaiting")
        column = QVBoxLayout()
        column.addStretch(1)
        column.addWidget(self.icon)
        column.addSpacing(12)
        for widget in (self.title1, self.line1, self.sentence1):
            column.addWidget(widget)
        column.addSpacing(10)
        column.addWidget(self.divider)
        column.addSpacing(10)
        for widget in (self.title2, self.line2, self.sentence2):
            column.addWidget(widget)
        column.addSpacing(14)
        column.addWidget(self.awaiting)
        column.addStretch(1)
        return column

    # --- what the controller calls ----------------------------------------------------------------

    def show_screen(self, screen: Screen) -> None:
        self.current = screen
        self.setProperty("state", screen.state.value)
        for widget in (self, self.title1):  # the title's colour rule depends on the window's state
            self.style().unpolish(widget)
            self.style().polish(widget)
        self._render()

    def set_first_language(self, lang: Lang) -> None:
        if lang is not self.first:
            self.first = lang
            self._render()

    def set_data_age(self, age: dt.timedelta | None) -> None:
        self._data_age = age
        self._render_small_print()

    def set_place(self, text: str) -> None:
        self.place.setText(text)

    def set_frame(self, image: FrameImage, codes: tuple[Corners, ...] = ()) -> None:
        if self.preview.isVisible():
            self.preview.set_frame(image, codes)

    def set_screen_image(self, image: QImage, keep: object, source_size: tuple[int, int]) -> None:
        """A preview frame already fitted to the preview's area and mirrored (see PreviewWidget)."""
        if self.preview.isVisible():
            self.preview.set_screen_image(image, keep, source_size)

    def warm_up(self) -> None:
        """Draw every kind of screen once, off screen, before the first applicant: the first drawing
        of large text rasterises its glyphs, which would otherwise cost the GUI thread a frame then."""
        shown = self.current
        samples = [
            decision_screen(Decision(Verdict.ADMIT, Reason.OK, 3, None, {"slot_start": "10.30", "zone": "WIB"})),
            decision_screen(Decision.of(Reason.UNKNOWN_CODE)),
            decision_screen(Decision.of(Reason.NEEDS_OFFICER)),
            out_of_order_screen(),
            checking_screen(),
        ]
        canvas = QPixmap(self.size())
        for screen in samples:
            self.current = screen
            self._render()
            self.render(canvas)
        self.current = shown
        self._render()

    def set_kiosk_mode(self, on: bool) -> None:
        """No window frame, no cursor, and no closing without a guard."""
        self._kiosk_mode = on
        self._close_allowed = not on
        self.setWindowFlag(Qt.WindowType.FramelessWindowHint, on)
        if on:
            self.setCursor(Qt.CursorShape.BlankCursor)
        else:
            self.unsetCursor()

    def allow_close(self) -> None:
        """A guard confirmed with a PIN: the next close goes through."""
        self._close_allowed = True

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self._close_allowed:
            event.accept()
            return
        event.ignore()
        self.closeRequested.emit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._render()

    # --- rendering --------------------------------------------------------------------------------

    def _label(self, name: str) -> QLabel:
        widget = label(name, wrap=True, align=Qt.AlignmentFlag.AlignCenter, kind=BigTextLabel)
        widget.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        return widget

    def _scale(self) -> float:
        return max(self.height(), 360) / REFERENCE_HEIGHT

    def _px(self, size: int) -> int:
        return max(round(size * self._scale()), 8)

    def _render(self) -> None:
        screen = self.current
        idle = screen.state in (ScreenState.IDLE, ScreenState.CHECKING)
        sizes = IDLE_SIZES if idle else RESULT_SIZES
        first, second = screen.in_order(self.first)
        for widget, text, size, bold in (
            (self.title1, first.title, sizes.title1, True),
            (self.line1, first.line, sizes.line1, True),
            (self.sentence1, first.sentence, sizes.sentence1, False),
            (self.title2, second.title, sizes.title2, False),
            (self.line2, second.line, sizes.line2, False),
            (self.sentence2, second.sentence, sizes.sentence2, False),
        ):
            widget.setText(text)
            widget.setVisible(bool(text))
            _set_font(widget, self._px(size), bold)
        awaiting = "\n".join(AWAITING_GUARD[lang] for lang in (self.first, _other(self.first)))
        self.awaiting.setText(awaiting if screen.awaiting_guard else "")
        self.awaiting.setVisible(screen.awaiting_guard)
        _set_font(self.awaiting, self._px(RESULT_SIZES.sentence2), True)
        side = self._px(sizes.icon)
        key = (screen.state, side)
        if key not in self._icons:  # rendering the SVG costs; each state and size once
            self._icons[key] = icon(screen.state).pixmap(QSize(side, side))
        self.icon.setPixmap(self._icons[key])
        self.icon.setFixedHeight(side)
        self.preview.setVisible(idle)
        preview_width = round(self.width() * PREVIEW_SHARE)
        self.preview.setFixedSize(preview_width, preview_width * 9 // 16)
        if not idle:
            self.preview.clear()
        self.toggle.setText(LANGUAGE_NAME[_other(self.first)])
        _set_font(self.toggle, self._px(TOGGLE), False)
        _set_font(self.place, self._px(SMALL_PRINT), False)
        self._render_small_print()

    def _render_small_print(self) -> None:
        idle = self.current.state in (ScreenState.IDLE, ScreenState.CHECKING)
        order = (self.first, _other(self.first))
        lines = [
            "  ·  ".join(PRIVACY_NOTICE[lang] for lang in order),
            "  ·  ".join(data_age_text(self._data_age, lang) for lang in order),
        ]
        self.smallprint.setText("\n".join(lines))
        _set_font(self.smallprint, self._px(SMALL_PRINT), False)
        self.smallprint.setVisible(idle)

    def _toggle_language(self) -> None:
        self.set_first_language(_other(self.first))
        self.languageToggled.emit(self.first)


def _set_font(widget: QWidget, pixels: int, bold: bool) -> None:
    """Change a widget's font only when its size or weight changes (a new font means a new layout)."""
    font = widget.font()
    if font.pixelSize() != pixels or font.bold() != bold:
        widget.setFont(pixel_font(pixels, bold))


def _other(lang: Lang) -> Lang:
    return Lang.EN if lang is Lang.ID else Lang.ID
