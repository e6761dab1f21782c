"""The composition root: builds the store, the camera, the workers and the windows, and wires them.

No decisions here: `assemble` connects the parts, `run_demo`, `run_kiosk` and `save_screenshots` are the
three ways the CLI starts them. Everything the kiosk decides lives in domain/, store/, and the screen
rules in domain/screen.py; the glue in the GUI thread is ui/controller.py.

- `run_demo(db_path, lang)`: both windows on the simulated camera and the demo database; the scripted
  scene shows every kind of outcome within the first minute (then repeats).
- `run_kiosk(config)`: the real thing, from the configuration file and flags; kiosk mode (full screen,
  no frame, no cursor, closing needs a guard's PIN) refuses to start when no guard exists.
- `save_screenshots(out_dir)`: a PNG of every applicant state and the guard's main screens, offscreen.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import logging
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QWidget

from kiosk import demo_data
from kiosk.config import KioskConfig, resolve_db_path
from kiosk.domain.explain import Lang
from kiosk.domain.model import OfficeRules, Reason, Verdict
from kiosk.domain.screen import Fault, Timeouts
from kiosk.door import Door, DoorSettings, Sighting, Source
from kiosk.store import actions
from kiosk.store.actions import OverrideReason
from kiosk.store.db import KioskStore, StoreError
from kiosk.store.settings import Identity
from kiosk.ui.applicant import ApplicantWindow
from kiosk.ui.console import IDLE_LOGOUT_S, GuardConsole
from kiosk.ui.controller import KioskController, utc_now
from kiosk.ui.dialogs import OverrideDialog
from kiosk.ui.jobs import StoreJobs
from kiosk.ui.resources import install_language, style_sheet
from kiosk.ui.sound import QtTonePlayer, SilentPlayer, TonePlayer
from kiosk.ui.status import CameraStatus
from kiosk.vision.capture_cv2 import OpenCVCamera
from kiosk.vision.decoders import Decoder, DecoderChoice, DecoderUnavailableError, make_decoder
from kiosk.vision.frames import Frame, FrameSource
from kiosk.vision.isolated import IsolatedPipeline
from kiosk.vision.scanner import CodeSeen, ScanSettings, ScanStats
from kiosk.vision.simcam import Fault as CameraFaultScript
from kiosk.vision.simcam import Scene, SimulatedCamera, empty
from kiosk.workers.db_writer import DbWriter
from kiosk.workers.gate import FakeRelay, GateRelay
from kiosk.workers.scan import ScanWorker, ScreenFrame, frame_to_qimage
from kiosk.workers.sync_worker import DEFAULT_INTERVAL_S as DEFAULT_SYNC_INTERVAL_S
from kiosk.workers.sync_worker import SyncThread, SyncWorker
from kiosk.workers.wedge import KeyboardWedge

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]

DEMO_GUARD, DEMO_PIN = "Demo", "246810"
DEMO_SEED = 20261128
PREVIEW_FPS = 30.0  # every frame of a 30 fps camera is offered; the preview paints the newest
GIL_SWITCH_S = 0.001
EXIT_OK, EXIT_REFUSED = 0, 2


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

    def stop(self) -> None:
        """Stop in dependency order: no more codes, then no more screens, then the database threads."""
        if self._stopped:
            return
        self._stopped = True
        if self.scanner is not None:
            self.scanner.stop()
        if self.sync is not None:
            self.sync.stop()
        if self.wedge is not None:
            self.wedge.uninstall()
        self.controller.stop()
        self.console.shutdown()
        self.writer.stop()
        self.reader.stop()
        if self.door is not None:
            self.door.close()  # after the writer: the door runs on its thread
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
    clock: Clock = utc_now,
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
) -> Kiosk:
    """Build and wire every part around an open store. Nothing runs until `Kiosk.start()`.

    `sync` (a SyncThread, with its own database connection) is started and stopped with the kiosk;
    the guard's "sync now" goes to it, and each sync refreshes the data age and the status panel.
    Without it "sync now" is disabled. `decoder` (an object, in this process) wins over
    `decoder_choice` (a backend name); `decoder_process` decodes in a child process (IsolatedPipeline),
    as the real kiosk and the demo do, so that a decode never stalls the screens. `door` sets the
    online check across gates (on by default; it only asks when the kiosk is enrolled)."""
    app = qt_app(lang)
    rules, identity = store.rules(), store.identity()
    writer = DbWriter(store, synchronous=synchronous, name="kiosk-db-writer")
    reader = DbWriter(store, synchronous=synchronous, name="kiosk-db-reader")
    jobs = StoreJobs(writer, reader)
    applicant = ApplicantWindow(lang)
    applicant.set_place(f"{identity.office_code} · {identity.gate}")
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
    kiosk = Kiosk(app, store, writer, reader, applicant, console, controller, relay, player, the_door, sync=sync)
    if sync is not None:
        sync.worker.sync_finished.connect(lambda _outcome: _after_sync(kiosk))
    applicant.guardRequested.connect(lambda: _show_console(kiosk))
    applicant.closeRequested.connect(lambda: _show_console(kiosk))
    console.leaveKiosk.connect(app.quit)
    if source is not None:
        kiosk.scanner = _scanner(kiosk, source, decoder, decoder_choice, decoder_process)
    if wedge:
        kiosk.wedge = KeyboardWedge()
        kiosk.wedge.codeTyped.connect(lambda text: controller.code_seen([text], Source.WEDGE))
    return kiosk


def _after_sync(kiosk: Kiosk) -> None:
    kiosk.controller.refresh_data_age()
    kiosk.console.refresh_status()


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

    def on_fault(_kind: str, message: str) -> None:
        faulted["now"] = True
        controller.camera_fault(message)

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
    if len(screens) > 1 and not single_screen:
        kiosk.console.setScreen(screens[1])
        kiosk.console.setGeometry(screens[1].availableGeometry())
        kiosk.console.showMaximized()


# --- the demo ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoSetup:
    samples: list[demo_data.Sample]
    background: list[demo_data.DemoBooking]
    rules: OfficeRules
    start: dt.datetime
    clock: Clock


def prepare_demo(
    store: KioskStore,
    *,
    office: str = demo_data.DEFAULT_OFFICE,
    zone: str = demo_data.DEFAULT_ZONE,
    start: dt.datetime | None = None,
    seed: int | None = DEMO_SEED,
    background: int = 40,
) -> DemoSetup:
    """Configure the demo office, import the showcase (one booking per outcome) and an ordinary day
    around it, and make sure the demo guard exists. The demo clock runs from `start`."""
    rules = OfficeRules(office_code=office, zone=zone)
    real_now = utc_now()
    if start is None:
        start, _moved = demo_data.demo_clock_start(real_now, rules)
    store.configure(Identity(demo_data.DEMO_KIOSK_ID, "G1", office), rules, real_now)
    rng = random.Random(f"{seed}:{store.booking_count()}" if seed is not None else None)
    samples = demo_data.showcase(office, rules, start, rng)
    day = start.astimezone(rules.tz).date()
    extra = demo_data.generate_day(office, rules.zone, day, background, rng) if background else []
    demo_data.fill_demo_store(store, samples, extra, start)
    if not any(g.name == DEMO_GUARD for g in store.guards()):
        store.add_guard(DEMO_GUARD, DEMO_PIN, real_now)
    started = time.monotonic()
    return DemoSetup(samples, extra, rules, start, lambda: start + dt.timedelta(seconds=time.monotonic() - started))


#: The demo's answers stay a little shorter than a kiosk's, so the idle screen and its preview show
#: between the scripted applicants.
DEMO_TIMEOUTS = Timeouts(admit=4.0, refer=5.0, deny=5.0)
DEMO_SHOW_S, DEMO_GAP_S = 2.0, 4.5


def demo_script(samples: Sequence[demo_data.Sample]) -> tuple[list[Scene], list[CameraFaultScript]]:
    """The simulated camera's scene. Within the first minute: ADMIT, ADMIT for a party of 3, DENY
    (too early, a NIK instead of a booking, a code used twice), REFER (priority walk-in, two codes at
    once), and the camera unplugged for 3 s (OUT OF ORDER); then the other reasons. It loops."""
    by_reason = {sample.expect: sample for sample in samples}
    by_title = {sample.title: sample for sample in samples}

    def show(sample: demo_data.Sample, **look: object) -> list[Scene]:
        return [Scene(duration=DEMO_SHOW_S, codes=(sample.text,), **look), empty(DEMO_GAP_S)]  # type: ignore[arg-type]

    admit = by_title["admit"]
    party = by_title["admit, party of 3"]
    script = [empty(2.0)]
    script += show(admit, medium="phone", sway=0.01)
    script += show(party, medium="phone", dark_mode=True)
    script += show(by_reason[Reason.TOO_EARLY], medium="paper", tilt=10)
    script += show(by_reason[Reason.NEEDS_OFFICER], medium="phone")
    script += show(by_title["a NIK (ID number)"], medium="paper")
    script += show(admit, medium="phone")  # the same code again: ALREADY_ADMITTED
    two = (by_reason[Reason.CANCELLED].text, party.text)
    script += [Scene(duration=DEMO_SHOW_S, codes=two, size=0.3), empty(DEMO_GAP_S)]
    fault_at = sum(scene.duration for scene in script) + 0.5
    script += [empty(8.0)]  # the camera is unplugged for 3 s in here, and found again before the next code
    for reason in (Reason.UNKNOWN_CODE, Reason.CANCELLED, Reason.WRONG_OFFICE, Reason.TOO_LATE, Reason.WRONG_DAY):
        script += show(by_reason[reason])
    for title in ("rescheduled", "unpaid", "a web address"):
        if title in by_title:
            script += show(by_title[title], medium="paper")
    return script, [CameraFaultScript("disconnect", fault_at, fault_at + 3.0)]


def demo_camera(samples: Sequence[demo_data.Sample], *, realtime: bool = True) -> SimulatedCamera:
    script, faults = demo_script(samples)
    return SimulatedCamera(script, 1280, 720, fps=30.0, realtime=realtime, faults=faults, loop=True)


def run_demo(
    db_path: Path | None,
    lang: Lang | str = Lang.ID,
    *,
    office: str = demo_data.DEFAULT_OFFICE,
    zone: str = demo_data.DEFAULT_ZONE,
    start: dt.datetime | None = None,
    seconds: float | None = None,
    kiosk_mode: bool = False,
    seed: int | None = None,
    say: Callable[[str], None] = print,
) -> int:
    """`kiosk demo`: both windows on the simulated camera and the demo database (a temporary one when
    `db_path` is None). `seconds` ends the demo by itself (for CI and the benchmark)."""
    language = Lang(lang)
    with tempfile.TemporaryDirectory(prefix="kiosk-demo-") as scratch:
        path = db_path or Path(scratch) / "kiosk-demo.db"
        try:
            store = _open_demo_store(path)
        except StoreError as exc:
            say(f"kiosk demo: {exc}")
            return EXIT_REFUSED
        with store:
            setup = prepare_demo(store, office=office, zone=zone, start=start, seed=seed)
            camera = demo_camera(setup.samples)
            kiosk = assemble(
                store,
                source=camera,
                decoder_process=True,
                clock=setup.clock,
                lang=language,
                timeouts=DEMO_TIMEOUTS,
                door=DoorSettings(online_check=False),  # the demo has no server
            )
            say(f"Kiosk demo: office {office} ({setup.rules.zone_abbreviation}), database {path}")
            say(f"Demo clock starts at {setup.start.astimezone(setup.rules.tz):%H.%M} office time.")
            say(f"Guard console: log in as {DEMO_GUARD!r} with PIN {DEMO_PIN}.")
            say("The simulated camera shows every kind of outcome within the first minute, then repeats.")
            return _run(kiosk, kiosk_mode=kiosk_mode, seconds=seconds)


def _open_demo_store(path: Path) -> KioskStore:
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists() and path.stat().st_size > 0
    store = KioskStore.open(path)
    identity = store.identity()
    if existed and identity.kiosk_id != demo_data.DEMO_KIOSK_ID and store.booking_count() > 0:
        store.close()
        raise StoreError(f"{path} is not a demo database; the demo writes made-up bookings only to its own")
    return store


def settle() -> None:
    """After start-up: collect once, then move every object alive now out of the collector's reach
    (gc.freeze). A full collection walks all tracked objects while holding the GIL; with the start-up
    objects (Qt wrappers, SQLAlchemy, numpy) frozen it stays short, so it cannot stall the GUI thread
    for a frame or more."""
    gc.collect()
    gc.freeze()


def _run(kiosk: Kiosk, *, kiosk_mode: bool, seconds: float | None = None, single_screen: bool = False) -> int:
    show_windows(kiosk, kiosk_mode=kiosk_mode, single_screen=single_screen)
    kiosk.applicant.warm_up()
    kiosk.start()
    settle()
    if seconds is not None:
        QTimer.singleShot(int(seconds * 1000), kiosk.app.quit)
    try:
        return int(kiosk.app.exec())
    finally:
        kiosk.stop()


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
        if kiosk_mode and not any(g.active for g in store.guards()):
            say("kiosk run: no guard is registered, so nobody could leave kiosk mode or act on a denied scan. "
                f"Add one first: kiosk guard add NAME --db {path}")  # fmt: skip
            return EXIT_REFUSED
        cam = config.camera
        source: FrameSource = (
            SimulatedCamera((), cam.width, cam.height)
            if simulate
            else OpenCVCamera(camera if camera is not None else cam.index, cam.width, cam.height)
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
        )
        return _run(kiosk, kiosk_mode=kiosk_mode, single_screen=single_screen)


# --- screenshots -----------------------------------------------------------------------------------------

APPLICANT_SIZE = (1920, 1080)
CONSOLE_SIZE = (1600, 1000)


def save_screenshots(out_dir: Path, lang: Lang | str = Lang.ID) -> list[Path]:
    """A PNG of every applicant state and of the guard console's main screens, rendered offscreen
    from real decisions on a scratch demo database. Returns the files written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out_dir.mkdir(parents=True, exist_ok=True)
    language = Lang(lang)
    with (
        tempfile.TemporaryDirectory(prefix="kiosk-shots-") as scratch,
        KioskStore.open(Path(scratch) / "kiosk.db") as store,
    ):
        rules = OfficeRules(office_code=demo_data.DEFAULT_OFFICE, zone=demo_data.DEFAULT_ZONE)
        start = dt.datetime.combine(utc_now().astimezone(rules.tz).date(), dt.time(10, 5), tzinfo=rules.tz)
        setup = prepare_demo(store, start=start, seed=DEMO_SEED, background=60)
        _simulate_morning(store, setup)
        time_line = _ScreenshotTime(start)
        kiosk = assemble(
            store,
            clock=time_line.now,
            monotonic=time_line.monotonic,
            lang=language,
            synchronous=True,
            player=SilentPlayer(),
            wedge=False,
            door=DoorSettings(online_check=False),
        )
        try:
            return _shoot(kiosk, setup, out_dir, time_line)
        finally:
            kiosk.stop()


