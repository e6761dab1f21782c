"""`kiosk demo` with windows: the applicant window and the guard console on the simulated camera and the
demo database, assembled as `kiosk run` assembles the real kiosk (kiosk/app.py)."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path

from kiosk import app
from kiosk.demo import data
from kiosk.demo.camera import demo_camera
from kiosk.demo.setup import DEMO_GUARD, DEMO_PIN, open_demo_store, prepare_demo
from kiosk.domain.explain import Lang
from kiosk.domain.screen import Timeouts
from kiosk.door import DoorSettings
from kiosk.store.db import StoreError
from kiosk.workers.gate import GateRelay

#: The demo's answers stay a little shorter than a kiosk's, so the idle screen and its preview show
#: between the scripted applicants.
DEMO_TIMEOUTS = Timeouts(admit=4.0, refer=5.0, deny=5.0)


def run_demo(
    db_path: Path | None,
    lang: Lang | str = Lang.ID,
    *,
    office: str = data.DEFAULT_OFFICE,
    zone: str = data.DEFAULT_ZONE,
    start: dt.datetime | None = None,
    seconds: float | None = None,
    until: Callable[[], bool] | None = None,
    kiosk_mode: bool = False,
    seed: int | None = None,
    relay: GateRelay | None = None,
    say: Callable[[str], None] = print,
) -> int:
    """`kiosk demo`: both windows on the simulated camera and the demo database (a temporary one when
    `db_path` is None; an existing one only if it is a demo database: open_demo_store). `seconds`
    ends the demo by itself (for CI and the benchmark); so does `until`, asked a few times a second
    on the event loop, once it returns True (for tests: end when something has happened). `relay`: the
    door's relay (`kiosk demo` with a `[relay]` in kiosk.toml: that board, or the relay simulator);
    by default one in memory."""
    language = Lang(lang)
    with tempfile.TemporaryDirectory(prefix="kiosk-demo-") as scratch:
        path = db_path or Path(scratch) / "kiosk-demo.db"
        try:
            store = open_demo_store(path)
        except StoreError as exc:
            say(f"kiosk demo: {exc}")
            return app.EXIT_REFUSED
        with store:
            setup = prepare_demo(store, office=office, zone=zone, start=start, seed=seed)
            camera = demo_camera(setup.samples)
            kiosk = app.assemble(
                store,
                source=camera,
                decoder_process=True,
                clock=setup.clock,
                lang=language,
                timeouts=DEMO_TIMEOUTS,
                door=DoorSettings(online_check=False),  # the demo has no server
                relay=relay,
            )
            say(f"Kiosk demo: office {office} ({setup.rules.zone_abbreviation}), database {path}")
            say(f"Demo clock starts at {setup.start.astimezone(setup.rules.tz):%H.%M} office time.")
            say(f"Guard console: log in as {DEMO_GUARD!r} with PIN {DEMO_PIN}.")
            say("The simulated camera shows every kind of outcome within the first minute, then repeats.")
            return app.run(kiosk, kiosk_mode=kiosk_mode, seconds=seconds, until=until)
