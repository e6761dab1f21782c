"""Setting up a demo: the demo database (and the one rule for what counts as one), the demo office with
its made-up bookings and guard, and the demo clock.

Used by every demo: the windows (kiosk/demo/gui.py), the text demo (kiosk/cli/demo.py) and the
screenshots (kiosk/demo/screenshots.py). No Qt here.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass
from pathlib import Path

from kiosk import config as kiosk_config
from kiosk.demo import data
from kiosk.demo.showcase import DEMO_KIOSK_ID, Sample, demo_clock_start, fill_demo_store, showcase
from kiosk.domain.clock import WallClock, utc_now
from kiosk.domain.model import OfficeRules
from kiosk.store.db import KioskStore, StoreError
from kiosk.store.settings import Identity

DEMO_GUARD, DEMO_PIN = "Demo", "246810"
DEMO_SEED = 20261128


# --- the demo database ----------------------------------------------------------------------------------


class NotADemoDatabaseError(StoreError):
    """A database the demo refuses to fill with made-up bookings: see open_demo_store."""


def is_demo_database(store: KioskStore) -> bool:
    """Whether an existing database may be used for a demo: it says it is one (the demo's kiosk id),
    or it was never set up and holds no bookings."""
    identity = store.settings.identity()
    if identity.kiosk_id == DEMO_KIOSK_ID:
        return True
    return identity == Identity() and store.bookings.count() == 0


def open_demo_store(path: Path) -> KioskStore:
    """Open (or create) the demo database at `path`, refusing any database that is not a demo one.

    The rule, the same for every demo: a file may be used when it does not exist yet (or is empty),
    when its kiosk id is the demo's (DEMO-KIOSK), or when it was never set up (no identity) and holds
    no bookings. Anything else, such as a real office's database (even one set up but not yet fed), is
    refused with NotADemoDatabaseError before anything in it changes: an existing file is first looked at
    without upgrading its schema (only the default demo database, the demo's own, may be upgraded
    then), so a refused database is left as it was. A lost database (empty or missing beside its
    companion files) is refused by KioskStore.open, as everywhere."""
    if path.exists() and path.stat().st_size > 0:
        with KioskStore.open(path, create=False, upgrade=_is_default_demo_path(path)) as store:
            if not is_demo_database(store):
                raise NotADemoDatabaseError(
                    f"{path} is not a demo database; `kiosk demo` writes made-up bookings only to its own"
                )
    path.parent.mkdir(parents=True, exist_ok=True)
    return KioskStore.open(path, create=True, upgrade=True)


def _is_default_demo_path(path: Path) -> bool:
    return path.resolve() == kiosk_config.demo_db_path().resolve()


# --- the demo office ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoSetup:
    samples: list[Sample]
    background: list[data.DemoBooking]
    rules: OfficeRules
    start: dt.datetime
    clock: WallClock


def prepare_demo(
    store: KioskStore,
    *,
    office: str = data.DEFAULT_OFFICE,
    zone: str = data.DEFAULT_ZONE,
    start: dt.datetime | None = None,
    seed: int | None = DEMO_SEED,
    background: int = 40,
    guard: bool = True,
) -> DemoSetup:
    """Configure the demo office, import the showcase (one booking per outcome) and an ordinary day of
    `background` bookings around it (0, or at least data.MIN_DAY_COUNT), and with `guard` make sure
    the demo guard exists. The demo clock runs from `start` (default: demo_clock_start)."""
    rules = OfficeRules(office_code=office, zone=zone)
    real_now = utc_now()
    if start is None:
        start, _moved = demo_clock_start(real_now, rules)
    store.settings.configure(Identity(DEMO_KIOSK_ID, "G1", office), rules, real_now)
    store.settings.set_office_names(data.OFFICE_NAMES, real_now)  # as a server's office directory would
    rng = random.Random(f"{seed}:{store.bookings.count()}" if seed is not None else None)
    samples = showcase(office, rules, start, rng)
    day = start.astimezone(rules.tz).date()
    extra = data.generate_day(office, rules.zone, day, background, rng) if background else []
    fill_demo_store(store, samples, extra, start)
    if guard and not any(g.name == DEMO_GUARD for g in store.guards.all()):
        store.guards.add(DEMO_GUARD, DEMO_PIN, real_now)
    started = time.monotonic()
    return DemoSetup(samples, extra, rules, start, lambda: start + dt.timedelta(seconds=time.monotonic() - started))