def _simulate_morning(store: KioskStore, setup: DemoSetup) -> None:
    """Scans from opening time until the screenshots' clock, so the statistics have a morning to show:
    the day's bookings arrive around their slots, a few strangers show unknown codes, and two guards
    admit some of the refused (the second guard is added here)."""
    rng = random.Random(DEMO_SEED)
    tz, day = setup.rules.tz, setup.start.astimezone(setup.rules.tz).date()
    office_open = dt.datetime.combine(day, demo_data.OFFICE_OPENS, tzinfo=tz)
    guard = store.add_guard("Sari", "731905", office_open)
    demo_guard = next(g.id for g in store.guards() if g.name == DEMO_GUARD)
    scans: list[tuple[dt.datetime, str]] = []
    for item in setup.background:
        slot = dt.datetime.combine(item.booking.service_date, item.booking.slot_start, tzinfo=tz)
        at = slot + dt.timedelta(minutes=rng.randint(-40, 50))
        if office_open <= at < setup.start and rng.random() < 0.8:
            scans.append((at, item.code))
    scans += [(office_open + dt.timedelta(minutes=rng.randint(0, 120)), demo_data.new_code(rng)) for _ in range(4)]
    with Door(store, DoorSettings(online_check=False)) as door:
        for n, (at, code) in enumerate(sorted(scans)):
            recorded = door.present(Sighting(code, at, Source.CAMERA))
            if recorded.decision.verdict is not Verdict.ADMIT and n % 3 == 0:
                who = guard.id if n % 2 else demo_guard
                reason = OverrideReason.PRIORITY_ELDERLY if n % 2 else OverrideReason.ID_CHECKED
                actions.override(store, recorded.event_uuid, who, reason, at + dt.timedelta(minutes=2))


