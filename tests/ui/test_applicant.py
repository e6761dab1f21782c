"""The applicant screen: every state reached from a real, recorded decision; commit before show; fail
closed; time-outs; a DENY that waits for the guard; the language toggle; sizes; kiosk lockdown."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from kiosk.app import Kiosk, run_kiosk
from kiosk.config import KioskConfig
from kiosk.domain.explain import Lang
from kiosk.domain.model import VERDICT_OF, Reason, Verdict
from kiosk.domain.screen import Fault, Screen, ScreenState, Timeouts, decision_screen
from kiosk.door import Source
from kiosk.store import guard_actions
from kiosk.store.db import KioskStore, StoreError
from kiosk.store.parts.decisions import Decisions
from kiosk.ui.sound import SilentPlayer
from kiosk.workers.gate import FakeRelay, GateState
from tests.ui.conftest import FakeTime, MakeKiosk
from tests.ui.fixtures import ADMIT_CODE, GUARD_A, PARTY_CODE, UNKNOWN_CODE, guard_id, make_store, present


def show(kiosk: Kiosk, code: str | bytes, other_codes: int = 0) -> Screen:
    others: list[str | bytes] = [f"MPOTHER{n:05d}" for n in range(other_codes)]
    kiosk.controller.code_seen([code, *others], Source.CAMERA)
    return kiosk.applicant.current


def texts(kiosk: Kiosk) -> str:
    """Everything the applicant can read right now."""
    applicant = kiosk.applicant
    return "\n".join(label.text() for label in applicant.findChildren(QLabel) if label.isVisibleTo(applicant))


def states(kiosk: Kiosk) -> list[ScreenState]:
    seen: list[ScreenState] = []
    kiosk.controller.screenChanged.connect(lambda screen: seen.append(screen.state))
    return seen


# --- every state from a real decision -----------------------------------------------------------------


def test_idle_shows_the_instruction_the_privacy_notice_and_the_data_age(kiosk: Kiosk, qtbot: QtBot) -> None:
    kiosk.applicant.show()
    qtbot.waitExposed(kiosk.applicant)
    assert kiosk.applicant.current.state is ScreenState.IDLE
    shown = texts(kiosk)
    assert "Tunjukkan QR M-Paspor Anda ke kamera" in shown
    assert "Show your booking QR code to the camera" in shown
    assert "tidak menyimpan gambar" in shown and "keeps no images" in shown
    assert "Booking data: local import" in shown
    assert kiosk.applicant.preview.isVisible()


def test_admit_for_a_party_shows_the_party_size_and_no_name(kiosk: Kiosk, store: KioskStore) -> None:
    seen = states(kiosk)
    kiosk.applicant.show()
    screen = show(kiosk, PARTY_CODE)
    assert seen == [ScreenState.CHECKING, ScreenState.ADMIT]
    assert screen.state is ScreenState.ADMIT
    shown = texts(kiosk)
    assert "SILAKAN MASUK" in shown and "PLEASE ENTER" in shown
    assert "untuk 3 orang" in shown and "for 3 people" in shown
    assert "Santoso" not in shown and "4412" not in shown  # the booking's name and NIK digits
    assert not kiosk.applicant.preview.isVisible()


def test_refer_and_deny_from_recorded_decisions(kiosk: Kiosk) -> None:
    kiosk.applicant.show()
    assert show(kiosk, "MPPRIORITY01").state is ScreenState.REFER
    assert "MOHON TUNGGU PETUGAS" in texts(kiosk) and "PLEASE WAIT FOR THE OFFICER" in texts(kiosk)
    assert show(kiosk, ADMIT_CODE, other_codes=1).state is ScreenState.REFER  # two codes in one frame
    assert show(kiosk, "MPCANCEL0001").state is ScreenState.DENY
    assert "Jadwal ini sudah dibatalkan" in texts(kiosk) and "This booking was cancelled" in texts(kiosk)


def test_each_state_has_words_an_icon_and_its_own_tone(make_kiosk: MakeKiosk, store: KioskStore) -> None:
    player = SilentPlayer()
    kiosk = make_kiosk(store, player=player)
    kiosk.applicant.show()
    for code in (ADMIT_CODE, "MPPRIORITY01", "MPCANCEL0001"):
        show(kiosk, code)
        assert not kiosk.applicant.icon.pixmap().isNull()
        assert kiosk.applicant.title1.text() and kiosk.applicant.sentence1.text()
    kiosk.controller.fault(Fault.CAMERA)  # (after the DENY times out it shows)
    assert player.played == [ScreenState.ADMIT, ScreenState.REFER, ScreenState.DENY]


def test_commit_before_show_and_the_gate_pulses_only_after_an_admit(kiosk: Kiosk, store: KioskStore) -> None:
    relay = kiosk.relay
    assert isinstance(relay, FakeRelay)
    on_disk: list[bool] = []

    def check(screen: Screen) -> None:
        if screen.state is ScreenState.ADMIT:
            on_disk.append(store.decisions.event(screen.event_uuid) is not None)

    kiosk.controller.screenChanged.connect(check)
    show(kiosk, "MPCANCEL0001")
    assert not relay.pulses
    show(kiosk, PARTY_CODE)
    assert on_disk == [True]
    assert [p.persons for p in relay.pulses] == [3]
    assert relay.state is GateState.OPEN


def test_a_failed_write_is_out_of_order_never_admit(
    make_kiosk: MakeKiosk, store: KioskStore, test_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    kiosk = make_kiosk(store)
    relay = kiosk.relay
    assert isinstance(relay, FakeRelay)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise StoreError("the disk holding kiosk.db is full; free some space")

    monkeypatch.setattr(Decisions, "record", broken)
    assert show(kiosk, ADMIT_CODE).state is ScreenState.OUT_OF_ORDER
    assert not relay.pulses
    assert "Data tidak dapat disimpan" in texts(kiosk)
    monkeypatch.setattr(Decisions, "record", lambda *_a, **_k: (_ for _ in ()).throw(RuntimeError("bug")))
    show(kiosk, PARTY_CODE)
    assert kiosk.applicant.current.state is ScreenState.OUT_OF_ORDER  # any exception fails closed
    monkeypatch.undo()
    test_time.advance(5)  # a new presentation of the same code
    assert show(kiosk, ADMIT_CODE).state is ScreenState.ADMIT  # the next write that works clears it


def test_out_of_order_is_sticky_until_every_fault_clears(kiosk: Kiosk, test_time: FakeTime) -> None:
    controller = kiosk.controller
    controller.fault(Fault.CAMERA)
    controller.fault(Fault.GATE)
    assert kiosk.applicant.current.state is ScreenState.OUT_OF_ORDER
    assert "Kamera tidak berfungsi" in texts(kiosk) and "The gate cannot open by itself" in texts(kiosk)
    test_time.advance(600)
    controller.tick()
    assert not controller.code_seen(present(ADMIT_CODE))  # the camera is broken: nothing is decided
    controller.fault_cleared(Fault.CAMERA)
    assert kiosk.applicant.current.state is ScreenState.OUT_OF_ORDER
    controller.fault_cleared(Fault.GATE)
    assert kiosk.applicant.current.state is ScreenState.IDLE


def test_gate_relay_fault_puts_the_kiosk_out_of_order(kiosk: Kiosk) -> None:
    relay = kiosk.relay
    assert isinstance(relay, FakeRelay)
    relay.unplug()
    assert kiosk.applicant.current.state is ScreenState.OUT_OF_ORDER
    relay.replug()
    assert kiosk.applicant.current.state is ScreenState.IDLE


def test_results_time_out_back_to_idle(kiosk: Kiosk, test_time: FakeTime) -> None:
    show(kiosk, ADMIT_CODE)
    test_time.advance(4)
    kiosk.controller.tick()
    assert kiosk.applicant.current.state is ScreenState.ADMIT
    test_time.advance(2)
    kiosk.controller.tick()
    assert kiosk.applicant.current.state is ScreenState.IDLE
    show(kiosk, "MPCANCEL0001")
    test_time.advance(11)
    kiosk.controller.tick()
    assert kiosk.applicant.current.state is ScreenState.IDLE


def test_checking_that_takes_too_long_is_out_of_order(
    make_kiosk: MakeKiosk, store: KioskStore, test_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    kiosk = make_kiosk(store)
    monkeypatch.setattr(kiosk.writer, "record", lambda *_args, **_kwargs: 0)  # an answer that never comes
    assert show(kiosk, ADMIT_CODE).state is ScreenState.CHECKING
    test_time.advance(9)
    kiosk.controller.tick()
    assert kiosk.applicant.current.state is ScreenState.OUT_OF_ORDER


def test_the_timer_really_fires(make_kiosk: MakeKiosk, store: KioskStore, qtbot: QtBot) -> None:
    """On the real monotonic clock the screen goes back to IDLE by itself (no tick() from the test)."""
    kiosk = make_kiosk(store, monotonic=time.monotonic)
    kiosk.controller.machine.timeouts = Timeouts(admit=0.2, refer=0.2, deny=0.2)
    kiosk.controller.code_seen(present("MPTOOLATE001"))
    assert kiosk.applicant.current.state is ScreenState.DENY
    qtbot.waitUntil(lambda: kiosk.applicant.current.state is ScreenState.IDLE, timeout=3000)


def test_deny_can_wait_for_the_guard_to_acknowledge(make_kiosk: MakeKiosk, tmp_path: Path, test_time: FakeTime) -> None:
    with make_store(tmp_path / "ack.db", deny_needs_ack=True) as store:
        kiosk = make_kiosk(store)
        screen = show(kiosk, UNKNOWN_CODE)
        assert screen.state is ScreenState.DENY and screen.awaiting_guard
        assert "Petugas sedang menuju ke sini." in texts(kiosk)
        test_time.advance(3600)
        kiosk.controller.tick()
        assert kiosk.applicant.current.state is ScreenState.DENY
        assert not kiosk.controller.code_seen(present(ADMIT_CODE))  # held for the guard
        result = guard_actions.acknowledge(store, screen.event_uuid, guard_id(store, GUARD_A), test_time.now)
        kiosk.controller.guard_acted(result)
        assert kiosk.applicant.current.state is ScreenState.IDLE


def test_the_same_code_held_up_is_one_scan(kiosk: Kiosk, store: KioskStore, test_time: FakeTime) -> None:
    before = store.decisions.outbox_size()
    for _ in range(10):
        kiosk.controller.code_seen(present(ADMIT_CODE))
        test_time.advance(1)
    assert store.decisions.outbox_size() == before + 1


# --- sizes, language, lockdown ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", [PARTY_CODE, "MPTOOLATE001", UNKNOWN_CODE, "MPPRIORITY01"])
def test_result_text_is_at_least_48_px_at_1080p(kiosk: Kiosk, qtbot: QtBot, code: str) -> None:
    kiosk.applicant.resize(1920, 1080)
    kiosk.applicant.show()
    qtbot.waitExposed(kiosk.applicant)
    show(kiosk, code)
    applicant = kiosk.applicant
    qtbot.wait(20)  # let the layout settle
    labels = [applicant.title1, applicant.line1, applicant.sentence1, applicant.title2, applicant.line2]
    labels += [applicant.sentence2]
    for label in labels:
        if label.isVisible():
            assert label.font().pixelSize() >= 48, label.objectName()
            assert label.height() >= label.heightForWidth(label.width()) - 1, f"{label.objectName()} is clipped"


def test_the_language_toggle_puts_english_first_until_idle(kiosk: Kiosk, test_time: FakeTime) -> None:
    applicant = kiosk.applicant
    show(kiosk, "MPCANCEL0001")
    assert applicant.title1.text() == "TIDAK DAPAT MASUK"
    assert applicant.toggle.text() == "English"
    applicant.toggle.click()
    assert applicant.title1.text() == "ENTRY NOT POSSIBLE"
    assert applicant.title2.text() == "TIDAK DAPAT MASUK"
    assert applicant.toggle.text() == "Bahasa Indonesia"
    test_time.advance(30)
    kiosk.controller.tick()
    assert applicant.first is Lang.ID  # the next applicant starts in the default language


def test_kiosk_mode_hides_frame_and_cursor_and_closing_needs_a_guard(kiosk: Kiosk, qtbot: QtBot) -> None:
    applicant = kiosk.applicant
    applicant.set_kiosk_mode(True)
    assert applicant.windowFlags() & Qt.WindowType.FramelessWindowHint
    assert applicant.cursor().shape() == Qt.CursorShape.BlankCursor
    applicant.show()
    with qtbot.waitSignal(applicant.closeRequested, timeout=1000):
        assert not applicant.close()
    assert applicant.isVisible()
    applicant.allow_close()
    assert applicant.close()


def test_kiosk_mode_refuses_to_start_without_a_guard(tmp_path: Path) -> None:
    path = tmp_path / "noguard.db"
    make_store(path, guards=False).close()
    said: list[str] = []
    assert run_kiosk(KioskConfig(), db_path=path, say=said.append) == 2
    assert "no guard is registered" in said[0]
    assert run_kiosk(KioskConfig(), db_path=tmp_path / "missing.db", say=said.append) == 2
    assert "no kiosk database" in said[1]


def test_every_reason_code_reaches_the_screen_through_a_real_decision(kiosk: Kiosk) -> None:
    """The fixture office gives each of these reasons at NOW; the screen shows the DENY/REFER for it."""
    expected = {
        "MPCANCEL0001": Reason.CANCELLED,
        "MPUNPAID0001": Reason.UNPAID,
        "MPRESCHED001": Reason.RESCHEDULED,
        "MPOTHEROFF01": Reason.WRONG_OFFICE,
        "MPTOOEARLY01": Reason.TOO_EARLY,
        "MPTOOLATE001": Reason.TOO_LATE,
        "MPTOMORROW01": Reason.WRONG_DAY,
        UNKNOWN_CODE: Reason.UNKNOWN_CODE,
        "https://example.org/": Reason.NOT_A_BOOKING,
    }
    recorded: list[Reason] = []
    kiosk.controller.scanRecorded.connect(lambda rec, _source: recorded.append(rec.decision.reason))
    for code in expected:
        assert show(kiosk, code).state is ScreenState.DENY
    assert recorded == list(expected.values())


@pytest.mark.parametrize("reason", [r for r, v in VERDICT_OF.items() if v is not Verdict.ADMIT], ids=str)
def test_every_refusal_reason_is_drawn_in_both_languages(kiosk: Kiosk, reason: Reason) -> None:
    """The window shows the domain's own words for every DENY and REFER reason, both languages."""
    from tests.domain.test_screen import DECISIONS

    screen = decision_screen(DECISIONS[reason], "e1")
    kiosk.applicant.show_screen(screen)
    applicant = kiosk.applicant
    first, second = screen.words[Lang.ID], screen.words[Lang.EN]
    assert (applicant.title1.text(), applicant.sentence1.text()) == (first.title, first.sentence)
    assert (applicant.title2.text(), applicant.sentence2.text()) == (second.title, second.sentence)
    assert all(label.text() for label in (applicant.title1, applicant.sentence1, applicant.title2, applicant.sentence2))
    assert not applicant.icon.pixmap().isNull()


