"""The composition root: builds the store, the camera, the workers and the windows, and wires them.

No decisions here: `assemble` connects the parts, `run` shows and runs them. Everything the kiosk
decides lives in domain/, store/, and the screen rules in domain/screen.py; the glue in the GUI thread
is ui/controller.py.

- `run_kiosk(config)`: `kiosk run`, the real thing, from the configuration file and flags; kiosk mode
  (full screen, no frame, no cursor, closing needs a guard's PIN) refuses to start when no guard exists.
- The demo (`kiosk demo`, kiosk/demo/gui.py) and the screenshots (`kiosk screenshots`,
  kiosk/demo/screenshots.py) assemble the same kiosk around a demo database.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QWidget

from kiosk.config import KioskConfig, resolve_db_path
from kiosk.domain.clock import WallClock, utc_now
from kiosk.domain.explain import Lang
from kiosk.domain.screen import Timeouts
from kiosk.door import Door, DoorSettings, Source
from kiosk.runtime.notify import SystemdNotifier, WatchdogFeeder
from kiosk.store.db import KioskStore, StoreError
from kiosk.ui.applicant import ApplicantWindow
from kiosk.ui.console import IDLE_LOGOUT_S, GuardConsole
from kiosk.ui.controller import KioskController
from kiosk.ui.jobs import StoreJobs
from kiosk.ui.resources import install_language, style_sheet
from kiosk.ui.single_screen import SingleScreen
from kiosk.ui.sound import QtTonePlayer, TonePlayer
from kiosk.ui.status import CameraStatus
from kiosk.vision.capture_cv2 import OpenCVCamera
from kiosk.vision.decoders import Decoder, DecoderChoice, DecoderUnavailableError, make_decoder
from kiosk.vision.frames import Frame, FrameSource
from kiosk.vision.isolated import IsolatedPipeline, prestart
from kiosk.vision.scanner import CodeSeen, ScanSettings, ScanStats
from kiosk.vision.simcam import SimulatedCamera
from kiosk.workers.db_writer import DbWriter
from kiosk.workers.gate import FakeRelay, GateRelay
from kiosk.workers.health import kiosk_health
from kiosk.workers.relay_board import configured_relay
from kiosk.workers.retention import RetentionKeeper
from kiosk.workers.scan import ScanWorker, ScreenFrame, frame_to_qimage
from kiosk.workers.signals import exit_on_signals, run_event_loop
from kiosk.workers.startup import after_first_frame
from kiosk.workers.sync_worker import DEFAULT_INTERVAL_S as DEFAULT_SYNC_INTERVAL_S
from kiosk.workers.sync_worker import SyncThread, SyncWorker
from kiosk.workers.wedge import KeyboardWedge

log = logging.getLogger(__name__)


PREVIEW_FPS = 30.0  # every frame of a 30 fps camera is offered; the preview paints the newest
GIL_SWITCH_S = 0.001
EXIT_OK, EXIT_REFUSED = 0, 2
#: How often `run` asks its `until` whether to end.
UNTIL_POLL_MS = 100


# --- the parts ---------------------------------------------------------------------------------------


@dataclass
class Kiosk:
    """Everything `assemble` built, so that callers (and tests) can start, drive and stop it."""

    app: QApplication
    store: KioskStore
    writer: DbWriter
    reader: DbWriter
    applicant: ApplicantWindow
    console: GuardConsole
    controller: KioskController
    relay: GateRelay
    player: TonePlayer
    door: Door | None = None
    scanner: ScanWorker | None = None
    wedge: KeyboardWedge | None = None
    sync: SyncThread | None = None
    #: Deletes bookings past the retention period by itself (kiosk/workers/retention.py); `kiosk run`.
    retention: RetentionKeeper | None = None
    #: With one display for both windows: the split display and the privacy curtain (show_windows).
    single_screen: SingleScreen | None = None
    _stopped: bool = field(default=False, repr=False)

    def start(self) -> None:
        self.writer.start()
        self.reader.start()
        self.controller.start()
        if self.wedge is not None:
            self.wedge.install(self.app)
        if self.scanner is not None:
            self.scanner.start()
        if self.sync is not None:
            self.sync.start()
        if self.retention is not None:
            self.retention.start()

    def stop(self) -> None:
        """Stop in dependency order: the door locked, no more codes, no more screens, then the database
        threads."""
        if self._stopped:
            return
        self._stopped = True
        self.relay.close()  # the door locked first: a stuck camera thread can take seconds to stop
        if self.scanner is not None:
            self.scanner.stop()
        if self.sync is not None:
            self.sync.stop()
        if self.wedge is not None:
            self.wedge.uninstall()
        self.controller.stop()
        self.console.shutdown()
        if self.retention is not None:
            self.retention.stop()
        self.writer.stop()
        self.reader.stop()
        if self.door is not None:
            self.door.close()  # after the writer: the door runs on its thread
        if self.single_screen is not None:
            self.single_screen.detach()
        self.applicant.allow_close()
        self.console.set_kiosk_mode(False)
        self.applicant.close()
        self.console.close()
        for widget in (self.applicant, self.console):
            widget.deleteLater()


def qt_app(lang: Lang = Lang.ID, argv: Sequence[str] | None = None) -> QApplication:
    """The running QApplication (or a new one) with the kiosk's style sheet and guard language."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setApplicationName("kiosk")
    # The GUI thread competes for the GIL with the capture, decode, writer and sync threads; a shorter
    # switch interval (default 5 ms) bounds how long it waits for it.
    sys.setswitchinterval(GIL_SWITCH_S)
    sheet = style_sheet()
    if app.styleSheet() != sheet:  # setting it again re-polishes every widget of the application
        app.setStyleSheet(sheet)
    install_language(app, lang)
    return app


