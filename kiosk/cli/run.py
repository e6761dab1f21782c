"""`kiosk run` (the kiosk itself: applicant window and guard console) and `kiosk screenshots`."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path
from typing import Any

from kiosk.cli.common import EXIT_OK, Context, command, db_option


def add_commands(commands: Any, db: argparse.ArgumentParser) -> None:
    parser = command(commands, "run", cmd_run, "run the kiosk: applicant window and guard console", db)
    parser.epilog = (
        "Camera, office, database and the rest come from the configuration file (--config);\n"
        "flags override it. Kiosk mode (fullscreen, no cursor, closing needs a guard PIN)\n"
        "refuses to start when no guard exists: add one with `kiosk guard add NAME`."
    )
    parser.add_argument("--camera", metavar="INDEX|PATH", help="camera index or device path")
    parser.add_argument("--simulate", action="store_true", help="use the simulated camera")
    parser.add_argument(
        "--decoder", choices=["zxing", "zbar", "auto"], help="QR backend (default: [camera] decoder, else zxing)"
    )
    parser.add_argument("--lang", choices=["id", "en"], default="id", help="first language on screen")
    parser.add_argument("--windowed", action="store_true", help="not in kiosk mode (for setting up)")
    parser.add_argument("--single-screen", action="store_true", help="guard console behind a hotkey and PIN")
    parser.add_argument("--reports", type=Path, metavar="DIR", help="where daily reports are exported")

    shots = command(commands, "screenshots", cmd_screenshots, "save a PNG of every screen state", db_option())
    shots.add_argument("out_dir", metavar="DIR", help="folder for the PNG files")
    shots.add_argument("--lang", choices=["id", "en"], default="id", help="first language on screen")
    shots.add_argument(
        "--size",
        action="append",
        type=_sizes,
        metavar="WxH[,WxH...]",
        help="screen size(s) to render, repeatable or a comma-separated list (default 1920x1080); "
        "with several, files are named NAME-WxH.png",
    )


def cmd_run(ctx: Context) -> int:
    """The kiosk itself: camera, office and database from the configuration file, flags on top.

    Ctrl-C (SIGINT) during the start-up ends the process at once, as SIGTERM does: raised as
    KeyboardInterrupt it could land in a callback that swallows it ("Exception ignored in ...") and
    the kiosk would start anyway. Nothing is open yet that a stop would have to close (the database
    is crash-safe; the children end when their parent goes). From the event loop on, both signals
    stop the kiosk cleanly (kiosk/workers/signals.py)."""
    previous = signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        return _run(ctx)
    finally:
        signal.signal(signal.SIGINT, previous)


def _run(ctx: Context) -> int:
    from kiosk import app

    args = ctx.args
    camera: int | str | None = None
    if args.camera is not None:
        camera = int(args.camera) if args.camera.isdigit() else args.camera
    return app.run_kiosk(
        ctx.config,
        db_path=getattr(args, "db", None),
        camera=camera,
        lang=args.lang,
        kiosk_mode=not args.windowed,
        single_screen=args.single_screen,
        simulate=args.simulate,
        decoder=args.decoder,
        reports_dir=args.reports,
    )


def _sizes(text: str) -> list[tuple[int, int]]:
    from kiosk.ui.screenshots import parse_size

    try:
        return [parse_size(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def cmd_screenshots(ctx: Context) -> int:
    from kiosk.demo.screenshots import save_screenshots
    from kiosk.ui.screenshots import APPLICANT_SIZE

    sizes = [size for group in ctx.args.size or [] for size in group]
    paths = save_screenshots(Path(ctx.args.out_dir), ctx.args.lang, sizes or [APPLICANT_SIZE])
    for path in paths:
        ctx.say(str(path))
    return EXIT_OK
