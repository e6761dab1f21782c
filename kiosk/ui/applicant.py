"""The applicant's window: one big answer in two languages, an icon, and the live preview while idle.

The window renders a `kiosk.domain.screen.Screen` and nothing else; it never decides and never waits
on anything. Both languages are always on screen, in two blocks: the first (Bahasa Indonesia unless
the applicant toggles) large, the second a little smaller, every result line at least 48 px at 1080p
(sizes scale with the window's shorter side). Texts are plain text, never rich text. No names: the
applicant screen is seen by everyone in the queue.

Layouts that fit: the answer column (`AnswerColumn`) places its lines itself, each as tall as its
wrapped text needs; when the whole answer does not fit, every line shrinks by the same factor (down to
a minimum) so nothing is cut off. On a portrait screen the preview stands above the answer instead of
beside it.

A result counts down to when the next person may step up. After `rest_after_s` with nobody (no code
seen, no key, no touch) the idle screen rests: it dims, and its content drifts a little now and then,
against burn-in; the next code in view, key or touch wakes it at once.

Kiosk mode: no frame, no cursor, and closing asks for a guard (the window refuses and emits
closeRequested). Ctrl+Alt+G calls the guard console.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QFontMetrics,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPixmap,
    QResizeEvent,
    QShortcut,
)
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLayout, QSizePolicy, QVBoxLayout, QWidget

from kiosk.domain.explain import Lang
from kiosk.domain.model import Decision, Reason, Verdict
from kiosk.domain.screen import (
    AWAITING_GUARD,
    PRIVACY_NOTICE,
    RESTING,
    Screen,
    ScreenState,
    checking_screen,
    countdown_text,
    data_age_text,
    decision_screen,
    idle_screen,
    out_of_order_screen,
    place_line,
)
from kiosk.ui.answer import MINIMUM_PX, AnswerColumn, Line, RestingCurtain, set_font
from kiosk.ui.bigtext import BigTextLabel, fits, fitting_font
from kiosk.ui.preview import Corners, FrameImage, PreviewWidget
from kiosk.ui.resources import icon
from kiosk.ui.widgets import button, frame, label, pixel_font

#: The other language's name, on the toggle button, in that language.
LANGUAGE_NAME = {Lang.ID: "Bahasa Indonesia", Lang.EN: "English"}
REFERENCE_HEIGHT = 1080


@dataclass(frozen=True, slots=True)
class Sizes:
    """Pixel sizes at 1080p for one kind of screen; scaled with the window's shorter side."""

    icon: int
    title1: int
    line1: int
    sentence1: int
    title2: int
    line2: int
    sentence2: int


RESULT_SIZES = Sizes(icon=190, title1=96, line1=76, sentence1=52, title2=64, line2=56, sentence2=48)
IDLE_SIZES = Sizes(icon=150, title1=68, line1=0, sentence1=40, title2=48, line2=0, sentence2=34)
COUNTDOWN = 40
SMALL_PRINT = 24
PREVIEW_SHARE = 0.38  # of the window width (landscape); 16:9 like the 720p/1080p webcams the kiosk uses
TOGGLE = 28
MARGINS = (48, 28)  # left/right, top/bottom
PLACE_MINIMUM_PX = 12
#: Nobody there for this long: the idle screen dims and drifts (burn-in).
REST_AFTER_S = 5 * 60.0
#: While resting, how often the content drifts, and how far (pixels, each way).
DRIFT_EVERY_S = 30.0
DRIFT_PX = 24
COUNTDOWN_MS = 250
REST_CHECK_MS = 5_000