def assemble(
    store: KioskStore,
    *,
    source: FrameSource | None = None,
    decoder: Decoder | None = None,
    decoder_choice: DecoderChoice = "zxing",
    decoder_process: bool = False,
    clock: WallClock = utc_now,
    monotonic: Callable[[], float] = time.monotonic,
    lang: Lang = Lang.ID,
    synchronous: bool = False,
    player: TonePlayer | None = None,
    relay: GateRelay | None = None,
    reports_dir: Path | None = None,
    sync: SyncThread | None = None,
    idle_logout_s: int = IDLE_LOGOUT_S,
    wedge: bool = True,
    timeouts: Timeouts | None = None,
    door: DoorSettings | None = None,
    retention_days: int | None = None,
) -> Kiosk:
    """Build and wire every part around an open store. Nothing runs until `Kiosk.start()`.

    `sync` (a SyncThread, with its own database connection) is started and stopped with the kiosk;
    the guard's "sync now" goes to it, and each sync refreshes the data age and the status panel.
    Without it "sync now" is disabled. `decoder` (an object, in this process) wins over
    `decoder_choice` (a backend name); `decoder_process` decodes in a child process (IsolatedPipeline),
    as the real kiosk and the demo do, so that a decode never stalls the screens. `door` sets the
    online check across gates (on by default; it only asks when the kiosk is enrolled). `retention_days`:
    the kiosk purges bookings older than that by itself (`kiosk run`; None: never)."""
    app = qt_app(lang)
    rules, identity = store.settings.rules(), store.settings.identity()
    writer = DbWriter(store, synchronous=synchronous, name="kiosk-db-writer")
    reader = DbWriter(store, synchronous=synchronous, name="kiosk-db-reader")
    jobs = StoreJobs(writer, reader)
    applicant = ApplicantWindow(lang, monotonic=monotonic)
    offices = store.settings.office_names()  # the office directory: its name, other offices' names
    applicant.set_place(identity.office_code, identity.gate, offices.get(identity.office_code, ""))
    console = GuardConsole(jobs, clock, lang=lang, idle_logout_s=idle_logout_s)
    console.set_zone(rules.tz)
    console.set_identity(identity)
    door_settings = door or DoorSettings()
    the_door = Door(store, door_settings)
    relay = relay if relay is not None else FakeRelay()
    player = player if player is not None else QtTonePlayer()
    controller = KioskController(
        writer,
        jobs,
        applicant,
        player,
        relay,
        console=console,
        clock=clock,
        monotonic=monotonic,
        timeouts=dataclasses.replace(timeouts or Timeouts(), deny_needs_ack=rules.deny_needs_ack),
        debounce_s=rules.debounce_seconds,
        door=the_door,
        online_check=door_settings.online_check,
        default_lang=lang,
        reports_dir=reports_dir or store.path.parent / "reports",
        sync_now=sync.sync_now if sync is not None else None,
    )
    controller.machine.offices = offices  # a wrong-office DENY names the booking's office
    kiosk = Kiosk(app, store, writer, reader, applicant, console, controller, relay, player, the_door, sync=sync)
    if sync is not None:
        sync.worker.syncFinished.connect(lambda _outcome: _after_sync(kiosk))
    if retention_days is not None:
        kiosk.retention = RetentionKeeper(writer, retention_days, clock)
    applicant.guardRequested.connect(lambda: _show_console(kiosk))
    applicant.closeRequested.connect(lambda: _show_console(kiosk))
    if source is not None:
        kiosk.scanner = _scanner(kiosk, source, decoder, decoder_choice, decoder_process)
    if wedge:
        kiosk.wedge = KeyboardWedge()
        kiosk.wedge.codeTyped.connect(lambda text: controller.code_seen([text], Source.WEDGE))
    return kiosk


