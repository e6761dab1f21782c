"""store.decisions: what a decision depends on besides the booking (a clock set back), and the
caller's errors (kiosk/store/parts/decisions.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.domain.model import Reason, Verdict
from kiosk.store.db import KioskStore
from kiosk.store.parts.decisions import MAX_CLOCK_BEHIND_DATA
from kiosk.store.times import to_text
from tests.store.conftest import CODE, NOW, present


def test_a_clock_reading_earlier_than_the_data_is_not_trusted(store: KioskStore) -> None:
    """The data came at 11.15 by this clock (sync_state.data_as_of); a clock that now reads 10.15 was set
    back, whatever the sync worker's watch has noticed yet: date checks REFER."""
    store.settings.set_sync_state(data_as_of=to_text(NOW + dt.timedelta(hours=1)))
    decision = store.decisions.decide_only(present(CODE), NOW)
    assert (decision.verdict, decision.reason) == (Verdict.REFER, Reason.CLOCK_UNTRUSTED)
    assert store.decisions.record(present(CODE), NOW).decision.reason is Reason.CLOCK_UNTRUSTED
    assert not store.decisions.circumstances(NOW).clock_trusted


def test_a_clock_a_little_behind_the_data_is_still_trusted(store: KioskStore) -> None:
    """Within MAX_CLOCK_BEHIND_DATA (a clock corrected by a few seconds or minutes) nothing changes."""
    store.settings.set_sync_state(data_as_of=to_text(NOW + MAX_CLOCK_BEHIND_DATA - dt.timedelta(seconds=1)))
    assert store.decisions.circumstances(NOW).clock_trusted
    assert store.decisions.decide_only(present(CODE), NOW).verdict is Verdict.ADMIT


def test_a_naive_time_is_a_caller_error(store: KioskStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.decisions.record(present(CODE), NOW.replace(tzinfo=None))
