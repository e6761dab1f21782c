"""A booking for another office (issue 15): the applicant reads that office's full name, from the office
directory the caller passes in (the domain reads no store); without a name for it, its code."""

from __future__ import annotations

import pytest

from kiosk.domain.explain import Lang, explain, explain_both
from kiosk.domain.model import Reason
from kiosk.domain.screen import ScreenMachine, decision_screen, place_line, place_text
from tests.domain.test_decide import OTHER_OFFICE, ZONES
from tests.domain.test_explain import decision_for

SEMARANG = "Kantor Imigrasi Kelas I TPI Semarang"
WIB = "Asia/Jakarta"


@pytest.mark.parametrize("zone", ZONES)
def test_the_wrong_office_answer_names_the_office_of_the_booking(zone: str) -> None:
    decision = decision_for(Reason.WRONG_OFFICE, zone)
    assert decision.facts["office"] == OTHER_OFFICE
    directory = {OTHER_OFFICE: SEMARANG, "DPS": "Kantor Imigrasi Kelas I TPI Denpasar"}
    indonesian, english = explain_both(decision, directory)
    assert indonesian.sentence == f"Jadwal Anda di {SEMARANG}, bukan di kantor ini. Silakan datang ke kantor tersebut."
    assert english.sentence == f"Your booking is at {SEMARANG}, not at this office. Please go to that office."
    assert indonesian.title == "TIDAK DAPAT MASUK"


def test_an_office_the_directory_does_not_name_is_shown_by_its_code() -> None:
    decision = decision_for(Reason.WRONG_OFFICE, WIB)
    for offices in (None, {}, {"DPS": "Kantor Imigrasi Kelas I TPI Denpasar"}):
        assert explain(decision, Lang.ID, offices).sentence == (
            f"Jadwal Anda untuk kantor lain ({OTHER_OFFICE}). Silakan datang ke kantor tersebut."
        )
        assert explain(decision, Lang.EN, offices).sentence == (
            f"Your booking is for another office ({OTHER_OFFICE}). Please go to that office."
        )


def test_the_directory_changes_no_other_answer() -> None:
    directory = {OTHER_OFFICE: SEMARANG}
    for reason in Reason:
        if reason is Reason.WRONG_OFFICE:
            continue
        try:
            decision = decision_for(reason, WIB)
        except KeyError:  # a reason without a scenario here (tests/domain/test_explain.py checks them all)
            continue
        assert explain_both(decision, directory) == explain_both(decision)


def test_the_screen_machine_answers_with_the_directory_it_holds() -> None:
    decision = decision_for(Reason.WRONG_OFFICE, WIB)
    machine = ScreenMachine()
    assert f"({OTHER_OFFICE})" in machine.recorded(decision, "e1", 10.0).words[Lang.ID].sentence
    machine.offices = {OTHER_OFFICE: SEMARANG}
    screen = machine.recorded(decision, "e2", 20.0)
    assert SEMARANG in screen.words[Lang.ID].sentence and SEMARANG in screen.words[Lang.EN].sentence
    assert screen == decision_screen(decision, "e2", offices={OTHER_OFFICE: SEMARANG})


def test_the_place_shows_the_office_name_when_known() -> None:
    assert place_text("SMG", "G1", Lang.ID, SEMARANG) == f"{SEMARANG} · Gerbang G1"
    assert place_text("SMG", "G1", Lang.EN, SEMARANG) == f"{SEMARANG} · Gate G1"
    assert place_text("SMG", "G1", Lang.ID) == "Kantor Imigrasi SMG · Gerbang G1"
    # the window's line: a name is said once, the gate in both languages
    assert place_line("SMG", "G1", Lang.EN, SEMARANG) == f"{SEMARANG}  ·  Gate G1 / Gerbang G1"
    assert place_line("SMG", "G1", Lang.ID) == "Kantor Imigrasi SMG · Gerbang G1  ·  Immigration Office SMG · Gate G1"