def _after_sync(kiosk: Kiosk) -> None:
    kiosk.controller.refresh_data_age()
    kiosk.console.refresh_status()
    kiosk.controller.jobs.read(_office_names, lambda found: _show_office_names(kiosk, *found))


def _office_names(store: KioskStore) -> tuple[dict[str, str], str, str]:
    """The office directory as a sync left it, with this kiosk's office and gate (on the reader thread)."""
    identity = store.settings.identity()
    return store.settings.office_names(), identity.office_code, identity.gate


def _show_office_names(kiosk: Kiosk, offices: dict[str, str], office_code: str, gate: str) -> None:
    kiosk.controller.machine.offices = offices
    kiosk.applicant.set_place(office_code, gate, offices.get(office_code, ""))


def _scanner(
    kiosk: Kiosk,
    source: FrameSource,
    decoder: Decoder | None,
    choice: DecoderChoice,
    in_process: bool,
) -> ScanWorker | None:
    controller, applicant = kiosk.controller, kiosk.applicant
    settings = ScanSettings()
    try:
        if decoder is None and in_process:
            pipeline = IsolatedPipeline(choice)
            worker = ScanWorker(source, settings=settings, preview_fps=PREVIEW_FPS, pipeline=pipeline)
            decoder_name, own_process = pipeline.decoder_name, pipeline.isolated
        else:
            chosen = decoder or make_decoder(choice)
            worker = ScanWorker(source, chosen, settings, preview_fps=PREVIEW_FPS)
            decoder_name, own_process = getattr(chosen, "name", type(chosen).__name__), False
    except DecoderUnavailableError as exc:
        log.error("%s: the kiosk cannot read codes", exc)
        controller.camera_fault(str(exc))
        return None
    faulted = {"now": False}

    def on_code(event: CodeSeen) -> None:
        controller.code_seen([code.raw for code in event.codes], Source.CAMERA)

    def on_preview(frame: Frame) -> None:
        if not worker.preview_fitted:
            applicant.set_frame(lambda: frame_view(frame))

    def on_screen_frame(screen: ScreenFrame) -> None:
        applicant.set_screen_image(screen.qimage(), screen, screen.source_size)

    def fit_previews(width: int, height: int) -> None:
        worker.set_preview_size(width, height, applicant.preview.mirrored)

    def on_fault(kind: str, message: str) -> None:
        faulted["now"] = True
        controller.camera_fault(message, kind)  # the kind: the guard's sentence; the message: the detail

    def on_cleared() -> None:
        faulted["now"] = False
        controller.camera_ok()

    def on_stats(stats: ScanStats) -> None:
        fps = max(stats.fps, applicant.preview.fps)
        controller.camera_status(CameraStatus(not faulted["now"], "", fps, decoder_name, stats.camera, own_process))

    worker.codeSeen.connect(on_code)
    worker.codesInView.connect(lambda codes: applicant.preview.set_codes([c.corners for c in codes]))
    worker.preview.connect(on_preview)
    worker.previewReady.connect(on_screen_frame)
    applicant.preview.areaChanged.connect(fit_previews)  # the camera thread fits frames to the preview
    fit_previews(*applicant.preview.area_size)
    worker.fault.connect(on_fault)
    worker.faultCleared.connect(on_cleared)
    worker.statsChanged.connect(on_stats)
    controller.camera_status(CameraStatus(True, "", 0.0, decoder_name, source.description, own_process))
    return worker


