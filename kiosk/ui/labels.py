"""Guard-facing names for the closed lists (reasons, verdicts, override reasons, actions, categories).

Source texts are English and marked for pyside6-lupdate with QT_TRANSLATE_NOOP; they are translated
when shown, so a language switch takes effect at the next repaint. Codes without an entry show as
they are (a newer server sending a reason this kiosk does not know yet still shows something true).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

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