def test_a_failed_database_check_is_out_of_order_and_nothing_is_admitted_after(
    make_kiosk: MakeKiosk, store: KioskStore, test_time: FakeTime, qtbot: QtBot
) -> None:
    """Issue 13: the kiosk checks its files now and then (PRAGMA quick_check, on the reader thread, never
    the GUI thread); a damaged file puts it OUT OF ORDER, the guard reads why on the status panel, and
    the store refuses every decision from then on, whatever the screen shows."""
    from tests.store.conftest import break_btree_page

    kiosk = make_kiosk(store, synchronous=False)
    relay = kiosk.relay
    assert isinstance(relay, FakeRelay)
    threads: list[str] = []
    check = store.check_files

    def watched() -> str | None:
        threads.append(threading.current_thread().name)
        return check()

    store.check_files = watched  # type: ignore[method-assign]
    kiosk.controller.check_database()
    qtbot.waitUntil(lambda: threads != [] and not kiosk.controller._db_checking, timeout=5000)
    assert kiosk.applicant.current.state is ScreenState.IDLE  # a sound file: nothing happens
    kiosk.writer.submit(lambda s: s.engine.dispose())  # nothing holds the file while it is damaged
    qtbot.waitUntil(lambda: kiosk.writer.pending == 0, timeout=5000)
    break_btree_page(store.path, "guards")
    kiosk.controller.check_database()
    qtbot.waitUntil(lambda: kiosk.applicant.current.state is ScreenState.OUT_OF_ORDER, timeout=5000)
    assert threads == ["kiosk-db-reader", "kiosk-db-reader"]
    assert "Data tidak dapat disimpan" in texts(kiosk)
    panel = kiosk.console.status_page.values["kiosk_faults"].text()
    assert "basis data rusak" in panel and "cadangan" in panel  # in the guard's words; the detail is logged
    test_time.advance(5)
    show(kiosk, ADMIT_CODE)
    qtbot.waitUntil(lambda: kiosk.controller._pending == 0, timeout=5000)
    assert kiosk.applicant.current.state is ScreenState.OUT_OF_ORDER
    assert not relay.pulses