def frame_view(frame: Frame) -> QImage:
    """A QImage over the frame's own pixels, no copy (frames are read-only and never change); the
    preview keeps the frame alive while it shows it. Odd layouts fall back to a copy."""
    image = frame.image
    if image.ndim == 3 and image.shape[2] == 3 and image.flags.c_contiguous:
        height, width = image.shape[:2]
        return QImage(image.data, width, height, int(image.strides[0]), QImage.Format.Format_BGR888)
    return frame_to_qimage(frame)


def _show_console(kiosk: Kiosk) -> None:
    if kiosk.single_screen is not None:  # one display: the console in its panel, never over the verdict
        kiosk.single_screen.open_console()
        return
    console = kiosk.console
    if console.isHidden():
        console.showMaximized() if kiosk.console.kiosk_mode else console.show()
    console.raise_()
    console.activateWindow()


def show_windows(kiosk: Kiosk, *, kiosk_mode: bool, single_screen: bool = False) -> None:
    """Applicant full screen on the first screen, console on the second; one screen: console on Ctrl+Alt+G."""
    screens = QGuiApplication.screens()
    kiosk.applicant.set_kiosk_mode(kiosk_mode)
    kiosk.console.set_kiosk_mode(kiosk_mode)
    if not kiosk_mode:  # the demo on a desktop: two ordinary windows, the applicant's in front
        area = screens[0].availableGeometry() if screens else None
        kiosk.console.resize(min(1400, area.width()) if area else 1400, min(900, area.height()) if area else 900)
        if area is not None:
            kiosk.console.move(area.right() - kiosk.console.width(), area.bottom() - kiosk.console.height())
            kiosk.applicant.move(area.topLeft())
        kiosk.console.show()
        kiosk.applicant.resize(1280, 720)
        kiosk.applicant.show()
        kiosk.applicant.raise_()
        return
    if screens:
        kiosk.applicant.setScreen(screens[0])
        kiosk.applicant.setGeometry(screens[0].geometry())
    kiosk.applicant.showFullScreen()
    if single_screen or len(screens) < 2:
        # One display for both (kiosk/ui/single_screen.py): Ctrl+Alt+G opens the console in a side
        # panel, the applicant's window keeps the rest, and personal data shows only while F12 is held.
        area = screens[0].geometry() if screens else kiosk.applicant.geometry()
        covered: list[QWidget] = [kiosk.console.queue_page]
        kiosk.single_screen = SingleScreen(kiosk.app, kiosk.applicant, kiosk.console, covered, area)
        return
    if len(screens) > 1 and not single_screen:
        kiosk.console.setScreen(screens[1])
        kiosk.console.setGeometry(screens[1].availableGeometry())
        kiosk.console.showMaximized()


# --- running ----------------------------------------------------------------------------------------


def settle() -> None:
    """After start-up (after the first preview frame: kiosk/workers/startup.py): collect once, then
    move every object alive now out of the collector's reach (gc.freeze). A full collection walks all
    tracked objects while holding the GIL; with the start-up objects (Qt wrappers, SQLAlchemy, numpy)
    frozen it stays short, so it cannot stall the GUI thread for a frame or more."""
    gc.collect()
    gc.freeze()


def run(
    kiosk: Kiosk,
    *,
    kiosk_mode: bool,
    seconds: float | None = None,
    until: Callable[[], bool] | None = None,
    single_screen: bool = False,
) -> int:
    """Show the windows, start the kiosk and run the event loop until the application quits (or
    `seconds` have passed, or `until()` returns True: asked every UNTIL_POLL_MS on the event loop, or
    SIGTERM or SIGINT comes: kiosk/workers/signals.py); then stop the kiosk (STOPPING=1 to systemd, the
    door locked, the database closed). Returns the event loop's exit code (0 after a signal)."""
    with exit_on_signals(kiosk.app) as signals:
        show_windows(kiosk, kiosk_mode=kiosk_mode, single_screen=single_screen)
        kiosk.applicant.warm_up()
        kiosk.start()
        settling = after_first_frame(kiosk.scanner.preview if kiosk.scanner else None, settle)
        notifier = SystemdNotifier()  # under systemd (deploy/systemd/kiosk.service); does nothing elsewhere
        notifier.ready("scanning")
        watchdog = _feed_watchdog(kiosk, notifier)
        # exit(), not quit(): Qt 6's quit() asks the windows first, and the applicant's refuses in kiosk
        # mode. Connected here, around the event loop, not in assemble(): a test's kiosk has none.
        end = kiosk.app.exit
        kiosk.console.leaveKiosk.connect(lambda: end(0))
        if seconds is not None:
            QTimer.singleShot(int(seconds * 1000), lambda: end(0))
        poll = None
        if until is not None:
            poll = QTimer()
            poll.timeout.connect(lambda: end(0) if until() else None)
            poll.start(UNTIL_POLL_MS)
        try:
            return run_event_loop(kiosk.app, signals)
        finally:  # a second signal while stopping changes nothing: the handlers stay until the end
            notifier.stopping()
            for timer in (poll, watchdog, settling):
                if timer is not None:
                    timer.stop()
            kiosk.stop()


