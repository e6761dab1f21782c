"""Names for the codes the pages show, in Indonesian and English. The server's own table (it imports
nothing of the kiosk's store, whose report has the same words): a code it does not know (a newer
kiosk's reason) is shown as it is, never dropped."""

from __future__ import annotations

from markupsafe import Markup, escape

from kiosk.domain.model import PATTERN_REASONS

Names = dict[str, tuple[str, str]]

VERDICTS: Names = {
    "ADMIT": ("Diizinkan", "Admitted"),
    "DENY": ("Ditolak", "Denied"),
    "REFER": ("Diteruskan", "Referred"),
}

REASONS: Names = {
    "OK": ("Diizinkan masuk", "Admitted"),
    "NOT_A_BOOKING": ("Bukan QR jadwal", "Not a booking QR"),
    "UNKNOWN_CODE": ("Kode tidak dikenal", "Unknown code"),
    "FORGED": ("Kode palsu", "Forged code"),
    "WRONG_OFFICE": ("Jadwal untuk kantor lain", "Booking for another office"),
    "WRONG_DAY": ("Jadwal untuk hari lain", "Booking for another day"),
    "TOO_EARLY": ("Terlalu awal", "Too early"),
    "TOO_LATE": ("Terlambat", "Too late"),
    "CANCELLED": ("Jadwal dibatalkan", "Booking cancelled"),
    "RESCHEDULED": ("Jadwal sudah diganti", "Booking rescheduled"),
    "UNPAID": ("Belum dibayar", "Not paid"),
    "ALREADY_ADMITTED": ("Sudah digunakan untuk masuk", "Already admitted"),
    "OUT_OF_ORDER": ("Kios tidak berfungsi", "Kiosk out of order"),
    "STALE_DATA": ("Data jadwal kedaluwarsa", "Booking data out of date"),
    "CLOCK_UNTRUSTED": ("Jam kios tidak dapat dipercaya", "Kiosk clock not trusted"),
    "MULTIPLE_CODES": ("Beberapa kode sekaligus", "Several codes at once"),
    "NEEDS_OFFICER": ("Layanan prioritas atau khusus", "Priority or special service"),
    # broker patterns (kiosk/domain/patterns.py): REFERs with an alert to the guard
    "CODE_BURST": ("Peringatan calo: banyak kode tidak sah", "Broker alert: many invalid codes"),
    "TWO_GATES": ("Peringatan calo: dipakai di gerbang lain", "Broker alert: used at another gate"),
    "TRYING_CODES": ("Peringatan calo: mencoba kode", "Broker alert: trying codes"),
    # guard actions (the reason column of an override is its OverrideReason)
    "PRIORITY_ELDERLY": ("Prioritas: lansia", "Priority: elderly"),
    "PRIORITY_DISABILITY": ("Prioritas: disabilitas", "Priority: disability"),
    "PRIORITY_CHILD": ("Prioritas: anak di bawah 5 tahun", "Priority: child under 5"),
    "LOST_PASSPORT": ("Paspor hilang atau rusak", "Lost or damaged passport"),
    "SPECIAL_RESCHEDULE": ("Jadwal ulang khusus", "Special reschedule"),
    "ID_CHECKED": ("Identitas dicocokkan dengan KTP", "Identity checked against the ID card"),
    "OTHER": ("Lainnya (lihat catatan)", "Other (see the note)"),
    "DISMISSED": ("Diabaikan", "Dismissed"),
    "ACKNOWLEDGED": ("Diketahui", "Acknowledged"),
    "NOTE": ("Catatan", "Note"),
}

ACTIONS: Names = {
    "override": ("Izin masuk oleh petugas", "Guard override"),
    "dismiss": ("Diabaikan", "Dismissed"),
    "ack": ("Diketahui", "Acknowledged"),
    "note": ("Catatan", "Note"),
}

#: Guard actions as the kiosk uploads them (EventRow.kind).
ACTION_KINDS = ("override", "dismiss", "ack", "note")
RESOLVING_KINDS = ("override", "dismiss", "ack")
#: Kinds that are decisions at the gate.
DECISION_KINDS = ("scan", "manual")


BROKER_REASONS = frozenset(reason.value for reason in PATTERN_REASONS)


def is_broker(reason: str) -> bool:
    """A reason that names a broker pattern (kiosk/domain/patterns.py)."""
    return reason in BROKER_REASONS


def name(table: Names, code: str, lang: str = "id") -> str:
    names = table.get(code)
    if names is None:
        return code.replace("_", " ").capitalize() if code else "-"
    return names[0] if lang == "id" else names[1]


def _html(table: Names, code: str) -> Markup:
    names = table.get(code)
    if names is None:
        return Markup('<span class="code">{}</span>').format(code or "-")
    return Markup('{}<span class="en"> / {}</span>').format(names[0], names[1])


def reason_html(code: str) -> Markup:
    return _html(REASONS, code)


def verdict_html(code: str) -> Markup:
    return _html(VERDICTS, code)


def action_html(code: str) -> Markup:
    return _html(ACTIONS, code)


def text(value: str) -> Markup:
    return Markup(escape(value))