# --- layouts that fit, countdown, guidance, rest (issue 15) -------------------------------------------

APPLICANT_SIZES = [(1920, 1080), (1080, 1920), (1366, 768), (1280, 1024)]
#: One of the longest office names there are: the place line and a wrong-office answer must fit it too.
LONG_OFFICE_NAME = "Kantor Imigrasi Kelas I Khusus Non TPI Jakarta Selatan"


def _every_screen() -> list[Screen]:
    from kiosk.domain.model import Decision
    from kiosk.domain.screen import checking_screen, idle_screen, out_of_order_screen
    from tests.domain.test_screen import DECISIONS

    admit = Decision(Verdict.ADMIT, Reason.OK, 3, None, {"slot_start": "10.30", "zone": "WITA"})
    screens = [idle_screen(), checking_screen(), decision_screen(admit, "a")]
    screens += [decision_screen(decision, "e", awaiting_guard=True) for decision in DECISIONS.values()]
    named = {DECISIONS[Reason.WRONG_OFFICE].facts["office"]: LONG_OFFICE_NAME}  # and with the office's name
    screens.append(decision_screen(DECISIONS[Reason.WRONG_OFFICE], "e", awaiting_guard=True, offices=named))
    screens.append(out_of_order_screen(set(Fault)))
    return [dataclasses.replace(screen, until=1005.0) for screen in screens]