class ApplicantWindow(QWidget):
    languageToggled = Signal(object)  # the Lang now shown first
    guardRequested = Signal()
    closeRequested = Signal()
    restingChanged = Signal(bool)

    def __init__(
        self,
        first: Lang = Lang.ID,
        parent: QWidget | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        rest_after_s: float = REST_AFTER_S,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("applicant")
        self.setWindowTitle("Kiosk")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.first = first
        self.current = idle_screen()
        self.monotonic = monotonic
        self.rest_after_s = rest_after_s
        self.resting = False
        self._last_activity = monotonic()
        self._drift_at = 0.0
        self._drift_step = 0
        self._data_age: dt.timedelta | None = None
        self._place: tuple[str, str, str] | None = None
        self._close_allowed = True
        self._kiosk_mode = False
        self._icons: dict[tuple[ScreenState, int], QPixmap] = {}

        self.place = label("smallprint", kind=BigTextLabel)
        self.place.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.toggle = button("langToggle")
        self.toggle.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.toggle.clicked.connect(self._toggle_language)
        top = QHBoxLayout()
        top.addWidget(self.place, 1, Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignRight)

        self.preview = PreviewWidget(self)
        self.preview.placeholder = "Kamera / Camera"
        self.preview.guide = True
        self.preview.codesSeen.connect(self.wake)
        self.column = AnswerColumn(self._icon, self)
        self._build_lines()
        self.body = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.body.addWidget(self.column, 1)
        self.body.addSpacing(30)
        self.body.addWidget(self.preview, 0, Qt.AlignmentFlag.AlignCenter)

        self.smallprint = label("smallprint", wrap=True, align=Qt.AlignmentFlag.AlignLeft)

        self.root = QVBoxLayout(self)
        # The window's size is the screen's: wrapped labels get their height for the real width,
        # instead of forcing a minimum size computed for a narrow guess.
        self.root.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.root.setContentsMargins(MARGINS[0], MARGINS[1], MARGINS[0], MARGINS[1])
        self.root.addLayout(top)
        self.root.addLayout(self.body, 1)
        self.root.addWidget(self.smallprint)

        self.curtain = RestingCurtain(self)
        self.curtain.touched.connect(self.wake)
        self._countdown = self._timer(COUNTDOWN_MS, self.update_countdown)
        self._rest_check = self._timer(REST_CHECK_MS, self.check_rest)
        self._rest_check.start()

        QShortcut(QKeySequence("Ctrl+Alt+G"), self).activated.connect(self.guardRequested)
        QShortcut(QKeySequence("Ctrl+Alt+Q"), self).activated.connect(self.closeRequested)
        self.show_screen(self.current)

    def _timer(self, interval_ms: int, slot: Callable[[], None]) -> QTimer:
        timer = QTimer(self)
        timer.setInterval(interval_ms)
        timer.timeout.connect(slot)
        return timer

    def _build_lines(self) -> None:
        """The first language's block, a divider, the second language's block, then what follows."""
        self.title1, self.line1, self.sentence1 = (self._label(n) for n in ("title1", "party1", "sentence1"))
        self.divider = frame("divider", self.column)
        self.divider.setFixedHeight(2)
        self.title2, self.line2, self.sentence2 = (self._label(n) for n in ("title2", "party2", "sentence2"))
        self.awaiting = self._label("awaiting")
        self.countdown = self._label("countdown")
        self.icon = self.column.icon

    # --- what the controller calls ----------------------------------------------------------------

    def show_screen(self, screen: Screen) -> None:
        self.current = screen
        if screen.state is not ScreenState.IDLE:
            self.wake()
        self.setProperty("state", screen.state.value)
        for widget in (self, self.title1):  # the title's colour rule depends on the window's state
            self.style().unpolish(widget)
            self.style().polish(widget)
        if self._counts_down():
            self._countdown.start()
        else:
            self._countdown.stop()
        self._render()

    def set_first_language(self, lang: Lang) -> None:
        if lang is not self.first:
            self.first = lang
            self._render()

    def set_data_age(self, age: dt.timedelta | None) -> None:
        self._data_age = age
        self._render_small_print()

    def set_place(self, office_code: str, gate: str = "", office_name: str = "") -> None:
        """Where the applicant stands: the office (its name when known) and the gate, both languages.
        A single argument is shown as it is."""
        self._place = (office_code, gate, office_name)
        self._render_place()

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
            self._countdown.stop()
            self._rest_check.stop()
            event.accept()
            return
        event.ignore()
        self.closeRequested.emit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.curtain.setGeometry(self.rect())
        self._render()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        self.wake()
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.wake()
        super().mousePressEvent(event)

    # --- countdown and rest -------------------------------------------------------------------------

    def _counts_down(self) -> bool:
        return self.current.until is not None and self.current.state in (
            ScreenState.ADMIT,
            ScreenState.REFER,
            ScreenState.DENY,
        )

    def update_countdown(self) -> None:
        """The result's countdown, both languages (the timer calls this; tests may too)."""
        text = ""
        if self._counts_down():
            now = self.monotonic()
            order = (self.first, _other(self.first))
            text = "\n".join(countdown_text(self.current.until, now, lang) for lang in order)
        if text != self.countdown.text():
            self.countdown.setText(text)
            self.column.arrange()

    def wake(self) -> None:
        """Someone is there (a code in view, a key, a touch, an answer): stop resting at once."""
        self._last_activity = self.monotonic()
        if self.resting:
            self._set_resting(False)

    def check_rest(self) -> None:
        """Rest after `rest_after_s` of idle with nobody; while resting, drift now and then (the timer
        calls this; tests may too, on their own clock)."""
        now = self.monotonic()
        idle = self.current.state is ScreenState.IDLE
        if not idle:
            self._last_activity = now
        if not self.resting and idle and now - self._last_activity >= self.rest_after_s:
            self._set_resting(True)
            self._drift_at = now
        elif self.resting and now - self._drift_at >= DRIFT_EVERY_S:
            self._drift_at = now
            self._drift_step += 1
            self._drift()

    def _set_resting(self, on: bool) -> None:
        self.resting = on
        if not on:
            self._drift_step = 0
        self._drift()
        self.curtain.text = "\n".join(RESTING[lang] for lang in (self.first, _other(self.first)))
        self.curtain.offset = _DRIFT[self._drift_step % len(_DRIFT)][1] if on else 0
        self.curtain.setGeometry(self.rect())
        self.curtain.setVisible(on)
        if on:
            self.curtain.raise_()
        self.restingChanged.emit(on)

    def _drift(self) -> None:
        """Move the content a few pixels (its size stays, so nothing is laid out again differently)."""
        dx, dy = _DRIFT[self._drift_step % len(_DRIFT)] if self.resting else (0, 0)
        self.root.setContentsMargins(MARGINS[0] + dx, MARGINS[1] + dy, MARGINS[0] - dx, MARGINS[1] - dy)
        self.curtain.offset = dy
        self.curtain.update()

    # --- rendering --------------------------------------------------------------------------------

    def _label(self, name: str) -> BigTextLabel:
        widget = label(name, wrap=True, align=Qt.AlignmentFlag.AlignCenter, kind=BigTextLabel, parent=self.column)
        assert isinstance(widget, BigTextLabel)
        widget.minimum_px = MINIMUM_PX
        return widget

    def _icon(self, side: int) -> QPixmap:
        key = (self.current.state, side)
        if key not in self._icons:  # rendering the SVG costs; each state and size once
            self._icons[key] = icon(self.current.state).pixmap(QSize(side, side))
        return self._icons[key]

    @property
    def portrait(self) -> bool:
        return self.height() > self.width()

    def _scale(self) -> float:
        return max(min(self.height(), self.width()), 360) / REFERENCE_HEIGHT

    def _px(self, size: int) -> int:
        return max(round(size * self._scale()), 8)

    def _render(self) -> None:
        screen = self.current
        idle = screen.state in (ScreenState.IDLE, ScreenState.CHECKING)
        sizes = IDLE_SIZES if idle else RESULT_SIZES
        first, second = screen.in_order(self.first)
        for widget, text in (
            (self.title1, first.title),
            (self.line1, first.line),
            (self.sentence1, first.sentence),
            (self.title2, second.title),
            (self.line2, second.line),
            (self.sentence2, second.sentence),
        ):
            widget.setText(text)
        awaiting = "\n".join(AWAITING_GUARD[lang] for lang in (self.first, _other(self.first)))
        self.awaiting.setText(awaiting if screen.awaiting_guard else "")
        self.countdown.setText("")
        self.update_countdown()
        self.preview.setVisible(idle)
        portrait = self.portrait
        self.body.setDirection(QBoxLayout.Direction.BottomToTop if portrait else QBoxLayout.Direction.LeftToRight)
        inner = self.width() - 2 * MARGINS[0]
        preview_width = round(inner * 0.9) if portrait else round(self.width() * PREVIEW_SHARE)
        self.preview.setFixedSize(preview_width, preview_width * 9 // 16)
        if not idle:
            self.preview.clear()
        self.toggle.setText(LANGUAGE_NAME[_other(self.first)])
        set_font(self.toggle, self._px(TOGGLE), False)
        self._render_place()
        self._render_small_print()
        px = self._px
        lines = [
            Line(self.title1, px(sizes.title1), True, px(12)),
            Line(self.line1, px(sizes.line1), True),
            Line(self.sentence1, px(sizes.sentence1)),
            Line(self.divider, 0, gap=px(14)),
            Line(self.title2, px(sizes.title2), gap=px(14)),
            Line(self.line2, px(sizes.line2)),
            Line(self.sentence2, px(sizes.sentence2)),
            Line(self.awaiting, px(RESULT_SIZES.sentence2), True, px(14)),
            Line(self.countdown, px(COUNTDOWN), False, px(18)),
        ]
        self.column.set_lines(px(sizes.icon), lines)

    def _render_place(self) -> None:
        if self._place is None:
            text = ""
        elif not self._place[1]:
            text = self._place[0]
        else:
            code, gate, name = self._place
            text = place_line(code, gate, self.first, name)
        room = max(self.width() - 2 * MARGINS[0] - self.toggle.sizeHint().width() - 12, 1)
        wanted = self._px(SMALL_PRINT)
        font = fitting_font(text, pixel_font(wanted), room, 1 << 20, PLACE_MINIMUM_PX, wrap=False)
        too_long = font.pixelSize() < wanted * 0.8 or not fits(text, font, room, 1 << 20, wrap=False)
        if too_long and "  ·  " in text:  # too long for one line: one language a line
            text = text.replace("  ·  ", "\n", 1)
            font = fitting_font(text, pixel_font(wanted), room, 1 << 20, PLACE_MINIMUM_PX, wrap=False)
        if not fits(text, font, room, 1 << 20, wrap=False):  # a window far smaller than any screen
            metrics = QFontMetrics(font)
            text = "\n".join(metrics.elidedText(line, Qt.TextElideMode.ElideRight, room) for line in text.split("\n"))
        self.place.setText(text)
        set_font(self.place, font.pixelSize(), False)

    def _render_small_print(self) -> None:
        idle = self.current.state in (ScreenState.IDLE, ScreenState.CHECKING)
        order = (self.first, _other(self.first))
        lines = [
            "  ·  ".join(PRIVACY_NOTICE[lang] for lang in order),
            "  ·  ".join(data_age_text(self._data_age, lang) for lang in order),
        ]
        self.smallprint.setText("\n".join(lines))
        set_font(self.smallprint, self._px(SMALL_PRINT), False)
        self.smallprint.setVisible(idle)

    def _toggle_language(self) -> None:
        self.wake()
        self.set_first_language(_other(self.first))
        self.languageToggled.emit(self.first)


#: Where the resting content drifts to, one step at a time (pixels right, down).
_DRIFT = (
    (0, 0),
    (DRIFT_PX, DRIFT_PX // 2),
    (0, DRIFT_PX),
    (-DRIFT_PX, DRIFT_PX // 2),
    (-DRIFT_PX, -DRIFT_PX // 2),
    (0, -DRIFT_PX),
)


def _other(lang: Lang) -> Lang:
    return Lang.EN if lang is Lang.ID else Lang.ID
