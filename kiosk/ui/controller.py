"""The kiosk's glue in the GUI thread: codes in, recorded decisions out, screens, tones and the gate.

    code seen (camera, hand scanner) -> debounce -> ScreenMachine: CHECKING -> DbWriter.record
      -> done (on disk)     -> ScreenMachine: ADMIT/REFER/DENY -> applicant window + tone -> gate pulse
      -> failed                      -> OUT OF ORDER, gate stays shut

Only the writer's `done` callback (the scan is on disk) ever leads to an ADMIT screen or a gate pulse
(commit before show); a failed write, a slow database (CHECKING too long), a camera or relay fault all
end in OUT OF ORDER. The screen rules themselves live in kiosk.domain.screen; this class drives them
with a timer and the real clock.
Every code goes through the door (kiosk/door) on the writer thread: the camera's, the hand scanner's,
and one the guard types in (source "manual"; the record names the guard).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from kiosk.domain.clock import WallClock, utc_now
from kiosk.domain.explain import Lang
from kiosk.domain.model import Verdict
from kiosk.domain.screen import Fault, Screen, ScreenMachine, ScreenState, Timeouts
from kiosk.door import Door, DoorSettings, Intake, OnlineStats, Sighting, Source
from kiosk.store import guard_actions
from kiosk.store.db import KioskStore
from kiosk.store.guard_actions import ActionKind, ActionResult
from kiosk.store.recorder import Recorded
from kiosk.ui.applicant import ApplicantWindow
from kiosk.ui.console import GuardConsole
from kiosk.ui.console_alerts import AlertSound
from kiosk.ui.jobs import Jobs
from kiosk.ui.report_pdf import Exported, export_report
from kiosk.ui.resources import install_language
from kiosk.ui.sound import QtTonePlayer, TonePlayer
from kiosk.ui.status import CameraStatus, DataState
from kiosk.workers.db_writer import DbWriter, failure_text
from kiosk.workers.gate import GateRelay, Tower

log = logging.getLogger(__name__)

#: A CHECKING tone only when the answer takes longer than this (a fast answer needs just its own tone).
CHECKING_TONE_DELAY_MS = 150
#: Scans waiting for the writer beyond this are not decided (the screen already shows the problem).
MAX_PENDING_SCANS = 8
DATA_AGE_REFRESH_MS = 30_000
#: How often the database files are checked (PRAGMA quick_check, on the reader thread): a damaged file
#: puts the kiosk OUT OF ORDER and nothing is admitted until it is restored (KioskStore.check_files()).
DB_CHECK_INTERVAL_MS = 10 * 60 * 1000
#: The tower light's colour for each screen, where the relay board has lamps: green while an ADMIT
#: shows, amber while the applicant waits for the officer (REFER), red for a DENY and OUT OF ORDER.
#: Idle and checking: every lamp off.
TOWER_OF_SCREEN: dict[ScreenState, Tower] = {
    ScreenState.ADMIT: Tower.GREEN,
    ScreenState.REFER: Tower.AMBER,
    ScreenState.DENY: Tower.RED,
    ScreenState.OUT_OF_ORDER: Tower.RED,
}


class KioskController(QObject):
    screenChanged = Signal(object)  # Screen
    scanRecorded = Signal(object, str)  # Recorded, source
    faultsChanged = Signal(object)  # frozenset[str]

    def __init__(
        self,
        writer: DbWriter,
        jobs: Jobs,
        applicant: ApplicantWindow,
        player: TonePlayer,
        relay: GateRelay,
        *,
        console: GuardConsole | None = None,
        clock: WallClock = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        timeouts: Timeouts | None = None,
        debounce_s: float = 3.0,
        door: Door | None = None,
        online_check: bool = False,
        default_lang: Lang = Lang.ID,
        reports_dir: Path | None = None,
        sync_now: Callable[[], None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.writer = writer
        self.jobs = jobs
        self.applicant = applicant
        self.player = player
        self.relay = relay
        self.console = console
        self.clock = clock
        self.monotonic = monotonic
        self.machine = ScreenMachine(timeouts or Timeouts())
        self.intake = Intake(debounce_s)  # the kiosk's one debouncer
        self.door = door if door is not None else Door(writer.store, DoorSettings(online_check=False))
        self.online_stats = OnlineStats(online_check)
        self.default_lang = default_lang
        self.reports_dir = reports_dir
        self.sync_now = sync_now
        self._pending = 0  # scans handed to the writer and not answered yet
        self._dropped_warned = False

        self._tick = QTimer(self, singleShot=True)
        self._tick.timeout.connect(self.tick)
        self._checking_tone = QTimer(self, singleShot=True)
        self._checking_tone.setInterval(CHECKING_TONE_DELAY_MS)
        self._checking_tone.timeout.connect(self._play_checking)
        self._data_age = QTimer(self)
        self._data_age.setInterval(DATA_AGE_REFRESH_MS)
        self._data_age.timeout.connect(self.refresh_data_age)
        self._db_check = QTimer(self)
        self._db_check.setInterval(DB_CHECK_INTERVAL_MS)
        self._db_check.timeout.connect(self.check_database)
        self._db_checking = False

        relay.fault.connect(lambda _message: self.fault(Fault.GATE))
        relay.faultCleared.connect(lambda: self.fault_cleared(Fault.GATE))
        if console is not None:
            console.monotonic = monotonic  # the alert bar's flash runs on the kiosk's clock
            if isinstance(player, QtTonePlayer) and player.available:
                console.alert_sound = AlertSound(parent=console)
            console.acted.connect(self.guard_acted)
            console.manualEntry.connect(self.manual_entry)
            console.languageChanged.connect(self.set_console_language)
            console.syncRequested.connect(self.request_sync)
            console.exportRequested.connect(self.export_report)
            console.status_page.set_sync_available(sync_now is not None)
            relay.opened.connect(lambda _persons: self._gate_status())
            relay.closed.connect(self._gate_status)
            relay.fault.connect(lambda _message: self._gate_status())
            relay.faultCleared.connect(self._gate_status)
            self._gate_status()
        self._apply(self.machine.screen, previous=None)

    # --- life cycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._data_age.start()
        self._db_check.start()
        self.refresh_data_age()

    def stop(self) -> None:
        for timer in (self._tick, self._checking_tone, self._data_age, self._db_check):
            timer.stop()
        self.relay.close()

    # --- codes in -----------------------------------------------------------------------------------

    def code_seen(self, raws: Sequence[bytes | str], source: Source = Source.CAMERA) -> bool:
        """Codes read together (camera frame, hand scanner). True when they go on to be decided."""
        sighting = self.intake.accept(raws, source, self.clock(), self.monotonic())
        if sighting is None:
            return False
        if self._pending >= MAX_PENDING_SCANS:
            if not self._dropped_warned:
                self._dropped_warned = True
                log.error("the database writer is %d scans behind; new codes are not decided", self._pending)
            return False
        previous = self.machine.screen
        if not self.machine.code_seen(self.monotonic(), camera=source is Source.CAMERA):
            return False
        self._apply(self.machine.screen, previous)
        self._record(sighting)
        return True

    def manual_entry(self, text: str, guard_id: int) -> None:
        """A code typed by a guard: the same door, whatever the screen shows; the record names the guard."""
        previous = self.machine.screen
        self.machine.code_seen(self.monotonic(), by_guard=True)
        self._apply(self.machine.screen, previous)
        self._record(Sighting(text, self.clock(), Source.MANUAL, guard_id=guard_id))

    def _record(self, sighting: Sighting) -> None:
        self._pending += 1
        guard_id = sighting.guard_id
        self.writer.record(
            self.door,
            sighting,
            lambda recorded: self._recorded(recorded, sighting.source, guard_id),
            lambda error: self._record_failed(failure_text(error), guard_id),
        )

    # --- answers from the writer --------------------------------------------------------------------

    def _recorded(self, recorded: Recorded, source: str, guard_id: int | None) -> None:
        self._pending -= 1
        self._dropped_warned = False
        previous = self.machine.screen
        screen = self.machine.recorded(recorded.decision, recorded.event_uuid, self.monotonic())
        self._apply(screen, previous)
        if recorded.decision.verdict is Verdict.ADMIT:
            self.relay.pulse(max(recorded.decision.persons, 1))
        self.online_stats.add(recorded)
        if self.console is not None:
            self.console.status_page.set_online(self.online_stats.summary())
            if guard_id is not None:
                self.console.show_manual_result(recorded)
        self.scanRecorded.emit(recorded, source)
        self._faults_changed()
        if self.console is not None and recorded.decision.verdict is not Verdict.ADMIT:
            if source == Source.MANUAL.value:
                self.console.refresh_queue()  # the guard typed it and sees the answer: no alert
            else:
                self.console.scan_alert(recorded.decision.verdict.value)  # flash, sound, fresh count

    def _record_failed(self, message: str, guard_id: int | None) -> None:
        self._pending -= 1
        log.error("a scan could not be recorded; the kiosk is OUT OF ORDER: %s", message)
        previous = self.machine.screen
        self._apply(self.machine.failed(self.monotonic()), previous)
        if guard_id is not None and self.console is not None:
            self.console.show_manual_result(None, message)
        self._faults_changed()

    # --- faults -------------------------------------------------------------------------------------

    def fault(self, fault: Fault) -> None:
        previous = self.machine.screen
        self._apply(self.machine.fault(fault, self.monotonic()), previous)
        self._faults_changed()

    def fault_cleared(self, fault: Fault) -> None:
        previous = self.machine.screen
        self._apply(self.machine.fault_cleared(fault, self.monotonic()), previous)
        self._faults_changed()

    def check_database(self) -> None:
        """Check the database files on the reader thread (the timer calls this every DB_CHECK_INTERVAL_MS).
        A failed check: OUT OF ORDER, the guard told on the status panel; the store itself refuses
        every decision from then on (fail closed, whatever the screen shows)."""
        if self._db_checking:
            return
        self._db_checking = True
        self.jobs.read(
            lambda store: store.check_files() or "",
            self._database_checked,
            lambda error: self._database_checked(failure_text(error)),
        )

    def _database_checked(self, problem: str) -> None:
        self._db_checking = False
        if not problem:
            return
        log.error("the database check failed; the kiosk is OUT OF ORDER: %s", problem)
        if self.console is not None:
            self.console.status_page.set_database_problem(problem)
        self.fault(Fault.DATABASE)

    def camera_fault(self, message: str, kind: str = "") -> None:
        """The camera stopped reading: `kind` is the FaultKind value (the guard's sentence on the console's
        banner), `message` the technical detail (the Status tab)."""
        if self.console is not None:
            self.console.set_camera_fault(kind)
        self.fault(Fault.CAMERA)
        if self.console is not None:
            status = self.console.status_page.camera
            self.camera_status(CameraStatus(False, message, 0.0, status.decoder, status.source, kind=kind))

    def camera_ok(self) -> None:
        if self.console is not None:
            self.console.set_camera_fault("")
        self.fault_cleared(Fault.CAMERA)

    def camera_status(self, status: CameraStatus) -> None:
        if self.console is not None:
            shown = self.console.status_page.camera
            if not status.ok and not shown.ok and not status.kind and not status.message:
                # A periodic figure while the fault lasts: keep what the fault said (kind and detail).
                status = dataclasses.replace(status, kind=shown.kind, message=shown.message)
            self.console.status_page.set_camera(status)

    def _faults_changed(self) -> None:
        faults = frozenset(f.value for f in self.machine.faults)
        self.faultsChanged.emit(faults)
        if self.console is not None:
            self.console.set_faults(faults)

    def _gate_status(self) -> None:
        if self.console is not None:
            message = getattr(self.relay, "fault_message", None) or ""
            self.console.status_page.set_gate(self.relay.state.value, self.relay.description, message)

    # --- the guard ----------------------------------------------------------------------------------

    def guard_acted(self, result: ActionResult) -> None:
        """A guard's action is on disk: an override opens the gate; any resolution clears a waiting DENY."""
        previous = self.machine.screen
        if result.kind is ActionKind.OVERRIDE:
            self._apply(self.machine.guard_admitted(result.persons, self.monotonic()), previous)
            self.relay.pulse(max(result.persons, 1))
        elif result.kind in guard_actions.RESOLVING:
            self._apply(self.machine.acknowledge(result.ref_event, self.monotonic()), previous)

    def set_console_language(self, lang: Lang) -> None:
        app = QApplication.instance()
        if app is not None:
            install_language(app, lang)

    def request_sync(self) -> None:
        if self.sync_now is not None:
            self.sync_now()

    def export_report(self) -> None:
        console = self.console
        if console is None or self.reports_dir is None:
            return
        now, folder = self.clock(), self.reports_dir
        console.stats_page.set_busy(True)

        def done(exported: Exported) -> None:
            console.stats_page.set_busy(False)
            console.stats_page.set_export_done(exported.csv, exported.pdf)

        def failed(error: BaseException) -> None:
            console.stats_page.set_busy(False)
            console.stats_page.set_export_failed(error)

        self.jobs.read(lambda store: export_report(store, now, folder), done, failed)

    # --- screen -------------------------------------------------------------------------------------

    def refresh_data_age(self) -> None:
        now = self.clock()

        def read(store: KioskStore) -> DataState:
            circumstances = store.decisions.circumstances(now)
            limit = store.settings.rules().max_data_age_minutes
            return DataState(circumstances.data_age, limit, circumstances.bookings_trusted)

        def done(state: DataState) -> None:
            self.applicant.set_data_age(state.age)
            if self.console is not None:
                self.console.set_data_state(state)  # stale data on the console's banner

        self.jobs.read(read, done, lambda error: log.warning("could not read the data age: %s", error))

    def tick(self) -> None:
        """Let timed screens expire (the timer calls this; tests and screenshots may too)."""
        previous = self.machine.screen
        screen = self.machine.tick(self.monotonic())
        self._apply(screen, previous)
        self._faults_changed()

    def _apply(self, screen: Screen, previous: Screen | None) -> None:
        """Show `screen`; on a change play its tone, and back at IDLE return to the default language."""
        self._schedule_tick()
        if screen is previous:
            return
        self.applicant.show_screen(screen)
        self.relay.show_tower(TOWER_OF_SCREEN.get(screen.state))  # never blocks, never opens the door
        self.screenChanged.emit(screen)
        changed = previous is None or previous.state is not screen.state or previous.event_uuid != screen.event_uuid
        if not changed or previous is None:
            return
        self._checking_tone.stop()
        if screen.state is ScreenState.CHECKING:
            self._checking_tone.start()
        else:
            self.player.play(screen.state)
        if screen.state is ScreenState.IDLE:
            self.applicant.set_first_language(self.default_lang)

    def _schedule_tick(self) -> None:
        until = self.machine.until
        if until is None:
            self._tick.stop()
            return
        self._tick.start(max(int((until - self.monotonic()) * 1000), 0))

    def _play_checking(self) -> None:
        if self.machine.state is ScreenState.CHECKING:
            self.player.play(ScreenState.CHECKING)