class _ScreenshotTime:
    """A clock for screenshots: every reading moves on a little (scans get distinct times), and
    `advance` lets timed screens expire without waiting."""

    def __init__(self, start: dt.datetime) -> None:
        self.start, self.readings, self.seconds = start, 0, 0.0

    def now(self) -> dt.datetime:
        self.readings += 1
        return self.start + dt.timedelta(seconds=self.seconds + 23.0 * self.readings)

    def monotonic(self) -> float:
        return self.seconds

    def advance(self, seconds: float) -> None:
        self.seconds += seconds


def _shoot(kiosk: Kiosk, setup: DemoSetup, out: Path, time_line: _ScreenshotTime) -> list[Path]:
    app, applicant, console, controller = kiosk.app, kiosk.applicant, kiosk.console, kiosk.controller
    samples = {sample.title: sample for sample in setup.samples}
    saved: list[Path] = []

    def grab(widget: QWidget, name: str) -> None:
        for _ in range(3):
            app.processEvents()
        path = out / f"{name}.png"
        widget.grab().save(str(path))
        saved.append(path)

    by_reason: dict[Reason, demo_data.Sample] = {s.expect: s for s in setup.samples if s.expect is not Reason.OK}

    def present(title: str | Reason) -> None:
        sample = by_reason[title] if isinstance(title, Reason) else samples[title]
        controller.code_seen([sample.text], Source.CAMERA)

    applicant.resize(*APPLICANT_SIZE)
    applicant.show()
    kiosk.start()
    controller.camera_status(CameraStatus(True, "", 30.0, "zxing", "simulated camera #0 1280x720@30", True))
    frame, corners = _sample_frame(samples["admit"].text)
    applicant.set_data_age(dt.timedelta(minutes=4))
    applicant.set_frame(frame, (corners,) if corners else ())
    grab(applicant, "applicant-idle")
    controller.machine.code_seen(controller.monotonic())
    applicant.show_screen(controller.machine.screen)
    applicant.set_frame(frame, (corners,) if corners else ())
    grab(applicant, "applicant-checking")
    present("admit, party of 3")
    grab(applicant, "applicant-admit-party-of-3")
    present("priority walk-in")
    grab(applicant, "applicant-refer")
    present("too early")
    grab(applicant, "applicant-deny-too-early")
    present("already admitted")
    grab(applicant, "applicant-deny-already-admitted")
    present("a NIK (ID number)")
    grab(applicant, "applicant-deny-not-a-booking")
    present(Reason.WRONG_OFFICE)
    applicant.set_first_language(Lang.EN)
    grab(applicant, "applicant-deny-wrong-office-english-first")
    applicant.set_first_language(Lang.ID)
    time_line.advance(60)
    controller.tick()  # the answer times out; the camera is unplugged while idle
    controller.fault(Fault.CAMERA)
    grab(applicant, "applicant-out-of-order")
    controller.fault_cleared(Fault.CAMERA)
    _shoot_console(console, grab, present)
    return saved


