"""A label for the applicant's large result text that draws each text once and then copies it.

Qt's raster engine caches glyphs only up to 64 pixels; larger text is filled as outlines at every
paint (measured: "SILAKAN MASUK" bold at 96 px costs 0.7-1.1 ms per draw, at 64 px 0.04 ms). Every state
change repaints the whole applicant screen, so the two or three large lines cost the GUI thread a few
milliseconds each time. The results repeat all day (the same ADMIT, the same idle prompt), so the
drawn label is kept in a small cache shared by all such labels, keyed by everything that changes the
picture, and a repaint is one copy of pixels.

Text that does not fit its rectangle shrinks: `needed_size` is the box a text needs at a font (wrapped
to a width when it wraps, as QLabel and QPainter wrap it), `fitting_font` the largest font down to a
minimum whose box fits. The applicant window sizes its labels with them; a BigTextLabel that is given
less room than its text needs still draws all of it, smaller, down to `minimum_px`.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QLabel, QWidget

#: Larger text than this is not in Qt's glyph cache (QT_MAX_CACHED_GLYPH_SIZE), so it is worth caching.
CACHED_ABOVE_PX = 64
#: What the cache may hold, in bytes of pixels (a 96-px title across a 1080p column is about 0.7 MB).
CACHE_BYTES = 24 * 1024 * 1024
#: The smallest text a BigTextLabel shrinks to.
MINIMUM_PX = 14
_TALL = 1 << 20


def needed_size(text: str, font: QFont, width: int, wrap: bool = True) -> QSize:
    """The box `text` needs at `font`: wrapped at word boundaries to `width` when `wrap` (a word wider
    than `width` makes the box wider than it), one line per line of text otherwise."""
    metrics = QFontMetrics(font)
    flags = Qt.AlignmentFlag.AlignHCenter.value | (Qt.TextFlag.TextWordWrap.value if wrap else 0)
    box = metrics.boundingRect(QRect(0, 0, max(width, 1), _TALL), flags, text)
    return QSize(box.width(), box.height())


def fits(text: str, font: QFont, width: int, height: int, wrap: bool = True) -> bool:
    size = needed_size(text, font, width, wrap)
    return size.width() <= width and size.height() <= height


def fitting_font(
    text: str, font: QFont, width: int, height: int, minimum_px: int = MINIMUM_PX, wrap: bool = True
) -> QFont:
    """`font`, or the largest smaller pixel size (not below `minimum_px`) at which `text` fits."""
    largest = font.pixelSize()
    if largest <= 0 or fits(text, font, width, height, wrap):
        return font
    low, high = min(minimum_px, largest), largest  # low: the answer when nothing fits
    while low < high:  # the largest size that fits, by bisection (the box grows with the size)
        middle = (low + high + 1) // 2
        trial = QFont(font)
        trial.setPixelSize(middle)
        if fits(text, trial, width, height, wrap):
            low = middle
        else:
            high = middle - 1
    fitted = QFont(font)
    fitted.setPixelSize(low)
    return fitted


class _Key(NamedTuple):
    text: str
    font: str
    colour: int
    width: int
    height: int
    ratio: float
    alignment: int
    wrap: bool


class PictureCache:
    """Least recently used pictures up to a byte budget."""

    def __init__(self, budget: int = CACHE_BYTES) -> None:
        self.budget = budget
        self.used = 0
        self._pictures: OrderedDict[_Key, QPixmap] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pictures)

    def get(self, key: _Key) -> QPixmap | None:
        picture = self._pictures.get(key)
        if picture is not None:
            self._pictures.move_to_end(key)
        return picture

    def put(self, key: _Key, picture: QPixmap) -> None:
        size = _bytes(picture)
        if size > self.budget:
            return
        old = self._pictures.pop(key, None)
        if old is not None:
            self.used -= _bytes(old)
        self._pictures[key] = picture
        self.used += size
        while self.used > self.budget:
            _, dropped = self._pictures.popitem(last=False)
            self.used -= _bytes(dropped)

    def clear(self) -> None:
        self._pictures.clear()
        self.used = 0


def _bytes(picture: QPixmap) -> int:
    return picture.width() * picture.height() * 4


CACHE = PictureCache()


class BigTextLabel(QLabel):
    """A plain QLabel whose picture is cached while its font is larger than Qt's glyph cache takes,
    and whose text shrinks (down to `minimum_px`) rather than being cut off when its rectangle is small."""

    def __init__(self, parent: QWidget | None = None, cache: PictureCache = CACHE) -> None:
        super().__init__(parent)
        self._cache = cache
        self.drawn = 0  # pictures drawn rather than copied (for tests)
        self.minimum_px = MINIMUM_PX
        self._fitted: tuple[tuple[object, ...], QFont] | None = None  # the last answer of drawing_font

    def drawing_font(self) -> QFont:
        """The font the text is drawn in: the label's own, or smaller when that does not fit."""
        rect = self.contentsRect()
        if not self.text() or rect.isEmpty():
            return self.font()
        key = (self.text(), self.font().key(), rect.width(), rect.height(), self.minimum_px, self.wordWrap())
        if self._fitted is None or self._fitted[0] != key:
            font = fitting_font(self.text(), self.font(), rect.width(), rect.height(), self.minimum_px, self.wordWrap())
            self._fitted = (key, font)
        return self._fitted[1]

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        font = self.drawing_font()
        if font.pixelSize() != self.font().pixelSize():
            painter = QPainter(self)
            self._draw_text(painter, font)
            painter.end()
            return
        if not self._worth_caching():
            super().paintEvent(event)
            return
        key = self._key()
        picture = self._cache.get(key)
        if picture is None:
            picture = self._draw()
            self._cache.put(key, picture)
        painter = QPainter(self)
        painter.drawPixmap(0, 0, picture)
        painter.end()

    def _worth_caching(self) -> bool:
        return bool(self.text()) and self.font().pixelSize() > CACHED_ABOVE_PX and not self.size().isEmpty()

    def _key(self) -> _Key:
        return _Key(
            text=self.text(),
            font=self.font().key(),
            colour=self.palette().color(self.foregroundRole()).rgba(),
            width=self.width(),
            height=self.height(),
            ratio=self.devicePixelRatioF(),
            alignment=int(self.alignment().value),
            wrap=self.wordWrap(),
        )

    def _draw(self) -> QPixmap:
        """The text as QLabel draws plain text (style, alignment, wrapping, colour), on a clear picture."""
        ratio = self.devicePixelRatioF()
        picture = QPixmap(round(self.width() * ratio), round(self.height() * ratio))
        picture.setDevicePixelRatio(ratio)
        picture.fill(Qt.GlobalColor.transparent)
        flags = self.alignment().value | (Qt.TextFlag.TextWordWrap.value if self.wordWrap() else 0)
        painter = QPainter(picture)
        self._draw_text(painter, self.font(), flags)
        painter.end()
        self.drawn += 1
        return picture

    def _draw_text(self, painter: QPainter, font: QFont, flags: int | None = None) -> None:
        """The text as QLabel draws plain text (style, alignment, wrapping, colour), in `font`."""
        if flags is None:
            flags = self.alignment().value | (Qt.TextFlag.TextWordWrap.value if self.wordWrap() else 0)
        painter.setFont(font)
        self.style().drawItemText(
            painter, self.contentsRect(), flags, self.palette(), self.isEnabled(), self.text(), self.foregroundRole()
        )
