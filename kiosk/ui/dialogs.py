"""The guard's dialogs: admit with a reason, add a note, confirm with a PIN.

Dialogs only collect input and emit `submitted`; the console runs the action through the writer and
reports back. They are opened with open() (window-modal, no nested event loop), so the kiosk keeps
running while a guard types.
"""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kiosk.domain.model import MAX_PARTY_SIZE
from kiosk.store.guard_actions import MAX_NOTE_CHARS, MIN_OTHER_REASON_CHARS, OverrideReason, clean_note
from kiosk.store.guards import MAX_PIN_DIGITS
from kiosk.store.queue import QueueItem
from kiosk.ui import labels
from kiosk.ui.labels import translate
from kiosk.ui.widgets import button, frame, label


def scan_summary(item: QueueItem, with_result: bool = True) -> list[tuple[str, str]]:
    """What the guard compares with the applicant and the ID card, as (label, value) rows."""
    rows = [(translate("ScanSummary", "Scan"), f"{item.local_time} · {item.gate} · {labels.source(item.source)}")]
    if with_result:
        result = f"{labels.verdict(item.verdict.value)} — {labels.reason(item.reason)}"
        rows.append((translate("ScanSummary", "Result"), result))
    rows.append((translate("ScanSummary", "Code"), item.code_masked or "—"))
    if item.booking_tampered:
        warning = translate("ScanSummary", "⚠ changed by hand in the database: do not trust it")
        rows.append((translate("ScanSummary", "Booking"), warning))
    elif item.booking_ref:
        rows += [
            (translate("ScanSummary", "Name"), item.display_name or "—"),
            (translate("ScanSummary", "NIK (last 4)"), item.nik_last4 or "—"),
            (translate("ScanSummary", "Party"), str(item.party_size or "—")),
            (translate("ScanSummary", "Slot"), item.slot or "—"),
            (translate("ScanSummary", "Category"), labels.category(item.category)),
        ]
    else:
        rows.append((translate("ScanSummary", "Booking"), translate("ScanSummary", "not known to this kiosk")))
    if item.first_entry_time:
        rows.append((translate("ScanSummary", "First entry"), f"{item.first_entry_time} · {item.first_entry_gate}"))
    rows.append((translate("ScanSummary", "Decided"), labels.decided(item.decided_by, item.fallback)))
    return rows


def summary_card(item: QueueItem, parent: QWidget | None = None) -> QWidget:
    card = frame("card", parent)
    form = QFormLayout(card)
    for name, value in scan_summary(item):
        form.addRow(label(text=name), label(text=value, wrap=True))
    return card


class _NoteField(QWidget):
    """A note box with a live character count; over the limit it says so (the store would cut it)."""

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QPlainTextEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.setTabChangesFocus(True)
        self.edit.setFixedHeight(90)
        self.count = label("hint", align=Qt.AlignmentFlag.AlignRight)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(self.count)
        self.edit.textChanged.connect(self._update)
        self._update()

    def text(self) -> str:
        return self.edit.toPlainText()

    def cleaned(self) -> str:
        return clean_note(self.text())

    def too_long(self) -> bool:
        return len(self.text()) > MAX_NOTE_CHARS

    def _update(self) -> None:
        self.count.setText(f"{len(self.text())} / {MAX_NOTE_CHARS}")
        self.count.setObjectName("error" if self.too_long() else "hint")
        self.count.style().unpolish(self.count)
        self.count.style().polish(self.count)


