"""`kiosk screenshots DIR`: a PNG of every applicant state and of the guard console's main screens,
rendered offscreen from real decisions on a scratch demo database with a morning of scans behind it.

The kiosk is assembled as `kiosk run` assembles it (kiosk/app.py), on a clock that moves on by hand;
kiosk/ui/screenshots.py drives its screens and grabs them.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import tempfile
from collections.abc import Sequence
from pathlib import Path

from kiosk.app import assemble
from kiosk.demo import data
from kiosk.demo.setup import DEMO_GUARD, DEMO_PIN, DEMO_SEED, DemoSetup, prepare_demo
from kiosk.domain.clock import utc_now
from kiosk.domain.explain import Lang
from kiosk.domain.model import OfficeRules, Reason, Verdict
from kiosk.door import Door, DoorSettings, Sighting, Source
from kiosk.store import guard_actions
from kiosk.store.db import KioskStore
from kiosk.store.guard_actions import OverrideReason
from kiosk.ui.screenshots import APPLICANT_SIZE, Screens, Size, shoot
from kiosk.ui.sound import SilentPlayer


def save_screenshots(
    out_dir: Path, lang: Lang | str = Lang.ID, sizes: Sequence[Size] = (APPLICANT_SIZE,)
) -> list[Path]:
    """A PNG of every applicant state and of the guard console's main screens, rendered offscreen
    from real decisions on a scratch demo database, at each of `sizes` (more than one: the files are
    named NAME-WxH.png). Returns the files written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out_dir.mkdir(parents=True, exist_ok=True)
    language = Lang(lang)
    with (
        tempfile.TemporaryDirectory(prefix="kiosk-shots-") as scratch,
        KioskStore.open(Path(scratch) / "kiosk.db") as store,
    ):
        rules = OfficeRules(office_code=data.DEFAULT_OFFICE, zone=data.DEFAULT_ZONE)
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
        codes: dict[str | Reason, str] = {s.expect: s.text for s in setup.samples if s.expect is not Reason.OK}
        codes.update({s.title: s.text for s in setup.samples})
        screens = Screens(kiosk.app, kiosk.applicant, kiosk.console, kiosk.controller, kiosk.start)
        try:
            return shoot(screens, codes, out_dir, time_line.advance, (DEMO_GUARD, DEMO_PIN), sizes=sizes)
        finally:
            kiosk.stop()


def _simulate_morning(store: KioskStore, setup: DemoSetup) -> None:
    """Scans from opening time until the screenshots' clock, so the statistics have a morning to show:
    the day's bookings arrive around their slots, a few strangers show unknown codes, and two guards
    admit some of the refused (the second guard is added here)."""
    rng = random.Random(DEMO_SEED)
    tz, day = setup.rules.tz, setup.start.astimezone(setup.rules.tz).date()
    office_open = dt.datetime.combine(day, data.OFFICE_OPENS, tzinfo=tz)
    guard = store.guards.add("Sari", "731905", office_open)
    demo_guard = next(g.id for g in store.guards.all() if g.name == DEMO_GUARD)
    scans: list[tuple[dt.datetime, str]] = []
    for item in setup.background:
        slot = dt.datetime.combine(item.booking.service_date, item.booking.slot_start, tzinfo=tz)
        at = slot + dt.timedelta(minutes=rng.randint(-40, 50))
        if office_open <= at < setup.start and rng.random() < 0.8:
            scans.append((at, item.code))
    scans += [(office_open + dt.timedelta(minutes=rng.randint(0, 120)), data.new_code(rng)) for _ in range(4)]
    with Door(store, DoorSettings(online_check=False)) as door:
        for n, (at, code) in enumerate(sorted(scans)):
            recorded = door.present(Sighting(code, at, Source.CAMERA))
            if recorded.decision.verdict is not Verdict.ADMIT and n % 3 == 0:
                who = guard.id if n % 2 else demo_guard
                reason = OverrideReason.PRIORITY_ELDERLY if n % 2 else OverrideReason.ID_CHECKED
                guard_actions.override(store, recorded.event_uuid, who, reason, at + dt.timedelta(minutes=2))


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