def _feed_watchdog(kiosk: Kiosk, notifier: SystemdNotifier) -> QTimer | None:
    """Ping systemd's watchdog from the GUI thread, only while the scan loops show life too: a frozen
    window or a stuck camera loop stops the pings, and systemd restarts the kiosk."""
    if notifier.watchdog_s is None:
        return None
    scanner = kiosk.scanner
    beats = {name: (lambda name=name: scanner.beats[name]) for name in scanner.beats} if scanner else {}
    feeder = WatchdogFeeder(notifier, beats, max_age_s=notifier.watchdog_s / 2, clock=time.monotonic)
    timer = QTimer()
    timer.timeout.connect(lambda: feeder.tick())  # noqa: PLW0108 - a lambda holds the feeder; a bound method would not
    timer.start(int((feeder.interval_s or 1.0) * 1000))
    feeder.tick()
    return timer


# --- the real kiosk --------------------------------------------------------------------------------------


def run_kiosk(
    config: KioskConfig,
    *,
    db_path: str | Path | None = None,
    camera: int | str | None = None,
    lang: Lang | str = Lang.ID,
    kiosk_mode: bool = True,
    single_screen: bool = False,
    simulate: bool = False,
    reports_dir: Path | None = None,
    sync_interval_s: float | None = DEFAULT_SYNC_INTERVAL_S,
    decoder: str | None = None,
    say: Callable[[str], None] = print,
) -> int:
    """`kiosk run`: the database, camera, identity and rules from the configuration file, flags on top.

    Refuses (exit 2, one clear line) when the database cannot be opened, or when kiosk mode would
    start with no active guard: nobody could then leave kiosk mode or act on a denied scan."""
    path, _where = resolve_db_path(str(db_path) if db_path else None, config)
    try:
        store = KioskStore.open(path, create=False)
    except StoreError as exc:
        say(f"kiosk run: {exc}")
        return EXIT_REFUSED
    with store:
        if kiosk_mode and not any(g.active for g in store.guards.all()):
            say("kiosk run: no guard is registered, so nobody could leave kiosk mode or act on a denied scan. "
                f"Add one first: kiosk guard add NAME --db {path}")  # fmt: skip
            return EXIT_REFUSED
        cam = config.camera
        if cam.decoder_process:  # the decoder's process starts while the windows are built
            prestart(cast(DecoderChoice, decoder or cam.decoder))
        source: FrameSource = (
            SimulatedCamera((), cam.width, cam.height)
            if simulate
            else OpenCVCamera(
                camera if camera is not None else cam.target,
                cam.width,
                cam.height,
                search_other_indexes=cam.search_other_cameras,
            )
        )
        sync = None
        if sync_interval_s is not None:  # its own connection; an unenrolled kiosk just reports that
            sync = SyncThread(SyncWorker(lambda: KioskStore.open(path, create=False), interval_s=sync_interval_s))
        kiosk = assemble(
            store,
            source=source,
            decoder_choice=cast(DecoderChoice, decoder or cam.decoder),
            decoder_process=cam.decoder_process,
            lang=Lang(lang),
            reports_dir=reports_dir,
            sync=sync,
            door=DoorSettings(config.online.check, config.online.budget_ms / 1000),
            player=QtTonePlayer(config.sound.volume, spoken=config.sound.spoken),
            relay=configured_relay(config.relay),
            retention_days=config.retention_days,
        )
        if sync is not None:  # each sync carries the kiosk's health to the server (kiosk/workers/health.py)
            sync.worker.health = lambda: kiosk_health(kiosk)
        return run(kiosk, kiosk_mode=kiosk_mode, single_screen=single_screen)
