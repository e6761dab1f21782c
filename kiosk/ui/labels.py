"""Guard-facing names for the closed lists (reasons, verdicts, override reasons, actions, categories).

Source texts are English and marked for pyside6-lupdate with QT_TRANSLATE_NOOP; they are translated
when shown, so a language switch takes effect at the next repaint. Codes without an entry show as
they are (a newer server sending a reason this kiosk does not know yet still shows something true).

The layers below the screens (store, vision, relay, door) speak English in their messages, for the log
and the command line. What of theirs reaches the guard goes through the translation layer at the end
of this module: a known message becomes a sentence in the guard's language (its details, such as a
device or a file, kept where they help); an unknown one a general sentence, its English text in the log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

from PySide6.QtCore import QCoreApplication

from kiosk.door.door import manual_note

log = logging.getLogger(__name__)

CONTEXT = "Labels"


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 - the name pyside6-lupdate looks for
    """Mark `text` for translation in `context`; it is translated when shown (Qt's own returns object)."""
    return text


REASONS: dict[str, str] = {
    "OK": QT_TRANSLATE_NOOP("Labels", "Admitted"),
    "NOT_A_BOOKING": QT_TRANSLATE_NOOP("Labels", "Not a booking QR"),
    "UNKNOWN_CODE": QT_TRANSLATE_NOOP("Labels", "Unknown code"),
    "FORGED": QT_TRANSLATE_NOOP("Labels", "Forged code (bad signature)"),
    "WRONG_OFFICE": QT_TRANSLATE_NOOP("Labels", "Booking for another office"),
    "WRONG_DAY": QT_TRANSLATE_NOOP("Labels", "Booking for another day"),
    "TOO_EARLY": QT_TRANSLATE_NOOP("Labels", "Too early"),
    "TOO_LATE": QT_TRANSLATE_NOOP("Labels", "Too late"),
    "CANCELLED": QT_TRANSLATE_NOOP("Labels", "Booking cancelled"),
    "RESCHEDULED": QT_TRANSLATE_NOOP("Labels", "Booking rescheduled"),
    "UNPAID": QT_TRANSLATE_NOOP("Labels", "Not paid"),
    "ALREADY_ADMITTED": QT_TRANSLATE_NOOP("Labels", "Already admitted"),
    "OUT_OF_ORDER": QT_TRANSLATE_NOOP("Labels", "Kiosk out of order"),
    "STALE_DATA": QT_TRANSLATE_NOOP("Labels", "Booking data out of date"),
    "CLOCK_UNTRUSTED": QT_TRANSLATE_NOOP("Labels", "Kiosk clock not trusted"),
    "MULTIPLE_CODES": QT_TRANSLATE_NOOP("Labels", "Several codes at once"),
    "NEEDS_OFFICER": QT_TRANSLATE_NOOP("Labels", "Priority or special service"),
    "CODE_BURST": QT_TRANSLATE_NOOP("Labels", "Broker alert: many invalid codes in a short time"),
    "TWO_GATES": QT_TRANSLATE_NOOP("Labels", "Broker alert: booking just used at another gate"),
    "TRYING_CODES": QT_TRANSLATE_NOOP("Labels", "Broker alert: booking shown again after a refusal and another code"),
}

VERDICTS: dict[str, str] = {
    "ADMIT": QT_TRANSLATE_NOOP("Labels", "ADMIT"),
    "DENY": QT_TRANSLATE_NOOP("Labels", "DENY"),
    "REFER": QT_TRANSLATE_NOOP("Labels", "REFER"),
}

OVERRIDE_REASONS: dict[str, str] = {
    "PRIORITY_ELDERLY": QT_TRANSLATE_NOOP("Labels", "Priority walk-in: elderly (over 60)"),
    "PRIORITY_DISABILITY": QT_TRANSLATE_NOOP("Labels", "Priority walk-in: disability"),
    "PRIORITY_CHILD": QT_TRANSLATE_NOOP("Labels", "Priority walk-in: child under 5"),
    "LOST_PASSPORT": QT_TRANSLATE_NOOP("Labels", "Lost or damaged passport walk-in"),
    "SPECIAL_RESCHEDULE": QT_TRANSLATE_NOOP("Labels", "Special reschedule after an office system failure"),
    "ID_CHECKED": QT_TRANSLATE_NOOP("Labels", "Identity checked against the ID card"),
    "OTHER": QT_TRANSLATE_NOOP("Labels", "Other (describe what happened)"),
}

ACTIONS: dict[str, str] = {
    "override": QT_TRANSLATE_NOOP("Labels", "Admitted by guard"),
    "dismiss": QT_TRANSLATE_NOOP("Labels", "Dismissed"),
    "ack": QT_TRANSLATE_NOOP("Labels", "Acknowledged"),
    "note": QT_TRANSLATE_NOOP("Labels", "Note"),
}

CATEGORIES: dict[str, str] = {
    "regular": QT_TRANSLATE_NOOP("Labels", "Regular"),
    "priority": QT_TRANSLATE_NOOP("Labels", "Priority walk-in"),
    "lost_passport": QT_TRANSLATE_NOOP("Labels", "Lost or damaged passport"),
    "special_reschedule": QT_TRANSLATE_NOOP("Labels", "Special reschedule"),
}

SOURCES: dict[str, str] = {
    "camera": QT_TRANSLATE_NOOP("Labels", "camera"),
    "wedge": QT_TRANSLATE_NOOP("Labels", "hand scanner"),
    "manual": QT_TRANSLATE_NOOP("Labels", "typed by guard"),
}

#: Why the kiosk decided a scan itself (kiosk/door, kiosk/sync/online: the phrase before any detail).
FALLBACKS: dict[str, str] = {
    "online check off": QT_TRANSLATE_NOOP("Labels", "online check off"),
    "not a booking code": QT_TRANSLATE_NOOP("Labels", "not a booking code"),
    "signature checked here": QT_TRANSLATE_NOOP("Labels", "signature checked here"),
    "an entry here the server has not seen yet": QT_TRANSLATE_NOOP(
        "Labels", "an entry here the server has not seen yet"
    ),
    "local data says otherwise": QT_TRANSLATE_NOOP("Labels", "this kiosk's data says otherwise"),
    "not enrolled": QT_TRANSLATE_NOOP("Labels", "not enrolled with a server"),
    "enrolment revoked": QT_TRANSLATE_NOOP("Labels", "enrolment revoked"),
    "timeout": QT_TRANSLATE_NOOP("Labels", "server too slow"),
    "unreachable": QT_TRANSLATE_NOOP("Labels", "server unreachable"),
    "unusable answer": QT_TRANSLATE_NOOP("Labels", "unusable answer from the server"),
}

FAULTS: dict[str, str] = {
    "camera": QT_TRANSLATE_NOOP("Labels", "camera"),
    "database": QT_TRANSLATE_NOOP("Labels", "database"),
    "gate": QT_TRANSLATE_NOOP("Labels", "gate relay"),
}


def translate(context: str, text: str, n: int = -1) -> str:
    """QCoreApplication.translate under the name pyside6-lupdate finds in module-level code."""
    return QCoreApplication.translate(context, text, None, n)


def _lookup(table: dict[str, str], code: str) -> str:
    source = table.get(code)
    return QCoreApplication.translate(CONTEXT, source) if source else code


def reason(code: str) -> str:
    return _lookup(REASONS, code)


def verdict(code: str) -> str:
    return _lookup(VERDICTS, code)


def override_reason(code: str) -> str:
    return _lookup(OVERRIDE_REASONS, code)


def action(code: str) -> str:
    return _lookup(ACTIONS, code)


def category(code: str) -> str:
    return _lookup(CATEGORIES, code)


def source(code: str) -> str:
    return _lookup(SOURCES, code)


def fault(code: str) -> str:
    return _lookup(FAULTS, code)


BY_SERVER = QT_TRANSLATE_NOOP("Labels", "by the server (all gates)")
OFFLINE_HERE = QT_TRANSLATE_NOOP("Labels", "offline: decided here")
DECIDED_HERE = QT_TRANSLATE_NOOP("Labels", "decided here")
#: Fallbacks that mean the server could not be used: the kiosk was offline for this scan.
OFFLINE = frozenset({"timeout", "unreachable", "unusable answer", "not enrolled", "enrolment revoked"})


def decided(decided_by: str, fallback: str) -> str:
    """Which path decided a scan, for the guard: the server across gates, or this kiosk and why
    ("offline" only when the server could not be used)."""
    if decided_by == "server":
        return QCoreApplication.translate(CONTEXT, BY_SERVER)
    phrase, detail = _split_fallback(fallback)
    why = _lookup(FALLBACKS, phrase) + (f": {detail}" if detail else "") if phrase else ""
    here = QCoreApplication.translate(CONTEXT, OFFLINE_HERE if phrase in OFFLINE else DECIDED_HERE)
    return f"{here} ({why})" if why else here


def _split_fallback(fallback: str) -> tuple[str, str]:
    for phrase in sorted(FALLBACKS, key=len, reverse=True):
        if fallback.startswith(phrase):
            detail = fallback[len(phrase) :].strip(" :")
            if detail.startswith("(") and detail.endswith(")"):
                detail = detail[1:-1]
            return phrase, detail
    return fallback, ""


# --- the translation layer for the messages of the layers below -----------------------------------------

#: A rule: a pattern for an English message, the source text of its translation (in CONTEXT), and the
#: names of the pattern's groups that fill %1, %2, ... in order.
Rule = tuple[re.Pattern[str], str, Sequence[str]]


def _rule(pattern: str, text: str, *groups: str) -> Rule:
    return re.compile(pattern, re.DOTALL), text, groups


#: kiosk/store (StoreError, kiosk/store/errors.py and opening.py, db.py, parts/): the database's problems.
STORE_ERRORS: list[Rule] = [
    _rule(r"is locked by", QT_TRANSLATE_NOOP("Labels", "the database is in use by another program; try again")),
    _rule(
        r"cannot be written",
        QT_TRANSLATE_NOOP("Labels", "the database cannot be written (read-only disk or file permissions)"),
    ),
    _rule(r"is full", QT_TRANSLATE_NOOP("Labels", "the kiosk's disk is full; free some space")),
    _rule(
        r"failed to read or write",
        QT_TRANSLATE_NOOP("Labels", "the kiosk's disk failed to read or write; check the disk"),
    ),
    _rule(
        r"the kiosk's booking file\) is not an SQLite database",
        QT_TRANSLATE_NOOP("Labels", "the booking file is damaged; call the office's IT staff"),
    ),
    _rule(
        r"is damaged|cannot be read|is not an SQLite database",
        QT_TRANSLATE_NOOP("Labels", "the database is damaged; restore it from backup (call the office's IT staff)"),
    ),
    _rule(
        r"(is missing|is empty) but",
        QT_TRANSLATE_NOOP("Labels", "the database is missing; restore it from backup (call the office's IT staff)"),
    ),
    _rule(r"^no kiosk database at", QT_TRANSLATE_NOOP("Labels", "there is no kiosk database; set the kiosk up")),
    _rule(
        r"cannot open the database|cannot read the database file",
        QT_TRANSLATE_NOOP("Labels", "the database cannot be opened; call the office's IT staff"),
    ),
    _rule(r"needs an upgrade", QT_TRANSLATE_NOOP("Labels", "the database needs an upgrade: kiosk db upgrade")),
    _rule(
        r"the database check failed",
        QT_TRANSLATE_NOOP("Labels", "the database check failed; nobody is admitted until it is restored"),
    ),
    _rule(
        r"changed by hand",
        QT_TRANSLATE_NOOP("Labels", "a booking in the database was changed by hand; call the office's IT staff"),
    ),
    _rule(r"could not record the guard action", QT_TRANSLATE_NOOP("Labels", "the guard's action was not recorded")),
    _rule(
        r"office rules|office settings",
        QT_TRANSLATE_NOOP("Labels", "the office settings are invalid; set the kiosk up again"),
    ),
]
STORE_ERROR = QT_TRANSLATE_NOOP("Labels", "database error (details in the kiosk's log)")

#: kiosk/store/guard_actions.py (ActionError): why a guard's action was refused.
ACTION_ERRORS: list[Rule] = [
    _rule(r"^not an override reason", QT_TRANSLATE_NOOP("Labels", "Choose a reason.")),
    _rule(r"needs a description", QT_TRANSLATE_NOOP("Labels", "Describe what happened.")),
    _rule(
        r"^an override admits 1 to (?P<max>\d+) people",
        QT_TRANSLATE_NOOP("Labels", "An override lets in 1 to %1 people."),
        "max",
    ),
    _rule(r"^a note needs some text", QT_TRANSLATE_NOOP("Labels", "Write the note.")),
    _rule(r"^unknown guard", QT_TRANSLATE_NOOP("Labels", "Unknown guard.")),
    _rule(r"^this guard is disabled", QT_TRANSLATE_NOOP("Labels", "This guard is disabled.")),
    _rule(r"^no such scan", QT_TRANSLATE_NOOP("Labels", "This scan is not in the database.")),
    _rule(r"not to another action", QT_TRANSLATE_NOOP("Labels", "Choose a scan, not a guard's action.")),
    _rule(r"was admitted", QT_TRANSLATE_NOOP("Labels", "This scan was admitted: there is nothing to do.")),
    _rule(
        r"changed by hand",
        QT_TRANSLATE_NOOP("Labels", "The booking in the database was changed by hand; call the office's IT staff."),
    ),
]
ACTION_ERROR = QT_TRANSLATE_NOOP("Labels", "The action was refused (details in the kiosk's log).")

#: kiosk/vision (FrameSource.description): which camera is reading.
CAMERAS: list[Rule] = [
    _rule(r"^camera (?P<dev>.+) \(closed\)$", QT_TRANSLATE_NOOP("Labels", "camera %1 (closed)"), "dev"),
    _rule(
        r"^camera (?P<dev>\S+) (?P<mode>\d+x\d+@\S+), instead of camera (?P<want>.+)$",
        QT_TRANSLATE_NOOP("Labels", "camera %1 %2, instead of camera %3"),
        "dev",
        "mode",
        "want",
    ),
    _rule(r"^camera (?P<dev>\S+) (?P<mode>\d+x\d+@\S+)$", QT_TRANSLATE_NOOP("Labels", "camera %1 %2"), "dev", "mode"),
    _rule(
        r"^simulated camera (?P<dev>#\d+) \(closed\) (?P<mode>\S+)$",
        QT_TRANSLATE_NOOP("Labels", "simulated camera %1 (closed)"),
        "dev",
    ),
    _rule(
        r"^simulated camera (?P<dev>#\d+) (?P<mode>\S+)$",
        QT_TRANSLATE_NOOP("Labels", "simulated camera %1 %2"),
        "dev",
        "mode",
    ),
    _rule(r"^camera (?P<dev>\S+)$", QT_TRANSLATE_NOOP("Labels", "camera %1"), "dev"),
    _rule(r"^video file (?P<name>.+)$", QT_TRANSLATE_NOOP("Labels", "video file %1"), "name"),
    _rule(
        r"^image folder (?P<name>.+) \((?P<n>\d+) images\)$",
        QT_TRANSLATE_NOOP("Labels", "image folder %1 (%2 images)"),
        "name",
        "n",
    ),
]

#: kiosk/vision (CameraGone, CameraFault): why the camera is not reading.
CAMERA_FAULTS: list[Rule] = [
    _rule(
        r"^no camera at (?:index )?(?P<dev>.+) or any other index$",
        QT_TRANSLATE_NOOP("Labels", "no camera at %1, nor at any other index"),
        "dev",
    ),
    _rule(r"^no camera at (?:index )?(?P<dev>.+)$", QT_TRANSLATE_NOOP("Labels", "no camera at %1"), "dev"),
    _rule(
        r"^camera (?P<dev>.+) disconnected$",
        QT_TRANSLATE_NOOP("Labels", "camera %1 disconnected: plug it back in"),
        "dev",
    ),
    _rule(r"^no video file at (?P<path>.+)$", QT_TRANSLATE_NOOP("Labels", "no video file at %1"), "path"),
    _rule(r"^no folder at (?P<path>.+)$", QT_TRANSLATE_NOOP("Labels", "no image folder at %1"), "path"),
]
CAMERA_FAULT = QT_TRANSLATE_NOOP("Labels", "the camera is not working (details in the kiosk's log)")

#: kiosk/workers/gate.py, relay_board.py and kiosk/relay (description): what opens the door.
RELAYS: list[Rule] = [
    _rule(r"^simulated relay$", QT_TRANSLATE_NOOP("Labels", "simulated relay (no door is opened)")),
    _rule(r"^no door relay", QT_TRANSLATE_NOOP("Labels", "no door relay: the guard lets people through")),
    _rule(r"^relay board \(driver not loaded\)$", QT_TRANSLATE_NOOP("Labels", "relay board (driver not loaded)")),
    _rule(
        r"^GPIO relay on (?P<chip>\S+) line (?P<lines>.+)$",
        QT_TRANSLATE_NOOP("Labels", "GPIO relay on %1, line %2"),
        "chip",
        "lines",
    ),
    _rule(
        r"^simulated LCUS relay board at (?P<port>.+)$",
        QT_TRANSLATE_NOOP("Labels", "simulated LCUS relay board at %1"),
        "port",
    ),
    _rule(r"^LCUS USB relay board at (?P<port>.+)$", QT_TRANSLATE_NOOP("Labels", "LCUS USB relay board at %1"), "port"),
    _rule(r"^serial relay board at (?P<port>.+)$", QT_TRANSLATE_NOOP("Labels", "serial relay board at %1"), "port"),
]

#: kiosk/relay (RelayFault): why the door relay did not switch.
RELAY_FAULTS: list[Rule] = [
    _rule(
        r"is not connected: there is no serial port (?P<port>\S+)",
        QT_TRANSLATE_NOOP("Labels", "the relay board is not connected (no port %1)"),
        "port",
    ),
    _rule(r"was disconnected", QT_TRANSLATE_NOOP("Labels", "the relay board was disconnected; plug it back in")),
    _rule(
        r"no permission",
        QT_TRANSLATE_NOOP("Labels", "the kiosk may not use the relay board's port; call the office's IT staff"),
    ),
    _rule(r"in use by another program", QT_TRANSLATE_NOOP("Labels", "another program is using the relay board")),
    _rule(
        r"did not take the command in time|did not report channel|no answer from the relay board",
        QT_TRANSLATE_NOOP("Labels", "the relay board does not answer"),
    ),
    _rule(
        r"relay contact stuck: channel (?P<channel>\d+)",
        QT_TRANSLATE_NOOP("Labels", "the relay's contact %1 is stuck; call the office's IT staff"),
        "channel",
    ),
    _rule(
        r"gpiod", QT_TRANSLATE_NOOP("Labels", "the GPIO relay's software is not installed; call the office's IT staff")
    ),
]
RELAY_FAULT = QT_TRANSLATE_NOOP("Labels", "the door relay is not working (details in the kiosk's log)")

#: The note the door adds to a code a guard typed in (kiosk/door/door.py, manual_note): stored in both
#: languages, shown in the guard's.
MANUAL_NOTE = QT_TRANSLATE_NOOP("Labels", "Code typed in by guard %1")
_NOTE_PARTS = manual_note("\0").split("\0")
_MANUAL_NOTE = re.compile(
    "^" + re.escape(_NOTE_PARTS[0]) + "(?P<name>.+?)" + "(?P=name)".join(map(re.escape, _NOTE_PARTS[1:])) + "$",
    re.DOTALL,
)

_logged: set[str] = set()


def _translated(rules: list[Rule], text: str, otherwise: str | None, what: str, log_all: bool) -> str:
    """The translation of the first rule that matches `text`; else `otherwise` translated, or `text`
    itself when there is no general sentence. The English text goes to the log (once per text) when
    `log_all` or when it was not matched: the log keeps the detail the guard's sentence leaves out."""
    for pattern, source, groups in rules:
        found = pattern.search(text)
        if found:
            if log_all:
                _log_once(what, text)
            result = QCoreApplication.translate(CONTEXT, source)
            for n, group in enumerate(groups, start=1):
                result = result.replace(f"%{n}", found.group(group))
            return result
    if otherwise is None:
        return text
    _log_once(what, text)
    return QCoreApplication.translate(CONTEXT, otherwise)


def _log_once(what: str, text: str) -> None:
    if text not in _logged and len(_logged) < 1000:
        _logged.add(text)
        log.warning("%s shown to the guard in its words: %s", what, text)


def _layer(rules: list[Rule], otherwise: str | None, what: str, log_all: bool = False) -> Callable[[str], str]:
    def translated(text: str) -> str:
        return _translated(rules, text, otherwise, what, log_all) if text else text

    return translated


#: A StoreError's message (str(error)) for the guard.
store_error = _layer(STORE_ERRORS, STORE_ERROR, "store error", log_all=True)
#: An ActionError's message for the guard.
action_error = _layer(ACTION_ERRORS, ACTION_ERROR, "refused guard action", log_all=True)
#: A camera's description (an unknown kind of source shows as it is: it names a device).
camera = _layer(CAMERAS, None, "camera")
#: Why the camera is not reading.
camera_fault = _layer(CAMERA_FAULTS, CAMERA_FAULT, "camera fault", log_all=True)
#: The door relay's description (an unknown one shows as it is: it names a device).
relay = _layer(RELAYS, None, "relay")
#: Why the door relay did not switch.
relay_fault = _layer(RELAY_FAULTS, RELAY_FAULT, "relay fault", log_all=True)


def note(text: str) -> str:
    """A note on a scan: the door's automatic note for a typed code in the guard's language; a guard's
    own note as written."""
    found = _MANUAL_NOTE.match(text)
    if found is None:
        return text
    return QCoreApplication.translate(CONTEXT, MANUAL_NOTE).replace("%1", found.group("name"))
