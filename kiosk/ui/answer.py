"""The applicant's answer as a column of lines that fits any screen, and the resting curtain against burn-in.

Apart from the window (kiosk/ui/applicant.py) so that the fitting (every line shrinks by one factor
until the whole answer fits, never below a readable size) can be read and tested on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from kiosk.ui.bigtext import fitting_font, needed_size
from kiosk.ui.widgets import label, pixel_font

#: The smallest any applicant text shrinks to, at any screen size.
MINIMUM_PX = 18
#: The smallest share of its size a line shrinks to before the answer is allowed to overflow.
SMALLEST_FACTOR = 0.3


@dataclass(frozen=True, slots=True)
class Line:
    """One row of the answer column: a label (or the divider), its size at this screen, the gap above it."""

    widget: QWidget
    px: int
    bold: bool = False
    gap: int = 0


#: A placed line: the line, its font (None for the divider), the gap above it, its height.
_Row = tuple[Line, QFont | None, int, int]


class AnswerColumn(QWidget):
    """The icon and the answer's lines, stacked and centred, each line as tall as its wrapped text.

    `arrange` finds the largest common factor (1 down to SMALLEST_FACTOR) at which every line fits the
    column's width (no word wider than it) and all of them its height, sets the fonts and places the
    lines; its size never depends on its content (the window gives it what is left)."""

    def __init__(self, icon_for: Callable[[int], QPixmap], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self._icon_for = icon_for
        self.icon = label(align=Qt.AlignmentFlag.AlignCenter, parent=self)
        self.icon_side = 0
        self.lines: list[Line] = []
        self.factor = 1.0

    def set_lines(self, icon_side: int, lines: list[Line]) -> None:
        self.icon_side, self.lines = icon_side, lines
        self.arrange()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.arrange()

    def arrange(self) -> None:
        width, height = self.width(), self.height()
        if width <= 0 or height <= 0:
            return
        shown = [line for line in self.lines if not isinstance(line.widget, QLabel) or line.widget.text()]
        factor, plan = 1.0, self._plan(shown, 1.0, width)
        while (plan is None or plan[0] > height) and factor > SMALLEST_FACTOR:
            factor = max(factor * 0.94, SMALLEST_FACTOR)
            plan = self._plan(shown, factor, width)
        if plan is None:  # a word wider than the column even at the smallest size: place it anyway
            plan = self._plan(shown, factor, width, force=True)
        assert plan is not None
        self.factor = factor
        total, side, rows = plan
        y = max((height - total) // 2, 0)
        self.icon.setVisible(side > 0)
        if side > 0:
            self.icon.setPixmap(self._icon_for(side))
            self.icon.setGeometry(0, y, width, side)
            y += side
        placed = {id(line.widget) for line, _font, _gap, _h in rows}
        for line in self.lines:
            if id(line.widget) not in placed:
                line.widget.hide()
        for line, font, gap, row_height in rows:
            y += gap
            if font is not None and isinstance(line.widget, QLabel):
                set_font(line.widget, font.pixelSize(), font.bold())
            line.widget.setGeometry(0, y, width, row_height)
            line.widget.show()
            y += row_height

    def _plan(
        self, shown: list[Line], factor: float, width: int, force: bool = False
    ) -> tuple[int, int, list[_Row]] | None:
        side = round(self.icon_side * factor) if self.icon_side else 0
        total, rows = side, list[_Row]()
        for line in shown:
            gap = round(line.gap * factor)
            if not isinstance(line.widget, QLabel):  # the divider
                rows.append((line, None, gap, line.widget.height() or 2))
                total += gap + (line.widget.height() or 2)
                continue
            font = pixel_font(max(round(line.px * factor), MINIMUM_PX), line.bold)
            need = needed_size(line.widget.text(), font, width)
            if need.width() > width and not force:
                return None
            rows.append((line, font, gap, need.height()))
            total += gap + need.height()
        return total, side, rows


class RestingCurtain(QWidget):
    """Dims the idle screen while nobody is there, with one line inviting the next applicant; any
    touch on it wakes the screen."""

    touched = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("restCurtain")
        self.text = ""
        self.offset = 0
        self.hide()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(0, 0, 0, 200))
        if self.text:
            font = pixel_font(max(self.height() // 24, MINIMUM_PX), True)
            box = QRect(0, 0, self.width() * 9 // 10, self.height() // 6)
            box.moveCenter(self.rect().center())
            box.translate(self.offset * 2, self.offset * 4)
            font = fitting_font(self.text, font, box.width(), box.height())
            needed = needed_size(self.text, font, box.width())
            backing = QRect(0, 0, needed.width() + font.pixelSize() * 2, needed.height() + font.pixelSize())
            backing.moveCenter(box.center())
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#0d2b45"))
            painter.drawRoundedRect(backing, font.pixelSize() / 2, font.pixelSize() / 2)
            painter.setFont(font)
            painter.setPen(QColor("#c9d6e2"))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.text)
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.touched.emit()
        event.accept()


def set_font(widget: QWidget, pixels: int, bold: bool) -> None:
    """Change a widget's font only when its size or weight changes (a new font means a new layout)."""
    font = widget.font()
    if font.pixelSize() != pixels or font.bold() != bold:
        widget.setFont(pixel_font(pixels, bold))
