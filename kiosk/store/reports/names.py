"""The report's own names for codes and its headings, in Indonesian and English (plain Python, no Qt).

The guard's screens name the same codes through Qt's translations (kiosk/ui/labels.py), which the
report cannot use below Qt; a printed report and its CSV take their words from here. Every member of
Verdict, Reason, ActionKind and OverrideReason has a name in both languages (a test checks), and a
code this table does not know (a newer server's reason) is shown as it is, never dropped.
"""

from __future__ import annotations

import datetime as dt

from kiosk.domain.explain import Lang
from kiosk.domain.model import Reason, Verdict
from kiosk.store.guard_actions import ActionKind, OverrideReason

Names = dict[str, tuple[str, str]]  # code -> (Indonesian, English)

VERDICTS: Names = {
    Verdict.ADMIT: ("Diizinkan masuk", "Admitted"),
    Verdict.DENY: ("Ditolak", "Denied"),
    Verdict.REFER: ("Diteruskan ke petugas", "Referred to an officer"),
}

REASONS: Names = {
    Reason.OK: ("Diizinkan masuk", "Admitted"),
    Reason.NOT_A_BOOKING: ("Bukan QR jadwal", "Not a booking QR"),
    Reason.UNKNOWN_CODE: ("Kode tidak dikenal", "Unknown code"),
    Reason.FORGED: ("Kode palsu (tanda tangan tidak sah)", "Forged code (bad signature)"),
    Reason.WRONG_OFFICE: ("Jadwal untuk kantor lain", "Booking for another office"),
    Reason.WRONG_DAY: ("Jadwal untuk hari lain", "Booking for another day"),
    Reason.TOO_EARLY: ("Terlalu awal", "Too early"),
    Reason.TOO_LATE: ("Terlambat", "Too late"),
    Reason.CANCELLED: ("Jadwal dibatalkan", "Booking cancelled"),
    Reason.RESCHEDULED: ("Jadwal sudah diganti", "Booking rescheduled"),
    Reason.UNPAID: ("Belum dibayar", "Not paid"),
    Reason.ALREADY_ADMITTED: ("Sudah digunakan untuk masuk", "Already admitted"),
    Reason.OUT_OF_ORDER: ("Kios tidak berfungsi", "Kiosk out of order"),
    Reason.STALE_DATA: ("Data jadwal kedaluwarsa", "Booking data out of date"),
    Reason.CLOCK_UNTRUSTED: ("Jam kios tidak dapat dipercaya", "Kiosk clock not trusted"),
    Reason.MULTIPLE_CODES: ("Beberapa kode sekaligus", "Several codes at once"),
    Reason.NEEDS_OFFICER: ("Layanan prioritas atau khusus", "Priority or special service"),
    Reason.CODE_BURST: (
        "Peringatan calo: banyak kode tidak sah dalam waktu singkat",
        "Broker alert: many invalid codes in a short time",
    ),
    Reason.TWO_GATES: (
        "Peringatan calo: jadwal baru saja digunakan di gerbang lain",
        "Broker alert: booking just used at another gate",
    ),
    Reason.TRYING_CODES: (
        "Peringatan calo: jadwal ditunjukkan lagi setelah ditolak dan kode lain",
        "Broker alert: booking shown again after a refusal and another code",
    ),
}

ACTIONS: Names = {
    ActionKind.OVERRIDE: ("Diizinkan masuk oleh petugas", "Admitted by a guard"),
    ActionKind.DISMISS: ("Diabaikan", "Dismissed"),
    ActionKind.ACK: ("Diketahui petugas", "Acknowledged"),
    ActionKind.NOTE: ("Catatan", "Note"),
}

OVERRIDE_REASONS: Names = {
    OverrideReason.PRIORITY_ELDERLY: (
        "Prioritas tanpa jadwal: lansia (di atas 60 tahun)",
        "Priority walk-in: elderly (over 60)",
    ),
    OverrideReason.PRIORITY_DISABILITY: (
        "Prioritas tanpa jadwal: penyandang disabilitas",
        "Priority walk-in: disability",
    ),
    OverrideReason.PRIORITY_CHILD: ("Prioritas tanpa jadwal: anak di bawah 5 tahun", "Priority walk-in: child under 5"),
    OverrideReason.LOST_PASSPORT: ("Tanpa jadwal: paspor hilang atau rusak", "Lost or damaged passport walk-in"),
    OverrideReason.SPECIAL_RESCHEDULE: (
        "Jadwal ulang khusus setelah gangguan sistem kantor",
        "Special reschedule after an office system failure",
    ),
    OverrideReason.ID_CHECKED: ("Identitas sudah dicocokkan dengan KTP", "Identity checked against the ID card"),
    OverrideReason.OTHER: ("Lainnya (lihat catatan)", "Other (see the note)"),
}

#: What the store writes in the reason column of the actions that are not overrides (guard_actions.py).
ACTION_REASONS: Names = {
    "DISMISSED": ("Diabaikan", "Dismissed"),
    "ACKNOWLEDGED": ("Diketahui", "Acknowledged"),
    "NOTE": ("Catatan", "Note"),
}

