"""`kiosk doctor` (and the frozen build's `kiosk --self-test`): is this kiosk PC ready for the door?

One line per part, OK / WARN / FAIL / SKIP, and for anything not OK what to do about it. It checks what
an installer cannot see from the outside: frames arrive from the configured camera, the decoder reads
the QR built into the bundle, the database passes SQLite's quick_check, the audit chain verifies, the
server answers and the clocks agree, there is free disk, there is a sound output, and the relay board
takes the "door shut" command (and says so, where it can: doctor_relay.py). FAIL means the kiosk
cannot do its job (the exit status is then 1); WARN means it can, less well, or that the part could not
be confirmed from here (no sound: words and icons only; no server: it decides alone and the head must
be signed daily; a relay board that does not answer); SKIP means the check could not run because of
another part's FAIL, and is not a failure of its own. Nothing here changes the database, and the relay
is only ever told to keep the door shut: the doctor never opens the door.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kiosk
from kiosk.cli.common import EXIT_OK, Context, command
from kiosk.cli.doctor_findings import Finding, Level
from kiosk.domain.clock import utc_now
from kiosk.store.parts.decisions import MAX_CLOCK_OFFSET_S  # beyond it, date checks go to the officer

log = logging.getLogger(__name__)

EXIT_FAILED = 1
FRAMES_WANTED = 5
CAMERA_SECONDS = 5.0
MIN_FREE_BYTES = 1 << 30  # 1 GiB: months of scans, and room for SQLite's checkpoints and a report
SELF_TEST_TEXT = "KIOSK SELF-TEST"


def add_commands(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = command(commands, "doctor", cmd_doctor, "check that this kiosk PC is ready for the door", db)
    parser.epilog = (
        "One line per part: camera, decoder, database, audit chain, server and clock, disk, sound, relay.\n"
        "Exit status 1 when any part FAILs (WARN: works, less well, or cannot be confirmed from here; SKIP:\n"
        "not checked because of another part's FAIL). The frozen build runs the same checks as\n"
        "`kiosk --self-test`. Nothing is written; the relay is only told to keep the door shut."
    )
    add_options(parser)


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--simulate",
        action="store_true",
        help='a test set-up: check the simulated camera, not the real one, and accept [relay] driver = "simulated"',
    )
    parser.add_argument("--camera", metavar="INDEX|PATH", help="the camera to check (default: kiosk.toml's)")


def cmd_doctor(ctx: Context) -> int:
    findings = run_checks(ctx)
    for finding in findings:
        for line in finding.lines():
            ctx.say(line)
    simulated = " (a test set-up: the simulated camera; run without --simulate to check this PC's)"
    said = verdict(findings)
    ctx.say(f"kiosk {kiosk.__version__}: {said}{simulated if ctx.args.simulate and said == 'ready' else ''}")
    return EXIT_FAILED if any(f.level is Level.FAIL for f in findings) else EXIT_OK


def verdict(findings: list[Finding]) -> str:
    """The summary: ready, or NOT READY (the parts that FAILed; not checked: those SKIPped because of them)."""
    failed = [f.part for f in findings if f.level is Level.FAIL]
    skipped = [f.part for f in findings if f.level is Level.SKIP]
    if not failed:
        return "ready"
    return f"NOT READY ({', '.join(failed)}" + (f"; not checked: {', '.join(skipped)})" if skipped else ")")


def run_checks(ctx: Context) -> list[Finding]:
    findings = [_safely("camera", lambda: check_camera(ctx)), _safely("decoder", lambda: check_decoder(ctx))]
    findings += _store_checks(ctx)
    findings += [_safely(part, lambda check=check: check(ctx)) for part, check in _MACHINE_CHECKS]  # type: ignore[misc]
    return findings


def _safely(part: str, check: Callable[[], Finding]) -> Finding:
    """A check that raises is a FAIL with the error, never a traceback: the doctor itself must finish."""
    try:
        return check()
    except Exception as exc:
        return Finding(part, Level.FAIL, f"{type(exc).__name__}: {exc}", "run with -v for the log")


# --- the camera and the decoder ----------------------------------------------------------------------------


def check_camera(ctx: Context, clock: Callable[[], float] = time.monotonic) -> Finding:
    from kiosk.vision.frames import CameraFault

    source, what = _camera(ctx)
    frames, started = 0, clock()
    try:
        source.open()
        while frames < FRAMES_WANTED and clock() - started < CAMERA_SECONDS:
            if source.read() is not None:
                frames += 1
        what = source.description
    except CameraFault as exc:
        return Finding("camera", Level.FAIL, f"{what}: {exc}", _camera_hint(ctx))
    finally:
        source.close()
    if frames < FRAMES_WANTED:
        return Finding(
            "camera", Level.FAIL, f"{what}: {frames} frame(s) in {CAMERA_SECONDS:g} s", "is the lens covered?"
        )
    detail = f"{frames} frames from {what}"
    if getattr(source, "substituted", False):
        return Finding("camera", Level.WARN, detail, "not the configured camera: check [camera] device")
    return Finding("camera", Level.OK, detail)


def _camera(ctx: Context) -> tuple[Any, str]:
    from kiosk.vision.capture_cv2 import OpenCVCamera
    from kiosk.vision.simcam import SimulatedCamera

    cam = ctx.config.camera
    if ctx.args.simulate:
        return SimulatedCamera((), cam.width, cam.height), "simulated camera"
    target: int | str = cam.target
    if ctx.args.camera is not None:
        target = int(ctx.args.camera) if ctx.args.camera.isdigit() else ctx.args.camera
    camera = OpenCVCamera(target, cam.width, cam.height, search_other_indexes=cam.search_other_cameras)
    return camera, f"camera {target!r}"


def _camera_hint(ctx: Context) -> str:
    from kiosk.vision.capture_cv2 import stable_camera_paths

    paths = stable_camera_paths()
    if paths:
        return "cameras here: " + ", ".join(str(p) for p in paths) + " (set [camera] device)"
    return "plug the camera in; on Linux the kiosk user must be in the 'video' group"


def check_decoder(ctx: Context) -> Finding:
    import cv2

    from kiosk.vision.decoders import DecoderUnavailableError, make_decoder
    from kiosk.vision.frames import as_image

    image_path = kiosk.resources_dir() / "selftest-qr.png"
    image = cv2.imread(str(image_path))
    if image is None:
        return Finding("decoder", Level.FAIL, f"the self-test image {image_path} is missing", "reinstall the kiosk")
    choice = ctx.config.camera.decoder
    try:
        decoder = make_decoder(choice)  # type: ignore[arg-type]
    except DecoderUnavailableError as exc:
        return Finding("decoder", Level.FAIL, str(exc), "reinstall the kiosk (zxing-cpp), or apt install libzbar0")
    texts = [code.text for code in decoder.decode(as_image(image))]
    if texts != [SELF_TEST_TEXT]:
        return Finding("decoder", Level.FAIL, f"{decoder.name} read {texts!r} from the self-test QR")
    return Finding("decoder", Level.OK, f"{decoder.name} reads the self-test QR")


# --- the database, the audit chain, the server --------------------------------------------------------------


def _store_checks(ctx: Context) -> list[Finding]:
    try:
        store = ctx.open_store()
    except Exception as exc:
        hint = "kiosk setup --office ... creates it" if "no kiosk database" in str(exc) else "see docs/install.md"
        return [
            Finding("database", Level.FAIL, str(exc), hint),
            Finding("audit", Level.SKIP, "not checked: the database cannot be opened (see above)"),
            Finding("server", Level.SKIP, "not checked: the enrolment is in the database (see above)"),
        ]
    with store:
        findings = [_safely("database", lambda: _database(store))]
        findings.append(_safely("audit", lambda: _audit(store)))
        findings.append(_safely("server", lambda: _server(store)))
    return findings


def _enrolment(store: Any) -> Any:
    from kiosk.sync import state

    with store.reading() as connection:
        return state.enrolment(connection)


def _database(store: Any) -> Finding:
    problem = store.check_files()
    if problem:
        return Finding("database", Level.FAIL, problem, "restore the database folder from the backup")
    bookings = store.bookings.count()
    detail = f"{store.path} passes quick_check; {bookings} booking(s)"
    if store.bookings.data_lost():
        return Finding("database", Level.FAIL, detail + ", but the booking file was lost", "kiosk sync now")
    if bookings == 0:
        # WARN, not FAIL: the machine is sound, and a new kiosk is checked before its first data arrives
        # (an enrolled one gets it at its first sync); but until then every code is unknown.
        hint = "kiosk sync now" if _enrolment(store) is not None else "kiosk import BOOKINGS.csv"
        detail = f"{store.path} passes quick_check; no bookings: every code is unknown, so nobody is admitted"
        return Finding("database", Level.WARN, detail, hint)
    return Finding("database", Level.OK, detail)


def _audit(store: Any) -> Finding:
    from kiosk.cli.audit import verify

    verified = verify(store)
    report = verified.report
    if not report.ok:
        return Finding("audit", Level.FAIL, report.problems[0], "kiosk audit verify; tell the head of office")
    detail = f"{report.entries} entries verify; head {report.head.seq}"
    if report.unanchored:
        if _enrolment(store) is None:
            detail += "; no server configured to anchor it at (valid: sign the head in the daily report)"
        else:
            detail += f", {report.unanchored} not yet anchored at the server"
    return Finding("audit", Level.OK, detail)


def _server(store: Any, now: Callable[[], dt.datetime] = utc_now) -> Finding:
    import httpx

    from kiosk.protocol.schema import TimeResponse
    from kiosk.protocol.wire import API_PREFIX

    enrolment = _enrolment(store)
    if enrolment is None:
        return Finding(
            "server",
            Level.WARN,
            "no server configured (not enrolled): this kiosk decides alone",
            "kiosk sync enrol, or sign the head daily",
        )
    if enrolment.revoked_at:
        return Finding("server", Level.FAIL, f"this kiosk was revoked at {enrolment.revoked_at}", "enrol it again")
    url = enrolment.server_url.rstrip("/")
    sent = now()
    try:
        response = httpx.get(f"{url}{API_PREFIX}/time", timeout=5.0)
        response.raise_for_status()
        server_time = TimeResponse.model_validate_json(response.content).server_time
    except (httpx.HTTPError, ValueError) as exc:
        return Finding("server", Level.FAIL, f"{url} does not answer: {exc}", "check the network and the server")
    received = now()
    offset = (server_time - (sent + (received - sent) / 2)).total_seconds()
    detail = f"{url} answers; clock offset {offset:+.1f} s"
    if abs(offset) > MAX_CLOCK_OFFSET_S:
        return Finding("server", Level.FAIL, detail, "set the clock: timedatectl set-ntp true")
    return Finding("server", Level.OK, detail)


# --- disk, sound, relay ----------------------------------------------------------------------------------


def check_disk(ctx: Context) -> Finding:
    folder = _existing(ctx.db_path().parent)
    usage = shutil.disk_usage(folder)
    detail = f"{usage.free / (1 << 30):.1f} GiB free of {usage.total / (1 << 30):.1f} GiB at {folder}"
    if usage.free < MIN_FREE_BYTES or usage.free < usage.total * 0.05:
        return Finding("disk", Level.FAIL, detail, "free some space: old reports, logs; kiosk purge")
    return Finding("disk", Level.OK, detail)


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_sound(ctx: Context) -> Finding:
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    def to_log(_kind: QtMsgType, _context: object, message: str) -> None:
        log.debug("Qt: %s", message)  # the multimedia backend's library search and PulseAudio, line by line

    previous = qInstallMessageHandler(to_log)
    try:
        try:
            from PySide6.QtMultimedia import QMediaDevices
        except ImportError as exc:
            return Finding("sound", Level.WARN, f"QtMultimedia cannot load ({exc})", "apt install libpulse0")
        outputs = QMediaDevices.audioOutputs()  # needs no application object (and makes none: tests share one)
        default = QMediaDevices.defaultAudioOutput().description() if outputs else ""
    finally:
        qInstallMessageHandler(previous)
    if not outputs:
        return Finding(
            "sound", Level.WARN, "no audio output: the kiosk runs silent", "plug in speakers; check the volume"
        )
    return Finding("sound", Level.OK, f"{len(outputs)} output(s); default {default}")


def check_relay(ctx: Context) -> Finding:
    """What the relay board confirms of "door shut", and no more (kiosk/cli/doctor_relay.py)."""
    from kiosk.cli.doctor_relay import check_relay as check

    return check(ctx.config.relay, simulators=bool(ctx.args.simulate))


_MACHINE_CHECKS: tuple[tuple[str, Callable[[Context], Finding]], ...] = (
    ("disk", check_disk),
    ("sound", check_sound),
    ("relay", check_relay),
)
