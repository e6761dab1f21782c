"""The guard console's alert bar, always on screen whoever is logged in (and before the first login).

Under the header it shows how many scans are open, the newest one's verdict, reason and time (never a
name or NIK digits: those only after a login), and a banner for each fault (camera, gate relay,
database, stale booking data) in the console's language. Each new DENY or REFER flashes the bar for a
few seconds (on the kiosk's clock, so a test steps it) and, where there is sound, plays a short alert
(`AlertSound`).

The bar is part of the console's window (kiosk/ui/console.py builds it and tells it what to show): its
texts belong to the console, in the translation context "GuardConsole".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, QUrl
from PySide6.QtWidgets import QApplication, QHBoxLayout, QSizePolicy, QVBoxLayout, QWidget

from kiosk.domain.screen import ScreenState
from kiosk.store.queue import QueueItem
from kiosk.ui import labels
from kiosk.ui.resources import sound_path
from kiosk.ui.status import DataState, camera_hint, fault_sentences
from kiosk.ui.widgets import frame, label

log = logging.getLogger(__name__)

#: A new DENY or REFER flashes the alert bar this long, switching every FLASH_STEP_MS.
FLASH_S = 6.0
FLASH_STEP_MS = 400


class AlertSound(QObject):
    """The console's alert for a new DENY or REFER: that verdict's tone played twice (the applicant hears
    it once), so a guard looking elsewhere hears that something came in. Sound is optional: without
    QtMultimedia or an audio device this stays silent (the flash and the count are always there)."""

    def __init__(self, volume: float = 0.8, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._effects: dict[str, Any] = {}
        try:
            from PySide6.QtMultimedia import QMediaDevices, QSoundEffect
        except ImportError as exc:
            log.warning("no console alert sound: QtMultimedia cannot load (%s)", exc)
            return
        if not QMediaDevices.audioOutputs():
            return
        for verdict, state in (("DENY", ScreenState.DENY), ("REFER", ScreenState.REFER)):
            path = sound_path(state)
            if path.exists():
                effect = QSoundEffect(self)
                effect.setSource(QUrl.fromLocalFile(str(path)))
                effect.setVolume(volume)
                effect.setLoopCount(2)
                self._effects[verdict] = effect

    def __call__(self, verdict: str) -> None:
        effect = self._effects.get(verdict)
        if effect is not None and effect.status() != effect.Status.Error:
            effect.play()


class AlertBar(QObject):
    """The alert bar and the fault banner under it (`box`, placed by the console under its header), and
    the bar's flash. `monotonic` is read at each step: the console's clock, which the kiosk may set."""

    def __init__(self, monotonic: Callable[[], float], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._monotonic = monotonic
        self.flash_until: float | None = None
        self.open_count = label()
        self.box = self._build()
        self.flash_timer = QTimer(self)
        self.flash_timer.setInterval(FLASH_STEP_MS)
        self.flash_timer.timeout.connect(self.flash_tick)

    def _build(self) -> QWidget:
        """The open count, the newest scan (no personal data) and a banner for each fault."""
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.bar = frame("alertBar")
        self.bar.setProperty("flash", "off")
        # Wrapped, so that a long reason or a narrow console never makes the window wider than the screen.
        self.newest = label("newest", wrap=True)
        row = QHBoxLayout(self.bar)
        row.setContentsMargins(14, 5, 14, 5)
        row.addWidget(self.open_count)
        row.addSpacing(24)
        row.addWidget(self.newest, 1)
        self.open_count.setObjectName("openCount")
        self.fault_banner = frame("faultBanner")
        self.fault_text = label("faultText", wrap=True)
        self.fault_detail = label("faultDetail", wrap=True)
        inner = QVBoxLayout(self.fault_banner)  # short lines: a 1366x768 console has no height to spare
        inner.setContentsMargins(14, 4, 14, 4)
        inner.setSpacing(0)
        inner.addWidget(self.fault_text)
        inner.addWidget(self.fault_detail)
        self.fault_banner.hide()
        column.addWidget(self.bar)
        column.addWidget(self.fault_banner)
        box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        return box

    # --- the flash ----------------------------------------------------------------------------------

    def flash(self) -> None:
        """Flash for FLASH_S from now (a new DENY or REFER)."""
        self.flash_until = self._monotonic() + FLASH_S
        self._set_flash(True)
        self.flash_timer.start()

    @property
    def flashing(self) -> bool:
        return bool(self.bar.property("flash") == "on")

    def flash_tick(self) -> None:
        """The flash timer's step: on and off until FLASH_S have passed (on the injected clock)."""
        if self.flash_until is None or self._monotonic() >= self.flash_until:
            self.flash_until = None
            self.flash_timer.stop()
            self._set_flash(False)
            return
        self._set_flash(not self.flashing)

    def _set_flash(self, on: bool) -> None:
        value = "on" if on else "off"
        if self.bar.property("flash") != value:
            self.bar.setProperty("flash", value)
            self.bar.style().unpolish(self.bar)
            self.bar.style().polish(self.bar)
            for child in self.bar.findChildren(QWidget):
                child.style().unpolish(child)
                child.style().polish(child)

    # --- what it shows ------------------------------------------------------------------------------

    def show_summary(self, items: list[QueueItem], count: int) -> None:
        """The open count and the newest scan: time, verdict and reason only (no name, no NIK)."""
        self.open_count.setText(
            QApplication.translate("GuardConsole", "%n open in the queue", "", count)
            if count
            else QApplication.translate("GuardConsole", "No open scans")
        )
        newest = max(items, key=lambda item: item.at, default=None)
        if newest is None:
            self.newest.setText(QApplication.translate("GuardConsole", "No denied or referred scan today."))
        else:
            text = f"{newest.local_time} · {labels.verdict(newest.verdict.value)} — {labels.reason(newest.reason)}"
            if not newest.is_open:
                text += " " + QApplication.translate("GuardConsole", "(handled)")
            self.newest.setText(QApplication.translate("GuardConsole", "Newest: %1").replace("%1", text))

    def show_faults(self, faults: frozenset[str], camera_kind: str, gate_fault: bool, data_state: DataState) -> None:
        """A banner for each fault, or none: the applicant screen's faults (camera, database, gate), the
        camera fault's kind, whether the gate relay is at fault, and how fresh the booking data is."""
        sentences = fault_sentences(faults, camera_kind, gate_fault, data_state)
        self.fault_banner.setVisible(bool(sentences))
        self.fault_text.setText("⚠ " + "  ·  ".join(sentences) if sentences else "")
        if faults:
            detail = QApplication.translate(
                "GuardConsole", "The applicant screen shows OUT OF ORDER. Details: the Status tab."
            )
        elif sentences:
            detail = QApplication.translate("GuardConsole", "Details: the Status tab.")
        else:
            detail = ""
        if "camera" in faults:  # what still works, before where to read more
            hint = camera_hint()
            detail = f"{hint[:1].upper()}{hint[1:]}. {detail}"
        self.fault_detail.setText(detail)
