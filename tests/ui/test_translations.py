"""Nothing shows in English in the Indonesian interface.

The console and the applicant window are built in Indonesian, filled with a day of scans (every
outcome, a code typed by a guard), and every text a person can see is collected: labels, buttons,
tabs, table headers, list items, field hints, the charts' titles, categories and legends. A text that
equals the English source of a translation whose Indonesian differs was shown untranslated; a text
with English words (the messages of the layers below the screens: store errors, camera and relay
descriptions, the note on a typed code) was not put through kiosk/ui/labels.py.

The applicant window shows both languages by design, Indonesian first: its first language is checked
(the labels of the second language, and each text's part after the first line or " · ", are English).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from PySide6.QtCharts import QBarCategoryAxis, QChartView
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QTabBar,
    QTableView,
    QWidget,
)

from kiosk.app import Kiosk
from kiosk.domain.explain import Lang
from kiosk.door.door import manual_note
from kiosk.store.errors import TAMPERED, damaged, explain_sqlite_error
from kiosk.ui import labels
from kiosk.ui.resources import install_language, resources_dir
from tests.ui.fixtures import ADMIT_CODE, CODES, GUARD_A, PIN_A, UNKNOWN_CODE, present

TS_ID = resources_dir() / "translations" / "kiosk_id.ts"

#: Words that are the same in both languages, or names and codes, never a sign of English.
ALLOWED = {"OK", "NIK", "PIN", "QR", "GPIO", "LCUS", "USB", "IT", "fps", "md", "ms", "Status", "Agus", "Budi"}

#: English words that are not Indonesian: one of them in a text means the text is (partly) English.
ENGLISH = frozenset(
    {
        "the",
        "and",
        "of",
        "to",
        "is",
        "are",
        "was",
        "were",
        "not",
        "no",
        "nor",
        "with",
        "for",
        "from",
        "at",
        "on",
        "off",
        "by",
        "in",
        "into",
        "this",
        "that",
        "these",
        "your",
        "you",
        "please",
        "camera",
        "closed",
        "simulated",
        "relay",
        "board",
        "driver",
        "loaded",
        "door",
        "guard",
        "guards",
        "typed",
        "database",
        "error",
        "booking",
        "bookings",
        "scan",
        "scans",
        "queue",
        "open",
        "dismissed",
        "acknowledged",
        "admitted",
        "denied",
        "referred",
        "reason",
        "reasons",
        "office",
        "today",
        "newest",
        "details",
        "out",
        "logged",
        "wrong",
        "people",
        "person",
        "disconnected",
        "file",
        "folder",
        "images",
        "instead",
        "line",
        "locked",
        "damaged",
        "restore",
        "backup",
        "check",
        "checked",
        "failed",
        "cannot",
        "could",
        "would",
        "should",
        "none",
        "unknown",
        "found",
        "answer",
        "answered",
        "sync",
        "never",
        "lets",
        "through",
        "shown",
        "others",
    }
)
WORD = re.compile(r"[A-Za-z][A-Za-z']*")


@cache
def english_sources() -> frozenset[str]:
    """The English sources in kiosk_id.ts whose Indonesian differs (codes such as "PIN" are the same)."""
    found = set()
    for message in ET.parse(TS_ID).getroot().iter("message"):
        source = message.findtext("source") or ""
        translation = message.find("translation")
        forms = [f.text or "" for f in translation.findall("numerusform")] if translation is not None else []
        forms = forms or [translation.text or "" if translation is not None else ""]
        if source not in forms and "%" not in source:
            found.add(source.strip())
    return frozenset(found)


def english_words(text: str) -> list[str]:
    return [w for w in WORD.findall(text) if w.lower() in ENGLISH and w not in ALLOWED]


def untranslated(text: str) -> str | None:
    """Why `text` reads as English in the Indonesian interface, or None."""
    bare = text.strip().rstrip(":").strip()
    if not bare or bare in ALLOWED:
        return None
    if bare in english_sources():
        return "an English source text"
    words = english_words(text)
    return f"English words {words}" if words else None


#: The applicant window's labels in its second language (kiosk/ui/applicant.py).
SECOND_LANGUAGE = {"title2", "party2", "sentence2"}


def visible_texts(window: QWidget, title: bool = True) -> Iterator[tuple[str, str]]:  # noqa: PLR0912
    """(what, text) for every text on `window` a person can see now (`title`: and the window's title)."""

    def shown(widget: QWidget) -> bool:
        return widget.isVisibleTo(window) or widget is window

    if title:
        yield "window title", window.windowTitle()
    for widget in [window, *window.findChildren(QWidget)]:
        if not shown(widget):
            continue
        name = f"{type(widget).__name__} {widget.objectName()!r}"
        if isinstance(widget, (QLabel, QAbstractButton)):
            yield name, widget.text()
        elif isinstance(widget, QTabBar):
            for i in range(widget.count()):
                yield f"{name} tab {i}", widget.tabText(i)
        elif isinstance(widget, QComboBox):
            for i in range(widget.count()):
                yield f"{name} item {i}", widget.itemText(i)
        elif isinstance(widget, QLineEdit):
            yield f"{name} placeholder", widget.placeholderText()
        elif isinstance(widget, QGroupBox):
            yield name, widget.title()
        elif isinstance(widget, QTableView) and widget.model() is not None:
            model = widget.model()
            for column in range(model.columnCount()):
                header = model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
                yield f"{name} header {column}", str(header or "")
            for row in range(model.rowCount()):
                for column in range(model.columnCount()):
                    value = model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole)
                    yield f"{name} cell {row},{column}", str(value or "")
        elif isinstance(widget, QChartView) and widget.chart() is not None:
            chart = widget.chart()
            yield f"{name} chart title", chart.title()
            for marker in chart.legend().markers():
                yield f"{name} legend", marker.label()
            for axis in chart.axes():
                if isinstance(axis, QBarCategoryAxis):
                    for category in axis.categories():
                        yield f"{name} category", category