def _shoot_console(
    console: GuardConsole, grab: Callable[[QWidget, str], None], present: Callable[[str | Reason], None]
) -> None:
    console.resize(*CONSOLE_SIZE)
    console.show()
    grab(console, "guard-login")
    console.login_page.guard.setCurrentText(DEMO_GUARD)
    console.login_page.pin.setText(DEMO_PIN)
    console.login_page.login.click()
    present("unpaid")
    present("too late")
    page = console.queue_page
    row = next(r for r, item in enumerate(page.model.items) if item.reason == Reason.ALREADY_ADMITTED.value)
    page.table.selectRow(row)
    grab(console, "guard-queue")
    console.open_override(page.model.items[row])
    dialog = console.dialog
    if isinstance(dialog, OverrideDialog):
        dialog.buttons[OverrideReason.ID_CHECKED].setChecked(True)
        dialog.note.edit.setPlainText("KTP dicocokkan: nama dan NIK sesuai; kode pertama dipakai orang lain.")
        grab(dialog, "guard-override-dialog")
        dialog.admit.click()
    present("cancelled")
    console.tabs.setCurrentWidget(console.stats_page)
    console.refresh_stats()
    grab(console, "guard-statistics")
    console.tabs.setCurrentWidget(console.status_page)
    console.refresh_status(verify=True)
    grab(console, "guard-status")


def _sample_frame(code: str) -> tuple[QImage, tuple[tuple[float, float], ...]]:
    """One simulated camera frame showing `code`, and the code's corners as the decoder finds them."""
    camera = SimulatedCamera([Scene(duration=5.0, codes=(code,), tilt=8, turn=-4)], 1280, 720, realtime=False)
    camera.open()
    frame = None
    for _ in range(20):
        frame = camera.read() or frame
    camera.close()
    if frame is None:
        return QImage(), ()
    try:
        codes = make_decoder("auto").decode(frame.image)
    except DecoderUnavailableError:
        codes = []
    return frame_to_qimage(frame), (tuple(codes[0].corners) if codes else ())
