"""One display for the applicant and the guard (`kiosk run --single-screen`).

Ctrl+Alt+G opens the guard console on the applicant's own display. Two rules hold while it is open:

- **The console never covers the verdict.** The display is split: the console takes a side panel (the
  right `CONSOLE_SHARE` of a landscape display, the lower part of a portrait one) and the applicant's
  window is moved into the rest, where its layout reflows (a narrow window stacks, text shrinks to
  fit), so the answer stays whole and readable. When the console is hidden again the applicant's window
  takes the whole display back.
- **No personal data where an applicant can see it.** Everything on one display can be seen from the
  applicant's place, so the guard's queue (names, NIK digits) and every dialog opened over the console
  are covered by a curtain; the guard reads them while holding HOLD_KEY (F12), and the curtain falls
  again the moment the key is released or the console loses the keyboard.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from shiboken6 import isValid

from kiosk.ui.bigtext import fitting_font
from kiosk.ui.widgets import pixel_font

#: The share of the display the console takes, more when its minimum size needs it, at most MAX_SHARE.
CONSOLE_SHARE = 0.42
MAX_SHARE = 0.62
#: Held down, it lifts the curtain over personal data.
HOLD_KEY = Qt.Key.Key_F12
CURTAIN_TEXT = (
    "Data pribadi disembunyikan di layar ini. Tahan F12 untuk melihatnya.\n"
    "Personal data is hidden on this screen. Hold F12 to see it."
)


def split(area: QRect, share: float = CONSOLE_SHARE) -> tuple[QRect, QRect]:
    """The applicant's part and the console's part of `area`: side by side on a landscape display, one
    above the other on a portrait one. They never overlap."""
    if area.width() >= area.height():
        console_width = round(area.width() * share)
        applicant = QRect(area.left(), area.top(), area.width() - console_width, area.height())
        console = QRect(applicant.right() + 1, area.top(), console_width, area.height())
    else:
        console_height = round(area.height() * share)
        applicant = QRect(area.left(), area.top(), area.width(), area.height() - console_height)
        console = QRect(area.left(), applicant.bottom() + 1, area.width(), console_height)
    return applicant, console


class Curtain(QWidget):
    """An opaque cover over one widget's whole area, saying how to see what is under it."""

    def __init__(self, covered: QWidget) -> None:
        super().__init__(covered)
        self.setObjectName("privacyCurtain")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setGeometry(covered.rect())
        covered.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize and isinstance(watched, QWidget):
            self.setGeometry(watched.rect())
            self.raise_()
        return False

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#2b3a48"))
        box = self.rect().adjusted(24, 24, -24, -24)
        font = fitting_font(CURTAIN_TEXT, pixel_font(18, True), box.width(), box.height(), 10)
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, CURTAIN_TEXT)
        painter.end()


class SingleScreen(QObject):
    """The split display and the privacy curtain; see the module docstring.

    `covered`: the console's widgets that hold personal data (its queue page); dialogs that open while
    the console is shown are covered as they appear."""

    def __init__(
        self,
        app: QApplication,
        applicant: QWidget,
        console: QWidget,
        covered: list[QWidget],
        area: QRect,
        kiosk_mode: bool = True,
    ) -> None:
        super().__init__(console)
        self.app, self.applicant, self.console = app, applicant, console
        self.area = area
        self.kiosk_mode = kiosk_mode
        self.revealed = False
        self.curtains = [Curtain(widget) for widget in covered]
        console.installEventFilter(self)
        app.installEventFilter(self)

    @property
    def console_open(self) -> bool:
        return self.console.isVisible()

    def show_applicant(self) -> None:
        """The applicant's window alone, on the whole display."""
        self.applicant.setGeometry(self.area)
        if self.kiosk_mode:
            self.applicant.showFullScreen()
        else:
            self.applicant.show()

    def open_console(self) -> None:
        """Ctrl+Alt+G: the console in its panel, the applicant's window in the rest of the display."""
        applicant_part, console_part = split(self.area, self.share())
        if self.applicant.isFullScreen():
            self.applicant.showNormal()
        self.applicant.setGeometry(applicant_part)
        self.console.setGeometry(console_part)
        self.cover()
        self.console.show()
        self.console.raise_()
        self.console.activateWindow()

    def share(self) -> float:
        """The console's share: CONSOLE_SHARE, or what its minimum size needs, up to MAX_SHARE."""
        minimum = self.console.minimumSizeHint()
        landscape = self.area.width() >= self.area.height()
        need = minimum.width() / self.area.width() if landscape else minimum.height() / self.area.height()
        return min(max(CONSOLE_SHARE, need), MAX_SHARE)

    def close_console(self) -> None:
        self.console.hide()

    def cover(self) -> None:
        self.revealed = False
        self._set_covered(True)

    def reveal(self) -> None:
        self.revealed = True
        self._set_covered(False)

    def _set_covered(self, on: bool) -> None:
        self.curtains = [curtain for curtain in self.curtains if isValid(curtain)]  # closed dialogs' went
        for curtain in self.curtains:
            curtain.setVisible(on)
            if on:
                curtain.raise_()

    def detach(self) -> None:
        self.app.removeEventFilter(self)
        self.console.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if watched is self.console and kind == QEvent.Type.Hide:
            self.cover()
            self.show_applicant()
        elif kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) and isinstance(event, QKeyEvent):
            if event.key() == HOLD_KEY and not event.isAutoRepeat():
                self.reveal() if kind == QEvent.Type.KeyPress and self.console_open else self.cover()
                return True
        elif kind == QEvent.Type.ApplicationDeactivate or (
            watched is self.console and kind == QEvent.Type.WindowDeactivate
        ):
            self.cover()
        elif kind == QEvent.Type.Show and isinstance(watched, QDialog) and self.console_open:
            self._dialog_shown(watched)
        return False

    def _dialog_shown(self, dialog: QDialog) -> None:
        """A dialog over the console stays inside the console's panel, and what it shows of a scan
        (name, NIK digits) is covered like the queue; a PIN dialog shows no personal data."""
        panel = self.console.geometry()
        box = dialog.geometry()
        box.setWidth(min(box.width(), panel.width()))
        box.setHeight(min(box.height(), panel.height()))
        box.moveLeft(min(max(box.left(), panel.left()), panel.right() - box.width() + 1))
        box.moveTop(min(max(box.top(), panel.top()), panel.bottom() - box.height() + 1))
        dialog.setGeometry(box)
        if dialog.objectName() == "pinDialog":
            return
        if not any(isValid(c) and c.parent() is dialog for c in self.curtains):
            self.curtains.append(Curtain(dialog))
        self._set_covered(not self.revealed)
