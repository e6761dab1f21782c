"""The live camera preview on the applicant screen, with the code the reader found outlined.

Only the newest frame is kept: `set_frame` replaces the image and asks for a repaint, and Qt folds all
repaint requests before the next paint into one, so a slow screen drops frames instead of queueing
them. Frames live only in memory, as the camera gives them; nothing here can write one anywhere.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen, QPolygonF, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

Corners = Sequence[tuple[float, float]]
#: A frame to show: an image, or a function making one (called only if the frame is ever painted).
FrameImage = QImage | Callable[[], QImage]

#: How long an outline stays after the code was last seen.
OUTLINE_HOLD_S = 0.6


class PreviewWidget(QWidget):
    """See the module docstring. A frame comes either as it left the camera (scaled and mirrored here,
    at paint time) or ready for the screen (set_screen_image: fitted to `area_size`, mirrored and in the
    screen's pixel format by the camera thread), which the paint only copies."""

    #: The area a ready-made frame should fit (width, height), whenever the widget's size changes.
    areaChanged = Signal(int, int)
    #: A code is in view (a frame came with one, or the reader reported one): someone is there.
    codesSeen = Signal()

    def __init__(self, parent: QWidget | None = None, mirrored: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("preview")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.mirrored = mirrored
        self._image: QImage | None = None
        self._pending: Callable[[], QImage] | None = None
        self._source: Callable[[], QImage] | None = None  # keeps a zero-copy image's buffer alive
        self._codes: list[list[tuple[float, float]]] = []
        self._codes_at = 0.0
        self._arrivals: deque[float] = deque(maxlen=64)
        self._keep: object = None  # owner of a ready-made image's pixels
        self._ready_source: tuple[int, int] | None = None  # camera frame size of a ready-made image
        self.placeholder = ""
        #: Draw the box the applicant holds the code in (the idle guidance says "inside the box").
        self.guide = False

    @property
    def area_size(self) -> tuple[int, int]:
        area = self._area()
        return int(area.width()), int(area.height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.areaChanged.emit(*self.area_size)

    # --- input ------------------------------------------------------------------------------------

    def set_frame(self, image: FrameImage, codes: Sequence[Corners] = ()) -> None:
        """Show `image` (replacing any frame not yet painted) with `codes` outlined. A callable is
        converted only at paint time, so frames that arrive faster than the screen paints cost nothing."""
        now = time.monotonic()
        if isinstance(image, QImage):
            self._image, self._pending, self._source = image, None, None
        else:
            self._pending = image
        self._keep = self._ready_source = None
        self._arrived(now, codes)

    def set_screen_image(
        self, image: QImage, keep: object, source_size: tuple[int, int], codes: Sequence[Corners] = ()
    ) -> None:
        """Show a frame made ready for the screen (fitted to area_size, mirrored when `mirrored` is
        set); `keep` owns its pixels; code corners are in the camera frame's `source_size`."""
        self._image, self._pending, self._source = image, None, None
        self._keep, self._ready_source = keep, source_size
        self._arrived(time.monotonic(), codes)

    def _arrived(self, now: float, codes: Sequence[Corners]) -> None:
        self._arrivals.append(now)
        if codes:
            self._codes = [list(corners) for corners in codes]
            self._codes_at = now
            self.codesSeen.emit()
        self.update()

    def set_codes(self, codes: Sequence[Corners]) -> None:
        """Outline codes found in the current frame (when the reader reports them apart from frames)."""
        if codes:
            self._codes = [list(corners) for corners in codes]
            self._codes_at = time.monotonic()
            self.codesSeen.emit()
            self.update()

    def clear(self) -> None:
        self._image = None
        self._pending = self._source = None
        self._keep = self._ready_source = None
        self._codes = []
        self._arrivals.clear()
        self.update()

    @property
    def fps(self) -> float:
        """Frames received over the last two seconds, per second."""
        now = time.monotonic()
        recent = [t for t in self._arrivals if now - t <= 2.0]
        if len(recent) < 2:
            return 0.0
        span = now - recent[0]
        return (len(recent) - 1) / span if span > 0 else 0.0

    # --- painting ---------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#05121d"))
        if self._pending is not None:
            self._source, self._pending = self._pending, None
            self._image = self._source()
        image = self._image
        if image is None or image.isNull():
            if self.placeholder:
                painter.setPen(QColor("#c9d6e2"))
                painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            painter.end()
            return
        if self._ready_source is not None and self._fits(image):
            target = self._target(image)
            painter.drawImage(target.topLeft(), image)  # a copy: no scaling, no mirroring, no conversion
            if self._codes and time.monotonic() - self._codes_at <= OUTLINE_HOLD_S:
                self._outline(painter, target, self._ready_source)
            self._guide(painter, target)
            painter.end()
            return
        if self._ready_source is not None:  # made for another size (the widget was resized): scale it
            image = image.scaled(*self._ready_source)
        target = self._target(image)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        if self.mirrored and self._ready_source is None:
            painter.save()
            painter.translate(target.center().x() * 2, 0)
            painter.scale(-1, 1)
            painter.drawImage(target, image)
            painter.restore()
        else:
            painter.drawImage(target, image)
        if self._codes and time.monotonic() - self._codes_at <= OUTLINE_HOLD_S:
            self._outline(painter, target, (image.width(), image.height()))
        self._guide(painter, target)
        painter.end()

    def _guide(self, painter: QPainter, target: QRectF) -> None:
        """The box to hold the code in: a square of half the picture's height, in its middle."""
        if not self.guide:
            return
        side = target.height() * 0.62
        box = QRectF(0, 0, side, side)
        box.moveCenter(target.center())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor(255, 255, 255, 200), max(target.height() / 120, 2))
        pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(box, side / 14, side / 14)

    def _area(self) -> QRectF:
        return QRectF(self.rect()).adjusted(3, 3, -3, -3)

    def _fits(self, image: QImage) -> bool:
        """Was this ready-made image fitted to the current area (one side equal, the other within)?"""
        width, height = self.area_size
        return (image.width() == width and image.height() <= height) or (
            image.height() == height and image.width() <= width
        )

    def _target(self, image: QImage) -> QRectF:
        area = self._area()
        scale = min(area.width() / image.width(), area.height() / image.height())
        width, height = image.width() * scale, image.height() * scale
        return QRectF(area.center().x() - width / 2, area.center().y() - height / 2, width, height)

    def _outline(self, painter: QPainter, target: QRectF, source: tuple[int, int]) -> None:
        """Outline the codes; corners are in camera-frame pixels (`source`: its width, height)."""
        sx, sy = target.width() / source[0], target.height() / source[1]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for corners in self._codes:
            points = []
            for x, y in corners:
                px = target.left() + (source[0] - x if self.mirrored else x) * sx
                points.append(QPointF(px, target.top() + y * sy))
            polygon = QPolygonF(points)
            painter.setPen(QPen(QColor(0, 0, 0, 160), 9))
            painter.drawPolygon(polygon)
            painter.setPen(QPen(QColor("#3ee06a"), 5))
            painter.drawPolygon(polygon)