def problems(window: QWidget) -> list[str]:
    return [
        f"{what}: {text!r} ({why})"
        for what, text in visible_texts(window)
        for why in [untranslated(text)]
        if why is not None
    ]


def test_the_check_finds_english() -> None:
    assert untranslated("Dismiss") == "an English source text"
    assert untranslated("Abaikan") is None
    assert untranslated("camera 7 (closed)") is not None
    assert untranslated("kamera 7 (tertutup)") is None
    assert untranslated("PIN:") is None and untranslated("NIK (4 terakhir)") is None
    assert untranslated(manual_note("Agus")) is not None  # the stored note is in both languages


# --- the translation layer for the layers below the screens -----------------------------------------


def test_the_layers_below_speak_indonesian_through_the_labels(qapp: QApplication) -> None:
    install_language(qapp, Lang.ID)
    assert labels.note(manual_note("Agus")) == "Kode diketik petugas Agus"
    assert labels.note("paspor rusak, dicek KTP") == "paspor rusak, dicek KTP"  # a guard's own note
    assert labels.camera("camera 7 (closed)") == "kamera 7 (tertutup)"
    assert labels.camera("camera #0") == "kamera #0"
    assert labels.camera("camera '/dev/video0' 1280x720@30") == "kamera '/dev/video0' 1280x720@30"
    assert labels.camera("simulated camera #0 640x480@15") == "kamera simulasi #0 640x480@15"
    assert labels.camera("simulated camera #0 (closed) 640x480@15") == "kamera simulasi #0 (tertutup)"
    assert labels.camera("image folder codes (12 images)") == "folder gambar codes (12 gambar)"
    assert (
        labels.camera_fault("no camera at 7 or any other index") == "tidak ada kamera di 7, juga tidak di indeks lain"
    )
    assert labels.camera_fault("camera #0 disconnected") == "kamera #0 terputus: pasang kembali kabelnya"
    assert labels.relay("simulated relay") == "relai simulasi (tidak ada pintu yang dibuka)"
    assert labels.relay("no door relay: the guard lets people through") == (
        "tanpa relai pintu: petugas yang mempersilakan orang masuk"
    )
    assert labels.relay("LCUS USB relay board at /dev/ttyUSB0") == "papan relai USB LCUS di /dev/ttyUSB0"
    assert labels.relay_fault("no answer from the relay board at /dev/ttyUSB0") == "papan relai tidak menjawab"
    assert labels.action_error("an override admits 1 to 12 people") == "Izin manual untuk 1 sampai 12 orang."
    for text in (
        labels.relay_fault("something new went wrong"),
        labels.camera_fault("something new went wrong"),
        labels.store_error("something new went wrong"),
        labels.action_error("something new went wrong"),
    ):
        assert untranslated(text) is None, text


SQLITE_ERRORS = (
    "database is locked",
    "attempt to write a readonly database",
    "database or disk is full",
    "database disk image is malformed",
    "unable to open database file",
    "disk I/O error",
    "other",
)


@pytest.mark.parametrize(
    "message",
    [explain_sqlite_error(Path("/var/lib/kiosk/kiosk.db"), Exception(error)) for error in SQLITE_ERRORS]
    + [
        TAMPERED,
        str(damaged(Path("/var/lib/kiosk/kiosk.db"), ValueError("bad time"))),
        "the database /var/lib/kiosk/kiosk.db is locked by another program for more than 5000 ms; try again",
        "the database at /var/lib/kiosk/kiosk.db needs an upgrade: run `kiosk db upgrade --db /x`",
        "the database check failed, nothing is admitted until it is restored: page 4 is never used",
        "could not record the guard action: disk I/O error",
        "no kiosk database at /var/lib/kiosk/kiosk.db",
    ],
)
def test_store_errors_reach_the_guard_in_indonesian(qapp: QApplication, message: str) -> None:
    install_language(qapp, Lang.ID)
    shown = labels.store_error(message)
    assert untranslated(shown) is None, shown
    if not message.startswith("database error in"):  # a raw SQLite error has no sentence of its own
        assert shown != labels.translate("Labels", labels.STORE_ERROR), f"no rule for {message!r}"