@pytest.mark.parametrize("size", APPLICANT_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("first", list(Lang), ids=str)
def test_no_text_is_cut_off_at_any_screen_size(qapp: object, qtbot: QtBot, size: tuple[int, int], first: Lang) -> None:
    """Every state, every reason's sentence (both languages, English or Indonesian first), at each of
    the four screen sizes: each label's text fits its rectangle (kiosk.ui.screenshots.clipped_labels)."""
    from kiosk.app import qt_app
    from kiosk.ui.applicant import ApplicantWindow
    from kiosk.ui.screenshots import clipped_labels

    qt_app()
    clock = FakeTime()
    applicant = ApplicantWindow(first, monotonic=clock.monotonic)
    qtbot.addWidget(applicant)
    applicant.set_place("JKS", "G12", LONG_OFFICE_NAME)
    applicant.resize(*size)
    applicant.show()
    qtbot.waitExposed(applicant)
    problems = []
    for screen in _every_screen():
        applicant.show_screen(screen)
        QApplication.processEvents()
        problems += [f"{screen.state}: {p}" for p in clipped_labels(applicant)]
        if screen.state is ScreenState.IDLE:
            preview, column = applicant.preview.geometry(), applicant.column.geometry()
            if size[1] > size[0]:  # portrait: the preview stands above the answer, as wide as it can
                assert preview.bottom() < column.top() and preview.width() > size[0] * 0.8
            else:
                assert preview.left() > column.right()
    assert problems == []


def test_text_shrinks_rather_than_being_cut_off(qapp: object, qtbot: QtBot) -> None:
    from kiosk.app import qt_app
    from kiosk.ui.applicant import ApplicantWindow
    from kiosk.ui.screenshots import clipped_labels
    from tests.domain.test_screen import DECISIONS

    qt_app()
    applicant = ApplicantWindow()
    qtbot.addWidget(applicant)
    applicant.resize(1080, 1920)
    applicant.show()
    applicant.show_screen(decision_screen(DECISIONS[Reason.TOO_LATE], "e"))
    QApplication.processEvents()
    roomy = applicant.title1.font().pixelSize()
    column = applicant.column
    column.resize(560, 420)  # far less room than the answer needs at its size
    column.arrange()
    assert column.factor < 1
    assert applicant.title1.font().pixelSize() < roomy
    assert clipped_labels(column) == []
    shown = [w for w in column.findChildren(QLabel) if w.isVisibleTo(column)]
    assert max(w.geometry().bottom() for w in shown) < 420


def test_a_result_counts_down_to_the_next_person(kiosk: Kiosk, test_time: FakeTime) -> None:
    applicant = kiosk.applicant
    show(kiosk, "MPCANCEL0001")  # a DENY: 10 s
    assert applicant.countdown.isVisibleTo(applicant)
    assert applicant.countdown.text().split("\n") == [
        "Orang berikutnya dapat maju dalam 10 detik",
        "Next person may step up in 10 s",
    ]
    test_time.advance(6.5)
    applicant.update_countdown()
    assert "dalam 4 detik" in applicant.countdown.text() and "in 4 s" in applicant.countdown.text()
    test_time.advance(4)
    kiosk.controller.tick()
    assert applicant.current.state is ScreenState.IDLE
    assert not applicant.countdown.isVisibleTo(applicant)


def test_a_deny_that_waits_for_the_guard_has_no_countdown(make_kiosk: MakeKiosk, tmp_path: Path) -> None:
    with make_store(tmp_path / "ack.db", deny_needs_ack=True) as store:
        kiosk = make_kiosk(store)
        show(kiosk, UNKNOWN_CODE)
        assert kiosk.applicant.countdown.text() == ""


def test_idle_says_where_to_hold_the_code_how_far_and_to_turn_the_brightness_up(kiosk: Kiosk) -> None:
    kiosk.applicant.show()
    shown = texts(kiosk)
    assert "20–30 cm" in kiosk.applicant.sentence1.text() and "20–30 cm" in kiosk.applicant.sentence2.text()
    assert "kecerahan layar ponsel" in shown and "brightness up" in shown
    assert "kotak" in shown and "inside the box" in shown
    assert kiosk.applicant.preview.guide


def test_the_applicant_sees_the_office_and_the_gate_in_both_languages(kiosk: Kiosk) -> None:
    place = kiosk.applicant.place.text()
    assert "Kantor Imigrasi" in place and "Immigration Office" in place
    assert "Gerbang" in place and "Gate" in place


def test_the_applicant_sees_the_office_name_and_where_a_booking_of_another_office_belongs(
    make_kiosk: MakeKiosk, store: KioskStore, test_time: FakeTime
) -> None:
    """With the office directory the kiosk holds (from its server, or `kiosk setup --office-name`): the
    place line names the office, and a booking for another office is sent there by its name."""
    from tests.ui.fixtures import OFFICE

    store.settings.set_office_names(
        {
            OFFICE: "Kantor Imigrasi Kelas I Khusus Non TPI Jakarta Selatan",
            "KANIM-BDG": "Kantor Imigrasi Kelas I TPI Bandung",
        },
        test_time.now,
    )
    kiosk = make_kiosk(store)
    place = kiosk.applicant.place.text()
    said = " ".join(place.replace("\n", " · ").split())  # (one line, or two when it does not fit in one)
    assert said == "Kantor Imigrasi Kelas I Khusus Non TPI Jakarta Selatan · Gerbang G1 / Gate G1"
    assert OFFICE not in place
    assert show(kiosk, "MPOTHEROFF01").state is ScreenState.DENY  # booked at KANIM-BDG
    shown = texts(kiosk)
    assert "Jadwal Anda di Kantor Imigrasi Kelas I TPI Bandung, bukan di kantor ini." in shown
    assert "Your booking is at Kantor Imigrasi Kelas I TPI Bandung, not at this office." in shown
    assert "KANIM-BDG" not in shown


def test_nobody_there_dims_and_drifts_and_a_code_or_key_wakes_it(
    kiosk: Kiosk, test_time: FakeTime, qtbot: QtBot
) -> None:
    from kiosk.ui.applicant import DRIFT_EVERY_S, REST_AFTER_S

    applicant = kiosk.applicant
    applicant.show()
    qtbot.waitExposed(applicant)
    test_time.advance(REST_AFTER_S - 1)
    applicant.check_rest()
    assert not applicant.resting
    test_time.advance(2)
    applicant.check_rest()
    assert applicant.resting and applicant.curtain.isVisible()
    before = applicant.root.contentsMargins()
    test_time.advance(DRIFT_EVERY_S)
    applicant.check_rest()
    assert applicant.root.contentsMargins() != before  # the content moved
    applicant.preview.set_codes([((10.0, 10.0), (50.0, 10.0), (50.0, 50.0), (10.0, 50.0))])  # a code in view
    assert not applicant.resting and not applicant.curtain.isVisible()
    test_time.advance(REST_AFTER_S)
    applicant.check_rest()
    assert applicant.resting
    qtbot.keyClick(applicant, Qt.Key.Key_Space)
    assert not applicant.resting
    test_time.advance(REST_AFTER_S)
    applicant.check_rest()
    show(kiosk, ADMIT_CODE)  # a code through the door (a hand scanner) wakes it too
    assert not applicant.resting


def test_a_result_on_screen_never_rests(kiosk: Kiosk, test_time: FakeTime) -> None:
    from kiosk.ui.applicant import REST_AFTER_S

    applicant = kiosk.applicant
    applicant.show()
    show(kiosk, "MPCANCEL0001")
    test_time.advance(REST_AFTER_S * 2)
    applicant.check_rest()
    assert not applicant.resting
