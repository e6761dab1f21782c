"""Screenshots of the screens: drives an assembled kiosk's applicant window and guard console through
every applicant state and the guard's main screens, and saves each as a PNG.

Only the grabbing lives here, beside the widgets it grabs; what is shown (a demo office with a morning
behind it, a clock that moves on by hand) is set up in kiosk/demo/screenshots.py (`kiosk screenshots`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFontMetrics, QImage
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget

from kiosk.domain.explain import Lang
from kiosk.domain.model import Reason
from kiosk.domain.screen import Fault
from kiosk.door import Source
from kiosk.store.guard_actions import OverrideReason
from kiosk.ui.applicant import ApplicantWindow
from kiosk.ui.console import GuardConsole
from kiosk.ui.controller import KioskController
from kiosk.ui.dialogs import OverrideDialog
from kiosk.ui.status import CameraStatus
from kiosk.vision.decoders import DecoderUnavailableError, make_decoder
from kiosk.vision.simcam import Scene, SimulatedCamera
from kiosk.workers.scan import frame_to_qimage

log = logging.getLogger(__name__)

APPLICANT_SIZE = (1920, 1080)
CONSOLE_SIZE = (1600, 1000)
#: The screens an applicant window must fit: landscape full HD, portrait, the common small panels.
APPLICANT_SIZES = ((1920, 1080), (1080, 1920), (1366, 768), (1280, 1024))
Size = tuple[int, int]


def parse_size(text: str) -> Size:
    """'1920x1080' -> (1920, 1080)."""
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit() or int(width) < 320 or int(height) < 240:
        raise ValueError(f"not a screen size (WIDTHxHEIGHT, at least 320x240): {text!r}")
    return int(width), int(height)


def clipped_labels(window: QWidget) -> list[str]:
    """Every label (and button) visible in `window` whose text does not fit its contents rectangle:
    the box the text needs in the widget's font (wrapped to the rectangle's width when it wraps) is
    wider or taller than the rectangle. Each as 'objectName: text (needed WxH in WxH)'."""
    found = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisibleTo(window) or not isinstance(widget, QLabel | QAbstractButton):
            continue
        text = widget.text()
        if not text or (isinstance(widget, QLabel) and widget.textFormat() is not Qt.TextFormat.PlainText):
            continue
        rect = widget.contentsRect()
        if isinstance(widget, QAbstractButton):  # a button's text sits inside its own margins
            rect = rect.adjusted(4, 2, -4, -2)
        wrap = isinstance(widget, QLabel) and widget.wordWrap()
        flags = int(Qt.AlignmentFlag.AlignLeft.value) | (int(Qt.TextFlag.TextWordWrap.value) if wrap else 0)
        needed = QFontMetrics(widget.font()).boundingRect(QRect(0, 0, max(rect.width(), 1), 1 << 20), flags, text)
        if needed.width() > rect.width() or needed.height() > rect.height():
            found.append(
                f"{widget.objectName() or type(widget).__name__}: {text!r} "
                f"(needs {needed.width()}x{needed.height()} in {rect.width()}x{rect.height()})"
            )
    return found


@dataclass(frozen=True, slots=True)
class Screens:
    """The parts of an assembled kiosk (kiosk.app.Kiosk) that the screenshots drive."""

    app: QApplication
    applicant: ApplicantWindow
    console: GuardConsole
    controller: KioskController
    #: Starts the kiosk (Kiosk.start), once the applicant window is shown.
    start: Callable[[], None]


def shoot(
    screens: Screens,
    codes: Mapping[str | Reason, str],
    out: Path,
    advance: Callable[[float], None],
    guard: tuple[str, str],
    sizes: Sequence[Size] = (APPLICANT_SIZE,),
    console_sizes: Sequence[Size] | None = None,
) -> list[Path]:
    """Drive the screens and save a PNG of each state in `out`; returns the files written.

    `codes`: the text of a sample code by its title and by the reason it gives (the demo's showcase:
    "admit", "admit, party of 3", "priority walk-in", "too early", "already admitted", "a NIK (ID
    number)", "unpaid", "too late", "cancelled", and Reason.WRONG_OFFICE). `advance` moves the kiosk's
    clocks on by some seconds; `guard` is the name and PIN of a guard who can log in.

    Each applicant state is grabbed at every size in `sizes`, the console's screens at every size in
    `console_sizes` (default: `sizes`, or CONSOLE_SIZE when only the default size is asked for); with
    more than one size the files are named NAME-WxH.png. A label whose text is cut off is logged."""
    app, applicant, console, controller = screens.app, screens.applicant, screens.console, screens.controller
    saved: list[Path] = []
    sizes = list(sizes) or [APPLICANT_SIZE]
    if console_sizes is None:
        console_sizes = [CONSOLE_SIZE] if sizes == [APPLICANT_SIZE] else sizes
    named = len(sizes) > 1 or len(console_sizes) > 1

    def grab(widget: QWidget, name: str) -> None:
        window = widget.window()
        dialog = window is not console and window is not applicant
        for size in [None] if dialog else (sizes if window is applicant else console_sizes):
            if size is not None:
                window.resize(*size)
            for _ in range(3):
                app.processEvents()
            path = out / (f"{name}-{size[0]}x{size[1]}.png" if named and size is not None else f"{name}.png")
            widget.grab().save(str(path))
            saved.append(path)
            for problem in clipped_labels(window):
                log.warning("%s: text cut off: %s", path.name, problem)

    def present(title: str | Reason) -> None:
        controller.code_seen([codes[title]], Source.CAMERA)

    applicant.resize(*sizes[0])
    applicant.show()
    screens.start()
    _shoot_applicant(screens, codes, grab, present, advance)
    _shoot_console(console, grab, present, guard, console_sizes[0])
    return saved


def _shoot_applicant(
    screens: Screens,
    codes: Mapping[str | Reason, str],
    grab: Callable[[QWidget, str], None],
    present: Callable[[str | Reason], None],
    advance: Callable[[float], None],
) -> None:
    applicant, controller = screens.applicant, screens.controller
    controller.camera_status(CameraStatus(True, "", 30.0, "zxing", "simulated camera #0 1280x720@30", True))
    frame, corners = sample_frame(codes["admit"])
    applicant.set_data_age(dt.timedelta(minutes=4))
    applicant.set_frame(frame, (corners,) if corners else ())
    grab(applicant, "applicant-idle")
    controller.machine.code_seen(controller.monotonic())
    applicant.show_screen(controller.machine.screen)
    applicant.set_frame(frame, (corners,) if corners else ())
    grab(applicant, "applicant-checking")
    present("admit, party of 3")
    grab(applicant, "applicant-admit-party-of-3")
    present("priority walk-in")
    grab(applicant, "applicant-refer")
    applicant.set_first_language(Lang.EN)
    grab(applicant, "applicant-refer-english-first")
    applicant.set_first_language(Lang.ID)
    present("too early")
    grab(applicant, "applicant-deny-too-early")
    present("already admitted")
    grab(applicant, "applicant-deny-already-admitted")
    present("a NIK (ID number)")
    grab(applicant, "applicant-deny-not-a-booking")
    present(Reason.WRONG_OFFICE)
    applicant.set_first_language(Lang.EN)
    grab(applicant, "applicant-deny-wrong-office-english-first")
    applicant.set_first_language(Lang.ID)
    advance(60)
    controller.tick()  # the answer times out; the camera is unplugged while idle
    controller.fault(Fault.CAMERA)
    grab(applicant, "applicant-out-of-order")
    controller.fault_cleared(Fault.CAMERA)


def _shoot_console(
    console: GuardConsole,
    grab: Callable[[QWidget, str], None],
    present: Callable[[str | Reason], None],
    guard: tuple[str, str],
    size: Size = CONSOLE_SIZE,
) -> None:
    console.resize(*size)
    console.show()
    grab(console, "guard-login")
    console.login_page.guard.setCurrentText(guard[0])
    console.login_page.pin.setText(guard[1])
    console.login_page.login.click()
    present("unpaid")
    present("too late")
    page = console.queue_page
    row = next(r for r, item in enumerate(page.model.items) if item.reason == Reason.ALREADY_ADMITTED.value)
    page.table.selectRow(row)
    grab(console, "guard-queue")
    console.open_override(page.model.items[row])
    dialog = console.dialog
    if isinstance(dialog, OverrideDialog):
        dialog.buttons[OverrideReason.ID_CHECKED].setChecked(True)
        dialog.note.edit.setPlainText("KTP dicocokkan: nama dan NIK sesuai; kode pertama dipakai orang lain.")
        grab(dialog, "guard-override-dialog")
        dialog.admit.click()
    present("cancelled")
    console.tabs.setCurrentWidget(console.stats_page)
    console.refresh_stats()
    grab(console, "guard-statistics")
    console.tabs.setCurrentWidget(console.status_page)
    console.refresh_status(verify=True)
    grab(console, "guard-status")


def sample_frame(code: str) -> tuple[QImage, tuple[tuple[float, float], ...]]:
    """One simulated camera frame showing `code`, and the code's corners as the decoder finds them."""
    camera = SimulatedCamera([Scene(duration=5.0, codes=(code,), tilt=8, turn=-4)], 1280, 720, realtime=False)
    camera.open()
    frame = None
    for _ in range(20):
        frame = camera.read() or frame
    camera.close()
    if frame is None:
        return QImage(), ()
    try:
        codes = make_decoder("auto").decode(frame.image)
    except DecoderUnavailableError:
        codes = []
    return frame_to_qimage(frame), (tuple(codes[0].corners) if codes else ())
