"""The demo's showcase (kiosk/demo/showcase.py): each sample answers what it promises at any time of the
office's day, and the demo clock keeps to office hours."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.demo import data
from kiosk.demo.showcase import DEMO_KIOSK_ID, demo_clock_start, fill_demo_store, has_room_for_samples, showcase
from kiosk.domain.decide import Presentation
from kiosk.domain.model import PATTERN_REASONS, OfficeRules, Reason
from kiosk.domain.payload import parse_payload
from kiosk.store.db import KioskStore
from kiosk.store.settings import Identity

DAY = dt.date(2027, 3, 15)
WITA = ZoneInfo("Asia/Makassar")
RULES = OfficeRules("DPS", zone="Asia/Makassar")
#: Reasons no typed code can produce on a standalone kiosk (as in tests/demo/test_data.py).
NOT_FROM_ONE_CODE = {Reason.FORGED, Reason.STALE_DATA, Reason.MULTIPLE_CODES, Reason.OUT_OF_ORDER} | PATTERN_REASONS


def at(day: dt.date, clock: dt.time, delta: dt.timedelta = dt.timedelta(0)) -> dt.datetime:
    return dt.datetime.combine(day, clock, tzinfo=WITA) + delta


@pytest.fixture
def demo_store(tmp_path: Path) -> Iterator[Callable[[dt.datetime], KioskStore]]:
    opened: list[KioskStore] = []

    def make(now: dt.datetime) -> KioskStore:
        store = KioskStore.open(tmp_path / f"demo-{len(opened)}.db")
        opened.append(store)
        store.settings.configure(Identity(DEMO_KIOSK_ID, "G1", "DPS"), RULES, now)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.mark.parametrize("clock", [dt.time(3, 0), dt.time(7, 59), dt.time(10, 15), dt.time(14, 30), dt.time(20, 59)])
def test_each_sample_gives_its_promised_answer_at_any_time_of_day(
    demo_store: Callable[[dt.datetime], KioskStore], clock: dt.time
) -> None:
    now = at(DAY, clock)
    assert has_room_for_samples(now, RULES)
    store = demo_store(now)
    rng = random.Random(4)
    samples = showcase("DPS", RULES, now, rng)
    fill_demo_store(store, samples, data.generate_day("DPS", "WITA", DAY, 16, rng), now)
    answers = [store.decisions.decide_only(Presentation(parse_payload(s.text)), now).reason for s in samples]
    assert answers == [s.expect for s in samples]
    assert set(Reason) - NOT_FROM_ONE_CODE - {Reason.CLOCK_UNTRUSTED} == set(answers)


@pytest.mark.parametrize(
    ("clock", "moved"),
    [(dt.time(6, 59), True), (dt.time(7, 0), False), (dt.time(16, 59), False), (dt.time(17, 0), True)],
)
def test_the_demo_clock_keeps_to_office_hours(clock: dt.time, moved: bool) -> None:
    now = at(DAY, clock)
    start, was_moved = demo_clock_start(now, RULES)
    assert was_moved is moved
    assert start == (at(DAY, dt.time(10)) if moved else now)