#: Every heading and fixed phrase of the report, by key.
TEXTS: Names = {
    "title": ("Laporan Harian Gerbang", "Daily Gate Report"),
    "office": ("Kantor", "Office"),
    "kiosk_gate": ("Kios / gerbang", "Kiosk / gate"),
    "day": ("Tanggal", "Day"),
    "zone": ("Zona waktu", "Time zone"),
    "generated": ("Dibuat pada", "Generated"),
    "audit_chain": ("Rantai audit", "Audit chain"),
    "audit_ok": ("UTUH", "OK"),
    "audit_broken": ("RUSAK", "BROKEN"),
    "entries": ("entri", "entries"),
    "audit_head": ("Kepala rantai audit (entri: hash)", "Audit head (entry: hash)"),
    "anchored": ("Diangkur di server", "Anchored at the server"),
    "unanchored": (
        "tidak ada tanda terima server: tanda tangani kepala rantai ini; periksa kemudian dengan "
        "kiosk audit verify --expect ENTRI:HASH",
        "no server receipt: sign this head; check it later with kiosk audit verify --expect ENTRY:HASH",
    ),
    "totals": ("Jumlah", "Totals"),
    "admitted_scans": ("Pemindaian diizinkan", "Admitted scans"),
    "denied_scans": ("Pemindaian ditolak", "Denied scans"),
    "referred_scans": ("Pemindaian diteruskan", "Referred scans"),
    "persons_admitted": ("Orang masuk", "People admitted"),
    "overrides": ("Izin masuk oleh petugas", "Guard overrides"),
    "broker_alerts": ("Peringatan calo", "Broker alerts"),
    "per_hour": ("Per jam", "Per hour"),
    "hour": ("Jam", "Hour"),
    "admitted": ("Diizinkan", "Admitted"),
    "denied": ("Ditolak", "Denied"),
    "referred": ("Diteruskan", "Referred"),
    "by_reason": ("Ditolak dan diteruskan, per alasan", "Denied and referred, by reason"),
    "count": ("Jumlah", "Count"),
    "reason": ("Alasan", "Reason"),
    "scans": ("Pemindaian", "Scans"),
    "per_guard": ("Izin masuk oleh petugas, per petugas", "Overrides per guard"),
    "per_override_reason": ("Izin masuk oleh petugas, per alasan", "Overrides by reason"),
    "guard": ("Petugas", "Guard"),
    "actions": ("Tindakan petugas", "Guard actions"),
    "continued": ("lanjutan", "continued"),
    "time": ("Waktu", "Time"),
    "action": ("Tindakan", "Action"),
    "persons": ("Orang", "People"),
    "scan": ("Pemindaian yang ditangani", "Scan acted on"),
    "scan_time": ("Waktu pemindaian", "Scan time"),
    "scan_verdict": ("Keputusan pemindaian", "Scan verdict"),
    "scan_reason": ("Alasan pemindaian", "Scan reason"),
    "booking": ("Jadwal", "Booking"),
    "code": ("Kode", "Code"),
    "note": ("Catatan", "Note"),
    "event": ("ID peristiwa", "Event id"),
    "none": ("tidak ada", "none"),
    "nothing_that_day": (
        "Tidak ada pemindaian maupun tindakan petugas pada hari ini.",
        "No scans and no guard actions on this day.",
    ),
    "page": ("Halaman {page} dari {pages}", "Page {page} of {pages}"),
    "prepared_by": ("Dibuat oleh,", "Prepared by,"),
    "prepared_role": ("Petugas pengamanan", "Guard on duty"),
    "acknowledged_by": ("Mengetahui,", "Acknowledged by,"),
    "acknowledged_role": ("Kepala Kantor", "Head of Office"),
    "place_date": ("Tempat, tanggal", "Place, date"),
    "name": ("Nama", "Name"),
    "nip": ("NIP", "NIP"),
    "signed_head": (
        "Kepala rantai audit yang ditandatangani: entri {seq}, hash {hash}",
        "Audit head signed for: entry {seq}, hash {hash}",
    ),
    "section": ("bagian", "section"),
    "item": ("butir", "item"),
    "value": ("nilai", "value"),
}

_MONTHS = (
    ("Januari", "January"),
    ("Februari", "February"),
    ("Maret", "March"),
    ("April", "April"),
    ("Mei", "May"),
    ("Juni", "June"),
    ("Juli", "July"),
    ("Agustus", "August"),
    ("September", "September"),
    ("Oktober", "October"),
    ("November", "November"),
    ("Desember", "December"),
)
_WEEKDAYS = (
    ("Senin", "Monday"),
    ("Selasa", "Tuesday"),
    ("Rabu", "Wednesday"),
    ("Kamis", "Thursday"),
    ("Jumat", "Friday"),
    ("Sabtu", "Saturday"),
    ("Minggu", "Sunday"),
)


def _pick(names: tuple[str, str], lang: Lang) -> str:
    return names[0] if lang == Lang.ID else names[1]


def _name(table: Names, code: str, lang: Lang) -> str:
    names = table.get(code)
    return _pick(names, lang) if names else code


def verdict(code: str, lang: Lang) -> str:
    return _name(VERDICTS, code, lang)


def reason(code: str, lang: Lang) -> str:
    return _name(REASONS, code, lang)


def action(code: str, lang: Lang) -> str:
    return _name(ACTIONS, code, lang)


def action_reason(kind: str, code: str, lang: Lang) -> str:
    """An action's reason: an override's OverrideReason, or the store's word for the other kinds."""
    return _name(OVERRIDE_REASONS if kind == ActionKind.OVERRIDE else ACTION_REASONS, code, lang)


def text(key: str, lang: Lang, **values: object) -> str:
    return _pick(TEXTS[key], lang).format(**values)


def long_date(day: dt.date, lang: Lang, weekday: bool = False) -> str:
    """7 Desember 2026 (Senin, 7 Desember 2026 with `weekday`)."""
    month = _pick(_MONTHS[day.month - 1], lang)
    written = f"{day.day} {month} {day.year}"
    return f"{_pick(_WEEKDAYS[day.weekday()], lang)}, {written}" if weekday else written
