"""explain(): what the applicant reads, in Bahasa Indonesia and English, built from real decide() results."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from kiosk.domain.explain import Explanation, Lang, explain, explain_both, format_date
from kiosk.domain.model import Category, Decision, PartyAdmission, Reason, Status, Verdict
from kiosk.domain.payload import MAX_PAYLOAD_BYTES, PayloadKind
from tests.domain.test_decide import (
    CODE,
    DAY,
    DISPLAY_NAME,
    NIK_LAST4,
    OTHER_OFFICE,
    SIGNED,
    ZONE_ABBR,
    ZONES,
    Scenario,
    admit,
    deny,
    refer,
)
from tests.domain.test_patterns import PATTERN_SCENARIOS, Case

#: One real decision per reason: the default booking (10.30-11.30, window 10.00-12.30 office time).
BY_REASON: dict[Reason, Scenario | Case] = {
    Reason.OK: admit(3, booking={"party_size": 3}),
    Reason.NOT_A_BOOKING: deny(Reason.NOT_A_BOOKING, payload="https://example.com/"),
    Reason.UNKNOWN_CODE: deny(Reason.UNKNOWN_CODE, booking=None, data_age_minutes=1),
    Reason.FORGED: deny(Reason.FORGED, payload=SIGNED, signature_valid=False),
    Reason.WRONG_OFFICE: deny(Reason.WRONG_OFFICE, booking={"office_code": OTHER_OFFICE}),
    Reason.WRONG_DAY: deny(Reason.WRONG_DAY, booking={"service_date": DAY + dt.timedelta(days=1)}),
    Reason.TOO_EARLY: deny(Reason.TOO_EARLY, at="09:15"),
    Reason.TOO_LATE: deny(Reason.TOO_LATE, at="13:00"),
    Reason.CANCELLED: deny(Reason.CANCELLED, booking={"status": Status.CANCELLED}),
    Reason.RESCHEDULED: deny(Reason.RESCHEDULED, booking={"status": Status.RESCHEDULED}),
    Reason.UNPAID: deny(Reason.UNPAID, booking={"status": Status.UNPAID}),
    Reason.ALREADY_ADMITTED: deny(Reason.ALREADY_ADMITTED, entries=(("10:05", 1),)),
    Reason.OUT_OF_ORDER: deny(Reason.OUT_OF_ORDER, naive_time=True),
    Reason.STALE_DATA: refer(Reason.STALE_DATA, booking=None, data_age_minutes=60),
    Reason.CLOCK_UNTRUSTED: refer(Reason.CLOCK_UNTRUSTED, clock_trusted=False),
    Reason.MULTIPLE_CODES: refer(Reason.MULTIPLE_CODES, other_codes=1),
    Reason.NEEDS_OFFICER: refer(Reason.NEEDS_OFFICER, booking={"category": Category.PRIORITY_WALKIN}),
    **PATTERN_SCENARIOS,  # the broker patterns: several scans (tests/domain/test_patterns.py)
}
LANGS = [pytest.param(Lang.ID, id="ID"), pytest.param(Lang.EN, id="EN")]
REASONS = [pytest.param(reason, id=str(reason)) for reason in Reason]


def decision_for(reason: Reason, zone: str) -> Decision:
    decision = BY_REASON[reason].run(zone)
    assert decision.reason is reason, "the scenario no longer leads to this reason"
    return decision


def test_one_scenario_per_reason() -> None:
    assert set(BY_REASON) == set(Reason)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("reason", REASONS)
def test_every_reason_renders_without_placeholders(reason: Reason, zone: str, lang: Lang) -> None:
    text = explain(decision_for(reason, zone), lang)
    assert text.title
    assert text.sentence
    for leftover in ("?", "{", "}"):
        assert leftover not in text.sentence


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("reason", REASONS)
def test_the_two_languages_differ(reason: Reason, zone: str) -> None:
    in_id, in_en = explain_both(decision_for(reason, zone))
    assert in_id.title != in_en.title
    assert in_id.sentence != in_en.sentence


@pytest.mark.parametrize(
    ("reason", "title_id", "title_en"),
    [
        pytest.param(Reason.OK, "SILAKAN MASUK", "PLEASE ENTER", id="admit"),
        pytest.param(Reason.TOO_EARLY, "TIDAK DAPAT MASUK", "ENTRY NOT POSSIBLE", id="deny"),
        pytest.param(Reason.STALE_DATA, "MOHON TUNGGU PETUGAS", "PLEASE WAIT FOR THE OFFICER", id="refer"),
        pytest.param(Reason.OUT_OF_ORDER, "SEDANG TIDAK BERFUNGSI", "OUT OF ORDER", id="out-of-order"),
    ],
)
def test_titles(reason: Reason, title_id: str, title_en: str) -> None:
    in_id, in_en = explain_both(decision_for(reason, "Asia/Jakarta"))
    assert (in_id.title, in_en.title) == (title_id, title_en)


@pytest.mark.parametrize("reason", [r for r in Reason if r is not Reason.OUT_OF_ORDER])
def test_title_follows_the_verdict(reason: Reason) -> None:
    decision = decision_for(reason, "Asia/Makassar")
    expected = {
        Verdict.ADMIT: "PLEASE ENTER",
        Verdict.REFER: "PLEASE WAIT FOR THE OFFICER",
        Verdict.DENY: "ENTRY NOT POSSIBLE",
    }
    assert explain(decision, Lang.EN).title == expected[decision.verdict]


# --- times in the office's zone, in each language's format ------------------------------------------------

#: Reasons whose sentence carries a time, and the office wall-clock time it must show.
TIMED = [
    pytest.param(Reason.OK, "10.30", id="OK"),
    pytest.param(Reason.WRONG_DAY, "10.30", id="WRONG_DAY"),
    pytest.param(Reason.TOO_EARLY, "10.30", id="TOO_EARLY"),
    pytest.param(Reason.TOO_LATE, "10.30", id="TOO_LATE"),
    pytest.param(Reason.ALREADY_ADMITTED, "10.05", id="ALREADY_ADMITTED"),
]
ZONE_WORD = re.compile(r"\bWI(?:B|TA|T)\b")


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("reason", "time_id"), TIMED)
def test_times_are_office_time_with_zone_in_each_language_format(reason: Reason, time_id: str, zone: str) -> None:
    abbr = ZONE_ABBR[zone]
    in_id, in_en = explain_both(decision_for(reason, zone))
    assert f"{time_id} {abbr}" in in_id.sentence
    assert f"{time_id.replace('.', ':')} {abbr}" in in_en.sentence
    assert not re.search(r"\d:\d\d", in_id.sentence), "Indonesian writes 10.30, never 10:30"
    assert not re.search(r"\d\.\d\d", in_en.sentence), "English writes 10:30, never 10.30"
    assert set(ZONE_WORD.findall(in_id.sentence + in_en.sentence)) == {abbr}


@pytest.mark.parametrize("zone", ZONES)
def test_too_early_says_when_entry_opens(zone: str) -> None:
    abbr = ZONE_ABBR[zone]
    in_id, in_en = explain_both(decision_for(Reason.TOO_EARLY, zone))
    assert in_id.sentence == f"Jadwal Anda pukul 10.30 {abbr}; pintu dibuka pukul 10.00. Mohon kembali nanti."
    assert in_en.sentence == f"Your appointment is at 10:30 {abbr}; entry opens at 10:00. Please come back then."


@pytest.mark.parametrize("zone", ZONES)
def test_too_late_says_when_entry_closed(zone: str) -> None:
    in_id, in_en = explain_both(decision_for(Reason.TOO_LATE, zone))
    assert "batas masuk pukul 12.30 sudah lewat" in in_id.sentence
    assert "entry closed at 12:30" in in_en.sentence


@pytest.mark.parametrize("zone", ZONES)
def test_already_admitted_says_when_and_where(zone: str) -> None:
    abbr = ZONE_ABBR[zone]
    in_id, in_en = explain_both(decision_for(Reason.ALREADY_ADMITTED, zone))
    assert in_id.sentence == f"Kode ini sudah digunakan untuk masuk pukul 10.05 {abbr} di G2. Mohon tunggu petugas."
    assert in_en.sentence == f"This code was already used at 10:05 {abbr} at G2. Please wait for the officer."


@pytest.mark.parametrize(
    ("days", "date_id", "date_en", "advice_id", "advice_en"),
    [
        pytest.param(
            1,
            "11 Maret 2025",
            "11 March 2025",
            "Mohon datang pada hari itu.",
            "Please come on that day.",
            id="tomorrow",
        ),
        pytest.param(-1, "9 Maret 2025", "9 March 2025", "sudah lewat", "has passed", id="yesterday"),
    ],
)
def test_wrong_day_names_the_date_and_what_to_do(
    days: int, date_id: str, date_en: str, advice_id: str, advice_en: str
) -> None:
    scenario = deny(Reason.WRONG_DAY, booking={"service_date": DAY + dt.timedelta(days=days)})
    in_id, in_en = explain_both(scenario.run("Asia/Jayapura"))
    assert f"pada {date_id} pukul 10.30 WIT" in in_id.sentence
    assert f"on {date_en} at 10:30 WIT" in in_en.sentence
    assert advice_id in in_id.sentence
    assert advice_en in in_en.sentence


# --- party size --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ZONES)
def test_admit_party_of_three_says_three_people(zone: str) -> None:
    in_id, in_en = explain_both(decision_for(Reason.OK, zone))
    assert "untuk 3 orang" in in_id.sentence
    assert "for 3 people" in in_en.sentence


@pytest.mark.parametrize("party", range(1, 6), ids=lambda n: f"party-of-{n}")
def test_admit_names_the_number_admitted(party: int) -> None:
    in_id, in_en = explain_both(admit(party, booking={"party_size": party}).run("Asia/Makassar"))
    if party == 1:
        assert "orang" not in in_id.sentence
        assert "people" not in in_en.sentence
    else:
        assert f"untuk {party} orang" in in_id.sentence
        assert f"for {party} people" in in_en.sentence


def test_per_person_admission_says_no_party_count() -> None:
    scenario = admit(1, booking={"party_size": 3}, rules={"party_admission": PartyAdmission.PER_PERSON})
    in_id, in_en = explain_both(scenario.run("Asia/Jakarta"))
    assert in_id.sentence == "Jadwal Anda pukul 10.30 WIB. Silakan masuk."
    assert in_en.sentence == "Your appointment is at 10:30 WIB. Please go in."


# --- privacy -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("reason", REASONS)
def test_never_shows_name_nik_or_code(reason: Reason, zone: str) -> None:
    decision = decision_for(reason, zone)
    for text in explain_both(decision):
        shown = f"{text.title} {text.sentence}"
        for secret in (DISPLAY_NAME, *DISPLAY_NAME.split(), NIK_LAST4, CODE):
            assert secret not in shown


# --- what was shown instead of a booking --------------------------------------------------------------------

SHOWN_INSTEAD = [
    pytest.param(PayloadKind.EMPTY, "", "kosong", "empty", id="empty"),
    pytest.param(PayloadKind.TOO_LONG, "A" * (MAX_PAYLOAD_BYTES + 1), "terlalu panjang", "too long", id="too-long"),
    pytest.param(PayloadKind.NOT_TEXT, b"\xff\xfe", "tidak dapat dibaca", "cannot be read", id="not-text"),
    pytest.param(PayloadKind.NOT_ASCII, "MP7K\u202eQ2XAT3M9", "tidak dikenal", "never has", id="not-ascii"),
    pytest.param(PayloadKind.CONTROL_CHARS, "MP7K\x00Q2XA", "tidak sah", "invalid characters", id="control"),
    pytest.param(PayloadKind.URL, "https://example.com/", "alamat situs web", "web address", id="url"),
    pytest.param(PayloadKind.WIFI, "WIFI:S:Tamu;T:WPA;P:x;;", "QR Wi-Fi", "Wi-Fi QR", id="wifi"),
    pytest.param(PayloadKind.CONTACT, "BEGIN:VCARD\r\nFN:X\r\nEND:VCARD", "kartu kontak", "contact card", id="vcard"),
    pytest.param(PayloadKind.NATIONAL_ID, "3174012501900001", "Ini NIK", "ID number (NIK)", id="nik"),
    pytest.param(PayloadKind.BILLING_CODE, "820250310123456", "kode billing", "billing code", id="billing"),
    pytest.param(PayloadKind.HEALTH_CERT, "HC1:NCFOXN%TS3DH", "sertifikat kesehatan", "health certificate", id="hc1"),
    pytest.param(PayloadKind.OTHER, '{"a": 1}', "Ini bukan QR jadwal", "This is not a booking QR", id="other"),
]


@pytest.mark.parametrize(("kind", "raw", "phrase_id", "phrase_en"), SHOWN_INSTEAD)
def test_not_a_booking_says_what_was_shown(kind: PayloadKind, raw: str | bytes, phrase_id: str, phrase_en: str) -> None:
    decision = deny(Reason.NOT_A_BOOKING, payload=raw).run("Asia/Jakarta")
    assert decision.facts["payload_kind"] == kind
    in_id, in_en = explain_both(decision)
    assert phrase_id in in_id.sentence
    assert phrase_en in in_en.sentence
    assert "M-Paspor" in in_id.sentence
    assert "M-Paspor" in in_en.sentence


def test_every_foreign_kind_has_its_own_text() -> None:
    assert {p.values[0] for p in SHOWN_INSTEAD} == {k for k in PayloadKind if k not in ("booking_code", "signed_code")}
    assert len({p.values[3] for p in SHOWN_INSTEAD}) == len(SHOWN_INSTEAD)


# --- robustness and helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("reason", REASONS)
def test_decision_without_facts_still_renders(reason: Reason, lang: Lang) -> None:
    """A decision built by hand with no facts must not crash a screen: gaps show as '?'."""
    text = explain(Decision.of(reason), lang)
    assert isinstance(text, Explanation)
    assert text.sentence
    assert "{" not in text.sentence


def test_missing_time_shows_question_mark_not_a_crash() -> None:
    assert explain(Decision.of(Reason.TOO_EARLY), Lang.EN).sentence.startswith("Your appointment is at ? ?;")


@pytest.mark.parametrize(
    ("day", "in_id", "in_en"),
    [
        pytest.param(dt.date(2025, 1, 1), "1 Januari 2025", "1 January 2025", id="january"),
        pytest.param(dt.date(2025, 5, 17), "17 Mei 2025", "17 May 2025", id="may"),
        pytest.param(dt.date(2025, 8, 17), "17 Agustus 2025", "17 August 2025", id="august"),
        pytest.param(dt.date(2024, 12, 31), "31 Desember 2024", "31 December 2024", id="december"),
    ],
)
def test_format_date(day: dt.date, in_id: str, in_en: str) -> None:
    assert (format_date(day, Lang.ID), format_date(day, Lang.EN)) == (in_id, in_en)


def test_explain_both_is_indonesian_then_english() -> None:
    decision = decision_for(Reason.CANCELLED, "Asia/Jakarta")
    assert explain_both(decision) == (explain(decision, Lang.ID), explain(decision, Lang.EN))


@pytest.mark.parametrize("zone", ZONES)
def test_morning_times_keep_their_leading_zero(zone: str) -> None:
    abbr = ZONE_ABBR[zone]
    scenario = deny(Reason.TOO_EARLY, at="07:00", booking={"slot_start": dt.time(8, 5), "slot_end": dt.time(8, 35)})
    in_id, in_en = explain_both(scenario.run(zone))
    assert in_id.sentence == f"Jadwal Anda pukul 08.05 {abbr}; pintu dibuka pukul 07.35. Mohon kembali nanti."
    assert in_en.sentence == f"Your appointment is at 08:05 {abbr}; entry opens at 07:35. Please come back then."
