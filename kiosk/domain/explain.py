"""What the applicant reads: a big title and one sentence that says what to do next, in two languages.

Texts use only the decision's facts (times, dates, gate, office), never a name or NIK digits: the
applicant screen is seen by everyone in the queue.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass

from kiosk.domain.model import Decision, Reason, Verdict
from kiosk.domain.payload import PayloadKind


class Lang(enum.StrEnum):
    ID = "id"
    EN = "en"


@dataclass(frozen=True, slots=True)
class Explanation:
    title: str
    sentence: str


_TITLES: dict[Verdict, dict[Lang, str]] = {
    Verdict.ADMIT: {Lang.ID: "SILAKAN MASUK", Lang.EN: "PLEASE ENTER"},
    Verdict.REFER: {Lang.ID: "MOHON TUNGGU PETUGAS", Lang.EN: "PLEASE WAIT FOR THE OFFICER"},
    Verdict.DENY: {Lang.ID: "TIDAK DAPAT MASUK", Lang.EN: "ENTRY NOT POSSIBLE"},
}
_OUT_OF_ORDER_TITLE = {Lang.ID: "SEDANG TIDAK BERFUNGSI", Lang.EN: "OUT OF ORDER"}

_MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# Sentences per reason. {placeholders} are filled from Decision.facts, then the formatted extras below.
_SENTENCES: dict[Reason, dict[Lang, str]] = {
    Reason.OK: {
        Lang.ID: "Jadwal Anda pukul {slot_start} {zone}. Silakan masuk{party_id}.",
        Lang.EN: "Your appointment is at {slot_start_en} {zone}. Please go in{party_en}.",
    },
    Reason.NOT_A_BOOKING: {
        Lang.ID: "{kind_id} Buka aplikasi M-Paspor dan tunjukkan QR bukti jadwal Anda.",
        Lang.EN: "{kind_en} Open the M-Paspor app and show your booking QR code.",
    },
    Reason.UNKNOWN_CODE: {
        Lang.ID: "Kode jadwal ini tidak terdaftar di kantor ini. Periksa aplikasi M-Paspor atau tanyakan ke petugas informasi.",
        Lang.EN: "This booking code is not registered here. Check your M-Paspor app or ask at the information desk.",
    },
    Reason.FORGED: {
        Lang.ID: "Kode ini tidak sah. Tunjukkan QR asli dari aplikasi M-Paspor Anda.",
        Lang.EN: "This code is not valid. Show the original QR code from your M-Paspor app.",
    },
    Reason.WRONG_OFFICE: {
        Lang.ID: "{booking_office_id} Silakan datang ke kantor tersebut.",
        Lang.EN: "{booking_office_en} Please go to that office.",
    },
    Reason.WRONG_DAY: {
        Lang.ID: "Jadwal Anda pada {date_id} pukul {slot_start} {zone}. {wrong_day_id}",
        Lang.EN: "Your appointment is on {date_en} at {slot_start_en} {zone}. {wrong_day_en}",
    },
    Reason.TOO_EARLY: {
        Lang.ID: "Jadwal Anda pukul {slot_start} {zone}; pintu dibuka pukul {opens}. Mohon kembali nanti.",
        Lang.EN: "Your appointment is at {slot_start_en} {zone}; entry opens at {opens_en}. Please come back then.",
    },
    Reason.TOO_LATE: {
        Lang.ID: "Jadwal Anda pukul {slot_start} {zone}; batas masuk pukul {closes} sudah lewat. Buat jadwal baru di M-Paspor.",
        Lang.EN: "Your appointment was at {slot_start_en} {zone}; entry closed at {closes_en}. Please make a new booking in M-Paspor.",
    },
    Reason.CANCELLED: {
        Lang.ID: "Jadwal ini sudah dibatalkan. Buat jadwal baru di aplikasi M-Paspor.",
        Lang.EN: "This booking was cancelled. Please make a new booking in the M-Paspor app.",
    },
    Reason.RESCHEDULED: {
        Lang.ID: "Jadwal ini sudah diganti. Tunjukkan QR jadwal yang baru dari aplikasi M-Paspor.",
        Lang.EN: "This booking was rescheduled. Show the QR code of your new booking from the M-Paspor app.",
    },
    Reason.UNPAID: {
        Lang.ID: "Pembayaran belum diterima. Bayar dengan kode billing di bank atau kantor pos, lalu buat jadwal lagi.",
        Lang.EN: "Payment has not been received. Pay with your billing code at a bank or post office, then book again.",
    },
    Reason.ALREADY_ADMITTED: {
        Lang.ID: "Kode ini sudah digunakan untuk masuk pukul {first_entry_time} {zone} di {first_entry_gate}. Mohon tunggu petugas.",
        Lang.EN: "This code was already used at {first_entry_time_en} {zone} at {first_entry_gate}. Please wait for the officer.",
    },
    Reason.OUT_OF_ORDER: {
        Lang.ID: "Alat pemindai sedang tidak berfungsi. Mohon tunggu petugas.",
        Lang.EN: "The scanner is not working right now. Please wait for the officer.",
    },
    Reason.STALE_DATA: {
        Lang.ID: "Data jadwal sedang diperbarui. Petugas akan memeriksa jadwal Anda.",
        Lang.EN: "Booking data is being updated. An officer will check your booking.",
    },
    Reason.CLOCK_UNTRUSTED: {
        Lang.ID: "Jam alat pemindai perlu dicek. Petugas akan memeriksa jadwal Anda.",
        Lang.EN: "The scanner's clock needs checking. An officer will check your booking.",
    },
    Reason.MULTIPLE_CODES: {
        Lang.ID: "Terlihat lebih dari satu kode. Tunjukkan satu QR saja, satu per orang.",
        Lang.EN: "More than one code is in view. Show one QR code at a time, one per person.",
    },
    Reason.NEEDS_OFFICER: {
        Lang.ID: "Layanan prioritas atau khusus. Petugas akan membantu Anda.",
        Lang.EN: "Priority or special service. An officer will help you.",
    },
    Reason.CODE_BURST: {
        Lang.ID: "Beberapa kode tidak dapat diterima dalam waktu singkat. Mohon tunggu, petugas akan membantu Anda.",
        Lang.EN: "Several codes could not be accepted in a short time. Please wait: an officer will help you.",
    },
    Reason.TWO_GATES: {
        Lang.ID: "Jadwal ini baru saja digunakan di gerbang lain ({other_gate}). Mohon tunggu petugas.",
        Lang.EN: "This booking was just used at another gate ({other_gate}). Please wait for the officer.",
    },
    Reason.TRYING_CODES: {
        Lang.ID: "Jadwal ini baru saja ditolak dan kode lain sudah ditunjukkan. Mohon tunggu petugas.",
        Lang.EN: "This booking was refused a moment ago and another code was shown since. Please wait for the officer.",
    },
}

_KIND_TEXT: dict[str, tuple[str, str]] = {
    PayloadKind.EMPTY: ("Kode kosong.", "The code is empty."),
    PayloadKind.TOO_LONG: ("Kode terlalu panjang.", "The code is too long."),
    PayloadKind.NOT_TEXT: ("Kode tidak dapat dibaca.", "The code cannot be read."),
    PayloadKind.NOT_ASCII: ("Kode berisi huruf yang tidak dikenal.", "The code has characters a booking never has."),
    PayloadKind.CONTROL_CHARS: ("Kode berisi karakter tidak sah.", "The code has invalid characters."),
    PayloadKind.URL: ("Ini alamat situs web, bukan QR jadwal.", "This is a web address, not a booking QR."),
    PayloadKind.WIFI: ("Ini QR Wi-Fi, bukan QR jadwal.", "This is a Wi-Fi QR, not a booking QR."),
    PayloadKind.CONTACT: ("Ini kartu kontak, bukan QR jadwal.", "This is a contact card, not a booking QR."),
    PayloadKind.NATIONAL_ID: ("Ini NIK, bukan QR jadwal.", "This is an ID number (NIK), not a booking QR."),
    PayloadKind.BILLING_CODE: (
        "Ini kode billing pembayaran, bukan QR jadwal.",
        "This is a payment billing code, not a booking QR.",
    ),
    PayloadKind.HEALTH_CERT: (
        "Ini sertifikat kesehatan, bukan QR jadwal.",
        "This is a health certificate, not a booking QR.",
    ),
    PayloadKind.OTHER: ("Ini bukan QR jadwal.", "This is not a booking QR."),
}


def explain(decision: Decision, lang: Lang, offices: Mapping[str, str] | None = None) -> Explanation:
    """The applicant's title and sentence for a decision, in one language. `offices`: the office
    directory the kiosk holds (code -> full name), so that a booking for another office names it."""
    title = _OUT_OF_ORDER_TITLE if decision.reason is Reason.OUT_OF_ORDER else _TITLES[decision.verdict]
    template = _SENTENCES[decision.reason][lang]
    return Explanation(title[lang], template.format_map(_fields(decision, offices or {})))


def explain_both(decision: Decision, offices: Mapping[str, str] | None = None) -> tuple[Explanation, Explanation]:
    return explain(decision, Lang.ID, offices), explain(decision, Lang.EN, offices)


def format_date(value: dt.date, lang: Lang) -> str:
    months = _MONTHS_ID if lang is Lang.ID else _MONTHS_EN
    return f"{value.day} {months[value.month - 1]} {value.year}"


class _Blank(dict[str, str]):
    """Missing facts render as '?' rather than raising: an explanation must never crash a screen."""

    def __missing__(self, key: str) -> str:
        return "?"


def _fields(decision: Decision, offices: Mapping[str, str]) -> _Blank:
    facts = _Blank(decision.facts)
    office = facts.get("office", "?")
    name = offices.get(office, "") or offices.get(office.upper(), "")
    if name:  # the applicant needs the office's name, not its code
        facts["booking_office_id"] = f"Jadwal Anda di {name}, bukan di kantor ini."
        facts["booking_office_en"] = f"Your booking is at {name}, not at this office."
    else:
        facts["booking_office_id"] = f"Jadwal Anda untuk kantor lain ({office})."
        facts["booking_office_en"] = f"Your booking is for another office ({office})."
    for key in ("slot_start", "opens", "closes", "first_entry_time"):
        if key in facts:
            facts[f"{key}_en"] = facts[key].replace(".", ":")
    if "service_date" in facts:
        day = dt.date.fromisoformat(facts["service_date"])
        facts["date_id"] = format_date(day, Lang.ID)
        facts["date_en"] = format_date(day, Lang.EN)
    earlier = facts.get("when") == "earlier"
    facts["wrong_day_id"] = (
        "Mohon datang pada hari itu." if earlier else "Jadwal itu sudah lewat; buat jadwal baru di M-Paspor."
    )
    facts["wrong_day_en"] = (
        "Please come on that day." if earlier else "That date has passed; please make a new booking in M-Paspor."
    )
    kind_id, kind_en = _KIND_TEXT.get(facts.get("payload_kind", ""), _KIND_TEXT[PayloadKind.OTHER])
    facts["kind_id"], facts["kind_en"] = kind_id, kind_en
    persons = decision.persons
    facts["party_id"] = f" untuk {persons} orang" if persons > 1 else ""
    facts["party_en"] = f", for {persons} people" if persons > 1 else ""
    return facts
