"""The guard console's login card: a guard picks their name and types their personal PIN."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QVBoxLayout,
    QWidget,
)

from kiosk.store.guard_actions import LoginOutcome, LoginResult
from kiosk.ui.dialogs import pin_field
from kiosk.ui.widgets import button, frame, label


class LoginPage(QWidget):
    submitted = Signal(str, str)  # guard name, PIN

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = label("pageTitle")
        self.hint = label("hint")  # no word wrap: a wrapped label makes the card's layout squeeze the fields
        #: Set by the console: why its alert bar shows no names until a guard logs in.
        self.names_hint = label("hint")
        self.guard = QComboBox()
        self.guard.setMinimumWidth(320)
        self.pin = pin_field()
        self.pin.returnPressed.connect(self._submit)
        self.login = button("primary")
        self.login.clicked.connect(self._submit)
        self.message = label("error", wrap=True)
        self.guard_label = label()
        self.pin_label = label()
        card = frame("card")
        card.setMinimumWidth(480)
        self.guard.setMinimumHeight(38)
        self.pin.setMinimumHeight(50)
        form = QGridLayout()
        form.setVerticalSpacing(14)
        form.setHorizontalSpacing(14)
        for row, (name, field) in enumerate(((self.guard_label, self.guard), (self.pin_label, self.pin))):
            form.addWidget(name, row, 0, Qt.AlignmentFlag.AlignVCenter)
            form.addWidget(field, row, 1)
        form.setColumnStretch(1, 1)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 24, 28, 24)
        inner.addWidget(self.title)
        inner.addWidget(self.hint)
        inner.addWidget(self.names_hint)
        inner.addSpacing(10)
        inner.addLayout(form)
        inner.addWidget(self.message)
        inner.addWidget(self.login, 0, Qt.AlignmentFlag.AlignRight)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        self.retranslate()

    def set_guards(self, names: list[str]) -> None:
        current = self.guard.currentText()
        self.guard.clear()
        self.guard.addItems(names)
        if current in names:
            self.guard.setCurrentText(current)
        self.login.setEnabled(bool(names))
        if not names:
            self.message.setText(self.tr("No guard is registered. Add one with `kiosk guard add`."))

    def set_busy(self, busy: bool) -> None:
        self.login.setEnabled(not busy and self.guard.count() > 0)
        self.pin.setEnabled(not busy)
        if busy:
            self.message.setText(self.tr("Checking the PIN…"))

    def show_result(self, result: LoginResult, zone: ZoneInfo | None) -> None:
        self.set_busy(False)
        self.pin.clear()
        if result.outcome is LoginOutcome.OK:
            self.message.clear()
            return
        if result.outcome is LoginOutcome.WRONG_PIN:
            text = self.tr("Wrong PIN. %n more wrong PIN(s) lock this guard out for 5 minutes.", "", result.tries_left)
        elif result.outcome is LoginOutcome.LOCKED and result.locked_until is not None:
            until = result.locked_until.astimezone(zone) if zone else result.locked_until
            text = self.tr("Too many wrong PINs: this guard is locked out until %1.").replace("%1", f"{until:%H.%M}")
        elif result.outcome is LoginOutcome.DISABLED:
            text = self.tr("This guard is disabled.")
        else:
            text = self.tr("Unknown guard.")
        self.message.setText(text)
        self.pin.setFocus()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.title.setText(self.tr("Guard login"))
        self.hint.setText(self.tr("Choose your name and enter your personal PIN.\nNever share your PIN."))
        self.guard_label.setText(self.tr("Guard"))
        self.pin_label.setText(self.tr("PIN"))
        self.login.setText(self.tr("Log in"))

    def _submit(self) -> None:
        if self.login.isEnabled() and self.pin.text() and self.guard.currentText():
            self.submitted.emit(self.guard.currentText(), self.pin.text())