# --- the windows -------------------------------------------------------------------------------------


def busy_console(kiosk: Kiosk) -> None:
    """Every outcome in the queue, a code typed by a guard, a guard logged in."""
    console = kiosk.console
    for code in [*CODES, UNKNOWN_CODE, "https://example.com"]:
        kiosk.controller.code_seen(present(code))
    console.login_page.guard.setCurrentText(GUARD_A)
    console.login_page.pin.setText(PIN_A)
    console.login_page.login.click()
    assert console.guard is not None
    console.queue_page.manual.setText(ADMIT_CODE)
    console.queue_page.manual_button.click()


def test_the_console_shows_no_english(kiosk: Kiosk, qapp: QApplication) -> None:
    install_language(qapp, Lang.ID)
    busy_console(kiosk)
    console = kiosk.console
    console.resize(1920, 1080)
    console.show()
    found = []
    login_page = console.login_page
    found += [f"login: {p}" for p in problems(login_page)]
    for tab in range(console.tabs.count()):
        console.tabs.setCurrentIndex(tab)
        qapp.processEvents()
        if tab == 0:  # each scan in the queue, with its details and notes
            table = console.queue_page.table
            for row in range(table.model().rowCount()):
                table.selectRow(row)
                qapp.processEvents()
                found += [f"tab {tab} row {row}: {p}" for p in problems(console)]
        found += [f"tab {tab}: {p}" for p in problems(console)]
    console.tabs.setCurrentIndex(0)
    console.queue_page.table.selectRow(0)
    for action in (console.queue_page.admit, console.queue_page.note):  # the dialogs
        if action.isEnabled():
            action.click()
            dialog = console.dialog
            assert dialog is not None
            dialog.show()
            qapp.processEvents()
            found += [f"{action.text()} dialog: {p}" for p in problems(dialog)]
            dialog.reject()
    assert "\n".join(sorted(set(found))) == ""


@pytest.mark.parametrize(
    "code", [None, ADMIT_CODE, "MPCANCEL0001", "MPPRIORITY01", UNKNOWN_CODE, "https://example.com"]
)
def test_the_applicant_window_shows_indonesian_first(kiosk: Kiosk, qapp: QApplication, code: str | None) -> None:
    """Idle (None), and the answer to each kind of code."""
    install_language(qapp, Lang.ID)
    window = kiosk.applicant
    window.show()
    if code is not None:
        kiosk.controller.code_seen(present(code))
    qapp.processEvents()
    found = []
    # full screen, without a frame: its title is never seen
    for what, text in visible_texts(window, title=False):
        if what.split("'")[1:2] and what.split("'")[1] in SECOND_LANGUAGE:
            continue
        first = re.split(r"\n|  ·  ", text.strip())[0] if text.strip() else ""
        why = untranslated(first)
        if why is not None:
            found.append(f"{what}: {text!r} ({why})")
    assert "\n".join(found) == ""


def test_the_english_detail_stays_in_the_log(qapp: QApplication, caplog: pytest.LogCaptureFixture) -> None:
    install_language(qapp, Lang.ID)
    message = "the database /srv/kiosk/kiosk.db is locked by another program for more than 77 ms; try again"
    assert labels.store_error(message) == "basis data sedang dipakai program lain; coba lagi"
    labels.store_error(message)
    assert [r.getMessage() for r in caplog.records if message in r.getMessage()] != []
    assert sum(message in r.getMessage() for r in caplog.records) == 1  # once, not at each repaint


def test_faults_reach_the_guard_in_indonesian(kiosk: Kiosk, qapp: QApplication) -> None:
    """A camera unplugged, a relay board that does not answer, a damaged database: the Status tab and
    the applicant's OUT OF ORDER in Indonesian (the English detail is in the log)."""
    install_language(qapp, Lang.ID)
    busy_console(kiosk)
    console = kiosk.console
    console.resize(1920, 1080)
    console.show()
    kiosk.applicant.show()
    kiosk.controller.camera_fault("camera '/dev/video7' disconnected")
    status = console.status_page
    status.set_gate("fault", "LCUS USB relay board at /dev/ttyUSB0", "no answer from the relay board at /dev/ttyUSB0")
    status.set_database_problem("the database check failed, nothing is admitted until it is restored: page 4")
    status.set_faults(frozenset({"camera", "gate", "database"}))
    console.tabs.setCurrentWidget(status)
    qapp.processEvents()
    found = problems(console)
    for what, text in visible_texts(kiosk.applicant, title=False):
        if what.split("'")[1:2] and what.split("'")[1] in SECOND_LANGUAGE:
            continue
        why = untranslated(re.split(r"\n|  ·  ", text.strip())[0] if text.strip() else "")
        if why is not None:
            found.append(f"applicant {what}: {text!r} ({why})")
    assert "\n".join(found) == ""
