"""Small constructors for the widgets the screens build many of: named (for the style sheet), plain text."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QWidget


def label(
    name: str = "",
    text: str = "",
    *,
    wrap: bool = False,
    align: Qt.AlignmentFlag | None = None,
    parent: QWidget | None = None,
) -> QLabel:
    """A plain-text label: whatever it shows (a guard's note, a code) is never read as markup."""
    widget = QLabel(parent)
    widget.setTextFormat(Qt.TextFormat.PlainText)
    if name:
        widget.setObjectName(name)
    if text:
        widget.setText(text)
    widget.setWordWrap(wrap)
    if align is not None:
        widget.setAlignment(align)
    return widget


def button(name: str = "", text: str = "", parent: QWidget | None = None) -> QPushButton:
    widget = QPushButton(text, parent)
    if name:
        widget.setObjectName(name)
    return widget


def frame(name: str, parent: QWidget | None = None) -> QFrame:
    widget = QFrame(parent)
    widget.setObjectName(name)
    return widget


def pixel_font(pixels: int, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(max(pixels, 6))
    font.setBold(bold)
    return font