class OverrideDialog(QDialog):
    """Admit the applicant of a denied or referred scan: a reason from the closed list is required,
    and for "other" a description."""

    submitted = Signal(str, str, int)  # reason code, note, persons

    def __init__(self, item: QueueItem, persons: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("overrideDialog")
        self.item = item
        self.setWindowTitle(self.tr("Admit with a reason"))
        self.setMinimumWidth(640)
        self.reasons = QButtonGroup(self)
        self.reasons.setExclusive(True)
        self.buttons: dict[OverrideReason, QRadioButton] = {}
        reason_box = QVBoxLayout()
        for reason in OverrideReason:
            radio = QRadioButton(labels.override_reason(reason.value))
            self.reasons.addButton(radio)
            self.buttons[reason] = radio
            reason_box.addWidget(radio)
            radio.toggled.connect(self._validate)
        self.note = _NoteField(self.tr("What happened? Required for “Other”."))
        self.note.edit.textChanged.connect(self._validate)
        self.persons = QSpinBox()
        self.persons.setRange(1, MAX_PARTY_SIZE)
        self.persons.setValue(max(1, min(persons, MAX_PARTY_SIZE)))
        self.persons.setMinimumWidth(90)
        self.error = label("error", wrap=True)
        self.admit = button("admit", self.tr("Admit"))
        self.admit.clicked.connect(self._submit)
        cancel = button("", self.tr("Cancel"))
        cancel.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(label("dialogTitle", self.tr("Admit with a reason")))
        layout.addWidget(
            label("hint", self.tr("Compare the name and the last 4 digits of the NIK with the ID card."), wrap=True)
        )
        layout.addWidget(summary_card(item))
        layout.addWidget(label("sectionTitle", self.tr("Reason")))
        layout.addLayout(reason_box)
        layout.addWidget(label("sectionTitle", self.tr("Note")))
        layout.addWidget(self.note)
        persons_row = QHBoxLayout()
        persons_row.addWidget(label(text=self.tr("People let in:")))
        persons_row.addWidget(self.persons)
        persons_row.addStretch(1)
        layout.addLayout(persons_row)
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.admit)
        layout.addLayout(buttons)
        self._validate()

    def chosen(self) -> OverrideReason | None:
        return next((reason for reason, radio in self.buttons.items() if radio.isChecked()), None)

    def problem(self) -> str:
        """Why the override cannot be submitted yet, or "" when it can."""
        reason = self.chosen()
        if reason is None:
            return self.tr("Choose a reason.")
        if self.note.too_long():
            return self.tr("The note is too long.")
        if reason is OverrideReason.OTHER and len(self.note.cleaned()) < MIN_OTHER_REASON_CHARS:
            return self.tr("Describe what happened (at least %n characters).", "", MIN_OTHER_REASON_CHARS)
        return ""

    def _validate(self) -> None:
        problem = self.problem()
        self.admit.setEnabled(not problem)
        self.error.setText(problem if self.chosen() is not None else "")

    def _submit(self) -> None:
        reason = self.chosen()
        if reason is None or self.problem():
            return
        self.submitted.emit(reason.value, self.note.text(), self.persons.value())
        self.accept()


class NoteDialog(QDialog):
    submitted = Signal(str)

    def __init__(self, item: QueueItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noteDialog")
        self.setWindowTitle(self.tr("Add a note"))
        self.setMinimumWidth(560)
        self.note = _NoteField(self.tr("Write the note"))
        self.save = button("primary", self.tr("Save note"))
        self.save.clicked.connect(self._submit)
        cancel = button("", self.tr("Cancel"))
        cancel.clicked.connect(self.reject)
        self.note.edit.textChanged.connect(self._validate)
        layout = QVBoxLayout(self)
        layout.addWidget(label("dialogTitle", self.tr("Add a note")))
        layout.addWidget(summary_card(item))
        layout.addWidget(self.note)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save)
        layout.addLayout(buttons)
        self._validate()

    def _validate(self) -> None:
        self.save.setEnabled(bool(self.note.cleaned()) and not self.note.too_long())

    def _submit(self) -> None:
        if self.save.isEnabled():
            self.submitted.emit(self.note.text())
            self.accept()


def pin_field(parent: QWidget | None = None) -> QLineEdit:
    field = QLineEdit(parent)
    field.setObjectName("pin")
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMaxLength(MAX_PIN_DIGITS)
    field.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d*"), field))
    field.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly | Qt.InputMethodHint.ImhSensitiveData)
    return field


class PinDialog(QDialog):
    """Confirm a sensitive step (leaving kiosk mode) with the logged-in guard's PIN. The caller checks
    the PIN through the store (wrong PINs count towards the lockout) and closes the dialog on success."""

    submitted = Signal(str)

    def __init__(self, guard_name: str, question: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pinDialog")
        self.setWindowTitle(self.tr("Confirm with your PIN"))
        self.pin = pin_field()
        self.pin.setMinimumHeight(50)
        self.error = label("error", wrap=True)
        self.ok = button("primary", self.tr("Confirm"))
        self.ok.clicked.connect(self._submit)
        self.pin.returnPressed.connect(self._submit)
        cancel = button("", self.tr("Cancel"))
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label("dialogTitle", question, wrap=True))
        layout.addWidget(label(text=self.tr("Guard: %1").replace("%1", guard_name)))
        layout.addWidget(self.pin)
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.ok)
        layout.addLayout(buttons)

    def set_busy(self, busy: bool) -> None:
        self.ok.setEnabled(not busy)
        self.pin.setEnabled(not busy)

    def set_error(self, text: str) -> None:
        self.error.setText(text)
        self.pin.clear()
        self.set_busy(False)
        self.pin.setFocus()

    def _submit(self) -> None:
        if self.pin.text():
            self.set_busy(True)
            self.submitted.emit(self.pin.text())
